// The stager against the sandbox: a ~30 MiB tree (nested directories, symbolic links, long
// and UTF-8 names, odd modes) staged in 5 MiB parts and unstaged into a fresh directory
// identically; gzip; what stage wrote, `aws s3 cp` downloads and GNU tar lists and extracts
// identically; hostile archives refused with nothing outside the target touched; persistent
// part failures leave no multipart upload behind; tampered or stale manifests are refused.

#include <sys/stat.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <iterator>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <random>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "awsdl/s3/client.hpp"
#include "awsdl/stage/stager.hpp"
#include "stage/manifest.hpp"
#include "support/gzip_bomb.hpp"
#include "util/crc64nvme.hpp"
#include "support/sandbox.hpp"
#include "support/server_clock.hpp"
#include "support/stage_test_support.hpp"
#include "support/tar_test_support.hpp"

namespace {

using namespace awsdl;
using namespace awsdl::testing_support;
using awsdl::stage::Compression;
using awsdl::stage::Stager;

constexpr std::uint64_t MiB = 1024 * 1024;
constexpr const char* kAws = "/usr/bin/aws";

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

class StageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(sandbox.ok()) << sandbox.error();
    config = sandbox.config();
    config.retry.base_delay = Millis(10);
    bucket = "stage-" + std::to_string(std::random_device{}() % 100000000);
    ASSERT_TRUE(s3::S3Client(config).create_bucket({bucket}));
  }

  // The dataset: the rich tree plus big files so that 5 MiB parts make a real multipart
  // upload, and a weights file beside it (two inputs, as the workflows stage them).
  void make_dataset() {
    make_rich_tree(tmp / "src" / "dataset");
    for (int i = 0; i < 3; ++i)
      write_file(tmp / "src" / "dataset" / "images" / ("big" + std::to_string(i) + ".jpg"),
                 random_bytes(7 * MiB + 12345 * i, 10 + i));
    for (int i = 0; i < 40; ++i)
      write_file(tmp / "src" / "dataset" / "images" / "small" / ("img" + std::to_string(i) + ".jpg"),
                 random_bytes(100000 + 3000 * i, 100 + i));
    write_file(tmp / "src" / "weights.bin", random_bytes(4 * MiB + 7, 99));
  }
  std::vector<std::string> inputs() const {
    return {(tmp / "src" / "dataset").string(), (tmp / "src" / "weights.bin").string()};
  }
  std::string uri(const std::string& key) const { return "s3://" + bucket + "/" + key; }

  stage::StageOptions stage_options() const {
    stage::StageOptions o;
    o.part_size = 5 * MiB;
    o.concurrency = 4;
    return o;
  }
  stage::UnstageOptions unstage_options() const {
    stage::UnstageOptions o;
    o.part_size = 5 * MiB;
    o.concurrency = 4;
    return o;
  }

  std::size_t open_uploads() const {
    auto r = s3::S3Client(config).list_multipart_uploads({.bucket = bucket});
    EXPECT_TRUE(r) << r.error().to_string();
    return r ? r->uploads.size() : 999;
  }
  std::vector<std::string> keys() const {
    auto r = s3::S3Client(config).list_all_objects(bucket, "");
    EXPECT_TRUE(r);
    std::vector<std::string> out;
    if (r)
      for (const auto& o : *r) out.push_back(o.key);
    return out;
  }

  int aws(const std::string& args) const {
    std::string cmd = std::string("env -i PATH=/usr/bin:/bin HOME=") + tmp.path().string() +
                      " AWS_ACCESS_KEY_ID=" + testsupport::Sandbox::kAccessKeyId +
                      " AWS_SECRET_ACCESS_KEY=" + testsupport::Sandbox::kSecretAccessKey +
                      " AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/dev/null"
                      " AWS_SHARED_CREDENTIALS_FILE=/dev/null " +
                      kAws + " --endpoint-url " + sandbox.endpoint() + " " + args + " > " +
                      (tmp / "aws.out").string() + " 2>&1";
    return std::system(cmd.c_str());
  }

  // Replaces the sidecar with `text`, keeping (or replacing) its stage id.
  void write_sidecar(const std::string& key, const std::string& text, const std::string& stage_id) {
    s3::PutObjectRequest put;
    put.bucket = bucket;
    put.key = stage::manifest_key(key);
    put.body = text;
    put.attributes.metadata["awsdl-stage-id"] = stage_id;
    ASSERT_TRUE(s3::S3Client(config).put_object(put));
  }
  std::string sidecar(const std::string& key) const {
    auto r = s3::S3Client(config).get_object({.bucket = bucket, .key = stage::manifest_key(key)});
    EXPECT_TRUE(r);
    return r ? r->body : std::string();
  }

  testsupport::Sandbox sandbox;
  Config config;
  std::string bucket;
  ScratchDir tmp;
};

