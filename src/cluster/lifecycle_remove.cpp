// remove: DeleteStack and wait until the stack is gone (watched by stack id, since a deleted
// stack no longer answers to its name). The EFS file system the stack created is retained
// (DeletionPolicy Retain) unless the caller asks; one the spec reused is never deleted. A created
// FSx for Lustre file system cannot outlive the stack's subnet: remove refuses unless asked.
#include <algorithm>

#include "awsdl/cluster/lifecycle.hpp"
#include "cluster/lifecycle_internal.hpp"
#include "util/idempotency_token.hpp"

namespace awsdl::internal::lifecycle {

namespace {
void say(const WatchSpec& w, const cluster::ClusterEvent& e) {
  if (w.on_event && *w.on_event) (*w.on_event)(e);
}

// Polls DescribeStacks until the stack's status is no longer *_IN_PROGRESS.
Status wait_until_settled(const Clients& c, const WatchSpec& w) {
  CallOptions call = call_options(w);
  auto poll = watch_poll_options(
      w, [&] { return Error::make(ErrorKind::kCancelled, "Cancelled", "deleting cluster " + w.cluster + " was cancelled"); },
      [&](const std::string& s) {
        return Error::make(ErrorKind::kTimeout, "ClusterTimeout",
                           "cluster " + w.cluster + " is still " + s +
                               " at the deadline; remove it again (Clusters::remove) once it ends")
            .with_next_step(cluster::next_step::kRemove, w.cluster);
      });
  poll.max_polls = 100000;
  return poll_until(c.config.runtime, poll, [&](int) -> Result<PollState> {
    AWSDL_ASSIGN_OR_RETURN(auto stack, c.cfn.describe_stack(w.stack, call));
    const std::string& s = stack.status;
    if (s.size() < 12 || s.compare(s.size() - 12, 12, "_IN_PROGRESS") != 0) return PollState::done(s);
    return PollState::pending(s);
  });
}
}  // namespace

Status delete_stack(const Clients& c, WatchSpec& w) {
  CallOptions call = call_options(w);
  EventFeed feed;
  AWSDL_ASSIGN_OR_RETURN(auto before, c.cfn.describe_stack_events(w.stack, 100, call));
  feed.prime(before);
  auto deleted = c.cfn.delete_stack(w.stack, new_idempotency_token(), call);
  if (!deleted && deleted.error().message.find("cannot be deleted while in status") != std::string::npos) {
    // An update (or a create, where the service refuses to cancel it) must end first.
    say(w, summary_event(c.config, "waiting for the stack's current operation to end before deleting it"));
    AWSDL_TRY(wait_until_settled(c, w));
    AWSDL_ASSIGN_OR_RETURN(auto now, c.cfn.describe_stack_events(w.stack, 100, call));
    feed.prime(now);
    deleted = c.cfn.delete_stack(w.stack, new_idempotency_token(), call);
  }
  AWSDL_TRY(deleted);
  say(w, summary_event(c.config, "deleting stack " + w.cluster));
  AWSDL_ASSIGN_OR_RETURN(auto outcome,
                         suggest(watch_stack(c, w, feed, "the deletion continues; wait for it again (Clusters::remove)"),
                                 {cluster::next_step::kRemove}, w.cluster));
  if (outcome.status != "DELETE_COMPLETE") {
    std::string why = failure_reasons(feed.history());
    return Error::make(ErrorKind::kService, "ClusterDeleteFailed",
                       "cluster " + w.cluster + " could not be deleted (stack " + outcome.status + ")" +
                           (why.empty() ? "" : ": " + why) + "; fix the cause and remove it again (Clusters::remove)")
        .with_next_step(cluster::next_step::kRemove, w.cluster);
  }

  return {};
}

}  // namespace awsdl::internal::lifecycle

namespace awsdl::cluster {

namespace {
using namespace internal::lifecycle;

bool reused_file_system(const cloudformation::Stack& s) {
  for (const auto& p : s.parameters)
    if (p.key == names::kEfsId && !p.value.empty()) return true;
  return false;
}

// The FSx for Lustre file system the stack created (none when it reuses one: FsxId parameter).
std::string created_fsx(const cloudformation::Stack& s) {
  for (const auto& p : s.parameters)
    if (p.key == names::kFsxId) return {};
  return s.output(names::kOutFsxId);
}
}  // namespace

Status Clusters::remove(const std::string& name, const DeleteOptions& options) {
  const Clients& c = impl_->c;
  WatchSpec w = watch_for(c, name, options.on_event, options.deadline, options.cancel, options.poll_interval);
  CallOptions call = call_options(w);

  AWSDL_ASSIGN_OR_RETURN(auto stack, find_cluster_stack(c, name, call));
  w.stack = stack.stack_id;
  const bool reused = reused_file_system(stack);
  std::string efs = stack.output(names::kOutEfsId);
  if (options.delete_file_system && !reused && efs.empty()) {
    // A stack that never completed has no outputs; its resources still name the file system.
    if (auto resources = c.cfn.describe_stack_resources(w.stack, call); resources.ok())
      for (const auto& r : *resources)
        if (r.resource_type == "AWS::EFS::FileSystem" && !r.physical_id.empty()) efs = r.physical_id;
  }

  // A created FSx for Lustre file system goes with the stack (its subnet cannot outlive it):
  // only when asked, since what was written to it and not exported is lost.
  const std::string fsx = created_fsx(stack);
  if (!fsx.empty() && !options.delete_file_system)
    return Error::make(ErrorKind::kInvalidArgument, "FileSystemGoesWithTheStack",
                       "cluster " + name + "'s FSx for Lustre file system " + fsx +
                           " lives in the cluster's own subnet and is deleted with the stack; nothing was deleted. "
                           "Export what must outlive it (to its S3 data repository, or copy it off), then remove the "
                           "cluster with its file system (DeleteOptions::delete_file_system)")
        .with_next_step(next_step::kRemoveWithFileSystem, name);

  AWSDL_TRY(internal::lifecycle::delete_stack(c, w));
  if (!fsx.empty() && options.on_event) options.on_event(summary_event(c.config, "file system " + fsx + " deleted with the stack"));

  if (efs.empty() || !options.on_event) {
    // nothing to report
  } else if (reused) {
    options.on_event(summary_event(c.config, "file system " + efs + " was reused, not created by the cluster: kept"));
  } else if (!options.delete_file_system) {
    options.on_event(summary_event(c.config, "file system " + efs + " retained"));
  }
  if (options.delete_file_system && !reused && !efs.empty()) {
    AWSDL_TRY(delete_file_system(c, efs, w.deadline, w.cancel));
    if (options.on_event) options.on_event(summary_event(c.config, "file system " + efs + " deleted"));
  }
  return {};
}

}  // namespace awsdl::cluster
