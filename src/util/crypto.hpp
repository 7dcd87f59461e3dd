#pragma once
// Hashes, MACs, checksums and encodings the signer and the S3 and registry clients need.
// OpenSSL stays inside crypto.cpp; everything here is plain bytes in, bytes out.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace awsdl::internal {

using Sha256Digest = std::array<std::uint8_t, 32>;
using Md5Digest = std::array<std::uint8_t, 16>;

inline std::string_view as_chars(const Sha256Digest& d) {
  return {reinterpret_cast<const char*>(d.data()), d.size()};
}
inline std::string_view as_chars(const Md5Digest& d) { return {reinterpret_cast<const char*>(d.data()), d.size()}; }

/// Lower-case hex SHA-256 of the empty string (the payload hash of a request without a body).
inline constexpr std::string_view kEmptySha256Hex =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

// ---- SHA-256 ----

Sha256Digest sha256(std::string_view data);
/// Lower-case hex.
std::string sha256_hex(std::string_view data);

/// Incremental SHA-256 (a streamed body, a chunk). finish() returns the digest and resets,
/// so one object can hash many messages. Copying a hasher forks the running hash.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = default;
  Sha256& operator=(const Sha256&) = default;

  void update(std::string_view data);
  void update(const void* data, std::size_t size);
  Sha256Digest finish();
  std::string finish_hex();
  /// Overwrites the state (after hashing key material).
  void wipe();

  static constexpr std::size_t kStateSize = 128;

 private:
  alignas(16) unsigned char state_[kStateSize];  // the library's context, in place: no allocation
};

// ---- HMAC-SHA256 ----

Sha256Digest hmac_sha256(std::string_view key, std::string_view data);

/// An HMAC-SHA256 key with its inner and outer pads already hashed: each MAC then costs two
/// compressions fewer than hmac_sha256(). The pads are wiped on destruction.
class HmacSha256 {
 public:
  HmacSha256();  // the empty key
  explicit HmacSha256(std::string_view key);
  ~HmacSha256();
  HmacSha256(const HmacSha256&) = default;
  HmacSha256& operator=(const HmacSha256&) = default;

  Sha256Digest mac(std::string_view data) const;

 private:
  Sha256 inner_;
  Sha256 outer_;
};

// ---- MD5 (S3's Content-MD5 and ETags; not for security) ----

Md5Digest md5(std::string_view data);
/// Base64 of the raw digest, as the Content-MD5 header wants.
std::string md5_base64(std::string_view data);

class Md5 {
 public:
  Md5();
  ~Md5();
  Md5(Md5&& other) noexcept;
  Md5& operator=(Md5&& other) noexcept;
  Md5(const Md5&) = delete;
  Md5& operator=(const Md5&) = delete;

  void update(std::string_view data);
  Md5Digest finish();  // resets

 private:
  void* ctx_;  // EVP_MD_CTX
};

// ---- Encodings ----

/// Lower-case hex.
std::string hex_encode(std::string_view bytes);
/// Writes 2 * size lower-case hex characters to `out` (no terminator).
void hex_encode_to(const std::uint8_t* bytes, std::size_t size, char* out);
template <std::size_t N>
std::string hex_encode(const std::array<std::uint8_t, N>& bytes) {
  std::string s(2 * N, '\0');
  hex_encode_to(bytes.data(), N, s.data());
  return s;
}

/// Standard alphabet, with padding.
std::string base64_encode(std::string_view bytes);
template <std::size_t N>
std::string base64_encode(const std::array<std::uint8_t, N>& bytes) {
  return base64_encode(std::string_view(reinterpret_cast<const char*>(bytes.data()), N));
}
/// Standard alphabet; padding optional; whitespace is not allowed. nullopt when malformed.
std::optional<std::string> base64_decode(std::string_view text);

// ---- Checksums (S3's x-amz-checksum-crc32 / -crc32c) ----

/// zlib's CRC-32. Pass the previous value to continue a running checksum.
std::uint32_t crc32(std::string_view data, std::uint32_t previous = 0);
/// CRC-32C (Castagnoli). Pass the previous value to continue a running checksum.
std::uint32_t crc32c(std::string_view data, std::uint32_t previous = 0);
/// The table-driven CRC-32C crc32c() falls back to without SSE 4.2 (exposed so tests cover it).
std::uint32_t crc32c_portable(std::string_view data, std::uint32_t previous = 0);
/// Base64 of the 4 big-endian bytes of `value`: the x-amz-checksum-* header form.
std::string checksum_base64(std::uint32_t value);
inline std::string crc32_base64(std::string_view data) { return checksum_base64(crc32(data)); }
inline std::string crc32c_base64(std::string_view data) { return checksum_base64(crc32c(data)); }

/// Overwrites memory that held key material, in a way the compiler will not elide.
void secure_zero(void* data, std::size_t size);

}  // namespace awsdl::internal
