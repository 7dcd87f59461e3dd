// `awsdl-cluster stage` / `unstage` against moto's S3: a multipart upload, a small object in
// one PUT, and gzip and zstd streams, each read back by boto3 (the bytes moto stored are the
// bytes the program said it stored) and unstaged into the same tree.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "awsdl/s3/client.hpp"
#include "support/moto.hpp"
#include "support/run_process.hpp"
#include "support/stage_test_support.hpp"
#include "support/tar_test_support.hpp"

namespace {

using namespace awsdl::testing_support;
using awsdl::testsupport::Moto;
namespace fs = std::filesystem;

const std::string kBinary = std::string(AWSDL_BINARY_DIR) + "/examples/cluster/awsdl-cluster";

class StageConformance : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(moto.ok()) << moto.error();
    ASSERT_TRUE(fs::exists(kBinary)) << kBinary << " is not built";
    ASSERT_TRUE(moto.reset());
    bucket = "awsdl-conformance-" + std::to_string(std::random_device{}() % 100000000);
    auto made = awsdl::s3::S3Client(moto.config()).create_bucket({bucket});
    ASSERT_TRUE(made) << made.error().to_string();
  }

  awsdl::testsupport::ProcessResult cli(const std::vector<std::string>& args) const {
    return awsdl::testsupport::run_process(kBinary, args, moto.cli_env(tmp.path().string()), std::chrono::seconds(120));
  }
  std::string uri(const std::string& key) const { return "s3://" + bucket + "/" + key; }

  static rapidjson::Document json(const std::string& text) {
    rapidjson::Document doc;
    doc.Parse(text.c_str());
    return doc;
  }

  // What moto stored under `key`, as boto3 reads it: {"length", "sha256", "head"} and the ETag.
  struct Stored {
    std::uint64_t length = 0;
    std::string sha256, head, etag;
  };
  Stored stored(const std::string& key) const {
    Stored s;
    auto got = moto.call("s3", "get_object", R"({"Bucket":")" + bucket + R"(","Key":")" + key + R"("})");
    EXPECT_TRUE(got.ok()) << got.error().to_string();
    if (!got.ok()) return s;
    const auto& doc = **got;
    EXPECT_TRUE(doc.HasMember("ok")) << "boto3 get_object " << key << " failed";
    if (!doc.HasMember("ok")) return s;
    const auto& body = doc["ok"]["Body"];
    s.length = body["length"].GetUint64();
    s.sha256 = body["sha256"].GetString();
    s.head = body["head"].GetString();
    s.etag = doc["ok"]["ETag"].GetString();
    return s;
  }

  // stage `inputs` into `key` with `flags` (JSON output), check what moto stored, unstage it
  // into `out` and check the tree: the summary of the stage.
  rapidjson::Document round_trip(const std::vector<fs::path>& inputs, const std::string& key,
                                 const std::vector<std::string>& flags, const fs::path& out) {
    // --sha256: the archive's SHA-256 too, so boto3's SHA-256 of what moto stored can be
    // compared; the CRC64NVME that moto checked at completion is compared with unstage's.
    std::vector<std::string> args = {"stage", "--quiet", "--output", "json", "--sha256"};
    args.insert(args.end(), flags.begin(), flags.end());
    for (const auto& p : inputs) args.push_back(p.string());
    args.push_back(uri(key));
    auto staged = cli(args);
    EXPECT_EQ(staged.exit_code, 0) << staged.out << staged.err;
    auto summary = json(staged.out);
    EXPECT_FALSE(summary.HasParseError()) << staged.out;
    if (staged.exit_code != 0 || summary.HasParseError() || !summary.IsObject()) return summary;

    Stored s = stored(key);
    EXPECT_EQ(s.length, summary["archive_bytes"].GetUint64());
    EXPECT_EQ(s.sha256, summary["sha256"].GetString());
    EXPECT_EQ(summary["manifest"].GetString(), uri(key + ".manifest"));
    EXPECT_GT(stored(key + ".manifest").length, 0u) << "no manifest next to the object";

    auto unstaged = cli({"unstage", "--quiet", "--output", "json", "--part-size", "5MiB", "--concurrency", "3",
                         uri(key), out.string()});
    EXPECT_EQ(unstaged.exit_code, 0) << unstaged.out << unstaged.err;
    auto u = json(unstaged.out);
    EXPECT_FALSE(u.HasParseError()) << unstaged.out;
    if (!u.HasParseError() && u.IsObject()) {
      EXPECT_TRUE(u["verified"].GetBool()) << unstaged.out;
      EXPECT_EQ(std::string(u["sha256"].GetString()), summary["sha256"].GetString());
      EXPECT_EQ(std::string(u["crc64nvme"].GetString()), summary["crc64nvme"].GetString());
      EXPECT_EQ(std::string(summary["crc64nvme"].GetString()).size(), 16u);
    }
    return summary;
  }

  Moto moto;
  std::string bucket;
  ScratchDir tmp;
};

