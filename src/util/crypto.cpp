#include "util/crypto.hpp"

// SHA-256 goes through OpenSSL's SHA256_* functions, deprecated in 3.0 in favour of EVP but
// present in every 1.1 and 3.x build: EVP adds 70-100 ns of dispatch to every digest (measured
// here on short messages), which was most of a SigV4 header signature, and its contexts
// cannot be forked cheaply for HMAC. MD5 uses EVP.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <zlib.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <nmmintrin.h>
#define AWSDL_CRC32C_X86 1
#endif

namespace awsdl::internal {

namespace {

[[noreturn]] void crypto_failure(const char* what) {
  // Only reachable when OpenSSL cannot allocate or has no SHA-256 at all: nothing sensible
  // can be signed or verified after that.
  std::fprintf(stderr, "awsdl: OpenSSL failure: %s\n", what);
  std::abort();
}

const EVP_MD* md5_md() {
  static const EVP_MD* md = [] {
    const EVP_MD* m = EVP_MD_fetch(nullptr, "MD5", "-fips");
    if (m == nullptr) m = EVP_md5();
    if (m == nullptr) crypto_failure("MD5 unavailable");
    return m;
  }();
  return md;
}

EVP_MD_CTX* new_ctx(const EVP_MD* md) {
  EVP_MD_CTX* c = EVP_MD_CTX_new();
  if (c == nullptr || EVP_DigestInit_ex2(c, md, nullptr) != 1) crypto_failure("digest init");
  return c;
}

// One reusable context per thread for the one-shot functions: no allocation per hash.
struct ThreadCtx {
  EVP_MD_CTX* ctx = nullptr;
  ~ThreadCtx() { EVP_MD_CTX_free(ctx); }
};

EVP_MD_CTX* thread_ctx(const EVP_MD* md) {
  thread_local ThreadCtx t;
  if (t.ctx == nullptr) t.ctx = EVP_MD_CTX_new();
  if (t.ctx == nullptr || EVP_DigestInit_ex2(t.ctx, md, nullptr) != 1) crypto_failure("digest init");
  return t.ctx;
}

void digest_update(EVP_MD_CTX* c, const void* data, std::size_t size) {
  if (size != 0 && EVP_DigestUpdate(c, data, size) != 1) crypto_failure("digest update");
}

void digest_final(EVP_MD_CTX* c, std::uint8_t* out) {
  unsigned int n = 0;
  if (EVP_DigestFinal_ex(c, out, &n) != 1) crypto_failure("digest final");
}

constexpr char kHex[] = "0123456789abcdef";
constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

}  // namespace

// ---- SHA-256 ----

static_assert(sizeof(SHA256_CTX) <= Sha256::kStateSize, "SHA256_CTX does not fit Sha256's state");
static_assert(alignof(SHA256_CTX) <= 16, "SHA256_CTX alignment");

namespace {
SHA256_CTX* sha_ctx(unsigned char* state) { return reinterpret_cast<SHA256_CTX*>(state); }
}  // namespace

// Not ::SHA256(): in OpenSSL 3 that one-shot fetches the algorithm on every call.
Sha256Digest sha256(std::string_view data) {
  SHA256_CTX c;
  ::SHA256_Init(&c);
  ::SHA256_Update(&c, data.data(), data.size());
  Sha256Digest d;
  ::SHA256_Final(d.data(), &c);
  return d;
}

std::string sha256_hex(std::string_view data) { return hex_encode(sha256(data)); }

Sha256::Sha256() { ::SHA256_Init(sha_ctx(state_)); }
Sha256::~Sha256() = default;

void Sha256::update(std::string_view data) { update(data.data(), data.size()); }

void Sha256::update(const void* data, std::size_t size) {
  if (size != 0) ::SHA256_Update(sha_ctx(state_), data, size);
}

Sha256Digest Sha256::finish() {
  Sha256Digest d;
  ::SHA256_Final(d.data(), sha_ctx(state_));
  ::SHA256_Init(sha_ctx(state_));
  return d;
}

std::string Sha256::finish_hex() { return hex_encode(finish()); }

void Sha256::wipe() { secure_zero(state_, sizeof state_); }

// ---- HMAC-SHA256 (RFC 2104) ----

HmacSha256::HmacSha256() : HmacSha256(std::string_view()) {}

HmacSha256::HmacSha256(std::string_view key) {
  constexpr std::size_t kBlock = 64;
  std::uint8_t k0[kBlock] = {};
  if (key.size() > kBlock) {
    Sha256Digest hk = sha256(key);
    std::memcpy(k0, hk.data(), hk.size());
    secure_zero(hk.data(), hk.size());
  } else if (!key.empty()) {
    std::memcpy(k0, key.data(), key.size());
  }
  std::uint8_t pad[kBlock];
  for (std::size_t i = 0; i < kBlock; ++i) pad[i] = k0[i] ^ 0x36;
  inner_.update(pad, kBlock);
  for (std::size_t i = 0; i < kBlock; ++i) pad[i] = k0[i] ^ 0x5c;
  outer_.update(pad, kBlock);
  secure_zero(k0, sizeof k0);
  secure_zero(pad, sizeof pad);
}

HmacSha256::~HmacSha256() {
  inner_.wipe();
  outer_.wipe();
}

Sha256Digest HmacSha256::mac(std::string_view data) const {
  Sha256 h = inner_;
  h.update(data);
  Sha256Digest inner = h.finish();
  h = outer_;
  h.update(inner.data(), inner.size());
  return h.finish();  // finish() re-initialises h: no key-derived state is left behind
}

Sha256Digest hmac_sha256(std::string_view key, std::string_view data) { return HmacSha256(key).mac(data); }

// ---- MD5 ----

Md5Digest md5(std::string_view data) {
  EVP_MD_CTX* c = thread_ctx(md5_md());
  digest_update(c, data.data(), data.size());
  Md5Digest d;
  digest_final(c, d.data());
  return d;
}

std::string md5_base64(std::string_view data) { return base64_encode(md5(data)); }

Md5::Md5() : ctx_(new_ctx(md5_md())) {}
Md5::~Md5() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }
Md5::Md5(Md5&& other) noexcept : ctx_(other.ctx_) { other.ctx_ = nullptr; }
Md5& Md5::operator=(Md5&& other) noexcept {
  if (this != &other) {
    EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_));
    ctx_ = other.ctx_;
    other.ctx_ = nullptr;
  }
  return *this;
}

