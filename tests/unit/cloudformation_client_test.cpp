// CloudFormationClient on a fake transport. Expected request bodies were generated once with
// botocore 1.29's QuerySerializer (/usr/bin/python3, parameters in this client's order) and
// pasted here. Waiters run on a manual clock.
#include "awsdl/cloudformation/cloudformation.hpp"

#include <gtest/gtest.h>

#include <regex>

#include "awsdl/testing/fake_transport.hpp"
#include "support/fake_harness.hpp"

namespace awsdl {
namespace {

using namespace std::chrono_literals;

struct Harness : testsupport::FakeHarness {
  Harness() : FakeHarness("us-east-1") {}
};

std::string response(const std::string& action, const std::string& result) {
  return "<" + action + "Response xmlns=\"http://cloudformation.amazonaws.com/doc/2010-05-15/\"><" + action + "Result>" +
         result + "</" + action + "Result><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></" + action +
         "Response>";
}

std::string stack_xml(const std::string& status, const std::string& reason = {}) {
  return response("DescribeStacks",
                  "<Stacks><member><StackId>arn:aws:cloudformation:us-east-1:123456789012:stack/maskrcnn/1</StackId>"
                  "<StackName>maskrcnn</StackName><StackStatus>" + status + "</StackStatus>" +
                      (reason.empty() ? "" : "<StackStatusReason>" + reason + "</StackStatusReason>") +
                      "<CreationTime>2024-01-02T03:04:05Z</CreationTime><Parameters><member><ParameterKey>Workers"
                      "</ParameterKey><ParameterValue>8</ParameterValue></member></Parameters><Outputs><member>"
                      "<OutputKey>MasterPublicIp</OutputKey><OutputValue>198.51.100.7</OutputValue></member></Outputs>"
                      "<Tags><member><Key>awsdl:cluster</Key><Value>maskrcnn</Value></member></Tags><Capabilities>"
                      "<member>CAPABILITY_IAM</member></Capabilities></member></Stacks>");
}

http::Response answer(std::string body, int status = 200) {
  http::Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

constexpr const char* kValidationError =
    "<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code><Message>Stack with id maskrcnn does not exist"
    "</Message></Error><RequestId>x</RequestId></ErrorResponse>";

TEST(CloudFormationClient, CreateAndUpdateSerializeLikeBotocore) {
  Harness h;
  h.transport->push(200, response("CreateStack", "<StackId>arn:aws:cloudformation:us-east-1:123456789012:stack/maskrcnn/1</StackId>"));
  h.transport->push(200, response("UpdateStack", "<StackId>arn:aws:cloudformation:us-east-1:123456789012:stack/maskrcnn/1</StackId>"));
  cloudformation::CloudFormationClient cfn(h.config);
  cloudformation::CreateStackRequest c;
  c.stack_name = "maskrcnn";
  c.template_body = R"({"Resources":{}})";
  c.parameters = {{"KeyName", "team"}, {"Workers", "8"}};
  c.timeout_minutes = 45;
  c.capabilities = {"CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"};
  c.on_failure = cloudformation::OnFailure::kDelete;
  c.tags = {{"awsdl:cluster", "maskrcnn"}};
  c.client_request_token = "tok-1";
  auto id = cfn.create_stack(c);
  ASSERT_TRUE(id.ok()) << id.error().to_string();
  EXPECT_EQ(*id, "arn:aws:cloudformation:us-east-1:123456789012:stack/maskrcnn/1");
  EXPECT_EQ(h.body(0),
            "Action=CreateStack&Version=2010-05-15&StackName=maskrcnn&TemplateBody=%7B%22Resources%22%3A%7B%7D%7D&"
            "Parameters.member.1.ParameterKey=KeyName&Parameters.member.1.ParameterValue=team&Parameters.member.2."
            "ParameterKey=Workers&Parameters.member.2.ParameterValue=8&TimeoutInMinutes=45&Capabilities.member.1="
            "CAPABILITY_IAM&Capabilities.member.2=CAPABILITY_NAMED_IAM&OnFailure=DELETE&Tags.member.1.Key=awsdl%3A"
            "cluster&Tags.member.1.Value=maskrcnn&ClientRequestToken=tok-1");
  EXPECT_EQ(h.transport->requests()[0].url(), "https://cloudformation.us-east-1.amazonaws.com/");
  cloudformation::UpdateStackRequest u;
  u.stack_name = "maskrcnn";
  u.use_previous_template = true;
  u.parameters = {{"KeyName", "", true}, {"Workers", "4"}};
  u.capabilities = {"CAPABILITY_IAM"};
  u.client_request_token = "tok-2";
  ASSERT_TRUE(cfn.update_stack(u).ok());
  EXPECT_EQ(h.body(1),
            "Action=UpdateStack&Version=2010-05-15&StackName=maskrcnn&UsePreviousTemplate=true&Parameters.member.1."
            "ParameterKey=KeyName&Parameters.member.1.UsePreviousValue=true&Parameters.member.2.ParameterKey=Workers&"
            "Parameters.member.2.ParameterValue=4&Capabilities.member.1=CAPABILITY_IAM&ClientRequestToken=tok-2");
}

TEST(CloudFormationClient, GeneratedTokenSurvivesRetries) {
  Harness h;
  h.transport->push(400, "<ErrorResponse><Error><Code>Throttling</Code><Message>Rate exceeded</Message></Error></ErrorResponse>");
  h.transport->push(200, response("CreateStack", "<StackId>arn:1</StackId>"));
  cloudformation::CloudFormationClient cfn(h.config);
  ASSERT_TRUE(cfn.create_stack({.stack_name = "s1", .template_body = "{}"}).ok());
  std::smatch a, b;
  std::string b0 = h.body(0), b1 = h.body(1);
  ASSERT_TRUE(std::regex_search(b0, a, std::regex("ClientRequestToken=([0-9a-f-]{36})")));
  ASSERT_TRUE(std::regex_search(b1, b, std::regex("ClientRequestToken=([0-9a-f-]{36})")));
  EXPECT_EQ(a[1].str(), b[1].str());
}

TEST(CloudFormationClient, BadInputIsRefusedBeforeAnyCall) {
  Harness h;
  cloudformation::CloudFormationClient cfn(h.config);
  EXPECT_EQ(cfn.create_stack({.stack_name = "1abc", .template_body = "{}"}).error().code, "ValidationError");
  EXPECT_EQ(cfn.create_stack({.stack_name = "has_underscore", .template_body = "{}"}).error().kind,
            ErrorKind::kInvalidArgument);
  EXPECT_EQ(cfn.create_stack({.stack_name = "ok"}).error().kind, ErrorKind::kInvalidArgument);  // no template
  auto big = cfn.create_stack({.stack_name = "ok", .template_body = std::string(51201, ' ')});
  ASSERT_FALSE(big.ok());
  EXPECT_NE(big.error().message.find("template_url"), std::string::npos);
  EXPECT_EQ(cfn.validate_template("{}", "https://b.s3.amazonaws.com/t.json").error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(h.transport->request_count(), 0u);
}

TEST(CloudFormationClient, ReadsStacksEventsResourcesTemplates) {
  Harness h;
  h.transport->push(200, stack_xml("CREATE_COMPLETE"));
  h.transport->push(200, response("DescribeStackEvents",
                                  "<StackEvents><member><EventId>e2</EventId><LogicalResourceId>Workers</LogicalResourceId>"
                                  "<ResourceType>AWS::AutoScaling::AutoScalingGroup</ResourceType><ResourceStatus>"
                                  "CREATE_COMPLETE</ResourceStatus><Timestamp>2024-01-02T03:05:00Z</Timestamp></member>"
                                  "</StackEvents><NextToken>n1</NextToken>"));
  h.transport->push(200, response("DescribeStackEvents",
                                  "<StackEvents><member><EventId>e1</EventId><LogicalResourceId>maskrcnn</LogicalResourceId>"
                                  "<ResourceStatus>CREATE_IN_PROGRESS</ResourceStatus><ResourceStatusReason>User "
                                  "Initiated</ResourceStatusReason></member></StackEvents>"));
  h.transport->push(200, response("DescribeStackResources",
                                  "<StackResources><member><LogicalResourceId>Vpc</LogicalResourceId><PhysicalResourceId>"
                                  "vpc-1</PhysicalResourceId><ResourceType>AWS::EC2::VPC</ResourceType><ResourceStatus>"
                                  "CREATE_COMPLETE</ResourceStatus></member></StackResources>"));
  h.transport->push(200, response("GetTemplate", "<TemplateBody>{&quot;Resources&quot;:{}}</TemplateBody>"));
  h.transport->push(200, response("ValidateTemplate",
                                  "<Description>cluster</Description><Parameters><member><ParameterKey>Workers"
                                  "</ParameterKey></member></Parameters><Capabilities><member>CAPABILITY_IAM</member>"
                                  "</Capabilities><CapabilitiesReason>IAM role</CapabilitiesReason>"));
  cloudformation::CloudFormationClient cfn(h.config);
  auto s = cfn.describe_stack("maskrcnn");
  ASSERT_TRUE(s.ok()) << s.error().to_string();
  EXPECT_EQ(s->status, "CREATE_COMPLETE");
  EXPECT_EQ(s->output("MasterPublicIp"), "198.51.100.7");
  EXPECT_EQ(s->parameters.at(0).value, "8");
  EXPECT_EQ(s->tags.at(0).key, "awsdl:cluster");
  EXPECT_EQ(s->capabilities, std::vector<std::string>{"CAPABILITY_IAM"});
  auto ev = cfn.describe_stack_events("maskrcnn");
  ASSERT_TRUE(ev.ok());
  ASSERT_EQ(ev->size(), 2u);
  EXPECT_EQ((*ev)[0].logical_id, "Workers");
  EXPECT_EQ((*ev)[1].status_reason, "User Initiated");
  EXPECT_EQ(h.body(2), "Action=DescribeStackEvents&Version=2010-05-15&StackName=maskrcnn&NextToken=n1");
  auto res = cfn.describe_stack_resources("maskrcnn");
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->at(0).physical_id, "vpc-1");
  auto tpl = cfn.get_template("maskrcnn");
  ASSERT_TRUE(tpl.ok());
  EXPECT_EQ(*tpl, R"({"Resources":{}})");
  auto v = cfn.validate_template("{}");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->parameter_keys, std::vector<std::string>{"Workers"});
  EXPECT_EQ(v->capabilities_reason, "IAM role");
}

TEST(CloudFormationWaiters, CreateCompleteAfterProgress) {
  Harness h;
  h.transport->push(200, stack_xml("CREATE_IN_PROGRESS"));
  h.transport->push(200, stack_xml("CREATE_IN_PROGRESS"));
  h.transport->push(200, stack_xml("CREATE_COMPLETE"));
  int reports = 0;
  auto s = cloudformation::CloudFormationClient(h.config).wait_until_create_complete(
      "maskrcnn", {.delay = 1000ms, .on_progress = [&](const WaitProgress& p) {
                     ++reports;
                     EXPECT_EQ(p.max_attempts, 120);  // waiters-2.json
                   }});
  ASSERT_TRUE(s.ok()) << s.error().to_string();
  EXPECT_EQ(s->status, "CREATE_COMPLETE");
  EXPECT_EQ(reports, 3);
  EXPECT_EQ(h.clock->total_slept(), 2500ms);
}

TEST(CloudFormationWaiters, FailureNamesTheFailedResourcesFromEvents) {
  Harness h;
  h.transport->push(200, stack_xml("ROLLBACK_IN_PROGRESS"));
  h.transport->push(200, stack_xml("ROLLBACK_COMPLETE", "The following resource(s) failed to create: [Workers]."));
  h.transport->push(200, response("DescribeStackEvents",
                                  "<StackEvents><member><LogicalResourceId>maskrcnn</LogicalResourceId><ResourceType>"
                                  "AWS::CloudFormation::Stack</ResourceType><ResourceStatus>ROLLBACK_COMPLETE"
                                  "</ResourceStatus></member><member><LogicalResourceId>Workers</LogicalResourceId>"
                                  "<ResourceType>AWS::AutoScaling::AutoScalingGroup</ResourceType><ResourceStatus>"
                                  "CREATE_FAILED</ResourceStatus><ResourceStatusReason>We currently do not have "
                                  "sufficient p3.16xlarge capacity</ResourceStatusReason></member></StackEvents>"));
  auto s = cloudformation::CloudFormationClient(h.config).wait_until_create_complete("maskrcnn", {.delay = 10ms});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "WaiterFailure");
  EXPECT_NE(s.error().message.find("ROLLBACK_COMPLETE"), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("Workers (AWS::AutoScaling::AutoScalingGroup) CREATE_FAILED: We currently do not "
                                   "have sufficient p3.16xlarge capacity"),
            std::string::npos)
      << s.error().message;
}

TEST(CloudFormationWaiters, DeleteTreatsAMissingStackAsDoneAndCreateAsFailure) {
  Harness h;
  h.transport->push(200, stack_xml("DELETE_IN_PROGRESS"));
  h.transport->push(400, kValidationError);
  EXPECT_TRUE(cloudformation::CloudFormationClient(h.config).wait_until_delete_complete("maskrcnn", {.delay = 10ms}).ok());
  Harness c;
  c.transport->push(400, kValidationError);
  auto s = cloudformation::CloudFormationClient(c.config).wait_until_create_complete("maskrcnn", {.delay = 10ms});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "WaiterFailure");
  Harness u;
  u.transport->set_handler([](const http::Request&) -> Result<http::Response> {
    return answer(stack_xml("UPDATE_IN_PROGRESS"));
  });
  auto t = cloudformation::CloudFormationClient(u.config).wait_until_update_complete(
      "maskrcnn", {.delay = 10ms, .max_attempts = 4});
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().code, "WaiterTimeout");
  EXPECT_EQ(u.transport->request_count(), 4u);
}

TEST(CloudFormationClient, StackEventsStopAtTheLimitWithoutAskingForTheNextPage) {
  Harness h;
  h.transport->push(200, response("DescribeStackEvents",
                                  "<StackEvents><member><EventId>e3</EventId></member><member><EventId>e2</EventId>"
                                  "</member></StackEvents><NextToken>n1</NextToken>"));
  h.transport->push(200, response("DescribeStackEvents",
                                  "<StackEvents><member><EventId>e1</EventId></member></StackEvents>"));
  cloudformation::CloudFormationClient cfn(h.config);
  auto ev = cfn.describe_stack_events("maskrcnn", 1);
  ASSERT_TRUE(ev.ok()) << ev.error().to_string();
  ASSERT_EQ(ev->size(), 1u);
  EXPECT_EQ((*ev)[0].event_id, "e3");
  EXPECT_EQ(h.transport->request_count(), 1u);
}

}  // namespace
}  // namespace awsdl
