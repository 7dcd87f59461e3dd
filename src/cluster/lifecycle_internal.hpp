#pragma once
// Shared by the lifecycle's files: the clients a cluster is driven with, the stack-event feed,
// the worker-count verdict, and the poll loop that watches a stack operation to its end.

#include <functional>
#include <initializer_list>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "awsdl/autoscaling/autoscaling.hpp"
#include "awsdl/cloudformation/cloudformation.hpp"
#include "awsdl/cluster/lifecycle.hpp"
#include "awsdl/cluster/template.hpp"
#include "awsdl/config.hpp"
#include "awsdl/core/retry.hpp"
#include "awsdl/ec2/ec2.hpp"
#include "awsdl/efs/efs.hpp"
#include "awsdl/fsx/fsx.hpp"
#include "awsdl/s3/client.hpp"
#include "awsdl/servicequotas/servicequotas.hpp"
#include "cluster/lifecycle_fallback.hpp"
#include "awsdl/ssm/ssm.hpp"

namespace awsdl::internal::lifecycle {

using cloudformation::StackEvent;
using EventCallback = std::function<void(const cluster::ClusterEvent&)>;

/// Everything a cluster is driven with; clients do no I/O when made.
struct Clients {
  explicit Clients(Config c);
  Config config;
  cloudformation::CloudFormationClient cfn;
  autoscaling::AutoScalingClient asg;
  ec2::Ec2Client ec2;
  s3::S3Client s3;
  efs::EfsClient efs;
  ssm::SsmClient ssm;
  servicequotas::ServiceQuotasClient quotas;
  fsx::FsxClient fsx;
};

/// Turns DescribeStackEvents pages (newest first) into each new event once, oldest first.
/// An event is new when it is newer than every event seen before: scanning stops at the first
/// known one, so events older than a primed page are never reported.
class EventFeed {
 public:
  /// Marks the page as seen without reporting it (an update or delete reports only its own).
  void prime(const std::vector<StackEvent>& newest_first);
  /// The events of `newest_first` not seen before, oldest first. `complete` is false (and
  /// nothing is taken) when no known event was found in a page of `page_limit` or more events:
  /// older new events may lie beyond it, and the caller should fetch every page and call again
  /// with `page_limit` 0 (the list is everything).
  std::vector<StackEvent> take(const std::vector<StackEvent>& newest_first, std::size_t page_limit, bool& complete);
  bool empty() const { return seen_.empty(); }
  /// Every event taken, oldest first.
  const std::vector<StackEvent>& history() const { return history_; }

