// Capacity (issue 15) against the sandbox: the preflight refuses before anything is created
// (quota 0, a missing key pair, a bucket in another region, an image of another architecture:
// no CreateStack in the request log), and the fallback moves a cluster whose workers find no
// capacity: to the next zone, then from spot to on-demand, or ends with WorkerShortfall naming
// every attempt and no instance left running.
//
// These use the sandbox's capacity controls (tests/sandbox, the capacity-sandbox branch):
//   POST /_sandbox/services/ec2/capacity {"instance_type","zone","market","available","fail_after"}
//   POST /_sandbox/services/ec2/offerings {"instance_type","zones"}
//   POST /_sandbox/services/servicequotas/set {"service_code","quota_code","value"}
// and the template's AvailabilityZone / WorkerOnDemandPercentage parameters (the spec branch).
#include "awsdl/cluster/lifecycle.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "awsdl/cloudformation/cloudformation.hpp"
#include "awsdl/cluster/preflight.hpp"
#include "awsdl/ec2/ec2.hpp"
#include "awsdl/s3/client.hpp"
#include "cluster/cluster_words.hpp"  // awsdl-cluster's words for the next steps (examples/cluster)
#include "support/run_process.hpp"
#include "support/sandbox.hpp"
#include "support/tar_test_support.hpp"

namespace awsdl {
namespace {

using namespace std::chrono_literals;
using testsupport::Sandbox;

class ClusterCapacitySandbox : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(sandbox.ok()) << sandbox.error();
    ASSERT_TRUE(sandbox.reset().ok());
    ASSERT_TRUE(sandbox.control("POST", "/_sandbox/services/ec2/config", R"({"transition_seconds": 0.05})").ok());
    ASSERT_TRUE(sandbox.control("POST", "/_sandbox/services/cloudformation/config", R"({"transition_seconds": 0.05})").ok());
    ASSERT_TRUE(ec2.create_key_pair("team").ok());
    ASSERT_TRUE(s3.create_bucket({.bucket = "team-bucket"}).ok());
  }
  void TearDown() override { (void)sandbox.clear_faults(); }

  static Config fast_config(const Sandbox& s) {
    Config c = s.config();
    c.retry.base_delay = 20ms;
    c.retry.max_backoff = 200ms;
    return c;
  }
  static cluster::ClusterSpec spec(const std::string& name, int workers = 2, int min_workers = 1) {
    cluster::ClusterSpec s{.name = name, .instance_type = "p3.8xlarge", .workers = workers, .min_workers = min_workers,
                           .ssh_cidr = "203.0.113.0/24", .key_name = "team"};
    s.staging_bucket = "team-bucket";
    return s;
  }
  template <typename O>
  O options(std::vector<cluster::ClusterEvent>* events) const {
    O o;
    o.poll_interval = 100ms;
    o.deadline = Deadline::after(120s, *config.runtime.clock);
    if (events) o.on_event = [events](const cluster::ClusterEvent& e) { events->push_back(e); };
    return o;
  }
  void control(const std::string& path, const std::string& body) const {
    auto r = sandbox.control("POST", path, body);
    ASSERT_TRUE(r.ok()) << path << ": " << r.error().to_string();
  }
  int count(const std::string& operation) const {
    auto log = sandbox.requests();
    EXPECT_TRUE(log.ok());
    int n = 0;
    if (log.ok())
      for (const auto& r : *log) n += r.operation == operation;
    return n;
  }
  std::vector<ec2::Instance> live(const std::string& name) const {
    auto all = ec2.list_instances({.filters = {{"tag:awsdl:cluster", {name}}}});
    EXPECT_TRUE(all.ok()) << all.error().to_string();
    std::vector<ec2::Instance> out;
    if (all.ok())
      for (const auto& i : *all)
        if (i.state != "terminated" && i.state != "shutting-down") out.push_back(i);
    return out;
  }
  // Refused before any create: the error, and no CreateStack reached the sandbox.
  Error refused(const cluster::ClusterSpec& s) {
    EXPECT_TRUE(sandbox.clear_requests().ok());
    auto r = clusters.create(s, options<cluster::CreateOptions>(nullptr));
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(count("CreateStack"), 0) << "refused before any create";
    return r.ok() ? Error{} : r.error();
  }

  Sandbox sandbox;
  Config config = fast_config(sandbox);
  cluster::Clusters clusters{config};
  ec2::Ec2Client ec2{config};
  s3::S3Client s3{config};
};

