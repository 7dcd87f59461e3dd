// Ec2Client against the sandbox's EC2: every operation, the DescribeInstances paginator,
// the three waiters, throttling during a launch and a retried launch that must not make a
// second instance.
#include "awsdl/ec2/ec2.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <set>

#include "support/sandbox.hpp"

namespace awsdl {
namespace {

using namespace std::chrono_literals;
using testsupport::Sandbox;

class Ec2Sandbox : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(sandbox.ok()) << sandbox.error();
    ASSERT_TRUE(sandbox.reset().ok());
    ASSERT_TRUE(sandbox.control("POST", "/_sandbox/services/ec2/config", R"({"transition_seconds":0.3})").ok());
  }
  void TearDown() override { (void)sandbox.clear_faults(); }

  Config config() const {
    Config c = sandbox.config();
    c.retry.base_delay = 20ms;  // real sleeping, kept short
    c.retry.max_backoff = 200ms;
    return c;
  }
  std::string dlami() const {
    auto images = ec2.describe_images({.owners = {"amazon"}, .names = {"Deep Learning AMI (Ubuntu 18.04)*"}});
    EXPECT_TRUE(images.ok());
    return images.ok() && !images->empty() ? images->front().image_id : std::string();
  }
  int operations(const std::string& op, std::int64_t since = 0) const {
    auto log = sandbox.requests(since);
    EXPECT_TRUE(log.ok());
    int n = 0;
    if (log.ok())
      for (const auto& r : *log) n += r.service == "ec2" && r.operation == op;
    return n;
  }
  std::size_t instances_tagged(const std::string& value) const {
    auto all = ec2.list_instances({.filters = {{"tag:test", {value}}}});
    EXPECT_TRUE(all.ok()) << all.error().to_string();
    return all.ok() ? all->size() : 0;
  }

  Sandbox sandbox;
  ec2::Ec2Client ec2{config()};
  WaitOptions fast{.delay = 100ms, .max_delay = 200ms, .max_attempts = 50};
};

TEST_F(Ec2Sandbox, CatalogImagesTypesZonesNetworks) {
  auto images = ec2.describe_images({.owners = {"amazon"}, .names = {"Deep Learning AMI*"}});
  ASSERT_TRUE(images.ok()) << images.error().to_string();
  ASSERT_EQ(images->size(), 3u);
  EXPECT_EQ(images->front().name, "Deep Learning AMI (Ubuntu 18.04) Version 62.0");  // newest first
  EXPECT_TRUE(std::is_sorted(images->begin(), images->end(),
                             [](const auto& a, const auto& b) { return a.creation_date > b.creation_date; }));
  auto none = ec2.describe_images({.owners = {"self"}, .names = {"Deep Learning AMI*"}});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());

  auto types = ec2.describe_instance_types({"p3.2xlarge", "p3.16xlarge", "g4dn.xlarge", "c5.xlarge", "t3.micro"});
  ASSERT_TRUE(types.ok()) << types.error().to_string();
  std::map<std::string, ec2::InstanceTypeInfo> by;
  for (const auto& t : *types) by[t.instance_type] = t;
  EXPECT_EQ(by["p3.2xlarge"].gpu_count, 1);
  EXPECT_EQ(by["p3.2xlarge"].gpu_name, "V100");
  EXPECT_EQ(by["p3.16xlarge"].gpu_count, 8);
  EXPECT_EQ(by["g4dn.xlarge"].gpu_name, "T4");
  EXPECT_EQ(by["c5.xlarge"].gpu_count, 0);
  EXPECT_EQ(by["t3.micro"].memory_mib, 1024);
  auto unknown = ec2.describe_instance_types({"p9.huge"});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, "InvalidInstanceType");

  auto zones = ec2.describe_availability_zones();
  ASSERT_TRUE(zones.ok());
  ASSERT_EQ(zones->size(), 3u);
  EXPECT_EQ((*zones)[0].zone_name, "us-east-1a");
  auto vpcs = ec2.describe_vpcs({{"is-default", {"true"}}});
  ASSERT_TRUE(vpcs.ok());
  ASSERT_EQ(vpcs->size(), 1u);
  EXPECT_TRUE((*vpcs)[0].is_default);
  auto subnets = ec2.describe_subnets({{"vpc-id", {(*vpcs)[0].vpc_id}}, {"availability-zone", {"us-east-1b"}}});
  ASSERT_TRUE(subnets.ok());
  ASSERT_EQ(subnets->size(), 1u);
  EXPECT_TRUE((*subnets)[0].default_for_az);
  EXPECT_EQ((*subnets)[0].availability_zone, "us-east-1b");
}

