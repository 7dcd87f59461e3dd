// The bastion topology: workers' sshd listen only inside network namespaces made by
// tests/support/sshd_nodes.py; the master's sshd listens on loopback and is the only way
// in. This process connects to the master only; the master's sshd opens the connections to
// the workers (direct-tcpip), as ProxyJump does.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <unistd.h>
#include <filesystem>

#include "awsdl/cluster/health.hpp"
#include "awsdl/ssh/fanout.hpp"
#include "support/ssh_nodes.hpp"

namespace {

using namespace awsdl::ssh;
using awsdl::ErrorKind;
using awsdl_test::ssh_nodes;

[[maybe_unused]] auto* const kEnv =
    ::testing::AddGlobalTestEnvironment(new awsdl_test::SshNodesEnvironment(1, 3));

#define REQUIRE_BASTION()                                                                          \
  AWSDL_REQUIRE_SSH_NODES();                                                                       \
  if (!ssh_nodes().bastion)                                                                        \
  GTEST_SKIP() << "network namespaces are not available here: " << ssh_nodes().bastion_error

SessionOptions options() {
  SessionOptions o;
  o.user = "root";
  o.identity_files = {ssh_nodes().key};
  o.use_agent = false;
  o.known_hosts = ssh_nodes().tmp + "/bastion_known_hosts";
  o.connect_timeout = std::chrono::seconds(20);
  o.jump = "root@" + ssh_nodes().master.address;
  return o;
}

std::vector<std::string> worker_hosts() {
  std::vector<std::string> h;
  for (const auto& w : ssh_nodes().workers) h.push_back(w.address);
  return h;
}

// The veth address on the master's side of worker j's link: <subnet>.(4j+1) for .(4j+2).
std::string master_side(const std::string& worker) {
  auto dot = worker.rfind('.');
  return worker.substr(0, dot + 1) + std::to_string(std::stoi(worker.substr(dot + 1)) - 1);
}

// Pids of the local processes holding established TCP connections to address:22 (ss -p).
std::vector<int> connection_owners(const std::string& address) {
  std::string cmd = "ss -tnpH state established dst " + address + ":22 2>/dev/null";
  FILE* p = ::popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while (p && (n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  if (p) ::pclose(p);
  std::vector<int> pids;
  for (std::size_t at = 0; (at = out.find("pid=", at)) != std::string::npos; at += 4)
    pids.push_back(std::atoi(out.c_str() + at + 4));
  return pids;
}

bool descends_from(int pid, int ancestor) {
  for (int i = 0; i < 64 && pid > 1; ++i) {
    if (pid == ancestor) return true;
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto close = stat.rfind(')');
    if (close == std::string::npos) return false;
    std::istringstream rest(stat.substr(close + 2));
    std::string state;
    rest >> state >> pid;  // the field after the state is the parent pid
  }
  return false;
}

TEST(SshBastion, FanOutReachesEveryWorkerThroughTheMaster) {
  REQUIRE_BASTION();
  FanOutOptions fo;
  fo.session = options();
  FanOut fan(worker_hosts(), fo);
  auto r = fan.run("echo \"$SSH_CONNECTION\"; ip -o -4 addr show scope global | wc -l");
  ASSERT_EQ(r.hosts.size(), 3u);
  for (const auto& h : r.hosts) {
    ASSERT_TRUE(h.ok()) << h.host << ": " << (h.error ? h.error->to_string() : h.err);
    // Accepted on the worker's own address, from the master's end of the veth: the
    // connection was made by the master's sshd, not by this process.
    std::string client = h.out.substr(0, h.out.find(' '));
    EXPECT_EQ(client, master_side(h.host)) << h.out;
    EXPECT_NE(h.out.find(" " + h.host + " 22\n"), std::string::npos) << h.out;
    EXPECT_EQ(h.out.substr(h.out.find('\n') + 1), "1\n");  // one global address: inside the namespace
  }
  // A second command reuses the tunnels.
  auto again = fan.run("true");
  EXPECT_TRUE(again.ok());
  EXPECT_EQ(fan.open_sessions(), 3u);
  // While the sessions are open, every TCP connection to a worker belongs to a process
  // descended from the master's sshd, and none to this process.
  for (const auto& w : worker_hosts()) {
    auto owners = connection_owners(w);
    ASSERT_FALSE(owners.empty()) << w;
    for (int pid : owners) {
      EXPECT_NE(pid, static_cast<int>(::getpid())) << w;
      EXPECT_TRUE(descends_from(pid, ssh_nodes().master.pid)) << w << " is connected to by pid " << pid;
    }
  }
}

TEST(SshBastion, SingleSessionWithItsOwnJumpAndSharedJumpHost) {
  REQUIRE_BASTION();
  auto s = Session::connect(*parse_target(ssh_nodes().workers[0].address), options());
  ASSERT_TRUE(s.ok()) << s.error().to_string();
  auto r = s->exec("cat /proc/self/net/dev | grep -c aw");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->out, "1\n");  // only the namespace's end of its veth

  auto open_fds = [] {
    std::size_t n = 0;
    for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
    return n;
  };
  auto o = options();
  o.jump.clear();
  auto jump = JumpHost::connect(*parse_target(ssh_nodes().master.address), o);
  ASSERT_TRUE(jump.ok()) << jump.error().to_string();
  const std::size_t fds_before = open_fds();
  {
    auto a = Session::connect(*parse_target(ssh_nodes().workers[1].address), o, *jump);
    auto b = Session::connect(*parse_target(ssh_nodes().workers[2].address), o, *jump);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ((*jump)->open_tunnels(), 2u);
    EXPECT_TRUE(a->exec("true").ok());
    // SFTP through the tunnel too.
    ASSERT_TRUE(b->write_file("/tmp/awsdl-bastion-probe", "through the master\n").ok());
    EXPECT_EQ(*b->read_file("/tmp/awsdl-bastion-probe"), "through the master\n");
    (void)b->exec("rm -f /tmp/awsdl-bastion-probe");
  }
  // Closed sessions close their tunnels.
  for (int i = 0; i < 50 && (*jump)->open_tunnels() > 0; ++i) usleep(20000);
  EXPECT_EQ((*jump)->open_tunnels(), 0u);
  EXPECT_EQ(open_fds(), fds_before);  // no descriptor leaked by the tunnels or the sessions
}

TEST(SshBastion, WorkerPortClosedBehindTheJump) {
  REQUIRE_BASTION();
  auto r = Session::connect(*parse_target(ssh_nodes().workers[0].address + ":2222"), options());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "JumpFailed");
  EXPECT_EQ(r.error().kind, ErrorKind::kNetwork);
  EXPECT_NE(r.error().message.find(ssh_nodes().master.address), std::string::npos);
}

TEST(SshBastion, MasterDownFailsEveryWorker) {
  REQUIRE_BASTION();
  FanOutOptions fo;
  fo.session = options();
  fo.session.jump = "root@" + ssh_nodes().down_address;
  FanOut fan(worker_hosts(), fo);
  auto r = fan.run("true");
  EXPECT_EQ(r.failed(), 3u);
  for (const auto& h : r.hosts) EXPECT_EQ(h.error->kind, ErrorKind::kNetwork);
}

TEST(SshBastion, HealthThroughTheMaster) {
  REQUIRE_BASTION();
  FanOutOptions fo;
  fo.session = options();
  FanOut fan(worker_hosts(), fo);
  awsdl::cluster::HealthOptions ho;
  ho.min_free_bytes = 1;
  ho.stray_pattern = "awsdl-no-such-trainer-[0-9]{6}";
  auto report = awsdl::cluster::check_health(fan, ho);
  ASSERT_EQ(report.nodes.size(), 3u);
  EXPECT_TRUE(report.healthy()) << report.table();
}

}  // namespace
