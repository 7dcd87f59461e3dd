#pragma once
// A node's cloud-init output read on the node itself, over SSH: fresher than its console
// (Clusters::bootstrap_tail, GetConsoleOutput), when the node is reachable. The supervisor and
// the programs use it for a node they can reach; the console for one they cannot.

#include <cstddef>
#include <string>

#include "awsdl/cluster/lifecycle.hpp"
#include "awsdl/core/result.hpp"
#include "awsdl/ssh/fanout.hpp"

namespace awsdl::cluster {

/// Where cloud-init writes the user data's output (and its own stage lines) on Ubuntu and
/// Amazon Linux.
inline constexpr const char* kCloudInitOutputLog = "/var/log/cloud-init-output.log";

/// `tail` of `path` on `host` through `fan`, read by read_bootstrap (source "ssh:<path>",
/// instance_id left empty). No such file (or not readable): kNotFound "NoCloudInitLog"; the
/// SSH connection's own errors as FanOut gives them.
AWSDL_EXPORT Result<BootstrapTail> bootstrap_tail_over_ssh(ssh::FanOut& fan, const std::string& host,
                                                           std::size_t lines = 20,
                                                           const std::string& path = kCloudInitOutputLog);

}  // namespace awsdl::cluster
