// The transfer manager against the sandbox: a ~40 MiB stream in 5 MiB parts, 4 at a time,
// back out to a file and to an in-order sink; faults on parts; cancellation; resume;
// truncated ranges; whole directories.

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <thread>
#include <string>

#include "awsdl/s3/transfer.hpp"
#include "util/crypto.hpp"
#include "support/byte_source.hpp"
#include "support/sandbox.hpp"

namespace {

using namespace awsdl;
using namespace awsdl::s3;
namespace fs = std::filesystem;

constexpr std::uint64_t MiB = 1024 * 1024;

using testsupport::random_bytes;

// A pull-based source over a string, handing out odd-sized pieces; it can fail after a
// number of bytes, or cancel a token.
struct StringSource {
  const std::string* data;
  std::size_t pos = 0;
  std::size_t fail_at = SIZE_MAX;
  http::BodySource fn() {
    return [this](char* buf, std::size_t len) -> Result<std::size_t> {
      if (pos >= fail_at) return Error::make(ErrorKind::kIo, "SourceFailed", "the source broke on purpose");
      std::size_t n = std::min({len, data->size() - pos, std::size_t(777777)});
      std::memcpy(buf, data->data() + pos, n);
      pos += n;
      return n;
    };
  }
};

struct LogEntry {
  std::string operation;
  int status = 0;
  int part_number = 0;
  std::string fault;
};

class S3TransferTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(sandbox.ok()) << sandbox.error();
    ASSERT_TRUE(sandbox.clear_faults());
    config = sandbox.config();
    config.retry.base_delay = Millis(10);
    bucket = "s3t-" + std::to_string(std::random_device{}() % 100000000);
    ASSERT_TRUE(S3Client(config).create_bucket({bucket}));
    dir = fs::temp_directory_path() / ("awsdl-s3t-" + std::to_string(std::random_device{}()));
    fs::create_directories(dir);
  }
  void TearDown() override {
    (void)sandbox.clear_faults();
    std::error_code ec;
    fs::remove_all(dir, ec);
  }

  TransferOptions options() const {
    TransferOptions o;
    o.part_size = 5 * MiB;
    o.concurrency = 4;
    return o;
  }

  std::int64_t last_log_id() const {
    auto r = sandbox.requests();
    return r && !r->empty() ? r->back().id : 0;
  }

  // The log with each UploadPart's part number (from the validated parameters).
  std::vector<LogEntry> log_since(std::int64_t since) const {
    auto body = sandbox.control("GET", "/_sandbox/requests?since=" + std::to_string(since), "");
    EXPECT_TRUE(body);
    std::vector<LogEntry> out;
    if (!body) return out;
    rapidjson::Document doc;
    doc.Parse(body->c_str());
    for (const auto& e : doc["requests"].GetArray()) {
      LogEntry l;
      if (e["operation"].IsString()) l.operation = e["operation"].GetString();
      l.status = e["status"].IsInt() ? e["status"].GetInt() : 0;
      if (e["fault"].IsString()) l.fault = e["fault"].GetString();
      // Faults strike before parameters are read: the part number comes from the query.
      if (e["query"].IsString()) {
        std::string q = e["query"].GetString();
        auto at = q.find("partNumber=");
        if (at != std::string::npos) l.part_number = std::atoi(q.c_str() + at + 11);
      }
      out.push_back(l);
    }
    return out;
  }

  std::size_t open_uploads() const {
    auto r = S3Client(config).list_multipart_uploads({.bucket = bucket});
    EXPECT_TRUE(r) << r.error().to_string();
    return r ? r->uploads.size() : 999;
  }

  static std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  testsupport::Sandbox sandbox;
  Config config;
  std::string bucket;
  fs::path dir;
};

