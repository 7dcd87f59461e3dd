// One SSH session against real OpenSSH sshd nodes on loopback addresses.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "awsdl/ssh/quote.hpp"
#include "awsdl/ssh/session.hpp"
#include "support/ssh_nodes.hpp"

namespace {

using namespace awsdl::ssh;
using awsdl::ErrorKind;
using awsdl_test::ssh_nodes;
namespace fs = std::filesystem;

[[maybe_unused]] auto* const kEnv =
    ::testing::AddGlobalTestEnvironment(new awsdl_test::SshNodesEnvironment(2, 0));

std::string fresh_known_hosts() {
  static int n = 0;
  auto* t = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string p = ssh_nodes().tmp + "/kh-" + t->name() + "-" + std::to_string(++n);
  std::ofstream(p).close();
  return p;
}

SessionOptions options(std::string known_hosts = "") {
  SessionOptions o;
  o.user = "root";
  o.identity_files = {ssh_nodes().key};
  o.use_agent = false;
  o.known_hosts = known_hosts.empty() ? fresh_known_hosts() : known_hosts;
  o.connect_timeout = std::chrono::seconds(20);
  return o;
}

Target node(int i) { return *parse_target(ssh_nodes().nodes.at(i).address); }

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(SshSession, ExecReturnsStdoutStderrAndExitStatus) {
  AWSDL_REQUIRE_SSH_NODES();
  auto s = Session::connect(node(0), options());
  ASSERT_TRUE(s.ok()) << s.error().to_string();
  auto r = s->exec("echo out; echo err >&2; echo \"$SSH_CONNECTION\" | cut -d' ' -f3; exit 3");
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->exit_status, 3);
  EXPECT_FALSE(r->ok());
  EXPECT_EQ(r->out, "out\n" + ssh_nodes().nodes[0].address + "\n");
  EXPECT_EQ(r->err, "err\n");
  EXPECT_EQ(s->target().user, "root");
  EXPECT_EQ(s->target().port, 22);
}

TEST(SshSession, EnvironmentStdinAndStreaming) {
  AWSDL_REQUIRE_SSH_NODES();
  auto s = Session::connect(node(1), options());
  ASSERT_TRUE(s.ok()) << s.error().to_string();
  ExecOptions eo;
  eo.env = {{"AWSDL_A", "x y $z 'q' \"d\"\nline2"}, {"AWSDL_B", ""}};
  eo.stdin_data = "hello\nworld\n";
  std::string streamed;
  eo.on_output = [&](Stream st, std::string_view chunk) {
    if (st == Stream::kStdout) streamed.append(chunk);
  };
  auto r = s->exec("printf '[%s][%s]' \"$AWSDL_A\" \"${AWSDL_B-unset}\"; cat", eo);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->out, "[x y $z 'q' \"d\"\nline2][]hello\nworld\n");
  EXPECT_EQ(streamed, r->out);
  ExecOptions bad;
  bad.env = {{"NOT A NAME", "x"}};
  EXPECT_EQ(s->exec("true", bad).error().kind, ErrorKind::kInvalidArgument);
}

TEST(SshSession, LargeOutputAndCaptureLimit) {
  AWSDL_REQUIRE_SSH_NODES();
  auto s = Session::connect(node(0), options());
  ASSERT_TRUE(s.ok());
  auto r = s->exec("head -c 3000000 /dev/zero | tr '\\0' x; head -c 100000 /dev/zero | tr '\\0' y >&2");
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->out, std::string(3000000, 'x'));
  EXPECT_EQ(r->err, std::string(100000, 'y'));
  ExecOptions eo;
  eo.max_capture = 1000;
  r = s->exec("head -c 5000 /dev/zero | tr '\\0' x", eo);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->out.size(), 1000u);
  EXPECT_EQ(r->dropped_bytes, 4000u);
}

