// HTTPS against the sandbox serving TLS with a certificate from a CA made for the run
// (Sandbox::tls(), the ctest fixture "sandbox_tls"): with that CA the S3 and STS clients work,
// whether the CA comes from the Config, AWS_CA_BUNDLE or the profile's ca_bundle; without it
// every call fails at once with a certificate error that names AWS_CA_BUNDLE, and nothing is
// sent (no request reaches the sandbox, nothing is tried over plain HTTP). awscli works against
// the same endpoint with --ca-bundle (bench/stage_compare.sh relies on it).

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "awsdl/s3/client.hpp"
#include "awsdl/s3/transfer.hpp"
#include "awsdl/sts/sts.hpp"
#include "support/byte_source.hpp"
#include "support/sandbox.hpp"
#include "support/scoped_env.hpp"

namespace {

using namespace awsdl;
using testsupport::Sandbox;
namespace fs = std::filesystem;

constexpr const char* kAws = "/usr/bin/aws";

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string unique(const std::string& prefix) { return prefix + std::to_string(std::random_device{}() % 100000000); }

class SandboxTls : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(sandbox.ok()) << sandbox.error();
    ASSERT_TRUE(sandbox.is_tls());
    ASSERT_EQ(sandbox.endpoint().rfind("https://127.0.0.1:", 0), 0u) << sandbox.endpoint();
    ASSERT_TRUE(fs::exists(sandbox.ca_file())) << sandbox.ca_file();
    ASSERT_TRUE(dir.ok());
  }

  // The id of the newest request the sandbox logged (0 when none).
  std::int64_t last_request_id() const {
    auto log = sandbox.requests();
    EXPECT_TRUE(log.ok()) << log.error().to_string();
    return log.ok() && !log->empty() ? log->back().id : 0;
  }

  // A Config like sandbox.config() whose transport trusts only the system's CAs.
  Config config_without_ca() const {
    Config c = sandbox.config();
    c.ca_bundle.clear();
    c.transport = http::make_curl_transport();
    return c;
  }

  static void expect_certificate_error(const Error& e) {
    EXPECT_EQ(e.kind, ErrorKind::kNetwork) << e.to_string();
    EXPECT_EQ(e.code, "TlsVerificationFailed") << e.to_string();
    EXPECT_NE(e.message.find("AWS_CA_BUNDLE"), std::string::npos) << e.to_string();
  }

  Sandbox sandbox = Sandbox::tls();
  testsupport::TempDir dir;
};

TEST_F(SandboxTls, ConfigTrustsTheRunsCa) {
  EXPECT_EQ(sandbox.config().ca_bundle, sandbox.ca_file());
  // The control API itself goes over HTTPS with the CA.
  auto health = sandbox.control("GET", "/_sandbox/health", "");
  ASSERT_TRUE(health.ok()) << health.error().to_string();
  EXPECT_NE(health->find("\"ok\": true"), std::string::npos) << *health;
}

TEST_F(SandboxTls, S3PutGetAndMultipartWithTheCa) {
  s3::S3Client s3c(sandbox.config());
  const std::string bucket = unique("tls-");
  ASSERT_TRUE(s3c.create_bucket({bucket}));
  const std::string small = testsupport::random_bytes(100000, 7);
  auto put = s3c.put_object({.bucket = bucket, .key = "small.bin", .body = small});
  ASSERT_TRUE(put.ok()) << put.error().to_string();
  auto got = s3c.get_object({.bucket = bucket, .key = "small.bin"});
  ASSERT_TRUE(got.ok()) << got.error().to_string();
  EXPECT_TRUE(got->body == small);

  // A multipart upload (3 parts) over the same TLS connections, read back whole.
  s3::TransferOptions o;
  o.part_size = 5 * s3::kMiB;
  o.concurrency = 2;
  s3::TransferManager tm(s3c, o);
  const std::string big = testsupport::random_bytes(11 * s3::kMiB, 8);
  auto up = tm.upload_stream(testsupport::string_source(big), {.bucket = bucket, .key = "big.bin"});
  ASSERT_TRUE(up.ok()) << up.error().to_string();
  EXPECT_EQ(up->parts, 3);
  auto back = s3c.get_object({.bucket = bucket, .key = "big.bin", .max_bytes = 2 * big.size()});
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  EXPECT_TRUE(back->body == big);
}

