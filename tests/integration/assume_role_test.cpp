// Roles through the sandbox's STS: profiles with role_arn + source_profile (also chained),
// web identity from the environment and from a profile, and Config::from_environment using
// an assumed role for a real call.

#include <unistd.h>

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "awsdl/auth/credentials.hpp"
#include "awsdl/config.hpp"
#include "awsdl/sts/sts.hpp"
#include "support/sandbox.hpp"
#include "support/scoped_env.hpp"

namespace {

using awsdl::ErrorKind;
using awsdl::Runtime;
using awsdl::testsupport::Sandbox;
using awsdl::testsupport::ScopedEnv;
using awsdl::testsupport::TempDir;

// A JWT-shaped token (header.payload.signature) whose payload is {"sub":"pod-7","iss":"oidc.test"}.
constexpr const char* kJwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJwb2QtNyIsImlzcyI6Im9pZGMudGVzdCJ9.c2lnbmF0dXJl";

class AssumeRoleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(sandbox.ok()) << sandbox.error();
    ASSERT_TRUE(dir.ok());
    env.clear_prefix("AWS_");
    env.set("HOME", dir.path().string());
    env.set("AWS_EC2_METADATA_DISABLED", "true");
    // The providers' STS calls go where the environment says: the sandbox, never AWS.
    env.set("AWS_ENDPOINT_URL", sandbox.endpoint());
    transport = awsdl::http::make_curl_transport();
  }

  awsdl::auth::ProfileOptions files(const std::string& config, const std::string& credentials) {
    awsdl::auth::ProfileOptions o;
    o.config_file = dir.write("config", config);
    o.credentials_file = dir.write("credentials", credentials);
    return o;
  }
  static std::string base_profile() {
    return std::string("[base]\naws_access_key_id = ") + Sandbox::kAccessKeyId +
           "\naws_secret_access_key = " + Sandbox::kSecretAccessKey + "\n";
  }
  // Who the sandbox thinks these credentials are.
  awsdl::Result<awsdl::sts::CallerIdentity> whoami(const awsdl::auth::Credentials& c) {
    auto cfg = sandbox.config(c.access_key_id, c.secret_access_key, c.session_token);
    return awsdl::sts::StsClient(cfg).get_caller_identity();
  }

  Sandbox sandbox;
  ScopedEnv env;
  TempDir dir;
  std::shared_ptr<awsdl::http::Transport> transport;
};

TEST_F(AssumeRoleTest, SourceProfile) {
  auto opts = files("[profile dev]\nrole_arn = arn:aws:iam::123456789012:role/dev\nsource_profile = base\n"
                    "role_session_name = it-session\n",
                    base_profile());
  opts.profile = "dev";
  auto c = awsdl::auth::profile_provider(opts, transport, Runtime::system())->get();
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->source, "profile:dev");
  EXPECT_FALSE(c->session_token.empty());
  ASSERT_TRUE(c->expiration);
  EXPECT_GT(*c->expiration, std::chrono::system_clock::now() + std::chrono::minutes(50));

  auto id = whoami(*c);
  ASSERT_TRUE(id.ok()) << id.error().to_string();
  EXPECT_EQ(id->arn, "arn:aws:sts::123456789012:assumed-role/dev/it-session");
}

TEST_F(AssumeRoleTest, ChainedRoles) {
  auto opts = files("[profile top]\nrole_arn = arn:aws:iam::123456789012:role/top\nsource_profile = middle\n"
                    "role_session_name = top-session\n"
                    "[profile middle]\nrole_arn = arn:aws:iam::123456789012:role/middle\nsource_profile = base\n",
                    base_profile());
  opts.profile = "top";
  auto c = awsdl::auth::profile_provider(opts, transport, Runtime::system())->get();
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  auto id = whoami(*c);
  ASSERT_TRUE(id.ok()) << id.error().to_string();
  EXPECT_EQ(id->arn, "arn:aws:sts::123456789012:assumed-role/top/top-session");
}

TEST_F(AssumeRoleTest, UnknownSourceKeyIsAServiceErrorWithContext) {
  auto opts = files("[profile dev]\nrole_arn = arn:aws:iam::123456789012:role/dev\nsource_profile = stranger\n",
                    "[stranger]\naws_access_key_id = AKIDUNKNOWNEXAMPLE00\n"
                    "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\n");
  opts.profile = "dev";
  auto c = awsdl::auth::profile_provider(opts, transport, Runtime::system())->get();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().kind, ErrorKind::kService);
  EXPECT_EQ(c.error().code, "InvalidClientTokenId");
  EXPECT_NE(c.error().message.find("profile 'dev': assuming role"), std::string::npos) << c.error().message;
  EXPECT_EQ(c.error().to_string().find("wJalrXUtnFEMI"), std::string::npos);
}

