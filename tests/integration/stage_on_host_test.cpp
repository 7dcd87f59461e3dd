// Stager::unstage_on against the sandbox and a real OpenSSH node on loopback: awsdl-unpack is
// copied to the node (once), fetches parallel ranges of a presigned URL with curl and extracts
// them there; the tree must come out identical and verified. Then the failures: ranges that
// fail and are fetched again, ranges that keep failing, a hostile archive, a manifest the
// node's result does not match, cancellation (no process left on the node), a bad helper. And
// awsdl-unpack on its own: usage errors, a missing curl, a bad URL.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <optional>
#include <random>
#include <string>
#include <thread>

#include "awsdl/s3/client.hpp"
#include "awsdl/ssh/quote.hpp"
#include "awsdl/ssh/session.hpp"
#include "awsdl/stage/stager.hpp"
#include "support/gzip_bomb.hpp"
#include "support/run_process.hpp"
#include "support/sandbox.hpp"
#include "support/server_clock.hpp"
#include "support/ssh_nodes.hpp"
#include "support/stage_test_support.hpp"
#include "support/tar_test_support.hpp"
#include "stage/manifest.hpp"
#include "util/crypto.hpp"

namespace {

using namespace awsdl;
using namespace awsdl::testing_support;
using awsdl::stage::Stager;
using awsdl_test::ssh_nodes;

constexpr std::uint64_t MiB = 1024 * 1024;
const char* const kHelper = AWSDL_BINARY_DIR "/tools/unpack/awsdl-unpack";

[[maybe_unused]] auto* const kEnv = ::testing::AddGlobalTestEnvironment(new awsdl_test::SshNodesEnvironment(1, 0));

class StageOnHostTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(sandbox.ok()) << sandbox.error();
    AWSDL_REQUIRE_SSH_NODES();
    config = sandbox.config();
    config.retry.base_delay = Millis(10);
    // Faults are scoped to the other example key: the URL the node uses is signed with it.
    other = sandbox.config(testsupport::Sandbox::kOtherAccessKeyId, testsupport::Sandbox::kOtherSecretAccessKey);
    bucket = "stage-on-" + std::to_string(std::random_device{}() % 100000000);
    ASSERT_TRUE(s3::S3Client(config).create_bucket({bucket}));

    ssh::SessionOptions so;
    so.user = "root";
    so.identity_files = {ssh_nodes().key};
    so.use_agent = false;
    so.known_hosts = (tmp / "known_hosts").string();
    so.connect_timeout = std::chrono::seconds(20);
    auto s = ssh::Session::connect(*ssh::parse_target(ssh_nodes().nodes.at(0).address), so);
    ASSERT_TRUE(s) << s.error().to_string();
    session.emplace(std::move(s).value());
  }
  void TearDown() override { (void)sandbox.clear_faults(); }

  // A tree with a few multi-range files, staged.
  void stage_dataset(const std::string& key, bool sha256 = false) {
    make_rich_tree(tmp / "src" / "dataset");
    for (int i = 0; i < 3; ++i)
      write_file(tmp / "src" / "dataset" / ("big" + std::to_string(i) + ".bin"), random_bytes(2 * MiB + 999 * i, 7 + i));
    stage::StageOptions so;
    so.part_size = 5 * MiB;
    so.sha256 = sha256;
    auto staged = Stager(config).stage({(tmp / "src" / "dataset").string()}, uri(key), so);
    ASSERT_TRUE(staged) << staged.error().to_string();
  }
  std::string uri(const std::string& key) const { return "s3://" + bucket + "/" + key; }
  static stage::UnstageOptions options() {
    stage::UnstageOptions o;
    o.part_size = 1 * MiB;
    o.concurrency = 3;
    return o;
  }
  // Options whose progress callback injects `rules` (scoped to the other key) once the node's
  // download has begun: earlier, the checks made here (the manifest's GET) would meet them.
  stage::UnstageOptions faulting_options(const std::string& rules, std::function<void()> then = {}) {
    auto o = options();
    o.on_progress = [this, rules, then, set = false](const stage::UnstageProgress&) mutable {
      if (set) return;
      set = true;
      const std::string scope = std::string("\"access_key_id\":\"") + testsupport::Sandbox::kOtherAccessKeyId + "\",";
      std::string scoped = rules;
      for (std::size_t at = 0; (at = scoped.find("\"kind\"", at)) != std::string::npos; at += scope.size() + 6)
        scoped.insert(at, scope);
      EXPECT_TRUE(sandbox.set_faults(scoped));
      if (then) then();
    };
    return o;
  }
  std::string on_node(const std::string& command) {
    auto r = session->exec(command);
    EXPECT_TRUE(r) << r.error().to_string();
    return r ? r->out : std::string();
  }

  testsupport::Sandbox sandbox;
  Config config, other;
  std::string bucket;
  ScratchDir tmp;
  std::optional<ssh::Session> session;
};

