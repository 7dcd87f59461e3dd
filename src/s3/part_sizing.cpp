#include "awsdl/s3/transfer.hpp"

namespace awsdl::s3 {

Result<std::uint64_t> choose_part_size(std::uint64_t size, std::uint64_t preferred) {
  std::uint64_t part = std::max(preferred, kMinPartSize);
  if (part > kMaxPartSize)
    return Error::invalid_argument("InvalidPartSize", "a part is at most 5 GiB, not " + std::to_string(part) + " bytes");
  const std::uint64_t parts = static_cast<std::uint64_t>(kMaxParts);
  if (size > parts * kMaxPartSize)
    return Error::invalid_argument("ObjectTooLarge", "an object of " + std::to_string(size) +
                                                         " bytes does not fit in 10,000 parts of 5 GiB");
  if ((size + part - 1) / part > parts) {
    std::uint64_t needed = (size + parts - 1) / parts;
    part = (needed + kMiB - 1) / kMiB * kMiB;  // a whole MiB, as the SDKs round
    if (part > kMaxPartSize) part = kMaxPartSize;
  }
  return part;
}

}  // namespace awsdl::s3
