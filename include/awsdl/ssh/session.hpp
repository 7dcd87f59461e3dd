#pragma once
// One SSH connection (libssh underneath, never visible here): authenticate, verify the host
// key, run commands, move files with SFTP, start and stop detached jobs.
//
// A Session is not thread-safe: use it from one thread at a time (FanOut does).

#include <memory>
#include <string>
#include <string_view>

#include "awsdl/core/result.hpp"
#include "awsdl/ssh/options.hpp"
#include "awsdl/ssh/process.hpp"
#include "awsdl/ssh/target.hpp"

namespace awsdl::ssh {

/// A connection to a jump host through which other sessions are tunnelled (direct-tcpip
/// channels, as OpenSSH's ProxyJump does). Shared by any number of sessions; it keeps one
/// thread that moves the tunnelled bytes, and closes when the last session using it goes.
class AWSDL_EXPORT JumpHost {
 public:
  static Result<std::shared_ptr<JumpHost>> connect(const Target& target, const SessionOptions& options);
  ~JumpHost();
  JumpHost(const JumpHost&) = delete;
  JumpHost& operator=(const JumpHost&) = delete;

  const Target& target() const;
  /// Tunnels currently open through this host.
  std::size_t open_tunnels() const;
  /// Whether the connection to the jump host is still up.
  bool alive() const;

 private:
  friend class Session;  // opens its tunnel
  struct Impl;
  explicit JumpHost(std::unique_ptr<Impl> impl);
  /// A tunnel to host:port through this host; our end of it (a connected socket).
  Result<int> open_tunnel(const std::string& host, int port, Millis timeout);
  std::unique_ptr<Impl> impl_;
};

class AWSDL_EXPORT Session {
 public:
  /// Connects, verifies the host key and authenticates within options.connect_timeout.
  /// With options.jump set, first connects to the jump host (a new one per call; share one
  /// with the overload below). Errors: kNetwork (refused, unreachable, reset), kTimeout,
  /// kCredentials (no key accepted, code "AuthenticationFailed"), kService with code
  /// "HostKeyChanged" / "HostKeyUnknown" / "HostKeyMismatch" when verification refuses.
  static Result<Session> connect(const Target& target, const SessionOptions& options);
  static Result<Session> connect(const Target& target, const SessionOptions& options,
                                 std::shared_ptr<JumpHost> via);

  Session(Session&&) noexcept;
  Session& operator=(Session&&) noexcept;
  ~Session();

  const Target& target() const;
  /// Whether the connection is still up as far as we know.
  bool alive() const;

  /// Runs `command` in the remote user's login shell, the one shell sshd starts (its
  /// start-up files run once, as with ssh). A non-zero exit status is not an error (see
  /// ExecResult::exit_status); a timeout is (kTimeout, and the shell and what it started are
  /// sent SIGKILL), as is cancellation (kCancelled). The shell must be a POSIX one.
  Result<ExecResult> exec(const std::string& command, const ExecOptions& options = {});

  /// SFTP. Remote paths are taken as they are (relative to the login directory).
  Status upload(const std::string& local_path, const std::string& remote_path, int mode = 0644);
  Status download(const std::string& remote_path, const std::string& local_path);
  Status write_file(const std::string& remote_path, std::string_view content, int mode = 0644);
  Result<std::string> read_file(const std::string& remote_path, std::size_t max_bytes = 64u << 20);

  /// Starts `command` detached (setsid, stdin from /dev/null, output to the log) and
  /// returns at once with its process group recorded.
  Result<RemoteJob> start_detached(const std::string& command, const DetachOptions& options = {});
  /// Processes of the job still running (0 when it has finished).
  Result<int> job_processes(const RemoteJob& job);
  /// SIGTERM to the job's process group, SIGKILL after `grace`; only processes that carry
  /// the job's marker are ever signalled.
  Result<StopResult> stop(const RemoteJob& job, Millis grace = std::chrono::seconds(10));

  /// Sends an SSH keepalive; an error means the connection is gone.
  Status keepalive();
  /// Closes the connection; the session is then dead.
  void close();

 private:
  struct Impl;
  explicit Session(std::unique_ptr<Impl> impl);
  void kill_marked(const std::string& marker);
  std::unique_ptr<Impl> impl_;
};

}  // namespace awsdl::ssh
