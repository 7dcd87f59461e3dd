// Worker counts and the shortfall rule: a cluster is ready when every wanted worker runs, or
// when launches stopped (the capacity Lambda lowered the group's desired capacity, or nothing
// is pending any more) with at least the minimum running.
#include "cluster/lifecycle_internal.hpp"

namespace awsdl::internal::lifecycle {

WorkerCounts count_workers(const autoscaling::Group& group, int wanted, int minimum) {
  WorkerCounts c;
  c.wanted = wanted;
  c.minimum = minimum;
  c.desired = group.desired_capacity;
  for (const auto& i : group.instances) {
    const std::string& s = i.lifecycle_state;
    if (s == "InService") ++c.in_service;
    else if (s.rfind("Terminating", 0) == 0 || s == "Terminated" || s.rfind("Detach", 0) == 0 || s == "Standby") ++c.leaving;
    else ++c.pending;  // Pending, Pending:Wait, Pending:Proceed, Warmed:*
  }
  return c;
}

std::string describe_counts(const WorkerCounts& c) {
  std::string s = "workers " + std::to_string(c.in_service) + "/" + std::to_string(c.wanted) + " running";
  if (c.pending > 0) s += ", " + std::to_string(c.pending) + " pending";
  if (c.leaving > 0) s += ", " + std::to_string(c.leaving) + " terminating";
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
