#pragma once
// CRC-64/NVME (the NVMe/Rocksoft CRC64: reflected polynomial 0x9a6c9329ac4bc9b5, initial and
// final value all ones), the checksum S3 keeps for whole objects (x-amz-checksum-crc64nvme,
// FULL_OBJECT). Computed by Google's crcutil (Debian's libcrcutil-dev), not by a table of
// ours; crcutil also combines the values of consecutive blocks without their bytes, so parts
// checksummed on different threads give the whole object's value.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace awsdl::internal {

/// The CRC of `data`, continuing from `previous` (the CRC of what came before; 0 = nothing).
std::uint64_t crc64nvme(std::string_view data, std::uint64_t previous = 0);
/// The CRC of A followed by B, from CRC(A), CRC(B) and B's length, without the bytes.
std::uint64_t crc64nvme_combine(std::uint64_t crc_a, std::uint64_t crc_b, std::uint64_t bytes_b);

/// Base64 of the 8 big-endian bytes: the x-amz-checksum-crc64nvme header form.
std::string crc64nvme_base64(std::uint64_t value);
/// The inverse; nullopt unless exactly 8 bytes of valid base64.
std::optional<std::uint64_t> parse_crc64nvme_base64(std::string_view text);
/// 16 lower-case hex digits (the manifest's form), and the inverse (nullopt unless exactly that).
std::string crc64nvme_hex(std::uint64_t value);
std::optional<std::uint64_t> parse_crc64nvme_hex(std::string_view text);

}  // namespace awsdl::internal
