#include "auth/signing_key_cache.hpp"

#include <algorithm>
#include <cstring>

namespace awsdl::internal {

Sha256Digest derive_signing_key(std::string_view secret, std::string_view date8, std::string_view region,
                                std::string_view service) {
  // "AWS4" + secret without a heap copy for ordinary secret lengths.
  char buf[128];
  std::string heap;
  std::string_view k_secret;
  if (secret.size() + 4 <= sizeof buf) {
    std::memcpy(buf, "AWS4", 4);
    std::memcpy(buf + 4, secret.data(), secret.size());
    k_secret = std::string_view(buf, secret.size() + 4);
  } else {
    heap = "AWS4";
    heap.append(secret);
    k_secret = heap;
  }
  Sha256Digest k = hmac_sha256(k_secret, date8);
  k = hmac_sha256(as_chars(k), region);
  k = hmac_sha256(as_chars(k), service);
  k = hmac_sha256(as_chars(k), "aws4_request");
  secure_zero(buf, sizeof buf);
  if (!heap.empty()) secure_zero(heap.data(), heap.size());
  return k;
}

namespace {

std::uint64_t fingerprint(std::string_view s) {
  std::uint64_t h = 0x243f6a8885a308d3ULL ^ s.size();
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
    h ^= h >> 29;
  }
  std::uint64_t tail = 0;
  std::memcpy(&tail, s.data() + i, s.size() - i);
  h = (h ^ tail) * 0xbf58476d1ce4e5b9ULL;
  return h ^ (h >> 31);
}

// The secret's SHA-256 costs about as much as the rest of the lookup, and a thread signs
// with the same secret again and again: remember the last one, recognised by a 64-bit
// fingerprint (no copy of the secret is kept). A fingerprint collision between two secrets
// used in turn on one thread (odds 2^-64) would give a wrong signature, never a wrong key
// disclosed.
const Sha256Digest& secret_digest(std::string_view secret) {
  struct Memo {
    std::uint64_t fingerprint = 0;
    std::size_t size = 0;
    bool valid = false;
    Sha256Digest digest{};
  };
  thread_local Memo memo;
  const std::uint64_t fp = fingerprint(secret);
  if (!memo.valid || memo.fingerprint != fp || memo.size != secret.size()) {
    memo.digest = sha256(secret);
    memo.fingerprint = fp;
    memo.size = secret.size();
    memo.valid = true;
  }
  return memo.digest;
}

}  // namespace

HmacSha256 SigningKeyCache::get(std::string_view secret, std::string_view date8, std::string_view region,
                                  std::string_view service) {
  const Sha256Digest digest = secret_digest(secret);
  std::array<char, 8> date{};
  std::memcpy(date.data(), date8.data(), std::min<std::size_t>(date8.size(), 8));
  const bool cacheable = date8.size() == 8;

  if (cacheable) {
    std::lock_guard lock(mu_);
    for (auto& e : entries_) {
      if (e.valid && e.secret_digest == digest && e.date == date && e.region == region && e.service == service) {
        e.last_used = ++tick_;
        ++stats_.hits;
        return e.key;
      }
    }
  }

  // Derived outside the lock: other threads keep signing meanwhile.
  Sha256Digest raw = derive_signing_key(secret, date8, region, service);
  const HmacSha256 key(as_chars(raw));
  secure_zero(raw.data(), raw.size());
  std::lock_guard lock(mu_);
  ++stats_.misses;
  if (!cacheable) return key;
  Entry* slot = &entries_[0];
  for (auto& e : entries_) {
    if (!e.valid) {
      slot = &e;
      break;
    }
    if (e.last_used < slot->last_used) slot = &e;
  }
  slot->secret_digest = digest;
  slot->date = date;
  slot->region.assign(region);
  slot->service.assign(service);
  slot->key = key;
  slot->last_used = ++tick_;
  slot->valid = true;
  return key;
}

SigningKeyCache::Stats SigningKeyCache::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void SigningKeyCache::clear() {
  std::lock_guard lock(mu_);
  for (auto& e : entries_) {
    e.key = HmacSha256();
    e.valid = false;
  }
  stats_ = {};
}

SigningKeyCache& SigningKeyCache::global() {
  // Never destroyed: signing from a static destructor elsewhere must still work.
  static auto* cache = new SigningKeyCache();
  return *cache;
}

}  // namespace awsdl::internal
