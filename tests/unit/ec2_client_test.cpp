// Ec2Client on a fake transport: what goes on the wire (compared with what botocore 1.29
// serialises for the same parameters) and how recorded answers are read; the waiters'
// acceptors, backoff, deadline and failure handling on a manual clock.
//
// The expected request bodies below were generated once with botocore's EC2Serializer
// (botocore.serialize.create_serializer('ec2').serialize_to_request(params, op_model)),
// percent-encoding the body pairs the way botocore's form encoder does, with the parameters
// given in the order this client adds them, and pasted here.
#include "awsdl/ec2/ec2.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "awsdl/testing/fake_transport.hpp"
#include "support/fake_harness.hpp"
#include "ec2/ec2_internal.hpp"
#include "protocol/query_serializer.hpp"

namespace awsdl {
namespace {

using namespace std::chrono_literals;

struct Harness : testsupport::FakeHarness {
  Harness() : FakeHarness("us-east-1") {}
};

std::string wrap(const std::string& action, const std::string& inner) {
  return "<" + action + "Response xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>rid</requestId>" +
         inner + "</" + action + "Response>";
}

std::string instances_xml(const std::vector<std::pair<std::string, std::string>>& id_state) {
  std::string items;
  for (const auto& [id, state] : id_state)
    items += "<item><instanceId>" + id + "</instanceId><instanceState><code>0</code><name>" + state +
             "</name></instanceState></item>";
  return wrap("DescribeInstances", "<reservationSet><item><reservationId>r-1</reservationId><instancesSet>" + items +
                                       "</instancesSet></item></reservationSet>");
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

constexpr const char* kRunBody =
    "Action=RunInstances&Version=2016-11-15&ImageId=ami-0abc&InstanceType=p3.16xlarge&MinCount=2&MaxCount=4&KeyName="
    "team&SubnetId=subnet-1&SecurityGroupId.1=sg-1&SecurityGroupId.2=sg-2&UserData=IyEvYmluL2Jhc2gKZWNobyBoaQo%3D&"
    "IamInstanceProfile.Name=prof&Placement.AvailabilityZone=us-east-1a&Placement.GroupName=pg&BlockDeviceMapping.1."
    "DeviceName=%2Fdev%2Fsda1&BlockDeviceMapping.1.Ebs.DeleteOnTermination=true&BlockDeviceMapping.1.Ebs.Iops=3000&"
    "BlockDeviceMapping.1.Ebs.VolumeSize=200&BlockDeviceMapping.1.Ebs.VolumeType=gp3&BlockDeviceMapping.1.Ebs."
    "Encrypted=true&TagSpecification.1.ResourceType=instance&TagSpecification.1.Tag.1.Key=Name&TagSpecification.1."
    "Tag.1.Value=w%201&TagSpecification.1.Tag.2.Key=cluster&TagSpecification.1.Tag.2.Value=c&TagSpecification.2."
    "ResourceType=volume&TagSpecification.2.Tag.1.Key=Name&TagSpecification.2.Tag.1.Value=w%201&TagSpecification.2."
    "Tag.2.Key=cluster&TagSpecification.2.Tag.2.Value=c&InstanceMarketOptions.MarketType=spot&InstanceMarketOptions."
    "SpotOptions.MaxPrice=3.5&InstanceMarketOptions.SpotOptions.SpotInstanceType=one-time&InstanceMarketOptions."
    "SpotOptions.InstanceInterruptionBehavior=terminate&ClientToken=tok-1";

ec2::RunInstancesRequest full_run_request() {
  ec2::RunInstancesRequest r;
  r.image_id = "ami-0abc";
  r.instance_type = "p3.16xlarge";
  r.min_count = 2;
  r.max_count = 4;
  r.key_name = "team";
  r.subnet_id = "subnet-1";
  r.security_group_ids = {"sg-1", "sg-2"};
  r.user_data = "#!/bin/bash\necho hi\n";
  r.iam_instance_profile_name = "prof";
  r.availability_zone = "us-east-1a";
  r.placement_group = "pg";
  r.block_devices = {{.device_name = "/dev/sda1", .volume_size_gib = 200, .volume_type = "gp3", .iops = 3000,
                      .delete_on_termination = true, .encrypted = true}};
  r.tags = {{"Name", "w 1"}, {"cluster", "c"}};
  r.spot = ec2::SpotOptions{.max_price = "3.5", .spot_instance_type = "one-time",
                            .instance_interruption_behavior = "terminate"};
  r.client_token = "tok-1";
  return r;
}

TEST(Ec2Client, RunInstancesSerializesLikeBotocore) {
  Harness h;
  h.transport->push(200, wrap("RunInstances", "<reservationId>r-9</reservationId><ownerId>123456789012</ownerId>"
                                              "<instancesSet><item><instanceId>i-a</instanceId><instanceState><code>0"
                                              "</code><name>pending</name></instanceState></item></instancesSet>"));
  ec2::Ec2Client ec2(h.config);
  auto res = ec2.run_instances(full_run_request());
  ASSERT_TRUE(res.ok()) << res.error().to_string();
  EXPECT_EQ(h.body(0), kRunBody);
  auto r = h.transport->requests()[0];
  EXPECT_EQ(r.url(), "https://ec2.us-east-1.amazonaws.com/");
  EXPECT_NE(r.headers.get("Authorization")->find("/us-east-1/ec2/aws4_request"), std::string::npos);
  EXPECT_EQ(res->reservation_id, "r-9");
  ASSERT_EQ(res->instances.size(), 1u);
  EXPECT_EQ(res->instances[0].instance_id, "i-a");
  EXPECT_EQ(res->instances[0].state, "pending");
}

TEST(Ec2Client, RunInstancesGeneratesOneTokenAndReusesItOnRetry) {
  Harness h;
  h.transport->push(503, "<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>slow down</Message>"
                         "</Error></Errors><RequestID>x</RequestID></Response>");
  h.transport->push(200, wrap("RunInstances", "<reservationId>r-1</reservationId><instancesSet/>"));
  ec2::Ec2Client ec2(h.config);
  ec2::RunInstancesRequest r;
  r.image_id = "ami-1";
  r.instance_type = "t3.micro";
  ASSERT_TRUE(ec2.run_instances(r).ok());
  ASSERT_EQ(h.transport->request_count(), 2u);
  auto token_of = [](const std::string& body) {
    std::smatch m;
    EXPECT_TRUE(std::regex_search(body, m, std::regex("ClientToken=([^&]+)"))) << body;
    return m.size() > 1 ? m[1].str() : std::string();
  };
  std::string t1 = token_of(h.body(0)), t2 = token_of(h.body(1));
  EXPECT_TRUE(std::regex_match(t1, std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"))) << t1;
  EXPECT_EQ(t1, t2);
  // A second call is a second launch: a new token.
  h.transport->push(200, wrap("RunInstances", "<reservationId>r-2</reservationId><instancesSet/>"));
  ASSERT_TRUE(ec2.run_instances(r).ok());
  EXPECT_NE(token_of(h.body(2)), t1);
}

TEST(Ec2Client, RunInstancesRejectsBadInputBeforeAnyCall) {
  Harness h;
  ec2::Ec2Client ec2(h.config);
  ec2::RunInstancesRequest r;
  r.instance_type = "t3.micro";
  EXPECT_EQ(ec2.run_instances(r).error().kind, ErrorKind::kInvalidArgument);
  r.image_id = "ami-1";
  r.min_count = 0;
  EXPECT_EQ(ec2.run_instances(r).error().kind, ErrorKind::kInvalidArgument);
  r.min_count = 3;
  r.max_count = 2;
  EXPECT_EQ(ec2.run_instances(r).error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(h.transport->request_count(), 0u);
}

TEST(Ec2Client, ParsesRecordedDescribeInstances) {
  Harness h;
  h.transport->push(200, read_file(std::string(AWSDL_TEST_DATA_DIR) + "/ec2/describe_instances.xml"));
  ec2::Ec2Client ec2(h.config);
  ec2::DescribeInstancesRequest req;
  req.filters = {{"tag:Name", {"a", "b"}}, {"instance-state-name", {"running"}}};
  req.max_results = 5;
  req.next_token = "abc=";
  auto page = ec2.describe_instances(req);
  ASSERT_TRUE(page.ok()) << page.error().to_string();
  EXPECT_EQ(h.body(0),
            "Action=DescribeInstances&Version=2016-11-15&Filter.1.Name=tag%3AName&Filter.1.Value.1=a&Filter.1.Value.2="
            "b&Filter.2.Name=instance-state-name&Filter.2.Value.1=running&MaxResults=5&NextToken=abc%3D");
  EXPECT_EQ(page->next_token, "eyJ2IjoiMiJ9");
  ASSERT_EQ(page->reservations.size(), 1u);
  const auto& res = page->reservations[0];
  EXPECT_EQ(res.reservation_id, "r-1234567890abcdef0");
  EXPECT_EQ(res.owner_id, "123456789012");
  ASSERT_EQ(res.instances.size(), 2u);
  const auto& i = res.instances[0];
  EXPECT_EQ(i.instance_id, "i-1234567890abcdef0");
  EXPECT_EQ(i.image_id, "ami-bff32ccc");
  EXPECT_EQ(i.instance_type, "p3.16xlarge");
  EXPECT_EQ(i.state, "running");
  EXPECT_EQ(i.state_code, 16);
  EXPECT_EQ(i.private_ip, "192.168.1.88");
  EXPECT_EQ(i.public_ip, "54.194.252.215");
  EXPECT_EQ(i.private_dns, "ip-192-168-1-88.eu-west-1.compute.internal");
  EXPECT_EQ(i.public_dns, "ec2-54-194-252-215.eu-west-1.compute.amazonaws.com");
  EXPECT_EQ(i.subnet_id, "subnet-56f5f633");
  EXPECT_EQ(i.vpc_id, "vpc-11112222");
  EXPECT_EQ(i.key_name, "my_keypair");
  EXPECT_EQ(i.availability_zone, "eu-west-1c");
  EXPECT_EQ(i.placement_group, "dl-pg");
  EXPECT_EQ(i.lifecycle, "spot");
  EXPECT_EQ(i.launch_time, "2018-05-08T16:46:19.000Z");
  EXPECT_EQ(i.client_token, "xMcwG14507example");
  EXPECT_EQ(i.security_group_ids, (std::vector<std::string>{"sg-e4076980", "sg-0a1b2c3d"}));
  EXPECT_EQ(i.tag("Name"), "Server_1");
  EXPECT_EQ(i.tag("awsdl:cluster"), "maskrcnn");
  EXPECT_EQ(i.tag("missing"), "");
  EXPECT_EQ(res.instances[1].state, "pending");
  EXPECT_EQ(res.instances[1].state_reason, "pending");
  EXPECT_EQ(res.instances[1].public_ip, "");
}

TEST(Ec2Client, ListInstancesFollowsNextTokenAndStopsOnARepeatedOne) {
  Harness h;
  auto page = [](const std::string& id, const std::string& next) {
    return wrap("DescribeInstances", "<reservationSet><item><reservationId>r</reservationId><instancesSet><item>"
                                     "<instanceId>" + id + "</instanceId></item></instancesSet></item></reservationSet>" +
                                         (next.empty() ? "" : "<nextToken>" + next + "</nextToken>"));
  };
  h.transport->push(200, page("i-1", "t1"));
  h.transport->push(200, page("i-2", "t2"));
  h.transport->push(200, page("i-3", ""));
  ec2::Ec2Client ec2(h.config);
  ec2::DescribeInstancesRequest req;
  req.max_results = 5;
  auto all = ec2.list_instances(req);
  ASSERT_TRUE(all.ok()) << all.error().to_string();
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[2].instance_id, "i-3");
  EXPECT_EQ(h.body(0).find("NextToken"), std::string::npos);
  EXPECT_NE(h.body(1).find("NextToken=t1"), std::string::npos);
  EXPECT_NE(h.body(2).find("NextToken=t2"), std::string::npos);

  Harness loop;
  loop.transport->push(200, page("i-1", "same"));
  loop.transport->push(200, page("i-2", "same"));
  auto bad = ec2::Ec2Client(loop.config).list_instances({});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, "RepeatedNextToken");
}

TEST(Ec2Client, SecurityGroupsAndKeysSerializeLikeBotocore) {
  Harness h;
  h.transport->set_handler([](const http::Request& r) -> Result<http::Response> {
    http::Response resp;
    resp.status = 200;
    if (r.body.find("Action=CreateSecurityGroup") == 0) resp.body = wrap("CreateSecurityGroup", "<groupId>sg-new</groupId>");
    else if (r.body.find("Action=ImportKeyPair") == 0)
      resp.body = wrap("ImportKeyPair", "<keyFingerprint>aa:bb</keyFingerprint><keyName>k</keyName><keyPairId>key-1</keyPairId>");
    else resp.body = wrap("X", "<return>true</return>");
    return resp;
  });
  ec2::Ec2Client ec2(h.config);
  auto gid = ec2.create_security_group({.group_name = "c-nodes", .description = "cluster nodes", .vpc_id = "vpc-1",
                                        .tags = {{"k", "v"}}});
  ASSERT_TRUE(gid.ok());
  EXPECT_EQ(*gid, "sg-new");
  EXPECT_EQ(h.body(0), "Action=CreateSecurityGroup&Version=2016-11-15&GroupDescription=cluster%20nodes&GroupName=c-nodes&"
                       "VpcId=vpc-1&TagSpecification.1.ResourceType=security-group&TagSpecification.1.Tag.1.Key=k&"
                       "TagSpecification.1.Tag.1.Value=v");
  ec2::IpPermission ssh{.ip_protocol = "tcp", .from_port = 22, .to_port = 22, .cidr_ips = {"203.0.113.0/24"}};
  ec2::IpPermission all{.ip_protocol = "-1", .source_group_ids = {"sg-1"}};
  ASSERT_TRUE(ec2.authorize_security_group_ingress("sg-1", {ssh, all}).ok());
  EXPECT_EQ(h.body(1), "Action=AuthorizeSecurityGroupIngress&Version=2016-11-15&GroupId=sg-1&IpPermissions.1.FromPort=22&"
                       "IpPermissions.1.IpProtocol=tcp&IpPermissions.1.IpRanges.1.CidrIp=203.0.113.0%2F24&IpPermissions."
                       "1.ToPort=22&IpPermissions.2.IpProtocol=-1&IpPermissions.2.Groups.1.GroupId=sg-1");
  auto key = ec2.import_key_pair("k", "ssh-ed25519 AAAA me");
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->fingerprint, "aa:bb");
  EXPECT_EQ(key->key_pair_id, "key-1");
  EXPECT_EQ(h.body(2), "Action=ImportKeyPair&Version=2016-11-15&KeyName=k&PublicKeyMaterial=c3NoLWVkMjU1MTkgQUFBQSBtZQ%3D%3D");
  ASSERT_TRUE(ec2.create_tags({"i-1", "sg-2"}, {{"a", "1"}}).ok());
  EXPECT_EQ(h.body(3), "Action=CreateTags&Version=2016-11-15&ResourceId.1=i-1&ResourceId.2=sg-2&Tag.1.Key=a&Tag.1.Value=1");
  EXPECT_FALSE(ec2.create_security_group({.group_name = "x"}).ok());  // no description: refused locally
  EXPECT_EQ(h.transport->request_count(), 4u);
}

// GetConsoleOutput: the botocore body; the base64 output decoded (line breaks in it ignored);
// no output yet is "not available", not an error; output that is not base64 is one.
TEST(Ec2Client, ConsoleOutputIsDecodedAndMissingOutputIsNotAvailable) {
  Harness h;
  int n = 0;
  h.transport->set_handler([&](const http::Request&) -> Result<http::Response> {
    http::Response resp;
    resp.status = 200;
    const char* answers[] = {
        "<instanceId>i-1</instanceId><timestamp>2026-12-07T02:00:00.000Z</timestamp>"
        "<output>bW91bnQubmZz\nNDogQ29ubmVjdGlvbiB0aW1lZCBvdXQK</output>",
        "<instanceId>i-2</instanceId><timestamp>2026-12-07T02:00:00.000Z</timestamp>",
        "<instanceId>i-3</instanceId><output>not base64!</output>"};
    resp.body = wrap("GetConsoleOutput", answers[n++ % 3]);
    return resp;
  });
  ec2::Ec2Client ec2(h.config);
  auto out = ec2.get_console_output("i-1");
  ASSERT_TRUE(out.ok()) << out.error().to_string();
  EXPECT_EQ(h.body(0), "Action=GetConsoleOutput&Version=2016-11-15&InstanceId=i-1&Latest=true");
  EXPECT_TRUE(out->available);
  EXPECT_EQ(out->output, "mount.nfs4: Connection timed out\n");
  EXPECT_EQ(out->timestamp, "2026-12-07T02:00:00.000Z");
  auto none = ec2.get_console_output("i-2", false);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(h.body(1), "Action=GetConsoleOutput&Version=2016-11-15&InstanceId=i-2");
  EXPECT_FALSE(none->available);
  EXPECT_EQ(none->output, "");
  auto bad = ec2.get_console_output("i-3");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, "BadConsoleOutput");
  EXPECT_FALSE(ec2.get_console_output("").ok());
  EXPECT_EQ(h.transport->request_count(), 3u);
}

TEST(Ec2Client, DescribeImagesNewestFirstAndInstanceTypesGpus) {
  Harness h;
  h.transport->push(200, wrap("DescribeImages",
                              "<imagesSet><item><imageId>ami-old</imageId><name>DLAMI 1</name><creationDate>2022-01-10T10:00:"
                              "00.000Z</creationDate><imageOwnerId>137112412989</imageOwnerId></item><item><imageId>ami-new"
                              "</imageId><name>DLAMI 3</name><creationDate>2023-02-14T10:00:00.000Z</creationDate></item>"
                              "<item><imageId>ami-mid</imageId><creationDate>2022-06-20T10:00:00.000Z</creationDate></item>"
                              "</imagesSet>"));
  h.transport->push(200, wrap("DescribeInstanceTypes",
                              "<instanceTypeSet><item><instanceType>p3.16xlarge</instanceType><vCpuInfo><defaultVCpus>64"
                              "</defaultVCpus></vCpuInfo><memoryInfo><sizeInMiB>499712</sizeInMiB></memoryInfo><gpuInfo>"
                              "<gpus><item><name>V100</name><manufacturer>NVIDIA</manufacturer><count>8</count><memoryInfo>"
                              "<sizeInMiB>16384</sizeInMiB></memoryInfo></item></gpus><totalGpuMemoryInMiB>131072"
                              "</totalGpuMemoryInMiB></gpuInfo></item></instanceTypeSet><nextToken>n1</nextToken>"));
  h.transport->push(200, wrap("DescribeInstanceTypes",
                              "<instanceTypeSet><item><instanceType>c5.xlarge</instanceType><vCpuInfo><defaultVCpus>4"
                              "</defaultVCpus></vCpuInfo><memoryInfo><sizeInMiB>8192</sizeInMiB></memoryInfo></item>"
                              "</instanceTypeSet>"));
  ec2::Ec2Client ec2(h.config);
  auto images = ec2.describe_images({.owners = {"amazon"}, .names = {"Deep Learning AMI*"}});
  ASSERT_TRUE(images.ok());
  EXPECT_EQ(h.body(0), "Action=DescribeImages&Version=2016-11-15&Filter.1.Name=name&Filter.1.Value.1=Deep%20Learning%20AMI%2A"
                       "&Owner.1=amazon");
  ASSERT_EQ(images->size(), 3u);
  EXPECT_EQ((*images)[0].image_id, "ami-new");
  EXPECT_EQ((*images)[1].image_id, "ami-mid");
  EXPECT_EQ((*images)[2].image_id, "ami-old");
  EXPECT_EQ((*images)[2].owner_id, "137112412989");

  auto types = ec2.describe_instance_types({});
  ASSERT_TRUE(types.ok()) << types.error().to_string();
  ASSERT_EQ(types->size(), 2u);
  EXPECT_EQ((*types)[0].gpu_count, 8);
  EXPECT_EQ((*types)[0].gpu_name, "V100");
  EXPECT_EQ((*types)[0].gpu_memory_mib, 131072);
  EXPECT_EQ((*types)[0].memory_mib, 499712);
  EXPECT_EQ((*types)[0].vcpus, 64);
  EXPECT_EQ((*types)[1].gpu_count, 0);
  EXPECT_NE(h.body(2).find("NextToken=n1"), std::string::npos);
}

TEST(Ec2Waiters, RunningWaitsWithGrowingDelaysAndReportsProgress) {
  Harness h;
  h.transport->push(400, "<Response><Errors><Error><Code>InvalidInstanceID.NotFound</Code><Message>no</Message></Error>"
                         "</Errors></Response>");
  h.transport->push(200, instances_xml({{"i-1", "pending"}, {"i-2", "pending"}}));
  h.transport->push(200, instances_xml({{"i-1", "running"}, {"i-2", "pending"}}));
  h.transport->push(200, instances_xml({{"i-1", "running"}, {"i-2", "running"}}));
  ec2::Ec2Client ec2(h.config);
  std::vector<WaitProgress> seen;
  WaitOptions o;
  o.delay = 1000ms;
  o.max_delay = 2000ms;
  o.on_progress = [&](const WaitProgress& p) { seen.push_back(p); };
  auto got = ec2.wait_until_running({"i-1", "i-2"}, o);
  ASSERT_TRUE(got.ok()) << got.error().to_string();
  EXPECT_EQ(got->size(), 2u);
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(seen[0].next_delay, 1000ms);
  EXPECT_EQ(seen[1].next_delay, 1500ms);
  EXPECT_EQ(seen[2].next_delay, 2000ms);  // capped
  EXPECT_EQ(seen[2].state, "1 pending, 1 running");
  EXPECT_EQ(seen[3].next_delay, 0ms);
  EXPECT_EQ(seen[3].max_attempts, 40);  // waiters-2.json maxAttempts
  EXPECT_EQ(h.clock->total_slept(), 4500ms);
}

TEST(Ec2Waiters, FailureAcceptorEndsWithAClearError) {
  Harness h;
  h.transport->push(200, instances_xml({{"i-1", "pending"}}));
  h.transport->push(200, instances_xml({{"i-1", "shutting-down"}}));
  ec2::Ec2Client ec2(h.config);
  auto got = ec2.wait_until_running({"i-1"}, {.delay = 10ms});
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, "WaiterFailure");
  EXPECT_NE(got.error().message.find("i-1 is shutting-down"), std::string::npos) << got.error().message;
  EXPECT_EQ(h.transport->request_count(), 2u);
}

TEST(Ec2Waiters, DeadlineAndAttemptsBoundTheWait) {
  Harness h;
  h.always_answer(instances_xml({{"i-1", "pending"}}));
  ec2::Ec2Client ec2(h.config);
  WaitOptions o;
  o.delay = 1000ms;
  o.deadline = Deadline::after(5000ms, *h.clock);
  auto got = ec2.wait_until_running({"i-1"}, o);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().kind, ErrorKind::kTimeout);
  EXPECT_EQ(got.error().code, "WaiterTimeout");
  EXPECT_LE(h.clock->total_slept(), 5000ms);
  EXPECT_LT(h.transport->request_count(), 10u);

