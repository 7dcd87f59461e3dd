#pragma once
// The cluster lifecycle (DESIGN.md workflow 1): one cluster = one CloudFormation stack built
// from a ClusterSpec. Create it and watch it come up, see its nodes, resize it, delete it,
// find the clusters that exist. Every call returns a Result; long calls take a progress
// callback, a deadline and a cancellation token.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "awsdl/cluster/autostop.hpp"
#include "awsdl/cluster/preflight.hpp"
#include "awsdl/cluster/spec.hpp"
#include "awsdl/cluster/template.hpp"
#include "awsdl/config.hpp"
#include "awsdl/core/result.hpp"
#include "awsdl/core/runtime.hpp"
#include "awsdl/export.hpp"

namespace awsdl::cluster {

/// The tag every stack (and, through it, every resource) of a cluster carries; its value is the
/// cluster name. `list` finds clusters by it.
inline constexpr const char* kClusterTag = "awsdl:cluster";

/// The next steps (Error::next_steps, ClusterEvent::next_steps) the lifecycle suggests. The
/// detail is the cluster's name, except for ec2::next_step::kStartInstances (instance ids).
namespace next_step {
inline constexpr const char* kDescribe = "cluster.describe";  // Clusters::describe: see the cluster
inline constexpr const char* kResume = "cluster.resume";      // Clusters::resume: keep waiting for a create
inline constexpr const char* kRemove = "cluster.remove";      // Clusters::remove: delete the stack
/// Clusters::remove with DeleteOptions::delete_file_system (the cluster's created FSx for
/// Lustre file system goes with its stack).
inline constexpr const char* kRemoveWithFileSystem = "cluster.remove_with_file_system";
/// Give CreateOptions::template_bucket (or ClusterSpec::staging_bucket); detail empty.
inline constexpr const char* kTemplateBucket = "cluster.template_bucket";
/// Clusters::bootstrap_tail: the node whose bootstrap (user data) failed; detail: its instance id.
inline constexpr const char* kBootstrapTail = "cluster.bootstrap_tail";
}  // namespace next_step

/// One thing that happened while a cluster was created, resized or deleted: a stack event
/// (resource, status, reason) or a summary line ("workers 3/4 running").
struct AWSDL_EXPORT ClusterEvent {
  std::string timestamp;      // ISO 8601, from the service when it came from a stack event
  std::string logical_id;     // empty for summary lines
  std::string resource_type;
  std::string status;         // CREATE_IN_PROGRESS, CREATE_FAILED, ...
  std::string reason;
  std::string message;        // one line for people
  /// What the reader may want to do about it (a stopped worker: start it); usually empty.
  std::vector<NextStep> next_steps;
};

enum class NodeRole { kMaster, kWorker };

struct AWSDL_EXPORT Node {
  NodeRole role = NodeRole::kWorker;
  std::string instance_id;
  std::string instance_type;
  std::string state;          // pending, running, ...
  std::string private_ip;
  std::string public_ip;      // empty for workers (private subnet)
  std::string private_dns;
  std::string availability_zone;
  int gpus = 0;               // from DescribeInstanceTypes; 0 also when it failed (ClusterInfo::gpus_unknown)
};

struct AWSDL_EXPORT ClusterInfo {
  std::string name;
  std::string stack_id;
  std::string status;         // the stack's status
  std::string status_reason;
  std::string created;        // stack creation time
  std::string master_group;   // Auto Scaling group names
  std::string worker_group;
  int desired_workers = 0;
  int min_workers = 0;
  std::string efs_id;
  std::string mount_point;
  /// What the instance role may do for an autostop watcher (the stack's Autostop parameter;
  /// kOff for a stack without it).
  AutostopAction autostop = AutostopAction::kOff;
  std::vector<Node> nodes;    // master first, then workers by launch order; filled by describe()
  /// Why the nodes' GPU counts are unknown (0): DescribeInstanceTypes was refused (no
  /// ec2:DescribeInstanceTypes permission) or did not know a type. Transient failures of
  /// that call fail describe() instead.
  std::optional<Error> gpus_unknown;

