// `awsdl-cluster stage` and `awsdl-cluster unstage` run as programs against the sandbox:
// a round trip with the flags, plain progress lines when stderr is not a terminal, JSON
// output, exit codes 0/1/2 with clear messages, and --help with examples.

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <unistd.h>

#include <signal.h>

#include <atomic>
#include <filesystem>
#include <random>
#include <string>
#include <thread>

#include "awsdl/s3/client.hpp"
#include "support/run_process.hpp"
#include "support/sandbox.hpp"
#include "support/tar_test_support.hpp"

namespace {

using namespace awsdl;
using namespace awsdl::testing_support;
using testsupport::Sandbox;
namespace fs = std::filesystem;

const std::string kBinary = std::string(AWSDL_BINARY_DIR) + "/examples/cluster/awsdl-cluster";

class StageCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(sandbox.ok()) << sandbox.error();
    ASSERT_TRUE(fs::exists(kBinary)) << kBinary << " is not built";
    bucket = "stagecli-" + std::to_string(std::random_device{}() % 100000000);
    ASSERT_TRUE(s3::S3Client(sandbox.config()).create_bucket({bucket}));
    write_file(tmp / "src" / "data" / "a.txt", "alpha\n");
    write_file(tmp / "src" / "data" / "deep" / "er" / "b.bin", random_bytes(6 * 1024 * 1024 + 3, 1));
    write_file(tmp / "src" / "data" / "run.sh", "#!/bin/sh\n", 0755);
    fs::create_symlink("a.txt", tmp / "src" / "data" / "link");
    write_file(tmp / "src" / "weights.npz", random_bytes(3 * 1024 * 1024, 2));
  }

  // Nothing from the test's own environment leaks in: no ~/.aws, no IMDS.
  std::map<std::string, std::string> env() const { return Sandbox::cli_env(tmp.path().string()); }
  testsupport::ProcessResult cli(std::vector<std::string> args) const {
    args.push_back("--endpoint-url");
    args.push_back(sandbox.endpoint());
    return testsupport::run_process(kBinary, args, env(), std::chrono::seconds(120));
  }
  std::string uri(const std::string& key) const { return "s3://" + bucket + "/" + key; }

  Sandbox sandbox;
  std::string bucket;
  ScratchDir tmp;
};

TEST_F(StageCliTest, StageThenUnstageRoundTrips) {
  auto staged = cli({"stage", "--part-size", "5MiB", "--concurrency", "3", (tmp / "src" / "data").string(),
                     (tmp / "src" / "weights.npz").string(), uri("set.tar")});
  ASSERT_EQ(staged.exit_code, 0) << staged.out << staged.err;
  EXPECT_NE(staged.out.find("staged 4 files"), std::string::npos) << staged.out;
  EXPECT_NE(staged.out.find(uri("set.tar")), std::string::npos) << staged.out;
  EXPECT_NE(staged.out.find("in 2 parts"), std::string::npos) << staged.out;
  // Not a terminal: plain lines, no carriage returns redrawing a bar.
  EXPECT_NE(staged.err.find("staging: 100.0%"), std::string::npos) << staged.err;
  EXPECT_EQ(staged.err.find('\r'), std::string::npos) << staged.err;

  auto unstaged = cli({"unstage", "--concurrency", "2", "--part-size", "5M", uri("set.tar"), (tmp / "out").string()});
  ASSERT_EQ(unstaged.exit_code, 0) << unstaged.out << unstaged.err;
  EXPECT_NE(unstaged.out.find("unstaged 4 files"), std::string::npos) << unstaged.out;
  EXPECT_NE(unstaged.out.find("manifest verified"), std::string::npos) << unstaged.out;
  EXPECT_EQ(read_file(tmp / "out" / "data" / "deep" / "er" / "b.bin"),
            read_file(tmp / "src" / "data" / "deep" / "er" / "b.bin"));
  EXPECT_EQ(read_file(tmp / "out" / "weights.npz"), read_file(tmp / "src" / "weights.npz"));
  EXPECT_EQ(fs::read_symlink(tmp / "out" / "data" / "link"), "a.txt");
  EXPECT_EQ(fs::status(tmp / "out" / "data" / "run.sh").permissions() & fs::perms::owner_exec, fs::perms::owner_exec);
}

TEST_F(StageCliTest, JsonOutputAndCompression) {
  auto staged = cli({"stage", "--compress", "gzip", "--quiet", "--output", "json", (tmp / "src" / "data").string(),
                     uri("set.tar.gz")});
  ASSERT_EQ(staged.exit_code, 0) << staged.out << staged.err;
  EXPECT_TRUE(staged.err.empty()) << staged.err;  // --quiet
  rapidjson::Document doc;
  doc.Parse(staged.out.c_str());
  ASSERT_FALSE(doc.HasParseError()) << staged.out;
  EXPECT_EQ(std::string(doc["compression"].GetString()), "gzip");
  EXPECT_EQ(doc["files"].GetUint64(), 3u);
  const std::string crc = doc["crc64nvme"].GetString();
  EXPECT_EQ(crc.size(), 16u);
  EXPECT_EQ(std::string(doc["sha256"].GetString()), "") << "only with --sha256";

  auto unstaged = cli({"unstage", "--quiet", "--output", "json", uri("set.tar.gz"), (tmp / "out").string()});
  ASSERT_EQ(unstaged.exit_code, 0) << unstaged.out << unstaged.err;
  rapidjson::Document u;
  u.Parse(unstaged.out.c_str());
  ASSERT_FALSE(u.HasParseError()) << unstaged.out;
  EXPECT_EQ(std::string(u["crc64nvme"].GetString()), crc);
  EXPECT_TRUE(u["verified"].GetBool());
  EXPECT_EQ(read_file(tmp / "out" / "data" / "a.txt"), "alpha\n");
}