TEST_F(StageTest, StagedTreeUnstagesIdentically) {
  make_dataset();
  std::atomic<int> stage_calls{0};
  stage::StageProgress last_stage;
  auto so = stage_options();
  so.on_progress = [&](const stage::StageProgress& p) {
    ++stage_calls;
    last_stage = p;
  };
  Stager stager(config);
  auto staged = stager.stage(inputs(), uri("sets/coco.tar"), so);
  ASSERT_TRUE(staged) << staged.error().to_string();
  EXPECT_GE(staged->parts, 5);
  EXPECT_EQ(staged->part_size, 5 * MiB);
  std::uint64_t files = 0;
  for (const auto& [rel, info] : tree(tmp / "src")) files += info.rfind("file ", 0) == 0;
  EXPECT_EQ(staged->files, files);
  EXPECT_GT(staged->file_bytes, 25 * MiB);
  // S3's CRC-64/NVME is the archive's checksum; the SHA-256 only when asked for.
  EXPECT_EQ(staged->archive_crc64nvme.size(), 16u);
  EXPECT_TRUE(staged->archive_sha256.empty());
  EXPECT_EQ(staged->manifest_key, "sets/coco.tar.manifest");
  EXPECT_GT(stage_calls.load(), 5);
  EXPECT_EQ(last_stage.input_bytes_done, staged->file_bytes);
  EXPECT_EQ(open_uploads(), 0u);

  // The object is the archive the result describes, and the sidecar holds its manifest.
  auto head = s3::S3Client(config).head_object({.bucket = bucket, .key = "sets/coco.tar"});
  ASSERT_TRUE(head);
  EXPECT_EQ(head->object_size, staged->archive_bytes);
  EXPECT_EQ(head->metadata["awsdl-stage-id"], staged->stage_id);
  // The sandbox computed the object's CRC itself (from the parts it checked) and keeps it.
  ASSERT_EQ(head->checksums.count(s3::ChecksumAlgorithm::kCrc64Nvme), 1u);
  EXPECT_EQ(head->checksum_type, "FULL_OBJECT");
  EXPECT_EQ(internal::crc64nvme_hex(*internal::parse_crc64nvme_base64(head->checksums[s3::ChecksumAlgorithm::kCrc64Nvme])),
            staged->archive_crc64nvme);
  auto manifest = internal::parse_manifest(sidecar("sets/coco.tar").substr(0, sidecar("sets/coco.tar").size() - 1));
  ASSERT_TRUE(manifest) << manifest.error().to_string();
  EXPECT_EQ(manifest->version, 2);
  EXPECT_EQ(manifest->archive_crc64nvme, staged->archive_crc64nvme);
  EXPECT_TRUE(manifest->archive_sha256.empty());
  EXPECT_EQ(manifest->file_count, staged->files);

  std::uint64_t last_done = 0;
  auto uo = unstage_options();
  uo.on_progress = [&](const stage::UnstageProgress& p) {
    EXPECT_GE(p.bytes_done, last_done);
    EXPECT_EQ(p.bytes_total, staged->archive_bytes);
    last_done = p.bytes_done;
  };
  auto out = tmp / "out";
  auto unstaged = stager.unstage(uri("sets/coco.tar"), out.string(), uo);
  ASSERT_TRUE(unstaged) << unstaged.error().to_string();
  EXPECT_TRUE(unstaged->manifest_verified);
  EXPECT_EQ(unstaged->archive_crc64nvme, staged->archive_crc64nvme);
  EXPECT_TRUE(unstaged->archive_sha256.empty()) << "no SHA-256 pass when the manifest has none";
  EXPECT_EQ(unstaged->files, staged->files);
  EXPECT_EQ(unstaged->file_bytes, staged->file_bytes);
  EXPECT_EQ(last_done, staged->archive_bytes);
  EXPECT_EQ(tree(out), tree(tmp / "src"));
}

TEST_F(StageTest, GzipAndZstdRoundTrip) {
  make_rich_tree(tmp / "src" / "dataset");
  write_file(tmp / "src" / "weights.bin", std::string(6 * MiB, 'w') + random_bytes(MiB, 3));
  for (Compression c : {Compression::kGzip, Compression::kZstd}) {
    SCOPED_TRACE(stage::to_string(c));
    auto so = stage_options();
    so.compression = c;
    Stager stager(config);
    const std::string key = std::string("c.tar.") + stage::to_string(c);
    auto staged = stager.stage(inputs(), uri(key), so);
    ASSERT_TRUE(staged) << staged.error().to_string();
    EXPECT_LT(staged->archive_bytes, staged->file_bytes);  // the repeated bytes compress
    auto first = s3::S3Client(config).get_object({.bucket = bucket, .key = key, .range = s3::ByteRange{0, 3}});
    ASSERT_TRUE(first);
    const std::string magic = c == Compression::kGzip ? std::string("\x1f\x8b") : std::string("\x28\xb5\x2f\xfd");
    EXPECT_EQ(first->body.substr(0, magic.size()), magic);
    auto out = tmp / ("out-" + std::string(stage::to_string(c)));
    auto unstaged = stager.unstage(uri(key), out.string(), unstage_options());
    ASSERT_TRUE(unstaged) << unstaged.error().to_string();
    EXPECT_EQ(unstaged->compression, c);
    EXPECT_EQ(tree(out), tree(tmp / "src"));
  }
}