TEST_F(S3TransferTest, StreamInPartsThenDownloadToFileAndInOrderSink) {
  const std::string data = random_bytes(40 * MiB + 12345, 1);
  StringSource src{&data};
  std::vector<TransferProgress> progress;
  std::mutex mu;
  TransferOptions o = options();
  o.on_progress = [&](const TransferProgress& p) {
    std::lock_guard<std::mutex> lock(mu);
    progress.push_back(p);
  };
  TransferManager tm(S3Client(config), o);
  auto up = tm.upload_stream(src.fn(), {.bucket = bucket, .key = "data.tar"});
  ASSERT_TRUE(up) << up.error().to_string();
  EXPECT_EQ(up->size, data.size());
  EXPECT_EQ(up->parts, 9);
  EXPECT_EQ(up->parts_uploaded, 9);
  EXPECT_EQ(up->part_size, 5 * MiB);
  EXPECT_TRUE(up->etag.find("-9") != std::string::npos) << up->etag;
  ASSERT_FALSE(progress.empty());
  EXPECT_EQ(progress.back().bytes_done, data.size());
  EXPECT_EQ(progress.back().parts_done, 9);
  EXPECT_EQ(open_uploads(), 0u);

  TransferManager down(S3Client(config), options());
  auto file = dir / "copy.tar";
  auto d = down.download_file(bucket, "data.tar", file.string());
  ASSERT_TRUE(d) << d.error().to_string();
  EXPECT_EQ(d->size, data.size());
  EXPECT_EQ(d->ranges, 9);
  EXPECT_TRUE(read_file(file) == data);

  std::string streamed;
  std::size_t max_chunk = 0;
  auto s = down.download_stream(bucket, "data.tar", [&](std::string_view c) -> Result<void> {
    streamed.append(c);
    max_chunk = std::max(max_chunk, c.size());
    return {};
  });
  ASSERT_TRUE(s) << s.error().to_string();
  EXPECT_TRUE(streamed == data);
  EXPECT_LE(max_chunk, 5 * MiB);
  EXPECT_FALSE(fs::exists(file.string() + ".part"));
}

TEST_F(S3TransferTest, SmallObjectsGoInOnePutAndFilesUseTheirSize) {
  TransferManager tm(S3Client(config), options());
  const std::string data = random_bytes(100000, 2);
  StringSource src{&data};
  auto up = tm.upload_stream(src.fn(), {.bucket = bucket, .key = "small"});
  ASSERT_TRUE(up) << up.error().to_string();
  EXPECT_TRUE(up->upload_id.empty());
  EXPECT_EQ(up->etag, "\"" + internal::hex_encode(internal::md5(data)) + "\"");
  // A file of 12 MiB with 5 MiB parts: three parts.
  const std::string big = random_bytes(12 * MiB, 3);
  auto path = dir / "big.bin";
  std::ofstream(path, std::ios::binary) << big;
  auto f = tm.upload_file(path.string(), {.bucket = bucket, .key = "big.bin"});
  ASSERT_TRUE(f) << f.error().to_string();
  EXPECT_EQ(f->parts, 3);
  auto d = tm.download_file(bucket, "small", (dir / "small").string());
  ASSERT_TRUE(d) << d.error().to_string();
  EXPECT_EQ(read_file(dir / "small"), data);
  EXPECT_TRUE(d->checksum_verified);  // single PUT with a CRC32: the whole-object checksum matched
}

TEST_F(S3TransferTest, StreamsWithAnExpectedSizeUploadWhateverTheirSize) {
  // expected_size is a hint for part sizing: exact, too small or too large, the bytes of the
  // stream are what is stored, around the single-PUT threshold (8 MiB) and the part size (5 MiB).
  TransferManager tm(S3Client(config), options());
  const std::string data = random_bytes(9 * MiB, 4);
  int i = 0;
  for (std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{100000}, 5 * MiB, 8 * MiB - 1, 8 * MiB,
                           8 * MiB + 1, 9 * MiB}) {
    for (std::uint64_t hint : {std::uint64_t{size}, std::uint64_t{size} / 2, std::uint64_t{size} * 2 + 1}) {
      const std::string body = data.substr(0, size);
      StringSource src{&body};
      const std::string key = "hinted-" + std::to_string(i++);
      auto up = tm.upload_stream(src.fn(), {.bucket = bucket, .key = key, .expected_size = hint});
      ASSERT_TRUE(up) << "size " << size << ", expected_size " << hint << ": " << up.error().to_string();
      EXPECT_EQ(up->size, size);
      auto got = S3Client(config).get_object({.bucket = bucket, .key = key});
      ASSERT_TRUE(got) << got.error().to_string();
      EXPECT_TRUE(got->body == body) << "size " << size << ", expected_size " << hint;
    }
  }
  EXPECT_EQ(open_uploads(), 0u);
}

