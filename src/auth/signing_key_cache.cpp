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

}  // namespace

HmacSha256 signing_key(auth::SigningKeyCache* cache, std::string_view secret, std::string_view date8,
                       std::string_view region, std::string_view service) {
  if (cache != nullptr) return cache->get(secret, date8, region, service);
  Sha256Digest raw = derive_signing_key(secret, date8, region, service);
  const HmacSha256 key(as_chars(raw));
  secure_zero(raw.data(), raw.size());
  return key;
}

}  // namespace awsdl::internal

namespace awsdl::auth {

using internal::HmacSha256;
using internal::Sha256Digest;

std::shared_ptr<SigningKeyCache> make_signing_key_cache() { return std::make_shared<SigningKeyCache>(); }

SigningKeyCache::~SigningKeyCache() { clear(); }

HmacSha256 SigningKeyCache::get(std::string_view secret, std::string_view date8, std::string_view region,
                                std::string_view service) {
  const std::uint64_t fp = internal::fingerprint(secret);
  std::array<char, 8> date{};
  std::memcpy(date.data(), date8.data(), std::min<std::size_t>(date8.size(), 8));
  const bool cacheable = date8.size() == 8;

  std::unique_lock lock(mu_);
  Sha256Digest digest;
  if (memo_.valid && memo_.fingerprint == fp && memo_.size == secret.size()) {
    digest = memo_.digest;
  } else {
    // Hashed outside the lock: other threads keep signing meanwhile. A fingerprint collision
    // between two secrets used in turn (odds 2^-64) would give a wrong signature, never a
    // wrong key disclosed.
    lock.unlock();
    digest = internal::sha256(secret);
    lock.lock();
    memo_ = SecretMemo{fp, secret.size(), digest, true};
  }
  if (cacheable) {
    for (auto& e : entries_) {
      if (e.valid && e.secret_digest == digest && e.date == date && e.region == region && e.service == service) {
        e.last_used = ++tick_;
        ++stats_.hits;
        return e.key;
      }
    }
  }
  lock.unlock();

  // Derived outside the lock as well.
  Sha256Digest raw = internal::derive_signing_key(secret, date8, region, service);
  const HmacSha256 key(internal::as_chars(raw));
  internal::secure_zero(raw.data(), raw.size());
  lock.lock();
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
    internal::secure_zero(e.secret_digest.data(), e.secret_digest.size());
    e.valid = false;
  }
  internal::secure_zero(memo_.digest.data(), memo_.digest.size());
  memo_ = SecretMemo{};
  stats_ = {};
}

}  // namespace awsdl::auth
