#pragma once
// The supervisor's pieces shared by its sources (and unit tests): option checks and the shell
// scripts it runs on the nodes.
#include <string>

#include "awsdl/cluster/supervisor.hpp"

namespace awsdl::internal::supervisor {

Status validate(const cluster::SupervisorOptions& options);
/// The IMDSv2 watcher started on each node with a launch: "spot=BODY" / "rebalance=BODY"
/// lines in `notices_path`, every `interval_ms`, while `flag_path` exists and was touched in
/// the last `lease_seconds` (the supervisor touches it while it watches: a supervisor that died
/// without removing it leaves no watcher polling for longer than that). The watcher removes
/// its file when it ends, also on SIGTERM, SIGINT or SIGHUP.
std::string watcher_script(const std::string& imds_url, const std::string& notices_path, const std::string& flag_path,
                           int interval_ms, int lease_seconds);
/// Sends `signal` to the mpirun of the job whose process group is `pgid` (not to the shell
/// around it); prints "signalled=PID" per process signalled.
std::string signal_script(int pgid, int signal);

}  // namespace awsdl::cluster::internal::supervisor
