#include "auth/credential_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>

#include <fmt/format.h>

#include "auth/provider_support.hpp"
#include "awsdl/core/log.hpp"
#include "awsdl/core/retry.hpp"
#include "util/json.hpp"

extern char** environ;

namespace awsdl::internal {

namespace {

struct Fd {
  int fd = -1;
  Fd() = default;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  void reset() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

Error spawn_error(const std::string& what, int err) {
  return Error::make(ErrorKind::kCredentials, "CredentialProcessFailed",
                     fmt::format("could not start credential_process: {} ({})", what, std::strerror(err)));
}

// Reaps the child; when it outlives the deadline, kills its process group first. A child
// process runs on real time: the toolkit's poll on the system runtime, every 2 ms.
int reap(pid_t pid, const Deadline& deadline, bool& timed_out) {
  int status = 0;
  PollOptions po;
  po.delay = Backoff::polling(Millis(2), Millis(2), 1.0);
  po.deadline = deadline;
  po.what = "credential_process";
  Status reaped = poll_until(Runtime::system(), po, [&](int) -> Result<PollState> {
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return PollState::done();
    if (r < 0 && errno != EINTR) return Error::make(ErrorKind::kInternal, "WaitFailed", std::strerror(errno));
    return PollState::pending();
  });
  if (!reaped) {
    if (reaped.error().kind != ErrorKind::kTimeout) return -1;
    timed_out = true;
    ::kill(-pid, SIGKILL);
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// Runs of 32 or more characters a key or token is made of (base64's letters, digits, + and /;
// '=' is left out so that "key=value" splits) become [redacted]: an AWS secret key is 40 of
// them, a session token hundreds. Access key ids (20) and ordinary words stay readable.
std::string mask_token_like(std::string_view text) {
  auto token_char = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/';
  };
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t j = i;
    while (j < text.size() && token_char(text[j])) ++j;
    if (j == i) {
      out += text[i++];
      continue;
    }
    if (j - i >= 32) out += "[redacted]";
    else out.append(text.substr(i, j - i));
    i = j;
  }
  return out;
}

// The helper's first non-blank line of stderr, short, with secrets masked: enough to tell
// what went wrong. Helpers print secrets on stderr too (a debug dump, their own output echoed
// in an error), so nothing after the first line is shown, and in it every key=value, JSON,
// YAML or header form redact() knows and every token-like run are masked.
std::string summarise(std::string_view err) {
  std::string_view line;
  std::size_t pos = 0;
  while (pos < err.size() && line.empty()) {
    auto nl = err.find('\n', pos);
    line = err.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? err.size() : nl + 1;
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.remove_suffix(1);
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.front()))) line.remove_prefix(1);
  }
  if (line.empty()) return {};
  std::string out = redact(mask_token_like(line));
  for (auto& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  // Cut after masking, so that a secret is never cut into a piece too short to be recognised.
  if (out.size() > 200) out = out.substr(0, 200) + "...";
  return out;
}

}  // namespace

