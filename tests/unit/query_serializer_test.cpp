// The query and ec2 serializers against botocore's.
//
// The expected bodies below were produced once by botocore 1.29.27 (Debian's
// python3-botocore, /usr/bin/python3) with
//   serializer = botocore.serialize.create_serializer(model.metadata['protocol'])
//   d = serializer.serialize_to_request(params, model.operation_model(op))
//   botocore.utils.percent_encode_sequence(d['body'])
// for the parameters each test spells out, and pasted here.
#include "protocol/query_serializer.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace awsdl::internal {
namespace {

struct Tag {
  std::string key, value;
};

TEST(QuerySerializer, StsAssumeRoleWithNestedLists) {
  // params: RoleArn, RoleSessionName, DurationSeconds=900, Tags=[{team, ml infra}, {cost/center, a+b=c&d}],
  //         TransitiveTagKeys=[team], PolicyArns=[{arn: ...ReadOnlyAccess}]
  QueryRequest q{"AssumeRole", "2011-06-15"};
  q.add("RoleArn", "arn:aws:iam::123456789012:role/demo").add("RoleSessionName", "s1").add("DurationSeconds", 900);
  std::vector<Tag> tags{{"team", "ml infra"}, {"cost/center", "a+b=c&d"}};
  q.add_list("Tags", tags, [](QueryScope& s, const Tag& t) { s.add("Key", t.key).add("Value", t.value); });
  q.add_list("TransitiveTagKeys", std::vector<std::string>{"team"});
  std::vector<std::string> arns{"arn:aws:iam::aws:policy/ReadOnlyAccess"};
  q.add_list("PolicyArns", arns, [](QueryScope& s, const std::string& a) { s.add("arn", a); });
  EXPECT_EQ(q.body(),
            "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fdemo&"
            "RoleSessionName=s1&DurationSeconds=900&Tags.member.1.Key=team&Tags.member.1.Value=ml%20infra&"
            "Tags.member.2.Key=cost%2Fcenter&Tags.member.2.Value=a%2Bb%3Dc%26d&TransitiveTagKeys.member.1=team&"
            "PolicyArns.member.1.arn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FReadOnlyAccess");
}

TEST(QuerySerializer, CloudFormationCreateStackWithEmptyListAndBool) {
  // params: StackName, TemplateBody='{"Resources": {}}', Parameters=[...2], Capabilities=[2], Tags=[], DisableRollback=True
  QueryRequest q{"CreateStack", "2010-05-15"};
  q.add("StackName", "maskrcnn").add("TemplateBody", R"({"Resources": {}})");
  std::vector<std::pair<std::string, std::string>> params{{"KeyName", "team"}, {"Workers", "8"}};
  q.add_list("Parameters", params, [](QueryScope& s, const auto& p) {
    s.add("ParameterKey", p.first).add("ParameterValue", p.second);
  });
  q.add_list("Capabilities", {"CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"});
  q.add_list("Tags", std::vector<std::string>{});
  q.add("DisableRollback", true);
  EXPECT_EQ(q.body(),
            "Action=CreateStack&Version=2010-05-15&StackName=maskrcnn&TemplateBody=%7B%22Resources%22%3A%20%7B%7D%7D&"
            "Parameters.member.1.ParameterKey=KeyName&Parameters.member.1.ParameterValue=team&"
            "Parameters.member.2.ParameterKey=Workers&Parameters.member.2.ParameterValue=8&"
            "Capabilities.member.1=CAPABILITY_IAM&Capabilities.member.2=CAPABILITY_NAMED_IAM&Tags=&DisableRollback=true");
}

TEST(QuerySerializer, FlattenedMapsAndListsWithLocationNames) {
  // sqs CreateQueue: QueueName=q, Attributes={DelaySeconds: 5, VisibilityTimeout: 60}, tags={team: ml}
  // (Attributes is a flattened map with locationName Attribute, key Name, value Value.)
  QueryRequest q{"CreateQueue", "2012-11-05"};
  q.add("QueueName", "q");
  q.add_map("Attribute", std::map<std::string, std::string>{{"DelaySeconds", "5"}, {"VisibilityTimeout", "60"}},
            {.flattened = true, .key_name = "Name", .value_name = "Value"});
  q.add_map("Tag", std::map<std::string, std::string>{{"team", "ml"}},
            {.flattened = true, .key_name = "Key", .value_name = "Value"});
  EXPECT_EQ(q.body(),
            "Action=CreateQueue&Version=2012-11-05&QueueName=q&Attribute.1.Name=DelaySeconds&Attribute.1.Value=5&"
            "Attribute.2.Name=VisibilityTimeout&Attribute.2.Value=60&Tag.1.Key=team&Tag.1.Value=ml");
}

TEST(QuerySerializer, NonFlattenedMapAndUtf8) {
  // sns CreateTopic: Name=t, Attributes={DisplayName: 'Grüße ~!*()'}
  QueryRequest q{"CreateTopic", "2010-03-31"};
  q.add("Name", "t").add_map("Attributes", std::map<std::string, std::string>{{"DisplayName", "Gr\xC3\xBC\xC3\x9F" "e ~!*()"}});
  EXPECT_EQ(q.body(),
            "Action=CreateTopic&Version=2010-03-31&Name=t&Attributes.entry.1.key=DisplayName&"
            "Attributes.entry.1.value=Gr%C3%BC%C3%9Fe%20~%21%2A%28%29");
}

TEST(QuerySerializer, Timestamps) {
  // cloudwatch GetMetricStatistics: StartTime=2024-01-02 03:04:05, EndTime=...04:04:05.123, Statistics=[Average]
  using namespace std::chrono;
  QueryRequest q{"GetMetricStatistics", "2010-08-01"};
  WallTime start = sys_days(year{2024} / 1 / 2) + hours(3) + minutes(4) + seconds(5);
  q.add("Namespace", "AWS/EC2").add("MetricName", "CPU").add_time("StartTime", start);
  q.add_time("EndTime", start + hours(1) + milliseconds(123)).add("Period", 60).add_list("Statistics", {"Average"});
  // botocore writes microseconds (".123000Z"); services accept milliseconds alike.
  EXPECT_EQ(q.body(),
            "Action=GetMetricStatistics&Version=2010-08-01&Namespace=AWS%2FEC2&MetricName=CPU&"
            "StartTime=2024-01-02T03%3A04%3A05Z&EndTime=2024-01-02T04%3A04%3A05.123Z&Period=60&Statistics.member.1=Average");
}

struct Spec {
  std::string type;
  std::vector<Tag> tags;
};

TEST(QuerySerializer, Ec2RunInstances) {
  // ec2 RunInstances: ImageId, MinCount=1, MaxCount=2, InstanceType, SecurityGroupIds=[sg-1, sg-2],
  //   TagSpecifications=[{instance, [{Name, master node}, {awsdl:cluster, mask/rcnn}]}],
  //   BlockDeviceMappings=[{/dev/xvda, Ebs {200, True, gp3}}], EbsOptimized=False, ClientToken=tok-1
  QueryRequest q{"RunInstances", "2016-11-15", QueryFlavor::kEc2};
  q.add("ImageId", "ami-12345678").add("MinCount", 1).add("MaxCount", 2).add("InstanceType", "p3.16xlarge");
  q.add_list(ec2_query_name("SecurityGroupIds", "SecurityGroupId"), {"sg-1", "sg-2"});
  std::vector<Spec> specs{{"instance", {{"Name", "master node"}, {"awsdl:cluster", "mask/rcnn"}}}};
  q.add_list(ec2_query_name("TagSpecifications", "TagSpecification"), specs, [](QueryScope& s, const Spec& spec) {
    s.add("ResourceType", spec.type);
    s.add_list(ec2_query_name("Tags", "Tag"), spec.tags, [](QueryScope& t, const Tag& tag) {
      t.add("Key", tag.key).add("Value", tag.value);
    });
  });
  std::vector<int> volumes{200};
  q.add_list("BlockDeviceMapping", volumes, [](QueryScope& s, int size) {
    s.add("DeviceName", "/dev/xvda").add_struct("Ebs", [&](QueryScope& ebs) {
      ebs.add("VolumeSize", size).add("DeleteOnTermination", true).add("VolumeType", "gp3");
    });
  });
  q.add(ec2_query_name("EbsOptimized", "ebsOptimized"), false).add(ec2_query_name("ClientToken", "clientToken"), "tok-1");
  EXPECT_EQ(q.body(),
            "Action=RunInstances&Version=2016-11-15&ImageId=ami-12345678&MinCount=1&MaxCount=2&InstanceType=p3.16xlarge&"
            "SecurityGroupId.1=sg-1&SecurityGroupId.2=sg-2&TagSpecification.1.ResourceType=instance&"
            "TagSpecification.1.Tag.1.Key=Name&TagSpecification.1.Tag.1.Value=master%20node&"
            "TagSpecification.1.Tag.2.Key=awsdl%3Acluster&TagSpecification.1.Tag.2.Value=mask%2Frcnn&"
            "BlockDeviceMapping.1.DeviceName=%2Fdev%2Fxvda&BlockDeviceMapping.1.Ebs.VolumeSize=200&"
            "BlockDeviceMapping.1.Ebs.DeleteOnTermination=true&BlockDeviceMapping.1.Ebs.VolumeType=gp3&"
            "EbsOptimized=false&ClientToken=tok-1");
}

TEST(QuerySerializer, Ec2EmptyListsAreOmitted) {
  // ec2 DescribeInstances: Filters=[{tag:awsdl:cluster, [a, b c]}, {instance-state-name, [running]}],
  //   InstanceIds=[], MaxResults=5
  QueryRequest q{"DescribeInstances", "2016-11-15", QueryFlavor::kEc2};
  std::vector<std::pair<std::string, std::vector<std::string>>> filters{{"tag:awsdl:cluster", {"a", "b c"}},
                                                                        {"instance-state-name", {"running"}}};
  q.add_list("Filter", filters, [](QueryScope& s, const auto& f) { s.add("Name", f.first).add_list("Value", f.second); });
  q.add_list("InstanceId", std::vector<std::string>{});
  q.add("MaxResults", 5);
  EXPECT_EQ(q.body(),
            "Action=DescribeInstances&Version=2016-11-15&Filter.1.Name=tag%3Aawsdl%3Acluster&Filter.1.Value.1=a&"
            "Filter.1.Value.2=b%20c&Filter.2.Name=instance-state-name&Filter.2.Value.1=running&MaxResults=5");
}

TEST(QuerySerializer, Ec2NameRule) {
  EXPECT_EQ(ec2_query_name("SecurityGroupIds", "SecurityGroupId"), "SecurityGroupId");
  EXPECT_EQ(ec2_query_name("DryRun", "dryRun"), "DryRun");
  EXPECT_EQ(ec2_query_name("InstanceIds", "InstanceId", "InstanceIdQ"), "InstanceIdQ");
  EXPECT_EQ(ec2_query_name("MaxResults"), "MaxResults");
}

TEST(QuerySerializer, OptionalsAndEncoding) {
  QueryRequest q{"UpdateAutoScalingGroup", "2011-01-01"};
  q.add("AutoScalingGroupName", "workers").add_optional("LaunchTemplate", "").add_optional("DesiredCapacity", std::optional<int>(3));
  q.add_optional("MinSize", std::optional<int>()).add("VPCZoneIdentifier", "subnet-1,subnet-2");
  // botocore: AutoScalingGroupName=workers, DesiredCapacity=3, VPCZoneIdentifier='subnet-1,subnet-2'
  EXPECT_EQ(q.body(),
            "Action=UpdateAutoScalingGroup&Version=2011-01-01&AutoScalingGroupName=workers&DesiredCapacity=3&"
            "VPCZoneIdentifier=subnet-1%2Csubnet-2");
  EXPECT_EQ(query_encode("A-z_0.9~ /+*"), "A-z_0.9~%20%2F%2B%2A");
  EXPECT_EQ(q.get("DesiredCapacity"), "3");
  EXPECT_EQ(q.get("Action"), "UpdateAutoScalingGroup");
  EXPECT_FALSE(q.get("MinSize").has_value());
}

TEST(QuerySerializer, CopiesAndMovesKeepTheirOwnParameters) {
  QueryRequest a{"GetCallerIdentity", "2011-06-15"};
  a.add("X", "1");
  QueryRequest b = a;
  b.add("Y", "2");
  QueryRequest c = std::move(b);
  c.add("Z", "3");
  a.add("W", "4");
  EXPECT_EQ(a.body(), "Action=GetCallerIdentity&Version=2011-06-15&X=1&W=4");
  EXPECT_EQ(c.body(), "Action=GetCallerIdentity&Version=2011-06-15&X=1&Y=2&Z=3");
  a = c;
  a.add("V", "5");
  EXPECT_EQ(c.params().size(), 3u);
  EXPECT_EQ(a.params().size(), 4u);
}

TEST(QuerySerializer, HttpRequestShape) {
  // sts GetCallerIdentity: no parameters.
  auto r = QueryRequest{"GetCallerIdentity", "2011-06-15"}.to_http();
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.path, "/");
  EXPECT_EQ(r.body, "Action=GetCallerIdentity&Version=2011-06-15");
  EXPECT_EQ(r.headers.get("Content-Type"), "application/x-www-form-urlencoded; charset=utf-8");
}

}  // namespace
}  // namespace awsdl::internal