TEST_F(ClusterCapacitySandbox, AQuotaOfZeroIsRefusedNamingTheQuotaAndTheCommand) {
  control("/_sandbox/services/servicequotas/set", R"({"service_code":"ec2","quota_code":"L-417A185B","value":0})");
  // The report first, counting its calls (none repeated).
  ASSERT_TRUE(sandbox.clear_requests().ok());
  auto report = clusters.preflight(spec("quota"));
  ASSERT_TRUE(report.ok()) << report.error().to_string();
  auto log = sandbox.requests();
  ASSERT_TRUE(log.ok());
  std::set<std::string> ops;
  for (const auto& r : *log) EXPECT_TRUE(ops.insert(r.service + ":" + r.operation).second) << "repeated: " << r.operation;
  std::printf("API calls of a preflight: %zu (%d counted by the report)\n", log->size(), report->api_calls);
  EXPECT_EQ(static_cast<int>(log->size()), report->api_calls);

  Error e = refused(spec("quota"));
  EXPECT_EQ(e.code, "InsufficientQuota") << e.to_string();
  EXPECT_NE(e.message.find("L-417A185B"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("is 0"), std::string::npos) << e.message;
  // master + 2 workers of p3.8xlarge (32 vCPUs each)
  EXPECT_EQ(e.next_steps, (std::vector<NextStep>{{cluster::next_step::kRequestQuota, "ec2 L-417A185B 96"}}));
  EXPECT_NE(awsdl_cluster::render_error(e).find("aws service-quotas request-service-quota-increase --service-code ec2 "
                                               "--quota-code L-417A185B --desired-value 96"),
            std::string::npos)
      << awsdl_cluster::render_error(e);
}

TEST_F(ClusterCapacitySandbox, AMissingKeyPairIsRefusedBeforeAnyCreate) {
  auto s = spec("nokey");
  s.key_name = "nobody";
  Error e = refused(s);
  EXPECT_EQ(e.code, "KeyPairNotFound") << e.to_string();
}

TEST_F(ClusterCapacitySandbox, ABucketInAnotherRegionIsRefusedBeforeAnyCreate) {
  ASSERT_TRUE(s3.create_bucket({.bucket = "far-bucket", .region = "eu-west-1"}).ok());
  auto s = spec("far");
  s.staging_bucket = "far-bucket";
  Error e = refused(s);
  EXPECT_EQ(e.code, "BucketInAnotherRegion") << e.to_string();
  EXPECT_NE(e.message.find("eu-west-1"), std::string::npos) << e.message;
}

TEST_F(ClusterCapacitySandbox, AnImageOfAnotherArchitectureIsRefusedBeforeAnyCreate) {
  auto s = spec("arm");
  s.instance_type = "g5g.xlarge";  // arm64 in the sandbox's instance type table
  s.image_id = "ami-0d1b000000000004d";  // x86_64
  Error e = refused(s);
  EXPECT_EQ(e.code, "ImageArchitectureMismatch") << e.to_string();
}

// A cluster in zone a grows; zone a has no more capacity: the cluster moves to zone b.
TEST_F(ClusterCapacitySandbox, SoldOutInTheFirstZoneTheWorkersComeUpInTheNext) {
  auto s = spec("mover", 1, 1);
  s.capacity.availability_zones = {"us-east-1a", "us-east-1b"};
  auto created = clusters.create(s, options<cluster::CreateOptions>(nullptr));
  ASSERT_TRUE(created.ok()) << created.error().to_string();
  control("/_sandbox/services/ec2/capacity",
          R"({"instance_type":"p3.8xlarge","zone":"us-east-1a","market":"*","available":0})");
  std::vector<cluster::ClusterEvent> events;
  auto o = options<cluster::ResizeOptions>(&events);
  o.poll_interval = 1s;
  std::optional<std::chrono::steady_clock::time_point> first_failure;
  o.on_event = [&](const cluster::ClusterEvent& e) {
    if (!first_failure && e.message.find("no capacity in") != std::string::npos)
      first_failure = std::chrono::steady_clock::now();
    events.push_back(e);
  };
  const auto start = std::chrono::steady_clock::now();
  auto grown = clusters.resize("mover", 3, o);
  ASSERT_TRUE(grown.ok()) << grown.error().to_string();
  std::string lines;
  for (const auto& e : events) lines += e.message + "\n";
  EXPECT_NE(lines.find("no capacity in us-east-1a"), std::string::npos) << lines;
  EXPECT_NE(lines.find("trying us-east-1b"), std::string::npos) << lines;
  ASSERT_EQ(grown->workers().size(), 3u);
  for (const auto& n : grown->nodes) EXPECT_EQ(n.availability_zone, "us-east-1b") << n.instance_id;
  const auto end = std::chrono::steady_clock::now();
  ASSERT_TRUE(first_failure.has_value());
  std::printf("resize with a move to the next zone (poll 1 s): %.1f s; from the first capacity failure seen to the "
              "workers running in the next zone: %.1f s\n",
              std::chrono::duration<double>(end - start).count(),
              std::chrono::duration<double>(end - *first_failure).count());
}

// At create: the spot workers find no capacity in zone a. The stack completes with the master
// alone (the workers' floor is 0 with somewhere to move), the lifecycle moves the cluster to
// zone b, and every node ends there.
TEST_F(ClusterCapacitySandbox, CreateSoldOutInTheFirstZoneComesUpInTheNext) {
  auto s = spec("born-moving", 2, 2);
  s.capacity.market = cluster::Market::kSpot;
  s.capacity.availability_zones = {"us-east-1a", "us-east-1b"};
  control("/_sandbox/services/ec2/capacity", R"({"instance_type":"p3.8xlarge","zone":"us-east-1a","market":"spot","available":0})");
  std::vector<cluster::ClusterEvent> events;
  auto created = clusters.create(s, options<cluster::CreateOptions>(&events));
  ASSERT_TRUE(created.ok()) << created.error().to_string();
  std::string lines;
  for (const auto& e : events) lines += e.message + "\n";
  EXPECT_NE(lines.find("p3.8xlarge: no capacity in us-east-1a (spot, InsufficientInstanceCapacity); trying us-east-1b"),
            std::string::npos)
      << lines;
  ASSERT_EQ(created->workers().size(), 2u);
  for (const auto& n : created->nodes) EXPECT_EQ(n.availability_zone, "us-east-1b") << n.instance_id;
  EXPECT_EQ(live("born-moving").size(), 3u) << "the master and two workers, nothing left in zone a";
  ASSERT_TRUE(clusters.remove("born-moving", options<cluster::DeleteOptions>(nullptr)).ok());
}

// The type list is the worker group's MixedInstancesPolicy: the first type sold out, the group
// itself launches the next one in the same zone; the lifecycle has nothing to move.
TEST_F(ClusterCapacitySandbox, FirstTypeSoldOutTheWorkersTakeTheNextTypeInTheSameZone) {
  auto s = spec("typed", 2, 2);
  s.capacity.instance_types = {"p3.8xlarge", "p3.16xlarge"};
  s.capacity.market = cluster::Market::kSpot;
  s.capacity.availability_zones = {"us-east-1a", "us-east-1b"};
  control("/_sandbox/services/ec2/capacity", R"({"instance_type":"p3.8xlarge","zone":"*","market":"spot","available":0})");
  std::vector<cluster::ClusterEvent> events;
  auto created = clusters.create(s, options<cluster::CreateOptions>(&events));
  ASSERT_TRUE(created.ok()) << created.error().to_string();
  ASSERT_EQ(created->workers().size(), 2u);
  for (const auto& n : created->workers()) {
    EXPECT_EQ(n.instance_type, "p3.16xlarge") << n.instance_id;
    EXPECT_EQ(n.availability_zone, "us-east-1a") << n.instance_id;
    EXPECT_EQ(n.gpus, 8) << n.instance_id;
  }
  for (const auto& e : events) EXPECT_EQ(e.message.find("no capacity in"), std::string::npos) << e.message;
  ASSERT_TRUE(clusters.remove("typed", options<cluster::DeleteOptions>(nullptr)).ok());
}

// At create, one zone, spot then on-demand: spot is sold out, the workers come up on demand.
TEST_F(ClusterCapacitySandbox, CreateSpotSoldOutTheWorkersGoOnDemand) {
  auto s = spec("born-spotty", 2, 2);
  s.capacity.market = cluster::Market::kSpotThenOnDemand;
  s.availability_zone = "us-east-1a";
  control("/_sandbox/services/ec2/capacity", R"({"instance_type":"p3.8xlarge","zone":"*","market":"spot","available":0})");
  std::vector<cluster::ClusterEvent> events;
  auto created = clusters.create(s, options<cluster::CreateOptions>(&events));
  ASSERT_TRUE(created.ok()) << created.error().to_string();
  std::string lines;
  for (const auto& e : events) lines += e.message + "\n";
  EXPECT_NE(lines.find("trying on-demand in us-east-1a"), std::string::npos) << lines;
  EXPECT_EQ(created->workers().size(), 2u);
  ASSERT_TRUE(clusters.remove("born-spotty", options<cluster::DeleteOptions>(nullptr)).ok());
}

// At create, no capacity anywhere it could go: WorkerShortfall naming each attempt, and the stack
// deleted as a rolled-back create would be: no instance left running, the name free again.
TEST_F(ClusterCapacitySandbox, CreateWithNoCapacityAnywhereIsAShortfallAndLeavesNothing) {
  auto s = spec("born-nowhere", 2, 1);
  s.capacity.market = cluster::Market::kSpot;
  s.capacity.availability_zones = {"us-east-1a", "us-east-1b"};
  control("/_sandbox/services/ec2/capacity", R"({"instance_type":"p3.8xlarge","zone":"*","market":"spot","available":0})");
  std::vector<cluster::ClusterEvent> events;
  auto created = clusters.create(s, options<cluster::CreateOptions>(&events));
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().code, "WorkerShortfall") << created.error().to_string();
  const std::string& m = created.error().message;
  EXPECT_NE(m.find("p3.8xlarge in us-east-1a (spot): InsufficientInstanceCapacity"), std::string::npos) << m;
  EXPECT_NE(m.find("p3.8xlarge in us-east-1b (spot): InsufficientInstanceCapacity"), std::string::npos) << m;
  EXPECT_NE(m.find("the stack was deleted: no instance is left running"), std::string::npos) << m;
  EXPECT_EQ(m.find("resume"), std::string::npos) << "no way on that the deletion took away: " << m;
  EXPECT_TRUE(created.error().next_steps.empty());
  std::printf("no capacity anywhere at create: %s\n", created.error().to_string().c_str());
  EXPECT_TRUE(live("born-nowhere").empty()) << "no instance left running";
  cloudformation::CloudFormationClient cfn(config);
  auto stacks = cfn.describe_stacks();
  ASSERT_TRUE(stacks.ok()) << stacks.error().to_string();
  for (const auto& st : *stacks) {
    if (st.stack_name == "born-nowhere") {
      EXPECT_EQ(st.status, "DELETE_COMPLETE");
    }
  }
}