TEST(SshSession, AcceptNewRecordsTheKeyAndStrictThenAcceptsIt) {
  AWSDL_REQUIRE_SSH_NODES();
  std::string kh = fresh_known_hosts();
  auto o = options(kh);
  o.host_key_policy = HostKeyPolicy::kStrict;
  auto refused = Session::connect(node(0), o);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "HostKeyUnknown");
  EXPECT_NE(refused.error().message.find(ssh_nodes().nodes[0].address), std::string::npos);
  EXPECT_EQ(slurp(kh), "");  // strict never writes

  o.host_key_policy = HostKeyPolicy::kAcceptNew;
  ASSERT_TRUE(Session::connect(node(0), o).ok());
  std::string recorded = slurp(kh);
  const std::string& key = ssh_nodes().nodes[0].host_key;
  std::string key_body = key.substr(0, key.rfind(' '));  // without the comment
  EXPECT_NE(recorded.find(ssh_nodes().nodes[0].address), std::string::npos) << recorded;
  EXPECT_NE(recorded.find(key_body), std::string::npos) << recorded;

  o.host_key_policy = HostKeyPolicy::kStrict;
  auto again = Session::connect(node(0), o);
  ASSERT_TRUE(again.ok()) << again.error().to_string();
  EXPECT_EQ(slurp(kh), recorded);  // nothing added the second time
}

TEST(SshSession, ChangedHostKeyIsRefusedWithAClearError) {
  AWSDL_REQUIRE_SSH_NODES();
  std::string kh = fresh_known_hosts();
  const std::string& other = ssh_nodes().other_host_key;
  std::ofstream(kh) << ssh_nodes().nodes[1].address << " " << other.substr(0, other.rfind(' ')) << "\n";
  for (auto policy : {HostKeyPolicy::kStrict, HostKeyPolicy::kAcceptNew}) {
    auto o = options(kh);
    o.host_key_policy = policy;
    auto r = Session::connect(node(1), o);
    ASSERT_FALSE(r.ok()) << to_string(policy);
    EXPECT_EQ(r.error().code, "HostKeyChanged");
    EXPECT_NE(r.error().message.find("CHANGED"), std::string::npos);
    EXPECT_NE(r.error().message.find("ssh-keygen -R"), std::string::npos);
    EXPECT_NE(r.error().message.find("SHA256:"), std::string::npos);
  }
  auto o = options(kh);
  o.host_key_policy = HostKeyPolicy::kInsecureAcceptAny;
  EXPECT_TRUE(Session::connect(node(1), o).ok());
}

TEST(SshSession, DownNodeIsANetworkError) {
  AWSDL_REQUIRE_SSH_NODES();
  auto t0 = std::chrono::steady_clock::now();
  auto r = Session::connect(*parse_target(ssh_nodes().down_address), options());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kNetwork);
  EXPECT_TRUE(r.error().retryable);
  EXPECT_NE(r.error().message.find(ssh_nodes().down_address), std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
}

TEST(SshSession, HangingNodeTimesOut) {
  AWSDL_REQUIRE_SSH_NODES();
  auto o = options();
  o.connect_timeout = std::chrono::milliseconds(1500);
  auto t0 = std::chrono::steady_clock::now();
  auto r = Session::connect(*parse_target(ssh_nodes().hang_address), o);
  auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kTimeout) << r.error().to_string();
  EXPECT_GE(took, std::chrono::milliseconds(1400));
  EXPECT_LT(took, std::chrono::seconds(10));
}

TEST(SshSession, CommandTimeoutKillsTheCommandAndTheSessionLivesOn) {
  AWSDL_REQUIRE_SSH_NODES();
  auto s = Session::connect(node(0), options());
  ASSERT_TRUE(s.ok());
  ExecOptions eo;
  eo.timeout = std::chrono::milliseconds(800);
  auto t0 = std::chrono::steady_clock::now();
  auto r = s->exec("sleep 37.25", eo);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kTimeout);
  EXPECT_EQ(r.error().code, "CommandTimeout");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));
  // The remote sleep was killed (the brackets keep pgrep from matching itself).
  bool gone = false;
  for (int i = 0; i < 50 && !gone; ++i) {
    auto check = s->exec("pgrep -f 'sleep 37[.]25' >/dev/null && echo running || echo gone");
    ASSERT_TRUE(check.ok()) << check.error().to_string();
    gone = check->out == "gone\n";
    if (!gone) usleep(100000);
  }
  EXPECT_TRUE(gone);
}

