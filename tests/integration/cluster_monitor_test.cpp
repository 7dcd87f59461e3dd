// The Monitor on a sandbox cluster whose instances are local sshd nodes (the sandbox's EC2 node
// pool): every node with its GPUs (a fake nvidia-smi), load and shared space; a job started on
// the master, its log tail and the metrics parsed from it as the log grows; a worker terminated
// shows as lost; the deleted cluster gives a snapshot that says so.
#include "awsdl/cluster/bootstrap.hpp"
#include "awsdl/cluster/monitor.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "awsdl/ec2/ec2.hpp"
#include "awsdl/s3/client.hpp"
#include "support/sandbox.hpp"
#include "support/ssh_nodes.hpp"

namespace awsdl {
namespace {

using namespace std::chrono_literals;
using awsdl_test::ssh_nodes;
using testsupport::Sandbox;

[[maybe_unused]] auto* const kEnv = ::testing::AddGlobalTestEnvironment(new awsdl_test::SshNodesEnvironment(3, 0));

// Two GPUs, the first busy: enough of nvidia-smi for the health probe (-L) and the monitor.
constexpr const char* kFakeSmi = R"SH(#!/bin/sh
case "$*" in
  *-L*) echo "GPU 0: Tesla V100-SXM2-16GB (UUID: GPU-0)"; echo "GPU 1: Tesla V100-SXM2-16GB (UUID: GPU-1)" ;;
  *--query-gpu*) echo "0, 87, 12000, 16384"; echo "1, 3, 10, 16384" ;;
  *) exit 1 ;;
esac
)SH";

