#pragma once
// The directory a TarExtractor writes into, and the rules that keep every write inside it.
//
// Every path is resolved one component at a time with openat(O_NOFOLLOW | O_DIRECTORY) from a
// descriptor of the target directory, so nothing is ever resolved through a symbolic link —
// neither one an earlier archive entry created nor one that was already there — and no path
// string is handed to the kernel whole. Files are created with O_CREAT | O_EXCL | O_NOFOLLOW
// (an existing file or link is unlinked first, never written through). This gives, without
// chdir() and for any target path, what libarchive's ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS,
// _SECURE_NODOTDOT and _SECURE_SYMLINKS give archive_write_disk relative to the process's
// working directory, plus: symbolic links whose target leaves the target directory, hard
// links to anything but a regular file inside it, and special files are refused.
//
// Cost: the walk goes from the previous entry's directory, not from the root (a DirCursor,
// one descriptor whatever the depth), and directories are remembered as a tree of names (not
// one path per directory), so a tree of depth D costs O(D) to extract, not O(D^2) system
// calls and memory.
//
// Refusals are kInvalidArgument errors with code "UnsafeArchiveEntry" naming the entry; file
// system failures are kIo "ExtractFailed" naming the path.

#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "awsdl/core/result.hpp"
#include "stage/dir_cursor.hpp"
#include "util/posix_fd.hpp"

namespace awsdl::internal {

using PathComponents = std::vector<std::string>;

/// An entry name made safe to print: control bytes escaped as \xNN, long names shortened.
std::string printable_entry_name(std::string_view name);

/// The UnsafeArchiveEntry error for `name`.
Error unsafe_entry(std::string_view name, std::string_view why);

/// Splits an archive entry name into components, dropping empty and "." ones. Refuses empty
/// and absolute names and any ".." component. An empty result names the target itself.
Result<PathComponents> safe_entry_components(std::string_view name);

/// Refuses a symbolic link at `link` (components) whose `target` is absolute, climbs above the
/// target directory, or has ".." after a name (which another link could turn into an escape:
/// only leading ".." components walk real directories). `name` is for the error message.
Status check_symlink_target(const PathComponents& link, std::string_view target, std::string_view name);

class ExtractTarget {
 public:
  /// `dir` must exist and be a directory (it may itself be reached through a symlink: the
  /// caller chose it). Errors: kNotFound, kInvalidArgument "NotADirectory", kIo.
  static Result<ExtractTarget> open(const std::filesystem::path& dir);

  ExtractTarget(ExtractTarget&&) noexcept = default;
  ExtractTarget& operator=(ExtractTarget&&) noexcept = default;

  /// Creates (or keeps an existing) directory; its mode and mtime are applied by finish(),
  /// after its contents exist. Missing parents of any entry are created with mode 0755.
  Status make_directory(const PathComponents& path, std::string_view name, mode_t mode,
                        std::optional<timespec> mtime);

  /// A new, empty, write-only regular file (an existing non-directory is replaced).
  Result<UniqueFd> create_file(const PathComponents& path, std::string_view name);

  /// Sets the size (for sparse tails), mode (setuid/setgid dropped) and mtime of a file made
  /// by create_file().
  Status finish_file(int fd, std::string_view name, std::uint64_t size, mode_t mode, std::optional<timespec> mtime);

  Status make_symlink(const PathComponents& path, std::string_view name, std::string_view target,
                      std::optional<timespec> mtime);

  /// A hard link at `path` to the regular file at `existing`, both inside the target.
  Status make_hardlink(const PathComponents& path, std::string_view name, const PathComponents& existing,
                       std::string_view existing_name);

  /// Applies the deferred directory modes and mtimes, deepest first.
  Status finish();

  /// Free bytes for an unprivileged user in the target's file system; nullopt when unknown.
  std::optional<std::uint64_t> free_bytes() const;

 private:
  ExtractTarget() = default;

  // A descriptor of the directory holding path's last component. Borrowed: valid until the
  // next call. Missing directories are created (mode 0755) when `create`.
  Result<int> parent_of(const PathComponents& path, std::string_view name, bool create);
  // Removes whatever is at parent/leaf so that it can be replaced; never follows it.
  Status remove_existing(int parent, const std::string& leaf, std::string_view name);
  // Makes the directory nodes match the cursor's levels.
  void sync_chain();
  std::uint32_t child_node(std::uint32_t parent, const std::string& name);

  // A directory seen during the extraction: the tree finish() walks.
  struct DirNode {
    std::uint32_t parent;
    std::string name;
    dev_t dev = 0;
    ino_t ino = 0;
    bool deferred = false;  // an archive entry set its mode and mtime
    mode_t mode = 0;
    std::optional<timespec> mtime;
  };

  UniqueFd root_;
  std::string root_path_;
  DirCursor cursor_;
  std::vector<DirNode> nodes_;                                // [0]: the target itself
  std::unordered_map<std::string, std::uint32_t> children_;  // parent index + '/' + name -> node
  std::vector<std::uint32_t> chain_;                         // the node of each cursor level
};

}  // namespace awsdl::internal
