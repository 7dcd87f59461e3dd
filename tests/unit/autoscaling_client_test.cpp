// AutoScalingClient on a fake transport. The expected request bodies were generated once
// with botocore 1.29's QuerySerializer (/usr/bin/python3, serialize_to_request with the
// parameters in the order this client adds them) and pasted here.
#include "awsdl/autoscaling/autoscaling.hpp"

#include <gtest/gtest.h>

#include "awsdl/testing/fake_transport.hpp"
#include "support/fake_harness.hpp"

namespace awsdl {
namespace {

struct Harness : testsupport::FakeHarness {
  Harness() : FakeHarness("us-west-2") {}
};

std::string response(const std::string& action, const std::string& result) {
  return "<" + action + "Response xmlns=\"http://autoscaling.amazonaws.com/doc/2011-01-01/\"><" + action + "Result>" +
         result + "</" + action + "Result><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></" + action +
         "Response>";
}

constexpr const char* kGroupXml =
    "<member><AutoScalingGroupName>c1-workers</AutoScalingGroupName><AutoScalingGroupARN>arn:aws:autoscaling:us-west-2:"
    "123456789012:autoScalingGroup:uuid:autoScalingGroupName/c1-workers</AutoScalingGroupARN><MinSize>2</MinSize>"
    "<MaxSize>8</MaxSize><DesiredCapacity>3</DesiredCapacity><AvailabilityZones><member>us-west-2a</member><member>"
    "us-west-2b</member></AvailabilityZones><VPCZoneIdentifier>subnet-1,subnet-2</VPCZoneIdentifier><PlacementGroup>"
    "pg</PlacementGroup><Instances><member><InstanceId>i-1</InstanceId><InstanceType>p3.16xlarge</InstanceType>"
    "<AvailabilityZone>us-west-2a</AvailabilityZone><LifecycleState>InService</LifecycleState><HealthStatus>Healthy"
    "</HealthStatus></member><member><InstanceId>i-2</InstanceId><LifecycleState>Pending</LifecycleState></member>"
    "</Instances><SuspendedProcesses><member><ProcessName>AZRebalance</ProcessName><SuspensionReason>User"
    "</SuspensionReason></member></SuspendedProcesses><Tags><member><Key>awsdl:cluster</Key><Value>c1</Value>"
    "<PropagateAtLaunch>true</PropagateAtLaunch></member></Tags><CreatedTime>2024-01-02T03:04:05.000Z</CreatedTime>"
    "</member>";

TEST(AutoScalingClient, DescribeGroupsPagesAndParses) {
  Harness h;
  h.transport->push(200, response("DescribeAutoScalingGroups",
                                  std::string("<AutoScalingGroups>") + kGroupXml + "</AutoScalingGroups><NextToken>t/1</NextToken>"));
  h.transport->push(200, response("DescribeAutoScalingGroups", "<AutoScalingGroups><member><AutoScalingGroupName>b"
                                                               "</AutoScalingGroupName></member></AutoScalingGroups>"));
  autoscaling::AutoScalingClient as(h.config);
  auto groups = as.describe_groups({.names = {"a", "b"}, .filters = {{"tag:awsdl:cluster", {"c1"}}}, .max_records = 10});
  ASSERT_TRUE(groups.ok()) << groups.error().to_string();
  EXPECT_EQ(h.body(0),
            "Action=DescribeAutoScalingGroups&Version=2011-01-01&AutoScalingGroupNames.member.1=a&AutoScalingGroupNames."
            "member.2=b&MaxRecords=10&Filters.member.1.Name=tag%3Aawsdl%3Acluster&Filters.member.1.Values.member.1=c1");
  EXPECT_NE(h.body(1).find("NextToken=t%2F1"), std::string::npos);
  EXPECT_EQ(h.transport->requests()[0].url(), "https://autoscaling.us-west-2.amazonaws.com/");
  ASSERT_EQ(groups->size(), 2u);
  const auto& g = (*groups)[0];
  EXPECT_EQ(g.name, "c1-workers");
  EXPECT_EQ(g.min_size, 2);
  EXPECT_EQ(g.max_size, 8);
  EXPECT_EQ(g.desired_capacity, 3);
  EXPECT_EQ(g.availability_zones, (std::vector<std::string>{"us-west-2a", "us-west-2b"}));
  EXPECT_EQ(g.vpc_zone_identifier, "subnet-1,subnet-2");
  EXPECT_EQ(g.placement_group, "pg");
  ASSERT_EQ(g.instances.size(), 2u);
  EXPECT_EQ(g.instances[0].lifecycle_state, "InService");
  EXPECT_EQ(g.instances[0].instance_type, "p3.16xlarge");
  EXPECT_EQ(g.instances[0].group_name, "c1-workers");
  EXPECT_EQ(g.suspended_processes, std::vector<std::string>{"AZRebalance"});
  EXPECT_EQ(g.tag("awsdl:cluster"), "c1");
  EXPECT_TRUE(g.tags[0].propagate_at_launch);
  EXPECT_EQ((*groups)[1].name, "b");
}

TEST(AutoScalingClient, DescribeGroupNotFound) {
  Harness h;
  h.transport->push(200, response("DescribeAutoScalingGroups", "<AutoScalingGroups/>"));
  auto g = autoscaling::AutoScalingClient(h.config).describe_group("nope");
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.error().kind, ErrorKind::kNotFound);
}

TEST(AutoScalingClient, WritesSerializeLikeBotocore) {
  Harness h;
  h.transport->set_handler([](const http::Request& r) -> Result<http::Response> {
    http::Response resp;
    resp.status = 200;
    std::string action = r.body.substr(7, r.body.find('&') - 7);
    resp.body = "<" + action + "Response><ResponseMetadata><RequestId>x</RequestId></ResponseMetadata></" + action + "Response>";
    return resp;
  });
  autoscaling::AutoScalingClient as(h.config);
  ASSERT_TRUE(as.set_desired_capacity("w", 4, true).ok());
  ASSERT_TRUE(as.update_group({.name = "w", .min_size = 1, .max_size = 8, .desired_capacity = 3}).ok());
  ASSERT_TRUE(as.suspend_processes("w", {"Launch", "Terminate"}).ok());
  ASSERT_TRUE(as.resume_processes("w").ok());
  EXPECT_EQ(h.body(0), "Action=SetDesiredCapacity&Version=2011-01-01&AutoScalingGroupName=w&DesiredCapacity=4&HonorCooldown=true");
  EXPECT_EQ(h.body(1), "Action=UpdateAutoScalingGroup&Version=2011-01-01&AutoScalingGroupName=w&MinSize=1&MaxSize=8&DesiredCapacity=3");
  EXPECT_EQ(h.body(2), "Action=SuspendProcesses&Version=2011-01-01&AutoScalingGroupName=w&ScalingProcesses.member.1=Launch&"
                       "ScalingProcesses.member.2=Terminate");
  EXPECT_EQ(h.body(3), "Action=ResumeProcesses&Version=2011-01-01&AutoScalingGroupName=w");
  // Refused before any call.
  EXPECT_EQ(as.set_desired_capacity("w", -1).error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(as.update_group({.name = "w", .min_size = 5, .max_size = 2}).error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(as.set_desired_capacity("", 1).error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(h.transport->request_count(), 4u);
}

TEST(AutoScalingClient, ActivitiesAndInstances) {
  Harness h;
  h.transport->push(200, response("DescribeScalingActivities",
                                  "<Activities><member><ActivityId>a1</ActivityId><AutoScalingGroupName>w"
                                  "</AutoScalingGroupName><Description>Launching a new EC2 instance.  Status Reason: "
                                  "InsufficientInstanceCapacity</Description><Cause>At 2024...</Cause><StatusCode>Failed"
                                  "</StatusCode><StatusMessage>We currently do not have sufficient p3.16xlarge capacity"
                                  "</StatusMessage><Progress>100</Progress></member></Activities><NextToken>t/1</NextToken>"));
  h.transport->push(200, response("DescribeScalingActivities",
                                  "<Activities><member><ActivityId>a0</ActivityId><StatusCode>Successful</StatusCode>"
                                  "</member></Activities>"));
  h.transport->push(200, response("DescribeAutoScalingInstances",
                                  "<AutoScalingInstances><member><InstanceId>i-1</InstanceId><AutoScalingGroupName>w"
                                  "</AutoScalingGroupName><LifecycleState>InService</LifecycleState><HealthStatus>HEALTHY"
                                  "</HealthStatus><AvailabilityZone>us-west-2a</AvailabilityZone></member>"
                                  "</AutoScalingInstances>"));
  autoscaling::AutoScalingClient as(h.config);
  auto acts = as.describe_scaling_activities("w");
  ASSERT_TRUE(acts.ok()) << acts.error().to_string();
  ASSERT_EQ(acts->size(), 2u);
  EXPECT_EQ((*acts)[0].status_code, "Failed");
  EXPECT_NE((*acts)[0].status_message.find("p3.16xlarge"), std::string::npos);
  EXPECT_EQ((*acts)[0].progress, 100);
  EXPECT_EQ(h.body(1), "Action=DescribeScalingActivities&Version=2011-01-01&AutoScalingGroupName=w&NextToken=t%2F1");
  auto inst = as.describe_instances({"i-1"});
  ASSERT_TRUE(inst.ok());
  EXPECT_EQ(h.body(2), "Action=DescribeAutoScalingInstances&Version=2011-01-01&InstanceIds.member.1=i-1");
  ASSERT_EQ(inst->size(), 1u);
  EXPECT_EQ((*inst)[0].group_name, "w");
  EXPECT_EQ((*inst)[0].lifecycle_state, "InService");
}

TEST(AutoScalingClient, ActivitiesStopAtTheLimitWithoutAskingForTheNextPage) {
  Harness h;
  h.transport->push(200, response("DescribeScalingActivities",
                                  "<Activities><member><ActivityId>a2</ActivityId></member><member><ActivityId>a1"
                                  "</ActivityId></member></Activities><NextToken>t/1</NextToken>"));
  h.transport->push(200, response("DescribeScalingActivities",
                                  "<Activities><member><ActivityId>a0</ActivityId></member></Activities>"));
  autoscaling::AutoScalingClient as(h.config);
  auto acts = as.describe_scaling_activities("w", 1);
  ASSERT_TRUE(acts.ok()) << acts.error().to_string();
  ASSERT_EQ(acts->size(), 1u);
  EXPECT_EQ((*acts)[0].activity_id, "a2");
  EXPECT_EQ(h.transport->request_count(), 1u);
}

}  // namespace
}  // namespace awsdl