  const Node* master() const;
  std::vector<Node> workers() const;
};

/// How far a node's bootstrap (its user data, run by cloud-init) got, from its console.
enum class BootstrapState {
  kNoOutput,   // nothing posted yet (the instance is pending or just started)
  kRunning,    // cloud-init has not finished
  kFinished,   // cloud-init finished and the user data did not fail
  kFailed,     // cloud-init reported that the user data script failed
};

/// The end of a node's cloud-init output: what `create`, `resize` and the supervisor show
/// when a node's bootstrap failed, instead of a bare timeout.
struct AWSDL_EXPORT BootstrapTail {
  std::string instance_id;
  BootstrapState state = BootstrapState::kNoOutput;
  std::vector<std::string> lines;  // the last lines, oldest first (no kernel timestamps stripped)
  std::string source;              // where they came from: "GetConsoleOutput"
};

/// Reads a console's text (GetConsoleOutput's, or /var/log/cloud-init-output.log): the state,
/// and its last `lines` non-empty lines. Failure is cloud-init's own report of a failed user
/// data script ("Failed running /var/lib/cloud/instance/scripts/..." or "Failed to run module
/// scripts-user"); finished is its "Cloud-init v. ... finished at" line.
AWSDL_EXPORT BootstrapTail read_bootstrap(std::string_view console, std::size_t lines = 20);

struct AWSDL_EXPORT CreateOptions {
  std::function<void(const ClusterEvent&)> on_event;
  Deadline deadline;          // default: 60 minutes from the call
  CancellationToken cancel;
  /// Bucket (and key prefix) for templates over CloudFormation's 51,200-byte body limit;
  /// empty: the spec's staging bucket; neither: such a template is an error before any call.
  std::string template_bucket;
  std::string template_prefix = "awsdl/templates/";
  /// First delay between polls of the stack; it grows 1.5x per poll up to 4x this.
  Millis poll_interval{std::chrono::seconds(5)};
};

struct AWSDL_EXPORT DeleteOptions {
  std::function<void(const ClusterEvent&)> on_event;
  Deadline deadline;
  CancellationToken cancel;
  /// The created EFS is retained unless asked. A created FSx for Lustre file system lives in the
  /// stack's subnet and goes with it: without this, remove refuses (FileSystemGoesWithTheStack).
  bool delete_file_system = false;
  Millis poll_interval{std::chrono::seconds(5)};
};

struct AWSDL_EXPORT ResizeOptions {
  std::function<void(const ClusterEvent&)> on_event;
  Deadline deadline;
  CancellationToken cancel;
  bool wait = true;           // wait until the workers run (or terminate)
  Millis poll_interval{std::chrono::seconds(5)};
  /// Falling back across the cluster's candidate zones and markets (kept by create) stops
  /// after this long (ClusterSpec::capacity.capacity_timeout_seconds at create time).
  int capacity_timeout_seconds = 600;
  /// With `wait`, a grown cluster's new workers are watched until cloud-init finished on each
  /// (their consoles, GetConsoleOutput): a failed bootstrap is "WorkerBootstrapFailed" with the
  /// tail of its output. One not finished after this long, or whose console EC2 only posts
  /// around state changes (not a Nitro instance), is an event, not an error.
  int bootstrap_timeout_seconds = 900;
};

/// When a planned call is made: once at the start, again on every poll until the operation
/// ends, or once at the end.
enum class CallPhase { kStart, kPoll, kFinish };

/// One AWS call an operation would make (a dry run prints it): the service ("cloudformation"),
/// the operation ("CreateStack") and its parameters as the request names them
/// ("Parameters.WorkerCount" = "4"); a value the call makes up or learns on the way is written
/// in angle brackets ("<generated>", "<the stack's groups>").
struct AWSDL_EXPORT PlannedCall {
  std::string service;
  std::string operation;
  std::vector<std::pair<std::string, std::string>> parameters;
  CallPhase phase = CallPhase::kStart;
};

/// What Clusters::create would do, without doing it: its calls in order (see plan_create).
struct AWSDL_EXPORT CreatePlan {
  std::vector<PlannedCall> calls;
  std::size_t template_bytes = 0;  // the template's size (over kMaxTemplateBodyBytes: uploaded to S3)
  std::size_t resource_count = 0;  // resources in the template (StackTemplate::resource_count)
  int workers = 0;                 // the spec's worker count and the fewest create accepts
  int min_workers = 0;
};

/// Whether `zone` names an availability zone of `region`: the region's name and one letter
/// ("eu-west-1b" in eu-west-1), or a Local or Wavelength Zone of it ("us-west-2-lax-1a" in
/// us-west-2). No call is made: AWS names zones after their region.
AWSDL_EXPORT bool zone_in_region(std::string_view zone, std::string_view region);

/// kInvalidArgument "ZoneNotInRegion" when the spec names an availability zone that is not
/// in `region`, saying which region the zone belongs to and what to change; success when it
/// names no zone or `region` is empty (nothing to check against). create() checks this
/// before any call.
AWSDL_EXPORT Status check_zone(const ClusterSpec& spec, std::string_view region);

/// The calls `create(spec, options)` would make in `region`, making none: the same checks
/// first (validate, check_zone, the template's size without a bucket: "TemplateTooLarge"),
/// then the template upload (an oversized template: s3 PutObject with the key create would
/// use), CreateStack with every parameter create sends, the polls until the stack is complete
/// and enough workers run, and the calls that describe the cluster at the end.
AWSDL_EXPORT Result<CreatePlan> plan_create(const ClusterSpec& spec, const CreateOptions& options = {},
                                            std::string_view region = {});
/// The calls `Clusters::resume(name)` would make, making none.
AWSDL_EXPORT std::vector<PlannedCall> plan_resume(const std::string& name);
/// The calls `Clusters::remove(name, options)` would make, making none: the stack found by
/// name, its events so far (only the deletion's are reported), DeleteStack by stack id, the
/// polls of its events until it is gone and, with `delete_file_system`, EFS DeleteFileSystem
/// of the file system the stack created. A bad name: kInvalidArgument "InvalidClusterName",
/// as remove() returns it.
AWSDL_EXPORT Result<std::vector<PlannedCall>> plan_remove(const std::string& name, const DeleteOptions& options = {});
/// The calls `Clusters::resize(name, workers, options)` would make when the count changes,
/// making none: the stack found by name, its events so far, UpdateStack with the previous
/// template and values but WorkerCount (and MinWorkerCount when it was above `workers`), the
/// polls until the update is complete (and, with `wait`, the workers settled), and the calls
/// that describe the cluster at the end. A count below 1 or a bad name: the kInvalidArgument
/// resize() returns.
AWSDL_EXPORT Result<std::vector<PlannedCall>> plan_resize(const std::string& name, int workers,
                                                          const ResizeOptions& options = {});

class AWSDL_EXPORT Clusters {
 public:
  explicit Clusters(Config config);
  ~Clusters();
  Clusters(const Clusters&);
  Clusters& operator=(const Clusters&);