TEST_F(SandboxTls, StsGetCallerIdentityWithTheCa) {
  auto id = sts::StsClient(sandbox.config()).get_caller_identity();
  ASSERT_TRUE(id.ok()) << id.error().to_string();
  EXPECT_EQ(id->account, Sandbox::kAccount);
}

TEST_F(SandboxTls, WithoutTheCaACertificateErrorAtOnceAndNothingSent) {
  const std::int64_t before = last_request_id();
  Config c = config_without_ca();
  auto start = std::chrono::steady_clock::now();
  auto id = sts::StsClient(c).get_caller_identity();
  ASSERT_FALSE(id.ok()) << "an untrusted certificate was accepted";
  expect_certificate_error(id.error());
  auto put = s3::S3Client(c).put_object({.bucket = "never", .key = "k", .body = "secret data"});
  ASSERT_FALSE(put.ok());
  expect_certificate_error(put.error());
  // Not retried with backoff: a certificate that failed fails the same way again.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  // No request got through, over TLS or otherwise (the sandbox logs every request it reads).
  auto log = sandbox.requests(before);
  ASSERT_TRUE(log.ok()) << log.error().to_string();
  EXPECT_TRUE(log->empty()) << log->size() << " requests arrived, the first " << log->front().operation;
}

TEST_F(SandboxTls, AnUnreadableCaBundleIsAClearError) {
  Config c = sandbox.config();
  http::TransportOptions topts;
  topts.ca_bundle = dir.file("no-such-ca.pem");
  c.transport = http::make_curl_transport(std::move(topts));
  auto id = sts::StsClient(c).get_caller_identity();
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.error().kind, ErrorKind::kNetwork) << id.error().to_string();
  EXPECT_EQ(id.error().code, "TlsError") << id.error().to_string();
  EXPECT_NE(id.error().message.find("AWS_CA_BUNDLE"), std::string::npos) << id.error().to_string();
}

class SandboxTlsEnvironment : public SandboxTls {
 protected:
  void SetUp() override {
    SandboxTls::SetUp();
    env.clear_prefix("AWS_");
    env.set("AWS_ACCESS_KEY_ID", Sandbox::kAccessKeyId);
    env.set("AWS_SECRET_ACCESS_KEY", Sandbox::kSecretAccessKey);
    env.set("AWS_REGION", Sandbox::kRegion);
    env.set("AWS_ENDPOINT_URL", sandbox.endpoint());
    env.set("AWS_EC2_METADATA_DISABLED", "true");
    env.set("AWS_SHARED_CREDENTIALS_FILE", dir.file("credentials"));
    env.set("AWS_CONFIG_FILE", dir.file("config"));
  }

  // GetCallerIdentity and a PUT with a Config::from_environment().
  static Status use(const Config& c) {
    auto id = sts::StsClient(c).get_caller_identity();
    if (!id) return id.error();
    s3::S3Client s3c(c);
    const std::string bucket = unique("tls-env-");
    AWSDL_TRY(s3c.create_bucket({bucket}));
    auto put = s3c.put_object({.bucket = bucket, .key = "k", .body = "over https"});
    if (!put) return put.error();
    return {};
  }

  testsupport::ScopedEnv env;
};

TEST_F(SandboxTlsEnvironment, AwsCaBundle) {
  env.set("AWS_CA_BUNDLE", sandbox.ca_file());
  auto c = Config::from_environment();
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->ca_bundle, sandbox.ca_file());
  auto used = use(*c);
  EXPECT_TRUE(used.ok()) << used.error().to_string();
}