// The shell that runs a list of commands is killed with what it started: the next command
// never starts. (A shell whose stderr is the closed channel dies of SIGPIPE when it reports the
// killed command; one whose output goes to a file, as a training script's does, lives on
// unless killed.) Nor does a subshell (here in a process group of its own) or the left side of
// a pipe live on.
TEST(SshSession, CommandTimeoutKillsTheShellAndWhatItStarted) {
  AWSDL_REQUIRE_SSH_NODES();
  auto s = Session::connect(node(1), options());
  ASSERT_TRUE(s.ok());
  ExecOptions eo;
  eo.timeout = std::chrono::milliseconds(800);
  // The sleeps carry this process's id in their fraction: the nodes are local, so pgrep sees
  // the whole machine, and another run of this test must neither be seen nor killed.
  const std::string tag = std::to_string(100000 + ::getpid() % 900000);
  auto sleep_for = [&](int seconds) { return "sleep " + std::to_string(seconds) + "." + tag; };
  for (const std::string& command :
       {"exec >/dev/null 2>&1; " + sleep_for(41) + "; " + sleep_for(42),
        "exec 2>/dev/null; set -m; (" + sleep_for(43) + "; " + sleep_for(44) + "); true",
        "exec 2>/dev/null; while :; do " + sleep_for(45) + "; done | cat"}) {
    auto r = s->exec(command, eo);
    ASSERT_FALSE(r.ok()) << command;
    EXPECT_EQ(r.error().code, "CommandTimeout") << command;
  }
  // For two seconds after the kills, none of those runs (the brackets keep pgrep from matching
  // itself): had a shell survived, it would have started its next sleep.
  std::string seen;
  for (int i = 0; i < 20 && seen.empty(); ++i) {
    auto check = s->exec("pgrep -a -f 'sleep 4[1-5][.]" + tag + "' || true");
    ASSERT_TRUE(check.ok()) << check.error().to_string();
    seen = check->out;
    usleep(100000);
  }
  EXPECT_EQ(seen, "");
  // Whatever a failure left behind, by the pids pgrep printed.
  std::istringstream lines(seen);
  for (std::string line; std::getline(lines, line);)
    if (auto pid = std::atoi(line.c_str()); pid > 1) (void)s->exec("kill -KILL " + std::to_string(pid));
}

TEST(SshSession, CancellationStopsACommand) {
  AWSDL_REQUIRE_SSH_NODES();
  auto s = Session::connect(node(1), options());
  ASSERT_TRUE(s.ok());
  awsdl::CancellationSource src;
  ExecOptions eo;
  eo.cancel = src.token();
  eo.on_output = [&](Stream, std::string_view) { src.cancel(); };
  auto r = s->exec("echo started; sleep 30", eo);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kCancelled);
  EXPECT_TRUE(s->exec("true").ok());
}

// The kill after a cancellation runs on the same session: it used to wait out its own 10 s
// timeout now and then, when the cancelled command's loop had polled the socket through an
// ssh_event (output arriving while it waits) that still held the session's socket, so the
// kill's exit status was never read. A command that writes steadily, cancelled from another
// thread, met it about one time in three.
TEST(SshSession, CancellationReturnsWithoutWaitingOutTheKill) {
  AWSDL_REQUIRE_SSH_NODES();
  auto s = Session::connect(node(1), options());
  ASSERT_TRUE(s.ok());
  for (int round = 0; round < 8; ++round) {
    awsdl::CancellationSource src;
    ExecOptions eo;
    eo.cancel = src.token();
    std::thread canceller;
    eo.on_output = [&](Stream, std::string_view) {
      if (!canceller.joinable())
        canceller = std::thread([&] {
          std::this_thread::sleep_for(std::chrono::milliseconds(300));
          src.cancel();
        });
    };
    const auto started = std::chrono::steady_clock::now();
    auto r = s->exec("i=0; while [ $i -lt 600 ]; do echo progress $i; sleep 0.05; i=$((i+1)); done", eo);
    const auto took = std::chrono::steady_clock::now() - started;
    if (canceller.joinable()) canceller.join();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::kCancelled);
    EXPECT_LT(took, std::chrono::seconds(5)) << "round " << round;
  }
  EXPECT_TRUE(s->exec("true").ok());
}

