// What libawsdl uploads, `aws s3 cp` (Debian's awscli) downloads byte-identical, and the
// reverse, through the sandbox.

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "awsdl/s3/transfer.hpp"
#include "support/byte_source.hpp"
#include "support/sandbox.hpp"

namespace {

using namespace awsdl;
using namespace awsdl::s3;
namespace fs = std::filesystem;

constexpr const char* kAws = "/usr/bin/aws";

using testsupport::random_bytes;

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class AwsCliInterop : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kAws)) GTEST_SKIP() << "awscli is not installed";
    ASSERT_TRUE(sandbox.ok()) << sandbox.error();
    ASSERT_TRUE(sandbox.clear_faults());
    bucket = "cli-" + std::to_string(std::random_device{}() % 100000000);
    ASSERT_TRUE(S3Client(sandbox.config()).create_bucket({bucket}));
    dir = fs::temp_directory_path() / ("awsdl-cli-" + std::to_string(std::random_device{}()));
    fs::create_directories(dir);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }

  // Runs awscli in a clean environment (no user config, the sandbox's example keys).
  int aws(const std::string& args, const fs::path& out) const {
    std::string cmd = std::string("env -i PATH=/usr/bin:/bin HOME=") + dir.string() +
                      " AWS_ACCESS_KEY_ID=" + testsupport::Sandbox::kAccessKeyId +
                      " AWS_SECRET_ACCESS_KEY=" + testsupport::Sandbox::kSecretAccessKey +
                      " AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/dev/null"
                      " AWS_SHARED_CREDENTIALS_FILE=/dev/null " +
                      kAws + " --endpoint-url " + sandbox.endpoint() + " " + args + " > " + out.string() + " 2> " +
                      (dir / "aws.err").string();
    return std::system(cmd.c_str());
  }
  std::string aws_errors() const { return read_file(dir / "aws.err"); }

  testsupport::Sandbox sandbox;
  std::string bucket;
  fs::path dir;
};

TEST_F(AwsCliInterop, WhatLibawsdlUploadsAwsCliDownloads) {
  TransferOptions o;
  o.part_size = 5 * kMiB;
  o.concurrency = 4;
  TransferManager tm(S3Client(sandbox.config()), o);
  const std::string small = random_bytes(300000, 1), big = random_bytes(17 * kMiB + 5, 2);
  for (const auto& [key, data] : {std::pair<std::string, const std::string*>{"single.bin", &small},
                                  {"multi.bin", &big}}) {
    auto up = tm.upload_stream(testsupport::string_source(*data), {.bucket = bucket, .key = key});
    ASSERT_TRUE(up) << up.error().to_string();
    EXPECT_EQ(up->parts, key == "multi.bin" ? 4 : 0);
    auto out = dir / (key + ".out");
    ASSERT_EQ(aws("s3 cp s3://" + bucket + "/" + key + " -", out), 0) << aws_errors();
    EXPECT_TRUE(read_file(out) == *data) << key;
  }
}

TEST_F(AwsCliInterop, WhatAwsCliUploadsLibawsdlDownloads) {
  const std::string small = random_bytes(123457, 3), big = random_bytes(20 * kMiB + 3, 4);
  std::ofstream(dir / "small.in", std::ios::binary) << small;
  std::ofstream(dir / "big.in", std::ios::binary) << big;
  ASSERT_EQ(aws("s3 cp " + (dir / "small.in").string() + " s3://" + bucket + "/from-cli/small.bin", dir / "o1"), 0)
      << aws_errors();
  ASSERT_EQ(aws("s3 cp " + (dir / "big.in").string() + " s3://" + bucket + "/from-cli/big.bin", dir / "o2"), 0)
      << aws_errors();
  TransferOptions o;
  o.part_size = 5 * kMiB;
  TransferManager tm(S3Client(sandbox.config()), o);
  auto d1 = tm.download_file(bucket, "from-cli/small.bin", (dir / "small.out").string());
  ASSERT_TRUE(d1) << d1.error().to_string();
  EXPECT_TRUE(read_file(dir / "small.out") == small);
  std::string streamed;
  auto d2 = tm.download_stream(bucket, "from-cli/big.bin", [&](std::string_view c) -> Result<void> {
    streamed.append(c);
    return {};
  });
  ASSERT_TRUE(d2) << d2.error().to_string();
  EXPECT_TRUE(streamed == big);
  auto dirs = tm.download_directory(bucket, "from-cli/", (dir / "tree").string());
  ASSERT_TRUE(dirs) << dirs.error().to_string();
  EXPECT_EQ(dirs->files, 2);
  EXPECT_TRUE(read_file(dir / "tree/big.bin") == big);
}

}  // namespace
