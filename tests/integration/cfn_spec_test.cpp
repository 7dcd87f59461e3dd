// Every template the stack builder generates is checked by independent tools: the
// CloudFormation resource specification (npm @aws-cdk/cfnspec, through
// tests/support/validate_cfn_template.js), bash (the user data parses), and Python (the
// capacity Lambda does what it must, against a recording stand-in for boto3).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

#include "awsdl/cluster/template.hpp"
#include "cluster/template_parts.hpp"
#include "support/cluster_specs.hpp"

namespace awsdl::cluster {
namespace {

namespace fs = std::filesystem;

struct Run {
  int status = -1;
  std::string output;
};

Run run(const std::string& command) {
  Run r;
  std::FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (!p) return r;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

fs::path work_dir(const std::string& name) {
  fs::path d = fs::path(AWSDL_TEST_STATE_DIR) / "cfn_spec_test" / name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

void write(const fs::path& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

std::string validator_command() {
  std::string node_path = std::string(AWSDL_SOURCE_DIR) + "/.deps/npm/node_modules";
  return "NODE_PATH='" + node_path + "' node '" + AWSDL_SOURCE_DIR + "/tests/support/validate_cfn_template.js'";
}

class CfnSpec : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists(fs::path(AWSDL_SOURCE_DIR) / ".deps/npm/node_modules/@aws-cdk/cfnspec"))
        << "@aws-cdk/cfnspec is not installed: run scripts/install-deps";
  }
};

TEST_F(CfnSpec, EveryGeneratedTemplateValidates) {
  auto dir = work_dir("valid");
  std::string files;
  auto specs = testing::template_test_specs();
  for (const auto& [name, spec] : specs) {
    auto t = build_template(spec);
    ASSERT_TRUE(t.ok()) << name << ": " << t.error().to_string();
    auto path = dir / (name + ".json");
    write(path, t->body);
    files += " '" + path.string() + "'";
  }
  auto r = run(validator_command() + files);  // one node process for all of them
  EXPECT_EQ(r.status, 0) << r.output;
  for (const auto& [name, spec] : specs)
    EXPECT_NE(r.output.find(name + ".json: ok ("), std::string::npos) << name << "\n" << r.output;
}

TEST_F(CfnSpec, TheValidatorCatchesMistakesInOurTemplate) {
  auto t = build_template(testing::default_cluster_spec());
  ASSERT_TRUE(t.ok());
  std::string body = t->body;
  auto replace = [&](const std::string& from, const std::string& to) {
    auto at = body.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    body.replace(at, from.size(), to);
  };
  replace(R"("GatewayId":{"Ref":"InternetGateway"})", R"("GatewayId":{"Ref":"NoSuchGateway"})");
  replace(R"(["NatEip","AllocationId"])", R"(["NatEip","AllocationIdent"])");
  replace(R"("MinSize":"1")", R"("MinSize":1)");
  replace(R"("EnableDnsHostnames":true)", R"("EnableDnsHostname":true)");
  replace(R"("Protocol":"lambda",)", "");
  replace(R"(READY_URL='${ClusterReadyHandle}')", R"(READY_URL='${ClusterReadyHandel}')");
  auto dir = work_dir("broken");
  write(dir / "broken.json", body);
  auto r = run(validator_command() + " '" + (dir / "broken.json").string() + "'");
  EXPECT_EQ(r.status, 1) << r.output;
  for (const char* want : {"Ref to 'NoSuchGateway'", "AWS::EC2::EIP has no attribute 'AllocationIdent'",
                           "MasterGroup.Properties.MinSize: expected String, got number 1",
                           "AWS::EC2::VPC has no property 'EnableDnsHostname'",
                           "AWS::SNS::Subscription requires property 'Protocol'", "${ClusterReadyHandel}"})
    EXPECT_NE(r.output.find(want), std::string::npos) << want << "\n" << r.output;
}

TEST(UserData, BothScriptsParseWithBash) {
  auto dir = work_dir("userdata");
  for (const char* fs_id : {"FileSystem", "EfsId"}) {
    for (auto [role, script] : {std::pair{"master", internal::cfn::master_user_data(fs_id)},
                                std::pair{"worker", internal::cfn::worker_user_data(fs_id)}}) {
      // What CloudFormation substitutes: every ${Name} becomes a value.
      std::string resolved = std::regex_replace(script, std::regex(R"(\$\{[A-Za-z0-9:]+\})"), "VALUE");
      auto path = dir / (std::string(role) + "_" + fs_id + ".sh");
      write(path, resolved);
      auto r = run("bash -n '" + path.string() + "'");
      EXPECT_EQ(r.status, 0) << role << ":\n" << r.output;
    }
  }
}

// The Lambda's code runs under the real Python with a boto3 stand-in that records calls.
TEST(CapacityLambda, LowersDesiredCapacityToWhatLaunchedDownToTheMinimum) {
  auto dir = work_dir("lambda");
  write(dir / "index.py", std::string(internal::cfn::capacity_lambda_code()));
  write(dir / "boto3.py", R"PY(
calls = []
state = {"desired": 8, "instances": []}

class _Client:
    def __init__(self, service):
        self.service = service
    def describe_auto_scaling_groups(self, AutoScalingGroupNames):
        calls.append(("describe", AutoScalingGroupNames))
        return {"AutoScalingGroups": [{"AutoScalingGroupName": AutoScalingGroupNames[0],
                                       "DesiredCapacity": state["desired"],
                                       "Instances": [{"InstanceId": "i-%d" % n, "LifecycleState": s}
                                                     for n, s in enumerate(state["instances"])]}]}
    def set_desired_capacity(self, **kw):
        calls.append(("set_desired_capacity", kw))
        state["desired"] = kw["DesiredCapacity"]
    def send_message(self, **kw):
        calls.append(("send_message", kw))

def client(service):
    return _Client(service)
)PY");
  write(dir / "drive.py", R"PY(
import json, os
os.environ.update(WORKER_GROUP="c-workers", MIN_WORKERS="4", REPORT_QUEUE="https://sqs/q")
import boto3, index

def event(kind, group="c-workers"):
    msg = {"Event": kind, "AutoScalingGroupName": group, "Cause": "InsufficientInstanceCapacity"}
    return {"Records": [{"Sns": {"Message": json.dumps(msg)}}]}

def reset(desired, states):
    boto3.calls.clear()
    boto3.state.update(desired=desired, instances=states)

# 5 of 8 launched (one more is terminating), minimum 4: lower to 5 and report.
reset(8, ["InService"] * 4 + ["Pending", "Terminating"])
out = index.handler(event("autoscaling:EC2_INSTANCE_LAUNCH_ERROR"), None)
assert out[0]["action"] == "lowered" and out[0]["new_desired"] == 5, out
sets = [c for c in boto3.calls if c[0] == "set_desired_capacity"]
assert sets == [("set_desired_capacity", {"AutoScalingGroupName": "c-workers", "DesiredCapacity": 5,
                                          "HonorCooldown": False})], boto3.calls
sent = [c[1] for c in boto3.calls if c[0] == "send_message"]
assert len(sent) == 1 and sent[0]["QueueUrl"] == "https://sqs/q", sent
report = json.loads(sent[0]["MessageBody"])
assert report["launched"] == 5 and report["desired"] == 8 and report["minimum"] == 4, report

# 3 launched, minimum 4: leave the group alone, report below-minimum.
reset(8, ["InService"] * 3)
out = index.handler(event("autoscaling:EC2_INSTANCE_LAUNCH_ERROR"), None)
assert out[0]["action"] == "below-minimum", out
assert not [c for c in boto3.calls if c[0] == "set_desired_capacity"], boto3.calls

# Exactly the minimum: lowered to it.
reset(8, ["InService"] * 4)
out = index.handler(event("autoscaling:EC2_INSTANCE_LAUNCH_ERROR"), None)
assert out[0]["new_desired"] == 4, out

# Everything launched: nothing to do, still reported.
reset(8, ["InService"] * 8)
out = index.handler(event("autoscaling:EC2_INSTANCE_LAUNCH_ERROR"), None)
assert out[0]["action"] == "none", out

# Successful launches and other groups' errors are ignored without any call.
reset(8, ["InService"] * 2)
assert index.handler(event("autoscaling:EC2_INSTANCE_LAUNCH"), None) == []
assert index.handler(event("autoscaling:EC2_INSTANCE_LAUNCH_ERROR", "c-master"), None) == []
assert boto3.calls == [], boto3.calls
print("lambda ok")
)PY");
  auto r = run("cd '" + dir.string() + "' && /usr/bin/python3 -B drive.py");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("lambda ok"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace awsdl::cluster
