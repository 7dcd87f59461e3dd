// The S3 client in virtual-hosted mode (bucket.s3.<endpoint host>) against the sandbox, which
// reads the bucket from the Host header. The endpoint's name is in the reserved .test domain
// and is never resolved: a transport in front of curl sends every connection to the
// sandbox on 127.0.0.1, with the Host header the client signed.

#include <gtest/gtest.h>

#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "awsdl/http/transport.hpp"
#include "awsdl/s3/client.hpp"
#include "awsdl/s3/transfer.hpp"
#include "support/byte_source.hpp"
#include "support/sandbox.hpp"

namespace {

using namespace awsdl;
using testsupport::Sandbox;

constexpr std::uint64_t kMiB = 1024 * 1024;

// Sends to `loopback` whatever the request's host; remembers the hosts asked for.
class LoopbackTransport : public http::Transport {
 public:
  LoopbackTransport(std::shared_ptr<http::Transport> inner, std::string loopback)
      : inner_(std::move(inner)), loopback_(std::move(loopback)) {}
  Result<http::Response> send(const http::Request& request, const http::SendOptions& options) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      hosts_.push_back(request.host);
    }
    http::Request r = request;
    r.host = loopback_;  // the signed Host header stays in r.headers and goes out as is
    return inner_->send(r, options);
  }
  std::vector<std::string> hosts() const {
    std::lock_guard<std::mutex> lock(mu_);
    return hosts_;
  }

 private:
  std::shared_ptr<http::Transport> inner_;
  std::string loopback_;
  mutable std::mutex mu_;
  std::vector<std::string> hosts_;
};

using testsupport::random_bytes;

class S3VirtualHostTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(sandbox.ok()) << sandbox.error();
    bucket = "vhost-" + std::to_string(std::random_device{}() % 100000000);
    path_style = std::make_unique<s3::S3Client>(sandbox.config());
    ASSERT_TRUE(path_style->create_bucket({bucket}));
    transport = std::make_shared<LoopbackTransport>(http::make_curl_transport(), sandbox.host_port());
    Config c = sandbox.config();
    c.transport = transport;
    c.endpoint_url = "http://s3.sandbox.test:" + std::to_string(sandbox.port());
    c.s3_force_path_style = false;
    virtual_hosted = std::make_unique<s3::S3Client>(c);
  }

  Sandbox sandbox;
  std::string bucket;
  std::shared_ptr<LoopbackTransport> transport;
  std::unique_ptr<s3::S3Client> path_style;
  std::unique_ptr<s3::S3Client> virtual_hosted;
};

TEST_F(S3VirtualHostTest, ObjectsListingsAndTransfersUseTheBucketHost) {
  const std::string host = bucket + ".s3.sandbox.test:" + std::to_string(sandbox.port());
  auto put = virtual_hosted->put_object({.bucket = bucket, .key = "dir/a b+c.txt", .body = "hello"});
  ASSERT_TRUE(put) << put.error().to_string();
  ASSERT_FALSE(transport->hosts().empty());
  EXPECT_EQ(transport->hosts().back(), host);

  // The same object, seen path-style, and the reverse.
  auto back = path_style->get_object({.bucket = bucket, .key = "dir/a b+c.txt"});
  ASSERT_TRUE(back) << back.error().to_string();
  EXPECT_EQ(back->body, "hello");
  ASSERT_TRUE(path_style->put_object({.bucket = bucket, .key = "p", .body = "path"}));
  auto got = virtual_hosted->get_object({.bucket = bucket, .key = "p"});
  ASSERT_TRUE(got) << got.error().to_string();
  EXPECT_EQ(got->body, "path");

  auto listed = virtual_hosted->list_all_objects(bucket, "");
  ASSERT_TRUE(listed) << listed.error().to_string();
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].key, "dir/a b+c.txt");
  EXPECT_TRUE(virtual_hosted->head_bucket(bucket));

  // Multipart up and ranged down, all through the bucket's host name.
  const std::string data = random_bytes(11 * kMiB + 5, 3);
  s3::TransferManager tm(*virtual_hosted, {.part_size = 5 * kMiB, .concurrency = 3});
  auto up = tm.upload_stream(testsupport::string_source(data), {.bucket = bucket, .key = "big.bin"});
  ASSERT_TRUE(up) << up.error().to_string();
  EXPECT_EQ(up->parts, 3);
  std::string down;
  auto d = tm.download_stream(bucket, "big.bin", [&](std::string_view c) -> Result<void> {
    down.append(c);
    return {};
  });
  ASSERT_TRUE(d) << d.error().to_string();
  EXPECT_EQ(d->ranges, 3);
  EXPECT_TRUE(down == data);

  ASSERT_TRUE(virtual_hosted->delete_object(bucket, "p"));
  EXPECT_FALSE(path_style->head_object({.bucket = bucket, .key = "p"}));
  for (const auto& h : transport->hosts()) EXPECT_EQ(h, host);
}

TEST_F(S3VirtualHostTest, AMissingBucketIsNoSuchBucket) {
  auto got = virtual_hosted->get_object({.bucket = "no-such-bucket-vh", .key = "k"});
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, "NoSuchBucket");
  ASSERT_FALSE(transport->hosts().empty());
  EXPECT_EQ(transport->hosts().back(), "no-such-bucket-vh.s3.sandbox.test:" + std::to_string(sandbox.port()));
}

}  // namespace
