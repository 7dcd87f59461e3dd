#pragma once
// The single-VM workflow (DESIGN.md workflow 4) as library calls: launch tagged instances and
// wait until they run, install dependencies over SSH on all of them at once, run the
// computation (detached in its own process group, recorded on the instance) and follow it,
// terminate everything that carries the tag. Each call returns facts; progress and remote
// output go to callbacks; nothing is printed.

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "awsdl/config.hpp"
#include "awsdl/core/runtime.hpp"
#include "awsdl/core/result.hpp"
#include "awsdl/ec2/ec2.hpp"
#include "awsdl/export.hpp"
#include "awsdl/ssh/options.hpp"
#include "awsdl/ssh/process.hpp"
#include "awsdl/vm/spec.hpp"

namespace awsdl::vm {

/// Next steps the workflow's errors suggest (Error::next_steps; detail: the deployment's name).
namespace next_step {
inline constexpr const char* kStatus = "vm.status";        // see the deployment's instances
inline constexpr const char* kTerminate = "vm.terminate";  // terminate them (stops a run first)
inline constexpr const char* kInstall = "vm.install";      // run the setup commands again (safe to repeat)
inline constexpr const char* kCheckImage = "vm.check_image";  // [vm] ami_name / ami_owner match no image
}  // namespace next_step

enum class VmEventKind {
  kProgress,  // a step of the work
  kLaunched,  // RunInstances made the instances (instance_ids): they exist from now on
  kWarning,   // something went wrong that the operation works around
};

/// A progress report, for people ("waiting for SSH on i-0abc (10.0.0.5) (connection refused),
/// attempt 2").
struct AWSDL_EXPORT VmEvent {
  VmEventKind kind = VmEventKind::kProgress;
  std::string message;
  std::vector<std::string> instance_ids;  // kLaunched
};

/// One line of a host's output (without its '\n'; the last one may have none), or the
/// command about to run on it (`command`).
struct AWSDL_EXPORT HostOutput {
  std::size_t host = 0;  // index into the operation's hosts, as its report numbers them
  std::string address;   // what the host is reached at
  ssh::Stream stream = ssh::Stream::kStdout;
  std::string line;
  bool command = false;
};

struct AWSDL_EXPORT StepOptions {
  std::function<void(const VmEvent&)> on_event;
  /// Called from the fan-out's threads (one per host): serialize what it shares.
  std::function<void(const HostOutput&)> on_output;
  bool keep_output = false;  // the reports carry each host's output
  CancellationToken cancel;  // stops waits and follows; terminate's own wait is not cancellable
  Millis poll_interval{2000};                                  // first delay between state polls; grows to 4x
  Millis wait_timeout{std::chrono::seconds(900)};              // instances running / terminated
  Millis grace{std::chrono::seconds(10)};                      // stopping a run: SIGTERM, then SIGKILL
  bool detach = false;  // run: start the command and return without following it
  /// terminate: asked with the instances about to go; false stops it ("NotConfirmed",
  /// kCancelled). Unset: no question.
  std::function<bool(const std::vector<ec2::Instance>&)> confirm;
};

struct AWSDL_EXPORT LaunchResult {
  std::string image_id;
  std::string image_name;     // when found by name
  std::string image_created;  // when found by name
  std::size_t images_matching = 0;
  std::string reservation_id;
  std::string client_token;
  std::vector<ec2::Instance> instances;  // running, by instance id
};

/// One host of an operation: the instance, the address used, and "i-0abc (10.0.0.5)".
struct AWSDL_EXPORT Host {
  ec2::Instance instance;
  std::string address;
  std::string label;
};

struct AWSDL_EXPORT HostSetup {
  Host host;
  int commands_done = 0;
  int failed_command = 0;  // 1-based; 0: none failed
  int exit_status = 0;
  std::string exit_signal;
  std::optional<Error> error;  // could not run it: connection, timeout, cancellation
  double seconds = 0;
  std::string output;  // with StepOptions::keep_output