TEST_F(StageTest, AwscliDownloadsWhatGnuTarListsAndExtracts) {
  if (!std::filesystem::exists(kAws)) GTEST_SKIP() << "awscli is not installed";
  make_dataset();
  Stager stager(config);
  auto so = stage_options();
  so.sha256 = true;  // the SHA-256 people check with sha256sum
  auto staged = stager.stage(inputs(), uri("gnu.tar"), so);
  ASSERT_TRUE(staged) << staged.error().to_string();
  const auto archive = tmp / "x.tar";
  ASSERT_EQ(aws("s3 cp s3://" + bucket + "/gnu.tar " + archive.string()), 0) << read_file(tmp / "aws.out");
  EXPECT_EQ(internal::sha256_hex(read_file(archive)), staged->archive_sha256);
  EXPECT_EQ(internal::crc64nvme_hex(internal::crc64nvme(read_file(archive))), staged->archive_crc64nvme);

  ASSERT_EQ(std::system(("tar --quoting-style=literal -tf " + quote(archive.string()) + " > " + quote((tmp / "list").string()) + " 2>&1").c_str()), 0)
      << read_file(tmp / "list");
  std::set<std::string> listed;
  std::istringstream in(read_file(tmp / "list"));
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '/') line.pop_back();
    listed.insert(line);
  }
  std::set<std::string> expected;
  for (const auto& [rel, desc] : tree(tmp / "src")) expected.insert(rel);
  std::vector<std::string> only_listed, only_expected;
  std::set_difference(listed.begin(), listed.end(), expected.begin(), expected.end(), std::back_inserter(only_listed));
  std::set_difference(expected.begin(), expected.end(), listed.begin(), listed.end(), std::back_inserter(only_expected));
  EXPECT_TRUE(only_listed.empty()) << "listed by tar only: " << ::testing::PrintToString(only_listed);
  EXPECT_TRUE(only_expected.empty()) << "missing from tar's list: " << ::testing::PrintToString(only_expected);

  const auto out = tmp / "gnu-out";
  std::filesystem::create_directories(out);
  ASSERT_EQ(std::system(("tar xf " + quote(archive.string()) + " -C " + quote(out.string())).c_str()), 0);
  EXPECT_EQ(tree(out), tree(tmp / "src"));
}

TEST_F(StageTest, HostileArchivesAreRefusedAndNothingOutsideChanges) {
  write_file(tmp / "canary" / "keep.txt", "untouched");
  const auto canary_before = tree(tmp / "canary");
  struct Case {
    std::string name;
    std::string bytes;
    std::string entry;
  };
  const std::vector<Case> cases = {
      {"dot-dot", Crafted().file("ok.txt", "1").file("../x", "evil").bytes(), "../x"},
      {"symlink-then-write-through",
       Crafted().symlink("door", (tmp / "canary").string()).file("door/keep.txt", "evil").bytes(), "door"},
  };
  s3::S3Client client(config);
  Stager stager(config);
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string key = "hostile/" + c.name + ".tar";
    ASSERT_TRUE(client.put_object({.bucket = bucket, .key = key, .body = c.bytes}));
    const auto target = tmp / ("target-" + c.name);

    // Without a manifest it is refused by default, before anything is created.
    auto refused = stager.unstage(uri(key), target.string(), unstage_options());
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, "ManifestNotFound") << refused.error().to_string();
    // What the caller may do (if it trusts the archive), as a next step naming the archive.
    ASSERT_NE(refused.error().next_step(stage::next_step::kUnstageUnverified), nullptr);
    EXPECT_EQ(refused.error().next_step(stage::next_step::kUnstageUnverified)->detail, uri(key));
    EXPECT_FALSE(std::filesystem::exists(target));

    auto uo = unstage_options();
    uo.require_manifest = false;
    auto r = stager.unstage(uri(key), target.string(), uo);
    ASSERT_FALSE(r) << "a hostile archive was extracted";
    EXPECT_EQ(r.error().code, "UnsafeArchiveEntry") << r.error().to_string();
    EXPECT_NE(r.error().message.find(c.entry), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find(uri(key)), std::string::npos) << r.error().message;
    EXPECT_FALSE(std::filesystem::exists(std::filesystem::symlink_status(tmp / "x")));
    EXPECT_EQ(tree(tmp / "canary"), canary_before);
  }
}

TEST_F(StageTest, PersistentPartFailureAbortsAndLeavesNothing) {
  make_dataset();
  // Scoped to the other example key so that concurrent users of the sandbox are unaffected.
  Config other = sandbox.config(testsupport::Sandbox::kOtherAccessKeyId, testsupport::Sandbox::kOtherSecretAccessKey);
  other.retry.base_delay = Millis(5);
  ASSERT_TRUE(sandbox.set_faults(std::string(R"([{"service":"s3","operation":"UploadPart","kind":"error",)") +
                                 R"("code":"InternalError","status":500,"count":null,"access_key_id":")" +
                                 testsupport::Sandbox::kOtherAccessKeyId + R"("}])"));
  auto staged = Stager(other).stage(inputs(), uri("doomed.tar"), stage_options());
  ASSERT_TRUE(sandbox.clear_faults());
  ASSERT_FALSE(staged);
  EXPECT_EQ(staged.error().code, "InternalError") << staged.error().to_string();
  EXPECT_NE(staged.error().message.find(uri("doomed.tar")), std::string::npos) << staged.error().message;
  EXPECT_NE(staged.error().message.find("aborted"), std::string::npos) << staged.error().message;
  EXPECT_EQ(open_uploads(), 0u);
  EXPECT_TRUE(keys().empty());  // neither the archive nor a manifest
}

// CompleteMultipartUpload completes on the server but its answer never arrives whole (every
// attempt, retries included): the stage finds out that the object is the one it uploaded
// and carries on, instead of failing with the archive left behind without a manifest.
class CompletionOutcomeUnknown : public StageTest, public ::testing::WithParamInterface<const char*> {};

