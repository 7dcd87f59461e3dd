// CloudFormationClient against the sandbox's minimal CloudFormation (stores stacks and moves
// them through their states with events; creates no resources): every operation, the
// waiters, a failed create whose error names the failing resource, throttling during a create.
#include "awsdl/cloudformation/cloudformation.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>

#include "support/sandbox.hpp"

namespace awsdl {
namespace {

using namespace std::chrono_literals;
using testsupport::Sandbox;

constexpr const char* kTemplate = R"({"Description":"awsdl test stack",
  "Parameters":{"Workers":{"Type":"Number"},"KeyName":{"Type":"String","Default":"team"}},
  "Resources":{"Vpc":{"Type":"AWS::EC2::VPC","Properties":{"CidrBlock":"10.0.0.0/16"}},
               "Role":{"Type":"AWS::IAM::Role","Properties":{"AssumeRolePolicyDocument":{
                 "Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole",
                 "Principal":{"Service":"ec2.amazonaws.com"}}]}}},
               "WorkerGroup":{"Type":"AWS::AutoScaling::AutoScalingGroup","Properties":{
                 "MinSize":"0","MaxSize":{"Ref":"Workers"},"DesiredCapacity":"0"}}},
  "Outputs":{"Note":{"Value":"hello"}}})";

class CloudFormationSandbox : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(sandbox.ok()) << sandbox.error();
    ASSERT_TRUE(sandbox.reset().ok());
  }
  void TearDown() override { (void)sandbox.clear_faults(); }
  static Config config(const Sandbox& s) {
    Config c = s.config();
    c.retry.base_delay = 20ms;
    c.retry.max_backoff = 200ms;
    return c;
  }
  cloudformation::CreateStackRequest request(const std::string& name) const {
    return {.stack_name = name, .template_body = kTemplate, .parameters = {{"Workers", "4"}},
            .capabilities = {"CAPABILITY_IAM"}, .tags = {{"awsdl:cluster", name}}, .timeout_minutes = 30};
  }

  Sandbox sandbox;
  cloudformation::CloudFormationClient cfn{config(sandbox)};
  WaitOptions fast{.delay = 100ms, .max_delay = 200ms, .max_attempts = 50};
};

TEST_F(CloudFormationSandbox, CreateDescribeUpdateDelete) {
  auto summary = cfn.validate_template(kTemplate);
  ASSERT_TRUE(summary.ok()) << summary.error().to_string();
  EXPECT_EQ(summary->description, "awsdl test stack");
  EXPECT_EQ(summary->parameter_keys, (std::vector<std::string>{"Workers", "KeyName"}));
  EXPECT_EQ(summary->capabilities, std::vector<std::string>{"CAPABILITY_IAM"});
  auto bad = cfn.validate_template("{not json");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, "ValidationError");

  auto id = cfn.create_stack(request("dl-one"));
  ASSERT_TRUE(id.ok()) << id.error().to_string();
  auto stack = cfn.wait_until_create_complete("dl-one", fast);
  ASSERT_TRUE(stack.ok()) << stack.error().to_string();
  EXPECT_EQ(stack->stack_id, *id);
  EXPECT_EQ(stack->status, "CREATE_COMPLETE");
  EXPECT_EQ(stack->output("Note"), "hello");
  auto again = cfn.create_stack(request("dl-one"));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, "AlreadyExistsException");

  auto events = cfn.describe_stack_events("dl-one");
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 8u);  // stack + 3 resources x 2 + stack
  EXPECT_EQ(events->front().status, "CREATE_COMPLETE");
  EXPECT_EQ(events->front().resource_type, "AWS::CloudFormation::Stack");
  EXPECT_EQ(events->back().status_reason, "User Initiated");
  auto resources = cfn.describe_stack_resources("dl-one");
  ASSERT_TRUE(resources.ok());
  EXPECT_EQ(resources->size(), 3u);
  auto body = cfn.get_template("dl-one");
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(*body, kTemplate);
  auto all = cfn.describe_stacks();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 1u);

  auto upd = cfn.update_stack({.stack_name = "dl-one", .use_previous_template = true,
                               .parameters = {{"Workers", "8"}, {"KeyName", "", true}},
                               .capabilities = {"CAPABILITY_IAM"}});
  ASSERT_TRUE(upd.ok()) << upd.error().to_string();
  auto updated = cfn.wait_until_update_complete("dl-one", fast);
  ASSERT_TRUE(updated.ok()) << updated.error().to_string();
  EXPECT_EQ(updated->status, "UPDATE_COMPLETE");
  auto workers = std::find_if(updated->parameters.begin(), updated->parameters.end(),
                              [](const auto& p) { return p.key == "Workers"; });
  ASSERT_NE(workers, updated->parameters.end());
  EXPECT_EQ(workers->value, "8");

  ASSERT_TRUE(cfn.delete_stack("dl-one").ok());
  ASSERT_TRUE(cfn.wait_until_delete_complete("dl-one", fast).ok());
  auto gone = cfn.describe_stack("dl-one");
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().code, "ValidationError");
}

TEST_F(CloudFormationSandbox, MissingCapabilityIsRefused) {
  auto r = request("dl-caps");
  r.capabilities.clear();
  auto id = cfn.create_stack(r);
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.error().code, "InsufficientCapabilitiesException");
}

TEST_F(CloudFormationSandbox, FailedCreateReportsTheResourceAndItsReason) {
  ASSERT_TRUE(sandbox.control("POST", "/_sandbox/services/cloudformation/fail",
                              R"({"stack":"dl-fail","logical_id":"WorkerGroup","reason":"We currently do not have sufficient p3.16xlarge capacity"})")
                  .ok());
  ASSERT_TRUE(cfn.create_stack(request("dl-fail")).ok());
  auto stack = cfn.wait_until_create_complete("dl-fail", fast);
  ASSERT_FALSE(stack.ok());
  EXPECT_EQ(stack.error().code, "WaiterFailure");
  EXPECT_NE(stack.error().message.find("ROLLBACK_COMPLETE"), std::string::npos) << stack.error().message;
  EXPECT_NE(stack.error().message.find("WorkerGroup (AWS::AutoScaling::AutoScalingGroup) CREATE_FAILED: We currently do "
                                       "not have sufficient p3.16xlarge capacity"),
            std::string::npos)
      << stack.error().message;
}

TEST_F(CloudFormationSandbox, ThrottledCreateMakesOneStack) {
  ASSERT_TRUE(sandbox.set_faults(R"([{"service":"cloudformation","operation":"CreateStack","kind":"reset","when":"after",
      "count":1,"access_key_id":"AKIDEXAMPLE"},{"service":"cloudformation","operation":"CreateStack","kind":"error",
      "code":"Throttling","status":400,"count":1,"access_key_id":"AKIDEXAMPLE"}])").ok());
  auto id = cfn.create_stack(request("dl-retry"));
  ASSERT_TRUE(id.ok()) << id.error().to_string();  // the retry's token finds the stack the first attempt made
  auto all = cfn.describe_stacks();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ(all->front().stack_id, *id);
}

}  // namespace
}  // namespace awsdl