TEST(SshSession, WrongKeyIsACredentialsError) {
  AWSDL_REQUIRE_SSH_NODES();
  auto o = options();
  o.identity_files = {ssh_nodes().tmp + "/other_host_ed25519", ssh_nodes().tmp + "/no-such-key"};
  auto r = Session::connect(node(0), o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kCredentials);
  EXPECT_EQ(r.error().code, "AuthenticationFailed");
  EXPECT_NE(r.error().message.find("other_host_ed25519"), std::string::npos);
  EXPECT_NE(r.error().message.find("no-such-key"), std::string::npos);
}

TEST(SshSession, SftpUploadDownloadAndErrors) {
  AWSDL_REQUIRE_SSH_NODES();
  auto s = Session::connect(node(0), options());
  ASSERT_TRUE(s.ok());
  std::string dir = ssh_nodes().tmp + "/sftp";
  fs::create_directories(dir);
  std::string payload;
  for (int i = 0; i < 200000; ++i) payload += static_cast<char>((i * 7919) & 0xff);
  std::string local = dir + "/local.bin";
  std::ofstream(local, std::ios::binary) << payload;
  ASSERT_TRUE(s->upload(local, dir + "/remote.bin", 0600).ok());
  auto st = s->exec("stat -c %a " + shell_quote(dir + "/remote.bin") + "; sha256sum < " + shell_quote(dir + "/remote.bin") +
                    " | cut -c1-64; sha256sum < " + shell_quote(local) + " | cut -c1-64");
  ASSERT_TRUE(st.ok());
  auto lines = st->out;
  EXPECT_EQ(lines.substr(0, 4), "600\n");
  EXPECT_EQ(lines.substr(4, 64), lines.substr(69, 64));
  ASSERT_TRUE(s->download(dir + "/remote.bin", dir + "/back.bin").ok());
  EXPECT_EQ(slurp(dir + "/back.bin"), payload);
  ASSERT_TRUE(s->write_file(dir + "/small.txt", "it's $small\n", 0640).ok());
  EXPECT_EQ(*s->read_file(dir + "/small.txt"), "it's $small\n");
  EXPECT_EQ(s->read_file(dir + "/small.txt", 3).error().code, "RemoteFileTooLarge");
  EXPECT_EQ(s->read_file(dir + "/missing").error().kind, ErrorKind::kNotFound);
  auto bad = s->download(dir + "/missing", dir + "/never");
  EXPECT_EQ(bad.error().kind, ErrorKind::kNotFound);
  EXPECT_FALSE(fs::exists(dir + "/never"));
  EXPECT_FALSE(fs::exists(dir + "/never.awsdl-partial"));
}

TEST(SshSession, DetachedJobsAreStoppedExactly) {
  AWSDL_REQUIRE_SSH_NODES();
  auto s = Session::connect(node(1), options());
  ASSERT_TRUE(s.ok());
  // Two jobs with the same command line: stopping one must leave the other alone.
  const std::string cmd = "sleep 301 & sleep 302 & echo started; wait";
  auto a = s->start_detached(cmd);
  auto b = s->start_detached(cmd);
  ASSERT_TRUE(a.ok()) << a.error().to_string();
  ASSERT_TRUE(b.ok()) << b.error().to_string();
  EXPECT_NE(a->pgid, b->pgid);
  EXPECT_NE(a->id, b->id);
  // The leader is the process group (and session) leader.
  auto pg = s->exec("ps -o pgid= -o sid= -p " + std::to_string(a->pgid));
  ASSERT_TRUE(pg.ok());
  std::istringstream in(pg->out);
  int pgid = 0, sid = 0;
  in >> pgid >> sid;
  EXPECT_EQ(pgid, a->pgid);
  EXPECT_EQ(sid, a->pgid);
  int n = 0;
  for (int i = 0; i < 50 && n < 3; ++i) {  // sh + two sleeps, once they have started
    n = *s->job_processes(*a);
    if (n < 3) usleep(50000);
  }
  EXPECT_EQ(n, 3);
  auto stopped = s->stop(*a, std::chrono::seconds(5));
  ASSERT_TRUE(stopped.ok()) << stopped.error().to_string();
  EXPECT_EQ(stopped->processes, 3);
  EXPECT_FALSE(stopped->killed);
  EXPECT_EQ(*s->job_processes(*a), 0);
  EXPECT_EQ(*s->job_processes(*b), 3);
  EXPECT_NE(s->read_file(a->log_path)->find("started"), std::string::npos);

  // A job that ignores SIGTERM is killed after the grace period.
  auto stubborn = s->start_detached("trap '' TERM; while :; do sleep 0.2; done");
  ASSERT_TRUE(stubborn.ok());
  usleep(300000);
  auto k = s->stop(*stubborn, std::chrono::milliseconds(600));
  ASSERT_TRUE(k.ok()) << k.error().to_string();
  EXPECT_TRUE(k->killed);
  EXPECT_EQ(*s->job_processes(*stubborn), 0);

  ASSERT_TRUE(s->stop(*b, std::chrono::seconds(5)).ok());
  EXPECT_EQ(*s->job_processes(*b), 0);
  // Stopping a finished job finds nothing and signals nothing.
  auto again = s->stop(*a, std::chrono::seconds(1));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->processes, 0);
  (void)s->exec("rm -f " + shell_quote(a->log_path) + " " + shell_quote(b->log_path) + " " + shell_quote(stubborn->log_path));
}

