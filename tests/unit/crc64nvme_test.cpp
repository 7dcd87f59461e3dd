// CRC-64/NVME as S3 keeps it: the catalogue's check value and the AWS SDKs' test vectors; a
// running value equals the one-shot value however the data is cut; combining blocks' values
// equals the value of their concatenation; the header (base64, big-endian) and manifest (hex)
// forms; and a second, independent implementation (Python's crcmod, a C extension) agrees on
// random data.
#include "util/crc64nvme.hpp"
#include "util/crypto.hpp"
#include "s3/s3_internal.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "support/run_process.hpp"

namespace awsdl::internal {
namespace {

TEST(Crc64Nvme, KnownValues) {
  EXPECT_EQ(crc64nvme("123456789"), 0xae8b14860a799888ULL);  // the CRC catalogue's check value
  EXPECT_EQ(crc64nvme("aaaaaaaaaa"), 0x0c1a80036d65c555ULL);  // aws-c-s3's test vector
  EXPECT_EQ(crc64nvme(""), 0u);
  EXPECT_EQ(crc64nvme(std::string(32, '\0')), 0xcf3473434d4ecf3bULL);  // aws-checksums' 32 zeros
}

TEST(Crc64Nvme, RunningAndCombinedValuesEqualTheWhole) {
  std::mt19937_64 rng(11);
  std::string data;
  for (int i = 0; i < 1000003; ++i) data.push_back(static_cast<char>(rng()));
  const std::uint64_t whole = crc64nvme(data);
  for (std::size_t cut : {std::size_t{1}, std::size_t{7}, std::size_t{4096}, std::size_t{65537}, data.size() - 1}) {
    const std::string_view a = std::string_view(data).substr(0, cut), b = std::string_view(data).substr(cut);
    EXPECT_EQ(crc64nvme(b, crc64nvme(a)), whole) << cut;
    EXPECT_EQ(crc64nvme_combine(crc64nvme(a), crc64nvme(b), b.size()), whole) << cut;
  }
  // Many parts, combined in order (a multipart upload's parts).
  std::uint64_t combined = 0;
  for (std::size_t at = 0; at < data.size(); at += 100000) {
    const auto part = std::string_view(data).substr(at, 100000);
    combined = crc64nvme_combine(combined, crc64nvme(part), part.size());
  }
  EXPECT_EQ(combined, whole);
  EXPECT_EQ(crc64nvme_combine(whole, crc64nvme(""), 0), whole);
}

TEST(Crc64Nvme, HeaderAndManifestForms) {
  const std::uint64_t v = crc64nvme("123456789");
  EXPECT_EQ(crc64nvme_base64(v), "rosUhgp5mIg=");
  EXPECT_EQ(parse_crc64nvme_base64("rosUhgp5mIg="), v);
  EXPECT_EQ(crc64nvme_hex(v), "ae8b14860a799888");
  EXPECT_EQ(parse_crc64nvme_hex("ae8b14860a799888"), v);
  EXPECT_EQ(crc64nvme_hex(1), "0000000000000001");
  EXPECT_FALSE(parse_crc64nvme_base64("rosUhgp5mA=="));      // 7 bytes
  EXPECT_FALSE(parse_crc64nvme_base64("rosUhgp5mIgA"));      // 9 bytes
  EXPECT_FALSE(parse_crc64nvme_base64("not base64!"));
  EXPECT_FALSE(parse_crc64nvme_hex("AE8B14860A799888"));     // upper case
  EXPECT_FALSE(parse_crc64nvme_hex("ae8b14860a79988"));      // 15 digits
  EXPECT_FALSE(parse_crc64nvme_hex("ae8b14860a79988g"));
}

TEST(Crc64Nvme, AgreesWithAnIndependentImplementation) {
  const auto file = std::filesystem::temp_directory_path() / ("awsdl-test-crc64-" + std::to_string(::getpid()));
  std::mt19937_64 rng(5);
  std::string data;
  for (int i = 0; i < (3 << 20) + 5; ++i) data.push_back(static_cast<char>(rng()));
  std::ofstream(file, std::ios::binary) << data;
  auto r = awsdl::testsupport::run_process(
      "/usr/bin/python3",
      {"-c",
       "import crcmod, sys\n"
       "f = crcmod.mkCrcFun(0x1AD93D23594C93659, initCrc=0, rev=True, xorOut=0xFFFFFFFFFFFFFFFF)\n"
       "print('%016x' % f(open(sys.argv[1], 'rb').read()))\n",
       file.string()},
      {}, std::chrono::seconds(60));
  std::filesystem::remove(file);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.substr(0, 16), crc64nvme_hex(crc64nvme(data)));
}

}  // namespace
}  // namespace awsdl::internal

// The one pass an upload makes over a body (its checksum header and its signed SHA-256
// together, piece by piece) gives what the two separate passes give, for every algorithm,
// signed or not, at sizes around the 64 KiB piece.
namespace awsdl::internal::s3 {
namespace {

TEST(DigestBody, OnePassGivesWhatSeparatePassesGive) {
  using awsdl::s3::ChecksumAlgorithm;
  std::mt19937_64 rng(17);
  std::string data((3 << 16) + 13, '\0');
  for (auto& c : data) c = static_cast<char>(rng());
  for (std::size_t len : {std::size_t{0}, std::size_t{1}, std::size_t{65535}, std::size_t{65536},
                          std::size_t{65537}, data.size()}) {
    const std::string_view d = std::string_view(data).substr(0, len);
    for (auto alg : {ChecksumAlgorithm::kNone, ChecksumAlgorithm::kCrc32, ChecksumAlgorithm::kCrc32c,
                     ChecksumAlgorithm::kSha256, ChecksumAlgorithm::kCrc64Nvme}) {
      for (bool sign : {false, true}) {
        const BodyDigests got = digest_body(alg, sign, d);
        EXPECT_EQ(got.checksum, alg == ChecksumAlgorithm::kNone ? "" : compute_checksum(alg, d))
            << len << " " << static_cast<int>(alg) << " " << sign;
        EXPECT_EQ(got.payload_hash, sign ? sha256_hex(d) : "UNSIGNED-PAYLOAD")
            << len << " " << static_cast<int>(alg) << " " << sign;
      }
    }
  }
  // Known values, so that the comparison above is not of one function with itself.
  EXPECT_EQ(digest_body(ChecksumAlgorithm::kCrc64Nvme, true, "123456789").checksum,
            crc64nvme_base64(0xae8b14860a799888ULL));
  EXPECT_EQ(digest_body(ChecksumAlgorithm::kCrc64Nvme, true, "abc").payload_hash,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace awsdl::internal::s3