TEST_F(StageOnHostTest, ExtractsOnTheHostIdenticallyAndCopiesTheProgramOnce) {
  stage_dataset("data.tar");
  auto o = options();
  std::uint64_t last = 0, calls = 0, total = 0;
  o.on_progress = [&](const stage::UnstageProgress& p) {
    EXPECT_GE(p.bytes_done, last);
    last = p.bytes_done;
    total = p.bytes_total;
    ++calls;
  };
  const auto out = tmp / "on-node";
  auto r = Stager(config).unstage_on(*session, uri("data.tar"), out.string(), o);
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_TRUE(r->manifest_verified);
  const auto source = tree(tmp / "src" / "dataset");
  EXPECT_EQ(r->files, static_cast<std::uint64_t>(std::count_if(source.begin(), source.end(), [](const auto& e) {
              return e.second.rfind("file", 0) == 0;
            })));
  EXPECT_GT(r->archive_bytes, 6 * MiB);  // several ranges
  EXPECT_EQ(r->archive_crc64nvme.size(), 16u);
  EXPECT_TRUE(r->archive_sha256.empty()) << "the manifest has no SHA-256: the node computed none";
  EXPECT_EQ(tree(out / "dataset"), tree(tmp / "src" / "dataset"));
  EXPECT_GE(calls, 1u);
  EXPECT_EQ(last, r->archive_bytes);
  EXPECT_EQ(total, r->archive_bytes);

  // The same result as unstage() here.
  auto local = Stager(config).unstage(uri("data.tar"), (tmp / "local").string(), options());
  ASSERT_TRUE(local) << local.error().to_string();
  EXPECT_EQ(local->archive_sha256, r->archive_sha256);
  EXPECT_EQ(local->files, r->files);
  EXPECT_EQ(local->entries, r->entries);

  // The program sits in the node's cache, once; a second unstage reuses it.
  const std::string listing = "ls -i \"${XDG_CACHE_HOME:-$HOME/.cache}/awsdl\"";
  const std::string before = on_node(listing);
  EXPECT_NE(before.find("awsdl-unpack-"), std::string::npos) << before;
  EXPECT_EQ(std::count(before.begin(), before.end(), '\n'), 1) << before;
  auto again = Stager(config).unstage_on(*session, uri("data.tar"), (tmp / "again").string(), options());
  ASSERT_TRUE(again) << again.error().to_string();
  EXPECT_EQ(on_node(listing), before);
  EXPECT_EQ(tree(tmp / "again" / "dataset"), tree(tmp / "src" / "dataset"));

  // A damaged copy is not trusted: it is replaced.
  on_node("cd \"${XDG_CACHE_HOME:-$HOME/.cache}/awsdl\" && truncate -s 4096 awsdl-unpack-*");
  auto third = Stager(config).unstage_on(*session, uri("data.tar"), (tmp / "third").string(), options());
  ASSERT_TRUE(third) << third.error().to_string();
  EXPECT_EQ(tree(tmp / "third" / "dataset"), tree(tmp / "src" / "dataset"));
  const std::string sizes = "wc -c \"${XDG_CACHE_HOME:-$HOME/.cache}/awsdl\"/awsdl-unpack-*";
  EXPECT_EQ(on_node(sizes).substr(0, on_node(sizes).find(' ')), std::to_string(std::filesystem::file_size(kHelper)));
}

