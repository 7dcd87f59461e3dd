// The archive manifest: a compact S3-metadata-safe string, parsed back strictly.

#include "stage/manifest.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

using namespace awsdl;
using namespace awsdl::internal;

const std::string kSha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
const std::string kCrc = "ae8b14860a799888";

Manifest sample() {
  Manifest m;
  m.file_count = 118287;
  m.file_bytes = 19336861798ULL;
  m.archive_bytes = 19400000000ULL;
  m.archive_crc64nvme = kCrc;
  m.archive_sha256 = kSha;
  m.compression = Compression::kZstd;
  return m;
}

TEST(Manifest, SerialisesCompactlyAndRoundTrips) {
  Manifest m = sample();
  std::string s = serialize_manifest(m);
  EXPECT_EQ(s, "v2;files=118287;bytes=19336861798;archive=19400000000;crc64nvme=" + kCrc + ";sha256=" + kSha +
                   ";compression=zstd");
  auto back = parse_manifest(s);
  ASSERT_TRUE(back) << back.error().to_string();
  EXPECT_EQ(*back, m);
  // Without the optional SHA-256 (a stage without StageOptions::sha256).
  m.archive_sha256.clear();
  s = serialize_manifest(m);
  EXPECT_EQ(s, "v2;files=118287;bytes=19336861798;archive=19400000000;crc64nvme=" + kCrc + ";compression=zstd");
  back = parse_manifest(s);
  ASSERT_TRUE(back) << back.error().to_string();
  EXPECT_EQ(*back, m);
}

TEST(Manifest, AVersionOneManifestStillParsesWithItsSha256Only) {
  const std::string old = "v1;files=118287;bytes=19336861798;archive=19400000000;sha256=" + kSha + ";compression=zstd";
  auto m = parse_manifest(old);
  ASSERT_TRUE(m) << m.error().to_string();
  EXPECT_EQ(m->version, 1);
  EXPECT_EQ(m->archive_sha256, kSha);
  EXPECT_TRUE(m->archive_crc64nvme.empty());
  EXPECT_EQ(serialize_manifest(*m), old);
  // Checked by its SHA-256 alone.
  ArchiveStats stats;
  stats.files = m->file_count;
  stats.file_bytes = m->file_bytes;
  stats.archive_bytes = m->archive_bytes;
  stats.archive_sha256 = kSha;
  stats.archive_crc64nvme = kCrc;
  EXPECT_TRUE(verify_manifest(*m, stats, Compression::kZstd));
  stats.archive_sha256[0] = '0';
  EXPECT_FALSE(verify_manifest(*m, stats, Compression::kZstd));
  // A version 1 manifest must have its SHA-256; a crc64nvme field is not version 1's.
  EXPECT_FALSE(parse_manifest("v1;files=1;bytes=2;archive=3;compression=none"));
  EXPECT_FALSE(parse_manifest("v1;files=1;bytes=2;archive=3;crc64nvme=" + kCrc + ";sha256=" + kSha + ";compression=none"));
}

TEST(Manifest, FitsInS3UserMetadataEvenAtTheLimits) {
  Manifest m = sample();
  m.file_count = m.file_bytes = m.archive_bytes = UINT64_MAX;
  const std::string s = serialize_manifest(m);
  // x-amz-meta-* keys and values together must stay under 2 KB, in printable ASCII.
  EXPECT_LT(s.size() + kManifestMetadataKey.size() + std::string("x-amz-meta-").size(), 2048u);
  for (char c : s) {
    EXPECT_GE(c, 0x21);
    EXPECT_LE(c, 0x7e);
  }
  auto back = parse_manifest(s);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->archive_bytes, UINT64_MAX);
  for (Compression c : {Compression::kNone, Compression::kGzip, Compression::kZstd}) {
    m.compression = c;
    auto r = parse_manifest(serialize_manifest(m));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->compression, c);
  }
}

