#pragma once
// Runs a helper server (any program: a Python script, a daemon wrapper) as a child process
// for the length of a test, and stops it, by its pid, when the object goes away.
//
//   awsdl::testsupport::TestServer server(
//       awsdl::testsupport::TestServer::python(AWSDL_SOURCE_DIR "/tests/support/http_test_server.py",
//                                              {"--watch-stdin"}));
//   ASSERT_TRUE(server.ok()) << server.error();
//   request.host = server.host_port();
//
// Protocol with the child: its first line on stdout is "PORT <n>" (a different first line is
// kept in first_line() and port() stays 0, for programs that report something else, e.g.
// JSON). Everything the child prints after that is drained (and copied to stderr when
// `forward_output` is set) so the child never blocks on a full pipe. The child's stdin is a
// pipe that stays open while this object lives: a child that exits at end of file (as
// http_test_server.py --watch-stdin does) never outlives a crashed test.
//
// Every wait is bounded: startup by `startup_timeout`, stopping by `stop_grace` after SIGTERM,
// then SIGKILL.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

extern char** environ;

namespace awsdl::testsupport {

struct TestServerOptions {
  std::chrono::milliseconds startup_timeout{15000};
  std::chrono::milliseconds stop_grace{2000};
  bool forward_output = false;  // copy the child's stdout after the first line to stderr
};

class TestServer {
 public:
  explicit TestServer(std::vector<std::string> argv, TestServerOptions options = {}) : options_(options) {
    start(std::move(argv));
  }
  ~TestServer() { stop(); }
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  /// argv for a Python script run by the system interpreter (which has botocore).
  static std::vector<std::string> python(std::string script, std::vector<std::string> args = {}) {
    std::vector<std::string> argv{"/usr/bin/python3", "-u", std::move(script)};
    for (auto& a : args) argv.push_back(std::move(a));
    return argv;
  }

  bool ok() const { return error_.empty(); }
  /// Why starting failed (empty when it worked).
  const std::string& error() const { return error_; }
  const std::string& first_line() const { return first_line_; }
  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  std::string host_port() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string url(std::string_view path = "/") const { return "http://" + host_port() + std::string(path); }

  /// Stops the child (SIGTERM, then SIGKILL after the grace period) and reaps it. Idempotent.
  void stop() {
    if (stdin_fd_ >= 0) {
      ::close(stdin_fd_);
      stdin_fd_ = -1;
    }
    if (pid_ > 0) {
      if (!reap(false)) {
        ::kill(pid_, SIGTERM);
        auto until = std::chrono::steady_clock::now() + options_.stop_grace;
        while (!reap(false) && std::chrono::steady_clock::now() < until)
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
        if (pid_ > 0) {
          ::kill(pid_, SIGKILL);
          reap(true);
        }
      }
    }
    stop_drain_.store(true);
    if (drain_.joinable()) drain_.join();
    if (stdout_fd_ >= 0) {
      ::close(stdout_fd_);
      stdout_fd_ = -1;
    }
  }

 private:
  // Pipe ends above 2, close-on-exec, so that dup2 onto 0/1 in the child always clears the
  // flag and nothing leaks into other children spawned concurrently.
  static bool make_pipe(int fds[2]) {
    int raw[2];
    if (::pipe2(raw, O_CLOEXEC) != 0) return false;
    for (int i = 0; i < 2; ++i) {
      if (raw[i] > 2) {
        fds[i] = raw[i];
        continue;
      }
      fds[i] = ::fcntl(raw[i], F_DUPFD_CLOEXEC, 3);
      ::close(raw[i]);
      if (fds[i] < 0) return false;
    }
    return true;
  }

  // Returns true when the child is gone (and clears pid_).
  bool reap(bool block) {
    if (pid_ <= 0) return true;
    int status = 0;
    pid_t r;
    do {
      r = ::waitpid(pid_, &status, block ? 0 : WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r == pid_ || (r < 0 && errno == ECHILD)) {
      exit_status_ = status;
      pid_ = -1;
      return true;
    }
    return false;
  }

  void start(std::vector<std::string> argv) {
    if (argv.empty()) {
      error_ = "no program given";
      return;
    }
    int in[2], out[2];
    if (!make_pipe(in)) {
      error_ = std::string("pipe: ") + std::strerror(errno);
      return;
    }
    if (!make_pipe(out)) {
      error_ = std::string("pipe: ") + std::strerror(errno);
      ::close(in[0]);
      ::close(in[1]);
      return;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGTERM);
    sigaddset(&defaults, SIGINT);
    sigaddset(&defaults, SIGPIPE);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    pid_t pid = -1;
    int rc = ::posix_spawnp(&pid, cargv[0], &fa, &attr, cargv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    ::close(in[0]);
    ::close(out[1]);
    if (rc != 0) {
      error_ = "cannot start " + argv[0] + ": " + std::strerror(rc);
      ::close(in[1]);
      ::close(out[0]);
      return;
    }
    pid_ = pid;
    stdin_fd_ = in[1];
    stdout_fd_ = out[0];

    if (!read_first_line(argv[0])) {
      stop();
      return;
    }
    if (first_line_.rfind("PORT ", 0) == 0) {
      try {
        port_ = std::stoi(first_line_.substr(5));
      } catch (...) {
        port_ = 0;
      }
      if (port_ <= 0 || port_ > 65535) {
        error_ = argv[0] + " reported a bad port line: " + first_line_;
        stop();
        return;
      }
    }
    drain_ = std::thread([this] { drain(); });
  }

  bool read_first_line(const std::string& name) {
    auto until = std::chrono::steady_clock::now() + options_.startup_timeout;
    std::string line;
    while (true) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        error_ = name + " did not report its port within " + std::to_string(options_.startup_timeout.count()) + " ms";
        return false;
      }
      pollfd p{stdout_fd_, POLLIN, 0};
      int n = ::poll(&p, 1, static_cast<int>(left.count()));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) continue;
      char c;
      ssize_t got = ::read(stdout_fd_, &c, 1);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        reap(false);
        error_ = name + " exited before reporting its port";
        if (exit_status_ >= 0 && WIFEXITED(exit_status_))
          error_ += " (exit status " + std::to_string(WEXITSTATUS(exit_status_)) + ")";
        return false;
      }
      if (c == '\n') break;
      if (line.size() > 65536) {
        error_ = name + " printed an overlong first line";
        return false;
      }
      line.push_back(c);
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    first_line_ = std::move(line);
    return true;
  }

  void drain() {
    char buf[4096];
    while (!stop_drain_.load()) {
      pollfd p{stdout_fd_, POLLIN, 0};
      int n = ::poll(&p, 1, 100);
      if (n <= 0) continue;
      ssize_t got = ::read(stdout_fd_, buf, sizeof buf);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) return;
      if (options_.forward_output) (void)!::write(2, buf, static_cast<std::size_t>(got));
    }
  }

  TestServerOptions options_;
  std::string error_;
  std::string first_line_;
  int port_ = 0;
  pid_t pid_ = -1;
  int exit_status_ = -1;
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  std::atomic<bool> stop_drain_{false};
  std::thread drain_;
};

}  // namespace awsdl::testsupport
