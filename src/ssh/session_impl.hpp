#pragma once
// Session::Impl and the libssh helpers the session files share. Internal.

#include <libssh/callbacks.h>
#include <libssh/libssh.h>

#include <memory>
#include <string>
#include <vector>

#include "awsdl/ssh/session.hpp"

namespace awsdl::internal {

/// An agent channel the server opened back to us, bridged to the local agent socket.
struct AgentBridge {
  ssh_channel channel = nullptr;
  int fd = -1;
  std::string to_agent, to_channel;
  bool closed = false;
};

/// "user@host:port" with every part resolved, for messages.
std::string describe(const ssh::Target& resolved);

/// An Error from the session's last libssh error.
Error libssh_error(ssh_session s, ErrorKind kind, const std::string& code, const std::string& context);

/// Owns the libssh session; everything else in Session forwards here.
struct SessionCore {
  ssh::Target target;          // user, host and port resolved
  ssh::SessionOptions options;
  ssh_session s = nullptr;
  std::shared_ptr<ssh::JumpHost> via;
  int tunnel_fd = -1;          // our end of a jump host's tunnel, when tunnelled
  ssh_callbacks_struct callbacks{};
  std::vector<std::unique_ptr<AgentBridge>> agent_bridges;
  bool dead = false;

  SessionCore() = default;
  SessionCore(const SessionCore&) = delete;
  SessionCore& operator=(const SessionCore&) = delete;
  ~SessionCore();
  void close();
  /// Moves bytes between agent channels and the local agent; drops closed bridges.
  void service_agent_bridges();
  /// The fds of open agent bridges, for poll().
  std::vector<int> agent_fds() const;
};

/// Connects, verifies and authenticates; `tunnel_fd` >= 0 is a connected socket to use
/// instead of connecting (a jump host's tunnel), owned by the session from then on.
Result<std::unique_ptr<SessionCore>> connect_core(const ssh::Target& target, const ssh::SessionOptions& options,
                                                  std::shared_ptr<ssh::JumpHost> via, int tunnel_fd);

/// Resolves user and port of a target against the options.
ssh::Target resolve_target(const ssh::Target& target, const ssh::SessionOptions& options);

/// "~/" expanded with $HOME.
std::string expand_home(const std::string& path);

/// 32 random hex digits.
std::string random_hex_id();

}  // namespace awsdl::internal

namespace awsdl::ssh {
struct Session::Impl {
  std::unique_ptr<internal::SessionCore> core;
};
}  // namespace awsdl::ssh
