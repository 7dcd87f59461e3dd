#include "stage/staging_area.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <map>
#include <random>
#include <system_error>
#include <utility>
#include <vector>

#include "awsdl/core/retry.hpp"
#include "stage/dir_cursor.hpp"
#include "stage/extract_target.hpp"

namespace awsdl::internal {

namespace fs = std::filesystem;

namespace {

// The names in a directory (not "." and ".."); an errno value on failure.
int list_dir(int dir, std::vector<std::string>& names) {
  return for_each_entry(dir, [&names](const std::string& name, unsigned char) {
    names.push_back(name);
    return 0;
  });
}

std::string random_suffix() {
  std::random_device rd;
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i) out += kHex[rd() & 0xf];
  return out;
}

std::string where(const DirCursor& c, const std::string& leaf) {
  std::string out;
  for (std::size_t i = 0; i < c.depth(); ++i) out += c.name(i) + "/";
  return printable_entry_name(out + leaf);
}

Error commit_failed(int err, const std::string& what, const std::string& path) {
  return errno_error(err, "CommitFailed", "cannot move the verified archive into place: " + what, path);
}

enum class Pass { kCheck, kMove };

// One level of the merge: a staged directory whose twin already exists in the target.
struct Level {
  std::string name;
  std::vector<std::string> pending;  // its entries still to merge
  mode_t mode = 0;                   // the staged directory's, for its twin
  timespec mtime{};
};

// Merges the staged tree below `staging` into `target` (see staging_area.hpp). The check pass
// moves nothing and finds every conflict; the move pass does the moves. `modes` carries the
// modes of staged directories the check pass had to open up.
Status merge(int staging, int target, Pass pass, std::map<std::pair<dev_t, ino_t>, mode_t>& modes) {
  DirCursor s, t;
  if (int err = s.open(staging); err != 0) return commit_failed(err, "opening", "the staging directory");
  if (int err = t.open(target); err != 0) return commit_failed(err, "opening", "the target");
  std::vector<Level> stack(1);
  if (int err = list_dir(s.fd(), stack.back().pending); err != 0)
    return commit_failed(err, "listing", "the staging directory");
  // Each iteration merges one staged entry or finishes one directory.
  while (!stack.empty()) {
    Level& top = stack.back();
    if (!top.pending.empty()) {
      const std::string e = std::move(top.pending.back());
      top.pending.pop_back();
      if (stack.size() == 1 && e.rfind(kStagingPrefix, 0) == 0)
        return Error::make(ErrorKind::kIo, "TargetConflict",
                           "the archive has a top-level entry '" + printable_entry_name(e) +
                               "', named like a staging directory of unstage; it was not extracted");
      struct stat ss, ts;
      if (::fstatat(s.fd(), e.c_str(), &ss, AT_SYMLINK_NOFOLLOW) != 0)
        return commit_failed(errno, "inspecting the staged", where(s, e));
      bool in_target = true;
      if (::fstatat(t.fd(), e.c_str(), &ts, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno != ENOENT) return commit_failed(errno, "inspecting", where(t, e));
        in_target = false;
      }
      if (S_ISDIR(ss.st_mode) && in_target && S_ISDIR(ts.st_mode)) {
        // Both are directories: merge into the target's.
        if (int err = s.down(e); err != 0) return commit_failed(err, "opening the staged", where(s, e));
        if (int err = t.down(e); err != 0) return commit_failed(err, "opening", where(t, e));
        Level next;
        next.name = e;
        next.mode = ss.st_mode & 07777;
        next.mtime = ss.st_mtim;
        const auto key = std::make_pair(ss.st_dev, ss.st_ino);
        if (auto it = modes.find(key); it != modes.end()) next.mode = it->second;
        // Ours to open up: entries are listed and moved out of it. Its mode goes to the twin.
        if ((ss.st_mode & 0700) != 0700) {
          modes.emplace(key, next.mode);
          if (::fchmod(s.fd(), (ss.st_mode & 07777) | 0700) != 0)
            return commit_failed(errno, "opening up the staged", where(s, ""));
        }
        // The twin takes the archive's mode at the end; until then entries must go into it.
        if (pass == Pass::kMove && (ts.st_mode & 0300) != 0300 && ::fchmod(t.fd(), (ts.st_mode & 07777) | 0300) != 0)
          return commit_failed(errno, "making writable", where(t, ""));
        if (int err = list_dir(s.fd(), next.pending); err != 0)
          return commit_failed(err, "listing the staged", where(s, ""));
        stack.push_back(std::move(next));
        continue;
      }
      if (in_target && S_ISDIR(ts.st_mode)) {
        // A file or link where the target has a directory: only an empty one may go.
        std::vector<std::string> inside;
        const int fd = open_dir_at(t.fd(), e);
        int err = fd < 0 ? errno : list_dir(fd, inside);
        if (fd >= 0) ::close(fd);
        if (err != 0) return commit_failed(err, "inspecting", where(t, e));
        if (!inside.empty())
          return Error::make(ErrorKind::kIo, "TargetConflict",
                             "the archive's '" + where(t, e) + "' is not a directory, but the target has a "
                                 "non-empty directory of that name; move it away and unstage again");
        if (pass == Pass::kMove && ::unlinkat(t.fd(), e.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT)
          return commit_failed(errno, "removing the empty directory", where(t, e));
      }
      if (pass == Pass::kMove) {
        // rename() replaces a file or link atomically, but not with a directory.
        if (in_target && S_ISDIR(ss.st_mode) && !S_ISDIR(ts.st_mode) && ::unlinkat(t.fd(), e.c_str(), 0) != 0 &&
            errno != ENOENT)
          return commit_failed(errno, "replacing", where(t, e));
        if (::renameat(s.fd(), e.c_str(), t.fd(), e.c_str()) != 0) return commit_failed(errno, "moving", where(t, e));
      }
      continue;
    }
    const Level done = std::move(top);
    stack.pop_back();
    if (stack.empty()) break;  // the staging directory itself: the target keeps its own mode
    if (pass == Pass::kMove) {
      if (::fchmod(t.fd(), done.mode) != 0) return commit_failed(errno, "setting the mode of", where(t, ""));
      const timespec times[2] = {{0, UTIME_OMIT}, done.mtime};
      if (::futimens(t.fd(), times) != 0) return commit_failed(errno, "setting the time of", where(t, ""));
    }
    if (int err = s.up(); err != 0) return commit_failed(err, "returning to the parent of", done.name);
    if (int err = t.up(); err != 0) return commit_failed(err, "returning to the parent of", done.name);
    if (pass == Pass::kMove && ::unlinkat(s.fd(), done.name.c_str(), AT_REMOVEDIR) != 0)
      return commit_failed(errno, "removing the emptied staged", where(s, done.name));
  }
  return {};
}

// Removes the unlocked staging directories below `target_fd`; `made_target` tells whether one
// of them had created the target.
Result<int> remove_stale_in(int target_fd, const fs::path& target, std::chrono::milliseconds wait, bool* made_target) {
  std::vector<std::string> names;
  if (int err = list_dir(target_fd, names); err != 0)
    return errno_error(err, "TargetNotFound", "cannot list extraction target", target.string());
  int removed = 0;
  for (const std::string& name : names) {
    if (name.rfind(kStagingPrefix, 0) != 0) continue;
    UniqueFd stale(open_dir_at(target_fd, name));
    if (!stale.valid()) continue;
    // A killed process releases its lock as it exits: give it a moment when asked to (the
    // toolkit's poll, every 20 ms, on real time: the lock is another process's).
    bool locked = false;
    PollOptions po;
    po.delay = Backoff::polling(Millis(20), Millis(20), 1.0);
    po.deadline = Deadline{std::chrono::steady_clock::now() + wait};
    po.what = "the lock of " + name;
    (void)poll_until(Runtime::system(), po, [&](int) -> Result<PollState> {
      locked = ::flock(stale.get(), LOCK_EX | LOCK_NB) == 0;
      return locked ? PollState::done() : PollState::pending();
    });
    if (!locked) continue;  // a running unstage's
    if (int err = remove_tree_at(target_fd, name); err != 0)
      return errno_error(err, "ExtractFailed", "cannot remove the staging directory an interrupted unstage left",
                         (target / name).string());
    ++removed;
    if (made_target && name.size() > kMadeTargetSuffix.size() &&
        name.compare(name.size() - kMadeTargetSuffix.size(), kMadeTargetSuffix.size(), kMadeTargetSuffix) == 0)
      *made_target = true;
  }
  return removed;
}

}  // namespace

Result<int> remove_stale_staging(const fs::path& target, std::chrono::milliseconds wait) {
  UniqueFd fd(::open(target.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return 0;
    return errno_error(errno, "TargetNotFound", "cannot open extraction target", target.string());
  }
  bool made_target = false;
  AWSDL_ASSIGN_OR_RETURN(int removed, remove_stale_in(fd.get(), target, wait, &made_target));
  if (made_target) (void)::rmdir(target.c_str());  // only while empty
  return removed;
}

Result<StagingArea> StagingArea::create(const fs::path& target) {
  StagingArea area;
  area.target_ = target;
  std::error_code ec;
  area.created_target_ = fs::create_directory(target, ec);
  if (ec) return Error::make(ErrorKind::kIo, "TargetNotCreated", "cannot create " + target.string() + ": " + ec.message());
  area.target_fd_.reset(::open(target.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!area.target_fd_.valid()) {
    if (errno == ENOTDIR)
      return Error::invalid_argument("NotADirectory", "extraction target '" + target.string() + "' is not a directory");
    return errno_error(errno, "TargetNotFound", "cannot open extraction target", target.string());
  }

  // Staging directories of runs that were killed: nobody holds their lock any more.
  AWSDL_ASSIGN_OR_RETURN(area.stale_removed_, remove_stale_in(area.target_fd_.get(), target, {}, nullptr));

  // A few attempts: another run cleaning up may take a new directory's lock before we do.
  for (int attempt = 0; attempt < 8; ++attempt) {
    const std::string name = std::string(kStagingPrefix) + random_suffix() +
                             (area.created_target_ ? std::string(kMadeTargetSuffix) : std::string());
    if (::mkdirat(area.target_fd_.get(), name.c_str(), 0700) != 0) {
      if (errno == EEXIST) continue;
      return errno_error(errno, "ExtractFailed", "cannot create a staging directory in", target.string());
    }
    UniqueFd fd(open_dir_at(area.target_fd_.get(), name));
    if (!fd.valid()) continue;
    int locked;
    do {
      locked = ::flock(fd.get(), LOCK_EX);
    } while (locked != 0 && errno == EINTR);
    struct stat st;
    if (locked != 0 || ::fstat(fd.get(), &st) != 0 || st.st_nlink == 0) continue;  // removed before we locked it
    area.staging_fd_ = std::move(fd);
    area.name_ = name;
    area.path_ = target / name;
    area.done_ = false;
    return area;
  }
  return Error::make(ErrorKind::kIo, "ExtractFailed", "cannot create a staging directory in " + target.string());
}

StagingArea::StagingArea(StagingArea&& other) noexcept { *this = std::move(other); }

StagingArea& StagingArea::operator=(StagingArea&& other) noexcept {
  if (this != &other) {
    (void)discard();
    target_fd_ = std::move(other.target_fd_);
    staging_fd_ = std::move(other.staging_fd_);
    target_ = std::move(other.target_);
    path_ = std::move(other.path_);
    name_ = std::move(other.name_);
    created_target_ = other.created_target_;
    done_ = std::exchange(other.done_, true);
    stale_removed_ = other.stale_removed_;
  }
  return *this;
}

StagingArea::~StagingArea() { (void)discard(); }

Status StagingArea::commit() {
  if (done_) return Error::make(ErrorKind::kInternal, "InvalidState", "the staging area was already committed or discarded");
  std::map<std::pair<dev_t, ino_t>, mode_t> modes;
  // Every conflict is found before anything moves.
  if (auto checked = merge(staging_fd_.get(), target_fd_.get(), Pass::kCheck, modes); !checked) {
    (void)discard();
    return checked;
  }
  if (auto moved = merge(staging_fd_.get(), target_fd_.get(), Pass::kMove, modes); !moved) {
    (void)discard();
    return moved;
  }
  if (::unlinkat(target_fd_.get(), name_.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT)
    (void)remove_tree_at(target_fd_.get(), name_);
  done_ = true;
  staging_fd_.reset();
  return {};
}

Status StagingArea::discard() {
  if (done_) return {};
  done_ = true;
  // Still locked while it is removed, so that no other run takes it for its own.
  const int err = remove_tree_at(target_fd_.get(), name_);
  staging_fd_.reset();
  if (created_target_) (void)::rmdir(target_.c_str());  // only while empty
  if (err != 0) return errno_error(err, "ExtractFailed", "cannot remove the staging directory", path_.string());
  return {};
}

}  // namespace awsdl::internal
