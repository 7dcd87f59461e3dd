#pragma once
// What a staged archive holds, in a form small enough to travel with the S3 object as user
// metadata (x-amz-meta-awsdl-manifest), so that unstage can check what it extracted against
// what stage wrote without a second object.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "awsdl/core/result.hpp"

namespace awsdl::internal {

/// Compression of the whole tar stream (a libarchive filter around the tar format).
enum class Compression { kNone, kGzip, kZstd };

/// "none", "gzip", "zstd": the manifest spelling.
std::string_view to_string(Compression compression);
/// Inverse of to_string(); nullopt for anything else (case-sensitive).
std::optional<Compression> parse_compression(std::string_view text);

/// Counters a TarWriter produces and a TarExtractor reproduces, so the two can be compared.
struct ArchiveStats {
  std::uint64_t entries = 0;        // every entry: files, directories, symlinks, hard links
  std::uint64_t files = 0;          // regular files (hard links not counted)
  std::uint64_t file_bytes = 0;     // sum of the regular files' sizes
  std::uint64_t archive_bytes = 0;  // bytes of the archive as stored (after compression)
  std::string archive_sha256;       // lower-case hex SHA-256 of those bytes; empty until complete (or not asked for)
  std::string archive_crc64nvme;    // 16 lower-case hex digits: CRC-64/NVME of those bytes; empty until known
};

struct Manifest {
  static constexpr int kFormatVersion = 2;

  int version = kFormatVersion;
  std::uint64_t file_count = 0;
  std::uint64_t file_bytes = 0;
  std::uint64_t archive_bytes = 0;
  std::string archive_crc64nvme;  // 16 lower-case hex digits (version 2; S3's full-object checksum)
  std::string archive_sha256;     // 64 lower-case hex digits (version 1 always; version 2 when asked for)
  Compression compression = Compression::kNone;

  bool operator==(const Manifest&) const = default;
};

/// The user-metadata key the manifest is stored under (sent as x-amz-meta-awsdl-manifest).
inline constexpr std::string_view kManifestMetadataKey = "awsdl-manifest";

Manifest make_manifest(const ArchiveStats& stats, Compression compression);

/// Compact ASCII, at most ~200 bytes, no spaces, safe as an HTTP header value:
///   v2;files=12;bytes=3456;archive=8192;crc64nvme=<16 hex>[;sha256=<64 hex>];compression=none
/// (version 1, written before CRC-64/NVME: v1;files=..;bytes=..;archive=..;sha256=<64 hex>;compression=..)
std::string serialize_manifest(const Manifest& manifest);

/// Strict inverse of serialize_manifest(), for versions 1 and 2: exactly those keys in that
/// order, decimal numbers without sign or leading zeros that fit in 64 bits, lower-case hex
/// digits, a known compression. Anything else is a kParse error ("MalformedManifest", or
/// "UnsupportedManifestVersion" for a well-formed manifest of another version).
Result<Manifest> parse_manifest(std::string_view text);

/// Compares what an extraction saw with the manifest stored at staging time: size, the
/// manifest's checksums (CRC-64/NVME and/or SHA-256: each one the manifest has must have been
/// computed and equal), compression, counts. A kIo error "ManifestMismatch" naming the first
/// field that differs.
Status verify_manifest(const Manifest& expected, const ArchiveStats& actual, Compression actual_compression);

}  // namespace awsdl::internal