TEST_F(AssumeRoleTest, WebIdentityFromEnvironment) {
  env.set("AWS_WEB_IDENTITY_TOKEN_FILE", dir.write("token", kJwt));
  env.set("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/eks-pod");
  env.set("AWS_ROLE_SESSION_NAME", "pod-7-session");
  auto c = awsdl::auth::web_identity_provider(transport, Runtime::system())->get();
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->source, "web identity");
  auto id = whoami(*c);
  ASSERT_TRUE(id.ok()) << id.error().to_string();
  EXPECT_EQ(id->arn, "arn:aws:sts::123456789012:assumed-role/eks-pod/pod-7-session");

  // The default chain finds it too (before the shared files).
  auto chained = awsdl::auth::default_chain({"", dir.file("none"), dir.file("none2")}, transport, Runtime::system());
  auto d = chained->get();
  ASSERT_TRUE(d.ok()) << d.error().to_string();
  EXPECT_EQ(d->source, "web identity");
}

TEST_F(AssumeRoleTest, WebIdentityRejectedTokenIsClear) {
  env.set("AWS_WEB_IDENTITY_TOKEN_FILE", dir.write("token", "invalid-token-for-the-sandbox"));
  env.set("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/eks-pod");
  auto c = awsdl::auth::web_identity_provider(transport, Runtime::system())->get();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, "InvalidIdentityToken");
  EXPECT_NE(c.error().message.find("web identity"), std::string::npos);
  EXPECT_EQ(c.error().to_string().find("invalid-token-for-the-sandbox"), std::string::npos)
      << "the token must not appear in errors";
}

TEST_F(AssumeRoleTest, WebIdentityFromProfile) {
  auto token = dir.write("token", kJwt);
  auto opts = files("[profile pod]\nrole_arn = arn:aws:iam::123456789012:role/pod\nweb_identity_token_file = " +
                        token + "\nrole_session_name = from-profile\n",
                    "");
  opts.profile = "pod";
  auto c = awsdl::auth::profile_provider(opts, transport, Runtime::system())->get();
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  auto id = whoami(*c);
  ASSERT_TRUE(id.ok()) << id.error().to_string();
  EXPECT_EQ(id->arn, "arn:aws:sts::123456789012:assumed-role/pod/from-profile");
}

// AssumeRole calls the sandbox logged after `since` for this session name (the sandbox is
// shared with other tests running at the same time, so entries are picked by session name).
int assume_role_calls(const Sandbox& sandbox, std::int64_t since, const std::string& session) {
  auto body = sandbox.control("GET", "/_sandbox/requests?operation=AssumeRole&since=" + std::to_string(since), "");
  if (!body) return -1;
  rapidjson::Document doc;
  doc.Parse(body->c_str());
  if (!doc.IsObject() || !doc.HasMember("requests") || !doc["requests"].IsArray()) return -1;
  int n = 0;
  for (const auto& e : doc["requests"].GetArray()) {
    if (!e.IsObject() || !e.HasMember("params") || !e["params"].IsObject()) continue;
    const auto& p = e["params"];
    if (p.HasMember("RoleSessionName") && p["RoleSessionName"].IsString() && session == p["RoleSessionName"].GetString())
      ++n;
  }
  return n;
}

TEST_F(AssumeRoleTest, ConfigFromEnvironmentWithARoleProfile) {
  const std::string session = "cfg-session-" + std::to_string(::getpid());
  auto opts = files("[profile dev]\nregion = us-west-2\nrole_arn = arn:aws:iam::123456789012:role/dev\n"
                    "source_profile = base\nrole_session_name = " + session + "\n",
                    base_profile());
  env.set("AWS_PROFILE", "dev");
  awsdl::Config::Overrides o;
  o.config_file = opts.config_file;
  o.credentials_file = opts.credentials_file;
  o.transport = transport;
  auto before = sandbox.requests();
  ASSERT_TRUE(before.ok()) << before.error().to_string();
  std::int64_t last = before->empty() ? 0 : before->back().id;

  auto cfg = awsdl::Config::from_environment(o);
  ASSERT_TRUE(cfg.ok()) << cfg.error().to_string();
  EXPECT_EQ(cfg->region, "us-west-2");
  EXPECT_EQ(cfg->endpoint_url, sandbox.endpoint());
  EXPECT_EQ(assume_role_calls(sandbox, last, session), 0) << "constructing a Config assumed the role";

  awsdl::sts::StsClient sts(*cfg);
  for (int i = 0; i < 2; ++i) {
    auto id = sts.get_caller_identity();
    ASSERT_TRUE(id.ok()) << id.error().to_string();
    EXPECT_EQ(id->arn, "arn:aws:sts::123456789012:assumed-role/dev/" + session);
  }
  EXPECT_EQ(assume_role_calls(sandbox, last, session), 1) << "the role's credentials are cached between calls";
}

}  // namespace
