#pragma once
// Helpers shared by stager_stage.cpp and stager_unstage.cpp.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "awsdl/core/result.hpp"
#include "awsdl/s3/uri.hpp"
#include "awsdl/stage/stager.hpp"
#include "stage/manifest.hpp"
#include "stage/tar_extractor.hpp"

namespace awsdl::internal {

/// User-metadata key tying an archive to its sidecar manifest (x-amz-meta-awsdl-stage-id).
inline constexpr std::string_view kStageIdMetadataKey = "awsdl-stage-id";
/// User-metadata key on the archive naming its sidecar, for people and other tools.
inline constexpr std::string_view kManifestObjectMetadataKey = "awsdl-manifest-object";
/// A sidecar is a one-line manifest; anything bigger is not one.
inline constexpr std::uint64_t kMaxManifestBytes = 4096;

Compression to_internal(stage::Compression c);
stage::Compression to_public(Compression c);

/// s3://bucket/key with a key that names an object (not empty, not ending in '/').
Result<s3::S3Uri> parse_archive_uri(std::string_view text);

/// What unstage and unstage_on check before a byte is extracted: the options, the sidecar
/// manifest (required unless options.require_manifest is false) and that it belongs to the
/// archive as it is now (HeadObject: the same stage id and size).
struct UnstagePlan {
  s3::S3Uri uri;
  std::optional<Manifest> manifest;
  std::uint64_t object_size = 0;
  std::string etag;
  /// S3 keeps a full-object CRC64NVME for the object and it is the manifest's: the download
  /// checks the bytes against it, and the extractor need not compute it again.
  bool s3_crc_is_manifests = false;
};
Result<UnstagePlan> prepare_unstage(const s3::S3Client& client, std::string_view s3_uri, const std::string& directory,
                                    const stage::UnstageOptions& options);

/// The extractor's bounds from the plan's manifest: its file count and bytes.
TarExtractorOptions extractor_options(const UnstagePlan& plan);

/// The stager's clock: its Config's runtime (a ManualClock in tests), for durations and for
/// the time left before CallOptions::deadline, which is on that clock too.
Clock& stager_clock(const s3::S3Client& client);

/// What unstage and unstage_on return for an extraction that saw `stats`, begun at `started`
/// on `clock`.
stage::UnstageResult unstage_result(const ArchiveStats& stats, Compression compression, bool manifest_verified,
                                    Clock& clock, SteadyTime started);

/// The same error, its message prefixed with what was being done.
Error with_context(Error error, const std::string& context);

}  // namespace awsdl::internal
