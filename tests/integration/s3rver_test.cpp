// libawsdl's S3 client and transfers against s3rver, an independent S3 implementation
// (npm), started on 127.0.0.1 for this test. s3rver checks signatures made with its
// S3RVER / S3RVER credentials.

#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "awsdl/s3/transfer.hpp"
#include "support/byte_source.hpp"
#include "support/test_server.hpp"

namespace {

using namespace awsdl;
using namespace awsdl::s3;
namespace fs = std::filesystem;

using testsupport::random_bytes;

class S3rverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const fs::path module = fs::path(AWSDL_SOURCE_DIR) / ".deps/npm/node_modules/s3rver";
    if (!fs::exists(module)) GTEST_SKIP() << "s3rver is not installed (scripts/install-deps)";
    dir = fs::temp_directory_path() / ("awsdl-s3rver-" + std::to_string(std::random_device{}()));
    fs::create_directories(dir);
    server = std::make_unique<testsupport::TestServer>(std::vector<std::string>{
        // s3rver makes ListObjectsV2 continuation tokens with DES, which OpenSSL 3 keeps in
        // its legacy provider.
        "node", "--openssl-legacy-provider", std::string(AWSDL_SOURCE_DIR) + "/tests/support/s3rver_server.js", dir.string()});
    ASSERT_TRUE(server->ok()) << server->error();
    ASSERT_GT(server->port(), 0);
    config.region = "us-east-1";
    config.credentials = auth::static_provider({.access_key_id = "S3RVER", .secret_access_key = "S3RVER"});
    config.transport = http::make_curl_transport();
    config.endpoint_url = "http://" + server->host_port();
    config.retry.base_delay = Millis(20);
  }
  void TearDown() override {
    server.reset();
    std::error_code ec;
    fs::remove_all(dir, ec);
  }

  fs::path dir;
  std::unique_ptr<testsupport::TestServer> server;
  Config config;
};

TEST_F(S3rverTest, ObjectRoundTripListAndMultipart) {
  S3Client s3(config);
  ASSERT_TRUE(s3.create_bucket({"interop"}));
  std::string body = random_bytes(70000, 1);
  PutObjectRequest put{.bucket = "interop", .key = "dir/one.bin", .body = body};
  put.attributes.metadata = {{"origin", "awsdl"}};
  put.attributes.content_type = "application/octet-stream";
  auto p = s3.put_object(put);
  ASSERT_TRUE(p) << p.error().to_string();
  auto g = s3.get_object({.bucket = "interop", .key = "dir/one.bin"});
  ASSERT_TRUE(g) << g.error().to_string();
  EXPECT_EQ(g->body, body);
  EXPECT_EQ(g->info.metadata["origin"], "awsdl");
  auto ranged = s3.get_object({.bucket = "interop", .key = "dir/one.bin", .range = ByteRange{10, 19}});
  ASSERT_TRUE(ranged) << ranged.error().to_string();
  EXPECT_EQ(ranged->body, body.substr(10, 10));

  for (int i = 0; i < 5; ++i) ASSERT_TRUE(s3.put_object({.bucket = "interop", .key = "list/" + std::to_string(i), .body = "x"}));
  auto pages = s3.list_objects_pages({.bucket = "interop", .prefix = "list/", .max_keys = 2});
  int count = 0;
  while (pages.has_more()) {
    auto page = pages.next();
    ASSERT_TRUE(page) << page.error().to_string();
    count += static_cast<int>(page->objects.size());
  }
  EXPECT_EQ(count, 5);
  auto top = s3.list_objects_v2({.bucket = "interop", .delimiter = "/"});
  ASSERT_TRUE(top) << top.error().to_string();
  EXPECT_EQ(top->common_prefixes, (std::vector<std::string>{"dir/", "list/"}));

  // s3rver knows nothing of x-amz-checksum-*: transfers without them.
  TransferOptions o;
  o.part_size = 5 * kMiB;
  o.concurrency = 3;
  o.checksum = ChecksumAlgorithm::kNone;
  TransferManager tm(s3, o);
  std::string big = random_bytes(12 * kMiB + 7, 2);
  auto up = tm.upload_stream(testsupport::string_source(big), {.bucket = "interop", .key = "big.bin"});
  ASSERT_TRUE(up) << up.error().to_string();
  EXPECT_EQ(up->parts, 3);
  std::string back;
  auto down = tm.download_stream("interop", "big.bin", [&](std::string_view c) -> Result<void> {
    back.append(c);
    return {};
  });
  ASSERT_TRUE(down) << down.error().to_string();
  EXPECT_TRUE(back == big);
  auto file = dir / "big.copy";
  ASSERT_TRUE(tm.download_file("interop", "big.bin", file.string()));
  EXPECT_EQ(fs::file_size(file), big.size());

  auto del = s3.delete_objects("interop", {"list/0", "list/1"});
  ASSERT_TRUE(del) << del.error().to_string();
  auto rest = s3.list_all_objects("interop", "list/");
  ASSERT_TRUE(rest);
  EXPECT_EQ(rest->size(), 3u);
}

}  // namespace