  bool ok() const { return failed_command == 0 && !error; }
};

struct AWSDL_EXPORT SetupReport {
  std::vector<std::string> commands;
  std::vector<HostSetup> hosts;
  std::size_t failed() const;
};

enum class RunState {
  kRunning,   // still going when the follow stopped (or detached)
  kExited,    // ended with an exit status
  kVanished,  // no process left and no status: killed from outside
  kError,     // lost track (polls failed) or an unreadable status
};

struct AWSDL_EXPORT HostRun {
  Host host;
  ssh::RemoteJob job;
  std::string log;  // the remote log file
  RunState state = RunState::kRunning;
  std::optional<int> exit_status;
  std::optional<Error> error;
  std::string output;  // with StepOptions::keep_output

  bool ok() const { return exit_status && *exit_status == 0; }
};

enum class FollowEnd { kAllDone, kInterrupted, kTimedOut };

struct AWSDL_EXPORT RunReport {
  std::string command;
  bool detached = false;
  std::vector<HostRun> hosts;
  FollowEnd end = FollowEnd::kAllDone;  // kAllDone also when detached
  std::size_t failed() const;            // hosts without exit status 0 (none when detached)
};

struct AWSDL_EXPORT StoppedRun {
  std::string instance_id;
  std::string label;
  int processes = 0;  // 0: it had already ended
  bool killed = false;  // some only by SIGKILL
  std::optional<Error> error;  // could not stop it (terminating the instance ends it)
};

struct AWSDL_EXPORT TerminateReport {
  std::vector<std::string> terminated;  // instance ids; empty: there was nothing to terminate
  std::vector<StoppedRun> runs_stopped;
};

/// The address to SSH to, as spec.address says ("" when the instance has none).
AWSDL_EXPORT std::string ssh_address(const VmSpec& spec, const ec2::Instance& instance);
/// The run recorded on an instance (tag kJobTag), as a job on `address`.
AWSDL_EXPORT std::optional<ssh::RemoteJob> recorded_job(const ec2::Instance& instance, const std::string& address = {});

class AWSDL_EXPORT Deployment {
 public:
  /// No I/O. spec.region, when set, replaces config.region. The spec is validated by each
  /// operation for what it needs (kInvalidArgument "BadConfig").
  Deployment(Config config, VmSpec spec);
  ~Deployment();
  Deployment(const Deployment&);
  Deployment& operator=(const Deployment&);

  const VmSpec& spec() const;
  const Config& config() const;

  /// Instances carrying the deployment's tag (terminated ones only when asked), by instance id.
  Result<std::vector<ec2::Instance>> instances(bool include_terminated) const;

  /// Refuses while instances of the deployment exist (kService "DeploymentExists", next steps
  /// status and terminate); resolves the image by name (the newest match; none:
  /// kNotFound "ImageNotFound"); RunInstances with one client token for every retry, every
  /// instance tagged; waits until they run. After kLaunched, a failure suggests terminate.
  Result<LaunchResult> launch(const StepOptions& options = {});

  /// The setup commands on every running instance at once, in order on each; a host stops at
  /// its first failing command, the others go on. Waits for SSH first (up to the boot
  /// timeout: new instances take a while). Errors: no running instance ("NoRunningInstances"),
  /// SSH not ready ("SshNotReady"); failed commands are in the report.
  Result<SetupReport> install(const StepOptions& options = {});

  /// Starts the run command on every instance, detached in its own process group with its
  /// output in [run] log_dir, and records the group on the instance (kJobTag). Refuses while a
  /// recorded run still goes ("RunInProgress"); a start that fails anywhere stops it where it
  /// started ("RunNotStarted"). Unless detached, follows the logs (on_output) until every
  /// host is done, the [run] timeout passes or cancellation (the command keeps running).
  Result<RunReport> run(const StepOptions& options = {});

  /// Stops the recorded runs (SIGTERM, SIGKILL after the grace), terminates every instance
  /// carrying the tag and waits until they are gone; then forgets their host keys (the
  /// default known_hosts file). Nothing to terminate is success with an empty report.
  Result<TerminateReport> terminate(const StepOptions& options = {});

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace awsdl::vm