  Harness h2;
  h2.always_answer(instances_xml({{"i-1", "running"}}));
  auto t = ec2::Ec2Client(h2.config).wait_until_terminated({"i-1"}, {.delay = 10ms, .max_attempts = 3});
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().code, "WaiterTimeout");
  EXPECT_EQ(h2.transport->request_count(), 3u);
}

TEST(Ec2Waiters, TerminatedFailsOnPendingAndStatusOkNeedsEveryInstanceOk) {
  Harness h;
  h.transport->push(200, instances_xml({{"i-1", "pending"}}));
  ec2::Ec2Client ec2(h.config);
  auto t = ec2.wait_until_terminated({"i-1"}, {.delay = 10ms});
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().code, "WaiterFailure");

  auto status = [](std::vector<std::string> states) {
    std::string items;
    for (std::size_t i = 0; i < states.size(); ++i)
      items += "<item><instanceId>i-" + std::to_string(i) + "</instanceId><instanceState><name>running</name>"
               "</instanceState><instanceStatus><status>" + states[i] + "</status></instanceStatus><systemStatus><status>ok"
               "</status></systemStatus></item>";
    return wrap("DescribeInstanceStatus", "<instanceStatusSet>" + items + "</instanceStatusSet>");
  };
  Harness s;
  s.transport->push(200, status({}));  // not running yet: empty list is not success
  s.transport->push(200, status({"ok", "initializing"}));
  s.transport->push(200, status({"ok", "ok"}));
  auto ok = ec2::Ec2Client(s.config).wait_until_status_ok({"i-0", "i-1"}, {.delay = 10ms});
  ASSERT_TRUE(ok.ok()) << ok.error().to_string();
  EXPECT_EQ(s.transport->request_count(), 3u);
  EXPECT_EQ((*ok)[1].instance_status, "ok");
  EXPECT_EQ(s.body(0), "Action=DescribeInstanceStatus&Version=2016-11-15&InstanceId.1=i-0&InstanceId.2=i-1");
}

TEST(Ec2Waiters, CancellationStopsTheWait) {
  Harness h;
  h.always_answer(instances_xml({{"i-1", "pending"}}));
  CancellationSource cancel;
  WaitOptions o;
  o.delay = 10ms;
  o.cancel = cancel.token();
  o.on_progress = [&](const WaitProgress& p) {
    if (p.attempt == 2) cancel.cancel();
  };
  auto got = ec2::Ec2Client(h.config).wait_until_running({"i-1"}, o);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().kind, ErrorKind::kCancelled);
  EXPECT_EQ(h.transport->request_count(), 2u);
}

}  // namespace
}  // namespace awsdl
