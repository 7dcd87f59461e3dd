// IMDSv2 end to end over the curl transport, against a fake metadata service on loopback.

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "awsdl/auth/credentials.hpp"
#include "awsdl/config.hpp"
#include "awsdl/http/transport.hpp"
#include "support/loopback_port.hpp"
#include "support/scoped_env.hpp"
#include "support/test_server.hpp"

namespace {

using namespace std::chrono_literals;
using awsdl::ErrorKind;
using awsdl::Runtime;
using awsdl::testsupport::ScopedEnv;
using awsdl::testsupport::TempDir;
using awsdl::testsupport::TestServer;

TestServer start_imds(std::vector<std::string> args = {}) {
  args.push_back("--watch-stdin");
  return TestServer(TestServer::python(AWSDL_SOURCE_DIR "/tests/support/fake_imds.py", std::move(args)));
}

class ImdsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir.ok());
    env.clear_prefix("AWS_");
    env.set("HOME", dir.path().string());
    transport = awsdl::http::make_curl_transport();
  }
  // What the fake server saw.
  rapidjson::Document log(const TestServer& server) {
    awsdl::http::Request req;
    req.scheme = "http";
    req.host = server.host_port();
    req.path = "/_log";
    auto r = transport->send(req, {});
    rapidjson::Document doc;
    if (r.ok()) doc.Parse(r->body.c_str());
    return doc;
  }

  ScopedEnv env;
  TempDir dir;
  std::shared_ptr<awsdl::http::Transport> transport;
};

TEST_F(ImdsTest, CredentialsEndToEndWithTheTokenHeader) {
  auto server = start_imds({"--role", "trainer-role"});
  ASSERT_TRUE(server.ok()) << server.error();
  env.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", server.url("/"));

  auto c = awsdl::auth::imds_provider({}, transport, Runtime::system())->get();
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->access_key_id, "AKIAIOSFODNN7EXAMPLE");
  EXPECT_EQ(c->secret_access_key, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
  EXPECT_EQ(c->session_token, "IQoJb3JpZ2luX2VjEFAKEIMDSSESSIONTOKEN");
  EXPECT_EQ(c->source, "imds:trainer-role");
  ASSERT_TRUE(c->expiration);
  EXPECT_GT(*c->expiration, std::chrono::system_clock::now() + 5h);

  auto seen = log(server);
  ASSERT_TRUE(seen.IsArray());
  ASSERT_EQ(seen.Size(), 3u);
  EXPECT_STREQ(seen[0]["method"].GetString(), "PUT");
  EXPECT_STREQ(seen[0]["path"].GetString(), "/latest/api/token");
  ASSERT_TRUE(seen[0]["ttl"].IsString());
  EXPECT_STREQ(seen[0]["ttl"].GetString(), "21600");
  EXPECT_STREQ(seen[1]["path"].GetString(), "/latest/meta-data/iam/security-credentials/");
  EXPECT_TRUE(seen[1]["token_ok"].GetBool()) << "the GET carried the session token";
  EXPECT_STREQ(seen[2]["path"].GetString(), "/latest/meta-data/iam/security-credentials/trainer-role");
  EXPECT_TRUE(seen[2]["token_ok"].GetBool());
}

TEST_F(ImdsTest, TheServerRejectsAGetWithoutToken) {
  // Guards the test above: the fake really checks the header.
  auto server = start_imds();
  ASSERT_TRUE(server.ok()) << server.error();
  awsdl::http::Request req;
  req.scheme = "http";
  req.host = server.host_port();
  req.path = "/latest/meta-data/iam/security-credentials/";
  auto r = transport->send(req, {});
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->status, 401);
}

TEST_F(ImdsTest, RegionAndNoRole) {
  auto server = start_imds({"--no-role", "--region", "ap-northeast-3"});
  ASSERT_TRUE(server.ok()) << server.error();
  awsdl::auth::ImdsOptions o;
  o.endpoint = server.url("/");
  auto region = awsdl::auth::imds_region(o, transport);
  ASSERT_TRUE(region.ok()) << region.error().to_string();
  EXPECT_EQ(*region, "ap-northeast-3");

  auto c = awsdl::auth::imds_provider(o, transport, Runtime::system())->get();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().kind, ErrorKind::kNotFound);
  EXPECT_NE(c.error().message.find("no IAM role"), std::string::npos);

  // Config::from_environment falls back to it when nothing else names a region.
  env.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", server.url("/"));
  awsdl::Config::Overrides ov;
  ov.transport = transport;
  auto cfg = awsdl::Config::from_environment(ov);
  ASSERT_TRUE(cfg.ok()) << cfg.error().to_string();
  EXPECT_EQ(cfg->region, "ap-northeast-3");
}

TEST_F(ImdsTest, DefaultChainFallsThroughToImds) {
  auto server = start_imds({"--role", "node-role"});
  ASSERT_TRUE(server.ok()) << server.error();
  env.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", server.url("/"));
  awsdl::auth::ProfileOptions none{"", dir.file("no-credentials"), dir.file("no-config")};
  auto c = awsdl::auth::default_chain(none, transport, Runtime::system())->get();
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->source, "imds:node-role");
}

TEST_F(ImdsTest, ClosedPortGivesUpInUnderASecond) {
  int port = awsdl::testsupport::free_loopback_port();
  ASSERT_GT(port, 0);
  env.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:" + std::to_string(port));
  auto start = std::chrono::steady_clock::now();
  awsdl::auth::ProfileOptions none{"", dir.file("no-credentials"), dir.file("no-config")};
  auto c = awsdl::auth::default_chain(none, transport, Runtime::system())->get();
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(c.error().code, "NoCredentials");
  EXPECT_NE(c.error().message.find("IMDS"), std::string::npos) << c.error().message;
  EXPECT_LT(took, 1s);
}

TEST_F(ImdsTest, SilentServerTimesOutInUnderASecond) {
  // Accepts the connection but answers only after 3 s: the 500 ms attempt timeout must cut it.
  auto server = start_imds({"--delay-ms", "3000"});
  ASSERT_TRUE(server.ok()) << server.error();
  awsdl::auth::ImdsOptions o;
  o.endpoint = server.url("/");
  auto start = std::chrono::steady_clock::now();
  auto c = awsdl::auth::imds_provider(o, transport, Runtime::system())->get();
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(c.error().code, "ImdsUnavailable");
  EXPECT_LT(took, 1s);
}

}  // namespace
