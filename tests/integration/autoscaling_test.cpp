// AutoScalingClient and SsmClient against the sandbox: groups whose instances are real
// sandbox EC2 instances, resized up and down, paused, paged through; capacity shortfalls
// as failed activities; public SSM parameters naming images EC2 knows.
#include "awsdl/autoscaling/autoscaling.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "awsdl/ec2/ec2.hpp"
#include "awsdl/ssm/ssm.hpp"
#include "support/sandbox.hpp"

namespace awsdl {
namespace {

using testsupport::Sandbox;

class AutoScalingSandbox : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(sandbox.ok()) << sandbox.error();
    ASSERT_TRUE(sandbox.reset().ok());
    auto subnets = ec2.describe_subnets();
    ASSERT_TRUE(subnets.ok());
    for (const auto& s : *subnets) subnet_ids.push_back("\"" + s.subnet_id + "\"");
  }
  Status create_group(const std::string& name, int min, int max, int desired, const std::string& type = "p3.2xlarge") {
    return sandbox
        .control("POST", "/_sandbox/services/autoscaling/create_group",
                 R"({"name":")" + name + R"(","min":)" + std::to_string(min) + R"(,"max":)" + std::to_string(max) +
                     R"(,"desired":)" + std::to_string(desired) + R"(,"instance_type":")" + type +
                     R"(","subnets":[)" + subnet_ids[0] + "," + subnet_ids[1] + R"(],"tags":{"awsdl:cluster":"c1"}})")
        .ok()
               ? Status{}
               : Status{Error::make(ErrorKind::kInternal, "create_group", "control call failed")};
  }
  std::size_t live_ec2_instances(const std::string& group) {
    auto all = ec2.list_instances({.filters = {{"tag:aws:autoscaling:groupName", {group}},
                                               {"instance-state-name", {"pending", "running"}}}});
    EXPECT_TRUE(all.ok());
    return all.ok() ? all->size() : 0;
  }

  Sandbox sandbox;
  autoscaling::AutoScalingClient as{sandbox.config()};
  ec2::Ec2Client ec2{sandbox.config()};
  std::vector<std::string> subnet_ids;
};

TEST_F(AutoScalingSandbox, ResizeLaunchesAndTerminatesRealInstances) {
  ASSERT_TRUE(create_group("c1-workers", 1, 6, 3).ok());
  auto g = as.describe_group("c1-workers");
  ASSERT_TRUE(g.ok()) << g.error().to_string();
  EXPECT_EQ(g->desired_capacity, 3);
  EXPECT_EQ(g->min_size, 1);
  EXPECT_EQ(g->max_size, 6);
  ASSERT_EQ(g->instances.size(), 3u);
  EXPECT_EQ(g->tag("awsdl:cluster"), "c1");
  EXPECT_EQ(live_ec2_instances("c1-workers"), 3u);
  // The group's instances are EC2 instances with the group's propagated tags.
  auto inst = ec2.list_instances({.instance_ids = {g->instances[0].instance_id}});
  ASSERT_TRUE(inst.ok());
  EXPECT_EQ(inst->at(0).tag("awsdl:cluster"), "c1");
  EXPECT_EQ(inst->at(0).instance_type, "p3.2xlarge");

  ASSERT_TRUE(as.set_desired_capacity("c1-workers", 5).ok());
  EXPECT_EQ(live_ec2_instances("c1-workers"), 5u);
  ASSERT_TRUE(as.update_group({.name = "c1-workers", .desired_capacity = 2}).ok());
  EXPECT_EQ(live_ec2_instances("c1-workers"), 2u);
  g = as.describe_group("c1-workers");
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->instances.size(), 2u);

  auto acts = as.describe_scaling_activities("c1-workers");
  ASSERT_TRUE(acts.ok()) << acts.error().to_string();
  auto count = [&](const std::string& prefix) {
    return std::count_if(acts->begin(), acts->end(),
                         [&](const auto& a) { return a.description.rfind(prefix, 0) == 0; });
  };
  EXPECT_EQ(count("Launching a new EC2 instance"), 5);
  EXPECT_EQ(count("Terminating EC2 instance"), 3);
  EXPECT_EQ(acts->front().description.rfind("Terminating", 0), 0u) << "newest first";

  auto members = as.describe_instances();
  ASSERT_TRUE(members.ok());
  ASSERT_EQ(members->size(), 2u);
  EXPECT_EQ(members->at(0).group_name, "c1-workers");

  auto too_big = as.set_desired_capacity("c1-workers", 7);
  ASSERT_FALSE(too_big.ok());
  EXPECT_EQ(too_big.error().code, "ValidationError");
  auto missing = as.set_desired_capacity("nope", 1);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "ValidationError");
}

