#pragma once
// The tar/S3 stager: a dataset's files and directories streamed into one tar object in S3,
// and back out into a directory, each way in one pass with no temporary file.
//
//   awsdl::stage::Stager stager(config);
//   auto s = stager.stage({"data/coco", "weights/R50.npz"}, "s3://team-bucket/coco.tar",
//                         {.part_size = 16 << 20, .concurrency = 8});
//   auto u = stager.unstage("s3://team-bucket/coco.tar", "/efs/coco");
//
// stage: a pax tar (see the archive layout below) is produced on the fly and cut into the
// parts of a parallel multipart upload. Memory is bounded by concurrency x part size plus a
// few MiB, whatever the dataset's size. Any failure or cancellation aborts the multipart
// upload, so nothing is left behind.
//
// Archive layout: each input's base name is its top-level name (like `tar -C parent -cf -
// name`); directories depth first, entries sorted byte-wise; symbolic links stored as links;
// permission bits and mtimes kept; owners not stored (uid/gid 0); long names and files over
// 8 GiB use pax headers. GNU tar and bsdtar list and extract it. Optionally gzip or zstd
// compressed (off by default: images and weights do not compress).
//
// The manifest: the archive's file count, byte count, size and SHA-256 are only known once the
// last byte has been produced, after the object's metadata had to be sent (with
// CreateMultipartUpload). So the manifest is a small sidecar object, `<key>.manifest`
// (manifest_key()), written after the archive is complete. To tie the two together, both
// carry the same random stage id in their user metadata (x-amz-meta-awsdl-stage-id): a
// sidecar left over from an earlier stage of the same key is detected ("ManifestStale")
// rather than trusted. If the sidecar cannot be written, the archive is deleted again.
//
// unstage: parallel ranged GETs delivered in order to a streaming extractor. Extraction is
// safe: absolute names, ".." components, symbolic-link or hard-link escapes, writes through a
// symbolic link, devices and fifos are refused (kInvalidArgument "UnsafeArchiveEntry", naming
// the entry) and nothing outside the target directory is ever touched. What an archive may
// make is bounded before it is written: a file beyond the manifest's file count or byte count
// (a compression bomb; kIo "ManifestMismatch" naming the entry) or larger than the free space
// of the target's file system (kIo "NoSpace"; a sparse file counts at its apparent size). At
// the end what was extracted is checked against the manifest (kIo "ManifestMismatch" naming
// the field).
//
// Verified before it is visible: the archive is extracted into a staging directory inside the
// target (.awsdl-unstage-<random>), and its entries move into the target only once the whole
// archive is extracted and matches its manifest. A target that already has files: the
// archive's entries replace same-named entries (files and links atomically; directories merge,
// keeping the target's other entries, and take the archive's mode and time); a non-empty
// directory where the archive has a file or link is a conflict (kIo "TargetConflict"), found
// before anything moves. A failed, refused or cancelled unstage leaves the target as it was
// (and removes a target it created). A run killed outright (SIGKILL, a lost machine) leaves
// its staging directory behind: the next unstage into that target removes it (a running
// one's is kept: each holds a lock on its own).
//
// unstage_on: the same, but the archive is extracted on another host reached over SSH (a
// cluster's master, onto its shared file system), straight from S3: the bytes never pass
// through this machine. This machine checks the manifest and signs a GET URL for the archive
// (presign, valid for kUnstageUrlLifetime; nothing else of its credentials leaves it, and the
// URL travels on the SSH channel's stdin, never on a command line or in a log). On the host,
// awsdl-unpack, a static program that ships with the library (copied once, into the host's
// ${XDG_CACHE_HOME:-~/.cache}/awsdl/, named by its SHA-256), fetches parallel ranges of that
// URL with curl and feeds them to the same safe extractor; its counts and SHA-256 come back
// and are checked against the manifest here. The host needs curl, a POSIX shell, and this
// machine's architecture.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "awsdl/config.hpp"
#include "awsdl/core/options.hpp"
#include "awsdl/core/result.hpp"
#include "awsdl/export.hpp"
#include "awsdl/s3/client.hpp"

