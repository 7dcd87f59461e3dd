// EFS (rest-json, API 2015-02-01): DescribeFileSystems and DeleteFileSystem.
#include "awsdl/efs/efs.hpp"

#include <chrono>
#include <cstdint>

#include "util/http_date.hpp"
#include "util/json.hpp"
#include "protocol/pagination.hpp"
#include "protocol/rest_xml.hpp"
#include "protocol/service_client.hpp"
#include "protocol/service_info.hpp"

namespace awsdl::efs {
namespace {

Status check_id(const std::string& id, const char* operation) {
  if (valid_file_system_id(id)) return {};
  return Error::invalid_argument("InvalidFileSystemId", std::string(operation) + ": '" + id.substr(0, 64) +
                                                            "' is not an EFS file system id (fs- and 8 or 17 hex digits)");
}

}  // namespace

bool valid_file_system_id(const std::string& id) {
  if (id.rfind("fs-", 0) != 0 || (id.size() != 11 && id.size() != 20)) return false;
  for (std::size_t i = 3; i < id.size(); ++i) {
    char c = id[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

EfsClient::EfsClient(Config config)
    : client_(std::make_shared<ServiceClient>(std::move(config), internal::service_info(internal::Service::kEfs))) {}

Result<std::vector<FileSystem>> EfsClient::describe_file_systems(const std::string& file_system_id,
                                                                  const CallOptions& options) const {
  if (!file_system_id.empty()) AWSDL_TRY(check_id(file_system_id, "DescribeFileSystems"));
  std::vector<FileSystem> out;
  internal::PageGuard pages("EFS DescribeFileSystems", client_->config().max_pages);
  std::string marker;
  for (;;) {
    internal::RestRequest r("GET", "/2015-02-01/file-systems");
    r.optional_query("FileSystemId", file_system_id).optional_query("Marker", marker);
    internal::OperationRequest op;
    op.operation = "DescribeFileSystems";
    op.options = options;
    AWSDL_ASSIGN_OR_RETURN(http::Response resp, client_->call_rest(r, std::move(op)));
    AWSDL_ASSIGN_OR_RETURN(auto doc, internal::JsonDocument::parse(resp.body, "DescribeFileSystems answer"));
    const auto* list = internal::json_array(doc.root(), "FileSystems");
    if (list == nullptr)
      return Error::make(ErrorKind::kParse, "MissingElement", "DescribeFileSystems: answer has no FileSystems");
    for (const auto& f : list->GetArray()) {
      FileSystem fs;
      fs.file_system_id = internal::json_string_or(f, "FileSystemId");
      fs.name = internal::json_string_or(f, "Name");
      fs.life_cycle_state = internal::json_string_or(f, "LifeCycleState");
      fs.number_of_mount_targets = static_cast<int>(internal::json_int(f, "NumberOfMountTargets").value_or(0));
      fs.creation_token = internal::json_string_or(f, "CreationToken");
      if (auto t = internal::json_member(f, "CreationTime"); t != nullptr && t->IsNumber())
        fs.creation_time = internal::format_iso8601(WallTime(std::chrono::seconds(static_cast<std::int64_t>(t->GetDouble()))));
      else
        fs.creation_time = internal::json_string_or(f, "CreationTime");
      if (const auto* tags = internal::json_array(f, "Tags"))
        for (const auto& t : tags->GetArray())
          fs.tags.emplace_back(internal::json_string_or(t, "Key"), internal::json_string_or(t, "Value"));
      out.push_back(std::move(fs));
    }
    marker = internal::json_string_or(doc.root(), "NextMarker");
    AWSDL_ASSIGN_OR_RETURN(bool more, pages.next(marker));
    if (!more) return out;
  }
}

Status EfsClient::delete_file_system(const std::string& file_system_id, const CallOptions& options) const {
  AWSDL_TRY(check_id(file_system_id, "DeleteFileSystem"));
  internal::RestRequest r("DELETE", "/2015-02-01/file-systems/{FileSystemId}");
  r.label("FileSystemId", file_system_id);
  internal::OperationRequest op;
  op.operation = "DeleteFileSystem";
  op.options = options;
  AWSDL_TRY(client_->call_rest(r, std::move(op)));
  return {};
}

}  // namespace awsdl::efs