TEST_F(S3TransferTest, APartThatFailsTwiceIsRetriedAlone) {
  const std::string data = random_bytes(16 * MiB, 4);
  StringSource src{&data};
  TransferOptions o = options();
  o.concurrency = 1;  // so the two failures hit the same part
  TransferManager tm(S3Client(config), o);
  ASSERT_TRUE(sandbox.set_faults(
      R"([{"service":"s3","operation":"UploadPart","kind":"error","code":"InternalError","status":500,"count":2}])"));
  auto since = last_log_id();
  auto up = tm.upload_stream(src.fn(), {.bucket = bucket, .key = "retry.bin"});
  ASSERT_TRUE(up) << up.error().to_string();
  std::map<int, int> ok, failed;
  for (const auto& e : log_since(since))
    if (e.operation == "UploadPart") (e.status == 200 ? ok : failed)[e.part_number]++;
  EXPECT_EQ(ok, (std::map<int, int>{{1, 1}, {2, 1}, {3, 1}, {4, 1}}));
  EXPECT_EQ(failed, (std::map<int, int>{{1, 2}}));
  std::string back;
  ASSERT_TRUE(tm.download_stream(bucket, "retry.bin", [&](std::string_view c) -> Result<void> {
    back.append(c);
    return {};
  }));
  EXPECT_TRUE(back == data);
}

TEST_F(S3TransferTest, PersistentPartFailureAbortsTheUpload) {
  const std::string data = random_bytes(12 * MiB, 5);
  StringSource src{&data};
  TransferOptions o = options();
  o.part_attempts = 2;
  TransferManager tm(S3Client(config), o);
  ASSERT_TRUE(sandbox.set_faults(
      R"([{"service":"s3","operation":"UploadPart","kind":"error","code":"ServiceUnavailable","status":503,"count":null}])"));
  auto up = tm.upload_stream(src.fn(), {.bucket = bucket, .key = "doomed.bin"});
  ASSERT_FALSE(up);
  EXPECT_EQ(up.error().code, "ServiceUnavailable");
  EXPECT_NE(up.error().message.find("part "), std::string::npos) << up.error().message;
  EXPECT_NE(up.error().message.find("aborted"), std::string::npos) << up.error().message;
  ASSERT_TRUE(sandbox.clear_faults());
  EXPECT_EQ(open_uploads(), 0u);
  auto head = S3Client(config).head_object({.bucket = bucket, .key = "doomed.bin"});
  EXPECT_FALSE(head);
}

TEST_F(S3TransferTest, PartCallsAreRetriedOnTopOfTheClientsRetriesAndCounted) {
  const std::string data = random_bytes(12 * MiB, 5);
  StringSource src{&data};
  Config twice = config;
  twice.retry.max_attempts = 2;  // the client's own retries for each call
  TransferOptions o = options();
  o.part_attempts = 3;           // calls per part
  o.concurrency = 1;             // one part in flight: every failure is the first part's
  TransferManager tm(S3Client(twice), o);
  ASSERT_TRUE(sandbox.set_faults(
      R"([{"service":"s3","operation":"UploadPart","kind":"error","code":"ServiceUnavailable","status":503,"count":null}])"));
  auto since = last_log_id();
  auto up = tm.upload_stream(src.fn(), {.bucket = bucket, .key = "counted.bin"});
  ASSERT_TRUE(sandbox.clear_faults());
  ASSERT_FALSE(up);
  EXPECT_EQ(up.error().code, "ServiceUnavailable");
  std::map<int, int> failed;
  for (const auto& e : log_since(since))
    if (e.operation == "UploadPart" && e.status != 200) failed[e.part_number]++;
  EXPECT_EQ(failed, (std::map<int, int>{{1, 6}}));  // 3 calls of 2 attempts each
  EXPECT_NE(up.error().message.find("part 1 of s3://" + bucket + "/counted.bin: "), std::string::npos)
      << up.error().message;
  EXPECT_NE(up.error().message.find("gave up after 3 attempts"), std::string::npos) << up.error().message;
  EXPECT_EQ(open_uploads(), 0u);
}

