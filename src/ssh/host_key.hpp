#pragma once
// Host key verification against a known_hosts file, by policy. Internal.

#include <libssh/libssh.h>

#include "awsdl/ssh/options.hpp"
#include "awsdl/ssh/target.hpp"
#include "awsdl/core/result.hpp"

namespace awsdl::internal {

/// Checks the key of a connected (not yet authenticated) session. known_hosts is the file
/// the session was told to use; accesses to it are serialized inside the process so that
/// concurrent sessions recording new hosts do not interleave their lines.
Status verify_host_key(ssh_session s, const ssh::Target& target, ssh::HostKeyPolicy policy,
                       const std::string& known_hosts);

}  // namespace awsdl::internal
