#pragma once
// Where unstage (and awsdl-unpack on a node) extracts before the archive is verified: a
// directory inside the target, `.awsdl-unstage-<random>`, whose entries move into the target
// only once the whole archive has been extracted and checked against its manifest.
//
//   auto area = StagingArea::create(target);      // the target is created if missing
//   extract into area->path() ... verify ...
//   area->commit();                               // or, on any failure, nothing: the destructor discards
//
// What commit() does to a target that already has files: the archive's entries replace the
// same-named entries of the target, and only then: directories merge (the target's other
// entries in them stay, the directory takes the archive's mode and time); a file or link
// replaces a file or link atomically (rename), and replaces an empty directory or a
// directory-less name; an archive directory replaces a file or link of that name. A
// non-empty target directory where the archive has a file or link is a conflict: checked for
// the whole archive before anything moves (kIo "TargetConflict"), so the target is left as it
// was. A failed or interrupted run leaves the target as it was: the staging directory is
// removed (and a target the run created, while still empty). One killed outright (SIGKILL,
// a lost machine) leaves its staging directory behind; the next run into the same target
// removes it. A running unstage holds a lock (flock) on its staging directory, so two runs
// into the same target never remove each other's.
//
// Everything is done with descriptors and one component at a time (DirCursor), never through
// a symbolic link, with a bounded number of descriptors whatever the depth.

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>

#include "awsdl/core/result.hpp"
#include "util/posix_fd.hpp"

namespace awsdl::internal {

/// Names of staging directories start with this.
inline constexpr std::string_view kStagingPrefix = ".awsdl-unstage-";
/// ... and end with this when their run created the target (which goes with them while empty).
inline constexpr std::string_view kMadeTargetSuffix = ".new-target";

/// Removes the staging directories in `target` that no running unstage holds (waiting up to
/// `wait` for the lock of one whose process is still exiting), and the target itself when a
/// removed one had created it and it is empty now. Returns how many were removed; a missing
/// target is nothing to do. For cleaning up after a run that was killed.
Result<int> remove_stale_staging(const std::filesystem::path& target, std::chrono::milliseconds wait = {});

class StagingArea {
 public:
  /// Creates `target` if missing (its parent must exist: kIo "TargetNotCreated"), removes the
  /// staging directories of earlier runs that no process holds any more, and makes a new one.
  static Result<StagingArea> create(const std::filesystem::path& target);

  StagingArea(StagingArea&& other) noexcept;
  StagingArea& operator=(StagingArea&& other) noexcept;
  StagingArea(const StagingArea&) = delete;
  StagingArea& operator=(const StagingArea&) = delete;
  /// Discards what was not committed.
  ~StagingArea();

  /// The staging directory: extract here.
  const std::filesystem::path& path() const { return path_; }
  /// How many stale staging directories create() removed.
  int stale_removed() const { return stale_removed_; }

  /// Moves the staging directory's entries into the target (see the top of this file) and
  /// removes it. Errors: kIo "TargetConflict" (nothing moved), kIo "CommitFailed".
  Status commit();
  /// Removes the staging directory and everything in it (and the target, when this run created
  /// it and it is empty). Also what the destructor does for an area that was not committed.
  Status discard();

 private:
  StagingArea() = default;

  UniqueFd target_fd_;
  UniqueFd staging_fd_;  // holds the lock
  std::filesystem::path target_;
  std::filesystem::path path_;
  std::string name_;
  bool created_target_ = false;
  bool done_ = true;
  int stale_removed_ = 0;
};

}  // namespace awsdl::internal
