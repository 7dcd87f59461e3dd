// Worker counts and the shortfall rule: a cluster is ready when every wanted worker runs, or
// when launches stopped (the capacity Lambda lowered the group's desired capacity, or nothing
// is pending any more) with at least the minimum running. A worker runs when Auto Scaling has
// it InService and EC2 has it running: a stopped instance stays InService for a while.
#include <algorithm>

#include "cluster/lifecycle_internal.hpp"

namespace awsdl::internal::lifecycle {

namespace {
// DescribeInstances takes many ids per call; batches keep requests and answers modest.
constexpr std::size_t kInstanceBatch = 100;
}  // namespace

Result<InstanceStates> instance_states(const Clients& c, const std::vector<std::string>& ids, const CallOptions& call) {
  InstanceStates out;
  for (std::size_t at = 0; at < ids.size(); at += kInstanceBatch) {
    ec2::DescribeInstancesRequest r;
    r.instance_ids.assign(ids.begin() + static_cast<std::ptrdiff_t>(at),
                          ids.begin() + static_cast<std::ptrdiff_t>(std::min(ids.size(), at + kInstanceBatch)));
    auto batch = c.ec2.list_instances(std::move(r), call);
    // An instance EC2 does not know yet fails the whole batch: those count as pending this
    // time, and the next poll asks again.
    if (!batch && batch.error().code == "InvalidInstanceID.NotFound") continue;
    if (!batch) return std::move(batch).error();
    for (const auto& i : *batch) out[i.instance_id] = i.state;
  }
  return out;
}

std::vector<std::string> in_service_ids(const autoscaling::Group& group) {
  std::vector<std::string> ids;
  for (const auto& i : group.instances)
    if (i.lifecycle_state == "InService") ids.push_back(i.instance_id);
  return ids;
}

WorkerCounts count_workers(const autoscaling::Group& group, int wanted, int minimum, const InstanceStates& states) {
  WorkerCounts c;
  c.wanted = wanted;
  c.minimum = minimum;
  c.desired = group.desired_capacity;
  for (const auto& i : group.instances) {
    const std::string& s = i.lifecycle_state;
    if (s == "InService") {
      auto it = states.find(i.instance_id);
      const std::string ec2_state = it == states.end() ? "" : it->second;
      if (ec2_state == "running") {
        ++c.in_service;
      } else if (ec2_state == "stopping" || ec2_state == "stopped") {
        ++c.stopped;
        c.stopped_ids.push_back(i.instance_id);
      } else if (ec2_state == "shutting-down" || ec2_state == "terminated") {
        ++c.leaving;
      } else {
        ++c.pending;  // pending (started again), or not visible to EC2 yet
      }
    } else if (s.rfind("Terminating", 0) == 0 || s == "Terminated" || s.rfind("Detach", 0) == 0 || s == "Standby") ++c.leaving;
    else ++c.pending;  // Pending, Pending:Wait, Pending:Proceed, Warmed:*
  }
  return c;
}

std::string describe_counts(const WorkerCounts& c) {
  std::string s = "workers " + std::to_string(c.in_service) + "/" + std::to_string(c.wanted) + " running";
  if (c.pending > 0) s += ", " + std::to_string(c.pending) + " pending";
  if (c.leaving > 0) s += ", " + std::to_string(c.leaving) + " terminating";
  if (c.stopped > 0) s += ", " + std::to_string(c.stopped) + " stopped";
  if (c.desired != c.wanted) s += " (group desired " + std::to_string(c.desired) + ")";
  return s;
}

WorkerVerdict worker_verdict(const WorkerCounts& c) {
  if (c.pending > 0 || c.leaving > 0) return WorkerVerdict::kWait;
  if (c.in_service >= c.wanted) return WorkerVerdict::kReady;
  // The capacity Lambda lowered the desired capacity to what launched: the group is settled.
  if (c.in_service >= c.minimum && c.in_service >= c.desired) return WorkerVerdict::kReady;
  if (c.in_service >= c.minimum) return WorkerVerdict::kShortfall;
  return WorkerVerdict::kBelowMinimum;
}

}  // namespace awsdl::internal::lifecycle
