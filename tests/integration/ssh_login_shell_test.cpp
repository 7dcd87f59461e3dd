// Shell start-ups per command, on sshd nodes whose login shell (bash) sources a ~/.bashrc, as
// on a real cluster node: that .bashrc appends one line to ~/shell-starts for each shell that
// starts, so every way the library runs a command (exec, detached jobs, fan-out, the exec
// program) is held to one start-up per command, as ssh and pdsh do.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "awsdl/ssh/fanout.hpp"
#include "awsdl/ssh/session.hpp"
#include "support/run_process.hpp"
#include "support/ssh_nodes.hpp"

namespace {

using namespace awsdl::ssh;
using awsdl_test::ssh_nodes;

[[maybe_unused]] auto* const kEnv =
    ::testing::AddGlobalTestEnvironment(new awsdl_test::SshNodesEnvironment(2, 0, /*login_shells=*/true));

const std::string kProgram = std::string(AWSDL_BINARY_DIR) + "/examples/cluster/awsdl-cluster";

// Shell start-ups recorded on node i so far.
int starts(int i) {
  std::ifstream in(ssh_nodes().nodes.at(i).home + "/shell-starts");
  int n = 0;
  for (std::string line; std::getline(in, line);) ++n;
  return n;
}

SessionOptions options() {
  SessionOptions o;
  o.user = "root";
  o.identity_files = {ssh_nodes().key};
  o.use_agent = false;
  o.known_hosts = ssh_nodes().tmp + "/login_known_hosts";
  o.host_key_policy = HostKeyPolicy::kAcceptNew;
  o.connect_timeout = std::chrono::seconds(20);
  return o;
}

Target node(int i) { return *parse_target(ssh_nodes().nodes.at(i).address); }

#define REQUIRE_LOGIN_NODES()                                                              \
  AWSDL_REQUIRE_SSH_NODES();                                                               \
  ASSERT_FALSE(ssh_nodes().nodes.at(0).home.empty()) << "the nodes have no home of their own"

TEST(SshLoginShell, TheNodesSourceTheirBashrc) {
  REQUIRE_LOGIN_NODES();
  // The fixture itself: without this, every count below would be 0 and prove nothing.
  auto s = Session::connect(node(0), options());
  ASSERT_TRUE(s.ok()) << s.error().to_string();
  auto r = s->exec("echo \"$HOME\"");
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->out, ssh_nodes().nodes[0].home + "\n");
  EXPECT_GE(starts(0), 1);
}

TEST(SshLoginShell, ExecStartsOneShellPerCommand) {
  REQUIRE_LOGIN_NODES();
  auto s = Session::connect(node(0), options());
  ASSERT_TRUE(s.ok()) << s.error().to_string();
  ExecOptions with_env;
  with_env.env = {{"AWSDL_TEST_A", "it's"}};
  struct Case {
    std::string command;
    ExecOptions options;
    std::string out;
  };
  const std::vector<Case> cases = {
      {"true", {}, ""},
      {"echo one; echo two", {}, "one\ntwo\n"},
      {"echo \"$AWSDL_TEST_A\"", with_env, "it's\n"},
      {"exit 3", {}, ""},
  };
  for (const auto& c : cases) {
    const int before = starts(0);
    auto r = s->exec(c.command, c.options);
    ASSERT_TRUE(r.ok()) << c.command << ": " << r.error().to_string();
    EXPECT_EQ(r->out, c.out) << c.command;
    EXPECT_EQ(starts(0) - before, 1) << c.command << ": shell start-ups for one command";
  }
}

TEST(SshLoginShell, DetachedJobsStartOneShellPerCall) {
  REQUIRE_LOGIN_NODES();
  auto s = Session::connect(node(1), options());
  ASSERT_TRUE(s.ok()) << s.error().to_string();
  int before = starts(1);
  auto job = s->start_detached("sleep 30");
  ASSERT_TRUE(job.ok()) << job.error().to_string();
  EXPECT_EQ(starts(1) - before, 1) << "start_detached";
  before = starts(1);
  auto n = s->job_processes(*job);
  ASSERT_TRUE(n.ok()) << n.error().to_string();
  EXPECT_EQ(starts(1) - before, 1) << "job_processes";
  before = starts(1);
  auto stopped = s->stop(*job, std::chrono::seconds(5));
  ASSERT_TRUE(stopped.ok()) << stopped.error().to_string();
  EXPECT_EQ(starts(1) - before, 1) << "stop";
  (void)s->exec("rm -f '" + job->log_path + "'");
}

TEST(SshLoginShell, FanOutStartsOneShellPerHost) {
  REQUIRE_LOGIN_NODES();
  FanOutOptions o;
  o.session = options();
  FanOut fan({ssh_nodes().nodes[0].address, ssh_nodes().nodes[1].address}, o);
  const int before0 = starts(0), before1 = starts(1);
  auto r = fan.run("echo hi");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(starts(0) - before0, 1);
  EXPECT_EQ(starts(1) - before1, 1);
}

TEST(SshLoginShell, ExecProgramStartsOneShellPerHost) {
  REQUIRE_LOGIN_NODES();
  if (!std::filesystem::exists(kProgram)) GTEST_SKIP() << kProgram << " is not built (examples off?)";
  const int before0 = starts(0), before1 = starts(1);
  auto r = awsdl::testsupport::run_process(
      kProgram,
      {"exec", "--hosts", ssh_nodes().nodes[0].address + "," + ssh_nodes().nodes[1].address, "--user", "root",
       "--identity", ssh_nodes().key, "--no-agent", "--known-hosts", ssh_nodes().tmp + "/login_cli_known_hosts",
       "--connect-timeout", "20", "--", "true"},
      {{"PATH", "/usr/bin:/bin"}, {"HOME", ssh_nodes().tmp}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(starts(0) - before0, 1);
  EXPECT_EQ(starts(1) - before1, 1);
}

}  // namespace
