#pragma once
// Bytes for the S3 tests: reproducible random data, and a body source that streams a string.

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <string>

#include "awsdl/core/result.hpp"
#include "awsdl/http/message.hpp"

namespace awsdl::testsupport {

/// `n` pseudo-random bytes, the same for the same `seed`.
inline std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; i += 8) {
    const std::uint64_t v = rng();
    std::memcpy(&s[i], &v, std::min<std::size_t>(8, n - i));
  }
  return s;
}

/// A body source that reads `data` (which must outlive it) from its start to its end.
inline http::BodySource string_source(const std::string& data) {
  auto pos = std::make_shared<std::size_t>(0);
  return [&data, pos](char* buf, std::size_t len) -> Result<std::size_t> {
    const std::size_t n = std::min(len, data.size() - *pos);
    std::memcpy(buf, data.data() + *pos, n);
    *pos += n;
    return n;
  };
}

}  // namespace awsdl::testsupport
