#pragma once
// A pull-based pax (POSIX.1-2001) tar stream of files and directories, made by libarchive
// without any temporary file: the caller asks for the next bytes with read() and cuts them
// into whatever pieces it needs (multipart upload parts of any size).
//
// Archive layout:
//   - each input's base name is its top-level name (`tar -C parent -cf - name`); inputs whose
//     base names collide are refused;
//   - depth first, each directory's entries sorted byte-wise by name, a directory's entry
//     before its contents; directories, including empty ones, are entries;
//   - symbolic links are stored as links and never followed; hard links are stored as
//     independent files; devices, fifos and sockets are refused;
//   - permission bits and mtimes (to the nanosecond, in a pax record) are kept; uid and gid
//     are 0 and user/group names are empty, so the same tree gives the same bytes anywhere;
//   - names longer than ustar allows, files over 8 GiB and non-ASCII names use pax extended
//     headers, written only for the entries that need them;
//   - optionally the whole stream is gzip- (isa-l's igzip) or zstd-compressed.
//
// Memory does not grow with the archive: read() reads input files in chunks of
// `read_chunk_bytes` (1 MiB by default) and keeps at most one chunk plus headers (plus the
// compressor's own window) between calls. The list of entries is never held in memory; see
// file_walk.hpp.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <vector>

#include "awsdl/core/result.hpp"
#include "stage/file_walk.hpp"
#include "stage/manifest.hpp"

namespace awsdl::internal {

struct TarWriterOptions {
  Compression compression = Compression::kNone;
  /// 0 keeps the default (gzip 1: isa-l's igzip at its fast level; zstd 3); otherwise gzip 1-9
  /// (GzipEncoder's scale), zstd 1-22.
  int compression_level = 0;
  /// Size of each read() from an input file. At least 64 KiB.
  std::size_t read_chunk_bytes = std::size_t{1} << 20;
  /// The SHA-256 of the archive's bytes (ArchiveStats::archive_sha256), a second pass over
  /// them; stage asks for it only with StageOptions::sha256 (S3's CRC-64/NVME covers the rest).
  bool sha256 = true;
  /// Called after every chunk of file data is consumed: (input bytes consumed so far, total
  /// input bytes found by the first walk). Called on the thread that calls read(). `consumed`
  /// may exceed `total` if files grew between the walk and the read that detected it.
  std::function<void(std::uint64_t consumed, std::uint64_t total)> on_progress;
};

class TarWriter {
 public:
  /// Walks the inputs once (for totals and to report unsupported or unreadable entries before
  /// any byte is produced) and prepares the archive. Does not read file contents.
  /// Errors: those of FileWalker::open and measure_inputs; kInvalidArgument for bad options.
  static Result<TarWriter> open(std::vector<std::filesystem::path> inputs, TarWriterOptions options = {});

  TarWriter(TarWriter&&) noexcept;
  TarWriter& operator=(TarWriter&&) noexcept;
  ~TarWriter();

  /// Fills `buf` with up to `len` archive bytes (exactly `len` unless the archive ends first)
  /// and returns how many; 0 means the archive is complete (and stats() final).
  /// `len` must be > 0. Errors (the stream is then dead; every later call repeats the error):
  ///   kIo "FileChangedWhileReading": a file's size changed after its header was written,
  ///   kIo "UnreadableFile": a file could not be opened or read, or was replaced by another type,
  ///   kIo / kInvalidArgument from the walk (a directory that became unlistable, a new fifo),
  ///   kInternal "ArchiveError": libarchive failed.
  /// Each names the file concerned.
  Result<std::size_t> read(char* buf, std::size_t len);

  /// True once read() has returned 0.
  bool finished() const;

  /// What the first walk found (totals for progress; an upper bound on the uncompressed size).
  const WalkTotals& totals() const;

  /// Entries, files and bytes produced so far; archive_sha256 is set once finished().
  ArchiveStats stats() const;

  Compression compression() const;

 private:
  struct Impl;
  explicit TarWriter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace awsdl::internal