 private:
  std::set<std::string> seen_;
  std::vector<StackEvent> history_;
};

/// The stack's own status as its events tell it (events of the stack itself, newest wins), or
/// "" when none was seen.
std::string stack_status_from(const std::vector<StackEvent>& oldest_first, const std::string& stack_id,
                              const std::string& stack_name);

/// "WorkerGroup (AWS::AutoScaling::AutoScalingGroup) CREATE_FAILED: reason; ..." for the failed
/// resources among `oldest_first`, at most 10.
std::string failure_reasons(const std::vector<StackEvent>& oldest_first);

cluster::ClusterEvent to_cluster_event(const StackEvent& e);
cluster::ClusterEvent summary_event(const Config& config, std::string message);

/// A group's instances by lifecycle and, for those Auto Scaling calls InService, by their EC2
/// state: Auto Scaling keeps a stopped instance InService until its health check replaces it.
struct WorkerCounts {
  int wanted = 0;    // what the cluster asks for (WorkerCount)
  int minimum = 0;   // the fewest it accepts (MinWorkerCount)
  int desired = 0;   // the group's desired capacity now (the capacity Lambda may lower it)
  int in_service = 0;  // InService and running in EC2: the workers that run
  int pending = 0;     // launching, or InService but EC2 pending (or not yet visible to EC2)
  int leaving = 0;     // terminating
  int stopped = 0;     // InService but stopping or stopped in EC2: not running, and nothing will start them
  std::vector<std::string> stopped_ids;
};

/// Instance id -> EC2 state name ("running", "stopped", ...).
using InstanceStates = std::map<std::string, std::string>;

/// The EC2 states of `ids` (DescribeInstances in batches). Instances EC2 does not know yet
/// (InvalidInstanceID.NotFound, eventual consistency) are left out of the answer.
Result<InstanceStates> instance_states(const Clients& c, const std::vector<std::string>& ids, const CallOptions& call);

/// The ids of the group's InService instances (those whose EC2 state counts).
std::vector<std::string> in_service_ids(const autoscaling::Group& group);

/// `states`: the EC2 states of the group's InService instances; one missing counts as pending.
WorkerCounts count_workers(const autoscaling::Group& group, int wanted, int minimum, const InstanceStates& states);
std::string describe_counts(const WorkerCounts& c);

enum class WorkerVerdict {
  kReady,         // at least what is wanted runs, or the group settled at or above the minimum
  kWait,          // launches or terminations are under way
  kShortfall,     // nothing under way, fewer than wanted but at least the minimum: acceptable once stable
  kBelowMinimum,  // nothing under way and fewer than the minimum: a failure once stable
};

WorkerVerdict worker_verdict(const WorkerCounts& c);

/// How long to watch and how to report.
struct WatchSpec {
  std::string cluster;      // for messages
  std::string stack;        // stack id (events of a deleted stack stay readable by id)
  std::string stack_name;
  const EventCallback* on_event = nullptr;
  Deadline deadline;
  CancellationToken cancel;
  Millis poll{5000};
  std::string worker_group;  // known already (update), or learnt from the WorkerGroup events (create)
  int wanted = 0;
  int minimum = 0;
  /// When set, settle_workers moves the cluster on capacity failures (lifecycle_fallback.hpp).
  CapacityFallback* fallback = nullptr;
};

/// A watch of cluster `name` (stack id still unknown) with the caller's callback, deadline
/// (default: 60 minutes from now), cancellation and poll interval.
WatchSpec watch_for(const Clients& c, const std::string& name, const EventCallback& on_event, const Deadline& deadline,
                    const CancellationToken& cancel, Millis poll);
/// The deadline and cancellation of `w`, for one call.
CallOptions call_options(const WatchSpec& w);

/// How an operation ended: the stack's final status, every event seen.
struct WatchOutcome {
  std::string status;
  std::string worker_group;
};

/// Polls DescribeStackEvents (and, once the worker group exists, DescribeAutoScalingGroups for
/// summary lines) until the stack's status is no longer *_IN_PROGRESS. Transient errors that
/// survive the client's retries are tolerated a few polls in a row. Deadline: kTimeout
/// "ClusterTimeout"; cancellation: kCancelled "Cancelled" (messages from `how_to_continue`).
Result<WatchOutcome> watch_stack(const Clients& c, WatchSpec& spec, EventFeed& feed, const std::string& how_to_continue);

/// After the stack completed: waits until the worker group settles. Below the minimum is
/// kService "WorkerShortfall" with the group's latest failed launch reason. With a fallback,
/// a fresh capacity failure while workers are missing moves the cluster (next zone, then
/// on-demand), each move a ClusterEvent; out of moves or past its timeout, at least the
/// minimum is accepted, fewer is "WorkerShortfall" naming every attempt.
Status settle_workers(const Clients& c, WatchSpec& spec, const std::string& how_to_continue);

/// How a watch polls: 1.5x the poll interval per poll, at most 4x, within its deadline;
/// cancellation and the deadline end it with `cancelled` / `timed_out` errors.
PollOptions watch_poll_options(const WatchSpec& spec, std::function<Error()> cancelled,
                               std::function<Error(const std::string& last_state)> timed_out);

/// `e` with next steps for cluster `name` (cluster::next_step actions), after those it has.
Error suggest(Error e, std::initializer_list<const char*> actions, const std::string& cluster);
/// The same for the error of `r`, if it holds one.
template <typename T>
Result<T> suggest(Result<T> r, std::initializer_list<const char*> actions, const std::string& cluster) {
  if (r.ok()) return r;
  return suggest(std::move(r).error(), actions, cluster);
}

/// Whether an error is worth another poll (throttling, 5xx, network).
bool transient(const Error& e);

/// The stack of cluster `name`: kNotFound "ClusterNotFound" when there is none, kInvalidArgument
/// "NotACluster" when the stack does not carry kClusterTag.
Result<cloudformation::Stack> find_cluster_stack(const Clients& c, const std::string& name, const CallOptions& call);

/// Describes the cluster behind an already fetched stack (groups, instances, GPU counts).
Result<cluster::ClusterInfo> describe_stack(const Clients& c, const cloudformation::Stack& stack,
                                            const CallOptions& call);
cluster::ClusterInfo info_from_stack(const cloudformation::Stack& stack);

/// The value of the stack's parameter `key`, or "".
std::string stack_parameter(const cloudformation::Stack& stack, const std::string& key);
/// A count parameter as a number (0 when absent or not a number).
int stack_count(const cloudformation::Stack& stack, const std::string& key);

/// The requests create() makes for a built template, before any call: where an oversized
/// template goes (bucket and key; empty for a body sent inline) and the CreateStack request
/// (no template URL and no idempotency token yet: create() adds them). A template over the
/// body limit with no bucket: "TemplateTooLarge". plan_create() describes the same requests.
struct CreateRequests {
  std::string bucket;
  std::string key;
  cloudformation::CreateStackRequest stack;
};
Result<CreateRequests> create_requests(const cluster::ClusterSpec& spec, const cluster::StackTemplate& tpl,
                                       const cluster::CreateOptions& options);

/// create(), with the template already built (the public create() builds it from the spec).
/// `preflight`: the report create() got (its resolved zones feed the capacity fallback).
Result<cluster::ClusterInfo> create_with_template(const Clients& c, const cluster::ClusterSpec& spec,
                                                  const cluster::StackTemplate& tpl,
                                                  const cluster::CreateOptions& options,
                                                  const cluster::PreflightReport* preflight = nullptr);

/// The S3 key a template of `body` is uploaded to, and the path-style URL of that object on the
/// configured S3 endpoint.
std::string template_key(const std::string& prefix, const std::string& cluster, const std::string& body);
Result<std::string> template_url(const Config& config, const std::string& bucket, const std::string& key);

/// DeleteStack (after the stack's current operation, if any, ends) and watch until it is gone.
/// `w.stack` is the stack id. The events of the deletion go to w's callback.
Status delete_stack(const Clients& c, WatchSpec& w);

/// EFS DeleteFileSystem after its stack is gone; FileSystemInUse (mount targets still being
/// deleted) is waited out within the deadline; one already gone is what was asked.
Status delete_file_system(const Clients& c, const std::string& file_system_id, const Deadline& deadline,
                          const CancellationToken& cancel);

/// The end of an instance's cloud-init output (GetConsoleOutput; latest where offered).
Result<cluster::BootstrapTail> bootstrap_tail(const Clients& c, const std::string& instance_id, std::size_t lines,
                                              const CallOptions& call);
/// "the master's bootstrap failed (instance i-1); the end of its cloud-init output (...):" and
/// the lines, each on its own indented line.
std::string describe_failed_bootstrap(const std::string& role, const cluster::BootstrapTail& t);
/// `e` (a failed create) with the tails of the stack's nodes whose bootstrap failed (master
/// first, at most two shown) and a cluster::next_step::kBootstrapTail per node; `e` unchanged
/// when none failed or the consoles could not be read.
Error with_bootstrap_tails(const Clients& c, const std::string& stack_id, Error e, const CallOptions& call);
/// Polls the consoles of `ids` (new workers) until cloud-init finished on each: a failure is
/// kService "WorkerBootstrapFailed" with the tail. Not finished within `timeout`, or a console
/// that is only buffered (not a Nitro instance: EC2 does not keep posting it), is an event, not
/// an error: the workers are InService and showed no failure. An instance gone meanwhile is not
/// waited for.
Status wait_bootstrapped(const Clients& c, WatchSpec& w, std::vector<std::string> ids, Millis timeout,
                         const std::string& how);

}  // namespace awsdl::internal::lifecycle

namespace awsdl::internal::preflight {
/// Clusters::preflight after the spec's own checks (preflight.cpp).
Result<cluster::PreflightReport> run(const lifecycle::Clients& c, const cluster::ClusterSpec& spec,
                                     const cluster::PreflightOptions& options);
/// Before a resize adds `added` workers: their type exists and the vCPU quota of their family
/// and market covers them beside what already runs.
Result<cluster::PreflightReport> run_for_resize(const lifecycle::Clients& c, const cloudformation::Stack& stack,
                                                int added, const CallOptions& call);
}  // namespace awsdl::internal::preflight

namespace awsdl::cluster {

/// The handle's state: one set of clients shared by the copies of a Clusters.
struct Clusters::Impl {
  explicit Impl(Config config) : c(std::move(config)) {}
  internal::lifecycle::Clients c;
};

}  // namespace awsdl::cluster