TEST_F(Ec2Sandbox, SecurityGroupsAndKeyPairs) {
  auto vpcs = ec2.describe_vpcs();
  ASSERT_TRUE(vpcs.ok());
  auto gid = ec2.create_security_group(
      {.group_name = "dl-nodes", .description = "cluster nodes", .vpc_id = (*vpcs)[0].vpc_id, .tags = {{"test", "sg"}}});
  ASSERT_TRUE(gid.ok()) << gid.error().to_string();
  auto dup = ec2.create_security_group({.group_name = "dl-nodes", .description = "again"});
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code, "InvalidGroup.Duplicate");
  ASSERT_TRUE(ec2.authorize_security_group_ingress(
                     *gid, {{.ip_protocol = "tcp", .from_port = 22, .to_port = 22, .cidr_ips = {"203.0.113.0/24"}},
                            {.ip_protocol = "-1", .source_group_ids = {*gid}}})
                  .ok());
  auto groups = ec2.describe_security_groups({}, {{"group-name", {"dl-nodes"}}});
  ASSERT_TRUE(groups.ok());
  ASSERT_EQ(groups->size(), 1u);
  const auto& g = (*groups)[0];
  EXPECT_EQ(g.group_id, *gid);
  EXPECT_EQ(g.description, "cluster nodes");
  ASSERT_EQ(g.ingress.size(), 2u);
  EXPECT_EQ(g.ingress[0].from_port, 22);
  EXPECT_EQ(g.ingress[0].cidr_ips, std::vector<std::string>{"203.0.113.0/24"});
  EXPECT_EQ(g.ingress[1].ip_protocol, "-1");
  EXPECT_EQ(g.ingress[1].source_group_ids, std::vector<std::string>{*gid});
  ASSERT_EQ(g.tags.size(), 1u);
  EXPECT_EQ(g.tags[0].value, "sg");
  ASSERT_TRUE(ec2.delete_security_group(*gid).ok());
  auto gone = ec2.describe_security_groups({*gid});
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().code, "InvalidGroup.NotFound");

  auto key = ec2.create_key_pair("team");
  ASSERT_TRUE(key.ok()) << key.error().to_string();
  EXPECT_NE(key->material.find("BEGIN RSA PRIVATE KEY"), std::string::npos);
  EXPECT_FALSE(key->fingerprint.empty());
  auto again = ec2.create_key_pair("team");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, "InvalidKeyPair.Duplicate");
  auto imported = ec2.import_key_pair("mine", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample me@host");
  ASSERT_TRUE(imported.ok()) << imported.error().to_string();
  EXPECT_EQ(imported->key_name, "mine");
  EXPECT_TRUE(imported->material.empty());
  auto bad = ec2.import_key_pair("bad", "not a key");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, "InvalidKey.Format");
  EXPECT_TRUE(ec2.delete_key_pair("team").ok());
  EXPECT_TRUE(ec2.delete_key_pair("mine").ok());
}

