// `awsdl-cluster ssh` against the sandbox whose instances are real local sshd nodes: it runs
// OpenSSH's ssh with the cluster's user, key and known_hosts, to the master or to a worker
// through the master, runs the command given after -- and ends with its exit status.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

#include "awsdl/ec2/ec2.hpp"
#include "support/run_process.hpp"
#include "support/sandbox.hpp"
#include "support/ssh_nodes.hpp"
#include "support/stage_test_support.hpp"

namespace {

using namespace awsdl;
using awsdl_test::ssh_nodes;
using testsupport::Sandbox;
using namespace awsdl::testing_support;
namespace fs = std::filesystem;

[[maybe_unused]] auto* const kEnv = ::testing::AddGlobalTestEnvironment(new awsdl_test::SshNodesEnvironment(3, 0));

const std::string kBinary = std::string(AWSDL_BINARY_DIR) + "/examples/cluster/awsdl-cluster";
const std::string kExampleIni = std::string(AWSDL_SOURCE_DIR) + "/examples/cluster/cluster.ini";

class ClusterSshCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(sandbox.ok()) << sandbox.error();
    ASSERT_TRUE(fs::exists(kBinary)) << kBinary << " is not built";
    ASSERT_TRUE(sandbox.reset());
    ASSERT_TRUE(sandbox.control("POST", "/_sandbox/services/ec2/config", R"({"transition_seconds": 0.05})"));
    fs::create_directories(tmp / "efs");
  }

  testsupport::ProcessResult cli(std::vector<std::string> args, int timeout_s = 120) const {
    auto at = std::find(args.begin(), args.end(), "--");
    at = args.insert(at, sandbox.endpoint());
    args.insert(at, "--endpoint-url");
    auto env = Sandbox::cli_env(tmp.path().string());
    env["AWS_ENDPOINT_URL"] = sandbox.endpoint();
    return testsupport::run_process(kBinary, args, env, std::chrono::seconds(timeout_s));
  }
  std::vector<std::string> flags(const std::string& key_path) const {
    return {"--config", kExampleIni, "--name", "sshcluster", "--user", "root", "--key-path", key_path,
            "--mount-point", (tmp / "efs").string(), "--state-dir", (tmp / "state").string()};
  }
  static std::vector<std::string> with(std::vector<std::string> a, const std::vector<std::string>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
  }

  // A cluster of three local nodes (a master and two workers), made with `create`.
  void create_cluster() {
    const auto& info = ssh_nodes();
    std::string addresses;
    for (const auto& n : info.nodes) addresses += (addresses.empty() ? "\"" : ",\"") + n.address + "\"";
    ASSERT_TRUE(sandbox.control("POST", "/_sandbox/services/ec2/nodes", "{\"addresses\": [" + addresses + "]}"));
    std::ifstream pub_in(info.key + ".pub");
    std::string pub((std::istreambuf_iterator<char>(pub_in)), std::istreambuf_iterator<char>());
    ASSERT_TRUE(ec2::Ec2Client(sandbox.config()).import_key_pair("sshtest", pub));
    auto create = cli(with({"create", "--instance-type", "p3.2xlarge", "--workers", "2", "--min-workers", "1",
                            "--key-name", "sshtest", "--ssh-cidr", "127.0.0.0/8", "--staging-bucket", "",
                            "--slots-per-node", "1", "--mpirun-options", "", "--poll-interval", "0.2"},
                           flags(info.key)),
                      180);
    ASSERT_EQ(create.exit_code, 0) << create.out << create.err;
  }

  // The server address of the SSH connection a command ran over (SSH_CONNECTION's third word).
  static std::string server_address(const std::string& out) {
    auto at = out.find("conn=");
    if (at == std::string::npos) return {};
    std::string line = out.substr(at + 5, out.find('\n', at) - at - 5);
    std::istringstream words(line);
    std::string client, client_port, server;
    words >> client >> client_port >> server;
    return server;
  }

  Sandbox sandbox;
  awsdl::testing_support::ScratchDir tmp;
};

