#include "stage/dir_cursor.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace awsdl::internal {

namespace {

int dup_fd(int fd) { return ::fcntl(fd, F_DUPFD_CLOEXEC, 0); }

}  // namespace

int open_dir_at(int dir, const std::string& leaf) {
  int fd;
  do {
    fd = ::openat(dir, leaf.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

int for_each_entry(int dir, const std::function<int(const std::string& name, unsigned char type)>& each) {
  const int listing = dup_fd(dir);
  if (listing < 0) return errno;
  DIR* d = ::fdopendir(listing);
  if (!d) {
    const int err = errno;
    ::close(listing);
    return err;
  }
  ::rewinddir(d);
  int err = 0;
  errno = 0;
  // Bounded by the directory's entries.
  while (dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    err = each(name, e->d_type);
    if (err != 0) break;
    errno = 0;  // what the callback left there is not the listing's
  }
  if (err == 0) err = errno;
  ::closedir(d);
  return err;
}

int DirCursor::open(int root) {
  levels_.clear();
  root_.reset(dup_fd(root));
  if (!root_.valid()) return errno;
  struct stat st;
  if (::fstat(root_.get(), &st) != 0) return errno;
  root_dev_ = st.st_dev;
  root_ino_ = st.st_ino;
  return reset();
}

int DirCursor::reset() {
  levels_.clear();
  fd_.reset(dup_fd(root_.get()));
  return fd_.valid() ? 0 : errno;
}

int DirCursor::down(const std::string& name) {
  const int fd = open_dir_at(fd_.get(), name);
  if (fd < 0) return errno;
  UniqueFd opened(fd);
  struct stat st;
  if (::fstat(fd, &st) != 0) return errno;
  levels_.push_back({name, st.st_dev, st.st_ino});
  fd_ = std::move(opened);
  return 0;
}

int DirCursor::up() {
  if (levels_.empty()) return EINVAL;
  if (levels_.size() == 1) return reset();
  int fd;
  do {
    fd = ::openat(fd_.get(), "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return errno;
  UniqueFd opened(fd);
  struct stat st;
  if (::fstat(fd, &st) != 0) return errno;
  const Level& parent = levels_[levels_.size() - 2];
  // The directory was moved since the cursor came down through it: its ".." is elsewhere.
  if (st.st_dev != parent.dev || st.st_ino != parent.ino) return EXDEV;
  levels_.pop_back();
  fd_ = std::move(opened);
  return 0;
}

int DirCursor::go_to(const std::vector<std::string>& path, std::size_t depth, std::size_t* failed_at) {
  std::size_t shared = 0;
  while (shared < depth && shared < levels_.size() && levels_[shared].name == path[shared]) ++shared;
  const std::size_t climbs = levels_.size() - shared;
  if (climbs > 0 && climbs >= shared) {
    // Coming down again from the root costs no more than climbing.
    if (int err = reset(); err != 0) return err;
    shared = 0;
  }
  while (levels_.size() > shared) {
    if (int err = up(); err != 0) {
      if (failed_at) *failed_at = 0;
      return err;
    }
  }
  for (std::size_t i = shared; i < depth; ++i) {
    if (int err = down(path[i]); err != 0) {
      if (failed_at) *failed_at = i;
      return err;
    }
  }
  return 0;
}

namespace {

// Makes the directory writable (it is ours to empty), unlinks what is not a directory in it
// and returns the names of its subdirectories.
int empty_files(int dir, std::vector<std::string>& subdirs) {
  struct stat st;
  if (::fstat(dir, &st) != 0) return errno;
  if ((st.st_mode & 0700) != 0700 && ::fchmod(dir, (st.st_mode & 07777) | 0700) != 0) return errno;
  return for_each_entry(dir, [&](const std::string& name, unsigned char type) {
    bool is_dir = type == DT_DIR;
    if (type == DT_UNKNOWN) {
      struct stat est;
      if (::fstatat(dir, name.c_str(), &est, AT_SYMLINK_NOFOLLOW) != 0) return 0;
      is_dir = S_ISDIR(est.st_mode);
    }
    if (is_dir) {
      subdirs.push_back(name);
    } else if (::unlinkat(dir, name.c_str(), 0) != 0 && errno != ENOENT) {
      return errno;
    }
    return 0;
  });
}

}  // namespace

int remove_tree_at(int parent, const std::string& name) {
  DirCursor c;
  if (int err = c.open(parent); err != 0) return err;
  if (int err = c.down(name); err != 0) {
    if (err == ENOENT) return 0;
    if (err == ENOTDIR || err == ELOOP) return ::unlinkat(parent, name.c_str(), 0) == 0 ? 0 : errno;
    return err;
  }
  // Subdirectories still to remove, per level of the cursor.
  std::vector<std::vector<std::string>> pending(1);
  if (int err = empty_files(c.fd(), pending.back()); err != 0) return err;
  // Each iteration enters or removes one directory of the tree.
  while (!pending.empty()) {
    auto& here = pending.back();
    if (!here.empty()) {
      const std::string sub = std::move(here.back());
      here.pop_back();
      if (int err = c.down(sub); err != 0) {
        if (err == ENOENT) continue;
        return err;
      }
      pending.emplace_back();
      if (int err = empty_files(c.fd(), pending.back()); err != 0) return err;
      continue;
    }
    pending.pop_back();
    const std::string leaf = c.name(c.depth() - 1);
    if (int err = c.up(); err != 0) return err;
    if (::unlinkat(c.fd(), leaf.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) return errno;
  }
  return 0;
}

}  // namespace awsdl::internal