TEST_F(Ec2Sandbox, InstanceLifecycleWithEveryLaunchOption) {
  ASSERT_TRUE(ec2.create_key_pair("team").ok());
  auto gid = ec2.create_security_group({.group_name = "life", .description = "lifecycle"});
  ASSERT_TRUE(gid.ok());
  auto subnets = ec2.describe_subnets({{"availability-zone", {"us-east-1c"}}});
  ASSERT_TRUE(subnets.ok() && subnets->size() == 1);
  ec2::RunInstancesRequest r;
  r.image_id = dlami();
  r.instance_type = "p3.2xlarge";
  r.min_count = r.max_count = 2;
  r.key_name = "team";
  r.subnet_id = (*subnets)[0].subnet_id;
  r.security_group_ids = {*gid};
  r.user_data = "#!/bin/bash\necho hello\n";
  r.iam_instance_profile_name = "dl-profile";
  r.placement_group = "dl-pg";
  r.block_devices = {{.device_name = "/dev/sda1", .volume_size_gib = 200}};
  r.tags = {{"Name", "worker"}, {"test", "life"}};
  r.spot = ec2::SpotOptions{};
  auto res = ec2.run_instances(r);
  ASSERT_TRUE(res.ok()) << res.error().to_string();
  ASSERT_EQ(res->instances.size(), 2u);
  std::vector<std::string> ids;
  for (const auto& i : res->instances) {
    ids.push_back(i.instance_id);
    EXPECT_EQ(i.state, "pending");
    EXPECT_EQ(i.key_name, "team");
    EXPECT_EQ(i.availability_zone, "us-east-1c");
    EXPECT_EQ(i.placement_group, "dl-pg");
    EXPECT_EQ(i.lifecycle, "spot");
    EXPECT_EQ(i.security_group_ids, std::vector<std::string>{*gid});
    EXPECT_EQ(i.tag("Name"), "worker");
    EXPECT_FALSE(i.client_token.empty());  // one was generated
  }
  auto running = ec2.wait_until_running(ids, fast);
  ASSERT_TRUE(running.ok()) << running.error().to_string();
  for (const auto& i : *running) {
    EXPECT_EQ(i.state, "running");
    EXPECT_FALSE(i.private_ip.empty());
    EXPECT_FALSE(i.public_ip.empty());
  }
  // Filters: tag:Name, instance-state-name, instance-id.
  auto byname = ec2.list_instances({.filters = {{"tag:Name", {"work*"}}, {"instance-state-name", {"running"}}}});
  ASSERT_TRUE(byname.ok());
  EXPECT_EQ(byname->size(), 2u);
  auto byid = ec2.list_instances({.filters = {{"instance-id", {ids[1]}}}});
  ASSERT_TRUE(byid.ok());
  ASSERT_EQ(byid->size(), 1u);
  EXPECT_EQ((*byid)[0].instance_id, ids[1]);
  auto stopped = ec2.list_instances({.filters = {{"tag:Name", {"worker"}}, {"instance-state-name", {"stopped"}}}});
  ASSERT_TRUE(stopped.ok());
  EXPECT_TRUE(stopped->empty());

  ASSERT_TRUE(ec2.create_tags({ids[0]}, {{"role", "master"}}).ok());
  auto masters = ec2.list_instances({.filters = {{"tag:role", {"master"}}}});
  ASSERT_TRUE(masters.ok());
  ASSERT_EQ(masters->size(), 1u);
  EXPECT_EQ((*masters)[0].instance_id, ids[0]);

  auto ok = ec2.wait_until_status_ok(ids, fast);
  ASSERT_TRUE(ok.ok()) << ok.error().to_string();
  ASSERT_EQ(ok->size(), 2u);
  EXPECT_EQ((*ok)[0].instance_status, "ok");

  auto in_use = ec2.delete_security_group(*gid);
  ASSERT_FALSE(in_use.ok());
  EXPECT_EQ(in_use.error().code, "DependencyViolation");

  auto changes = ec2.terminate_instances(ids);
  ASSERT_TRUE(changes.ok()) << changes.error().to_string();
  ASSERT_EQ(changes->size(), 2u);
  EXPECT_EQ((*changes)[0].previous_state, "running");
  EXPECT_EQ((*changes)[0].current_state, "shutting-down");
  auto done = ec2.wait_until_terminated(ids, fast);
  ASSERT_TRUE(done.ok()) << done.error().to_string();
  for (const auto& i : *done) EXPECT_EQ(i.state, "terminated");
  EXPECT_TRUE(ec2.delete_security_group(*gid).ok());

  auto missing = ec2.terminate_instances({"i-0000000000000dead"});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "InvalidInstanceID.NotFound");
}

TEST_F(Ec2Sandbox, RunningWaiterFailsWhenTheInstanceIsTerminated) {
  auto res = ec2.run_instances({.image_id = dlami(), .instance_type = "t3.micro", .tags = {{"test", "fail"}}});
  ASSERT_TRUE(res.ok());
  std::string id = res->instances.at(0).instance_id;
  ASSERT_TRUE(ec2.terminate_instances({id}).ok());
  auto got = ec2.wait_until_running({id}, fast);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, "WaiterFailure");
  EXPECT_NE(got.error().message.find(id), std::string::npos) << got.error().message;
}

TEST_F(Ec2Sandbox, PaginatorCollectsMoreInstancesThanOnePage) {
  auto res = ec2.run_instances({.image_id = dlami(), .instance_type = "t3.micro", .min_count = 12, .max_count = 12,
                                .tags = {{"test", "pages"}}});
  ASSERT_TRUE(res.ok()) << res.error().to_string();
  ASSERT_TRUE(ec2.run_instances({.image_id = dlami(), .instance_type = "c5.xlarge", .tags = {{"test", "other"}}}).ok());
  ASSERT_TRUE(sandbox.clear_requests().ok());
  auto all = ec2.list_instances({.filters = {{"tag:test", {"pages"}}}, .max_results = 5});
  ASSERT_TRUE(all.ok()) << all.error().to_string();
  EXPECT_EQ(all->size(), 12u);
  std::set<std::string> unique;
  for (const auto& i : *all) unique.insert(i.instance_id);
  EXPECT_EQ(unique.size(), 12u);
  EXPECT_EQ(operations("DescribeInstances"), 3);  // 5 + 5 + 2
  auto first = ec2.describe_instances({.filters = {{"tag:test", {"pages"}}}, .max_results = 5});
  ASSERT_TRUE(first.ok());
  EXPECT_FALSE(first->next_token.empty());
}