// A created FSx for Lustre file system lives in the stack's subnet and goes with the stack:
// remove refuses without delete_file_system (nothing deleted), and with it the stack and the
// file system are gone.
TEST_F(ClusterCapacitySandbox, ACreatedFsxGoesWithTheStackOnlyWhenAsked) {
  auto s = spec("lustre", 1, 1);
  s.shared = cluster::SharedStorage::kFsxLustre;
  auto created = clusters.create(s, options<cluster::CreateOptions>(nullptr));
  ASSERT_TRUE(created.ok()) << created.error().to_string();
  cloudformation::CloudFormationClient cfn(config);
  auto stack = cfn.describe_stack("lustre");
  ASSERT_TRUE(stack.ok()) << stack.error().to_string();
  const std::string fsx = stack->output(cluster::names::kOutFsxId);
  ASSERT_FALSE(fsx.empty());
  EXPECT_EQ(created->nodes.front().availability_zone, created->nodes.back().availability_zone);

  auto kept = clusters.remove("lustre", options<cluster::DeleteOptions>(nullptr));
  ASSERT_FALSE(kept.ok());
  EXPECT_EQ(kept.error().code, "FileSystemGoesWithTheStack") << kept.error().to_string();
  EXPECT_NE(kept.error().message.find(fsx), std::string::npos) << kept.error().message;
  EXPECT_NE(awsdl_cluster::render_error(kept.error()).find("awsdl-cluster delete --name lustre --delete-file-system"),
            std::string::npos)
      << awsdl_cluster::render_error(kept.error());
  auto still = cfn.describe_stack("lustre");
  ASSERT_TRUE(still.ok());
  EXPECT_EQ(still->status, "CREATE_COMPLETE") << "nothing was deleted";

  std::vector<cluster::ClusterEvent> events;
  auto o = options<cluster::DeleteOptions>(&events);
  o.delete_file_system = true;
  auto removed = clusters.remove("lustre", o);
  ASSERT_TRUE(removed.ok()) << removed.error().to_string();
  std::string lines;
  for (const auto& e : events) lines += e.message + "\n";
  EXPECT_NE(lines.find("file system " + fsx + " deleted with the stack"), std::string::npos) << lines;
  EXPECT_TRUE(live("lustre").empty());
  auto fs = sandbox.control("POST", "/_sandbox/services/fsx/file_systems", "{}");
  ASSERT_TRUE(fs.ok());
  EXPECT_EQ(fs->find(fsx), std::string::npos) << *fs;
}

