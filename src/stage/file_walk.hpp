#pragma once
// A lazy, deterministic walk over the inputs of a tar: each input's base name is its
// top-level name (as with `tar -C parent -cf - name`), then depth first, the entries of every
// directory sorted byte-wise by name, a directory before its contents. Symbolic links are
// reported, never followed. Memory is the listings of the directories on the current path,
// not the whole tree, so a walk over millions of files stays small.

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "awsdl/core/result.hpp"

namespace awsdl::internal {

enum class WalkEntryType { kFile, kDirectory, kSymlink };

struct WalkEntry {
  std::string name;         // archive name: relative, '/'-separated, no trailing '/'
  std::string source;       // where it is on disk
  WalkEntryType type = WalkEntryType::kFile;
  mode_t mode = 0;          // permission bits (07777) as lstat saw them
  std::uint64_t size = 0;   // regular files only
  std::int64_t mtime_sec = 0;
  long mtime_nsec = 0;
  std::string link_target;  // symlinks only
};

struct WalkTotals {
  std::uint64_t entries = 0;
  std::uint64_t files = 0;
  std::uint64_t file_bytes = 0;
  /// An upper bound on the size of the uncompressed pax archive of these entries (headers,
  /// extended headers, padded data, end marker), for choosing multipart part sizes.
  std::uint64_t archive_bytes_bound = 0;
};

class FileWalker {
 public:
  /// Checks the inputs (each exists; base names are unique and not "/") without listing
  /// anything. Errors: kNotFound "InputNotFound", kInvalidArgument "InvalidInput" /
  /// "DuplicateArchiveName".
  static Result<FileWalker> open(const std::vector<std::filesystem::path>& inputs);

  /// The next entry, or false at the end. Errors: kIo naming the path ("UnreadableDirectory"
  /// when a directory cannot be listed), kInvalidArgument "UnsupportedFileType" for devices,
  /// fifos and sockets. After an error the walk is over.
  Result<bool> next(WalkEntry& out);

 private:
  struct Root {
    std::string name;
    std::string source;
  };
  struct Frame {
    std::string name;
    std::string source;
    std::vector<std::string> children;  // sorted
    size_t next = 0;
  };
  Status visit(std::string name, std::string source, WalkEntry& out);

  std::vector<Root> roots_;
  size_t next_root_ = 0;
  std::vector<Frame> stack_;
};

/// Walks everything once: totals for progress and part sizing, and early errors (unsupported
/// types, unlistable directories, unreadable files: kIo "UnreadableFile") before any byte of
/// the archive exists.
Result<WalkTotals> measure_inputs(const std::vector<std::filesystem::path>& inputs);

}  // namespace awsdl::internal
