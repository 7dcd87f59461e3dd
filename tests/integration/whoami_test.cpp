// The awsdl-whoami example, run as a user would: a clean environment, the sandbox as the
// endpoint, and its output compared with what the AWS CLI prints for the same call.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "support/run_process.hpp"
#include "support/sandbox.hpp"
#include "support/test_server.hpp"

namespace awsdl {
namespace {

using testsupport::ProcessResult;
using testsupport::Sandbox;

const std::string kBinary = std::string(AWSDL_BINARY_DIR) + "/examples/whoami/awsdl-whoami";

class WhoamiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(sandbox.ok()) << sandbox.error();
    ASSERT_TRUE(std::filesystem::exists(kBinary)) << kBinary << " is not built";
    home = std::filesystem::temp_directory_path() /
           ("awsdl-whoami-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(home);
  }
  void TearDown() override { std::filesystem::remove_all(home); }

  // Nothing from the test's own environment leaks in: no ~/.aws, no IMDS, no proxies.
  // The suite's error log hook, so that the program's errors are scanned for secrets too.
  std::map<std::string, std::string> base_env() const {
    std::map<std::string, std::string> env = {{"PATH", "/usr/bin:/bin"},
                                              {"HOME", home.string()},
                                              {"AWS_CONFIG_FILE", (home / "config").string()},
                                              {"AWS_SHARED_CREDENTIALS_FILE", (home / "credentials").string()},
                                              {"AWS_EC2_METADATA_DISABLED", "true"},
                                              {"AWS_PAGER", ""}};
    testsupport::add_error_log_hook(env);
    return env;
  }
  std::map<std::string, std::string> env_with_keys(std::string secret = Sandbox::kSecretAccessKey) const {
    auto env = base_env();
    env["AWS_ACCESS_KEY_ID"] = Sandbox::kAccessKeyId;
    env["AWS_SECRET_ACCESS_KEY"] = std::move(secret);
    env["AWS_REGION"] = Sandbox::kRegion;
    return env;
  }
  ProcessResult whoami(std::vector<std::string> args, const std::map<std::string, std::string>& env) const {
    return testsupport::run_process(kBinary, args, env);
  }

  Sandbox sandbox;
  std::filesystem::path home;
};

TEST_F(WhoamiTest, PrintsTheIdentityAsJson) {
  auto r = whoami({"--endpoint-url", sandbox.endpoint()}, env_with_keys());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  rapidjson::Document doc;
  doc.Parse(r.out.c_str());
  ASSERT_FALSE(doc.HasParseError()) << r.out;
  ASSERT_TRUE(doc.IsObject());
  EXPECT_EQ(doc.MemberCount(), 3u);
  ASSERT_TRUE(doc.HasMember("Account") && doc["Account"].IsString());
  ASSERT_TRUE(doc.HasMember("Arn") && doc["Arn"].IsString());
  ASSERT_TRUE(doc.HasMember("UserId") && doc["UserId"].IsString());
  EXPECT_STREQ(doc["Account"].GetString(), Sandbox::kAccount);
  EXPECT_STREQ(doc["Arn"].GetString(), "arn:aws:iam::123456789012:user/example");
  EXPECT_GT(doc["UserId"].GetStringLength(), 0u);
  EXPECT_TRUE(r.err.empty()) << r.err;
}

TEST_F(WhoamiTest, OutputMatchesTheAwsCli) {
  if (!std::filesystem::exists("/usr/bin/aws")) GTEST_SKIP() << "no /usr/bin/aws (scripts/install-deps installs awscli)";
  for (std::string format : {"json", "text"}) {
    auto ours = whoami({"--endpoint-url", sandbox.endpoint(), "--output", format}, env_with_keys());
    auto cli = testsupport::run_process(
        "/usr/bin/aws", {"sts", "get-caller-identity", "--endpoint-url", sandbox.endpoint(), "--output", format},
        env_with_keys());
    ASSERT_EQ(ours.exit_code, 0) << ours.err;
    ASSERT_EQ(cli.exit_code, 0) << cli.err;
    EXPECT_EQ(ours.out, cli.out) << "--output " << format;
  }
}

TEST_F(WhoamiTest, TextOutputIsOneTabSeparatedLine) {
  auto r = whoami({"--endpoint-url=" + sandbox.endpoint(), "--output=text"}, env_with_keys());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "123456789012\tarn:aws:iam::123456789012:user/example\t" +
                       r.out.substr(r.out.rfind('\t') + 1));
  EXPECT_EQ(r.out.back(), '\n');
}

TEST_F(WhoamiTest, HonoursTheStandardEnvironment) {
  auto env = env_with_keys();
  env["AWS_ENDPOINT_URL"] = sandbox.endpoint();
  env.erase("AWS_REGION");
  env["AWS_DEFAULT_REGION"] = "eu-west-1";
  auto r = whoami({}, env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"Account\": \"123456789012\""), std::string::npos) << r.out;
}

TEST_F(WhoamiTest, HonoursProfileAndRegionFlags) {
  std::ofstream(home / "credentials") << "[dev]\naws_access_key_id = " << Sandbox::kOtherAccessKeyId
                                      << "\naws_secret_access_key = " << Sandbox::kOtherSecretAccessKey << "\n";
  std::ofstream(home / "config") << "[profile dev]\nregion = us-west-2\n";
  auto env = base_env();
  auto r = whoami({"--profile", "dev", "--region", "ap-southeast-2", "--endpoint-url", sandbox.endpoint()}, env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("arn:aws:iam::123456789012:"), std::string::npos) << r.out;

  // The request was signed with the profile's key for the flag's region.
  auto log = sandbox.requests();
  ASSERT_TRUE(log.ok());
  bool seen = false;
  for (const auto& e : *log)
    if (e.access_key_id == Sandbox::kOtherAccessKeyId && e.operation == "GetCallerIdentity" && e.status == 200) seen = true;
  EXPECT_TRUE(seen);
}