TEST_F(ClusterCapacitySandbox, SpotSoldOutTheWorkersGoOnDemand) {
  auto s = spec("spotty", 1, 1);
  s.capacity.market = cluster::Market::kSpotThenOnDemand;
  s.availability_zone = "us-east-1a";
  auto created = clusters.create(s, options<cluster::CreateOptions>(nullptr));
  ASSERT_TRUE(created.ok()) << created.error().to_string();
  control("/_sandbox/services/ec2/capacity",
          R"({"instance_type":"p3.8xlarge","zone":"us-east-1a","market":"spot","available":0})");
  std::vector<cluster::ClusterEvent> events;
  auto grown = clusters.resize("spotty", 3, options<cluster::ResizeOptions>(&events));
  ASSERT_TRUE(grown.ok()) << grown.error().to_string();
  std::string lines;
  for (const auto& e : events) lines += e.message + "\n";
  EXPECT_NE(lines.find("trying on-demand in us-east-1a"), std::string::npos) << lines;
  EXPECT_EQ(grown->workers().size(), 3u);
}

TEST_F(ClusterCapacitySandbox, NoCapacityAnywhereIsAShortfallNamingEachAttemptAndNothingRuns) {
  auto s = spec("nowhere", 1, 1);
  s.capacity.availability_zones = {"us-east-1a", "us-east-1b"};
  auto created = clusters.create(s, options<cluster::CreateOptions>(nullptr));
  ASSERT_TRUE(created.ok()) << created.error().to_string();
  control("/_sandbox/services/ec2/capacity", R"({"instance_type":"p3.8xlarge","zone":"*","market":"*","available":0})");
  // Every worker gone and none to be had: the minimum of 1 cannot be met.
  ASSERT_TRUE(ec2.terminate_instances({created->workers().at(0).instance_id}).ok());
  auto grown = clusters.resize("nowhere", 2, options<cluster::ResizeOptions>(nullptr));
  ASSERT_FALSE(grown.ok());
  EXPECT_EQ(grown.error().code, "WorkerShortfall");
  const std::string& m = grown.error().message;
  EXPECT_NE(m.find("us-east-1a (on-demand)"), std::string::npos) << m;
  EXPECT_NE(m.find("us-east-1b (on-demand)"), std::string::npos) << m;
  ASSERT_TRUE(clusters.remove("nowhere", options<cluster::DeleteOptions>(nullptr)).ok());
  EXPECT_TRUE(live("nowhere").empty()) << "no instance left running";
}

