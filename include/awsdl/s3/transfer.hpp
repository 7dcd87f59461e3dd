#pragma once
// Large transfers: parallel multipart uploads from a file or a pull-based stream, parallel
// ranged downloads to a file or to an in-order stream, whole directories both ways.
//
//   awsdl::s3::TransferManager tm(s3, {.part_size = 16 << 20, .concurrency = 8});
//   auto up = tm.upload_stream(read_fn, {.bucket = "b", .key = "data.tar", .expected_size = n});
//   auto down = tm.download_stream("b", "data.tar", [&](std::string_view bytes) { ...; return Status{}; });
//
// Memory: an upload holds at most `concurrency` parts of `part_size` bytes (plus small
// buffers); so does a download to a stream. A download to a file writes each range in
// place (pwrite) as it arrives.
//
// Failures: each request goes through the client's retry loop; a part that still fails is
// tried again up to `part_attempts` times (only that part). When an upload fails or is
// cancelled, its multipart upload is aborted (unless `abort_on_failure` is false), so
// nothing is left behind to be billed. An interrupted upload (a killed process) can be
// resumed: pass its upload id (find_upload() finds it) and the same data; the parts S3
// already has are checked against the local bytes (size and MD5 ETag) and only the
// missing or different ones are sent.
//
// Payload integrity: every part carries a checksum header (`checksum`, CRC32 by default)
// that S3 verifies; over http the payload is also SHA-256 signed (see PayloadSigning).

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "awsdl/core/result.hpp"
#include "awsdl/core/runtime.hpp"
#include "awsdl/http/message.hpp"
#include "awsdl/s3/client.hpp"
#include "awsdl/s3/types.hpp"

namespace awsdl::s3 {

inline constexpr std::uint64_t kMiB = 1024ull * 1024;
inline constexpr std::uint64_t kMinPartSize = 5 * kMiB;
inline constexpr std::uint64_t kMaxPartSize = 5 * 1024 * kMiB;
inline constexpr int kMaxParts = 10000;

struct AWSDL_EXPORT TransferProgress {
  std::uint64_t bytes_done = 0;
  std::optional<std::uint64_t> bytes_total;  // unknown for a stream without a size
  int parts_done = 0;
  int parts_total = 0;                       // 0 while unknown
};

struct AWSDL_EXPORT TransferOptions {
  std::uint64_t part_size = 8 * kMiB;        // grown so that no object needs more than 10,000 parts
  int concurrency = 8;                       // parts (or files) in flight
  std::uint64_t multipart_threshold = 8 * kMiB;  // smaller objects go in one PUT / one GET
  ChecksumAlgorithm checksum = ChecksumAlgorithm::kCrc32;
  int part_attempts = 3;                     // calls per part, each with the client's own retries
  bool abort_on_failure = true;
  /// With abort_on_failure: a cancelled multipart upload is still left in place (to be
  /// resumed, or aborted later); other failures abort it.
  bool keep_on_cancel = false;
  /// Called (serialised, from worker threads) as parts finish.
  std::function<void(const TransferProgress&)> on_progress;
  CancellationToken cancel;
  Deadline deadline;
};

struct AWSDL_EXPORT UploadRequest {
  std::string bucket;
  std::string key;
  ObjectAttributes attributes;
  /// A stream's expected size (a hint: the part size is chosen so that this many bytes fit in
  /// 10,000 parts). Files use their real size.
  std::optional<std::uint64_t> expected_size;
  /// Resume this multipart upload instead of starting a new one.
  std::string resume_upload_id;
  /// Told the upload id as soon as the multipart upload exists (to record it for a resume).
  std::function<void(const std::string& upload_id)> on_upload_created;
};

struct AWSDL_EXPORT UploadResult {
  std::string etag;
  std::uint64_t size = 0;
  std::string upload_id;       // empty for a single PUT
  int parts = 0;               // 0 for a single PUT
  int parts_uploaded = 0;      // sent by this call
  int parts_reused = 0;        // already on S3 (resume)
  std::uint64_t part_size = 0;
  std::string checksum;        // S3's (composite) checksum, when one was requested
};

struct AWSDL_EXPORT DownloadResult {
  std::uint64_t size = 0;
  std::string etag;
  int ranges = 0;                 // GET requests made for the body (retries not counted)
  bool checksum_verified = false; // a full-object checksum from S3 matched the bytes
};

struct AWSDL_EXPORT DirectoryResult {
  int files = 0;
  std::uint64_t bytes = 0;
  std::vector<std::string> keys;  // uploaded keys, or downloaded keys
};

/// The part size for an object of `size` bytes: at least `preferred` (and 5 MiB), grown
/// to a whole MiB so that it fits in 10,000 parts. kInvalidArgument when even 5 GiB parts
/// cannot hold it (objects are limited to 5 TiB).
AWSDL_EXPORT Result<std::uint64_t> choose_part_size(std::uint64_t size, std::uint64_t preferred);

class AWSDL_EXPORT TransferManager {
 public:
  explicit TransferManager(S3Client client, TransferOptions options = {});

  const TransferOptions& options() const { return options_; }

  Result<UploadResult> upload_file(const std::string& path, const UploadRequest& request) const;
  /// Pulls bytes from `source` until it returns 0. Without expected_size the stream may
  /// be at most 10,000 × part_size bytes.
  Result<UploadResult> upload_stream(const http::BodySource& source, const UploadRequest& request) const;

  /// Ranges are fetched in parallel and written in place; the file is created (or
  /// truncated) and, on failure, removed.
  Result<DownloadResult> download_file(const std::string& bucket, const std::string& key,
                                       const std::string& path) const;
  /// Bytes are delivered to `sink` in order, from the caller's thread.
  Result<DownloadResult> download_stream(const std::string& bucket, const std::string& key,
                                         const http::BodySink& sink) const;

  /// Every regular file under `directory` (recursively; symbolic links to files followed,
  /// to directories not) to `prefix` + its relative path with '/' separators.
  Result<DirectoryResult> upload_directory(const std::string& directory, const std::string& bucket,
                                           const std::string& prefix) const;
  /// Every object under `prefix` to `directory` + the rest of its key. Keys that would
  /// leave the directory ("..", absolute) are refused; "directory marker" keys ending in
  /// '/' are skipped.
  Result<DirectoryResult> download_directory(const std::string& bucket, const std::string& prefix,
                                             const std::string& directory) const;

  /// The most recently started multipart upload of `key`, if any.
  Result<std::optional<MultipartUpload>> find_upload(const std::string& bucket, const std::string& key) const;

 private:
  S3Client client_;
  TransferOptions options_;
};

}  // namespace awsdl::s3
