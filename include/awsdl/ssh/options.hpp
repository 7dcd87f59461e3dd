#pragma once
// Settings for SSH sessions and for one remote command.

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "awsdl/core/log.hpp"
#include "awsdl/core/runtime.hpp"

namespace awsdl::ssh {

enum class HostKeyPolicy {
  kAcceptNew,          // unknown hosts are recorded in known_hosts; a changed key is refused (default)
  kStrict,             // the host key must already be in known_hosts
  kInsecureAcceptAny,  // no verification at all; only for throwaway test hosts, never the default
};

AWSDL_EXPORT const char* to_string(HostKeyPolicy policy);

struct AWSDL_EXPORT SessionOptions {
  std::string user;                         // default: the target's user, else $USER, else "root"
  int port = 22;                            // for targets that name none
  std::vector<std::string> identity_files;  // private keys to offer, in order ("~/" expanded)
  bool use_agent = true;                    // offer the keys of the agent at SSH_AUTH_SOCK first
  bool forward_agent = false;               // let remote commands use the local agent (opt-in)
  HostKeyPolicy host_key_policy = HostKeyPolicy::kAcceptNew;
  std::string known_hosts;                  // default: ~/.ssh/known_hosts
  std::string jump;                         // "[user@]host[:port]" to go through, as ProxyJump; empty: direct
  Millis connect_timeout{std::chrono::seconds(10)};    // TCP connect, handshake and authentication
  Millis command_timeout{0};                           // default for exec(); 0: no limit
  Millis keepalive_interval{std::chrono::seconds(30)}; // SSH keepalives on idle kept sessions; 0: off
  Logger logger;
};

enum class Stream { kStdout, kStderr };

struct AWSDL_EXPORT ExecOptions {
  /// Exported before the command runs. Sent inside the command line rather than as SSH "env"
  /// requests, because sshd drops every variable its AcceptEnv does not list.
  std::map<std::string, std::string> env;
  std::optional<Millis> timeout;   // default: SessionOptions::command_timeout
  std::string stdin_data;          // written to the command's stdin, which is then closed
  /// Called with each chunk of output as it arrives (not split into lines).
  std::function<void(Stream stream, std::string_view chunk)> on_output;
  bool capture = true;             // keep stdout and stderr in the result
  std::size_t max_capture = 64u << 20;  // bytes kept per stream; the rest is dropped and counted
  CancellationToken cancel;
};

struct AWSDL_EXPORT ExecResult {
  int exit_status = -1;        // -1 when the command was killed by a signal
  std::string exit_signal;     // "TERM", "KILL"... when killed by a signal
  std::string out;
  std::string err;
  std::size_t dropped_bytes = 0;  // output beyond max_capture
  Millis duration{0};

  bool ok() const { return exit_status == 0; }
};

}  // namespace awsdl::ssh