TEST_F(StageCliTest, UsageErrorsExitTwo) {
  const std::vector<std::vector<std::string>> bad = {
      {"stage", uri("only-a-destination.tar")},
      {"stage", "--part-size", "lots", (tmp / "src").string(), uri("x.tar")},
      {"stage", "--part-size", "1MiB", (tmp / "src").string(), uri("x.tar")},
      {"stage", "--concurrency", "0", (tmp / "src").string(), uri("x.tar")},
      {"stage", "--compress", "bzip2", (tmp / "src").string(), uri("x.tar")},
      {"stage", (tmp / "src").string(), "s3://" + bucket + "/"},
      {"unstage", uri("x.tar")},
      {"unstage", "--bogus", uri("x.tar"), (tmp / "out").string()},
  };
  for (const auto& args : bad) {
    SCOPED_TRACE(args[1]);
    auto r = cli(args);
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_NE(r.err.find("error: "), std::string::npos) << r.err;
  }
}

TEST_F(StageCliTest, FailuresExitOneWithAClearMessage) {
  auto missing_input = cli({"stage", (tmp / "nope").string(), uri("x.tar")});
  EXPECT_EQ(missing_input.exit_code, 1) << missing_input.err;
  EXPECT_NE(missing_input.err.find("nope"), std::string::npos) << missing_input.err;

  auto missing_object = cli({"unstage", uri("never-staged.tar"), (tmp / "out").string()});
  EXPECT_EQ(missing_object.exit_code, 1) << missing_object.err;
  EXPECT_NE(missing_object.err.find("ManifestNotFound"), std::string::npos) << missing_object.err;
  // The library's next step in this program's words: its flag for an unverified extraction.
  EXPECT_NE(missing_object.err.find("next: if you trust it, extract it without verification with "
                                    "`awsdl-cluster unstage --no-verify " + uri("never-staged.tar")),
            std::string::npos)
      << missing_object.err;
  EXPECT_FALSE(fs::exists(tmp / "out"));

  auto no_bucket = cli({"stage", (tmp / "src").string(), "s3://no-such-bucket-for-stage-cli/x.tar"});
  EXPECT_EQ(no_bucket.exit_code, 1) << no_bucket.err;
  EXPECT_NE(no_bucket.err.find("NoSuchBucket"), std::string::npos) << no_bucket.err;
  EXPECT_EQ(no_bucket.err.find(Sandbox::kSecretAccessKey), std::string::npos);
}

