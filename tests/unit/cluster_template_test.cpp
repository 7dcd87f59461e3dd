#include "awsdl/cluster/template.hpp"

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "cluster/template_parts.hpp"
#include "support/cluster_specs.hpp"

namespace awsdl::cluster {
namespace {

using rapidjson::Value;

struct Parsed {
  std::string body;
  rapidjson::Document doc;
};

Parsed build(const ClusterSpec& spec) {
  auto t = build_template(spec);
  EXPECT_TRUE(t.ok()) << (t.ok() ? "" : t.error().to_string());
  Parsed p;
  if (!t.ok()) return p;
  p.body = t->body;
  p.doc.Parse(p.body.c_str());
  EXPECT_FALSE(p.doc.HasParseError());
  return p;
}

const Value& res(const Parsed& p, const char* id) {
  static const Value kNull;
  const auto& r = p.doc["Resources"];
  auto it = r.FindMember(id);
  EXPECT_NE(it, r.MemberEnd()) << "no resource " << id;
  return it == r.MemberEnd() ? kNull : it->value;
}

bool has_resource(const Parsed& p, const char* id) { return p.doc["Resources"].HasMember(id); }

std::string str(const Value& v) { return v.IsString() ? v.GetString() : ""; }

// {"Ref": X} -> X
std::string ref_of(const Value& v) { return v.IsObject() && v.HasMember("Ref") ? str(v["Ref"]) : ""; }

std::string get_att_of(const Value& v) {
  if (!v.IsObject() || !v.HasMember("Fn::GetAtt")) return "";
  const auto& a = v["Fn::GetAtt"];
  return str(a[0]) + "." + str(a[1]);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const ClusterSpec kSpec = testing::default_cluster_spec();

// The template says how many resources it has (a progress bar's total), for every shape of spec.
TEST(ClusterTemplate, ResourceCountIsTheNumberOfResources) {
  for (const auto& [name, spec] : testing::template_test_specs()) {
    SCOPED_TRACE(name);
    auto t = build_template(spec);
    ASSERT_TRUE(t.ok()) << t.error().to_string();
    rapidjson::Document doc;
    doc.Parse(t->body.c_str());
    ASSERT_FALSE(doc.HasParseError());
    EXPECT_EQ(t->resource_count, static_cast<std::size_t>(doc["Resources"].MemberCount()));
    EXPECT_GT(t->resource_count, 20u);
  }
  auto reused = kSpec;
  reused.efs_id = "fs-0123456789abcdef0";
  auto created = build_template(kSpec), kept = build_template(reused);
  ASSERT_TRUE(created.ok() && kept.ok());
  EXPECT_LT(kept->resource_count, created->resource_count) << "a reused file system is not a resource of the stack";
}

TEST(ClusterTemplate, HasEveryResourceOfWorkflowOne) {
  auto p = build(kSpec);
  std::multiset<std::string> types;
  for (const auto& m : p.doc["Resources"].GetObject()) types.insert(m.value["Type"].GetString());
  for (const char* t : {"AWS::EC2::VPC", "AWS::EC2::InternetGateway", "AWS::EC2::VPCGatewayAttachment",
                        "AWS::EC2::EIP", "AWS::EC2::NatGateway", "AWS::EFS::FileSystem", "AWS::EFS::MountTarget",
                        "AWS::IAM::InstanceProfile", "AWS::EC2::PlacementGroup", "AWS::SNS::Topic",
                        "AWS::SNS::Subscription", "AWS::Lambda::Function", "AWS::Lambda::Permission",
                        "AWS::CloudFormation::WaitCondition", "AWS::CloudFormation::WaitConditionHandle"})
    EXPECT_EQ(types.count(t), 1u) << t;
  EXPECT_EQ(types.count("AWS::EC2::Subnet"), 2u);
  EXPECT_EQ(types.count("AWS::EC2::RouteTable"), 2u);
  EXPECT_EQ(types.count("AWS::EC2::Route"), 2u);
  EXPECT_EQ(types.count("AWS::EC2::SubnetRouteTableAssociation"), 2u);
  EXPECT_EQ(types.count("AWS::EC2::SecurityGroup"), 3u);
  EXPECT_EQ(types.count("AWS::IAM::Role"), 2u);
  EXPECT_EQ(types.count("AWS::EC2::LaunchTemplate"), 2u);
  EXPECT_EQ(types.count("AWS::AutoScaling::AutoScalingGroup"), 2u);
  EXPECT_EQ(types.count("AWS::SQS::Queue"), 2u);

  // Public subnet routes to the internet gateway, private through the NAT gateway.
  EXPECT_EQ(ref_of(res(p, "PublicDefaultRoute")["Properties"]["GatewayId"]), "InternetGateway");
  EXPECT_EQ(ref_of(res(p, "PrivateDefaultRoute")["Properties"]["NatGatewayId"]), "NatGateway");
  EXPECT_EQ(ref_of(res(p, "NatGateway")["Properties"]["SubnetId"]), "PublicSubnet");
  EXPECT_EQ(get_att_of(res(p, "NatGateway")["Properties"]["AllocationId"]), "NatEip.AllocationId");
  EXPECT_TRUE(res(p, "PublicSubnet")["Properties"]["MapPublicIpOnLaunch"].GetBool());
  EXPECT_FALSE(res(p, "PrivateSubnet")["Properties"]["MapPublicIpOnLaunch"].GetBool());
}

TEST(ClusterTemplate, SshOnlyFromTheCidrAndOnlyToTheMaster) {
  auto p = build(kSpec);
  int cidr_rules = 0;
  for (const auto& m : p.doc["Resources"].GetObject()) {
    const auto& r = m.value;
    std::string type = r["Type"].GetString();
    auto check_rule = [&](const Value& rule, const std::string& group) {
      if (rule.HasMember("CidrIp") || rule.HasMember("CidrIpv6")) {
        ++cidr_rules;
        EXPECT_EQ(group, "MasterSecurityGroup");
        EXPECT_EQ(ref_of(rule["CidrIp"]), "SSHLocation");
        EXPECT_STREQ(rule["IpProtocol"].GetString(), "tcp");
        EXPECT_EQ(rule["FromPort"].GetInt(), 22);
        EXPECT_EQ(rule["ToPort"].GetInt(), 22);
      }
    };
    if (type == "AWS::EC2::SecurityGroup" && r["Properties"].HasMember("SecurityGroupIngress"))
      for (const auto& rule : r["Properties"]["SecurityGroupIngress"].GetArray()) check_rule(rule, m.name.GetString());
    if (type == "AWS::EC2::SecurityGroupIngress") {
      std::string group = get_att_of(r["Properties"]["GroupId"]);
      check_rule(r["Properties"], group.substr(0, group.find('.')));
    }
  }
  EXPECT_EQ(cidr_rules, 1);
  EXPECT_EQ(ref_of(p.doc["Parameters"]["SSHLocation"]["Default"]), "");
  EXPECT_STREQ(p.doc["Parameters"]["SSHLocation"]["Default"].GetString(), "203.0.113.0/24");
}

TEST(ClusterTemplate, IntraClusterAndNfsRules) {
  auto p = build(kSpec);
  std::set<std::string> pairs;
  for (const auto& m : p.doc["Resources"].GetObject()) {
    if (std::string(m.value["Type"].GetString()) != "AWS::EC2::SecurityGroupIngress") continue;
    const auto& pr = m.value["Properties"];
    EXPECT_STREQ(pr["IpProtocol"].GetString(), "-1");
    pairs.insert(get_att_of(pr["SourceSecurityGroupId"]) + "->" + get_att_of(pr["GroupId"]));
  }
  EXPECT_EQ(pairs, (std::set<std::string>{"MasterSecurityGroup.GroupId->MasterSecurityGroup.GroupId",
                                          "MasterSecurityGroup.GroupId->WorkerSecurityGroup.GroupId",
                                          "WorkerSecurityGroup.GroupId->MasterSecurityGroup.GroupId",
                                          "WorkerSecurityGroup.GroupId->WorkerSecurityGroup.GroupId"}));
  const auto& efs = res(p, "EfsSecurityGroup")["Properties"]["SecurityGroupIngress"];
  ASSERT_EQ(efs.Size(), 2u);
  std::set<std::string> sources;
  for (const auto& rule : efs.GetArray()) {
    EXPECT_EQ(rule["FromPort"].GetInt(), 2049);
    EXPECT_EQ(rule["ToPort"].GetInt(), 2049);
    EXPECT_STREQ(rule["IpProtocol"].GetString(), "tcp");
    sources.insert(get_att_of(rule["SourceSecurityGroupId"]));
  }
  EXPECT_EQ(sources, (std::set<std::string>{"MasterSecurityGroup.GroupId", "WorkerSecurityGroup.GroupId"}));
  EXPECT_EQ(ref_of(res(p, "MountTarget")["Properties"]["SecurityGroups"][0]), "EfsSecurityGroup");
}

TEST(ClusterTemplate, CreatedEfsIsRetainedReusedEfsIsNotCreated) {
  auto p = build(kSpec);
  EXPECT_STREQ(res(p, "FileSystem")["DeletionPolicy"].GetString(), "Retain");
  EXPECT_STREQ(res(p, "FileSystem")["UpdateReplacePolicy"].GetString(), "Retain");
  EXPECT_EQ(ref_of(res(p, "MountTarget")["Properties"]["FileSystemId"]), "FileSystem");
  EXPECT_FALSE(p.doc["Parameters"].HasMember("EfsId"));
  EXPECT_EQ(ref_of(p.doc["Outputs"]["EfsId"]["Value"]), "FileSystem");

  auto reuse = kSpec;
  reuse.efs_id = "fs-0123456789abcdef0";
  auto r = build(reuse);
  EXPECT_FALSE(has_resource(r, "FileSystem"));
  for (const auto& m : r.doc["Resources"].GetObject())
    EXPECT_STRNE(m.value["Type"].GetString(), "AWS::EFS::FileSystem");
  EXPECT_STREQ(r.doc["Parameters"]["EfsId"]["Default"].GetString(), "fs-0123456789abcdef0");
  EXPECT_EQ(ref_of(res(r, "MountTarget")["Properties"]["FileSystemId"]), "EfsId");
  EXPECT_EQ(ref_of(r.doc["Outputs"]["EfsId"]["Value"]), "EfsId");
  EXPECT_NE(r.body.find("FS=${EfsId}.efs."), std::string::npos);
  EXPECT_EQ(r.body.find("${FileSystem}"), std::string::npos);
}

// Every statement of every policy in the template.
std::vector<const Value*> statements(const Parsed& p, const char* role) {
  std::vector<const Value*> out;
  for (const auto& pol : res(p, role)["Properties"]["Policies"].GetArray())
    for (const auto& st : pol["PolicyDocument"]["Statement"].GetArray()) out.push_back(&st);
  return out;
}

TEST(ClusterTemplate, LeastPrivilege) {
  auto p = build(kSpec);
  std::set<std::string> resource_star_ok = {"autoscaling:DescribeAutoScalingGroups",
                                            "autoscaling:DescribeAutoScalingInstances", "ec2:DescribeInstances"};
  std::set<std::string> node_actions;
  for (const char* role : {"InstanceRole", "CapacityFunctionRole"}) {
    for (const Value* st : statements(p, role)) {
      EXPECT_STREQ((*st)["Effect"].GetString(), "Allow");
      bool star_resource = (*st)["Resource"].IsString() && str((*st)["Resource"]) == "*";
      for (const auto& a : (*st)["Action"].GetArray()) {
        std::string action = a.GetString();
        EXPECT_EQ(action.find('*'), std::string::npos) << role << " has wildcard action " << action;
        if (star_resource) {
          EXPECT_TRUE(resource_star_ok.count(action)) << role << ": " << action << " on *";
        }
        if (std::string(role) == "InstanceRole") node_actions.insert(action);
        if (action.rfind("s3:", 0) == 0) {
          // Only the staging bucket, by its ARN.
          std::string arn = str((*st)["Resource"][0]["Fn::Sub"]);
          EXPECT_TRUE(arn == "arn:${AWS::Partition}:s3:::team-bucket" || arn == "arn:${AWS::Partition}:s3:::team-bucket/*")
              << arn;
          if (action == "s3:ListBucket") {
            EXPECT_EQ(arn, "arn:${AWS::Partition}:s3:::team-bucket");
          } else {
            EXPECT_EQ(arn, "arn:${AWS::Partition}:s3:::team-bucket/*");
          }
        }
        if (action == "cloudformation:SignalResource") {
          EXPECT_EQ(ref_of((*st)["Resource"]), "AWS::StackId");
        }
        if (action == "autoscaling:SetDesiredCapacity") {
          EXPECT_EQ(str((*st)["Resource"][0]["Fn::Sub"]),
                    "arn:${AWS::Partition}:autoscaling:${AWS::Region}:${AWS::AccountId}:autoScalingGroup:*:"
                    "autoScalingGroupName/${AWS::StackName}-workers");
        }
      }
    }
  }
  for (const char* a : {"s3:GetObject", "s3:PutObject", "s3:ListBucket", "cloudformation:SignalResource",
                        "autoscaling:DescribeAutoScalingGroups", "sqs:SendMessage", "sqs:ReceiveMessage"})
    EXPECT_TRUE(node_actions.count(a)) << a;
  EXPECT_FALSE(node_actions.count("autoscaling:SetDesiredCapacity"));  // only the Lambda resizes
  EXPECT_EQ(ref_of(res(p, "InstanceProfile")["Properties"]["Roles"][0]), "InstanceRole");

  auto no_bucket = kSpec;
  no_bucket.staging_bucket.clear();
  auto nb = build(no_bucket);
  EXPECT_EQ(nb.body.find("\"s3:"), std::string::npos);
}

TEST(ClusterTemplate, ImageFromSsmParameterOrAmiId) {
  auto p = build(kSpec);
  EXPECT_STREQ(p.doc["Parameters"]["ImageId"]["Type"].GetString(), "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>");
  EXPECT_EQ(str(p.doc["Parameters"]["ImageId"]["Default"]), std::string(kDefaultDlamiParameter));
  auto ami = kSpec;
  ami.image_id = "ami-0123456789abcdef0";
  auto a = build(ami);
  EXPECT_STREQ(a.doc["Parameters"]["ImageId"]["Type"].GetString(), "AWS::EC2::Image::Id");
  EXPECT_STREQ(a.doc["Parameters"]["ImageId"]["Default"].GetString(), "ami-0123456789abcdef0");
  for (const char* lt : {"MasterLaunchTemplate", "WorkerLaunchTemplate"})
    EXPECT_EQ(ref_of(res(a, lt)["Properties"]["LaunchTemplateData"]["ImageId"]), "ImageId");
}

TEST(ClusterTemplate, ParametersCarryTheSpec) {
  auto p = build(kSpec);
  const auto& ps = p.doc["Parameters"];
  for (const char* n : {"KeyName", "SSHLocation", "InstanceType", "WorkerCount", "MinWorkerCount", "ImageId",
                        "EfsMountPoint", "VolumeSize"})
    EXPECT_TRUE(ps.HasMember(n)) << n;
  EXPECT_STREQ(ps["KeyName"]["Type"].GetString(), "AWS::EC2::KeyPair::KeyName");
  EXPECT_STREQ(ps["KeyName"]["Default"].GetString(), "team");
  EXPECT_STREQ(ps["WorkerCount"]["Default"].GetString(), "8");
  EXPECT_STREQ(ps["MinWorkerCount"]["Default"].GetString(), "4");
  EXPECT_STREQ(ps["InstanceType"]["Default"].GetString(), "p3.16xlarge");
  EXPECT_STREQ(ps["VolumeSize"]["Default"].GetString(), "100");
  EXPECT_STREQ(ps["EfsMountPoint"]["Default"].GetString(), "/efs");

  auto t = build_template(kSpec);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->capabilities, std::vector<std::string>{"CAPABILITY_IAM"});
  std::vector<std::pair<std::string, std::string>> want = {
      {"KeyName", "team"},         {"SSHLocation", "203.0.113.0/24"}, {"InstanceType", "p3.16xlarge"},
      {"WorkerCount", "8"},        {"MinWorkerCount", "4"},           {"ImageId", std::string(kDefaultDlamiParameter)},
      {"EfsMountPoint", "/efs"},   {"VolumeSize", "100"}};
  EXPECT_EQ(t->parameters, want);
}

TEST(ClusterTemplate, GroupsSignalsAndNotifications) {
  auto p = build(kSpec);
  const auto& master = res(p, "MasterGroup");
  EXPECT_STREQ(master["Properties"]["MinSize"].GetString(), "1");
  EXPECT_STREQ(master["Properties"]["MaxSize"].GetString(), "1");
  EXPECT_STREQ(master["Properties"]["DesiredCapacity"].GetString(), "1");
  EXPECT_EQ(ref_of(master["Properties"]["VPCZoneIdentifier"][0]), "PublicSubnet");
  EXPECT_EQ(master["CreationPolicy"]["ResourceSignal"]["Count"].GetInt(), 1);
  EXPECT_STREQ(master["CreationPolicy"]["ResourceSignal"]["Timeout"].GetString(), "PT30M");
  EXPECT_TRUE(res(p, "MasterLaunchTemplate")["Properties"]["LaunchTemplateData"]["NetworkInterfaces"][0]
                  ["AssociatePublicIpAddress"].GetBool());

  const auto& workers = res(p, "WorkerGroup");
  EXPECT_EQ(ref_of(workers["Properties"]["DesiredCapacity"]), "WorkerCount");
  EXPECT_EQ(ref_of(workers["Properties"]["MaxSize"]), "WorkerCount");
  EXPECT_EQ(ref_of(workers["Properties"]["MinSize"]), "MinWorkerCount");
  EXPECT_EQ(ref_of(workers["Properties"]["VPCZoneIdentifier"][0]), "PrivateSubnet");
  std::set<std::string> depends;
  for (const auto& d : workers["DependsOn"].GetArray()) depends.insert(d.GetString());
  EXPECT_TRUE(depends.count("CapacitySubscription") && depends.count("CapacityInvokePermission"));

  for (const char* g : {"MasterGroup", "WorkerGroup"}) {
    const auto& n = res(p, g)["Properties"]["NotificationConfigurations"][0];
    EXPECT_EQ(ref_of(n["TopicARN"]), "LaunchTopic");
    ASSERT_EQ(n["NotificationTypes"].Size(), 2u);
    EXPECT_STREQ(n["NotificationTypes"][0].GetString(), "autoscaling:EC2_INSTANCE_LAUNCH");
    EXPECT_STREQ(n["NotificationTypes"][1].GetString(), "autoscaling:EC2_INSTANCE_LAUNCH_ERROR");
    EXPECT_EQ(ref_of(res(p, g)["Properties"]["PlacementGroup"]), "ClusterPlacementGroup");
  }
  EXPECT_STREQ(res(p, "ClusterPlacementGroup")["Properties"]["Strategy"].GetString(), "cluster");

  const auto& ready = res(p, "ClusterReady");
  EXPECT_EQ(ref_of(ready["Properties"]["Handle"]), "ClusterReadyHandle");
  EXPECT_EQ(ready["DependsOn"].Size(), 2u);
  EXPECT_NE(p.body.find("READY_URL='${ClusterReadyHandle}'"), std::string::npos);

  auto no_pg = kSpec;
  no_pg.placement_group = false;
  auto n = build(no_pg);
  EXPECT_FALSE(has_resource(n, "ClusterPlacementGroup"));
  EXPECT_FALSE(res(n, "WorkerGroup")["Properties"].HasMember("PlacementGroup"));
  EXPECT_FALSE(res(n, "MasterGroup")["Properties"].HasMember("PlacementGroup"));
}

TEST(ClusterTemplate, CapacityLambdaWiring) {
  auto p = build(kSpec);
  const auto& fn = res(p, "CapacityFunction")["Properties"];
  EXPECT_STREQ(fn["Handler"].GetString(), "index.handler");
  EXPECT_EQ(get_att_of(fn["Role"]), "CapacityFunctionRole.Arn");
  EXPECT_STREQ(fn["FunctionName"].GetString(), "maskrcnn-capacity");
  std::string code = fn["Code"]["ZipFile"].GetString();
  EXPECT_LT(code.size(), 4096u);  // the inline ZipFile limit
  EXPECT_NE(code.find("autoscaling:EC2_INSTANCE_LAUNCH_ERROR"), std::string::npos);
  EXPECT_NE(code.find("set_desired_capacity"), std::string::npos);
  EXPECT_NE(code.find("send_message"), std::string::npos);
  const auto& env = fn["Environment"]["Variables"];
  EXPECT_EQ(ref_of(env["MIN_WORKERS"]), "MinWorkerCount");
  EXPECT_EQ(ref_of(env["REPORT_QUEUE"]), "CapacityQueue");
  EXPECT_STREQ(env["WORKER_GROUP"]["Fn::Sub"].GetString(), "${AWS::StackName}-workers");
  EXPECT_STREQ(res(p, "WorkerGroup")["Properties"]["AutoScalingGroupName"]["Fn::Sub"].GetString(),
               "${AWS::StackName}-workers");
  const auto& sub = res(p, "CapacitySubscription")["Properties"];
  EXPECT_STREQ(sub["Protocol"].GetString(), "lambda");
  EXPECT_EQ(get_att_of(sub["Endpoint"]), "CapacityFunction.Arn");
  const auto& perm = res(p, "CapacityInvokePermission")["Properties"];
  EXPECT_STREQ(perm["Principal"].GetString(), "sns.amazonaws.com");
  EXPECT_EQ(ref_of(perm["SourceArn"]), "LaunchTopic");

  // Long cluster names still give a function name within Lambda's 64 characters, distinct per name.
  auto long_a = kSpec, long_b = kSpec;
  long_a.name = std::string(100, 'a');
  long_b.name = std::string(99, 'a') + "b";
  auto na = internal::cfn::capacity_function_name(long_a), nb = internal::cfn::capacity_function_name(long_b);
  EXPECT_EQ(na.size(), 64u);
  EXPECT_NE(na, nb);
}

TEST(ClusterTemplate, OutputsForTheLifecycle) {
  auto p = build(kSpec);
  const auto& o = p.doc["Outputs"];
  EXPECT_EQ(ref_of(o["VpcId"]["Value"]), "Vpc");
  EXPECT_EQ(ref_of(o["MasterGroupName"]["Value"]), "MasterGroup");
  EXPECT_EQ(ref_of(o["WorkerGroupName"]["Value"]), "WorkerGroup");
  EXPECT_EQ(ref_of(o["NodeQueueUrl"]["Value"]), "NodeQueue");
  EXPECT_EQ(ref_of(o["CapacityQueueUrl"]["Value"]), "CapacityQueue");
  // The wait condition's Data is a JSON object, not the string an output must be (cfn-lint
  // E6101), and nothing reads it: no output refers to it.
  EXPECT_FALSE(o.HasMember("ClusterInfo"));
  for (const auto& m : o.GetObject())
    EXPECT_EQ(get_att_of(m.value["Value"]).rfind("ClusterReady.", 0), std::string::npos) << m.name.GetString();
}

// Both subnets name the zone with one expression: the public one's, not a GetAtt of it.
TEST(ClusterTemplate, BothSubnetsNameTheSameZoneTheSameWay) {
  auto p = build(kSpec);
  const auto& pub = res(p, "PublicSubnet")["Properties"]["AvailabilityZone"];
  const auto& priv = res(p, "PrivateSubnet")["Properties"]["AvailabilityZone"];
  EXPECT_TRUE(pub == priv) << "the private subnet's zone is not written as the public subnet's";
  EXPECT_EQ(get_att_of(priv), "");
  ASSERT_TRUE(pub.IsObject() && pub.HasMember("Fn::Select"));  // the region's first zone
  EXPECT_STREQ(pub["Fn::Select"][0].GetString(), "0");
  EXPECT_TRUE(pub["Fn::Select"][1].HasMember("Fn::GetAZs"));
  EXPECT_FALSE(p.doc["Parameters"].HasMember("AvailabilityZone"));
}

// A given zone goes through a parameter of the zone type (CloudFormation checks it against the
// region) and is written into no resource (cfn-lint W3010).
TEST(ClusterTemplate, AGivenZoneIsAParameterNeverAHardcodedValue) {
  auto spec = kSpec;
  spec.availability_zone = "eu-west-1b";
  auto p = build(spec);
  for (const char* subnet : {"PublicSubnet", "PrivateSubnet"})
    EXPECT_EQ(ref_of(res(p, subnet)["Properties"]["AvailabilityZone"]), "AvailabilityZone") << subnet;
  const auto& param = p.doc["Parameters"]["AvailabilityZone"];
  EXPECT_STREQ(param["Type"].GetString(), "AWS::EC2::AvailabilityZone::Name");
  EXPECT_STREQ(param["Default"].GetString(), "eu-west-1b");
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  p.doc["Resources"].Accept(w);
  EXPECT_EQ(std::string(buf.GetString()).find("eu-west-1b"), std::string::npos) << "a resource names the zone itself";
  auto t = build_template(spec);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->parameters.back(), (std::pair<std::string, std::string>{"AvailabilityZone", "eu-west-1b"}));
}

TEST(ClusterTemplate, UserDataMountsEfsSignalsAndNeverUsesBareBashBraces) {
  for (const auto& fs : {"FileSystem", "EfsId"}) {
    for (const std::string& script : {internal::cfn::master_user_data(fs), internal::cfn::worker_user_data(fs)}) {
      // In Fn::Sub, "${" is a template reference: only these may appear.
      std::set<std::string> allowed = {"AWS::Region", "AWS::StackName", "AWS::URLSuffix", "EfsMountPoint", fs,
                                       "NodeQueue", "ClusterReadyHandle"};
      for (auto at = script.find("${"); at != std::string::npos; at = script.find("${", at + 2)) {
        auto end = script.find('}', at);
        ASSERT_NE(end, std::string::npos);
        EXPECT_TRUE(allowed.count(script.substr(at + 2, end - at - 2))) << script.substr(at, end - at + 1);
      }
      EXPECT_NE(script.find("mount \"$MOUNT\""), std::string::npos);
      EXPECT_NE(script.find("nfs4"), std::string::npos);
      EXPECT_EQ(script.rfind("#!/bin/bash\n", 0), 0u);
    }
  }
  auto master = internal::cfn::master_user_data("FileSystem");
  EXPECT_NE(master.find("--logical-resource-id MasterGroup"), std::string::npos);
  EXPECT_NE(master.find("signal SUCCESS"), std::string::npos);
  for (const char* v : {"DEEPLEARNING_WORKERS_PATH", "DEEPLEARNING_WORKERS_COUNT", "DEEPLEARNING_WORKER_GPU_COUNT",
                        "EFS_MOUNT"})
    EXPECT_NE(master.find(v), std::string::npos) << v;
  EXPECT_NE(internal::cfn::worker_user_data("FileSystem").find("aws sqs send-message"), std::string::npos);
}

TEST(ClusterTemplate, InvalidSpecIsRejectedBeforeAnything) {
  auto bad = kSpec;
  bad.ssh_cidr = "203.0.113.0";
  auto t = build_template(bad);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_NE(t.error().message.find("ssh_cidr"), std::string::npos);
}

TEST(ClusterTemplate, SizeAndTheS3Threshold) {
  EXPECT_FALSE(template_needs_s3(51200));
  EXPECT_TRUE(template_needs_s3(51201));
  EXPECT_FALSE(template_needs_s3(0));
  for (const auto& [name, spec] : testing::template_test_specs()) {
    auto t = build_template(spec);
    ASSERT_TRUE(t.ok()) << name;
    EXPECT_LT(t->size(), kMaxTemplateBodyBytes) << name;
    EXPECT_FALSE(t->needs_s3()) << name;
    EXPECT_GT(t->size(), 10000u) << name;
  }
  auto pretty = build_template(kSpec, {.pretty = true});
  auto compact = build_template(kSpec);
  ASSERT_TRUE(pretty.ok() && compact.ok());
  EXPECT_GT(pretty->size(), compact->size());
  rapidjson::Document a, b;
  a.Parse(pretty->body.c_str());
  b.Parse(compact->body.c_str());
  EXPECT_TRUE(a == b);  // the same document either way
}

TEST(ClusterTemplate, DeterministicAndMatchesTheGoldenFile) {
  auto first = build_template(kSpec, {.pretty = true});
  auto second = build_template(kSpec, {.pretty = true});
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->body, second->body);

  for (const auto& [name, spec] : testing::template_test_specs()) {
    if (name != "default" && name != "reuse_efs") continue;
    auto t = build_template(spec, {.pretty = true});
    ASSERT_TRUE(t.ok());
    std::string path = std::string(AWSDL_TEST_DATA_DIR) + "/golden/cluster_" + name + ".json";
    if (std::getenv("AWSDL_UPDATE_GOLDEN")) {
      std::ofstream(path, std::ios::binary) << t->body;
      continue;
    }
    std::string golden = read_file(path);
    ASSERT_FALSE(golden.empty()) << path << " is missing; run with AWSDL_UPDATE_GOLDEN=1 to write it";
    EXPECT_EQ(t->body, golden) << "template for '" << name << "' differs from " << path
                               << " (if the change is intended, rerun with AWSDL_UPDATE_GOLDEN=1 and review the diff)";
  }
}

}  // namespace
}  // namespace awsdl::cluster
