// s3:// URIs, bucket-name rules and part sizing.
#include <gtest/gtest.h>

#include "awsdl/s3/transfer.hpp"
#include "awsdl/s3/uri.hpp"

namespace awsdl::s3 {
namespace {

TEST(S3Uri, ParsesBucketAndKey) {
  auto u = S3Uri::parse("s3://my-bucket/data/coco.tar");
  ASSERT_TRUE(u) << u.error().to_string();
  EXPECT_EQ(u->bucket, "my-bucket");
  EXPECT_EQ(u->key, "data/coco.tar");
  EXPECT_FALSE(u->is_prefix());
  EXPECT_EQ(u->to_string(), "s3://my-bucket/data/coco.tar");
  auto b = S3Uri::parse("S3://bucket.with.dots");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->key, "");
  EXPECT_TRUE(b->is_prefix());
  auto p = S3Uri::parse("s3://b12/prefix/");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->key, "prefix/");
  EXPECT_TRUE(p->is_prefix());
  auto spaces = S3Uri::parse("s3://b12/a b/c+d");
  ASSERT_TRUE(spaces);
  EXPECT_EQ(spaces->key, "a b/c+d");
}

TEST(S3Uri, ClearErrors) {
  struct Case {
    const char* text;
    const char* says;
  } cases[] = {
      {"my-bucket/key", "must start with s3://"},
      {"https://my-bucket/key", "scheme must be s3://"},
      {"s3://", "bucket name is empty"},
      {"s3:///key", "bucket name is empty"},
      {"s3://ab/key", "3 to 63 characters"},
      {"s3://My_Bucket/key", "lower-case"},
      {"s3://-bucket/key", "starts and ends"},
      {"s3://a..b/key", "adjacent dots"},
      {"s3://192.168.1.10/key", "IP address"},
  };
  for (const auto& c : cases) {
    auto u = S3Uri::parse(c.text);
    ASSERT_FALSE(u) << c.text;
    EXPECT_EQ(u.error().kind, ErrorKind::kInvalidArgument);
    EXPECT_EQ(u.error().code, "InvalidS3Uri");
    EXPECT_NE(u.error().message.find(c.says), std::string::npos) << c.text << ": " << u.error().message;
  }
  auto long_key = S3Uri::parse("s3://bucket/" + std::string(1025, 'k'));
  ASSERT_FALSE(long_key);
  EXPECT_NE(long_key.error().message.find("1024"), std::string::npos);
}

TEST(PartSize, KeepsThePreferredSizeWhenItFits) {
  EXPECT_EQ(*choose_part_size(0, 8 * kMiB), 8 * kMiB);
  EXPECT_EQ(*choose_part_size(40 * kMiB, 5 * kMiB), 5 * kMiB);
  EXPECT_EQ(*choose_part_size(10000 * 8 * kMiB, 8 * kMiB), 8 * kMiB);  // exactly 10,000 parts
  EXPECT_EQ(*choose_part_size(100, 1), kMinPartSize);                  // never below 5 MiB
}

TEST(PartSize, GrowsToAWholeMiBSoThatTenThousandPartsSuffice) {
  const std::uint64_t size = 10000 * 8 * kMiB + 1;  // one byte too many for 8 MiB parts
  auto p = choose_part_size(size, 8 * kMiB);
  ASSERT_TRUE(p);
  EXPECT_EQ(*p, 9 * kMiB);
  EXPECT_LE((size + *p - 1) / *p, 10000u);
  const std::uint64_t tib = 1024 * 1024 * kMiB;
  auto big = choose_part_size(4 * tib, 8 * kMiB);
  ASSERT_TRUE(big);
  EXPECT_EQ(*big % kMiB, 0u);
  EXPECT_LE((4 * tib + *big - 1) / *big, 10000u);
  EXPECT_GT((4 * tib + (*big - kMiB) - 1) / (*big - kMiB), 10000u);  // and no larger than needed
}

TEST(PartSize, RefusesWhatCannotBeDone) {
  EXPECT_FALSE(choose_part_size(10000 * kMaxPartSize + 1, 8 * kMiB));
  EXPECT_FALSE(choose_part_size(1, kMaxPartSize + 1));
}

}  // namespace
}  // namespace awsdl::s3
