#pragma once
// A cluster at a moment, cheap to take every few seconds: the stack's status and recent events,
// every node (role, type, zone, state, addresses), per node the health check's verdict, each
// GPU's utilisation and memory, the CPU load and the free space of the shared directory, the
// jobs `run` started, the tail of the job's log, and metrics parsed from that log with NAME=REGEX
// definitions (SageMaker's metric definition form), kept as bounded series.
//
// One SSH command per node per snapshot, over sessions kept open between snapshots (rebuilt only
// when the cluster's node set changes), plus DescribeStacks/DescribeStackEvents/Auto Scaling and
// EC2 describes through Clusters::describe. The log is read incrementally: each snapshot fetches
// only what was appended since the last one (at most MonitorOptions::max_log_bytes), so metrics
// see every line once. A node that was there and is gone is reported as lost; a deleted cluster
// gives a snapshot saying so rather than an error.
//
// The dashboard (awsdl-cluster dashboard), `status --watch` and the resilience supervisor watch
// with the same snapshots.

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "awsdl/cluster/health.hpp"
#include "awsdl/cluster/lifecycle.hpp"
#include "awsdl/core/result.hpp"
#include "awsdl/ssh/fanout.hpp"
#include "awsdl/ssh/process.hpp"

namespace awsdl::cluster {

/// "NAME=REGEX": the value is the first capture group of each match, a decimal number
/// (exponent form too). REGEX is a POSIX extended expression; \d \D \s \S \w \W are accepted
/// as in SageMaker's (Python) definitions.
struct AWSDL_EXPORT MetricDefinition {
  std::string name;
  std::string regex;
};

/// kInvalidArgument "BadMetricDefinition": no '=', a name that is not [A-Za-z_][A-Za-z0-9_.:/-]*
/// (at most 255 characters), an expression that does not compile or has no capture group.
AWSDL_EXPORT Result<MetricDefinition> parse_metric_definition(std::string_view text);

struct AWSDL_EXPORT MetricPoint {
  std::uint64_t line = 0;  // the log line it came from, 1-based, counted from the first byte read
  WallTime at{};           // when the snapshot that read the line was taken
  double value = 0;
};

/// Metric values parsed from a log as it grows. A line that matches several times gives a
/// point per match; a line longer than `max_line_bytes` is skipped (counted, not parsed).
/// Each series keeps its newest `max_points`.
class AWSDL_EXPORT MetricTracker {
 public:
  static Result<MetricTracker> make(std::vector<MetricDefinition> definitions, std::size_t max_points = 1000,
                                    std::size_t max_line_bytes = 1u << 20);
  MetricTracker(MetricTracker&&) noexcept;
  MetricTracker& operator=(MetricTracker&&) noexcept;
  ~MetricTracker();

  /// More of the log. An unfinished last line waits for the rest.
  void feed(std::string_view text, WallTime at);
  const std::vector<MetricDefinition>& definitions() const;
  /// name -> points, oldest first; every definition has an entry.
  const std::map<std::string, std::vector<MetricPoint>>& series() const;
  std::uint64_t lines() const;          // complete lines seen
  std::uint64_t skipped_lines() const;  // over max_line_bytes

 private:
  struct Impl;
  explicit MetricTracker(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

struct AWSDL_EXPORT GpuSample {
  int index = 0;
  int utilization_percent = 0;
  std::uint64_t memory_used_mib = 0;
  std::uint64_t memory_total_mib = 0;
};

struct AWSDL_EXPORT NodeSample {
  Node node;                      // from Clusters::describe (the last one seen, for a lost node)
  std::string host;               // as reached over SSH; empty when the node has no address
  bool lost = false;              // in an earlier snapshot, gone from the cluster now
  bool reachable = false;
  std::optional<Error> error;     // why the probe did not answer
  std::optional<NodeHealth> health;
  std::vector<GpuSample> gpus;    // empty: no GPUs (nvidia-smi absent or failing)
  double load1 = -1;              // /proc/loadavg's first field; -1 unknown
  int cpus = 0;
  std::optional<std::uint64_t> shared_free_bytes;
  /// From MonitorOptions::notices_path (the supervisor's IMDS watcher): the bodies of IMDS
  /// spot/instance-action and events/recommendations/rebalance; empty: none.
  std::string spot_notice;
  std::string rebalance;
};

struct AWSDL_EXPORT JobSample {
  ssh::RemoteJob job;
  bool running = false;
  int processes = 0;              // of the job's process group found running
  std::optional<Error> error;     // the job's state could not be read
};

struct AWSDL_EXPORT Snapshot {
  WallTime at{};
  Millis took{0};
  bool cluster_exists = true;     // false once the stack is gone (deleted): nodes are all lost
  std::string stack_status;
  std::vector<ClusterEvent> events;       // the newest stack events, oldest first
  std::vector<NodeSample> nodes;          // the master first, then workers, then lost nodes
  std::vector<JobSample> jobs;
  std::vector<std::string> log_tail;      // the newest lines of the first job's log
  std::uint64_t log_lines = 0;            // lines of that log read so far (the tail's last is this one)
  std::map<std::string, std::vector<MetricPoint>> metrics;
  int ssh_commands = 0;                   // sent for this snapshot
  int aws_calls = 0;                      // made for this snapshot (Clusters::describe's and the events')
};

struct AWSDL_EXPORT MonitorOptions {
  std::string cluster;                    // the cluster's name
  std::string user = "ubuntu";            // SSH user on every node
  /// Sessions: key, known_hosts, jump host (awsdl-cluster reaches every node through the master).
  ssh::FanOutOptions fan;
  HealthOptions health;                   // stray_pattern is ignored: the job's processes are expected
  std::vector<MetricDefinition> metrics;
  std::vector<ssh::RemoteJob> jobs;       // the jobs `run` started; the first one's log is tailed
  std::size_t log_tail_lines = 50;
  std::size_t max_log_bytes = 4u << 20;   // read per snapshot at most (the newest part when more)
  std::size_t max_points = 1000;
  std::size_t events = 20;
  /// A file on every node holding "spot=BODY" / "rebalance=BODY" lines (written by the
  /// supervisor's IMDS watcher); "{address}" in it is each node's address; empty: not read.
  std::string notices_path;
  CancellationToken cancel;
};

class AWSDL_EXPORT Monitor {
 public:
  /// kInvalidArgument for a bad metric definition or an empty cluster name; no I/O.
  static Result<Monitor> make(const Config& config, MonitorOptions options);
  Monitor(Monitor&&) noexcept;
  Monitor& operator=(Monitor&&) noexcept;
  ~Monitor();

  /// One snapshot. Fails only when the cluster cannot be looked at (credentials, the network);
  /// every node's and job's own failure is in the snapshot.
  Result<Snapshot> snapshot();

 private:
  struct Impl;
  explicit Monitor(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// The probe a snapshot runs on each node (the health probe plus GPU, load and shared-space
/// lines), and its parser: exposed for tests and for callers that run it their own way.
AWSDL_EXPORT std::string monitor_probe_script(const HealthOptions& health);
AWSDL_EXPORT void parse_monitor_probe(const std::string& output, NodeSample& into, const HealthOptions& health);

}  // namespace awsdl::cluster
