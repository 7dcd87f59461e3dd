#include "util/crc64nvme.hpp"

#include <generic_crc.h>

#include "util/crypto.hpp"

namespace awsdl::internal {

namespace {

// crcutil's generic CRC over 64-bit words, 4 words per stride (its fastest portable kernel),
// with the reflected NVMe polynomial; "canonical" applies the all-ones start and final xor.
using Crc = crcutil::GenericCrc<crcutil::uint64, crcutil::uint64, crcutil::uint64, 4>;

const Crc& engine() {
  static const Crc crc(0x9a6c9329ac4bc9b5ULL, 64, true);
  return crc;
}

}  // namespace

std::uint64_t crc64nvme(std::string_view data, std::uint64_t previous) {
  if (data.empty()) return previous;
  return engine().CrcDefault(data.data(), data.size(), previous);
}

std::uint64_t crc64nvme_combine(std::uint64_t crc_a, std::uint64_t crc_b, std::uint64_t bytes_b) {
  if (bytes_b == 0) return crc_a;
  return engine().Base().Concatenate(crc_a, crc_b, bytes_b);
}

std::string crc64nvme_base64(std::uint64_t value) {
  char bytes[8];
  for (int i = 7; i >= 0; --i) {
    bytes[i] = static_cast<char>(value & 0xff);
    value >>= 8;
  }
  return base64_encode(std::string_view(bytes, 8));
}

std::optional<std::uint64_t> parse_crc64nvme_base64(std::string_view text) {
  auto bytes = base64_decode(text);
  if (!bytes || bytes->size() != 8) return std::nullopt;
  std::uint64_t v = 0;
  for (unsigned char c : *bytes) v = (v << 8) | c;
  return v;
}

std::string crc64nvme_hex(std::uint64_t value) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = kDigits[value & 0xf];
    value >>= 4;
  }
  return out;
}

std::optional<std::uint64_t> parse_crc64nvme_hex(std::string_view text) {
  if (text.size() != 16) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : text) {
    int d;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    else return std::nullopt;
    v = (v << 4) | static_cast<std::uint64_t>(d);
  }
  return v;
}

}  // namespace awsdl::internal