TEST_F(StageOnHostTest, FailedRangesAreFetchedAgainFromWhereTheyStopped) {
  stage_dataset("data.tar");
  // Truncated answers (half the body, then the connection closes) and a 500, three in all:
  // each costs one range an attempt, and no range can fail more than three times.
  ASSERT_TRUE(sandbox.clear_requests());
  auto o = faulting_options(R"([{"service":"s3","operation":"GetObject","kind":"truncate","count":2},)"
                            R"({"service":"s3","operation":"GetObject","kind":"error","status":500,"count":1}])");
  auto r = Stager(other).unstage_on(*session, uri("data.tar"), (tmp / "out").string(), o);
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_TRUE(r->manifest_verified);
  EXPECT_EQ(tree(tmp / "out" / "dataset"), tree(tmp / "src" / "dataset"));
  auto log = sandbox.requests();
  ASSERT_TRUE(log);
  int faulted = 0;
  for (const auto& e : *log)
    if (e.operation == "GetObject" && !e.fault.empty()) ++faulted;
  EXPECT_EQ(faulted, 3);
}

TEST_F(StageOnHostTest, RangesThatKeepFailingEndWithAClearError) {
  stage_dataset("data.tar");
  auto o = faulting_options(
      R"([{"service":"s3","operation":"GetObject","kind":"error","status":503,"code":"SlowDown","count":null}])");
  auto r = Stager(other).unstage_on(*session, uri("data.tar"), (tmp / "out").string(), o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kNetwork) << r.error().to_string();
  EXPECT_EQ(r.error().code, "RangeFailed") << r.error().to_string();
  EXPECT_NE(r.error().message.find("4 times"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("503"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find(uri("data.tar")), std::string::npos) << r.error().message;
  // Never a secret: not the URL's signature, not the key.
  EXPECT_EQ(r.error().message.find("X-Amz-Signature"), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().message.find(testsupport::Sandbox::kOtherSecretAccessKey), std::string::npos);
}

TEST_F(StageOnHostTest, HostileArchiveIsRefusedOnTheHostAndNothingOutsideChanges) {
  write_file(tmp / "canary" / "keep.txt", "untouched");
  const auto canary_before = tree(tmp / "canary");
  struct Case {
    std::string name, bytes, entry;
  };
  const std::vector<Case> cases = {
      {"dot-dot", Crafted().file("ok.txt", "1").file("../x", "evil").bytes(), "../x"},
      {"absolute", Crafted().file((tmp / "abs.txt").string(), "evil").bytes(), (tmp / "abs.txt").string()},
      {"symlink-then-write-through",
       Crafted().symlink("door", (tmp / "canary").string()).file("door/keep.txt", "evil").bytes(), "door"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string key = "hostile/" + c.name + ".tar";
    ASSERT_TRUE(s3::S3Client(config).put_object({.bucket = bucket, .key = key, .body = c.bytes}));
    auto o = options();
    o.require_manifest = false;
    auto r = Stager(config).unstage_on(*session, uri(key), (tmp / ("target-" + c.name)).string(), o);
    ASSERT_FALSE(r) << "a hostile archive was extracted";
    EXPECT_EQ(r.error().kind, ErrorKind::kInvalidArgument) << r.error().to_string();
    EXPECT_EQ(r.error().code, "UnsafeArchiveEntry") << r.error().to_string();
    EXPECT_NE(r.error().message.find(c.entry), std::string::npos) << r.error().message;
    EXPECT_FALSE(std::filesystem::exists(std::filesystem::symlink_status(tmp / "x")));
    EXPECT_FALSE(std::filesystem::exists(tmp / "abs.txt"));
    EXPECT_EQ(tree(tmp / "canary"), canary_before);
  }
}

TEST_F(StageOnHostTest, WhatTheHostExtractedIsCheckedAgainstTheManifest) {
  // With a SHA-256 in the manifest: S3's CRC (checked against the manifest's before the node
  // starts) is left as it is, so only the node's own check of the bytes can tell.
  stage_dataset("data.tar", /*sha256=*/true);
  s3::S3Client client(config);
  auto sidecar = client.get_object({.bucket = bucket, .key = stage::manifest_key("data.tar")});
  ASSERT_TRUE(sidecar);
  // The same stage id and size, another SHA-256: only the node's result can tell.
  std::string text = sidecar->body;
  const auto at = text.find("sha256=") + 7;
  text[at] = text[at] == '0' ? '1' : '0';
  s3::PutObjectRequest put;
  put.bucket = bucket;
  put.key = stage::manifest_key("data.tar");
  put.body = text;
  put.attributes.metadata = sidecar->info.metadata;
  ASSERT_TRUE(client.put_object(put));
  // The node checks before anything moves into the target: it stays as it was.
  write_file(tmp / "out" / "keep.txt", "the user's own file");
  write_file(tmp / "out" / "dataset" / "a.txt", "an older a.txt");
  const auto before = tree(tmp / "out");
  auto r = Stager(config).unstage_on(*session, uri("data.tar"), (tmp / "out").string(), options());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "ManifestMismatch") << r.error().to_string();
  EXPECT_NE(r.error().message.find("SHA-256"), std::string::npos) << r.error().message;
  EXPECT_EQ(tree(tmp / "out"), before);  // no unverified file, no staging directory
}

TEST_F(StageOnHostTest, GzipBombIsRefusedOnTheHostBeforeItsBytesAreWritten) {
  // 64 MiB of zeros in a 64 KiB gzip stream; the manifest declares 100 bytes of files.
  auto bomb = put_gzip_bomb(config, bucket, "bomb.tar.gz", 64u << 20);
  ASSERT_TRUE(bomb) << bomb.error().to_string();
  auto r = Stager(config).unstage_on(*session, uri("bomb.tar.gz"), (tmp / "bombed").string(), options());
  ASSERT_FALSE(r) << "the bomb was extracted";
  EXPECT_EQ(r.error().code, "ManifestMismatch") << r.error().to_string();
  EXPECT_NE(r.error().message.find("zeros.bin"), std::string::npos) << r.error().message;
  EXPECT_FALSE(std::filesystem::exists(tmp / "bombed" / "zeros.bin"));
}

TEST_F(StageOnHostTest, CancellationStopsTheProgramOnTheHost) {
  stage_dataset("data.tar");
  // Once the download has begun every range waits two seconds at the server: time to cancel
  // mid-download.
  CancellationSource cancel;
  std::thread canceller;
  auto o = faulting_options(R"([{"service":"s3","operation":"GetObject","kind":"delay","delay_ms":2000,"count":null}])",
                            [&] {
                              canceller = std::thread([&] {
                                std::this_thread::sleep_for(std::chrono::milliseconds(500));
                                cancel.cancel();
                              });
                            });
  o.call.cancel = cancel.token();
  const auto out = tmp / "cancelled-target";
  const auto started = std::chrono::steady_clock::now();
  auto r = Stager(other).unstage_on(*session, uri("data.tar"), out.string(), o);
  if (canceller.joinable()) canceller.join();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kCancelled) << r.error().to_string();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
  // Neither awsdl-unpack nor its curls are left running for that target.
  auto fresh = ssh::Session::connect(session->target(), [&] {
    ssh::SessionOptions so;
    so.user = "root";
    so.identity_files = {ssh_nodes().key};
    so.use_agent = false;
    so.known_hosts = (tmp / "known_hosts").string();
    return so;
  }());
  ASSERT_TRUE(fresh) << fresh.error().to_string();
  std::string left;
  for (int i = 0; i < 20; ++i) {
    auto ps = fresh->exec("ps -eo pid=,args= | grep -e awsdl-unpack- -e 'curl -q' | grep -v grep || true");
    ASSERT_TRUE(ps);
    left = ps->out;
    if (left.find(out.string()) == std::string::npos && left.find("curl -q") == std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  EXPECT_EQ(left.find(out.string()), std::string::npos) << left;
  EXPECT_EQ(left.find("curl -q"), std::string::npos) << left;
  // What it had extracted went with it: the target it made is gone again.
  EXPECT_FALSE(std::filesystem::exists(out)) << ::testing::PrintToString(tree(out));
}

TEST_F(StageOnHostTest, AHelperThatIsNotAProgramIsRefusedBeforeTheHostIsTouched) {
  stage_dataset("data.tar");
  write_file(tmp / "not-a-program", "#!/bin/sh\necho hi\n", 0755);
  auto o = options();
  o.unpack_helper = (tmp / "not-a-program").string();
  auto r = Stager(config).unstage_on(*session, uri("data.tar"), (tmp / "out").string(), o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "UnpackHelperNotFound") << r.error().to_string();
  o.unpack_helper = (tmp / "missing").string();
  r = Stager(config).unstage_on(*session, uri("data.tar"), (tmp / "out").string(), o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kNotFound) << r.error().to_string();
  EXPECT_FALSE(std::filesystem::exists(tmp / "out"));
}

// CallOptions::deadline is on the Config's runtime clock, and so is everything unstage_on
// compares it with: a deadline ten minutes ahead on that clock leaves ten minutes, whatever the
// real steady clock says; one that has passed on it is DeadlineExceeded before anything runs.
// The duration is measured on it too.
TEST_F(StageOnHostTest, TheDeadlineAndTheDurationAreOnTheRuntimeClock) {
  stage_dataset("data.tar");
  Config timed = config;
  auto clock = testsupport::ServerTestClock::install(timed);
  auto o = options();
  o.call.deadline = Deadline::after(std::chrono::minutes(10), *clock);
  std::atomic<int> moves{0};
  o.on_progress = [&](const stage::UnstageProgress&) {
    if (moves.fetch_add(1) < 4) clock->advance(std::chrono::seconds(2));
  };
  const Millis before = clock->moved();
  auto r = Stager(timed).unstage_on(*session, uri("data.tar"), (tmp / "timed").string(), o);
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(tree(tmp / "timed" / "dataset"), tree(tmp / "src" / "dataset"));
  ASSERT_GT(moves.load(), 0);
  EXPECT_EQ(r->duration, clock->moved() - before);

  o = options();
  o.call.deadline = Deadline::after(std::chrono::seconds(1), *clock);
  clock->advance(std::chrono::seconds(2));
  r = Stager(timed).unstage_on(*session, uri("data.tar"), (tmp / "late").string(), o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "DeadlineExceeded") << r.error().to_string();
  EXPECT_FALSE(std::filesystem::exists(tmp / "late"));
}

// awsdl-unpack by itself, as the node runs it.
TEST_F(StageOnHostTest, TheProgramRefusesBadUseWithClearErrors) {
  stage_dataset("data.tar");
  auto url = s3::S3Client(config).presign_get(bucket, "data.tar", std::chrono::seconds(600));
  ASSERT_TRUE(url);
  auto head = s3::S3Client(config).head_object({.bucket = bucket, .key = "data.tar"});
  ASSERT_TRUE(head);
  const std::string size = std::to_string(head->object_size);
  auto run = [&](const std::string& path, const std::string& stdin_line, const std::string& args) {
    return testsupport::run_process("/bin/sh", {"-c", "printf '%s\\n' \"$LINE\" | " + std::string(kHelper) + " " + args},
                       {{"PATH", path}, {"LINE", stdin_line}});
  };
  const std::string dir = ssh::shell_quote((tmp / "x").string());

  auto usage = run("/usr/bin:/bin", *url, "--size nope " + dir);
  EXPECT_EQ(usage.exit_code, 2) << usage.err;
  EXPECT_NE(usage.err.find("--size needs a whole number"), std::string::npos) << usage.err;
  usage = run("/usr/bin:/bin", *url, "--size " + size + " --part-size 10 " + dir);
  EXPECT_EQ(usage.exit_code, 2) << usage.err;

  auto no_curl = run("/nonexistent", *url, "--size " + size + " " + dir);
  EXPECT_EQ(no_curl.exit_code, 1);
  EXPECT_NE(no_curl.out.find(" CurlNotFound "), std::string::npos) << no_curl.out;

  auto bad_url = run("/usr/bin:/bin", "ftp://example.invalid/x", "--size " + size + " " + dir);
  EXPECT_EQ(bad_url.exit_code, 1);
  EXPECT_NE(bad_url.out.find(" BadUrl "), std::string::npos) << bad_url.out;

  // An object replaced since: the If-Match ETag fails at once (412), no retries.
  auto changed = run("/usr/bin:/bin", *url, "--size " + size + " --if-match '\"0123\"' " + dir);
  EXPECT_EQ(changed.exit_code, 1);
  EXPECT_NE(changed.out.find(" ArchiveChanged "), std::string::npos) << changed.out;

  auto ok = run("/usr/bin:/bin", *url, "--size " + size + " --part-size 65536 --concurrency 5 " + dir);
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  EXPECT_NE(ok.out.find("\ndone entries="), std::string::npos) << ok.out;
  EXPECT_EQ(tree(tmp / "x" / "dataset"), tree(tmp / "src" / "dataset"));
}

}  // namespace