TEST_F(S3TransferTest, CancellingAnUploadLeavesNothingBehind) {
  const std::string data = random_bytes(30 * MiB, 6);
  StringSource src{&data};
  CancellationSource cancel;
  TransferOptions o = options();
  o.cancel = cancel.token();
  o.on_progress = [&](const TransferProgress& p) {
    if (p.parts_done >= 1) cancel.cancel();
  };
  TransferManager tm(S3Client(config), o);
  auto up = tm.upload_stream(src.fn(), {.bucket = bucket, .key = "cancelled.bin"});
  ASSERT_FALSE(up);
  EXPECT_EQ(up.error().kind, ErrorKind::kCancelled) << up.error().to_string();
  EXPECT_EQ(open_uploads(), 0u);
  EXPECT_LT(src.pos, data.size());  // stopped reading early
}

TEST_F(S3TransferTest, ResumeUploadsOnlyTheMissingParts) {
  const std::string data = random_bytes(23 * MiB, 7);
  StringSource broken{&data, 0, 11 * MiB};  // fails in part 3
  TransferOptions o = options();
  o.abort_on_failure = false;  // as if the process had been killed
  o.concurrency = 2;
  TransferManager tm(S3Client(config), o);
  std::string created;
  const auto before_first = last_log_id();
  auto first = tm.upload_stream(broken.fn(), {.bucket = bucket, .key = "resume.bin",
                                              .on_upload_created = [&](const std::string& id) { created = id; }});
  ASSERT_FALSE(first);
  EXPECT_EQ(first.error().code, "SourceFailed");
  auto found = tm.find_upload(bucket, "resume.bin");
  ASSERT_TRUE(found) << found.error().to_string();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->upload_id, created);
  auto parts_before = S3Client(config).list_all_parts(**found);
  ASSERT_TRUE(parts_before);
  ASSERT_EQ(parts_before->size(), 2u);
  // The failed upload returns without waiting for a part request it gave up on; the sandbox
  // may log that request (part 2, stored already) after ListParts. Take the log's position
  // once both parts are in it, so that only the resumed upload's requests count below.
  std::int64_t since = 0;
  for (int look = 0; look < 100; ++look) {
    since = last_log_id();
    int parts_logged = 0;
    for (const auto& e : log_since(before_first))
      if (e.operation == "UploadPart" && (e.part_number == 1 || e.part_number == 2)) ++parts_logged;
    if (parts_logged >= 2) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }

  StringSource again{&data};
  auto up = tm.upload_stream(again.fn(), {.bucket = bucket, .key = "resume.bin", .resume_upload_id = created});
  ASSERT_TRUE(up) << up.error().to_string();
  EXPECT_EQ(up->parts, 5);
  EXPECT_EQ(up->parts_reused, 2);
  EXPECT_EQ(up->parts_uploaded, 3);
  std::set<int> sent;
  for (const auto& e : log_since(since))
    if (e.operation == "UploadPart") sent.insert(e.part_number);
  EXPECT_EQ(sent, (std::set<int>{3, 4, 5}));
  auto file = dir / "resumed";
  ASSERT_TRUE(tm.download_file(bucket, "resume.bin", file.string()));
  EXPECT_TRUE(read_file(file) == data);
  EXPECT_EQ(open_uploads(), 0u);

  // Different local data is not mistaken for the parts on S3.
  StringSource broken2{&data, 0, 6 * MiB};
  auto second = tm.upload_stream(broken2.fn(), {.bucket = bucket, .key = "resume2.bin"});
  ASSERT_FALSE(second);
  auto pending = tm.find_upload(bucket, "resume2.bin");
  ASSERT_TRUE(pending && pending->has_value());
  std::string other = data;
  other[10] ^= 1;
  StringSource changed{&other};
  auto redo = tm.upload_stream(changed.fn(), {.bucket = bucket, .key = "resume2.bin",
                                              .resume_upload_id = (*pending)->upload_id});
  ASSERT_TRUE(redo) << redo.error().to_string();
  EXPECT_EQ(redo->parts_reused, 0);
}

