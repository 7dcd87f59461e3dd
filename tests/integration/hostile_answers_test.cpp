// The example programs and the S3 client against answers no AWS service sends but a hostile
// server, a broken proxy or an emulator can: tests/support/http_test_server.py's /answer/NAME
// endpoints (http://127.0.0.1:PORT/answer/NAME is the program's --endpoint-url).
//   - JSON nested 300,000 levels deep in an error (crashed every program: exit 139);
//   - a <Code> of 'Signature=' and 100,000 characters (crashed the redaction regex);
//   - an <Error> document with a 200 (read as an empty result: "no clusters", exit 0);
//   - moto's <CompleteMultipartUploadResponse> and <ListPartsResponse> roots (refused).
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "awsdl/auth/credentials.hpp"
#include "awsdl/config.hpp"
#include "awsdl/http/transport.hpp"
#include "awsdl/s3/client.hpp"
#include "support/local_aws.hpp"
#include "support/run_process.hpp"
#include "support/scoped_env.hpp"
#include "support/test_server.hpp"

namespace awsdl {
namespace {

namespace fs = std::filesystem;
using testsupport::ProcessResult;
using testsupport::TestServer;

const std::string kWhoami = std::string(AWSDL_BINARY_DIR) + "/examples/whoami/awsdl-whoami";
const std::string kCluster = std::string(AWSDL_BINARY_DIR) + "/examples/cluster/awsdl-cluster";
const std::string kSageMaker = std::string(AWSDL_BINARY_DIR) + "/examples/sagemaker/awsdl-sagemaker";

bool contains(const std::string& s, const std::string& what) { return s.find(what) != std::string::npos; }

class HostileAnswersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(home.ok());
    ASSERT_TRUE(server.ok()) << server.error();
  }

  std::string endpoint(const std::string& answer) const { return server.url("/answer/" + answer); }

  // The documented example keys, nothing from the test's own environment.
  std::map<std::string, std::string> env() const { return testsupport::example_cli_env(home.path().string()); }

  ProcessResult run(const std::string& program, const std::vector<std::string>& args) const {
    return testsupport::run_process(program, args, env(), std::chrono::seconds(120));
  }

  // Ended by exit(), not by a signal (run_process reports -1 for a signal or a timeout).
  static void expect_clean_failure(const ProcessResult& r, const std::string& what) {
    EXPECT_FALSE(r.timed_out) << what;
    EXPECT_NE(r.exit_code, -1) << what << ": killed by a signal\nstderr: " << r.err.substr(0, 2000);
    EXPECT_GT(r.exit_code, 0) << what << "\nstdout: " << r.out.substr(0, 2000);
    EXPECT_FALSE(r.err.empty()) << what;
    EXPECT_LT(r.err.size(), 20000u) << what << ": the error should be short";
  }

  testsupport::TempDir home;
  TestServer server{TestServer::python(AWSDL_SOURCE_DIR "/tests/support/http_test_server.py", {"--watch-stdin"})};
};

// ---------------------------------------------------------------- item 11: deep JSON

TEST_F(HostileAnswersTest, DeeplyNestedErrorBodiesAreErrorsNotCrashes) {
  for (const std::string answer : {"deep-json", "deep-xml"}) {
    auto r = run(kWhoami, {"--endpoint-url", endpoint(answer)});
    expect_clean_failure(r, "whoami against " + answer);
    EXPECT_TRUE(contains(r.err, "400")) << r.err.substr(0, 2000);

    auto status = run(kCluster, {"status", "--endpoint-url", endpoint(answer)});
    expect_clean_failure(status, "status against " + answer);
  }
}

TEST_F(HostileAnswersTest, StageAndUnstageSurviveADeeplyNestedError) {
  home.write("data/a.txt", "hello\n");
  auto staged = run(kCluster, {"stage", "--quiet", home.file("data"), "s3://team-bucket/data.tar", "--endpoint-url",
                               endpoint("deep-json")});
  expect_clean_failure(staged, "stage against deep-json");
  auto unstaged = run(kCluster, {"unstage", "--quiet", "s3://team-bucket/data.tar", home.file("out"),
                                 "--endpoint-url", endpoint("deep-json")});
  expect_clean_failure(unstaged, "unstage against deep-json");
}

// ---------------------------------------------------------------- item 12: long text in an error

TEST_F(HostileAnswersTest, HugeSignatureCodeIsRedactedNotACrash) {
  auto r = run(kWhoami, {"--endpoint-url", endpoint("long-code")});
  expect_clean_failure(r, "whoami against long-code");
  EXPECT_TRUE(contains(r.err, "Signature=[redacted]")) << r.err.substr(0, 2000);
  EXPECT_FALSE(contains(r.err, "AAAAAAAAAAAAAAAA")) << r.err.substr(0, 2000);
}

