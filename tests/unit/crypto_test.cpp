// Known-answer tests for the hashes, MACs, checksums and encodings in internal/crypto.

#include "util/crypto.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <thread>
#include <vector>

namespace awsdl::internal {
namespace {

std::string hex(std::string_view s) { return hex_encode(s); }

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex(""), kEmptySha256Hex);
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(hex_encode(sha256("abc")), sha256_hex("abc"));
}

TEST(Sha256, IncrementalMatchesOneShotAndResets) {
  const std::string million(1000000, 'a');
  Sha256 h;
  for (std::size_t i = 0; i < million.size(); i += 4099) h.update(std::string_view(million).substr(i, 4099));
  EXPECT_EQ(h.finish_hex(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  // finish() resets: the same object hashes the next message from scratch.
  h.update("ab");
  h.update(std::string_view("c"));
  EXPECT_EQ(h.finish_hex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(h.finish_hex(), std::string(kEmptySha256Hex));

  // A copy forks the running hash.
  h.update("ab");
  Sha256 fork = h;
  h.update("c");
  fork.update("d");
  EXPECT_EQ(h.finish_hex(), sha256_hex("abc"));
  EXPECT_EQ(fork.finish_hex(), sha256_hex("abd"));
}

TEST(Sha256, ThreadsDoNotShareState) {
  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t, &ok] {
      const std::string msg(1000 + t, static_cast<char>('a' + t));
      const std::string want = sha256_hex(msg);
      int good = 0;
      for (int i = 0; i < 2000; ++i) good += sha256_hex(msg) == want;
      ok[t] = good;
    });
  }
  for (auto& th : threads) th.join();
  for (int v : ok) EXPECT_EQ(v, 2000);
}

