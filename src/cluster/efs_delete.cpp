// EFS DeleteFileSystem (rest-json, DELETE /2015-02-01/file-systems/{id}), the one EFS call the
// lifecycle makes: after the stack is gone, when the caller asked for the file system to go too.
// Its mount target went with the stack, but EFS may still count it for a little while
// (FileSystemInUse): that is waited out within the deadline.
#include <algorithm>

#include "cluster/lifecycle_internal.hpp"
#include "internal/rest_xml.hpp"
#include "internal/service_client.hpp"

namespace awsdl::internal::lifecycle {

namespace {
constexpr int kMaxInUseTries = 30;
}  // namespace

Status delete_file_system(const Config& config, const std::string& id, const Deadline& deadline,
                          const CancellationToken& cancel) {
  if (id.rfind("fs-", 0) != 0)
    return Error::invalid_argument("InvalidFileSystemId", "'" + id + "' is not an EFS file system id");
  ServiceClient client(config, service_info(Service::kEfs));
  Millis delay(2000);
  for (int attempt = 1;; ++attempt) {
    OperationRequest op;
    op.operation = "DeleteFileSystem";
    op.http.method = "DELETE";
    op.http.path = "/2015-02-01/file-systems/" + encode_label(id, false);
    op.options.deadline = deadline;
    op.options.cancel = cancel;
    auto r = client.send(std::move(op));
    if (r) return {};
    Error e = std::move(r).error();
    if (e.code == "FileSystemNotFound") return {};  // already gone: what was asked
    if (e.code != "FileSystemInUse" || attempt >= kMaxInUseTries) {
      e.message = "deleting file system " + id + ": " + e.message;
      return e;
    }
    Millis wait = delay;
    if (deadline.at) wait = std::min(wait, deadline.remaining(*config.runtime.clock, Millis(0)));
    if (deadline.expired(*config.runtime.clock))
      return Error::make(ErrorKind::kTimeout, "ClusterTimeout", "file system " + id + " is still in use at the deadline");
    if (!config.runtime.sleeper->sleep_for(wait, cancel))
      return Error::make(ErrorKind::kCancelled, "Cancelled", "deleting file system " + id + " was cancelled");
    delay = std::min(delay * 2, Millis(15000));
  }
}

}  // namespace awsdl::internal::lifecycle
