#pragma once
// A directory of the fuzzing process's own under $TMPDIR (scripts/fuzz points it to a memory
// file system), created on first use and removed at exit, emptied after each input.

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "stage/dir_cursor.hpp"

namespace awsdl::fuzz {

/// Removes everything inside the directory `dir_fd` (which stays in place), with the
/// library's own remover (as the staging area cleans up after a failed extraction): one
/// descriptor whatever the depth, no path names (a tree can be deeper than PATH_MAX), never
/// following a link, directories an archive made unwritable made writable first.
inline bool remove_contents(int dir_fd) {
  const int scan_fd = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR* d = scan_fd >= 0 ? ::fdopendir(scan_fd) : nullptr;
  if (!d) {
    if (scan_fd >= 0) ::close(scan_fd);
    return false;
  }
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d))
    if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) names.emplace_back(e->d_name);
  ::closedir(d);
  for (const auto& name : names)
    if (int err = awsdl::internal::remove_tree_at(dir_fd, name); err != 0) {
      errno = err;
      return false;
    }
  return true;
}

class TempDir {
 public:
  /// The process's directory, made on the first call.
  static TempDir& get() {
    static TempDir dir;
    return dir;
  }

  const std::string& path() const { return path_; }
  int fd() const { return fd_; }

  /// Empties the directory; aborts when it cannot (the next input would not start clean).
  void clear() {
    if (!remove_contents(fd_)) {
      std::fprintf(stderr, "fuzz: cannot empty %s: %s\n", path_.c_str(), std::strerror(errno));
      std::abort();
    }
  }

  ~TempDir() {
    remove_contents(fd_);
    ::close(fd_);
    ::rmdir(path_.c_str());
  }

 private:
  TempDir() {
    const char* tmp = std::getenv("TMPDIR");
    std::string templ = std::string(tmp && *tmp ? tmp : "/tmp") + "/awsdl-fuzz-XXXXXX";
    if (!::mkdtemp(templ.data())) {
      std::fprintf(stderr, "fuzz: cannot make a directory under %s: %s\n", tmp ? tmp : "/tmp", std::strerror(errno));
      std::abort();
    }
    path_ = templ;
    fd_ = ::open(path_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd_ < 0) std::abort();
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string path_;
  int fd_ = -1;
};

}  // namespace awsdl::fuzz
