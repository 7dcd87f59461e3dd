// Answers a misbehaving service gives, through the sandbox's fault injection: ranged reads
// answered with the whole object, next-page tokens that never end or repeat.
#include <sys/resource.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "awsdl/autoscaling/autoscaling.hpp"
#include "awsdl/cloudformation/cloudformation.hpp"
#include "awsdl/ec2/ec2.hpp"
#include "awsdl/ecr/ecr.hpp"
#include "awsdl/s3/client.hpp"
#include "awsdl/sagemaker/sagemaker.hpp"
#include "awsdl/stage/stager.hpp"
#include "support/sandbox.hpp"
#include "support/scoped_env.hpp"

namespace awsdl {
namespace {

using testsupport::Sandbox;

// The process's peak resident size so far, in bytes. ctest runs every test in a process of
// its own, so a growth seen here is this test's.
std::uint64_t peak_rss() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<std::uint64_t>(u.ru_maxrss) * 1024;
}

// A streamed object body of `size` bytes (no copy in memory).
s3::PutObjectRequest big_object(const std::string& bucket, const std::string& key, std::uint64_t size,
                                std::shared_ptr<std::uint64_t> pos) {
  s3::PutObjectRequest p;
  p.bucket = bucket;
  p.key = key;
  p.content_length = size;
  p.body_source = [pos, size](char* buf, std::size_t len) -> Result<std::size_t> {
    std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(len, size - *pos));
    for (std::size_t i = 0; i < n; ++i) buf[i] = static_cast<char>('a' + (*pos + i) % 26);
    *pos += n;
    return n;
  };
  p.rewind_body = [pos] {
    *pos = 0;
    return true;
  };
  return p;
}

class MisbehavingService : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(sandbox.ok()) << sandbox.error();
    ASSERT_TRUE(sandbox.reset().ok());
  }
  void TearDown() override { (void)sandbox.clear_faults(); }

  Sandbox sandbox;
};

TEST_F(MisbehavingService, RangedGetFromAServerThatIgnoresRangeStopsAtTheRange) {
  s3::S3Client s3(sandbox.config());
  ASSERT_TRUE(s3.create_bucket({.bucket = "ranges"}).ok());
  auto pos = std::make_shared<std::uint64_t>(0);
  ASSERT_TRUE(s3.put_object(big_object("ranges", "big", 8u << 20, pos)).ok());
  s3::PutObjectRequest small;
  small.bucket = "ranges";
  small.key = "small";
  small.body = std::string(100, 'x');
  ASSERT_TRUE(s3.put_object(small).ok());

  // A whole object held in memory is limited too: by default to the transport's limit,
  // or to what the caller allows.
  auto capped = s3.get_object({.bucket = "ranges", .key = "big", .max_bytes = 1u << 20});
  ASSERT_FALSE(capped.ok());
  EXPECT_EQ(capped.error().code, "ResponseTooLarge") << capped.error().to_string();
  auto allowed = s3.get_object({.bucket = "ranges", .key = "big", .max_bytes = 8u << 20});
  ASSERT_TRUE(allowed.ok()) << allowed.error().to_string();
  EXPECT_EQ(allowed->body.size(), 8u << 20);

  // Honoured: 206 and the range.
  auto fine = s3.get_object({.bucket = "ranges", .key = "big", .range = s3::ByteRange{0, 1023}});
  ASSERT_TRUE(fine.ok()) << fine.error().to_string();
  EXPECT_EQ(fine->body.size(), 1024u);

  ASSERT_TRUE(sandbox.set_faults(R"([{"kind":"ignore_range","service":"s3","operation":"GetObject"}])").ok());
  auto got = s3.get_object({.bucket = "ranges", .key = "big", .range = s3::ByteRange{0, 1023}});
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().kind, ErrorKind::kParse);
  EXPECT_EQ(got.error().code, "RangeIgnored") << got.error().to_string();
  EXPECT_FALSE(got.error().retryable);
  EXPECT_NE(got.error().message.find("bytes=0-1023"), std::string::npos) << got.error().message;

  // From an offset, a 200 carries the wrong bytes whatever their number.
  auto offset = s3.get_object({.bucket = "ranges", .key = "small", .range = s3::ByteRange{10, 19}});
  ASSERT_FALSE(offset.ok());
  EXPECT_EQ(offset.error().code, "RangeIgnored") << offset.error().to_string();

  // From 0, a whole object no longer than the range is what was asked for.
  auto whole = s3.get_object({.bucket = "ranges", .key = "small", .range = s3::ByteRange{0, 1023}});
  ASSERT_TRUE(whole.ok()) << whole.error().to_string();
  EXPECT_EQ(whole->body, std::string(100, 'x'));

  // Streamed: the sink never sees more than the range.
  std::uint64_t received = 0;
  s3::ObjectSink sink;
  sink.write = [&](std::string_view chunk) -> Result<void> {
    received += chunk.size();
    return {};
  };
  auto streamed = s3.get_object({.bucket = "ranges", .key = "big", .range = s3::ByteRange{0, 1023}}, sink);
  ASSERT_FALSE(streamed.ok());
  EXPECT_EQ(streamed.error().code, "RangeIgnored") << streamed.error().to_string();
  EXPECT_LE(received, 1024u);
}

