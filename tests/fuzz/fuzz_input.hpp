#pragma once
// Splits a fuzzer's bytes into the pieces of a structured input (a request, a response with
// a status and headers): leading bytes for choices, NUL-separated fields, the rest as a body.
// Every accessor is total: past the end it returns 0 or an empty view, so that any byte string
// is a valid input.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace awsdl::fuzz {

class FuzzInput {
 public:
  FuzzInput(const std::uint8_t* data, std::size_t size)
      : rest_(reinterpret_cast<const char*>(data), size) {}

  /// The next byte, or 0 at the end.
  std::uint8_t byte() {
    if (rest_.empty()) return 0;
    const auto b = static_cast<std::uint8_t>(rest_.front());
    rest_.remove_prefix(1);
    return b;
  }

  /// The next four bytes, little-endian (missing bytes are 0).
  std::uint32_t u32() {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= static_cast<std::uint32_t>(byte()) << (8 * i);
    return v;
  }

  /// Up to the next NUL (consumed, not included), or everything left.
  std::string_view field() {
    const auto nul = rest_.find('\0');
    const std::string_view f = rest_.substr(0, nul);
    rest_.remove_prefix(nul == std::string_view::npos ? rest_.size() : nul + 1);
    return f;
  }

  /// Everything left.
  std::string_view rest() {
    const std::string_view r = rest_;
    rest_ = {};
    return r;
  }

  bool empty() const { return rest_.empty(); }

 private:
  std::string_view rest_;
};

/// A property the code under test must keep: abort (libFuzzer keeps the input) with `what`.
inline void require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz property violated: %s\n", what);
  std::abort();
}

}  // namespace awsdl::fuzz