TEST_F(SandboxTlsEnvironment, ProfileCaBundle) {
  std::ofstream(dir.file("config")) << "[default]\nca_bundle = " << sandbox.ca_file() << "\n";
  auto c = Config::from_environment();
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->ca_bundle, sandbox.ca_file());
  auto used = use(*c);
  EXPECT_TRUE(used.ok()) << used.error().to_string();
}

TEST_F(SandboxTlsEnvironment, NoCaBundleIsACertificateError) {
  const std::int64_t before = last_request_id();
  auto c = Config::from_environment();
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_TRUE(c->ca_bundle.empty());
  auto used = use(*c);
  ASSERT_FALSE(used.ok());
  expect_certificate_error(used.error());
  auto log = sandbox.requests(before);
  ASSERT_TRUE(log.ok()) << log.error().to_string();
  EXPECT_TRUE(log->empty());
}

class SandboxTlsAwsCli : public SandboxTls {
 protected:
  void SetUp() override {
    SandboxTls::SetUp();
    if (!fs::exists(kAws)) GTEST_SKIP() << "awscli is not installed";
  }
  // awscli in a clean environment (no user config, the sandbox's example keys); `ca_bundle`
  // empty: the system's CAs.
  int aws(const std::string& ca_bundle, const std::string& args) const {
    std::string cmd = std::string("env -i PATH=/usr/bin:/bin HOME=") + dir.path().string() +
                      " AWS_ACCESS_KEY_ID=" + Sandbox::kAccessKeyId + " AWS_SECRET_ACCESS_KEY=" +
                      Sandbox::kSecretAccessKey +
                      " AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/dev/null"
                      " AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_MAX_ATTEMPTS=1 " +
                      kAws + " --endpoint-url " + sandbox.endpoint() +
                      (ca_bundle.empty() ? std::string() : " --ca-bundle " + ca_bundle) + " " + args + " > " +
                      dir.file("aws.out") + " 2> " + dir.file("aws.err");
    return std::system(cmd.c_str());
  }
  std::string out() const { return read_file(dir.file("aws.out")); }
  std::string err() const { return read_file(dir.file("aws.err")); }
};

TEST_F(SandboxTlsAwsCli, WithCaBundleS3CpAndStsWork) {
  const std::string bucket = unique("tls-cli-");
  ASSERT_TRUE(s3::S3Client(sandbox.config()).create_bucket({bucket}));
  // Above awscli's 8 MiB multipart threshold: a multipart upload and a ranged download.
  const std::string data = testsupport::random_bytes(9 * s3::kMiB + 3, 9);
  std::ofstream(dir.file("up.bin"), std::ios::binary) << data;
  ASSERT_EQ(aws(sandbox.ca_file(), "s3 cp " + dir.file("up.bin") + " s3://" + bucket + "/up.bin"), 0) << err();
  auto got = s3::S3Client(sandbox.config()).get_object({.bucket = bucket, .key = "up.bin", .max_bytes = 2 * data.size()});
  ASSERT_TRUE(got.ok()) << got.error().to_string();
  EXPECT_TRUE(got->body == data);
  ASSERT_EQ(aws(sandbox.ca_file(), "s3 cp s3://" + bucket + "/up.bin " + dir.file("down.bin")), 0) << err();
  EXPECT_TRUE(read_file(dir.file("down.bin")) == data);
  ASSERT_EQ(aws(sandbox.ca_file(), "sts get-caller-identity --output text --query Account"), 0) << err();
  EXPECT_NE(out().find(Sandbox::kAccount), std::string::npos) << out();
}

TEST_F(SandboxTlsAwsCli, WithoutCaBundleAwsCliRefusesTheCertificate) {
  EXPECT_NE(aws("", "sts get-caller-identity"), 0) << out();
  EXPECT_NE(err().find("CERTIFICATE_VERIFY_FAILED"), std::string::npos) << err();
}

}  // namespace