namespace awsdl::ssh {
class Session;
}

namespace awsdl::stage {

/// Next steps (Error::next_steps) the stager suggests; the detail is the archive's s3:// URI.
namespace next_step {
/// Extract without checking a manifest (UnstageOptions::require_manifest = false), if the
/// archive is trusted.
inline constexpr const char* kUnstageUnverified = "stage.unstage_unverified";
}  // namespace next_step

enum class Compression { kNone, kGzip, kZstd };

/// "none", "gzip", "zstd".
AWSDL_EXPORT const char* to_string(Compression compression);
/// Inverse of to_string(); kInvalidArgument "InvalidCompression" for anything else.
AWSDL_EXPORT Result<Compression> parse_compression(std::string_view text);

/// "<key>.manifest": where the manifest of the archive at `key` is stored.
AWSDL_EXPORT std::string manifest_key(std::string_view key);

struct AWSDL_EXPORT StageProgress {
  std::uint64_t input_bytes_done = 0;   // file bytes read into the archive so far
  std::uint64_t input_bytes_total = 0;  // file bytes found when the inputs were walked
  std::uint64_t uploaded_bytes = 0;     // archive bytes S3 has acknowledged
  int parts_done = 0;
};

struct AWSDL_EXPORT StageOptions {
  std::uint64_t part_size = 16ull << 20;  // at least 5 MiB; grown when 10,000 parts would not fit
  int concurrency = 8;                    // parts in flight
  Compression compression = Compression::kNone;
  int compression_level = 0;              // 0: the default (gzip 1, igzip's fast level; zstd 3)
  /// Called (serialised) from the staging threads as input is read and parts complete.
  std::function<void(const StageProgress&)> on_progress;
  /// Storage class and encryption of the archive (user metadata is reserved for the stager).
  std::string storage_class;
  std::string server_side_encryption;
  /// Continue an interrupted stage of the same key (a killed process) instead of starting
  /// over: the latest in-progress multipart upload of the key is found (ListMultipartUploads),
  /// the archive is produced again (it is deterministic: same inputs, same bytes) and only
  /// the parts S3 does not already hold with the same size, MD5 ETag and checksum are sent.
  /// Without such an upload this is an ordinary stage. Changed inputs are safe: the parts
  /// that differ are sent again. The archive keeps the stage id it was started with.
  bool resume = false;
  /// When the stage is cancelled (call.cancel), keep its multipart upload for a later
  /// `resume` instead of aborting it (the error's message says so and names the upload id);
  /// other failures still abort it. It is billed until completed or aborted.
  bool keep_upload_on_cancel = false;
  /// Also the archive's SHA-256, in the result and the manifest, for people who check with
  /// sha256sum: a second pass over every byte. Without it the archive's integrity is S3's
  /// CRC-64/NVME full-object checksum, which every part carries, S3 checks at completion and
  /// unstage checks end to end.
  bool sha256 = false;
  CallOptions call;                       // cancellation and overall deadline
};

struct AWSDL_EXPORT StageResult {
  std::string bucket;
  std::string key;
  std::string manifest_key;
  std::uint64_t entries = 0;         // files, directories, symbolic links
  std::uint64_t files = 0;
  std::uint64_t file_bytes = 0;
  std::uint64_t archive_bytes = 0;   // as stored (after compression)
  std::string archive_crc64nvme;     // 16 lower-case hex digits, of the stored bytes (S3 checked it)
  std::string archive_sha256;        // lower-case hex, of the stored bytes; only with StageOptions::sha256
  Compression compression = Compression::kNone;
  int parts = 0;                     // 0 when the archive was small enough for one PUT
  int parts_reused = 0;              // resume: parts already on S3, not sent again
  std::string resumed_upload_id;     // resume: the multipart upload that was continued
  std::uint64_t part_size = 0;
  std::string etag;
  std::string stage_id;
  std::chrono::milliseconds duration{0};
};

struct AWSDL_EXPORT UnstageProgress {
  std::uint64_t bytes_done = 0;   // archive bytes downloaded and handed to the extractor
  std::uint64_t bytes_total = 0;  // the object's size
};

struct AWSDL_EXPORT UnstageOptions {
  std::uint64_t part_size = 16ull << 20;  // size of each ranged GET
  int concurrency = 8;                    // ranges in flight
  /// Refuse an archive without a manifest (one not written by stage). When false, such an
  /// archive is extracted (just as safely) without the final check.
  bool require_manifest = true;
  std::function<void(const UnstageProgress&)> on_progress;
  /// unstage_on only: the awsdl-unpack program to copy to the host. Empty: the one built or
  /// installed with this library (<libexecdir>/awsdl/awsdl-unpack).
  std::string unpack_helper;
  CallOptions call;
};

/// How long the URL unstage_on() signs stays valid; every range is requested within it. With
/// temporary credentials (a role, SSO) it also ends when they do.
inline constexpr std::chrono::seconds kUnstageUrlLifetime{12 * 3600};

struct AWSDL_EXPORT UnstageResult {
  std::uint64_t entries = 0;
  std::uint64_t files = 0;
  std::uint64_t file_bytes = 0;
  std::uint64_t archive_bytes = 0;
  std::string archive_crc64nvme;  // of the bytes extracted (16 lower-case hex digits)
  std::string archive_sha256;     // when the manifest has one (or there is no manifest)
  Compression compression = Compression::kNone;
  bool manifest_verified = false;
  std::chrono::milliseconds duration{0};
};

class AWSDL_EXPORT Stager {
 public:
  explicit Stager(Config config, s3::S3Options s3_options = {});

