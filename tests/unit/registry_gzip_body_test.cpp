// The pusher's on-the-fly gzip (isa-l's igzip): every level gives a gzip stream that zlib and
// the gzip program read back to the layer's bytes, the same bytes every time, at every read
// size; a layer whose bytes are not the config's fails before the end; a level out of range
// is refused.
#include "registry/gzip_body.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "support/image_builder.hpp"
#include "support/run_process.hpp"
#include "util/crypto.hpp"

namespace awsdl {
namespace {

class GzipBodyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = std::filesystem::temp_directory_path() / ("awsdl-test-gzip-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    // 3 MiB of text-like content (compressible, not trivially) after 1 MiB of noise.
    std::mt19937_64 rng(7);
    for (int i = 0; i < (1 << 20); ++i) layer.push_back(static_cast<char>(rng()));
    const char* words[] = {"layer ", "usr/lib/", "python3 ", "site-packages ", "0123 ", "\n"};
    while (layer.size() < (4u << 20)) layer += words[rng() % 6];
    file = (dir / "blob").string();
    std::ofstream(file, std::ios::binary) << "HEADER" << layer << "TRAILER";
    where = {file, 6, layer.size()};
    digest = "sha256:" + internal::sha256_hex(layer);
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }

  Result<std::string> gzip(int level, std::size_t read_size, const std::string& expected) {
    AWSDL_ASSIGN_OR_RETURN(auto body, internal::GzipBody::open(where, expected, level, stop));
    std::string out, buf(read_size, '\0');
    while (true) {
      AWSDL_ASSIGN_OR_RETURN(auto n, body->read(buf.data(), buf.size()));
      if (n == 0) break;
      out.append(buf.data(), n);
    }
    EXPECT_TRUE(body->finished());
    EXPECT_EQ(body->compressed_size(), out.size());
    EXPECT_EQ(body->compressed_digest(), "sha256:" + internal::sha256_hex(out));
    return out;
  }

  std::filesystem::path dir;
  std::string layer, file, digest;
  internal::BlobLocation where;
  std::atomic<bool> stop{false};
};

TEST_F(GzipBodyTest, EveryLevelIsPlainGzipOfTheLayerAndTheSameEveryTime) {
  for (int level : {0, 1, 2, 5, 6, 9}) {
    auto a = gzip(level, 65536, digest);
    ASSERT_TRUE(a.ok()) << level << ": " << a.error().to_string();
    ASSERT_GE(a->size(), 10u);
    EXPECT_EQ(static_cast<unsigned char>((*a)[0]), 0x1f);
    EXPECT_EQ(static_cast<unsigned char>((*a)[1]), 0x8b);
    EXPECT_EQ(a->substr(4, 4), std::string(4, '\0')) << "mtime 0: the blob does not depend on when it was pushed";
    EXPECT_EQ(testsupport::gunzip_bytes(*a), layer) << "zlib reads level " << level << " back";
    EXPECT_LT(a->size(), layer.size() * 3 / 4) << "level " << level << " compresses";
    // A different read size, the same blob: the registry's digest must not depend on it.
    auto b = gzip(level, 1000, digest);
    ASSERT_TRUE(b.ok());
    EXPECT_TRUE(*a == *b) << "level " << level << " is deterministic";
  }
  // The gzip program, an independent reader.
  auto one = gzip(1, 1 << 20, digest);
  ASSERT_TRUE(one.ok());
  const std::string gz = (dir / "layer.gz").string();
  std::ofstream(gz, std::ios::binary) << *one;
  auto r = testsupport::run_process("/bin/sh", {"-c", "gzip -t " + gz + " && gzip -dc " + gz + " | sha256sum"}, {},
                                    std::chrono::seconds(60));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.substr(0, 64), digest.substr(7));
}

TEST_F(GzipBodyTest, ALayerThatIsNotTheConfigsFailsBeforeItsEnd) {
  auto bad = gzip(1, 65536, "sha256:" + std::string(64, '0'));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, "DigestMismatch");
}

TEST_F(GzipBodyTest, ALevelOutOfRangeIsRefused) {
  for (int level : {-1, 10}) {
    auto b = internal::GzipBody::open(where, digest, level, stop);
    ASSERT_FALSE(b.ok());
    EXPECT_EQ(b.error().code, "InvalidGzipLevel");
  }
}

}  // namespace
}  // namespace awsdl
