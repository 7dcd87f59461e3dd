// Every template the stack builder generates is checked by independent tools: the
// CloudFormation resource specification (npm @aws-cdk/cfnspec, through
// tests/support/validate_cfn_template.js), cfn-lint (0 errors, 0 warnings), bash (the user
// data parses), and Python (the capacity Lambda does what it must, against a recording
// stand-in for boto3).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "awsdl/cluster/spec.hpp"
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

// Every shape of template the tests make, and the cluster of the shipped example file (the
// sandbox's and the CLI tests' template).
std::vector<std::pair<std::string, ClusterSpec>> every_template_spec() {
  auto specs = testing::template_spec_matrix();
  auto example = load_cluster_spec(std::string(AWSDL_SOURCE_DIR) + "/examples/cluster/cluster.ini");
  EXPECT_TRUE(example.ok()) << example.error().to_string();
  if (example.ok()) specs.emplace_back("example_cluster_ini", *example);
  return specs;
}

TEST_F(CfnSpec, EveryGeneratedTemplateValidates) {
  auto dir = work_dir("valid");
  std::string files;
  auto specs = every_template_spec();
  for (const auto& [name, spec] : specs) {
    auto t = build_template(spec, testing::template_inputs_for(name));
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

using LintRun = Run;

// A template cfn-lint must fault: the default one with an output of the wait condition's Data
// (E6101: an object where a string must be) and a zone written into a subnet (W3010).
std::string broken_for_lint() {
  auto t = build_template(testing::default_cluster_spec());
  EXPECT_TRUE(t.ok());
  if (!t.ok()) return {};
  std::string body = t->body;
  auto replace = [&](const std::string& from, const std::string& to) {
    auto at = body.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) body.replace(at, from.size(), to);
  };
  replace(R"("Outputs":{)", R"("Outputs":{"Info":{"Value":{"Fn::GetAtt":["ClusterReady","Data"]}},)");
  replace(R"("AvailabilityZone":{"Fn::Select":["0",{"Fn::GetAZs":""}]})", R"("AvailabilityZone":"us-east-1a")");
  return body;
}

// cfn-lint (in the python3 on PATH, not Debian's: it comes with this machine image; pip
// install cfn-lint elsewhere) over every shape of template, for the sandbox's region: no error
// and no warning (informational notes are allowed). One cfn-lint process for every template:
// starting it costs seconds. A broken template in the same run shows the findings are seen.
TEST(CfnLint, EveryGeneratedTemplateHasNoErrorOrWarning) {
  if (run("python3 -c 'import cfnlint'").status != 0)
    GTEST_SKIP() << "cfn-lint is not importable by the python3 on PATH, so the templates are not linted "
                    "(pip install cfn-lint to run this test)";
  auto dir = work_dir("cfn_lint");
  std::string cmd = "python3 -c 'import sys; from cfnlint.runner import main; sys.argv[0] = \"cfn-lint\"; "
                    "sys.exit(main())' --format parseable --regions us-east-1 --";
  std::size_t count = 0;
  for (const auto& [name, spec] : every_template_spec()) {
    auto t = build_template(spec, testing::template_inputs_for(name));
    ASSERT_TRUE(t.ok()) << name << ": " << t.error().to_string();
    write(dir / (name + ".json"), t->body);
    cmd += " '" + (dir / (name + ".json")).string() + "'";
    ++count;
  }
  write(dir / "broken.json", broken_for_lint());
  cmd += " '" + (dir / "broken.json").string() + "'";
  LintRun r = run(cmd);

  // path:line:column:end line:end column:RULE:message -> "file.json: RULE:message", errors and warnings only.
  std::string ours, broken;
  std::istringstream lines(r.output);
  for (std::string line; std::getline(lines, line);) {
    std::size_t at = 0;
    for (int colons = 0; colons < 5 && at != std::string::npos; ++colons) at = line.find(':', at + 1);
    if (at == std::string::npos || at + 1 >= line.size() || (line[at + 1] != 'E' && line[at + 1] != 'W')) continue;
    std::string file = fs::path(line.substr(0, line.find(':'))).filename().string();
    (file == "broken.json" ? broken : ours) += file + ": " + line.substr(at + 1) + "\n";
  }
  std::printf("cfn-lint over %zu templates (and one broken on purpose): exit %d\n", count, r.status);
  EXPECT_TRUE(ours.empty()) << "cfn-lint reports errors or warnings in our templates:\n" << ours;
  EXPECT_NE(broken.find("E6101"), std::string::npos) << "cfn-lint did not report the broken template:\n" << r.output;
  EXPECT_NE(broken.find("W3010"), std::string::npos) << r.output;
  // Exit status bits: 1 fatal (a template not read), 2 errors, 4 warnings, 8 informational.
  EXPECT_EQ(r.status & 1, 0) << r.output;
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

// The FSx for Lustre (created, reused), node-local and EFA variants parse too.
TEST(UserData, EveryStorageVariantParsesWithBash) {
  using internal::cfn::UserData;
  auto dir = work_dir("userdata_storage");
  int n = 0;
  for (const UserData& u : {UserData{SharedStorage::kFsxLustre, "LustreFileSystem", false, true},
                            UserData{SharedStorage::kFsxLustre, "FsxId", true, false},
                            UserData{SharedStorage::kNone, "", false, true}}) {
    for (const std::string& script : {internal::cfn::master_user_data(u), internal::cfn::worker_user_data(u)}) {
      std::string resolved = std::regex_replace(script, std::regex(R"(\$\{[A-Za-z0-9:.]+\})"), "VALUE");
      auto path = dir / ("script" + std::to_string(++n) + ".sh");
      write(path, resolved);
      auto r = run("bash -n '" + path.string() + "'");
      EXPECT_EQ(r.status, 0) << script << "\n" << r.output;
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
