// Deleting the EFS file system a cluster made, after its stack is gone, when the caller asked
// for it to go too. Its mount target went with the stack, but EFS may still count it for a
// little while (FileSystemInUse): that is retried, with a growing delay, within the deadline.
#include "awsdl/core/retry.hpp"
#include "cluster/lifecycle_internal.hpp"

namespace awsdl::internal::lifecycle {

namespace {
constexpr int kMaxInUseTries = 30;
}  // namespace

Status delete_file_system(const Clients& c, const std::string& id, const Deadline& deadline,
                          const CancellationToken& cancel) {
  if (!efs::valid_file_system_id(id))
    return Error::invalid_argument("InvalidFileSystemId", "'" + id + "' is not an EFS file system id");
  RetryPolicy policy;
  policy.max_attempts = kMaxInUseTries;
  policy.backoff = Backoff{Millis(2000), 2.0, Millis(15000), false};
  policy.retryable = [](const Error& e) { return e.code == "FileSystemInUse"; };
  policy.deadline = deadline;
  policy.cancel = cancel;
  policy.what = "deleting file system " + id;
  CallOptions call;
  call.deadline = deadline;
  call.cancel = cancel;
  int made = 0;
  Status deleted = retry(c.config.runtime, policy, [&](int attempt) -> Status {
    made = attempt;
    auto r = c.efs.delete_file_system(id, call);
    if (!r && r.error().code == "FileSystemNotFound") return {};  // already gone: what was asked
    return r;
  });
  if (deleted) return {};
  Error e = std::move(deleted).error();
  if (e.kind == ErrorKind::kCancelled)
    return Error::make(ErrorKind::kCancelled, "Cancelled", "deleting file system " + id + " was cancelled");
  // Still in use with tries left: the deadline stopped it.
  if (e.code == "FileSystemInUse" && made < kMaxInUseTries)
    return Error::make(ErrorKind::kTimeout, "ClusterTimeout", "file system " + id + " is still in use at the deadline");
  e.message = "deleting file system " + id + ": " + e.message;
  return e;
}

}  // namespace awsdl::internal::lifecycle