// Ctrl-C or SIGTERM in the middle of `stage`: the program stops, keeps its multipart upload for
// --resume, says so and how to drop it (awsdl-cluster gc), and ends by the signal (the shell's
// 130 / 143); no object is written. Both ways out that it names work.
class StageCliInterruptTest : public StageCliTest {
 protected:
  // Runs `stage` (signed with the other example key, which the faults are scoped to) and
  // calls `interrupt(pid)` from another thread once the upload has parts on S3.
  testsupport::ProcessResult stage_interrupted(const std::string& faults, const std::function<void(pid_t)>& interrupt) {
    write_file(tmp / "src" / "data" / "big.bin", random_bytes(40 * 1024 * 1024, 9));
    const std::string scope = std::string(R"("access_key_id":")") + Sandbox::kOtherAccessKeyId + R"(",)";
    std::string scoped = faults;
    for (std::size_t at = 0; (at = scoped.find("\"kind\"", at)) != std::string::npos; at += scope.size() + 6)
      scoped.insert(at, scope);
    EXPECT_TRUE(sandbox.set_faults(scoped));
    auto e = env();
    e["AWS_ACCESS_KEY_ID"] = Sandbox::kOtherAccessKeyId;
    e["AWS_SECRET_ACCESS_KEY"] = Sandbox::kOtherSecretAccessKey;
    std::atomic<pid_t> pid{0};
    std::atomic<bool> done{false};
    std::thread watcher([&] {
      s3::S3Client client(sandbox.config());
      for (int i = 0; i < 1500 && !done; ++i) {  // 30 s at most
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        if (pid == 0) continue;
        auto uploads = client.list_multipart_uploads({.bucket = bucket});
        if (!uploads || uploads->uploads.empty()) continue;
        auto parts = client.list_parts(uploads->uploads.front());
        if (!parts || parts->parts.size() < 2) continue;
        interrupt(pid);
        return;
      }
    });
    auto r = testsupport::run_process(
        kBinary,
        {"stage", "--part-size", "5MiB", "--concurrency", "2", (tmp / "src" / "data").string(), uri("big.tar"),
         "--endpoint-url", sandbox.endpoint()},
        e, std::chrono::seconds(60), {}, [&](pid_t p) { pid = p; });
    done = true;
    watcher.join();
    EXPECT_TRUE(sandbox.clear_faults());
    return r;
  }
  std::size_t open_uploads() const {
    auto r = s3::S3Client(sandbox.config()).list_multipart_uploads({.bucket = bucket});
    EXPECT_TRUE(r);
    return r ? r->uploads.size() : 999;
  }
  std::size_t objects() const {
    auto r = s3::S3Client(sandbox.config()).list_all_objects(bucket, "");
    EXPECT_TRUE(r);
    return r ? r->size() : 999;
  }
};

TEST_F(StageCliInterruptTest, SigintAndSigtermKeepTheUploadForResumeAndSaySo) {
  const std::string drop = "awsdl-cluster gc --bucket " + bucket + " --prefix big.tar --older-than 1s";
  for (int sig : {SIGINT, SIGTERM}) {
    SCOPED_TRACE(sig == SIGINT ? "SIGINT" : "SIGTERM");
    auto r = stage_interrupted(R"([{"service":"s3","operation":"UploadPart","kind":"delay","delay_ms":300,"count":null}])",
                               [sig](pid_t pid) { ::kill(pid, sig); });
    EXPECT_EQ(r.term_signal, sig) << "exit " << r.exit_code << "\n" << r.err;  // the shell shows 128 + sig
    EXPECT_NE(r.err.find("interrupted: stopping; the multipart upload to " + uri("big.tar") + " is kept for --resume"),
              std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("left in place for a resume"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("kept: the multipart upload of " + uri("big.tar") + " stays for a resume"), std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("or drop it with `" + drop + "`"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find(Sandbox::kSecretAccessKey), std::string::npos);
    // What was said is true: the upload is there, no object yet.
    EXPECT_EQ(open_uploads(), 1u);
    EXPECT_EQ(objects(), 0u);
    if (sig == SIGINT) {
      // Dropped with the command the message gives.
      std::this_thread::sleep_for(std::chrono::milliseconds(1100));
      auto gc = cli({"gc", "--yes", "--bucket", bucket, "--prefix", "big.tar", "--older-than", "1s", "--state-root",
                     (tmp / "no-state").string()});
      EXPECT_EQ(gc.exit_code, 0) << gc.out << gc.err;
      EXPECT_NE(gc.out.find("removed 1 leftover"), std::string::npos) << gc.out;
      EXPECT_EQ(open_uploads(), 0u);
    } else {
      // Or finished with --resume, reusing the parts it had.
      auto resumed = cli({"stage", "--resume", "--part-size", "5MiB", (tmp / "src" / "data").string(), uri("big.tar")});
      EXPECT_EQ(resumed.exit_code, 0) << resumed.out << resumed.err;
      EXPECT_NE(resumed.out.find("resumed: "), std::string::npos) << resumed.out;
      EXPECT_EQ(open_uploads(), 0u);
      EXPECT_GE(objects(), 1u);
    }
  }
}

TEST_F(StageCliInterruptTest, ASecondInterruptSaysWhatMayBeLeft) {
  // Nothing is cleaned up on cancellation (the upload is kept), so the program ends quickly:
  // the second Ctrl-C comes right after the first, while the parts in flight are cut off.
  auto r = stage_interrupted(R"([{"service":"s3","operation":"UploadPart","kind":"delay","delay_ms":3000,"count":null}])",
                             [](pid_t pid) {
                               ::kill(pid, SIGINT);
                               std::this_thread::sleep_for(std::chrono::milliseconds(5));
                               ::kill(pid, SIGINT);
                             });
  EXPECT_EQ(r.term_signal, SIGINT) << "exit " << r.exit_code << "\n" << r.err;
  EXPECT_NE(r.err.find("interrupted again"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("multipart upload of " + uri("big.tar") + " may be left"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--resume"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("awsdl-cluster gc --bucket " + bucket), std::string::npos) << r.err;
  // Clean up for the next test: the upload was kept.
  s3::S3Client client(sandbox.config());
  for (int i = 0; i < 100 && open_uploads() > 0; ++i) {
    auto up = client.list_multipart_uploads({.bucket = bucket});
    if (up)
      for (const auto& u : up->uploads) (void)client.abort_multipart_upload(u);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

TEST_F(StageCliTest, HelpShowsUsageAndExamples) {
  for (const std::string cmd : {"stage", "unstage"}) {
    auto r = testsupport::run_process(kBinary, {cmd, "--help"}, env());
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("awsdl-cluster " + cmd + " [options]"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("--part-size"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("--concurrency"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("--endpoint-url"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("s3://team-bucket/"), std::string::npos) << r.out;
  }
  auto r = testsupport::run_process(kBinary, {"stage", "--help"}, env());
  EXPECT_NE(r.out.find("--compress"), std::string::npos) << r.out;
}

}  // namespace