class ClusterMonitorSandbox : public ::testing::Test {
 protected:
  void SetUp() override {
    AWSDL_REQUIRE_SSH_NODES();
    ASSERT_TRUE(sandbox.ok()) << sandbox.error();
    ASSERT_TRUE(sandbox.reset().ok());
    ASSERT_TRUE(sandbox.control("POST", "/_sandbox/services/ec2/config", R"({"transition_seconds": 0.05})").ok());
    ASSERT_TRUE(sandbox.control("POST", "/_sandbox/services/cloudformation/config", R"({"transition_seconds": 0.05})").ok());
    std::string pool;
    for (const auto& n : ssh_nodes().nodes) pool += (pool.empty() ? "\"" : ",\"") + n.address + "\"";
    ASSERT_TRUE(sandbox.control("POST", "/_sandbox/services/ec2/nodes", "{\"addresses\":[" + pool + "]}").ok());
    ASSERT_TRUE(ec2::Ec2Client(config).create_key_pair("team").ok());
    dir = std::filesystem::temp_directory_path() / ("awsdl-test-monitor-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir / "shared");
    smi = (dir / "nvidia-smi").string();
    std::ofstream(smi) << kFakeSmi;
    std::filesystem::permissions(smi, std::filesystem::perms::owner_all);
  }
  void TearDown() override {
    (void)sandbox.control("POST", "/_sandbox/services/ec2/nodes", R"({"addresses": []})");
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }

  cluster::MonitorOptions options() const {
    cluster::MonitorOptions o;
    o.cluster = "watched";
    o.user = "root";
    auto& so = o.fan.session;
    so.identity_files = {ssh_nodes().key};
    so.use_agent = false;
    so.known_hosts = (dir / "known_hosts").string();
    so.connect_timeout = 20s;
    o.health.nvidia_smi = smi;
    o.health.shared_path = (dir / "shared").string();
    o.health.require_mount_point = false;  // a directory of the test machine, shared by every node
    o.health.min_free_bytes = 1;
    return o;
  }

  Sandbox sandbox;
  Config config = sandbox.config();
  cluster::Clusters clusters{config};
  std::filesystem::path dir;
  std::string smi;
};

TEST_F(ClusterMonitorSandbox, NodesJobLogMetricsALostWorkerAndTheDeletedCluster) {
  cluster::ClusterSpec spec{.name = "watched", .instance_type = "p3.2xlarge", .workers = 2, .min_workers = 1,
                            .ssh_cidr = "127.0.0.0/8", .key_name = "team"};
  spec.availability_zone = "us-east-1a";
  cluster::CreateOptions co;
  co.poll_interval = 100ms;
  co.deadline = Deadline::after(90s, *config.runtime.clock);
  auto created = clusters.create(spec, co);
  ASSERT_TRUE(created.ok()) << created.error().to_string();
  const cluster::Node* master = created->master();
  ASSERT_NE(master, nullptr);

  // A "training" job on the master writing a loss line every 50 ms.
  const std::string log = (dir / "train.log").string();
  auto o = options();
  ssh::FanOut starter({"root@" + master->private_ip}, o.fan);
  ssh::DetachOptions d;
  d.log_path = log;
  auto job = starter.start_on("root@" + master->private_ip,
                              "i=0; while [ $i -lt 400 ]; do echo \"step $i loss=$(awk \"BEGIN{print 1/($i+1)}\")\"; "
                              "i=$((i+1)); sleep 0.05; done",
                              d);
  ASSERT_TRUE(job.ok()) << job.error().to_string();
  o.jobs = {*job};
  o.metrics = {{"loss", "loss=([0-9.e-]+)"}};
  o.log_tail_lines = 5;
  auto monitor = cluster::Monitor::make(config, o);
  ASSERT_TRUE(monitor.ok()) << monitor.error().to_string();

  auto first = monitor->snapshot();
  ASSERT_TRUE(first.ok()) << first.error().to_string();
  EXPECT_TRUE(first->cluster_exists);
  EXPECT_EQ(first->stack_status, "CREATE_COMPLETE");
  EXPECT_FALSE(first->events.empty());
  ASSERT_EQ(first->nodes.size(), 3u);
  EXPECT_EQ(first->nodes[0].node.role, cluster::NodeRole::kMaster);
  EXPECT_EQ(first->ssh_commands, 3);
  std::printf("first snapshot of 3 nodes (connecting): %d SSH commands, %lld ms\n", first->ssh_commands,
              static_cast<long long>(first->took.count()));
  for (const auto& n : first->nodes) {
    EXPECT_FALSE(n.lost);
    ASSERT_TRUE(n.reachable) << n.host << ": " << (n.error ? n.error->to_string() : "");
    ASSERT_TRUE(n.health.has_value());
    EXPECT_TRUE(n.health->healthy()) << n.host << ": " << n.health->problems.front();
    ASSERT_EQ(n.gpus.size(), 2u) << n.host;
    EXPECT_EQ(n.gpus[0].utilization_percent, 87);
    EXPECT_GT(n.cpus, 0);
    EXPECT_GE(n.load1, 0);
    EXPECT_TRUE(n.shared_free_bytes.has_value());
  }
  ASSERT_EQ(first->jobs.size(), 1u);
  EXPECT_TRUE(first->jobs[0].running) << (first->jobs[0].error ? first->jobs[0].error->to_string() : "");
  EXPECT_GT(first->jobs[0].processes, 0);

  // The log grows: the next snapshots read only what was added, and the series grows with it.
  std::size_t points = first->metrics.at("loss").size();
  std::optional<cluster::Snapshot> later;
  for (int i = 0; i < 20; ++i) {
    std::this_thread::sleep_for(300ms);
    auto s = monitor->snapshot();
    ASSERT_TRUE(s.ok()) << s.error().to_string();
    if (s->metrics.at("loss").size() > points + 3) {
      later = std::move(*s);
      break;
    }
  }
  ASSERT_TRUE(later.has_value()) << "the loss series did not grow";
  std::printf("a later snapshot (kept sessions): %d SSH commands, %lld ms\n", later->ssh_commands,
              static_cast<long long>(later->took.count()));
  const auto& loss = later->metrics.at("loss");
  for (std::size_t i = 1; i < loss.size(); ++i) {
    EXPECT_EQ(loss[i].line, loss[i - 1].line + 1) << "every line once, in order";
    EXPECT_LT(loss[i].value, loss[i - 1].value);
  }
  EXPECT_DOUBLE_EQ(loss.front().value, 1.0);
  ASSERT_FALSE(later->log_tail.empty());
  EXPECT_LE(later->log_tail.size(), 5u);
  EXPECT_NE(later->log_tail.back().find("loss="), std::string::npos) << later->log_tail.back();
  EXPECT_EQ(later->log_lines, loss.back().line) << "every line has a loss: the tail's last line is the last point's";

  // A worker's instance terminated: it shows as lost (the group may already be replacing it).
  const std::string victim = created->workers().at(0).instance_id;
  ASSERT_TRUE(ec2::Ec2Client(config).terminate_instances({victim}).ok());
  bool seen_lost = false;
  for (int i = 0; i < 20 && !seen_lost; ++i) {
    auto s = monitor->snapshot();
    ASSERT_TRUE(s.ok()) << s.error().to_string();
    for (const auto& n : s->nodes)
      if (n.node.instance_id == victim && n.lost) seen_lost = true;
    if (!seen_lost) std::this_thread::sleep_for(200ms);
  }
  EXPECT_TRUE(seen_lost) << "the terminated worker is reported as lost";

  ASSERT_TRUE(starter.stop({*job}, 2s).at(0).ok());
  auto stopped = monitor->snapshot();
  ASSERT_TRUE(stopped.ok());
  ASSERT_EQ(stopped->jobs.size(), 1u);
  EXPECT_FALSE(stopped->jobs[0].running);

  cluster::DeleteOptions del;
  del.poll_interval = 100ms;
  del.deadline = Deadline::after(90s, *config.runtime.clock);
  ASSERT_TRUE(clusters.remove("watched", del).ok());
  auto after = monitor->snapshot();
  ASSERT_TRUE(after.ok()) << after.error().to_string();
  EXPECT_FALSE(after->cluster_exists);
  ASSERT_FALSE(after->nodes.empty());
  for (const auto& n : after->nodes) EXPECT_TRUE(n.lost) << n.node.instance_id;
}

TEST(ClusterMonitor, ABadMetricDefinitionOrNoNameIsRefusedBeforeAnyCall) {
  Config config;
  cluster::MonitorOptions o;
  o.cluster = "x";
  o.metrics = {{"loss", "loss=[0-9]+"}};
  auto m = cluster::Monitor::make(config, o);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().code, "BadMetricDefinition");
  o.metrics.clear();
  o.cluster.clear();
  EXPECT_FALSE(cluster::Monitor::make(config, o).ok());
}