TEST_F(WhoamiTest, BadFlagIsAUsageError) {
  auto r = whoami({"--no-such-flag"}, env_with_keys());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--no-such-flag"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty());

  auto output = whoami({"--output", "yaml", "--endpoint-url", sandbox.endpoint()}, env_with_keys());
  EXPECT_EQ(output.exit_code, 2) << output.err;
  auto region = whoami({"--region", "Not_A_Region", "--endpoint-url", sandbox.endpoint()}, env_with_keys());
  EXPECT_EQ(region.exit_code, 2) << region.err;
  EXPECT_NE(region.err.find("Not_A_Region"), std::string::npos) << region.err;
  auto positional = whoami({"extra"}, env_with_keys());
  EXPECT_EQ(positional.exit_code, 2);
}

TEST_F(WhoamiTest, HelpHasExamples) {
  auto r = whoami({"--help"}, base_env());
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("Examples:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--endpoint-url"), std::string::npos);
  EXPECT_NE(r.out.find("--profile"), std::string::npos);
}

TEST_F(WhoamiTest, WrongSecretFailsWithoutPrintingIt) {
  const std::string wrong = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYWRONGKEY2";
  auto r = whoami({"--endpoint-url", sandbox.endpoint()}, env_with_keys(wrong));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("SignatureDoesNotMatch"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find(wrong), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find(wrong), std::string::npos);
  EXPECT_TRUE(r.out.empty()) << r.out;
}

TEST_F(WhoamiTest, NoCredentialsIsAFailureWithAHint) {
  auto env = base_env();
  env["AWS_REGION"] = "us-east-1";
  auto r = whoami({"--endpoint-url", sandbox.endpoint()}, env);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("error:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("hint:"), std::string::npos) << r.err;
  // Said once, with what was tried.
  std::size_t said = 0;
  for (auto at = r.err.find("no credentials found"); at != std::string::npos;
       at = r.err.find("no credentials found", at + 1))
    ++said;
  EXPECT_EQ(said, 1u) << r.err;
  EXPECT_NE(r.err.find("AWS_ACCESS_KEY_ID is not set"), std::string::npos) << r.err;
}

TEST_F(WhoamiTest, UnreachableEndpointIsANetworkError) {
  // A loopback port nobody listens on (the sandbox's port + 1 may be taken; 1 never is for us).
  auto r = whoami({"--endpoint-url", "http://127.0.0.1:1"}, env_with_keys());
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("error:"), std::string::npos) << r.err;
}

TEST_F(WhoamiTest, UntrustedCertificateFailsOnceWithTheCaBundleHint) {
  // An HTTPS endpoint with a self-signed certificate made for this test.
  auto dir = home / "tls";
  testsupport::TestServer tls(testsupport::TestServer::python(AWSDL_SOURCE_DIR "/tests/support/http_test_server.py",
                                                              {"--watch-stdin", "--tls-dir", dir.string()}));
  ASSERT_TRUE(tls.ok()) << tls.error();
  const std::string endpoint = "https://" + tls.host_port() + "/echo";
  auto start = std::chrono::steady_clock::now();
  auto r = whoami({"--endpoint-url", endpoint}, env_with_keys());
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("TlsVerificationFailed"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("AWS_CA_BUNDLE"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("safe to retry"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("attempts"), std::string::npos) << r.err;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5)) << "no backoff between attempts";

  // With the CA in AWS_CA_BUNDLE the TLS handshake succeeds (the test server is no STS, so
  // the call then fails on its answer, which is not XML).
  auto env = env_with_keys();
  env["AWS_CA_BUNDLE"] = (dir / "cert.pem").string();
  auto trusted = whoami({"--endpoint-url", endpoint}, env);
  EXPECT_EQ(trusted.err.find("Tls"), std::string::npos) << trusted.err;
  EXPECT_EQ(trusted.err.find("certificate"), std::string::npos) << trusted.err;
}

TEST_F(WhoamiTest, OneFailedNameLookupIsRetriedAndAPersistentOneIsADnsError) {
  // tests/support/resolver_shim.c makes getaddrinfo fail for the names listed (flaky.test
  // once, down.test always) and then resolves them to 127.0.0.1: no real DNS involved.
  auto env = env_with_keys();
  // After the error log hook, if there is one (base_env).
  env["LD_PRELOAD"] = env["LD_PRELOAD"].empty() ? AWSDL_RESOLVER_SHIM : env["LD_PRELOAD"] + ":" + AWSDL_RESOLVER_SHIM;
  env["AWSDL_RESOLVER_SHIM_FAIL"] = "flaky.test=1,down.test=-1";
  const std::string port = std::to_string(sandbox.port());
  auto r = whoami({"--endpoint-url", "http://flaky.test:" + port}, env);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(Sandbox::kAccount), std::string::npos) << r.out;

  auto down = whoami({"--endpoint-url", "http://down.test:" + port}, env);
  EXPECT_EQ(down.exit_code, 1) << down.err;
  EXPECT_NE(down.err.find("DnsError"), std::string::npos) << down.err;
  EXPECT_NE(down.err.find("down.test"), std::string::npos) << down.err;
  EXPECT_EQ(down.err.find("CurlSetupFailed"), std::string::npos) << down.err;
  EXPECT_NE(down.err.find("gave up after 3 attempts"), std::string::npos) << down.err;
}

}  // namespace
}  // namespace awsdl