TEST_F(ClusterSshCliTest, RunsTheCommandOnTheMasterOrAWorkerAndReturnsItsStatus) {
  AWSDL_REQUIRE_SSH_NODES();
  const auto& info = ssh_nodes();
  ASSERT_GE(info.nodes.size(), 3u);
  create_cluster();
  if (HasFatalFailure()) return;
  const auto f = flags(info.key);

  // The master, first: the command runs there, over a connection to the master's address.
  auto master = cli(with({"ssh"}, with(f, {"--", "echo", "conn=$SSH_CONNECTION", "user=$(id -un)"})));
  ASSERT_EQ(master.exit_code, 0) << master.out << master.err;
  EXPECT_EQ(server_address(master.out), info.nodes[0].address) << master.out;
  EXPECT_NE(master.out.find("user=root"), std::string::npos) << master.out;
  // Its host key went into the cluster's known_hosts, not the user's.
  std::ifstream kh(tmp / "state" / "known_hosts");
  std::string known((std::istreambuf_iterator<char>(kh)), std::istreambuf_iterator<char>());
  EXPECT_FALSE(known.empty()) << "no host key recorded in the state directory's known_hosts";

  // The command's exit status is the program's.
  auto failed = cli(with({"ssh"}, with(f, {"--", "exit", "7"})));
  EXPECT_EQ(failed.exit_code, 7) << failed.out << failed.err;

  // A worker by number and by name, through the master: the connection ends at the worker.
  for (const std::string which : {"2", "deeplearning-worker1"}) {
    auto worker = cli(with(with({"ssh"}, f), {which, "--", "echo", "conn=$SSH_CONNECTION"}));
    ASSERT_EQ(worker.exit_code, 0) << which << ": " << worker.out << worker.err;
    const std::string server = server_address(worker.out);
    EXPECT_NE(server, info.nodes[0].address) << which << " ran on the master: " << worker.out;
    EXPECT_TRUE(server == info.nodes[1].address || server == info.nodes[2].address) << which << ": " << worker.out;
  }
  auto one = cli(with(with({"ssh"}, f), {"1", "--", "echo", "conn=$SSH_CONNECTION"}));
  auto two = cli(with(with({"ssh"}, f), {"2", "--", "echo", "conn=$SSH_CONNECTION"}));
  ASSERT_EQ(one.exit_code, 0) << one.err;
  ASSERT_EQ(two.exit_code, 0) << two.err;
  EXPECT_NE(server_address(one.out), server_address(two.out)) << "workers 1 and 2 are the same node";

  // A worker the cluster does not have: a usage error naming the ones it has, no ssh run.
  auto none = cli(with(with({"ssh"}, f), {"9", "--", "true"}));
  EXPECT_EQ(none.exit_code, 2) << none.out << none.err;
  EXPECT_NE(none.err.find("NoSuchWorker"), std::string::npos) << none.err;
  EXPECT_NE(none.err.find("its workers: 1 ("), std::string::npos) << none.err;

  // --print: the command line, with the cluster's key and known_hosts, the master as the jump.
  auto printed = cli(with(with({"ssh"}, f), {"--print", "1"}));
  ASSERT_EQ(printed.exit_code, 0) << printed.err;
  EXPECT_EQ(printed.out.rfind("ssh -i " + info.key + " ", 0), 0u) << printed.out;
  EXPECT_NE(printed.out.find("UserKnownHostsFile=" + (tmp / "state" / "known_hosts").string()), std::string::npos)
      << printed.out;
  EXPECT_NE(printed.out.find("-W %h:%p -- root@" + info.nodes[0].address), std::string::npos) << printed.out;
}

TEST_F(ClusterSshCliTest, NoClusterIsAnErrorBeforeAnySsh) {
  auto r = cli({"ssh", "--name", "no-such-cluster", "--key-path", "/dev/null", "--state-dir", (tmp / "state").string(),
                "--", "true"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("no-such-cluster"), std::string::npos) << r.err;
  auto two = cli({"ssh", "--name", "c", "1", "2"});
  EXPECT_EQ(two.exit_code, 2) << two.out << two.err;
  EXPECT_NE(two.err.find("one WORKER at most"), std::string::npos) << two.err;
}

}  // namespace