  /// Errors: kInvalidArgument "InvalidS3Uri" (a bucket and a key are both needed) or
  /// "InvalidOption"; the walk's kNotFound "InputNotFound" / kInvalidArgument (device files,
  /// duplicate top-level names) before anything is sent; kIo "FileChangedWhileReading" /
  /// "UnreadableFile" while streaming; any S3 error; kCancelled. The multipart upload is
  /// aborted on every failure (but a cancellation with keep_upload_on_cancel).
  Result<StageResult> stage(const std::vector<std::string>& paths, std::string_view s3_uri,
                            const StageOptions& options = {}) const;

  /// `directory` is created if missing (its parent must exist). Errors: "InvalidS3Uri";
  /// kNotFound "ManifestNotFound" (require_manifest); kParse "MalformedManifest";
  /// kIo "ManifestStale" (the sidecar belongs to another stage of the key); kInvalidArgument
  /// "UnsafeArchiveEntry"; kParse "MalformedArchive" / "TruncatedArchive"; kIo "ExtractFailed";
  /// kIo "ManifestMismatch"; kIo "NoSpace"; kIo "TargetConflict" / "CommitFailed" (moving the
  /// verified entries into place); any S3 error; kCancelled. On every error the directory is
  /// as it was.
  Result<UnstageResult> unstage(std::string_view s3_uri, const std::string& directory,
                                const UnstageOptions& options = {}) const;

  /// unstage() onto `host` (see the top of this file); `directory` is a path on the host
  /// (relative to the login directory unless absolute), created if missing. The same errors as
  /// unstage(), produced on the host, plus: kNotFound "UnpackHelperNotFound" (no awsdl-unpack
  /// here), kInvalidArgument "ArchitectureMismatch", kNotFound "CurlNotFound" (on the host),
  /// kNetwork "RangeFailed" (a range failed four times; the reason is curl's), kService
  /// "AccessDenied" (the URL was refused: expired, or the credentials lack s3:GetObject),
  /// kIo "ArchiveChanged", kIo "UnpackFailed" (the host's program failed otherwise, with its
  /// message), and the SSH session's errors. Cancellation (options.call.cancel) stops the
  /// program on the host, and its downloads with it; so does options.call.deadline (the
  /// session's command_timeout does not apply to the download).
  Result<UnstageResult> unstage_on(ssh::Session& host, std::string_view s3_uri, const std::string& directory,
                                   const UnstageOptions& options = {}) const;

 private:
  s3::S3Client client_;
};

}  // namespace awsdl::stage