TEST_F(MisbehavingService, ManifestFromAServerThatIgnoresRangeIsNotReadWhole) {
  constexpr std::uint64_t kSize = 64u << 20;
  s3::S3Client s3(sandbox.config());
  ASSERT_TRUE(s3.create_bucket({.bucket = "manifests"}).ok());
  // A huge object where the archive's sidecar manifest belongs.
  auto pos = std::make_shared<std::uint64_t>(0);
  ASSERT_TRUE(s3.put_object(big_object("manifests", stage::manifest_key("data.tar"), kSize, pos)).ok());
  ASSERT_TRUE(sandbox.set_faults(R"([{"kind":"ignore_range","service":"s3","operation":"GetObject"}])").ok());

  testsupport::TempDir dir;
  ASSERT_TRUE(dir.ok());
  stage::Stager stager(sandbox.config());
  const std::uint64_t before = peak_rss();
  auto r = stager.unstage("s3://manifests/data.tar", dir.file("out"));
  const std::uint64_t grew = peak_rss() - before;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "MalformedManifest") << r.error().to_string();
  EXPECT_NE(r.error().message.find("larger than 4096 bytes"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("Range"), std::string::npos) << r.error().message;
  EXPECT_LT(grew, 8u << 20) << "the whole object was read into memory";
}

template <class T>
Status status_of(Result<T> r) {
  if (!r) return std::move(r).error();
  return {};
}

struct Listing {
  const char* service;
  const char* operation;
  std::function<Status(const Config&)> call;
};

TEST_F(MisbehavingService, EndlessOrRepeatedNextTokensAreErrorsNotTruncatedLists) {
  s3::S3Client setup(sandbox.config());
  ASSERT_TRUE(setup.create_bucket({.bucket = "listing"}).ok());
  const std::vector<Listing> listings = {
      {"cloudformation", "DescribeStacks",
       [](const Config& c) -> Status { return status_of(cloudformation::CloudFormationClient(c).describe_stacks()); }},
      {"autoscaling", "DescribeAutoScalingGroups",
       [](const Config& c) -> Status { return status_of(autoscaling::AutoScalingClient(c).describe_groups()); }},
      {"ec2", "DescribeInstances", [](const Config& c) -> Status { return status_of(ec2::Ec2Client(c).list_instances({})); }},
      {"ecr", "DescribeRepositories",
       [](const Config& c) -> Status { return status_of(ecr::EcrClient(c).describe_repositories()); }},
      {"sagemaker", "ListTrainingJobs",
       [](const Config& c) -> Status { return status_of(sagemaker::SageMakerClient(c).list_training_jobs()); }},
      {"s3", "ListObjectsV2",
       [](const Config& c) -> Status { return status_of(s3::S3Client(c).list_all_objects("listing", "", 1000000)); }},
  };
  for (const auto& l : listings) {
    SCOPED_TRACE(l.operation);
    Config config = sandbox.config();
    config.max_pages = 8;
    for (bool repeat : {false, true}) {
      ASSERT_TRUE(sandbox.clear_faults().ok());
      ASSERT_TRUE(sandbox.clear_requests().ok());
      ASSERT_TRUE(sandbox
                      .set_faults(std::string(R"([{"kind":"endless_token","service":")") + l.service +
                                  R"(","operation":")" + l.operation + R"(","repeat":)" + (repeat ? "true" : "false") +
                                  "}]")
                      .ok());
      auto s = l.call(config);
      ASSERT_FALSE(s.ok()) << "an endless listing came back as a complete one";
      EXPECT_EQ(s.error().code, repeat ? "RepeatedNextToken" : "PaginationLimitExceeded") << s.error().to_string();
      EXPECT_NE(s.error().message.find(l.operation), std::string::npos) << s.error().message;
      auto log = sandbox.requests();
      ASSERT_TRUE(log.ok());
      std::size_t calls = 0;
      for (const auto& e : *log) calls += e.operation == l.operation ? 1 : 0;
      EXPECT_EQ(calls, repeat ? 2u : 8u);
    }
  }
}

}  // namespace
}  // namespace awsdl
