// The SigV4 signing-key cache belongs to a Config: its copies (and every client made from them)
// share it, a Config made anew has its own, and nothing is cached process-wide.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "auth/signing_key_cache.hpp"
#include "awsdl/config.hpp"
#include "awsdl/s3/client.hpp"
#include "awsdl/sts/sts.hpp"
#include "support/fake_harness.hpp"

namespace awsdl {
namespace {

constexpr const char* kIdentity =
    "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
    "<GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/Alice</Arn>"
    "<UserId>AKIAI44QH8DHBEXAMPLE</UserId><Account>123456789012</Account></GetCallerIdentityResult>"
    "<ResponseMetadata><RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId></ResponseMetadata>"
    "</GetCallerIdentityResponse>";

std::uint64_t uses(const std::shared_ptr<auth::SigningKeyCache>& cache) {
  return cache->stats().hits + cache->stats().misses;
}

TEST(ConfigSigningKeys, CopiesShareOneCacheAndANewConfigHasItsOwn) {
  Config a;
  ASSERT_NE(a.signing_keys, nullptr);
  Config b = a;
  EXPECT_EQ(b.signing_keys, a.signing_keys);
  Config c;
  EXPECT_NE(c.signing_keys, a.signing_keys);
  auto from_env = Config::from_environment(Config::Overrides{.region = "us-east-1",
                                                            .credentials_file = "/nonexistent/credentials",
                                                            .config_file = "/nonexistent/config",
                                                            .use_imds_region = false});
  ASSERT_TRUE(from_env) << from_env.error().to_string();
  ASSERT_NE(from_env->signing_keys, nullptr);
  EXPECT_NE(from_env->signing_keys, a.signing_keys);
}

TEST(ConfigSigningKeys, ClientsMadeFromCopiesSignWithTheConfigsCache) {
  testsupport::FakeHarness h("eu-west-1");
  const auto cache = h.config.signing_keys;
  for (int i = 0; i < 3; ++i) h.transport->push(200, kIdentity);

  sts::StsClient first(h.config);
  ASSERT_TRUE(first.get_caller_identity());
  EXPECT_EQ(cache->stats().misses, 1u);
  Config copy = h.config;
  sts::StsClient second(copy);
  ASSERT_TRUE(second.get_caller_identity());
  EXPECT_EQ(cache->stats().hits, 1u) << "a copy of the Config derived the key again";

  // Another Config with the same keys keeps its own cache: this one is not touched.
  Config other = h.config;
  other.signing_keys = auth::make_signing_key_cache();
  ASSERT_TRUE(sts::StsClient(other).get_caller_identity());
  EXPECT_EQ(uses(cache), 2u);
  EXPECT_EQ(uses(other.signing_keys), 1u);

  // Presigned URLs too.
  auto url = s3::S3Client(h.config).presign_get("examplebucket", "data.tar", std::chrono::seconds(600));
  ASSERT_TRUE(url) << url.error().to_string();
  EXPECT_EQ(uses(cache), 3u);
}

TEST(ConfigSigningKeys, WithoutACacheEverySignatureIsTheSame) {
  testsupport::FakeHarness h("eu-west-1");
  for (int i = 0; i < 2; ++i) h.transport->push(200, kIdentity);
  ASSERT_TRUE(sts::StsClient(h.config).get_caller_identity());
  Config bare = h.config;
  bare.signing_keys = nullptr;
  ASSERT_TRUE(sts::StsClient(bare).get_caller_identity());
  const auto reqs = h.transport->requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].headers.get("Authorization"), reqs[1].headers.get("Authorization"));
  EXPECT_FALSE(reqs[0].headers.get("Authorization").value_or("").empty());
  EXPECT_EQ(uses(h.config.signing_keys), 1u);
}

}  // namespace
}  // namespace awsdl