void Md5::update(std::string_view data) {
  if (ctx_ == nullptr) ctx_ = new_ctx(md5_md());
  digest_update(static_cast<EVP_MD_CTX*>(ctx_), data.data(), data.size());
}

Md5Digest Md5::finish() {
  if (ctx_ == nullptr) ctx_ = new_ctx(md5_md());
  auto* c = static_cast<EVP_MD_CTX*>(ctx_);
  Md5Digest d;
  digest_final(c, d.data());
  if (EVP_DigestInit_ex2(c, nullptr, nullptr) != 1) crypto_failure("digest reset");
  return d;
}

// ---- Encodings ----

namespace {
struct HexPairs {
  char pairs[256][2];
  constexpr HexPairs() : pairs() {
    for (int i = 0; i < 256; ++i) {
      pairs[i][0] = kHex[i >> 4];
      pairs[i][1] = kHex[i & 0x0f];
    }
  }
};
constexpr HexPairs kHexPairs;
}  // namespace

void hex_encode_to(const std::uint8_t* bytes, std::size_t size, char* out) {
  for (std::size_t i = 0; i < size; ++i) std::memcpy(out + 2 * i, kHexPairs.pairs[bytes[i]], 2);
}

std::string hex_encode(std::string_view bytes) {
  std::string s(2 * bytes.size(), '\0');
  hex_encode_to(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size(), s.data());
  return s;
}