// The cloud-init output read on a node over SSH (bootstrap.hpp): a failed bootstrap's tail, and
// a node without the log is NoCloudInitLog. The log is a file of the test machine, which every
// local node shares.
TEST_F(ClusterMonitorSandbox, TheCloudInitLogIsReadOverSsh) {
  const std::string host = "root@" + ssh_nodes().nodes.at(0).address;
  const std::string log = (dir / "cloud-init-output.log").string();
  std::ofstream(log) << "Cloud-init v. 23.3.3 running 'modules:final' at Mon, 07 Dec 2026. Up 21.54 seconds.\n"
                        "E: Unable to locate package nfs-common\n"
                        "2026-12-07 02:01:35,000 - util.py[WARNING]: Failed running /var/lib/cloud/instance/scripts/part-001 [1]\n"
                        "Cloud-init v. 23.3.3 finished at Mon, 07 Dec 2026. Up 95.21 seconds\n";
  ssh::FanOut fan({host}, options().fan);
  auto tail = cluster::bootstrap_tail_over_ssh(fan, host, 3, log);
  ASSERT_TRUE(tail.ok()) << tail.error().to_string();
  EXPECT_EQ(tail->state, cluster::BootstrapState::kFailed);
  EXPECT_EQ(tail->source, "ssh:" + log);
  ASSERT_EQ(tail->lines.size(), 3u);
  EXPECT_EQ(tail->lines[0], "E: Unable to locate package nfs-common");
  auto missing = cluster::bootstrap_tail_over_ssh(fan, host, 3, (dir / "no-such.log").string());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "NoCloudInitLog");
  EXPECT_EQ(missing.error().kind, ErrorKind::kNotFound);
}

}  // namespace
}  // namespace awsdl
