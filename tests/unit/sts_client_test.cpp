// StsClient on a fake transport: what goes on the wire and how answers are read.
#include "awsdl/sts/sts.hpp"

#include <gtest/gtest.h>

#include <chrono>

#include "awsdl/testing/fake_transport.hpp"
#include "protocol/query_serializer.hpp"

namespace awsdl {
namespace {

using namespace std::chrono;

constexpr const char* kAssumeRoleBody = R"(<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/demo/s1</Arn><AssumedRoleId>AROA3XFRBF535PLBIFPI4:s1</AssumedRoleId></AssumedRoleUser>
    <Credentials>
      <AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId>
      <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>
      <SessionToken>AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI</SessionToken>
      <Expiration>2023-11-15T00:13:20Z</Expiration>
    </Credentials>
    <PackedPolicySize>6</PackedPolicySize>
  </AssumeRoleResult>
  <ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ResponseMetadata>
</AssumeRoleResponse>)";

struct Harness {
  std::shared_ptr<testing::FakeTransport> transport = std::make_shared<testing::FakeTransport>();
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>();
  Config config;
  Harness() {
    config.region = "eu-west-1";
    config.transport = transport;
    config.credentials = auth::static_provider(
        {.access_key_id = "AKIDEXAMPLE", .secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"});
    config.runtime = Runtime{clock, clock, std::make_shared<FixedRandom>(0.5)};
  }
};

TEST(StsClient, GetCallerIdentity) {
  Harness h;
  h.transport->push(200,
                    "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
                    "<GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/Alice</Arn>"
                    "<UserId>AKIAI44QH8DHBEXAMPLE</UserId><Account>123456789012</Account></GetCallerIdentityResult>"
                    "<ResponseMetadata><RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId></ResponseMetadata>"
                    "</GetCallerIdentityResponse>");
  sts::StsClient sts(h.config);
  auto id = sts.get_caller_identity();
  ASSERT_TRUE(id.ok()) << id.error().to_string();
  EXPECT_EQ(id->account, "123456789012");
  EXPECT_EQ(id->arn, "arn:aws:iam::123456789012:user/Alice");
  EXPECT_EQ(id->user_id, "AKIAI44QH8DHBEXAMPLE");

  auto reqs = h.transport->requests();
  ASSERT_EQ(reqs.size(), 1u);
  const auto& r = reqs[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url(), "https://sts.eu-west-1.amazonaws.com/");
  EXPECT_EQ(r.body, "Action=GetCallerIdentity&Version=2011-06-15");
  EXPECT_EQ(r.headers.get("Content-Type"), "application/x-www-form-urlencoded; charset=utf-8");
  auto auth = r.headers.get("Authorization");
  ASSERT_TRUE(auth.has_value());
  EXPECT_NE(auth->find("Credential=AKIDEXAMPLE/20231114/eu-west-1/sts/aws4_request"), std::string::npos) << *auth;
}

TEST(StsClient, AssumeRole) {
  Harness h;
  h.transport->push(200, kAssumeRoleBody);
  sts::StsClient sts(h.config);
  sts::AssumeRoleRequest req;
  req.role_arn = "arn:aws:iam::123456789012:role/demo";
  req.role_session_name = "s1";
  req.duration = seconds(900);
  req.external_id = "ext";
  auto role = sts.assume_role(req);
  ASSERT_TRUE(role.ok()) << role.error().to_string();
  EXPECT_EQ(role->credentials.access_key_id, "ASIAIOSFODNN7EXAMPLE");
  EXPECT_EQ(role->credentials.secret_access_key, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY");
  EXPECT_EQ(role->credentials.session_token.substr(0, 8), "AQoDYXdz");
  ASSERT_TRUE(role->credentials.expiration.has_value());
  EXPECT_EQ(*role->credentials.expiration, WallTime(seconds(1700000000)) + hours(2));
  EXPECT_EQ(role->credentials.source, "sts:AssumeRole");
  EXPECT_EQ(role->assumed_role_arn, "arn:aws:sts::123456789012:assumed-role/demo/s1");
  EXPECT_EQ(role->assumed_role_id, "AROA3XFRBF535PLBIFPI4:s1");
  // Parameter names as in botocore's sts model; Policy omitted when empty.
  EXPECT_EQ(h.transport->requests()[0].body,
            "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fdemo&"
            "RoleSessionName=s1&DurationSeconds=900&ExternalId=ext");
  // The new secret is masked in anything that gets logged from now on.
  EXPECT_EQ(redact("x wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY y").find("zEXAMPLEKEY"), std::string::npos);
}

TEST(StsClient, AssumeRoleWithWebIdentityIsSentUnsigned) {
  Harness h;
  h.config.credentials = nullptr;
  std::string body = kAssumeRoleBody;
  for (std::string from : {"AssumeRoleResponse", "AssumeRoleResult"}) {
    std::string to = from;
    to.insert(10, "WithWebIdentity");
    for (auto pos = body.find(from); pos != std::string::npos; pos = body.find(from, pos + to.size()))
      body.replace(pos, from.size(), to);
  }
  h.transport->push(200, body);
  sts::StsClient sts(h.config);
  sts::AssumeRoleWithWebIdentityRequest req{"arn:aws:iam::123456789012:role/web", "web", "eyJ.token.sig", seconds(3600)};
  auto role = sts.assume_role_with_web_identity(req);
  ASSERT_TRUE(role.ok()) << role.error().to_string();
  EXPECT_EQ(role->credentials.access_key_id, "ASIAIOSFODNN7EXAMPLE");
  auto r = h.transport->requests().at(0);
  EXPECT_FALSE(r.headers.has("Authorization"));
  EXPECT_FALSE(r.headers.has("X-Amz-Security-Token"));
  EXPECT_EQ(r.body,
            "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fweb&"
            "RoleSessionName=web&WebIdentityToken=eyJ.token.sig&DurationSeconds=3600");
}

TEST(StsClient, ValidatesBeforeCalling) {
  Harness h;
  sts::StsClient sts(h.config);
  auto check = [&](sts::AssumeRoleRequest req) {
    auto r = sts.assume_role(req);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::kInvalidArgument);
  };
  check({"", "s1"});
  check({"arn:aws:iam::123456789012:role/demo", ""});
  check({"arn:aws:iam::123456789012:role/demo", "bad name"});
  check({"arn:aws:iam::123456789012:role/demo", "s1", seconds(60)});
  check({"arn:aws:iam::123456789012:role/demo", "s1", seconds(50000)});
  auto web = sts.assume_role_with_web_identity({"arn:aws:iam::123456789012:role/web", "web", "", seconds(3600)});
  ASSERT_FALSE(web.ok());
  EXPECT_EQ(web.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(h.transport->request_count(), 0u);
}

TEST(StsClient, IncompleteAnswersAreParseErrors) {
  Harness h;
  h.transport->push(200, "<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>a</Arn></GetCallerIdentityResult>"
                         "</GetCallerIdentityResponse>");
  sts::StsClient sts(h.config);
  auto id = sts.get_caller_identity();
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.error().kind, ErrorKind::kParse);

  std::string bad_time = kAssumeRoleBody;
  bad_time.replace(bad_time.find("2023-11-15T00:13:20Z"), 20, "tomorrow");
  h.transport->push(200, bad_time);
  auto role = sts.assume_role({"arn:aws:iam::123456789012:role/demo", "s1"});
  ASSERT_FALSE(role.ok());
  EXPECT_EQ(role.error().kind, ErrorKind::kParse);
  EXPECT_NE(role.error().message.find("tomorrow"), std::string::npos);
}

TEST(StsClient, ServiceErrorsCarryCodeStatusAndRequestId) {
  Harness h;
  h.transport->push(403,
                    "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type>"
                    "<Code>AccessDenied</Code><Message>User is not authorized to perform: sts:AssumeRole</Message>"
                    "</Error><RequestId>rid-403</RequestId></ErrorResponse>");
  sts::StsClient sts(h.config);
  auto role = sts.assume_role({"arn:aws:iam::123456789012:role/demo", "s1"});
  ASSERT_FALSE(role.ok());
  EXPECT_EQ(role.error().code, "AccessDenied");
  EXPECT_EQ(role.error().http_status, 403);
  EXPECT_EQ(role.error().request_id, "rid-403");
  EXPECT_EQ(h.transport->request_count(), 1u);
}

TEST(StsClient, WorksWithoutARegion) {
  Harness h;
  h.config.region.clear();
  h.transport->push(200, "<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>a</Arn><UserId>u</UserId>"
                         "<Account>1</Account></GetCallerIdentityResult></GetCallerIdentityResponse>");
  ASSERT_TRUE(sts::StsClient(h.config).get_caller_identity().ok());
  EXPECT_EQ(h.transport->requests()[0].host, "sts.us-east-1.amazonaws.com");
}

}  // namespace
}  // namespace awsdl