std::string base64_encode(std::string_view bytes) {
  const auto* p = reinterpret_cast<const std::uint8_t*>(bytes.data());
  const std::size_t n = bytes.size();
  std::string out;
  out.reserve((n + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    const std::uint32_t v = (std::uint32_t{p[i]} << 16) | (std::uint32_t{p[i + 1]} << 8) | p[i + 2];
    out += kB64[(v >> 18) & 63];
    out += kB64[(v >> 12) & 63];
    out += kB64[(v >> 6) & 63];
    out += kB64[v & 63];
  }
  if (const std::size_t rest = n - i; rest != 0) {
    std::uint32_t v = std::uint32_t{p[i]} << 16;
    if (rest == 2) v |= std::uint32_t{p[i + 1]} << 8;
    out += kB64[(v >> 18) & 63];
    out += kB64[(v >> 12) & 63];
    out += rest == 2 ? kB64[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::size_t len = text.size();
  if (len % 4 == 0 && len >= 1 && text[len - 1] == '=') --len;
  if (len % 4 == 3 && len >= 1 && text[len - 1] == '=') --len;
  if (len % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(len / 4 * 3 + 2);
  std::uint32_t acc = 0;
  int bits = 0;
  for (std::size_t i = 0; i < len; ++i) {
    const int v = value(text[i]);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  // Leftover bits must be zero, or two encodings would decode to the same bytes.
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

// ---- Checksums ----

std::uint32_t crc32(std::string_view data, std::uint32_t previous) {
  return static_cast<std::uint32_t>(
      ::crc32_z(previous, reinterpret_cast<const Bytef*>(data.data()), data.size()));
}

namespace {

struct Crc32cTables {
  std::uint32_t t[8][256];
  Crc32cTables() {
    constexpr std::uint32_t kPoly = 0x82f63b78;  // Castagnoli, reflected
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ kPoly : c >> 1;
      t[0][i] = c;
    }
    for (std::uint32_t i = 0; i < 256; ++i)
      for (int s = 1; s < 8; ++s) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xff];
  }
};

// Slicing-by-8: eight bytes per step through eight tables.
std::uint32_t crc32c_software(const std::uint8_t* p, std::size_t n, std::uint32_t crc) {
  static const Crc32cTables tables;
  const auto& t = tables.t;
  while (n >= 8) {
    std::uint32_t lo;
    std::uint32_t hi;
    std::memcpy(&lo, p, 4);
    std::memcpy(&hi, p + 4, 4);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    lo = __builtin_bswap32(lo);
    hi = __builtin_bswap32(hi);
#endif
    lo ^= crc;
    crc = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^ t[5][(lo >> 16) & 0xff] ^ t[4][lo >> 24] ^
          t[3][hi & 0xff] ^ t[2][(hi >> 8) & 0xff] ^ t[1][(hi >> 16) & 0xff] ^ t[0][hi >> 24];
    p += 8;
    n -= 8;
  }
  while (n-- != 0) crc = (crc >> 8) ^ t[0][(crc ^ *p++) & 0xff];
  return crc;
}

#if AWSDL_CRC32C_X86
__attribute__((target("sse4.2"))) std::uint32_t crc32c_sse42(const std::uint8_t* p, std::size_t n,
                                                               std::uint32_t crc) {
#if defined(__x86_64__)
  std::uint64_t c = crc;
  while (n >= 8) {
    std::uint64_t v;
    std::memcpy(&v, p, 8);
    c = _mm_crc32_u64(c, v);
    p += 8;
    n -= 8;
  }
  crc = static_cast<std::uint32_t>(c);
#endif
  while (n-- != 0) crc = _mm_crc32_u8(crc, *p++);
  return crc;
}
#endif

}  // namespace

std::uint32_t crc32c(std::string_view data, std::uint32_t previous) {
  const auto* p = reinterpret_cast<const std::uint8_t*>(data.data());
  const std::uint32_t crc = ~previous;
#if AWSDL_CRC32C_X86
  static const bool hw = __builtin_cpu_supports("sse4.2");
  if (hw) return ~crc32c_sse42(p, data.size(), crc);
#endif
  return ~crc32c_software(p, data.size(), crc);
}

std::uint32_t crc32c_portable(std::string_view data, std::uint32_t previous) {
  return ~crc32c_software(reinterpret_cast<const std::uint8_t*>(data.data()), data.size(), ~previous);
}

std::string checksum_base64(std::uint32_t value) {
  const char be[4] = {static_cast<char>(value >> 24), static_cast<char>(value >> 16),
                      static_cast<char>(value >> 8), static_cast<char>(value)};
  return base64_encode(std::string_view(be, 4));
}

void secure_zero(void* data, std::size_t size) {
#if defined(__GNUC__) || defined(__clang__)
  // memset is vectorised where OPENSSL_cleanse goes byte by byte; the empty asm that
  // "reads" the memory keeps the compiler from dropping the store.
  std::memset(data, 0, size);
  __asm__ __volatile__("" : : "r"(data) : "memory");
#else
  OPENSSL_cleanse(data, size);
#endif
}

}  // namespace awsdl::internal