TEST_F(HostileAnswersTest, LongArgumentsAreUsageErrorsNotCrashes) {
  // The local reproduction: an unknown flag whose text is redacted in the message.
  auto r = run(kWhoami, {"--authorization:" + std::string(100000, 'A')});
  EXPECT_EQ(r.exit_code, 2) << "stderr: " << r.err.substr(0, 2000);
  EXPECT_FALSE(contains(r.err, "AAAAAAAAAAAAAAAA")) << r.err.substr(0, 2000);

  // The other std::regex checks of user input (SageMaker job names): refused by length.
  auto logs = run(kSageMaker, {"logs", "a" + std::string(100000, '-') + "b", "--endpoint-url", endpoint("error-200")});
  EXPECT_EQ(logs.exit_code, 2) << "stderr: " << logs.err.substr(0, 2000);
  EXPECT_TRUE(contains(logs.err, "is not a training job name")) << logs.err.substr(0, 2000);
}

// ---------------------------------------------------------------- item 14: an error in a 200

TEST_F(HostileAnswersTest, ClusterStatusReportsAnErrorDocumentIn200) {
  auto r = run(kCluster, {"status", "--endpoint-url", endpoint("error-200")});
  expect_clean_failure(r, "status against error-200");
  EXPECT_FALSE(contains(r.out, "no clusters")) << r.out;
  EXPECT_TRUE(contains(r.err, "AccessDenied")) << r.err;
  EXPECT_TRUE(contains(r.err, "Access Denied by the hostile server")) << r.err;

  auto json = run(kCluster, {"status", "--output", "json", "--endpoint-url", endpoint("error-200")});
  expect_clean_failure(json, "status --output json against error-200");
  EXPECT_FALSE(contains(json.out, "\"clusters\":[]")) << json.out;

  auto missing = run(kCluster, {"status", "--endpoint-url", endpoint("no-result-200")});
  expect_clean_failure(missing, "status against no-result-200");
  EXPECT_FALSE(contains(missing.out, "no clusters")) << missing.out;
  EXPECT_TRUE(contains(missing.err, "DescribeStacksResult")) << missing.err;

  auto whoami = run(kWhoami, {"--endpoint-url", endpoint("error-200")});
  expect_clean_failure(whoami, "whoami against error-200");
  EXPECT_TRUE(contains(whoami.err, "AccessDenied")) << whoami.err;
}

// ---------------------------------------------------------------- item 3: moto's root names

TEST_F(HostileAnswersTest, StageCompletesAgainstMotosMultipartAnswers) {
  // 6 MiB of data and 5 MiB parts: CreateMultipartUpload, two UploadPart, then
  // CompleteMultipartUpload, answered <CompleteMultipartUploadResponse> as moto does.
  std::string block(6 * 1024 * 1024, '\0');
  for (std::size_t i = 0; i < block.size(); ++i) block[i] = static_cast<char>((i * 131 + 7) & 0xff);
  home.write("data/weights.bin", block);
  auto r = run(kCluster, {"stage", "--quiet", "--part-size", "5MiB", home.file("data"), "s3://moto-bucket/data.tar",
                          "--endpoint-url", endpoint("moto-s3")});
  EXPECT_EQ(r.exit_code, 0) << "stdout: " << r.out << "\nstderr: " << r.err;
  EXPECT_FALSE(contains(r.err, "UnexpectedResponse")) << r.err;

  auto log = run("/usr/bin/curl", {"-s", endpoint("moto-s3-log")});
  ASSERT_EQ(log.exit_code, 0);
  EXPECT_TRUE(contains(log.out, "\"CompleteMultipartUpload\"")) << log.out;
  EXPECT_FALSE(contains(log.out, "AbortMultipartUpload")) << "the upload was abandoned: " << log.out;
  EXPECT_FALSE(contains(log.out, "Unsupported")) << log.out;
}

TEST_F(HostileAnswersTest, S3ClientReadsMotosListPartsAndComplete) {
  Config config;
  config.region = "us-east-1";
  config.credentials = auth::static_provider(
      {.access_key_id = "AKIDEXAMPLE", .secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"});
  config.transport = http::make_curl_transport();
  config.endpoint_url = endpoint("moto-s3");
  s3::S3Client client(config);
  auto upload = client.create_multipart_upload({.bucket = "moto-bucket", .key = "parts.bin"});
  ASSERT_TRUE(upload.ok()) << upload.error().to_string();
  for (int n = 1; n <= 2; ++n) {
    auto part = client.upload_part({.bucket = "moto-bucket", .key = "parts.bin", .upload_id = upload->upload_id,
                                    .part_number = n, .body = std::string(static_cast<std::size_t>(n) * 100, 'p')});
    ASSERT_TRUE(part.ok()) << part.error().to_string();
  }
  auto parts = client.list_parts(*upload);
  ASSERT_TRUE(parts.ok()) << parts.error().to_string();
  ASSERT_EQ(parts->parts.size(), 2u);
  EXPECT_EQ(parts->parts[1].part_number, 2);
  EXPECT_EQ(parts->parts[1].size, 200u);
  auto done = client.complete_multipart_upload(*upload, parts->parts);
  ASSERT_TRUE(done.ok()) << done.error().to_string();
  EXPECT_EQ(done->etag, "\"298c9a5c8205ea8eeef29652993678aa-2\"");
  EXPECT_EQ(done->key, "parts.bin");
}

}  // namespace
}  // namespace awsdl
