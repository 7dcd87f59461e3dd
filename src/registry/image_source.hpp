#pragma once
// Reads a docker-save tarball or an OCI layout (directory or tar) into the list of blobs to
// push and what the manifest needs, without extracting anything.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "awsdl/core/result.hpp"
#include "registry/tar_index.hpp"

namespace awsdl::internal {

/// Bytes of one blob inside a file (a tar member, or a whole file of a layout directory).
struct BlobLocation {
  std::string file;
  std::uint64_t offset = 0;
  std::uint64_t size = 0;
};

struct SourceBlob {
  std::string name;        // for messages and progress
  BlobLocation where;
  std::string media_type;  // as pushed
  /// The digest the source bytes must have ("sha256:<hex>"); empty when the source does not
  /// say (then the bytes are hashed before upload).
  std::string expected_digest;
  /// docker-save layers are uncompressed: gzip them while uploading. expected_digest is then
  /// the uncompressed digest (the config's diff_id).
  bool gzip = false;
};

struct ImageSource {
  enum class Kind { kDockerSave, kOci };
  Kind kind = Kind::kDockerSave;
  SourceBlob config;
  std::vector<SourceBlob> layers;
  // OCI: the manifest exactly as stored (its digest must not change) and its media type.
  std::string manifest;
  std::string manifest_media_type;
};

/// `oci_ref_name`: which image of an OCI index.json (annotation org.opencontainers.image.ref.name);
/// empty = the only one.
Result<ImageSource> open_image_source(const std::string& path, const std::string& oci_ref_name);

/// Reads a whole small blob (config, manifest) and checks its size bound.
Result<std::string> read_small_blob(const BlobLocation& where, std::uint64_t limit = 16u << 20);

/// "sha256:<64 hex>" → true.
bool is_sha256_digest(const std::string& digest);

}  // namespace awsdl::internal
