#pragma once
// Commands started detached on a node, and stopping exactly those processes later (never
// a pattern-matching kill of every python process that also hits a colleague's job).

#include <chrono>
#include <map>
#include <string>

#include "awsdl/core/runtime.hpp"
#include "awsdl/export.hpp"

namespace awsdl::ssh {

struct AWSDL_EXPORT DetachOptions {
  std::string log_path;                     // stdout and stderr; default /tmp/awsdl-job-<id>.log
  std::string workdir;                      // default: the login directory
  std::map<std::string, std::string> env;   // exported for the command
};

/// A command running detached in its own session and process group on one host. Every
/// process it starts inherits AWSDL_JOB_ID=<id>, which is how `stop` tells them from
/// unrelated processes that may later reuse the group id.
struct AWSDL_EXPORT RemoteJob {
  std::string host;      // the target it runs on, as given
  int pgid = 0;          // process group (and session) id, the leader's pid
  std::string id;        // the AWSDL_JOB_ID marker: 32 hex digits
  std::string log_path;
  std::string command;
};

struct AWSDL_EXPORT StopResult {
  int processes = 0;      // processes of the job found running when stop began
  bool killed = false;    // some did not exit within the grace period and got SIGKILL
};

}  // namespace awsdl::ssh