TEST(HmacSha256, Rfc4231) {
  // Test case 1.
  EXPECT_EQ(hex_encode(hmac_sha256(std::string(20, '\x0b'), "Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  // Test case 2: a key shorter than the output.
  EXPECT_EQ(hex_encode(hmac_sha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // Test case 6: a key longer than the block is hashed first.
  EXPECT_EQ(hex_encode(hmac_sha256(std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(HmacSha256, PrecomputedKeyMatchesOneShot) {
  for (std::size_t key_len : {0u, 1u, 32u, 64u, 65u, 131u}) {
    const std::string key(key_len, 'k');
    const HmacSha256 k(key);
    for (std::size_t msg_len : {0u, 1u, 55u, 56u, 64u, 150u, 1000u}) {
      const std::string msg(msg_len, 'm');
      EXPECT_EQ(k.mac(msg), hmac_sha256(key, msg)) << key_len << "/" << msg_len;
      EXPECT_EQ(k.mac(msg), k.mac(msg));  // mac() leaves the key as it was
    }
  }
  EXPECT_EQ(hex_encode(HmacSha256(std::string(20, '\x0b')).mac("Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

TEST(Md5, KnownVectors) {
  EXPECT_EQ(hex_encode(md5("")), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(hex_encode(md5("The quick brown fox jumps over the lazy dog")), "9e107d9d372bb6826bd81d3542a419d6");
  EXPECT_EQ(md5_base64(""), "1B2M2Y8AsgTpgAmY7PhCfg==");
  Md5 m;
  m.update("The quick brown ");
  m.update("fox jumps over the lazy dog");
  EXPECT_EQ(hex_encode(m.finish()), "9e107d9d372bb6826bd81d3542a419d6");
  EXPECT_EQ(hex_encode(m.finish()), "d41d8cd98f00b204e9800998ecf8427e");
}

TEST(Hex, Encode) {
  EXPECT_EQ(hex(""), "");
  EXPECT_EQ(hex(std::string("\x00\x01\xab\xff", 4)), "0001abff");
}

TEST(Base64, Rfc4648Vectors) {
  const std::pair<const char*, const char*> cases[] = {{"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},
                                                       {"foo", "Zm9v"},  {"foob", "Zm9vYg=="},  {"fooba", "Zm9vYmE="},
                                                       {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : cases) {
    EXPECT_EQ(base64_encode(std::string_view(plain)), encoded);
    auto back = base64_decode(encoded);
    ASSERT_TRUE(back.has_value()) << encoded;
    EXPECT_EQ(*back, plain);
  }
}

TEST(Base64, RoundTripsBinary) {
  std::mt19937 rng(7);
  for (int len = 0; len < 200; ++len) {
    std::string data(len, '\0');
    for (auto& c : data) c = static_cast<char>(rng());
    const std::string enc = base64_encode(data);
    EXPECT_EQ(enc.size() % 4, 0u);
    auto dec = base64_decode(enc);
    ASSERT_TRUE(dec.has_value());
    EXPECT_EQ(*dec, data);
  }
}

TEST(Base64, DecodeAcceptsMissingPaddingAndRejectsGarbage) {
  EXPECT_EQ(base64_decode("Zg").value_or("?"), "f");
  EXPECT_EQ(base64_decode("Zm8").value_or("?"), "fo");
  EXPECT_FALSE(base64_decode("Z").has_value());        // impossible length
  EXPECT_FALSE(base64_decode("Zm9v!A==").has_value());  // not in the alphabet
  EXPECT_FALSE(base64_decode("Zm 9v").has_value());     // whitespace
  EXPECT_FALSE(base64_decode("Zh==").has_value());      // non-zero padding bits
  EXPECT_FALSE(base64_decode("Zg=a").has_value());
}

TEST(Crc, CheckValues) {
  EXPECT_EQ(crc32("123456789"), 0xcbf43926u);
  EXPECT_EQ(crc32c("123456789"), 0xe3069283u);
  EXPECT_EQ(crc32c_portable("123456789"), 0xe3069283u);
  EXPECT_EQ(crc32(""), 0u);
  EXPECT_EQ(crc32c(""), 0u);
  EXPECT_EQ(crc32("The quick brown fox jumps over the lazy dog"), 0x414fa339u);
}

TEST(Crc, HeaderFormIsBase64OfBigEndian) {
  EXPECT_EQ(checksum_base64(0xcbf43926u), "y/Q5Jg==");
  EXPECT_EQ(crc32_base64("123456789"), "y/Q5Jg==");
  EXPECT_EQ(crc32c_base64("123456789"), "4waSgw==");
  EXPECT_EQ(checksum_base64(0), "AAAAAA==");
}

TEST(Crc, RunningChecksumAndBothCrc32cPathsAgree) {
  std::mt19937 rng(11);
  std::string data(5000, '\0');
  for (auto& c : data) c = static_cast<char>(rng());
  for (std::size_t len : {0u, 1u, 7u, 8u, 9u, 15u, 16u, 63u, 64u, 1000u, 4999u, 5000u}) {
    const std::string_view d = std::string_view(data).substr(0, len);
    EXPECT_EQ(crc32c(d), crc32c_portable(d)) << len;
    for (std::size_t cut : {std::size_t{0}, len / 3, len}) {
      EXPECT_EQ(crc32(d.substr(cut), crc32(d.substr(0, cut))), crc32(d)) << len << "/" << cut;
      EXPECT_EQ(crc32c(d.substr(cut), crc32c(d.substr(0, cut))), crc32c(d)) << len << "/" << cut;
      EXPECT_EQ(crc32c_portable(d.substr(cut), crc32c_portable(d.substr(0, cut))), crc32c(d)) << len << "/" << cut;
    }
  }
}

TEST(SecureZero, Clears) {
  char buf[8] = {'s', 'e', 'c', 'r', 'e', 't', '!', '!'};
  secure_zero(buf, sizeof buf);
  for (char c : buf) EXPECT_EQ(c, 0);
}

}  // namespace
}  // namespace awsdl::internal