Result<ProcessOutput> run_shell_command(const std::string& command, Millis timeout, std::size_t max_output) {
  int out_pipe[2];
  int err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) return spawn_error("pipe", errno);
  Fd out_r(out_pipe[0]), out_w(out_pipe[1]);
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) return spawn_error("pipe", errno);
  Fd err_r(err_pipe[0]), err_w(err_pipe[1]);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_w.fd, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_w.fd, STDERR_FILENO);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Its own process group, so a timeout kills the shell and everything it started; default
  // signal dispositions and an empty mask, whatever the host program did to its own.
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

  std::string sh = "/bin/sh", dash_c = "-c", cmd = command;
  char* argv[] = {sh.data(), dash_c.data(), cmd.data(), nullptr};
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, "/bin/sh", &actions, &attr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return spawn_error("/bin/sh", rc);
  out_w.reset();
  err_w.reset();

  auto deadline = std::chrono::steady_clock::now() + timeout;
  ProcessOutput result;
  bool timed_out = false;
  bool too_large = false;
  while (out_r.fd >= 0 || err_r.fd >= 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd fds[2];
    nfds_t n = 0;
    Fd* owners[2];
    std::string* sinks[2];
    if (out_r.fd >= 0) { fds[n] = {out_r.fd, POLLIN, 0}; owners[n] = &out_r; sinks[n++] = &result.out; }
    if (err_r.fd >= 0) { fds[n] = {err_r.fd, POLLIN, 0}; owners[n] = &err_r; sinks[n++] = &result.err; }
    int ready = ::poll(fds, n, static_cast<int>(std::min<long long>(left.count(), 1000)));
    if (ready < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (nfds_t i = 0; i < n; ++i) {
      if (fds[i].revents == 0) continue;
      char buf[8192];
      ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        owners[i]->reset();
        continue;
      }
      if (sinks[i]->size() + static_cast<std::size_t>(got) > max_output) {
        too_large = true;
        break;
      }
      sinks[i]->append(buf, static_cast<std::size_t>(got));
    }
    if (too_large) break;
  }
  if (timed_out || too_large) ::kill(-pid, SIGKILL);
  out_r.reset();
  err_r.reset();
  bool reap_timed_out = false;
  const Deadline reap_by{timed_out || too_large ? std::chrono::steady_clock::now() : deadline};
  result.exit_code = reap(pid, reap_by, reap_timed_out);
  if (timed_out || reap_timed_out)
    return Error::make(ErrorKind::kTimeout, "CredentialProcessTimeout",
                       fmt::format("credential_process did not finish within {} ms and was killed", timeout.count()));
  if (too_large)
    return Error::make(ErrorKind::kCredentials, "CredentialProcessFailed",
                       fmt::format("credential_process wrote more than {} bytes and was killed", max_output));
  return result;
}

Result<auth::Credentials> parse_credential_process_output(std::string_view json, const std::string& what) {
  auto bad = [&](std::string why) {
    return Error::make(ErrorKind::kCredentials, "InvalidCredentialProcessOutput",
                       fmt::format("credential_process for {} printed {}", what, why));
  };
  auto parsed = JsonDocument::parse(json, "output");  // depth-limited: never a stack overflow
  if (!parsed) return bad("invalid JSON: " + parsed.error().message);
  const JsonValue& doc = parsed->root();
  if (!doc.IsObject()) return bad("JSON that is not an object");
  auto version = doc.FindMember("Version");
  if (version == doc.MemberEnd() || !version->value.IsInt() || version->value.GetInt() != 1)
    return bad("no \"Version\": 1 (the only version there is)");
  auto string_field = [&](const char* name) { return json_string(doc, name); };
  auth::Credentials c;
  auto id = string_field("AccessKeyId");
  auto secret = string_field("SecretAccessKey");
  if (!id || id->empty()) return bad("no \"AccessKeyId\" string");
  if (!secret || secret->empty()) return bad("no \"SecretAccessKey\" string");
  c.access_key_id = *id;
  c.secret_access_key = *secret;
  if (auto token = string_field("SessionToken")) c.session_token = *token;
  register_credentials_secrets(c);
  if (doc.HasMember("Expiration") && !doc["Expiration"].IsNull()) {
    auto exp = string_field("Expiration");
    if (!exp) return bad("an \"Expiration\" that is not a string");
    auto t = parse_timestamp(*exp);
    if (!t) return bad("an \"Expiration\" that is not an ISO 8601 timestamp");
    c.expiration = *t;
  }
  c.source = what;
  return c;
}

Result<auth::Credentials> credentials_from_process(const std::string& command, const std::string& what,
                                                   WallTime now, Millis timeout) {
  auto run = run_shell_command(command, timeout, 1 << 20);
  if (!run) {
    auto e = std::move(run).error();
    e.message = fmt::format("{}: {}", what, e.message);
    return e;
  }
  if (run->exit_code != 0) {
    auto summary = summarise(run->err);
    return Error::make(ErrorKind::kCredentials, "CredentialProcessFailed",
                       fmt::format("credential_process for {} exited with status {}{}", what, run->exit_code,
                                   summary.empty() ? std::string() : ": " + summary));
  }
  AWSDL_ASSIGN_OR_RETURN(auto c, parse_credential_process_output(run->out, what));
  return usable_credentials(std::move(c), now);
}

}  // namespace awsdl::internal
