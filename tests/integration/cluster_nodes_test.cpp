// A cluster whose instances are real local sshd nodes: the sandbox's EC2 is given the nodes'
// loopback addresses (control action ec2/nodes), the lifecycle creates the cluster, and
// describe() must return those addresses for the master and the workers, each reachable by SSH
// and answering with its own address.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <chrono>
#include <filesystem>
#include <set>
#include <string>

#include "awsdl/cluster/lifecycle.hpp"
#include "awsdl/ec2/ec2.hpp"
#include "awsdl/ssh/session.hpp"
#include "awsdl/ssh/target.hpp"
#include "support/sandbox.hpp"
#include "support/ssh_nodes.hpp"

namespace awsdl {
namespace {

using namespace std::chrono_literals;
using awsdl_test::ssh_nodes;
using testsupport::Sandbox;

[[maybe_unused]] auto* const kEnv = ::testing::AddGlobalTestEnvironment(new awsdl_test::SshNodesEnvironment(3, 0));

TEST(ClusterNodes, DescribeReturnsTheNodePoolAddressesForMasterAndWorkers) {
  AWSDL_REQUIRE_SSH_NODES();
  Sandbox sandbox;
  ASSERT_TRUE(sandbox.ok()) << sandbox.error();
  ASSERT_TRUE(sandbox.reset().ok());
  ASSERT_TRUE(sandbox.control("POST", "/_sandbox/services/ec2/config", R"({"transition_seconds": 0.05})").ok());
  // Another test may have slowed the stacks down (the setting outlives a reset).
  ASSERT_TRUE(sandbox.control("POST", "/_sandbox/services/cloudformation/config", R"({"transition_seconds": 0.05})").ok());
  std::string pool;
  std::set<std::string> addresses;
  for (const auto& n : ssh_nodes().nodes) {
    pool += (pool.empty() ? "\"" : ",\"") + n.address + "\"";
    addresses.insert(n.address);
  }
  ASSERT_EQ(addresses.size(), 3u);
  ASSERT_TRUE(sandbox.control("POST", "/_sandbox/services/ec2/nodes", "{\"addresses\":[" + pool + "]}").ok());

  Config config = sandbox.config();
  ASSERT_TRUE(ec2::Ec2Client(config).create_key_pair("team").ok());
  cluster::ClusterSpec spec{.name = "pooled", .instance_type = "p3.2xlarge", .workers = 2, .min_workers = 2,
                            .ssh_cidr = "127.0.0.0/8", .key_name = "team"};
  cluster::Clusters clusters(config);
  cluster::CreateOptions opts;
  opts.poll_interval = 100ms;
  opts.deadline = Deadline::after(90s, *config.runtime.clock);
  auto created = clusters.create(spec, opts);
  ASSERT_TRUE(created.ok()) << created.error().to_string();

  auto info = clusters.describe("pooled");
  ASSERT_TRUE(info.ok()) << info.error().to_string();
  ASSERT_EQ(info->nodes.size(), 3u);
  const cluster::Node* master = info->master();
  ASSERT_NE(master, nullptr);
  EXPECT_TRUE(addresses.count(master->private_ip)) << master->private_ip;
  EXPECT_EQ(master->public_ip, master->private_ip) << "the master's node answers on one address";
  std::set<std::string> used = {master->private_ip};
  for (const auto& w : info->workers()) {
    EXPECT_TRUE(addresses.count(w.private_ip)) << w.private_ip;
    EXPECT_TRUE(w.public_ip.empty());
    EXPECT_EQ(w.gpus, 1);
    used.insert(w.private_ip);
  }
  EXPECT_EQ(used, addresses) << "each node has its own address";

  // Each address is a real node: SSH to it and ask which address the connection reached.
  auto known_hosts = std::filesystem::temp_directory_path() / ("cluster_nodes_known_hosts_" + std::to_string(::getpid()));
  ssh::SessionOptions so;
  so.user = "root";
  so.identity_files = {ssh_nodes().key};
  so.use_agent = false;
  so.known_hosts = known_hosts.string();
  so.connect_timeout = 20s;
  for (const auto& n : info->nodes) {
    auto target = ssh::parse_target(n.private_ip);
    ASSERT_TRUE(target.ok());
    auto session = ssh::Session::connect(*target, so);
    ASSERT_TRUE(session.ok()) << n.private_ip << ": " << session.error().to_string();
    auto r = session->exec("echo \"$SSH_CONNECTION\" | cut -d' ' -f3");
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_EQ(r->out, n.private_ip + "\n");
  }
  std::filesystem::remove(known_hosts);

  cluster::DeleteOptions del;
  del.poll_interval = 100ms;
  del.deadline = Deadline::after(90s, *config.runtime.clock);
  ASSERT_TRUE(clusters.remove("pooled", del).ok());
  // The addresses went back to the pool.
  auto nodes = sandbox.control("POST", "/_sandbox/services/ec2/nodes", "{}");
  ASSERT_TRUE(nodes.ok());
  rapidjson::Document d;
  d.Parse(nodes->c_str());
  ASSERT_TRUE(d.IsObject() && d.HasMember("assigned") && d["assigned"].IsObject()) << *nodes;
  EXPECT_EQ(d["assigned"].MemberCount(), 0u) << *nodes;
  (void)sandbox.control("POST", "/_sandbox/services/ec2/nodes", R"({"addresses": []})");
}

}  // namespace
}  // namespace awsdl