// awsdl-cluster preflight: the report on stdout, exit 0; a refusal: exit 1, the error and its
// next: line in the program's words, and nothing created.
TEST_F(ClusterCapacitySandbox, ThePreflightCommandPrintsTheReportAndTheFix) {
  const std::string binary = std::string(AWSDL_BINARY_DIR) + "/examples/cluster/awsdl-cluster";
  awsdl::testing_support::ScratchDir home;
  auto env = Sandbox::cli_env(home.path().string());
  env["AWS_ENDPOINT_URL"] = sandbox.endpoint();
  const std::vector<std::string> flags = {"preflight", "--endpoint-url", sandbox.endpoint(), "--name", "cli",
                                          "--instance-type", "p3.8xlarge", "--workers", "2", "--key-name", "team",
                                          "--ssh-cidr", "203.0.113.0/24", "--staging-bucket", "team-bucket"};
  auto ok = testsupport::run_process(binary, flags, env, std::chrono::seconds(60));
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  EXPECT_NE(ok.out.find("type   p3.8xlarge: 32 vCPUs, 4 GPUs"), std::string::npos) << ok.out;
  EXPECT_NE(ok.out.find("key pair"), std::string::npos) << ok.out;
  EXPECT_NE(ok.out.find("AWS calls"), std::string::npos) << ok.out;
  std::printf("%s", ok.out.c_str());
  auto flags_nokey = flags;
  flags_nokey[10] = "nobody";
  ASSERT_TRUE(sandbox.clear_requests().ok());
  auto refused = testsupport::run_process(binary, flags_nokey, env, std::chrono::seconds(60));
  EXPECT_EQ(refused.exit_code, 1) << refused.out << refused.err;
  EXPECT_NE(refused.err.find("KeyPairNotFound"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("next: import your public key with `aws ec2 import-key-pair --key-name nobody"),
            std::string::npos)
      << refused.err;
  EXPECT_EQ(count("CreateStack"), 0);
}

}  // namespace
}  // namespace awsdl
