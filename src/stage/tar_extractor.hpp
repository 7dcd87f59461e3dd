#pragma once
// A push-based, streaming, safe tar extractor: feed it the archive's bytes in order, in chunks
// of any size, with write(), then call finish(). No temporary file; memory is bounded by
// `max_buffered_bytes` plus libarchive's own buffers, whatever the archive's size.
//
// libarchive's reader runs on a thread of its own that pulls the chunks from a bounded queue,
// so write() returns as soon as a chunk is queued, and blocks only while the queue is full.
// The compression (none, gzip, zstd) is detected from the bytes; only tar formats (ustar,
// pax, GNU) are accepted.
//
// Extraction is safe (see extract_target.hpp): entries with absolute names or ".." components,
// symbolic links leading outside the target, writes through any symbolic link, hard links to
// anything but a regular file inside the target, devices, fifos and sockets are refused with a
// kInvalidArgument "UnsafeArchiveEntry" error naming the entry; setuid and setgid bits are
// dropped. Nothing outside the target directory is ever touched, even when extraction fails
// part way (entries before the failing one stay extracted inside the target). Ownership is
// not restored: files belong to the extracting user.
//
// What it makes is bounded: a file larger than the free space of the target's file system is
// refused before it is created (kIo "NoSpace"), and so is one beyond the bounds of the
// options (the manifest's counts). A file's data never goes past its declared size.
//
// Errors other than those: kParse "MalformedArchive" (not a tar, corrupt, or compressed data
// that does not decode), kParse "TruncatedArchive" (the stream ended inside an entry or before
// the end-of-archive marker), kIo "ExtractFailed" (the file system refused a write).

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string_view>

#include "awsdl/core/result.hpp"
#include "stage/manifest.hpp"

namespace awsdl::internal {

struct TarExtractorOptions {
  /// Archive bytes held between write() and the extraction thread; write() blocks beyond it.
  std::size_t max_buffered_bytes = std::size_t{8} << 20;
  /// What the archive may make, from its manifest: the regular files' count and total size
  /// (a sparse file counts at its apparent size). Checked with each file's declared size
  /// before it is created, so that a compression bomb is refused before its bytes are written
  /// (kIo "ManifestMismatch" naming the entry). Unset: no bound but the free space.
  std::optional<std::uint64_t> max_files;
  std::optional<std::uint64_t> max_file_bytes;
  /// Also the SHA-256 of the archive's bytes (a manifest of version 1, or one that has it).
  bool sha256 = true;
  /// The CRC-64/NVME of the archive's bytes. Off only where the caller has the same bytes
  /// checked against the same value already (unstage: the download checks them against S3's
  /// full-object CRC, which equals the manifest's), so that they are not read twice for it.
  bool crc64 = true;
};

class TarExtractor {
 public:
  /// Starts the extraction thread. `target_dir` must exist and be a directory.
  /// Errors: kNotFound "TargetNotFound", kInvalidArgument "NotADirectory".
  static Result<TarExtractor> open(const std::filesystem::path& target_dir, TarExtractorOptions options = {});

  TarExtractor(TarExtractor&&) noexcept;
  TarExtractor& operator=(TarExtractor&&) noexcept;
  /// Without finish(): stops the extraction where it is and waits for the thread.
  ~TarExtractor();

  /// Hands the next bytes of the archive over (copied; `chunk` may be reused on return).
  /// Returns the extraction's error as soon as it has one; after an error or finish() every
  /// call fails. An empty chunk is a no-op.
  Status write(std::string_view chunk);

  /// The archive is complete: waits until everything is extracted, then applies directory
  /// modes and times. Returns the first error of the whole extraction.
  Status finish();

  /// Counters for the bytes written so far and the entries extracted so far; archive_crc64nvme
  /// and archive_sha256 (when asked for), of every byte given to write(), are set once
  /// finish() has returned.
  ArchiveStats stats() const;

  /// The compression found in the stream; kNone until it has been detected.
  Compression compression() const;

 private:
  struct Impl;
  explicit TarExtractor(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace awsdl::internal
