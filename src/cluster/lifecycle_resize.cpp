// resize: UpdateStack with the previous template and only WorkerCount (and MinWorkerCount when
// the new count is below it) changed. Through the stack rather than SetDesiredCapacity so the
// stack stays the truth: a later update cannot silently put the old size back.
#include <algorithm>
#include <set>

#include "awsdl/cluster/lifecycle.hpp"
#include "cluster/lifecycle_internal.hpp"
#include "util/idempotency_token.hpp"

namespace awsdl::cluster {

namespace {
using namespace internal::lifecycle;

bool resizable(const std::string& status) {
  return status == "CREATE_COMPLETE" || status == "UPDATE_COMPLETE" || status == "UPDATE_ROLLBACK_COMPLETE";
}
}  // namespace

Result<ClusterInfo> Clusters::resize(const std::string& name, int workers, const ResizeOptions& options) {
  if (workers < 1)
    return Error::invalid_argument("InvalidWorkerCount", "resize of cluster " + name + ": the worker count must be at "
                                                             "least 1, got " + std::to_string(workers));
  const Clients& c = impl_->c;
  WatchSpec w = watch_for(c, name, options.on_event, options.deadline, options.cancel, options.poll_interval);
  CallOptions call = call_options(w);

  AWSDL_ASSIGN_OR_RETURN(auto stack, find_cluster_stack(c, name, call));
  if (!resizable(stack.status))
    return Error::make(ErrorKind::kService, "ClusterNotReady",
                       "cluster " + name + " cannot be resized while its stack is " + stack.status +
                           (stack.status.find("IN_PROGRESS") != std::string::npos
                                ? "; wait until it is complete"
                                : "; remove it (Clusters::remove)"))
        .with_next_step(stack.status.find("IN_PROGRESS") != std::string::npos ? next_step::kDescribe
                                                                               : next_step::kRemove,
                        name);
  w.stack = stack.stack_id;
  w.worker_group = stack.output(names::kOutWorkerGroupName);
  const int current = stack_count(stack, names::kWorkerCount);
  const int current_min = stack_count(stack, names::kMinWorkerCount);
  const int new_min = current_min > 0 ? std::min(current_min, workers) : workers;
  w.wanted = workers;
  w.minimum = new_min;
  if (workers > current) {
    // The preflight of the workers added: a quota too small is refused before the update.
    AWSDL_ASSIGN_OR_RETURN(auto report, internal::preflight::run_for_resize(c, stack, workers - current, call));
    AWSDL_TRY(report.status());
  }
  // Falling back across the zones and markets create() recorded in the stack's tags.
  auto fallback = fallback_for_stack(stack, std::chrono::seconds(std::max(0, options.capacity_timeout_seconds)));
  if (fallback) {
    w.fallback = &*fallback;
    // Failures from before this resize are history, not a reason to move.
    if (!w.worker_group.empty())
      if (auto acts = c.asg.describe_scaling_activities(w.worker_group, 20, call); acts.ok())
        for (const auto& a : *acts) fallback->seen_activities.insert(a.activity_id);
  }

  // The workers there before a resize that grows: the others are watched until they bootstrapped.
  std::set<std::string> before_ids;
  const bool grows = workers > current && options.wait && !w.worker_group.empty();
  if (grows) {
    AWSDL_ASSIGN_OR_RETURN(auto group, c.asg.describe_group(w.worker_group, call));
    for (const auto& i : group.instances) before_ids.insert(i.instance_id);
  }

  if (workers != current || new_min != current_min) {
    // Only this update's events are reported: everything already there is marked seen.
    EventFeed feed;
    AWSDL_ASSIGN_OR_RETURN(auto before, c.cfn.describe_stack_events(w.stack, 100, call));
    feed.prime(before);

    cloudformation::UpdateStackRequest u;
    u.stack_name = stack.stack_id;
    u.use_previous_template = true;
    for (const auto& p : stack.parameters) {
      if (p.key == names::kWorkerCount) u.parameters.push_back({p.key, std::to_string(workers)});
      else if (p.key == names::kMinWorkerCount) u.parameters.push_back({p.key, std::to_string(new_min)});
      else u.parameters.push_back({p.key, "", true});
    }
    u.capabilities = stack.capabilities;
    u.client_request_token = internal::new_idempotency_token();
    if (options.on_event)
      options.on_event(summary_event(c.config, "resizing cluster " + name + " from " + std::to_string(current) +
                                                   " to " + std::to_string(workers) + " workers"));
    auto updated = c.cfn.update_stack(u, call);
    if (!updated && updated.error().message.find("No updates are to be performed") == std::string::npos)
      return std::move(updated).error();
    if (updated) {
      AWSDL_ASSIGN_OR_RETURN(auto outcome, suggest(watch_stack(c, w, feed, "the update continues; see it (Clusters::describe)"),
                                                   {next_step::kDescribe}, name));
      if (outcome.status != "UPDATE_COMPLETE") {
        std::string why = failure_reasons(feed.history());
        return Error::make(ErrorKind::kService, "ClusterResizeFailed",
                           "resize of cluster " + name + " to " + std::to_string(workers) + " workers failed (stack " +
                               outcome.status + ")" + (why.empty() ? "" : ": " + why) +
                               "; the cluster keeps its previous size");
      }
    }
  }
  if (options.wait)
    AWSDL_TRY(suggest(settle_workers(c, w, "see the cluster (Clusters::describe)"), {next_step::kDescribe}, name));
  if (grows) {
    AWSDL_ASSIGN_OR_RETURN(auto group, c.asg.describe_group(w.worker_group, call));
    std::vector<std::string> added;
    for (const auto& id : in_service_ids(group))
      if (!before_ids.count(id)) added.push_back(id);
    if (!added.empty() && options.on_event)
      options.on_event(summary_event(c.config, "waiting for " + std::to_string(added.size()) + " new worker" +
                                                   (added.size() == 1 ? "" : "s") + " to bootstrap"));
    AWSDL_TRY(suggest(wait_bootstrapped(c, w, std::move(added),
                                        std::chrono::seconds(std::max(0, options.bootstrap_timeout_seconds)),
                                        "see the cluster (Clusters::describe); resize it back to remove the worker"),
                      {next_step::kDescribe}, name));
  }
  AWSDL_ASSIGN_OR_RETURN(auto now, c.cfn.describe_stack(w.stack, call));
  return describe_stack(c, now, call);
}

}  // namespace awsdl::cluster