TEST_P(CompletionOutcomeUnknown, StageFindsItsCompletedUploadAndFinishes) {
  make_dataset();
  Config other = sandbox.config(testsupport::Sandbox::kOtherAccessKeyId, testsupport::Sandbox::kOtherSecretAccessKey);
  other.retry.base_delay = Millis(5);
  ASSERT_TRUE(sandbox.set_faults(std::string(R"([{"service":"s3","operation":"CompleteMultipartUpload",)") + GetParam() +
                                 R"(,"count":null,"access_key_id":")" + testsupport::Sandbox::kOtherAccessKeyId + R"("}])"));
  auto staged = Stager(other).stage(inputs(), uri("unknown.tar"), stage_options());
  ASSERT_TRUE(sandbox.clear_faults());
  ASSERT_TRUE(staged) << staged.error().to_string();
  EXPECT_GE(staged->parts, 5);
  EXPECT_EQ(open_uploads(), 0u);
  EXPECT_EQ(keys(), (std::vector<std::string>{"unknown.tar", "unknown.tar.manifest"}));
  auto unstaged = Stager(config).unstage(uri("unknown.tar"), (tmp / "out").string(), unstage_options());
  ASSERT_TRUE(unstaged) << unstaged.error().to_string();
  EXPECT_TRUE(unstaged->manifest_verified);
  EXPECT_EQ(tree(tmp / "out"), tree(tmp / "src"));
}

INSTANTIATE_TEST_SUITE_P(Answers, CompletionOutcomeUnknown,
                         ::testing::Values(R"("kind":"truncate")", R"("kind":"reset","when":"after")"),
                         [](const auto& info) { return info.index == 0 ? std::string("Truncated") : std::string("ResetAfter"); });