TEST_F(StageConformance, MultipartUploadAndRangedDownload) {
  make_rich_tree(tmp / "set");
  write_file(tmp / "set" / "big.bin", random_bytes((12 << 20) + 17, 7));
  auto summary = round_trip({tmp / "set"}, "set.tar", {"--part-size", "5MiB", "--concurrency", "3"}, tmp / "out");
  ASSERT_TRUE(summary.IsObject());
  EXPECT_EQ(summary["parts"].GetInt(), 3);
  EXPECT_STREQ(summary["compression"].GetString(), "none");
  // moto's ETag of a multipart object: "<md5 of the parts' md5s>-<parts>".
  EXPECT_NE(stored("set.tar").etag.find("-3\""), std::string::npos) << stored("set.tar").etag;
  EXPECT_EQ(tree(tmp / "out" / "set"), tree(tmp / "set"));
}

TEST_F(StageConformance, SmallObjectInOnePut) {
  write_file(tmp / "small" / "hello.txt", "hello, moto\n");
  auto summary = round_trip({tmp / "small" / "hello.txt"}, "small.tar", {}, tmp / "out");
  ASSERT_TRUE(summary.IsObject());
  EXPECT_EQ(summary["parts"].GetInt(), 0);
  EXPECT_EQ(stored("small.tar").etag.find('-'), std::string::npos) << "not a single PUT: " << stored("small.tar").etag;
  EXPECT_EQ(read_file(tmp / "out" / "hello.txt"), "hello, moto\n");
}

// The compressed stream is what S3 holds (its magic number), in several parts.
class CompressedStageConformance : public StageConformance, public ::testing::WithParamInterface<std::string> {};

TEST_P(CompressedStageConformance, RoundTrip) {
  const std::string compression = GetParam();
  const std::string key = compression == "gzip" ? "set.tar.gz" : "set.tar.zst";
  const std::string magic = compression == "gzip" ? "1f8b" : "28b52ffd";
  make_rich_tree(tmp / "set");
  write_file(tmp / "set" / "noise.bin", random_bytes(11 << 20, 9));  // incompressible: several parts
  auto summary = round_trip({tmp / "set"}, key, {"--compress", compression, "--part-size", "5MiB", "--concurrency", "2"},
                            tmp / "out");
  ASSERT_TRUE(summary.IsObject());
  EXPECT_EQ(summary["compression"].GetString(), compression);
  EXPECT_GE(summary["parts"].GetInt(), 2);
  EXPECT_EQ(stored(key).head.substr(0, magic.size()), magic);
  EXPECT_EQ(tree(tmp / "out" / "set"), tree(tmp / "set"));
}

INSTANTIATE_TEST_SUITE_P(Compression, CompressedStageConformance, ::testing::Values("gzip", "zstd"),
                         [](const auto& info) { return info.param; });

}  // namespace