// An ssh-agent started for the test: authentication through it, and forwarding (opt-in).
TEST(SshSession, AgentAuthenticationAndForwarding) {
  AWSDL_REQUIRE_SSH_NODES();
  std::string sock = ssh_nodes().tmp + "/agent.sock";
  std::string cmd = "ssh-agent -a " + shell_quote(sock) + " -s | sed -n 's/^SSH_AGENT_PID=\\([0-9]*\\);.*/\\1/p'";
  FILE* p = ::popen(cmd.c_str(), "r");
  ASSERT_TRUE(p);
  int agent_pid = 0;
  ASSERT_EQ(std::fscanf(p, "%d", &agent_pid), 1);
  ::pclose(p);
  struct AgentGuard {
    int pid;
    ~AgentGuard() { ::kill(pid, SIGTERM); }
  } guard{agent_pid};
  const char* old = std::getenv("SSH_AUTH_SOCK");
  std::string saved = old ? old : "";
  ::setenv("SSH_AUTH_SOCK", sock.c_str(), 1);
  ASSERT_EQ(std::system(("ssh-add -q " + shell_quote(ssh_nodes().key) + " 2>/dev/null").c_str()), 0);

  auto o = options();
  o.identity_files = {ssh_nodes().tmp + "/other_host_ed25519"};  // not accepted: only the agent can get in
  o.use_agent = true;
  auto plain = Session::connect(node(0), o);
  ASSERT_TRUE(plain.ok()) << plain.error().to_string();
  auto without = plain->exec("ssh-add -l");
  ASSERT_TRUE(without.ok());
  EXPECT_NE(without->exit_status, 0);  // no agent on the node

  o.forward_agent = true;
  auto fwd = Session::connect(node(0), o);
  ASSERT_TRUE(fwd.ok()) << fwd.error().to_string();
  for (int i = 0; i < 2; ++i) {  // twice: bridges are per use
    auto with = fwd->exec("ssh-add -l");
    ASSERT_TRUE(with.ok()) << with.error().to_string();
    EXPECT_EQ(with->exit_status, 0) << with->err;
    EXPECT_NE(with->out.find("awsdl-test"), std::string::npos) << with->out;
  }
  if (saved.empty()) ::unsetenv("SSH_AUTH_SOCK");
  else ::setenv("SSH_AUTH_SOCK", saved.c_str(), 1);
}

TEST(SshSession, KeepaliveAndClose) {
  AWSDL_REQUIRE_SSH_NODES();
  auto s = Session::connect(node(0), options());
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->keepalive().ok());
  EXPECT_TRUE(s->exec("true").ok());
  s->close();
  EXPECT_FALSE(s->alive());
  EXPECT_EQ(s->exec("true").error().code, "SessionClosed");
  EXPECT_FALSE(s->keepalive().ok());
}

}  // namespace