TEST_F(Ec2Sandbox, ThrottledLaunchSucceedsAfterRetries) {
  ASSERT_TRUE(sandbox.set_faults(R"([{"service":"ec2","operation":"RunInstances","kind":"error",
      "code":"RequestLimitExceeded","status":503,"count":2,"access_key_id":"AKIDEXAMPLE"}])").ok());
  ASSERT_TRUE(sandbox.clear_requests().ok());
  auto res = ec2.run_instances({.image_id = dlami(), .instance_type = "t3.micro", .tags = {{"test", "throttle"}}});
  ASSERT_TRUE(res.ok()) << res.error().to_string();
  EXPECT_EQ(operations("RunInstances"), 3);
  EXPECT_EQ(instances_tagged("throttle"), 1u);
}

TEST_F(Ec2Sandbox, RetriedLaunchAfterAResetMakesOneInstanceNotTwo) {
  ASSERT_TRUE(sandbox.set_faults(R"([{"service":"ec2","operation":"RunInstances","kind":"reset","when":"after",
      "count":1,"access_key_id":"AKIDEXAMPLE"}])").ok());
  ASSERT_TRUE(sandbox.clear_requests().ok());
  auto res = ec2.run_instances({.image_id = dlami(), .instance_type = "p3.2xlarge", .tags = {{"test", "reset"}}});
  ASSERT_TRUE(res.ok()) << res.error().to_string();
  auto log = sandbox.requests();
  ASSERT_TRUE(log.ok());
  std::vector<testsupport::SandboxRequest> runs;
  for (const auto& r : *log)
    if (r.operation == "RunInstances") runs.push_back(r);
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].fault, "reset");  // executed (the log keeps the handler's status), then reset
  EXPECT_TRUE(runs[1].fault.empty());
  EXPECT_EQ(runs[1].status, 200);
  EXPECT_EQ(instances_tagged("reset"), 1u);
  auto all = ec2.list_instances({.filters = {{"tag:test", {"reset"}}}});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->at(0).instance_id, res->instances.at(0).instance_id);
}

TEST_F(Ec2Sandbox, ClientTokenIdempotencyAndMismatch) {
  ec2::RunInstancesRequest r{.image_id = dlami(), .instance_type = "t3.micro", .tags = {{"test", "token"}}};
  r.client_token = "awsdl-test-token-1";
  auto a = ec2.run_instances(r);
  auto b = ec2.run_instances(r);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->reservation_id, b->reservation_id);
  EXPECT_EQ(a->instances.at(0).instance_id, b->instances.at(0).instance_id);
  EXPECT_EQ(instances_tagged("token"), 1u);
  r.instance_type = "c5.xlarge";
  auto c = ec2.run_instances(r);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, "IdempotentParameterMismatch");
}

TEST_F(Ec2Sandbox, InsufficientCapacityIsReportedAfterRetries) {
  ASSERT_TRUE(sandbox.set_faults(R"([{"service":"ec2","operation":"RunInstances","kind":"error",
      "code":"InsufficientInstanceCapacity","status":500,"count":3,"access_key_id":"AKIDEXAMPLE",
      "message":"We currently do not have sufficient p3.16xlarge capacity"}])").ok());
  auto res = ec2.run_instances({.image_id = dlami(), .instance_type = "p3.16xlarge", .tags = {{"test", "ice"}}});
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.error().code, "InsufficientInstanceCapacity");
  EXPECT_NE(res.error().message.find("p3.16xlarge"), std::string::npos);
  EXPECT_EQ(instances_tagged("ice"), 0u);
}

TEST_F(Ec2Sandbox, ServiceSideValidationErrors) {
  auto bad_type = ec2.run_instances({.image_id = dlami(), .instance_type = "p9.huge"});
  ASSERT_FALSE(bad_type.ok());
  EXPECT_EQ(bad_type.error().code, "InvalidParameterValue");
  auto bad_image = ec2.run_instances({.image_id = "ami-00000000000000000", .instance_type = "t3.micro"});
  ASSERT_FALSE(bad_image.ok());
  EXPECT_EQ(bad_image.error().code, "InvalidAMIID.NotFound");
  auto bad_key = ec2.run_instances({.image_id = dlami(), .instance_type = "t3.micro", .key_name = "nope"});
  ASSERT_FALSE(bad_key.ok());
  EXPECT_EQ(bad_key.error().code, "InvalidKeyPair.NotFound");
}

}  // namespace
}  // namespace awsdl
