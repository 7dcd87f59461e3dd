#pragma once
// Idle stop: a watcher on the master that, once the GPUs (nvidia-smi utilisation) and the jobs
// `awsdl-cluster run` started have been idle for a period, scales the worker group to zero or
// deletes the cluster's stack, with the instance role's credentials.
//
// The pieces: the stack parameter that gives the instance role exactly the permission the
// action needs (Clusters::set_autostop; the template's AutostopScalePolicy / AutostopDeletePolicy,
// present only when asked for), the watcher's script (autostop_script, run detached on the
// master), and the status it writes every check (read_autostop_status).
//
// Jobs are those whose processes carry AWSDL_JOB_ID (ssh::FanOut::start_on's marker) and
// AWSDL_CLUSTER=<the cluster's name> in their environment, as `awsdl-cluster run` starts them.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "awsdl/core/result.hpp"
#include "awsdl/core/runtime.hpp"
#include "awsdl/export.hpp"

namespace awsdl::cluster {

enum class AutostopAction {
  kOff,          // no watcher: the instance role has no permission for either action
  kScaleToZero,  // the worker group's minimum and desired capacity to 0 (UpdateAutoScalingGroup)
  kDeleteStack,  // DeleteStack of the cluster's own stack
};

/// The value of the template's Autostop parameter: "off", "scale", "delete".
AWSDL_EXPORT const char* autostop_parameter(AutostopAction action);

/// "30m", "90s", "2h", "1h30m", "1d", or a number of seconds; at least one second, at most 30
/// days. Anything else (0, "abc", "-5m", "10x"): kInvalidArgument "BadDuration" naming `what`.
AWSDL_EXPORT Result<Millis> parse_duration(std::string_view text, std::string_view what = "duration");
/// "1h30m", "45s", "0s": the shortest text parse_duration reads back (whole seconds).
AWSDL_EXPORT std::string format_duration(Millis d);

/// What the watcher needs to know; everything is written into its script.
struct AWSDL_EXPORT AutostopSettings {
  std::string cluster;             // the cluster's name (AWSDL_CLUSTER of its jobs)
  std::string region;
  std::string worker_group;        // kScaleToZero: the worker group's name
  std::string stack;               // kDeleteStack: the stack's id (or name)
  AutostopAction action = AutostopAction::kScaleToZero;
  Millis idle{std::chrono::minutes(30)};       // the idle period
  Millis interval{std::chrono::minutes(1)};    // between two checks
  int gpu_busy_percent = 5;        // a GPU at or above this utilisation is busy
  std::string nvidia_smi = "nvidia-smi";
  std::string aws = "aws";         // the AWS CLI on the master
  std::string status_path;         // the status file the watcher rewrites every check
};

/// kInvalidArgument for an empty cluster name or status path, kOff, a missing group (scale) or
/// stack (delete), an idle period or interval under one second, a busy threshold outside 1..100.
AWSDL_EXPORT Status validate(const AutostopSettings& settings);

/// The watcher: a bash script for `bash -c` on the master. Every interval it asks nvidia-smi
/// (the Monitor's query) and /proc for the cluster's jobs; busy resets the idle time. After the
/// idle period it takes the action once (retried a few times), writes the outcome and exits.
/// An AWS endpoint override for the CLI (a local test) comes from its environment
/// (AWS_ENDPOINT_URL), as do its credentials (the instance role's on EC2).
AWSDL_EXPORT Result<std::string> autostop_script(const AutostopSettings& settings);

enum class AutostopState {
  kWatching,  // idle time counting (or reset by work)
  kStopped,   // the action was taken: workers scaled to zero
  kDeleted,   // the action was taken: the stack's deletion started
  kFailed,    // the action failed after its retries (message says why)
};

/// The watcher's status file, as of its last check.
struct AWSDL_EXPORT AutostopStatus {
  AutostopState state = AutostopState::kWatching;
  AutostopAction action = AutostopAction::kScaleToZero;
  Millis idle_limit{0};
  Millis interval{0};
  Millis idle_for{0};            // idle time so far at the last check
  std::int64_t started = 0;      // Unix seconds
  std::int64_t checked = 0;      // Unix seconds of the last check
  int gpus = 0;                  // GPUs nvidia-smi listed
  int busy_gpus = 0;
  int jobs = 0;                  // the cluster's jobs running
  std::string message;           // the action's outcome or failure, one line
};

/// kParse "BadAutostopStatus" for a file the watcher did not write (no state, action or limit).
AWSDL_EXPORT Result<AutostopStatus> read_autostop_status(std::string_view text);

}  // namespace awsdl::cluster