TEST_F(StageTest, CompletedUploadIsRemovedWhenTheStageFailsAfterwards) {
  make_dataset();
  Config other = sandbox.config(testsupport::Sandbox::kOtherAccessKeyId, testsupport::Sandbox::kOtherSecretAccessKey);
  other.retry.base_delay = Millis(5);
  const std::string scope = std::string(R"(,"count":null,"access_key_id":")") + testsupport::Sandbox::kOtherAccessKeyId + R"("})";
  // The completion's answer is lost, then the manifest cannot be written: the stage fails,
  // and the archive it did complete is removed like on every other failure.
  ASSERT_TRUE(sandbox.set_faults(R"([{"service":"s3","operation":"CompleteMultipartUpload","kind":"truncate")" + scope +
                                 R"(,{"service":"s3","operation":"PutObject","kind":"error","code":"AccessDenied","status":403)" +
                                 scope + "]"));
  auto staged = Stager(other).stage(inputs(), uri("half.tar"), stage_options());
  ASSERT_TRUE(sandbox.clear_faults());
  ASSERT_FALSE(staged);
  EXPECT_EQ(staged.error().code, "AccessDenied") << staged.error().to_string();
  EXPECT_NE(staged.error().message.find("removed"), std::string::npos) << staged.error().message;
  EXPECT_EQ(open_uploads(), 0u);
  EXPECT_TRUE(keys().empty()) << ::testing::PrintToString(keys());
}

TEST_F(StageTest, AnObjectThatIsNotTheStagesIsNeverRemoved) {
  // The completion's answer is lost, and before the stage can look, another writer replaces
  // the key: the stage fails, and the other writer's object stays.
  make_dataset();
  s3::S3Client client(config);
  Config other = sandbox.config(testsupport::Sandbox::kOtherAccessKeyId, testsupport::Sandbox::kOtherSecretAccessKey);
  other.retry.base_delay = Millis(5);
  const std::string scope = std::string(R"(,"count":null,"access_key_id":")") + testsupport::Sandbox::kOtherAccessKeyId + R"("})";
  ASSERT_TRUE(sandbox.set_faults(R"([{"service":"s3","operation":"CompleteMultipartUpload","kind":"truncate")" + scope +
                                 R"(,{"service":"s3","operation":"HeadObject","kind":"delay","delay_ms":1500)" + scope + "]"));
  std::atomic<bool> replaced{false};
  std::thread writer([&] {
    for (int i = 0; i < 600 && !replaced; ++i) {
      if (client.head_object({.bucket = bucket, .key = "theirs.tar"})) {
        replaced = static_cast<bool>(
            client.put_object({.bucket = bucket, .key = "theirs.tar", .body = "another writer's object"}));
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  auto staged = Stager(other).stage(inputs(), uri("theirs.tar"), stage_options());
  writer.join();
  ASSERT_TRUE(sandbox.clear_faults());
  ASSERT_TRUE(replaced.load());
  ASSERT_FALSE(staged);
  EXPECT_NE(staged.error().message.find("nothing was removed"), std::string::npos) << staged.error().message;
  auto left = client.get_object({.bucket = bucket, .key = "theirs.tar"});
  ASSERT_TRUE(left) << left.error().to_string();
  EXPECT_EQ(left->body, "another writer's object");
  EXPECT_EQ(open_uploads(), 0u);
}

TEST_F(StageTest, CancelledStageLeavesNothing) {
  make_dataset();
  CancellationSource cancel;
  auto so = stage_options();
  so.call.cancel = cancel.token();
  so.on_progress = [&](const stage::StageProgress& p) {
    if (p.parts_done >= 1) cancel.cancel();
  };
  auto staged = Stager(config).stage(inputs(), uri("cancelled.tar"), so);
  ASSERT_FALSE(staged);
  EXPECT_EQ(staged.error().kind, ErrorKind::kCancelled) << staged.error().to_string();
  EXPECT_EQ(open_uploads(), 0u);
  EXPECT_TRUE(keys().empty());
}

TEST_F(StageTest, CancelledStageKeepsItsUploadWhenAskedAndResumeFinishesIt) {
  make_dataset();
  CancellationSource cancel;
  auto so = stage_options();
  so.keep_upload_on_cancel = true;
  so.call.cancel = cancel.token();
  so.on_progress = [&](const stage::StageProgress& p) {
    if (p.parts_done >= 1) cancel.cancel();
  };
  auto staged = Stager(config).stage(inputs(), uri("kept.tar"), so);
  ASSERT_FALSE(staged);
  EXPECT_EQ(staged.error().kind, ErrorKind::kCancelled) << staged.error().to_string();
  EXPECT_NE(staged.error().message.find("left in place for a resume"), std::string::npos) << staged.error().message;
  EXPECT_EQ(open_uploads(), 1u);
  EXPECT_TRUE(keys().empty());
  auto resume = stage_options();
  resume.resume = true;
  auto resumed = Stager(config).stage(inputs(), uri("kept.tar"), resume);
  ASSERT_TRUE(resumed) << resumed.error().to_string();
  EXPECT_FALSE(resumed->resumed_upload_id.empty());
  EXPECT_EQ(open_uploads(), 0u);
}

TEST_F(StageTest, TamperedOrStaleManifestIsRefused) {
  make_rich_tree(tmp / "src" / "dataset");
  write_file(tmp / "src" / "weights.bin", random_bytes(MiB, 7));
  Stager stager(config);
  auto staged = stager.stage(inputs(), uri("t.tar"), stage_options());
  ASSERT_TRUE(staged) << staged.error().to_string();
  const std::string original = sidecar("t.tar");
  auto manifest = internal::parse_manifest(original.substr(0, original.size() - 1));
  ASSERT_TRUE(manifest);

  struct Case {
    std::string name;
    std::function<void(internal::Manifest&)> tamper;
    std::string field;
  };
  const std::vector<Case> cases = {
      {"crc64nvme", [](internal::Manifest& m) { m.archive_crc64nvme[10] = m.archive_crc64nvme[10] == 'a' ? 'b' : 'a'; },
       "CRC64NVME"},
      {"files", [](internal::Manifest& m) { m.file_count += 1; }, "file"},
      {"bytes", [](internal::Manifest& m) { m.file_bytes -= 1; }, "byte"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    internal::Manifest m = *manifest;
    c.tamper(m);
    write_sidecar("t.tar", internal::serialize_manifest(m), staged->stage_id);
    auto r = stager.unstage(uri("t.tar"), (tmp / ("out-" + c.name)).string(), unstage_options());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, "ManifestMismatch") << r.error().to_string();
    EXPECT_NE(r.error().message.find(c.field), std::string::npos) << r.error().message;
  }

  write_sidecar("t.tar", "not a manifest", staged->stage_id);
  auto malformed = stager.unstage(uri("t.tar"), (tmp / "out-malformed").string(), unstage_options());
  ASSERT_FALSE(malformed);
  EXPECT_EQ(malformed.error().code, "MalformedManifest") << malformed.error().to_string();

  // A sidecar from another stage of the key: refused before any byte is extracted.
  write_sidecar("t.tar", original, "0123456789abcdef0123456789abcdef");
  auto stale = stager.unstage(uri("t.tar"), (tmp / "out-stale").string(), unstage_options());
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, "ManifestStale") << stale.error().to_string();
  EXPECT_FALSE(std::filesystem::exists(tmp / "out-stale"));

  // The untampered manifest still verifies.
  write_sidecar("t.tar", original, staged->stage_id);
  auto ok = stager.unstage(uri("t.tar"), (tmp / "out-ok").string(), unstage_options());
  ASSERT_TRUE(ok) << ok.error().to_string();
  EXPECT_EQ(tree(tmp / "out-ok"), tree(tmp / "src"));
}

// A target that already holds files: what unstage leaves in it when it fails or is
// cancelled (nothing new: it stays as it was), and when it succeeds (the archive's entries
// replace the same-named ones, the others stay).
class StageIntoExistingTarget : public StageTest {
 protected:
  void make_target() {
    target = tmp / "target";
    write_file(target / "keep.txt", "the user's own file");
    write_file(target / "dataset" / "a.txt", "an older a.txt");
    write_file(target / "dataset" / "extra.txt", "not in the archive");
    set_mtime(target / "dataset", 1400000000, 0);
  }
  // No staging directory left in the target.
  void expect_no_staging_left() const {
    for (const auto& e : std::filesystem::directory_iterator(target))
      EXPECT_EQ(e.path().filename().string().rfind(".awsdl-unstage-", 0), std::string::npos) << e.path();
  }
  std::filesystem::path target;
};

TEST_F(StageIntoExistingTarget, FailedVerificationLeavesTheTargetAsItWas) {
  make_rich_tree(tmp / "src" / "dataset");
  write_file(tmp / "src" / "weights.bin", random_bytes(MiB, 7));
  Stager stager(config);
  auto staged = stager.stage(inputs(), uri("v.tar"), stage_options());
  ASSERT_TRUE(staged) << staged.error().to_string();
  std::string text = sidecar("v.tar");
  const auto at = text.find("crc64nvme=") + 10;
  text[at] = text[at] == '0' ? '1' : '0';
  write_sidecar("v.tar", text, staged->stage_id);
  make_target();
  const auto before = tree(target);

  auto r = stager.unstage(uri("v.tar"), target.string(), unstage_options());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "ManifestMismatch") << r.error().to_string();
  EXPECT_EQ(tree(target), before);  // not one unverified file
  expect_no_staging_left();
}

TEST_F(StageIntoExistingTarget, CancelledUnstageLeavesTheTargetAsItWas) {
  make_dataset();
  Stager stager(config);
  ASSERT_TRUE(stager.stage(inputs(), uri("c.tar"), stage_options()));
  make_target();
  const auto before = tree(target);
  CancellationSource cancel;
  auto uo = unstage_options();
  uo.call.cancel = cancel.token();
  uo.on_progress = [&](const stage::UnstageProgress& p) {
    if (p.bytes_done >= 12 * MiB) cancel.cancel();  // files are on disk by then
  };
  auto r = stager.unstage(uri("c.tar"), target.string(), uo);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kCancelled) << r.error().to_string();
  EXPECT_EQ(tree(target), before);
  expect_no_staging_left();

  // A target that did not exist is not left behind either.
  auto fresh = stager.unstage(uri("c.tar"), (tmp / "fresh").string(), uo);
  ASSERT_FALSE(fresh);
  EXPECT_FALSE(std::filesystem::exists(tmp / "fresh"));
}

TEST_F(StageIntoExistingTarget, VerifiedEntriesReplaceSameNamedOnesAndOthersStay) {
  make_rich_tree(tmp / "src" / "dataset");
  write_file(tmp / "src" / "weights.bin", random_bytes(MiB, 7));
  Stager stager(config);
  ASSERT_TRUE(stager.stage(inputs(), uri("r.tar"), stage_options()));
  make_target();
  // What a run killed outright (SIGKILL) leaves: the next run removes it.
  write_file(target / ".awsdl-unstage-0123456789abcdef" / "half" / "extracted.bin", "partial");

  auto r = stager.unstage(uri("r.tar"), target.string(), unstage_options());
  ASSERT_TRUE(r) << r.error().to_string();
  auto expected = tree(tmp / "src");
  auto got = tree(target);
  EXPECT_EQ(read_file(target / "keep.txt"), "the user's own file");
  EXPECT_EQ(read_file(target / "dataset" / "extra.txt"), "not in the archive");
  EXPECT_EQ(read_file(target / "dataset" / "a.txt"), read_file(tmp / "src" / "dataset" / "a.txt"));
  got.erase("keep.txt");
  got.erase("dataset/extra.txt");
  EXPECT_EQ(got, expected);  // modes and times of merged directories included
  expect_no_staging_left();
}

TEST_F(StageTest, GzipBombIsRefusedBeforeItsBytesAreWritten) {
  // 256 MiB of zeros in a 256 KiB gzip stream, with a manifest that declares 100 bytes of
  // files: refused at its header, nothing written.
  auto bomb = put_gzip_bomb(config, bucket, "bomb.tar.gz", 256u << 20);
  ASSERT_TRUE(bomb) << bomb.error().to_string();
  ASSERT_LT(*bomb, 2 * MiB);

  const auto target = tmp / "bombed";
  auto r = Stager(config).unstage(uri("bomb.tar.gz"), target.string(), unstage_options());
  ASSERT_FALSE(r) << "the bomb was extracted";
  EXPECT_EQ(r.error().code, "ManifestMismatch") << r.error().to_string();
  EXPECT_NE(r.error().message.find("zeros.bin"), std::string::npos) << r.error().message;
  EXPECT_FALSE(std::filesystem::exists(target / "zeros.bin"));
}

// Time comes from the Config's runtime: the durations stage and unstage report are measured
// on its clock (here one that moves only when the progress callbacks move it).
TEST_F(StageTest, DurationsAreMeasuredOnTheRuntimeClock) {
  Config timed = config;
  auto clock = testsupport::ServerTestClock::install(timed);
  write_file(tmp / "timed" / "a.txt", "hello\n");
  write_file(tmp / "timed" / "b.bin", random_bytes(300000, 5));
  // A few seconds per callback, for the first few: well inside every call's deadline.
  std::atomic<int> moves{0};
  auto move_clock = [&] {
    if (moves.fetch_add(1) < 4) clock->advance(std::chrono::seconds(3));
  };

  stage::StageOptions so = stage_options();
  so.on_progress = [&](const stage::StageProgress&) { move_clock(); };
  const Millis before_stage = clock->moved();
  auto staged = Stager(timed).stage({(tmp / "timed").string()}, uri("timed.tar"), so);
  ASSERT_TRUE(staged) << staged.error().to_string();
  ASSERT_GT(moves.load(), 0) << "no progress reported";
  EXPECT_EQ(staged->duration, clock->moved() - before_stage);
  EXPECT_GE(staged->duration, Millis(3000));

  moves = 0;
  stage::UnstageOptions uo = unstage_options();
  uo.on_progress = [&](const stage::UnstageProgress&) { move_clock(); };
  const Millis before_unstage = clock->moved();
  auto unstaged = Stager(timed).unstage(uri("timed.tar"), (tmp / "timed-out").string(), uo);
  ASSERT_TRUE(unstaged) << unstaged.error().to_string();
  ASSERT_GT(moves.load(), 0) << "no progress reported";
  EXPECT_EQ(unstaged->duration, clock->moved() - before_unstage);
  EXPECT_GE(unstaged->duration, Millis(3000));
}

TEST_F(StageTest, BadArgumentsAreRefusedBeforeAnyRequest) {
  Stager stager(config);
  auto no_key = stager.stage({tmp.path().string()}, "s3://" + bucket + "/", stage_options());
  ASSERT_FALSE(no_key);
  EXPECT_EQ(no_key.error().code, "InvalidS3Uri");
  auto missing = stager.stage({(tmp / "nope").string()}, uri("x.tar"), stage_options());
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::kNotFound) << missing.error().to_string();
  auto so = stage_options();
  so.part_size = MiB;
  auto small = stager.stage({tmp.path().string()}, uri("x.tar"), so);
  ASSERT_FALSE(small);
  EXPECT_EQ(small.error().code, "InvalidOption");
  EXPECT_TRUE(keys().empty());
}


// ---- S3's CRC64NVME as the archive's integrity (issue 17)

TEST_F(StageTest, APartCorruptedInFlightIsRefusedByS3AndSentAgain) {
  make_dataset();
  // One byte of one part inverted after the signature check: the part's CRC64NVME catches it.
  ASSERT_TRUE(sandbox.set_faults(R"({"service":"s3","operation":"UploadPart","kind":"corrupt_body","count":1})"));
  const auto since = sandbox.requests();
  ASSERT_TRUE(since);
  const std::int64_t mark = since->empty() ? 0 : since->back().id;
  Stager stager(config);
  auto staged = stager.stage(inputs(), uri("flipped.tar"), stage_options());
  ASSERT_TRUE(sandbox.clear_faults());
  ASSERT_TRUE(staged) << staged.error().to_string();
  auto log = sandbox.requests(mark);
  ASSERT_TRUE(log);
  int refused = 0, parts = 0;
  for (const auto& r : *log) {
    if (r.operation != "UploadPart") continue;
    ++parts;
    if (r.error_code == "BadDigest") {
      EXPECT_EQ(r.fault, "corrupt_body");
      ++refused;
    }
  }
  EXPECT_EQ(refused, 1) << "the corrupted part was refused once";
  EXPECT_EQ(parts, staged->parts + 1) << "and sent once more";
  auto out = tmp / "out";
  auto unstaged = stager.unstage(uri("flipped.tar"), out.string(), unstage_options());
  ASSERT_TRUE(unstaged) << unstaged.error().to_string();
  EXPECT_EQ(unstaged->archive_crc64nvme, staged->archive_crc64nvme);
  EXPECT_EQ(tree(out), tree(tmp / "src"));
}

TEST_F(StageTest, AWrongWholeObjectChecksumFailsTheCompletionAndTheUploadIsAborted) {
  // S3 itself (the sandbox) refuses a whole-object value that is not the parts' bytes'.
  s3::S3Client client(config);
  auto upload = client.create_multipart_upload(
      {.bucket = bucket, .key = "whole.bin", .checksum = s3::ChecksumAlgorithm::kCrc64Nvme});
  ASSERT_TRUE(upload) << upload.error().to_string();
  const std::string bytes = random_bytes(5 * MiB, 3);
  auto part = client.upload_part({.bucket = bucket, .key = "whole.bin", .upload_id = upload->upload_id,
                                  .part_number = 1, .body = bytes, .checksum = s3::ChecksumAlgorithm::kCrc64Nvme});
  ASSERT_TRUE(part) << part.error().to_string();
  EXPECT_EQ(part->checksum, internal::crc64nvme_base64(internal::crc64nvme(bytes)));
  auto wrong = *upload;
  wrong.full_object_checksum = internal::crc64nvme_base64(internal::crc64nvme(bytes) ^ 1);
  auto refused = client.complete_multipart_upload(wrong, {*part});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "BadDigest") << refused.error().to_string();
  EXPECT_EQ(open_uploads(), 1u) << "S3 keeps the upload; the transfer manager aborts it";
  // Left empty, the value is combined from the part's: accepted.
  auto done = client.complete_multipart_upload(*upload, {*part});
  ASSERT_TRUE(done) << done.error().to_string();
  EXPECT_EQ(done->checksum, part->checksum);

  // Through stage: a completion S3 refuses fails the stage with S3's error, and the upload is
  // aborted (nothing billed, nothing half-made under the key).
  make_dataset();
  ASSERT_TRUE(sandbox.set_faults(
      R"({"service":"s3","operation":"CompleteMultipartUpload","kind":"error","code":"BadDigest","status":400,"count":1})"));
  auto staged = Stager(config).stage(inputs(), uri("refused.tar"), stage_options());
  ASSERT_TRUE(sandbox.clear_faults());
  ASSERT_FALSE(staged);
  EXPECT_EQ(staged.error().code, "BadDigest") << staged.error().to_string();
  EXPECT_NE(staged.error().message.find("aborted"), std::string::npos) << staged.error().message;
  EXPECT_EQ(open_uploads(), 0u);
  for (const auto& k : keys()) EXPECT_EQ(k.rfind("refused.tar", 0), std::string::npos) << k;
}

TEST_F(StageTest, BytesChangedInS3AfterStagingFailUnstage) {
  make_dataset();
  Stager stager(config);
  auto staged = stager.stage(inputs(), uri("rot.tar"), stage_options());
  ASSERT_TRUE(staged) << staged.error().to_string();
  // One stored byte changed behind S3's back (bit rot, a bad copy): the recorded checksum stays.
  ASSERT_TRUE(sandbox.control("POST", "/_sandbox/services/s3/tamper",
                              "{\"bucket\":\"" + bucket + "\",\"key\":\"rot.tar\",\"offset\":" +
                                  std::to_string(staged->archive_bytes / 2) + "}"));
  const auto target = tmp / "rotted";
  auto r = stager.unstage(uri("rot.tar"), target.string(), unstage_options());
  ASSERT_FALSE(r) << "a changed archive was accepted";
  EXPECT_TRUE(r.error().code == "ChecksumMismatch" || r.error().code == "ManifestMismatch") << r.error().to_string();
  EXPECT_NE(r.error().message.find("CRC64NVME"), std::string::npos) << r.error().message;
  EXPECT_FALSE(std::filesystem::exists(target / "dataset")) << "nothing unverified was left in the target";
}

// Unstage leaves the archive's CRC to the download when S3's full-object CRC64NVME (read at
// its first HeadObject) is the manifest's. A download that then did not check it (here S3
// answers the download's own HeadObject without checksums) is not taken as verified.
TEST_F(StageTest, ADownloadThatDidNotCheckS3sCrcIsNotTakenAsVerified) {
  make_dataset();
  Stager stager(config);
  auto staged = stager.stage(inputs(), uri("unchecked.tar"), stage_options());
  ASSERT_TRUE(staged) << staged.error().to_string();
  const auto since = sandbox.requests();
  ASSERT_TRUE(since);
  const std::int64_t mark = since->empty() ? 0 : since->back().id;
  ASSERT_TRUE(sandbox.set_faults(
      R"({"service":"s3","operation":"HeadObject","kind":"drop_checksum","skip":1,"count":1})"));
  const auto target = tmp / "unchecked";
  auto r = stager.unstage(uri("unchecked.tar"), target.string(), unstage_options());
  ASSERT_TRUE(sandbox.clear_faults());
  ASSERT_FALSE(r) << "bytes no checksum covered were accepted";
  EXPECT_EQ(r.error().code, "ArchiveNotVerified") << r.error().to_string();
  EXPECT_NE(r.error().message.find(uri("unchecked.tar")), std::string::npos) << r.error().message;
  EXPECT_FALSE(std::filesystem::exists(target / "dataset")) << "nothing unverified was left in the target";
  // The fault hit the download's HeadObject, the second one.
  auto log = sandbox.requests(mark);
  ASSERT_TRUE(log);
  std::vector<std::string> heads;
  for (const auto& e : *log)
    if (e.operation == "HeadObject") heads.push_back(e.fault);
  EXPECT_EQ(heads, (std::vector<std::string>{"", "drop_checksum"}));
  // Answered whole again, the same archive unstages.
  auto again = stager.unstage(uri("unchecked.tar"), target.string(), unstage_options());
  ASSERT_TRUE(again) << again.error().to_string();
  EXPECT_EQ(tree(target), tree(tmp / "src"));
}

TEST_F(StageTest, AnOldSha256OnlyManifestStillUnstages) {
  make_dataset();
  auto so = stage_options();
  so.sha256 = true;
  Stager stager(config);
  auto staged = stager.stage(inputs(), uri("old.tar"), so);
  ASSERT_TRUE(staged) << staged.error().to_string();
  ASSERT_EQ(staged->archive_sha256.size(), 64u);
  // The manifest a stage of an older libawsdl wrote: version 1, SHA-256 only.
  const std::string text = sidecar("old.tar");
  auto m = internal::parse_manifest(text.substr(0, text.size() - 1));
  ASSERT_TRUE(m) << m.error().to_string();
  m->version = 1;
  m->archive_crc64nvme.clear();
  const std::string old = internal::serialize_manifest(*m);
  ASSERT_EQ(old.rfind("v1;", 0), 0u) << old;
  write_sidecar("old.tar", old + "\n", staged->stage_id);
  auto out = tmp / "out";
  auto unstaged = stager.unstage(uri("old.tar"), out.string(), unstage_options());
  ASSERT_TRUE(unstaged) << unstaged.error().to_string();
  EXPECT_TRUE(unstaged->manifest_verified);
  EXPECT_EQ(unstaged->archive_sha256, staged->archive_sha256);
  EXPECT_EQ(tree(out), tree(tmp / "src"));
  // And a changed SHA-256 in it is still caught.
  m->archive_sha256[5] = m->archive_sha256[5] == 'a' ? 'b' : 'a';
  write_sidecar("old.tar", internal::serialize_manifest(*m) + "\n", staged->stage_id);
  auto bad = stager.unstage(uri("old.tar"), (tmp / "out2").string(), unstage_options());
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, "ManifestMismatch");
  EXPECT_NE(bad.error().message.find("SHA-256"), std::string::npos) << bad.error().message;
}

}  // namespace