TEST(Manifest, ParsingIsStrict) {
  const std::string good = serialize_manifest(sample());
  const std::string tail = ";sha256=" + kSha + ";compression=none";
  const std::vector<std::string> bad = {
      "",
      "v",
      "1;files=1",
      "v1",
      "v1;",
      "v01;files=1;bytes=2;archive=3" + tail,
      "v1;files=1;bytes=2;archive=3;sha256=" + kSha,                       // missing compression
      "v1;files=1;bytes=2;archive=3" + tail + ";",                          // trailing separator
      "v1;files=1;bytes=2;archive=3" + tail + ";extra=1",                   // unknown field
      "v1;bytes=2;files=1;archive=3" + tail,                                // wrong order
      "v1;files=01;bytes=2;archive=3" + tail,                               // leading zero
      "v1;files=-1;bytes=2;archive=3" + tail,                               // sign
      "v1;files=+1;bytes=2;archive=3" + tail,
      "v1;files=;bytes=2;archive=3" + tail,                                 // empty number
      "v1;files=1 ;bytes=2;archive=3" + tail,                               // space
      "v1;files=18446744073709551616;bytes=2;archive=3" + tail,             // 2^64
      "v1;files=1;bytes=2;archive=3;sha256=" + kSha.substr(1) + ";compression=none",
      "v1;files=1;bytes=2;archive=3;sha256=" + kSha + "0;compression=none",
      "v1;files=1;bytes=2;archive=3;sha256=9F" + kSha.substr(2) + ";compression=none",  // upper case
      "v1;files=1;bytes=2;archive=3;sha256=" + kSha + ";compression=xz",
      "v1;files=1;bytes=2;archive=3;sha256=" + kSha + ";compression=None",
      "v1;files=1;bytes=2;archive=3;sha256=" + kSha + ";compression=",
      "v1;files=1;bytes=2;archive=3;sha256=" + kSha + ";compression=none\n",
      "v1;files==1;bytes=2;archive=3" + tail,
      "v1;files;bytes=2;archive=3" + tail,
      "v2;files=1;bytes=2;archive=3;compression=none",                             // no CRC
      "v2;files=1;bytes=2;archive=3;sha256=" + kSha + ";compression=none",        // SHA-256 only
      "v2;files=1;bytes=2;archive=3;crc64nvme=" + kCrc.substr(1) + ";compression=none",
      "v2;files=1;bytes=2;archive=3;crc64nvme=AE8B14860A799888;compression=none",  // upper case
      "v2;files=1;bytes=2;archive=3;crc64nvme=" + kCrc + "0;compression=none",
      "v2;files=1;bytes=2;archive=3;sha256=" + kSha + ";crc64nvme=" + kCrc + ";compression=none",  // order
      "v2;files=1;bytes=2;archive=3;crc64nvme=" + kCrc + ";sha256=;compression=none",
      good + good,
      std::string(3000, 'v'),
  };
  for (const std::string& text : bad) {
    SCOPED_TRACE(text);
    auto r = parse_manifest(text);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, ErrorKind::kParse);
    EXPECT_EQ(r.error().code, "MalformedManifest");
  }
}

TEST(Manifest, OtherVersionsAreReportedAsSuch) {
  for (const char* text : {"v3;whatever=1", "v0;files=1"}) {
    auto r = parse_manifest(text);
    ASSERT_FALSE(r) << text;
    EXPECT_EQ(r.error().kind, ErrorKind::kParse);
    EXPECT_EQ(r.error().code, "UnsupportedManifestVersion");
    EXPECT_NE(r.error().message.find(std::string(1, text[1])), std::string::npos);
  }
}

TEST(Manifest, VerifyComparesEveryField) {
  ArchiveStats stats;
  stats.files = 3;
  stats.file_bytes = 100;
  stats.archive_bytes = 4096;
  stats.archive_sha256 = kSha;
  stats.archive_crc64nvme = kCrc;
  stats.entries = 5;
  const Manifest m = make_manifest(stats, Compression::kGzip);
  EXPECT_EQ(m.file_count, 3u);
  EXPECT_TRUE(verify_manifest(m, stats, Compression::kGzip));

  auto expect_mismatch = [&](ArchiveStats s, Compression c, const std::string& field) {
    auto r = verify_manifest(m, s, c);
    ASSERT_FALSE(r) << field;
    EXPECT_EQ(r.error().kind, ErrorKind::kIo);
    EXPECT_EQ(r.error().code, "ManifestMismatch");
    EXPECT_NE(r.error().message.find(field), std::string::npos) << r.error().message;
  };
  ArchiveStats s = stats;
  s.files = 2;
  expect_mismatch(s, Compression::kGzip, "file count");
  s = stats;
  s.file_bytes = 99;
  expect_mismatch(s, Compression::kGzip, "total file bytes");
  s = stats;
  s.archive_bytes = 4095;
  expect_mismatch(s, Compression::kGzip, "archive size");
  s = stats;
  s.archive_sha256[0] = 'a';
  expect_mismatch(s, Compression::kGzip, "SHA-256");
  s = stats;
  s.archive_crc64nvme[0] = '0';
  expect_mismatch(s, Compression::kGzip, "CRC64NVME");
  // A checksum the manifest has but the extraction did not compute is a mismatch, not a pass.
  s = stats;
  s.archive_sha256.clear();
  expect_mismatch(s, Compression::kGzip, "not computed");
  expect_mismatch(stats, Compression::kNone, "compression");
  // The SHA-256 is optional in a manifest: without it, the CRC alone is checked.
  ArchiveStats no_sha = stats;
  no_sha.archive_sha256.clear();
  const Manifest crc_only = make_manifest(no_sha, Compression::kGzip);
  EXPECT_TRUE(verify_manifest(crc_only, no_sha, Compression::kGzip));
  EXPECT_TRUE(verify_manifest(crc_only, stats, Compression::kGzip));
}

}  // namespace