TEST_F(S3TransferTest, TruncatedRangeIsRetried) {
  const std::string data = random_bytes(12 * MiB, 8);
  StringSource src{&data};
  TransferManager tm(S3Client(config), options());
  ASSERT_TRUE(tm.upload_stream(src.fn(), {.bucket = bucket, .key = "t.bin"}));
  ASSERT_TRUE(sandbox.set_faults(R"([{"service":"s3","operation":"GetObject","kind":"truncate","count":2}])"));
  auto since = last_log_id();
  std::string back;
  auto d = tm.download_stream(bucket, "t.bin", [&](std::string_view c) -> Result<void> {
    back.append(c);
    return {};
  });
  ASSERT_TRUE(d) << d.error().to_string();
  EXPECT_TRUE(back == data);
  int truncated = 0;
  for (const auto& e : log_since(since)) truncated += e.fault == "truncate";
  EXPECT_EQ(truncated, 2);

  // With no retry at any level the truncation is reported, and no file is left.
  Config once = config;
  once.retry.max_attempts = 1;
  TransferOptions o = options();
  o.part_attempts = 1;
  ASSERT_TRUE(sandbox.set_faults(R"([{"service":"s3","operation":"GetObject","kind":"truncate","count":1}])"));
  auto file = dir / "t.bin";
  auto bad = TransferManager(S3Client(once), o).download_file(bucket, "t.bin", file.string());
  ASSERT_FALSE(bad);
  EXPECT_TRUE(bad.error().retryable) << bad.error().to_string();
  EXPECT_FALSE(fs::exists(file));
  for (const auto& entry : fs::directory_iterator(dir)) ADD_FAILURE() << "left behind: " << entry.path();
}

TEST_F(S3TransferTest, DirectoriesBothWays) {
  fs::create_directories(dir / "src/a/b");
  std::map<std::string, std::string> files = {{"top.txt", "top"},
                                              {"a/one.bin", random_bytes(3000, 9)},
                                              {"a/b/two.bin", random_bytes(6 * MiB + 3, 10)},
                                              {"a/b/empty", ""}};
  for (const auto& [rel, content] : files) std::ofstream(dir / "src" / rel, std::ios::binary) << content;
  TransferManager tm(S3Client(config), options());
  auto up = tm.upload_directory((dir / "src").string(), bucket, "set1");
  ASSERT_TRUE(up) << up.error().to_string();
  EXPECT_EQ(up->files, 4);
  EXPECT_EQ(up->keys, (std::vector<std::string>{"set1/a/b/empty", "set1/a/b/two.bin", "set1/a/one.bin", "set1/top.txt"}));
  auto down = tm.download_directory(bucket, "set1/", (dir / "dst").string());
  ASSERT_TRUE(down) << down.error().to_string();
  EXPECT_EQ(down->files, 4);
  for (const auto& [rel, content] : files) EXPECT_TRUE(read_file(dir / "dst" / rel) == content) << rel;

  // A key that would escape the target directory is refused before anything is written.
  ASSERT_TRUE(S3Client(config).put_object({.bucket = bucket, .key = "evil/../../escape", .body = "x"}));
  auto evil = tm.download_directory(bucket, "evil/", (dir / "evil").string());
  ASSERT_FALSE(evil);
  EXPECT_EQ(evil.error().code, "UnsafeKey");
  EXPECT_FALSE(fs::exists(dir / "escape"));
}

}  // namespace
