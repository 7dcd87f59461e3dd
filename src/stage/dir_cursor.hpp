#pragma once
// A position in a directory tree below a root descriptor, moved one component at a time,
// holding one descriptor whatever the depth.
//
// Walking a path from the root for every entry costs one openat() per component per entry:
// quadratic for a deep tree. A cursor moves from where it is instead: down into a child with
// openat(O_NOFOLLOW | O_DIRECTORY) and back up with openat(".."), and every level records the
// device and inode it had on the way down, so going up is checked: a ".." that is not the
// directory we came through (something moved it meanwhile) is an error, never followed.
// Whichever is cheaper, climbing or starting again from the root, is what go_to() does.
//
// Errors are errno values (0 for success); the caller turns them into its own messages.

#include <sys/types.h>

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "util/posix_fd.hpp"

namespace awsdl::internal {

class DirCursor {
 public:
  /// A cursor at `root` (a descriptor of a directory; duplicated, the caller keeps its own).
  /// Returns an errno value, 0 on success.
  int open(int root);

  DirCursor() = default;
  DirCursor(DirCursor&&) noexcept = default;
  DirCursor& operator=(DirCursor&&) noexcept = default;

  /// The directory the cursor is at.
  int fd() const { return fd_.get(); }
  int root() const { return root_.get(); }
  /// Levels below the root (0: at the root).
  std::size_t depth() const { return levels_.size(); }
  /// The name of level i (0-based: levels below the root), for the path of the position.
  const std::string& name(std::size_t i) const { return levels_[i].name; }
  /// Device and inode of level i, as found on the way down.
  dev_t dev(std::size_t i) const { return levels_[i].dev; }
  ino_t ino(std::size_t i) const { return levels_[i].ino; }

  /// Into the child directory `name` (never through a symbolic link: ELOOP or ENOTDIR).
  int down(const std::string& name);
  /// To the parent; EXDEV when ".." is not the directory the cursor came down through.
  int up();
  /// Back to the root.
  int reset();
  /// To the directory named by the first `depth` components of `path` (relative to the root),
  /// keeping the levels it shares with the current position. On failure `failed_at` is the
  /// number of components of `path` that were reached; the cursor stays somewhere on the way.
  int go_to(const std::vector<std::string>& path, std::size_t depth, std::size_t* failed_at = nullptr);

 private:
  struct Level {
    std::string name;
    dev_t dev;
    ino_t ino;
  };
  UniqueFd root_;
  UniqueFd fd_;
  dev_t root_dev_ = 0;
  ino_t root_ino_ = 0;
  std::vector<Level> levels_;
};

/// Opens `leaf` below `dir` as a directory without following a link; -1 with errno set.
int open_dir_at(int dir, const std::string& leaf);

/// Reads the directory `dir` from its start (through a duplicate of the descriptor, which
/// stays as it is) and calls `each(name, type)` for every entry but "." and ".."; `type` is
/// the entry's d_type, DT_UNKNOWN where the file system does not say. A non-zero value from
/// `each` ends the listing and is returned; otherwise an errno value of the listing, 0 on
/// success.
int for_each_entry(int dir, const std::function<int(const std::string& name, unsigned char type)>& each);

/// Removes the directory `name` below `parent` and everything in it, never following a
/// symbolic link, with one descriptor whatever its depth; directories without write
/// permission are made writable first (ours to remove). Returns an errno value, 0 on success
/// (and when there is nothing there).
int remove_tree_at(int parent, const std::string& name);

}  // namespace awsdl::internal
