// A stage killed mid-upload (SIGKILL, so nothing is cleaned up) is finished by
// `awsdl-cluster stage --resume`: the archive is produced again, the parts S3 already holds
// are checked and kept, the rest is sent, and the object is byte-identical to the archive of
// the inputs, with no multipart upload left behind.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <random>
#include <string>
#include <thread>

#include "awsdl/s3/client.hpp"
#include "util/crc64nvme.hpp"
#include "util/crypto.hpp"
#include "stage/tar_writer.hpp"
#include "support/run_process.hpp"
#include "support/sandbox.hpp"
#include "support/tar_test_support.hpp"

namespace {

using namespace awsdl;
using namespace awsdl::testing_support;
using testsupport::Sandbox;
namespace fs = std::filesystem;

const std::string kBinary = std::string(AWSDL_BINARY_DIR) + "/examples/cluster/awsdl-cluster";
constexpr std::uint64_t kMiB = 1024 * 1024;

class StageResumeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(sandbox.ok()) << sandbox.error();
    ASSERT_TRUE(fs::exists(kBinary)) << kBinary << " is not built";
    bucket = "resume-" + std::to_string(std::random_device{}() % 100000000);
    ASSERT_TRUE(s3().create_bucket({bucket}));
    // About 24 MiB of incompressible data: five 5 MiB parts.
    for (int i = 0; i < 4; ++i)
      write_file(tmp / "src" / "data" / ("f" + std::to_string(i) + ".bin"),
                 random_bytes(6 * kMiB + 1000 * static_cast<std::size_t>(i), 10 + static_cast<unsigned>(i)));
    write_file(tmp / "src" / "data" / "small.txt", "small\n");
  }
  void TearDown() override { (void)sandbox.clear_faults(); }

  // The other example key, so that the slow-upload fault below touches no other test.
  s3::S3Client s3() const {
    return s3::S3Client(sandbox.config(Sandbox::kOtherAccessKeyId, Sandbox::kOtherSecretAccessKey));
  }
  std::vector<std::string> env() const {
    return {"PATH=/usr/bin:/bin",
            "HOME=" + tmp.path().string(),
            "AWS_CONFIG_FILE=" + (tmp / "no-config").string(),
            "AWS_SHARED_CREDENTIALS_FILE=" + (tmp / "no-credentials").string(),
            "AWS_EC2_METADATA_DISABLED=true",
            std::string("AWS_ACCESS_KEY_ID=") + Sandbox::kOtherAccessKeyId,
            std::string("AWS_SECRET_ACCESS_KEY=") + Sandbox::kOtherSecretAccessKey,
            std::string("AWS_REGION=") + Sandbox::kRegion};
  }
  std::vector<std::string> stage_args(bool resume) const {
    std::vector<std::string> a{"stage", "--quiet", "--part-size", "5MiB", "--concurrency", "1"};
    if (resume) a.push_back("--resume");
    a.insert(a.end(), {(tmp / "src" / "data").string(), "s3://" + bucket + "/set.tar", "--endpoint-url",
                       sandbox.endpoint()});
    return a;
  }

  // Starts the CLI with its output going to files; returns its pid.
  pid_t spawn(const std::vector<std::string>& args) const {
    std::vector<std::string> argv_s{kBinary};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<std::string> env_s = env();
    std::vector<char*> argv, envp;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto& e : env_s) envp.push_back(e.data());
    envp.push_back(nullptr);
    const std::string out = (tmp / "killed.out").string();
    pid_t pid = ::fork();
    if (pid == 0) {
      int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
      }
      ::execve(kBinary.c_str(), argv.data(), envp.data());
      ::_exit(127);
    }
    return pid;
  }

  // Parts of the key's in-progress multipart upload (0 while there is none).
  std::size_t uploaded_parts() const {
    auto uploads = s3().list_multipart_uploads({.bucket = bucket});
    if (!uploads || uploads->uploads.empty()) return 0;
    auto parts = s3().list_all_parts(uploads->uploads.front());
    return parts ? parts->size() : 0;
  }

  // The archive of the same inputs, made in memory: the stage format is deterministic.
  std::string expected_archive() const {
    auto writer = internal::TarWriter::open({tmp / "src" / "data"});
    EXPECT_TRUE(writer) << writer.error().to_string();
    std::string out;
    if (!writer) return out;
    std::string buf(kMiB, '\0');
    for (int i = 0; i < 100000; ++i) {
      auto n = writer->read(buf.data(), buf.size());
      EXPECT_TRUE(n) << n.error().to_string();
      if (!n || *n == 0) break;
      out.append(buf.data(), *n);
    }
    return out;
  }

  Sandbox sandbox;
  std::string bucket;
  ScratchDir tmp;
};

