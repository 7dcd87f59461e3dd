// FSx (json 1.1, API 2018-03-01): DescribeFileSystems and DeleteFileSystem.
#include "awsdl/fsx/fsx.hpp"

#include "protocol/pagination.hpp"
#include "protocol/service_client.hpp"
#include "util/json.hpp"

namespace awsdl::fsx {

bool valid_file_system_id(const std::string& id) {
  if (id.rfind("fs-", 0) != 0 || id.size() < 11 || id.size() > 21) return false;
  for (std::size_t i = 3; i < id.size(); ++i) {
    char c = id[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

FsxClient::FsxClient(Config config)
    : client_(std::make_shared<ServiceClient>(std::move(config), internal::service_info(internal::Service::kFsx))) {}

Result<std::vector<FileSystem>> FsxClient::describe_file_systems(const std::vector<std::string>& ids,
                                                                  const CallOptions& options) const {
  if (ids.size() > 50)
    return Error::invalid_argument("BadRequest", "DescribeFileSystems: at most 50 file system ids, got " +
                                                     std::to_string(ids.size()));
  for (const auto& id : ids)
    if (!valid_file_system_id(id))
      return Error::invalid_argument("BadRequest", "DescribeFileSystems: '" + id.substr(0, 64) +
                                                       "' is not an FSx file system id (fs- and at least 8 hex digits)");
  std::vector<FileSystem> out;
  internal::PageGuard pages("FSx DescribeFileSystems", client_->config().max_pages);
  std::string token;
  for (;;) {
    internal::JsonWriter w;
    w.start_object();
    if (!ids.empty()) {
      w.key("FileSystemIds").start_array();
      for (const auto& id : ids) w.value(id);
      w.end_array();
    }
    w.optional_field("NextToken", token).end_object();
    AWSDL_ASSIGN_OR_RETURN(auto doc, client_->call_json("DescribeFileSystems", w.str(), options));
    const auto* list = internal::json_array(doc.root(), "FileSystems");
    if (list == nullptr)
      return Error::make(ErrorKind::kParse, "MissingElement", "DescribeFileSystems: answer has no FileSystems");
    for (const auto& f : list->GetArray()) {
      FileSystem fs;
      fs.file_system_id = internal::json_string_or(f, "FileSystemId");
      fs.file_system_type = internal::json_string_or(f, "FileSystemType");
      fs.lifecycle = internal::json_string_or(f, "Lifecycle");
      fs.storage_capacity_gib = internal::json_int(f, "StorageCapacity").value_or(0);
      fs.vpc_id = internal::json_string_or(f, "VpcId");
      if (const auto* subnets = internal::json_array(f, "SubnetIds"))
        for (const auto& s : subnets->GetArray())
          if (s.IsString()) fs.subnet_ids.emplace_back(s.GetString(), s.GetStringLength());
      fs.dns_name = internal::json_string_or(f, "DNSName");
      if (const auto* lustre = internal::json_object(f, "LustreConfiguration")) {
        fs.lustre_mount_name = internal::json_string_or(*lustre, "MountName");
        fs.lustre_deployment_type = internal::json_string_or(*lustre, "DeploymentType");
      }
      if (const auto* tags = internal::json_array(f, "Tags"))
        for (const auto& t : tags->GetArray())
          fs.tags.emplace_back(internal::json_string_or(t, "Key"), internal::json_string_or(t, "Value"));
      out.push_back(std::move(fs));
    }
    token = internal::json_string_or(doc.root(), "NextToken");
    AWSDL_ASSIGN_OR_RETURN(bool more, pages.next(token));
    if (!more) return out;
  }
}

Status FsxClient::delete_file_system(const std::string& file_system_id, const CallOptions& options) const {
  if (!valid_file_system_id(file_system_id))
    return Error::invalid_argument("InvalidFileSystemId", "DeleteFileSystem: '" + file_system_id.substr(0, 64) +
                                                              "' is not an FSx file system id (fs- and at least 8 hex digits)");
  internal::JsonWriter w;
  w.start_object().key("FileSystemId").value(file_system_id).end_object();
  AWSDL_TRY(client_->call_json("DeleteFileSystem", w.str(), options));
  return {};
}

}  // namespace awsdl::fsx
