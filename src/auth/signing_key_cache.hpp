#pragma once
// The SigV4 signing key (an HMAC chain over secret, date, region and service) and a small
// thread-safe cache of it, so that repeated signatures skip the four-HMAC derivation.

#include <array>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include "internal/crypto.hpp"

namespace awsdl::internal {

/// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request").
Sha256Digest derive_signing_key(std::string_view secret, std::string_view date8, std::string_view region,
                                std::string_view service);

/// Keyed by a digest of the secret (never the secret itself), the date, region and service.
/// Holds the key ready for HMAC (pads hashed). Least recently used entries are dropped
/// beyond a handful.
class SigningKeyCache {
 public:
  static constexpr std::size_t kCapacity = 16;

  HmacSha256 get(std::string_view secret, std::string_view date8, std::string_view region,
                 std::string_view service);

  struct Stats {
    std::uint64_t hits = 0;
    std::uint64_t misses = 0;
  };
  Stats stats() const;
  void clear();

  /// The process-wide cache the signer uses.
  static SigningKeyCache& global();

 private:
  struct Entry {
    Sha256Digest secret_digest{};
    std::array<char, 8> date{};
    std::string region;
    std::string service;
    HmacSha256 key;
    std::uint64_t last_used = 0;
    bool valid = false;
  };

  mutable std::mutex mu_;
  std::array<Entry, kCapacity> entries_;
  std::uint64_t tick_ = 0;
  Stats stats_;
};

}  // namespace awsdl::internal
