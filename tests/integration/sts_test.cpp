// StsClient against the sandbox, which checks every signature with botocore and every
// request against the STS model.
#include "awsdl/sts/sts.hpp"

#include <gtest/gtest.h>

#include <chrono>

#include "support/sandbox.hpp"

namespace awsdl {
namespace {

using testsupport::Sandbox;
using namespace std::chrono_literals;

class StsTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(sandbox.ok()) << sandbox.error(); }
  Sandbox sandbox;
};

TEST_F(StsTest, GetCallerIdentity) {
  sts::StsClient client(sandbox.config());
  auto id = client.get_caller_identity();
  ASSERT_TRUE(id.ok()) << id.error().to_string();
  EXPECT_EQ(id->account, Sandbox::kAccount);
  EXPECT_EQ(id->arn, "arn:aws:iam::123456789012:user/example");
  EXPECT_FALSE(id->user_id.empty());
}

TEST_F(StsTest, AssumeRoleAndUseTheCredentials) {
  sts::StsClient client(sandbox.config());
  sts::AssumeRoleRequest req;
  req.role_arn = "arn:aws:iam::123456789012:role/awsdl-test";
  req.role_session_name = "sts-test";
  req.duration = 900s;
  req.external_id = "ext-123";
  req.policy = R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]})";
  auto before = std::chrono::system_clock::now();
  auto role = client.assume_role(req);
  ASSERT_TRUE(role.ok()) << role.error().to_string();
  EXPECT_EQ(role->assumed_role_arn, "arn:aws:sts::123456789012:assumed-role/awsdl-test/sts-test");
  EXPECT_NE(role->assumed_role_id.find(":sts-test"), std::string::npos);
  const auto& c = role->credentials;
  EXPECT_EQ(c.access_key_id.rfind("ASIA", 0), 0u) << c.access_key_id;
  EXPECT_FALSE(c.secret_access_key.empty());
  EXPECT_FALSE(c.session_token.empty());
  ASSERT_TRUE(c.expiration.has_value());
  EXPECT_GT(*c.expiration, before + 900s - 60s);
  EXPECT_LT(*c.expiration, before + 900s + 60s);
  EXPECT_FALSE(c.expired(std::chrono::system_clock::now()));

  // The temporary credentials work, session token included.
  sts::StsClient as_role(sandbox.config(c.access_key_id, c.secret_access_key, c.session_token));
  auto id = as_role.get_caller_identity();
  ASSERT_TRUE(id.ok()) << id.error().to_string();
  EXPECT_EQ(id->arn, role->assumed_role_arn);

  // Without the session token they do not.
  sts::StsClient no_token(sandbox.config(c.access_key_id, c.secret_access_key));
  auto denied = no_token.get_caller_identity();
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.error().code, "InvalidClientTokenId");
  EXPECT_EQ(denied.error().http_status, 403);
}

TEST_F(StsTest, AssumeRoleWithWebIdentityIsUnsigned) {
  Config cfg = sandbox.config();
  cfg.credentials = nullptr;  // none needed: the call goes out unsigned
  sts::StsClient client(cfg);
  sts::AssumeRoleWithWebIdentityRequest req;
  req.role_arn = "arn:aws:iam::123456789012:role/web";
  req.role_session_name = "web-session";
  req.web_identity_token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ0ZXN0In0.c2lnbmF0dXJl";
  auto role = client.assume_role_with_web_identity(req);
  ASSERT_TRUE(role.ok()) << role.error().to_string();
  EXPECT_EQ(role->assumed_role_arn, "arn:aws:sts::123456789012:assumed-role/web/web-session");
  EXPECT_EQ(role->credentials.access_key_id.rfind("ASIA", 0), 0u);
  ASSERT_TRUE(role->credentials.expiration.has_value());

  auto log = sandbox.requests();
  ASSERT_TRUE(log.ok()) << log.error().to_string();
  bool seen = false;
  for (const auto& e : *log)
    if (e.operation == "AssumeRoleWithWebIdentity" && e.status == 200 && e.access_key_id.empty()) seen = true;
  EXPECT_TRUE(seen) << "an unsigned AssumeRoleWithWebIdentity is in the sandbox's log";

  req.web_identity_token = "invalid-token-for-the-test";
  auto bad = client.assume_role_with_web_identity(req);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, "InvalidIdentityToken");
  EXPECT_EQ(bad.error().kind, ErrorKind::kService);
  EXPECT_FALSE(bad.error().request_id.empty());
}

TEST_F(StsTest, WrongSecretIsSignatureDoesNotMatchWithoutTheSecret) {
  const std::string wrong = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYWRONGKEY1";
  sts::StsClient client(sandbox.config(Sandbox::kAccessKeyId, wrong));
  auto id = client.get_caller_identity();
  ASSERT_FALSE(id.ok());
  const Error& e = id.error();
  EXPECT_EQ(e.code, "SignatureDoesNotMatch");
  EXPECT_EQ(e.http_status, 403);
  EXPECT_EQ(e.kind, ErrorKind::kService);
  EXPECT_FALSE(e.retryable);
  EXPECT_FALSE(e.request_id.empty());
  for (const std::string& text : {e.message, e.to_string()}) {
    EXPECT_EQ(text.find(wrong), std::string::npos) << text;
    EXPECT_EQ(text.find(Sandbox::kSecretAccessKey), std::string::npos) << text;
    EXPECT_EQ(text.find("Signature="), std::string::npos) << text;
  }
}

TEST_F(StsTest, UnknownKeyIsInvalidClientTokenId) {
  sts::StsClient client(sandbox.config("AKIAUNKNOWNKEY000000", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYUNKNOWNKEY"));
  auto id = client.get_caller_identity();
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.error().code, "InvalidClientTokenId");
}

TEST_F(StsTest, BadInputFailsBeforeAnyCall) {
  sts::StsClient client(sandbox.config());
  sts::AssumeRoleRequest req;
  req.role_arn = "not-an-arn";
  req.role_session_name = "s";
  auto r = client.assume_role(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kInvalidArgument);

  Config bad_region = sandbox.config();
  bad_region.region = "us-east-1'; DROP";
  auto id = sts::StsClient(bad_region).get_caller_identity();
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(id.error().code, "InvalidRegion");
}

TEST_F(StsTest, RoleTheSandboxRejectsIsAServiceError) {
  sts::StsClient client(sandbox.config());
  sts::AssumeRoleRequest req;
  req.role_arn = "arn:aws:iam::123456789012:role/long";
  req.role_session_name = "too-long";
  req.duration = 43200s;  // valid for STS, beyond the role's (default) 1-hour maximum session
  auto r = client.assume_role(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "ValidationError");
  EXPECT_EQ(r.error().http_status, 400);
  EXPECT_FALSE(r.error().retryable);
  EXPECT_NE(r.error().message.find("MaxSessionDuration"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace awsdl
