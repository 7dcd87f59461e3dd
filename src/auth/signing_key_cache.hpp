#pragma once
// The SigV4 signing key (an HMAC chain over secret, date, region and service) and a small
// thread-safe cache of it, so that repeated signatures skip the four-HMAC derivation. A
// Config owns one (Config::signing_keys, shared by its copies); the signer uses the one its
// SigningParams name, and none otherwise: there is no process-wide cache.

#include <array>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include "awsdl/auth/sigv4.hpp"
#include "util/crypto.hpp"

namespace awsdl::internal {

/// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request").
Sha256Digest derive_signing_key(std::string_view secret, std::string_view date8, std::string_view region,
                                std::string_view service);

/// The key ready for HMAC: from `cache` when there is one, else derived for this use alone.
HmacSha256 signing_key(auth::SigningKeyCache* cache, std::string_view secret, std::string_view date8,
                       std::string_view region, std::string_view service);

}  // namespace awsdl::internal

namespace awsdl::auth {

/// Keyed by a digest of the secret (never the secret itself), the date, region and service.
/// Holds the key ready for HMAC (pads hashed). Least recently used entries are dropped
/// beyond a handful.
class SigningKeyCache {
 public:
  static constexpr std::size_t kCapacity = 16;

  SigningKeyCache() = default;
  SigningKeyCache(const SigningKeyCache&) = delete;
  SigningKeyCache& operator=(const SigningKeyCache&) = delete;
  ~SigningKeyCache();

  internal::HmacSha256 get(std::string_view secret, std::string_view date8, std::string_view region,
                           std::string_view service);

  struct Stats {
    std::uint64_t hits = 0;
    std::uint64_t misses = 0;
  };
  Stats stats() const;
  void clear();

 private:
  struct Entry {
    internal::Sha256Digest secret_digest{};
    std::array<char, 8> date{};
    std::string region;
    std::string service;
    internal::HmacSha256 key;
    std::uint64_t last_used = 0;
    bool valid = false;
  };
  // The last secret's digest, recognised by a 64-bit fingerprint (no copy of the secret is
  // kept): its SHA-256 costs about as much as the rest of the lookup, and one Config signs
  // with the same secret again and again.
  struct SecretMemo {
    std::uint64_t fingerprint = 0;
    std::size_t size = 0;
    internal::Sha256Digest digest{};
    bool valid = false;
  };

  mutable std::mutex mu_;
  std::array<Entry, kCapacity> entries_;
  SecretMemo memo_;
  std::uint64_t tick_ = 0;
  Stats stats_;
};

}  // namespace awsdl::auth
