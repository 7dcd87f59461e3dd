#pragma once
// Run a command on many hosts at once, with a bounded number of threads, keeping the
// sessions open for the next command: the library form of pdsh.

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "awsdl/core/result.hpp"
#include "awsdl/ssh/session.hpp"

namespace awsdl::ssh {

struct AWSDL_EXPORT FanOutOptions {
  SessionOptions session;        // shared by every host; session.jump reaches them all through one jump host
  std::size_t concurrency = 64;  // hosts worked on at once = worker threads at most
  bool keep_sessions = true;     // keep connections open for the next command
};

struct AWSDL_EXPORT RunOptions {
  std::map<std::string, std::string> env;
  std::optional<Millis> timeout;  // per host; default SessionOptions::command_timeout
  std::string stdin_data;
  bool fail_fast = false;         // on the first failure, skip hosts not started and cancel running ones
  bool capture = true;            // keep each host's output in its HostResult
  /// Each complete line of output as it arrives, without its newline; calls are serialized.
  std::function<void(const std::string& host, Stream stream, std::string_view line)> on_line;
  CancellationToken cancel;
};

struct AWSDL_EXPORT HostResult {
  std::string host;             // as given to FanOut
  int exit_status = -1;
  std::string exit_signal;
  std::string out;
  std::string err;
  Millis duration{0};           // connect (when needed) plus command
  std::optional<Error> error;   // could not connect, timed out, cancelled, skipped (fail-fast)

  bool ok() const { return !error && exit_status == 0; }
};

struct AWSDL_EXPORT FanOutResult {
  std::vector<HostResult> hosts;  // in the order the hosts were given
  Millis duration{0};

  std::size_t failed() const;
  bool ok() const { return failed() == 0; }
};

class AWSDL_EXPORT FanOut {
 public:
  /// No I/O here: connections open on first use. Hosts are "[user@]host[:port]".
  explicit FanOut(std::vector<std::string> hosts, FanOutOptions options = {});
  FanOut(FanOut&&) noexcept;
  FanOut& operator=(FanOut&&) noexcept;
  ~FanOut();

  const std::vector<std::string>& hosts() const;

  /// Opens the sessions not open yet; the per-host outcome is in the result.
  FanOutResult connect();
  /// Runs `command` on every host. Never fails as a whole: each host has its outcome.
  FanOutResult run(const std::string& command, const RunOptions& options = {});
  /// Runs on one of the hosts (by the name given to the constructor).
  Result<ExecResult> run_on(const std::string& host, const std::string& command, const ExecOptions& options = {});

  /// Calls `fn` with each host's session (connected first), `concurrency` at a time; for
  /// work beyond one command (SFTP, several commands).
  std::vector<Status> for_each(const std::function<Status(Session& session, std::size_t index)>& fn);

  /// Detached jobs: one per host, or on one host.
  std::vector<Result<RemoteJob>> start(const std::string& command, const DetachOptions& options = {});
  Result<RemoteJob> start_on(const std::string& host, const std::string& command, const DetachOptions& options = {});
  /// Stops the given jobs (each on the host it names), `concurrency` at a time.
  std::vector<Result<StopResult>> stop(const std::vector<RemoteJob>& jobs, Millis grace = std::chrono::seconds(10));

  /// Sessions currently open.
  std::size_t open_sessions() const;
  /// Closes every session (and the jump host).
  void close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace awsdl::ssh