  /// Validates the spec, checks its zone against the configured region (check_zone) and builds
  /// the template before any call (kInvalidArgument; a template over the body limit with no
  /// bucket: "TemplateTooLarge"), uploads an oversized template to
  /// S3 (TemplateURL), then CreateStack (ClientRequestToken, kClusterTag, OnFailure ROLLBACK) and
  /// waits: each new stack event once, oldest first, plus summary lines ("workers 3/4 running"),
  /// until the stack is complete and the workers settled with at least min_workers running.
  /// Errors: a name that exists is kService "ClusterExists" (never a second stack); a failed
  /// create is kService "ClusterCreateFailed" naming the failed resources' reasons (the stack
  /// rolled back: no instance left, a created EFS retained; the name stays taken until
  /// `remove`); too few workers once settled: kService "WorkerShortfall"; the deadline:
  /// kTimeout "ClusterTimeout"; cancellation: kCancelled. Interrupted, the stack keeps creating:
  /// `resume` continues waiting, `remove` deletes it; every error message says which.
  Result<ClusterInfo> create(const ClusterSpec& spec, const CreateOptions& options = {});
  /// The checks create() makes before any CreateStack (preflight.hpp), as a report: per check
  /// what was asked, found and the verdict; the candidate zones; each type's vCPUs, GPUs,
  /// architecture and EFA; the quotas. An error only when the spec is invalid or a call failed
  /// (after the client's retries); failed checks are in the report (PreflightReport::status).
  Result<PreflightReport> preflight(const ClusterSpec& spec, const PreflightOptions& options = {}) const;
  /// The same with the template build_template(spec) returned (for a caller that shows it or
  /// counts its resources first: it is not built twice). A template of another spec is the
  /// caller's mistake: its parameters are the ones sent.
  Result<ClusterInfo> create(const ClusterSpec& spec, const StackTemplate& tpl, const CreateOptions& options = {});
  /// Continues after an interrupted create: CREATE_IN_PROGRESS (or rolling back) -> watch it
  /// (the events so far are reported first); complete -> describe; failed or rolled back ->
  /// "ClusterCreateFailed" naming `remove`.
  Result<ClusterInfo> resume(const std::string& name, const CreateOptions& options = {});
  /// Stack status, groups and nodes (master first, then workers by launch time; instances
  /// shutting down or terminated left out); desired_workers is the worker group's desired
  /// capacity. kNotFound "ClusterNotFound"; a stack without kClusterTag: "NotACluster".
  Result<ClusterInfo> describe(const std::string& name) const;
  /// UpdateStack with the previous template: WorkerCount = workers, and MinWorkerCount lowered
  /// to workers when it was above (the stack stays the truth, so a later update keeps the size).
  /// Waits for UPDATE_COMPLETE (only this update's events are reported) and, with `wait`, for
  /// the workers to launch or terminate. A failed update rolls back: "ClusterResizeFailed".
  Result<ClusterInfo> resize(const std::string& name, int workers, const ResizeOptions& options = {});
  /// UpdateStack with the previous template and values but Autostop: the instance role gains
  /// the one permission `action` needs (kOff: loses both), and waits for UPDATE_COMPLETE. No
  /// update when the stack already says so. A stack whose template has no Autostop parameter
  /// (made by an older libawsdl): kInvalidArgument "AutostopUnsupported". Not complete or
  /// failing: as resize ("ClusterNotReady", "ClusterUpdateFailed").
  Result<ClusterInfo> set_autostop(const std::string& name, AutostopAction action, const ResizeOptions& options = {});
  /// Deletes the stack and waits until it is gone (failed deletions: "ClusterDeleteFailed" with
  /// the reasons). The EFS file system the stack created is retained unless
  /// `delete_file_system`, then deleted after the stack; a reused one is never deleted.
  /// A cluster that does not exist: kNotFound "ClusterNotFound".
  Status remove(const std::string& name, const DeleteOptions& options = {});
  /// Every cluster (stack carrying kClusterTag) that is not deleted, by name; nodes not filled,
  /// desired_workers from the stack's WorkerCount.
  Result<std::vector<ClusterInfo>> list() const;
  /// The end of a node's cloud-init output (EC2 GetConsoleOutput, the latest output where the
  /// instance type offers it), read by read_bootstrap. A terminated instance's console stays
  /// readable for a while (AWS keeps it at least an hour). Errors: EC2's (an unknown id:
  /// InvalidInstanceID.NotFound).
  Result<BootstrapTail> bootstrap_tail(const std::string& instance_id, std::size_t lines = 20,
                                       const CallOptions& options = {}) const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace awsdl::cluster