TEST_F(AutoScalingSandbox, SuspendedLaunchHoldsTheGroupUntilResumed) {
  ASSERT_TRUE(create_group("c1-master", 0, 4, 1).ok());
  ASSERT_TRUE(as.suspend_processes("c1-master", {"Launch"}).ok());
  auto g = as.describe_group("c1-master");
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->suspended_processes, std::vector<std::string>{"Launch"});
  ASSERT_TRUE(as.set_desired_capacity("c1-master", 3).ok());
  EXPECT_EQ(live_ec2_instances("c1-master"), 1u);
  ASSERT_TRUE(as.resume_processes("c1-master").ok());
  EXPECT_EQ(live_ec2_instances("c1-master"), 3u);
  auto bad = as.suspend_processes("c1-master", {"Dance"});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, "ValidationError");
}

TEST_F(AutoScalingSandbox, PaginatorAndTagFilter) {
  for (const char* n : {"g1", "g2", "g3"}) ASSERT_TRUE(create_group(n, 0, 2, 0).ok());
  ASSERT_TRUE(sandbox.clear_requests().ok());
  auto all = as.describe_groups({.filters = {{"tag:awsdl:cluster", {"c1"}}}, .max_records = 1});
  ASSERT_TRUE(all.ok()) << all.error().to_string();
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ(all->at(2).name, "g3");
  auto log = sandbox.requests();
  ASSERT_TRUE(log.ok());
  EXPECT_EQ(std::count_if(log->begin(), log->end(), [](const auto& r) { return r.operation == "DescribeAutoScalingGroups"; }),
            3);
  auto none = as.describe_groups({.filters = {{"tag:awsdl:cluster", {"other"}}}});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST_F(AutoScalingSandbox, CapacityShortfallIsAFailedActivity) {
  ASSERT_TRUE(sandbox.control("POST", "/_sandbox/services/autoscaling/capacity", R"({"p3.16xlarge":2})").ok());
  ASSERT_TRUE(create_group("big", 1, 8, 4, "p3.16xlarge").ok());
  EXPECT_EQ(live_ec2_instances("big"), 2u);
  auto acts = as.describe_scaling_activities("big");
  ASSERT_TRUE(acts.ok());
  ASSERT_FALSE(acts->empty());
  EXPECT_EQ(acts->front().status_code, "Failed");
  EXPECT_NE(acts->front().status_message.find("InsufficientInstanceCapacity"), std::string::npos);
}

TEST_F(AutoScalingSandbox, SsmPublicParametersNameKnownImages) {
  ssm::SsmClient ssm(sandbox.config());
  auto p = ssm.get_parameter("/aws/service/deeplearning/ami/x86_64/base-oss-nvidia-driver-gpu-ubuntu-22.04/latest/ami-id");
  ASSERT_TRUE(p.ok()) << p.error().to_string();
  EXPECT_EQ(p->data_type, "aws:ec2:image");
  auto images = ec2.describe_images({.image_ids = {p->value}});
  ASSERT_TRUE(images.ok()) << images.error().to_string();
  ASSERT_EQ(images->size(), 1u);
  EXPECT_NE(images->at(0).name.find("Deep Learning"), std::string::npos);
  auto al2 = ssm.get_parameter("/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-x86_64-gp2");
  ASSERT_TRUE(al2.ok());
  EXPECT_EQ(al2->value.rfind("ami-", 0), 0u);
  auto missing = ssm.get_parameter("/aws/service/nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "ParameterNotFound");
}

}  // namespace
}  // namespace awsdl
