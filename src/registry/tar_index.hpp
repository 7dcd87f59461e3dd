#pragma once
// Where each regular file of an uncompressed tar lies, so blobs can be read in parallel
// straight from the archive with pread (docker-save and OCI tarballs are plain tars).

#include <cstdint>
#include <map>
#include <string>

#include "awsdl/core/result.hpp"

namespace awsdl::internal {

struct TarMember {
  std::uint64_t offset = 0;  // of the data
  std::uint64_t size = 0;
};

/// Regular files by name ("./" prefixes removed). Understands ustar, pax ('x') and GNU
/// long names ('L'); refuses compressed or malformed archives with kParse "BadImageTarball".
Result<std::map<std::string, TarMember>> index_tar(const std::string& path);

}  // namespace awsdl::internal