TEST_F(StageResumeTest, KilledStageResumesWithOnlyTheMissingParts) {
  // Slow parts, so that the kill lands mid-upload.
  ASSERT_TRUE(sandbox.set_faults(std::string(R"([{"service":"s3","operation":"UploadPart","kind":"delay",)") +
                                 R"("delay_ms":400,"count":null,"access_key_id":")" + Sandbox::kOtherAccessKeyId +
                                 R"("}])"));
  const pid_t pid = spawn(stage_args(false));
  ASSERT_GT(pid, 0);
  std::size_t parts_before_kill = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    parts_before_kill = uploaded_parts();
    if (parts_before_kill >= 2) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::kill(pid, SIGKILL);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the stage finished before it could be killed: " << read_file(tmp / "killed.out");
  ASSERT_GE(parts_before_kill, 2u);
  ASSERT_TRUE(sandbox.clear_faults());

  // Killed: the upload is still there, the object is not.
  auto uploads = s3().list_multipart_uploads({.bucket = bucket});
  ASSERT_TRUE(uploads) << uploads.error().to_string();
  ASSERT_EQ(uploads->uploads.size(), 1u);
  const std::size_t parts_kept = uploaded_parts();
  EXPECT_FALSE(s3().head_object({.bucket = bucket, .key = "set.tar"}));

  std::map<std::string, std::string> env_map;
  for (const auto& e : env()) env_map[e.substr(0, e.find('='))] = e.substr(e.find('=') + 1);
  auto args = stage_args(true);
  args.push_back("--output");
  args.push_back("json");
  auto resumed = testsupport::run_process(kBinary, args, env_map, std::chrono::seconds(120));
  ASSERT_EQ(resumed.exit_code, 0) << resumed.out << resumed.err;
  EXPECT_NE(resumed.out.find("\"parts\":5,"), std::string::npos) << resumed.out;
  EXPECT_NE(resumed.out.find("\"parts_reused\":" + std::to_string(parts_kept) + ","), std::string::npos)
      << resumed.out << " (parts kept: " << parts_kept << ")";

  // Nothing left behind, and the object is the archive, byte for byte.
  auto after = s3().list_multipart_uploads({.bucket = bucket});
  ASSERT_TRUE(after) << after.error().to_string();
  EXPECT_TRUE(after->uploads.empty());
  auto object = s3().get_object({.bucket = bucket, .key = "set.tar", .max_bytes = 256u << 20});
  ASSERT_TRUE(object) << object.error().to_string();
  const std::string expected = expected_archive();
  ASSERT_EQ(object->body.size(), expected.size());
  EXPECT_TRUE(object->body == expected) << "the resumed archive differs from the inputs' archive";
  EXPECT_NE(resumed.out.find(internal::crc64nvme_hex(internal::crc64nvme(expected))), std::string::npos) << resumed.out;

  // The manifest written by the resumed run matches the archive's stage id: unstage verifies.
  auto unstaged = testsupport::run_process(
      kBinary, {"unstage", "--quiet", "s3://" + bucket + "/set.tar", (tmp / "out").string(), "--endpoint-url",
                sandbox.endpoint()},
      env_map, std::chrono::seconds(120));
  ASSERT_EQ(unstaged.exit_code, 0) << unstaged.out << unstaged.err;
  EXPECT_NE(unstaged.out.find("manifest verified"), std::string::npos) << unstaged.out;
  EXPECT_EQ(read_file(tmp / "out" / "data" / "f2.bin"), read_file(tmp / "src" / "data" / "f2.bin"));
}

TEST_F(StageResumeTest, ResumeSendsAgainThePartsOfAChangedInput) {
  // An interrupted upload of other bytes under the key: nothing of it may end up in the object.
  const std::string stale = random_bytes(12 * kMiB, 99);
  auto created = s3().create_multipart_upload(
      {.bucket = bucket, .key = "set.tar", .attributes = {.metadata = {{"awsdl-stage-id", "0123abcd"}}},
       .checksum = s3::ChecksumAlgorithm::kSha256});
  ASSERT_TRUE(created) << created.error().to_string();
  for (int n = 1; n <= 2; ++n) {
    auto part = s3().upload_part({.bucket = bucket, .key = "set.tar", .upload_id = created->upload_id,
                                  .part_number = n, .body = std::string_view(stale).substr((n - 1) * 5 * kMiB, 5 * kMiB),
                                  .checksum = s3::ChecksumAlgorithm::kSha256});
    ASSERT_TRUE(part) << part.error().to_string();
  }
  std::map<std::string, std::string> env_map;
  for (const auto& e : env()) env_map[e.substr(0, e.find('='))] = e.substr(e.find('=') + 1);
  auto args = stage_args(true);
  args.insert(args.end(), {"--output", "json"});
  auto resumed = testsupport::run_process(kBinary, args, env_map, std::chrono::seconds(120));
  ASSERT_EQ(resumed.exit_code, 0) << resumed.out << resumed.err;
  EXPECT_NE(resumed.out.find("\"parts_reused\":0,"), std::string::npos) << resumed.out;
  auto object = s3().get_object({.bucket = bucket, .key = "set.tar", .max_bytes = 256u << 20});
  ASSERT_TRUE(object) << object.error().to_string();
  EXPECT_TRUE(object->body == expected_archive());
  auto after = s3().list_multipart_uploads({.bucket = bucket});
  ASSERT_TRUE(after);
  EXPECT_TRUE(after->uploads.empty());
}

}  // namespace
