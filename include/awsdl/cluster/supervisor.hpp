#pragma once
// A supervised MPI run: started on the master as `awsdl-cluster run` starts it (hostfile,
// workers and env files in a directory of the shared file system, mpirun detached in its own
// process group), then watched with Monitor snapshots every `poll_interval` until it ends. A
// small watcher started on each node with the job reads IMDSv2 (spot/instance-action and
// events/recommendations/rebalance) and leaves what it finds in a file the snapshots read.
//
// On a failure (a node's instance gone, a node unreachable or failing its health check, a GPU
// lost, a spot notice, or with `restart_on_exit` a non-zero exit) the supervisor:
//   1. on a spot notice first signals mpirun (checkpoint_signal, which mpirun forwards to the
//      ranks) and waits up to checkpoint_grace or until the node goes;
//   2. stops every process of the job exactly (its process group on the master; mpirun ends
//      the ranks on the other nodes) and the watchers;
//   3. marks a sick node Unhealthy (SetInstanceHealth) so its group replaces it, and waits for
//      the worker count to come back (Clusters::resize to the same count: a group that cannot
//      launch in its zone or market is moved by the capacity fallback create recorded), or
//      after replace_timeout goes on with min_workers;
//   4. health-checks the nodes (a snapshot), rewrites hostfile, workers and env files;
//   5. after a backoff relaunches the same command with AWSDL_RESTART=<n> and AWSDL_RESUME=1 in
//      every rank's environment, up to `restarts` times.
// A job that exits non-zero with every node healthy is not restarted unless restart_on_exit.
// Every step is an event; the result lists the incidents. The library prints nothing.
//
// The resumable training contract: a program checkpoints to the shared file system, and when
// AWSDL_RESUME=1 resumes from its newest checkpoint; it may checkpoint on checkpoint_signal.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "awsdl/cluster/health.hpp"
#include "awsdl/cluster/lifecycle.hpp"
#include "awsdl/core/result.hpp"
#include "awsdl/core/retry.hpp"
#include "awsdl/mpi/launch.hpp"
#include "awsdl/ssh/fanout.hpp"
#include "awsdl/ssh/process.hpp"

namespace awsdl::cluster {

/// "SIGUSR1", "USR1" or "10" -> 10. kInvalidArgument "BadSignal" for anything else (0 too).
AWSDL_EXPORT Result<int> parse_signal(std::string_view text);

struct AWSDL_EXPORT SupervisorOptions {
  std::string cluster;                     // the cluster's name
  std::string user = "ubuntu";             // SSH user on every node
  ssh::FanOutOptions fan;                  // reaches every node (awsdl-cluster: through the master)
  HealthOptions health;                    // stray_pattern is ignored
  std::vector<std::string> command;        // the program and its arguments
  /// mpirun's options; hosts and hostfile are the supervisor's (each launch's node set).
  mpi::MpirunOptions mpirun;
  std::string shared_dir;                  // on the master (shared FS): hostfile, workers, env, logs
  std::string workdir;                     // the job's working directory; empty: the login directory
  int slots_per_node = 0;                  // 0: the node's GPUs, at least 1
  int restarts = 0;                        // relaunches allowed, 0..1000
  bool restart_on_exit = false;            // restart a non-zero exit on healthy nodes too
  int checkpoint_signal = 10;              // SIGUSR1
  Millis checkpoint_grace = std::chrono::seconds(90);
  Millis replace_timeout = std::chrono::minutes(10);
  Millis poll_interval = std::chrono::seconds(5);
  /// Workers to go on with when the group has not replaced a node within replace_timeout;
  /// -1: as many as the run started with (never fewer).
  int min_workers = -1;
  /// Consecutive snapshots a node must fail to answer before it counts as unreachable.
  int unreachable_polls = 2;
  /// The IMDS the node watchers read; "{address}" is replaced by the node's private address.
  std::string imds_url = "http://169.254.169.254";
  /// How long the node watchers outlive a supervisor that died without ending them (they run
  /// while it renews their lease, every fifth of this, at its polls); at least 1 s, and never
  /// less than 3 poll intervals is used. The nodes count it in whole seconds: a watcher may
  /// run up to 2 s longer, never shorter.
  Millis watcher_lease = std::chrono::minutes(5);
  Backoff restart_backoff = Backoff::polling(std::chrono::seconds(2), std::chrono::seconds(30), 2.0);
  CancellationToken cancel;                // stops the job and returns kCancelled
};

enum class SupervisorEventKind {
  kStarted,            // the job runs on `nodes` (restart: which launch)
  kNodeLost,           // its instance is gone
  kNodeUnreachable,
  kNodeUnhealthy,      // failed the health check, or lost a GPU
  kSpotNotice,
  kRebalance,          // noted only
  kCheckpointSignal,   // sent to the job
  kJobExited,          // mpirun's exit status (status)
  kJobStopped,         // every process of the job stopped
  kMarkedUnhealthy,    // SetInstanceHealth Unhealthy
  kWaitingForNodes,
  kNodesReady,
  kContinuingWithFewer,
  kRestarting,         // after the backoff, before the relaunch
  kFinished,
  kGaveUp,
};
AWSDL_EXPORT const char* to_string(SupervisorEventKind kind);

struct AWSDL_EXPORT SupervisorEvent {
  WallTime at{};
  SupervisorEventKind kind = SupervisorEventKind::kStarted;
  std::string instance_id;                 // the node concerned, if one
  std::string host;
  std::string message;                     // facts: "2 nodes", "exit status 1", the notice's body
  int restart = 0;                         // the launch it belongs to (0: the first)
  int status = -1;                         // kJobExited: the exit status
};

struct AWSDL_EXPORT Incident {
  WallTime at{};                           // when it was detected
  std::string instance_id;
  std::string host;
  std::string cause;                       // "instance terminated", "spot interruption", "unreachable", ...
  Millis downtime{0};                      // detection until the job ran again (or until the end)
  bool recovered = false;
};

enum class RunOutcome { kSucceeded, kJobFailed, kGaveUp, kCancelled };
AWSDL_EXPORT const char* to_string(RunOutcome outcome);

struct AWSDL_EXPORT SupervisedRun {
  RunOutcome outcome = RunOutcome::kSucceeded;
  int exit_status = -1;                    // the last launch's mpirun status (-1: none read)
  int restarts = 0;                        // relaunches made
  std::vector<Incident> incidents;
  std::vector<ssh::RemoteJob> jobs;        // every launch, in order
  std::optional<Error> error;              // kJobFailed, kGaveUp, kCancelled: why
};

class AWSDL_EXPORT Supervisor {
 public:
  /// kInvalidArgument for bad options (no cluster, no command, no shared_dir, restarts out of
  /// 0..1000, a bad signal, a poll interval under 100 ms, ...); no I/O.
  static Result<Supervisor> make(const Config& config, SupervisorOptions options);
  Supervisor(Supervisor&&) noexcept;
  Supervisor& operator=(Supervisor&&) noexcept;
  ~Supervisor();

  /// Called for every event, from run()'s thread.
  void on_event(std::function<void(const SupervisorEvent&)> fn);
  /// Called with each launch's job as soon as it started (to record it, for `stop`).
  void on_job(std::function<void(const ssh::RemoteJob&)> fn);

  /// Runs until the job ends. Fails only when it cannot start (the cluster cannot be looked
  /// at, the master cannot be reached); what happens after is in the result (kGaveUp with
  /// the error when the cluster cannot be looked at for 10 polls in a row: the job stopped).
  Result<SupervisedRun> run();

 private:
  struct Impl;
  explicit Supervisor(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace awsdl::cluster
