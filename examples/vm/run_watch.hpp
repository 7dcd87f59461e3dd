#pragma once
// Following a run started detached on every host: its log as it grows, and its exit status
// (written by the wrapper into a file next to the log when the command ends).

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <awsdl/ssh/fanout.hpp>

#include "vm_context.hpp"

namespace awsdl_vm {

/// One host's run as last seen.
struct Watch {
  awsdl::ssh::RemoteJob job;
  std::string log, status_file;
  std::size_t offset = 0;  // log bytes shown so far
  bool done = false;
  std::optional<int> exit_status;  // from the status file
  bool vanished = false;           // no process left and no status: killed from outside
  int poll_errors = 0;             // consecutive
  std::optional<awsdl::Error> error;
};

/// "exited", "running", "vanished" (no process and no status: killed from outside) or "error".
std::string watch_state(const Watch& w);

/// Polls the unfinished hosts, printing their new log lines, until every one is done, the
/// [run] timeout passes or Ctrl-C. Returns "" when all are done, else why it stopped.
std::string follow_runs(const Context& ctx, awsdl::ssh::FanOut& fan, std::vector<Watch>& watch,
                        std::vector<std::unique_ptr<HostLines>>& lines);

}  // namespace awsdl_vm
