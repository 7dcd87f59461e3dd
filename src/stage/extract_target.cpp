#include "stage/extract_target.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

namespace awsdl::internal {

namespace {

constexpr mode_t kStrippedBits = S_ISUID | S_ISGID;

std::string join(const PathComponents& path, std::size_t depth) {
  std::string out;
  for (std::size_t i = 0; i < depth && i < path.size(); ++i) {
    if (i) out += '/';
    out += path[i];
  }
  return out;
}

Error extract_failed(int err, std::string_view what, std::string_view path) {
  return errno_error(err, "ExtractFailed", what, printable_entry_name(path));
}

bool is_symlink_at(int dir, const std::string& leaf) {
  struct stat st;
  return ::fstatat(dir, leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
}

int open_dir_at(int dir, const std::string& leaf) {
  int fd;
  do {
    fd = ::openat(dir, leaf.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

}  // namespace

std::string printable_entry_name(std::string_view name) {
  constexpr std::size_t kMax = 300;
  std::string out;
  const std::string_view shown = name.size() > kMax ? name.substr(0, kMax) : name;
  for (unsigned char c : shown) {
    if (c < 0x20 || c == 0x7f) {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (shown.size() < name.size()) out += "...(" + std::to_string(name.size()) + " bytes)";
  return out;
}

Error unsafe_entry(std::string_view name, std::string_view why) {
  return Error::invalid_argument("UnsafeArchiveEntry",
                                 "refusing archive entry '" + printable_entry_name(name) + "': " + std::string(why));
}

Result<PathComponents> safe_entry_components(std::string_view name) {
  if (name.empty()) return unsafe_entry(name, "it has an empty name");
  if (name.front() == '/') return unsafe_entry(name, "it is an absolute path");
  PathComponents out;
  std::size_t start = 0;
  // One pass over the name.
  while (start <= name.size()) {
    std::size_t end = name.find('/', start);
    if (end == std::string_view::npos) end = name.size();
    const std::string_view c = name.substr(start, end - start);
    if (c == "..") return unsafe_entry(name, "it contains a '..' component");
    if (!c.empty() && c != ".") out.emplace_back(c);
    start = end + 1;
  }
  return out;
}

Status check_symlink_target(const PathComponents& link, std::string_view target, std::string_view name) {
  if (target.empty()) return unsafe_entry(name, "it is a symbolic link with an empty target");
  if (target.front() == '/')
    return unsafe_entry(name, "it is a symbolic link to the absolute path '" + printable_entry_name(target) + "'");
  std::size_t up = 0;
  bool named = false;
  std::size_t start = 0;
  while (start <= target.size()) {
    std::size_t end = target.find('/', start);
    if (end == std::string_view::npos) end = target.size();
    const std::string_view c = target.substr(start, end - start);
    if (c == "..") {
      if (named)
        return unsafe_entry(name, "it is a symbolic link to '" + printable_entry_name(target) +
                                      "', which has '..' after a name and could lead outside the target "
                                      "directory through another link");
      ++up;
    } else if (!c.empty() && c != ".") {
      named = true;
    }
    start = end + 1;
  }
  const std::size_t depth = link.empty() ? 0 : link.size() - 1;
  if (up > depth)
    return unsafe_entry(name, "it is a symbolic link to '" + printable_entry_name(target) +
                                  "', which is outside the target directory");
  return {};
}

Result<ExtractTarget> ExtractTarget::open(const std::filesystem::path& dir) {
  ExtractTarget t;
  t.root_path_ = dir.native();
  t.root_.reset(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!t.root_.valid()) {
    if (errno == ENOTDIR)
      return Error::invalid_argument("NotADirectory", "extraction target '" + t.root_path_ + "' is not a directory");
    return errno_error(errno, "TargetNotFound", "cannot open extraction target", t.root_path_);
  }
  return t;
}

Result<UniqueFd> ExtractTarget::open_directory(const PathComponents& path, std::size_t depth, std::string_view name,
                                               bool create) {
  UniqueFd cur;
  int at = root_.get();
  for (std::size_t i = 0; i < depth; ++i) {
    int fd = open_dir_at(at, path[i]);
    if (fd < 0 && errno == ENOENT && create) {
      if (::mkdirat(at, path[i].c_str(), 0755) != 0 && errno != EEXIST)
        return extract_failed(errno, "cannot create directory", join(path, i + 1));
      fd = open_dir_at(at, path[i]);
    }
    if (fd < 0) {
      const int err = errno;
      if (is_symlink_at(at, path[i]))
        return unsafe_entry(name, "it would be written through the symbolic link '" +
                                      printable_entry_name(join(path, i + 1)) + "'");
      return extract_failed(err, "cannot open directory", join(path, i + 1));
    }
    cur.reset(fd);
    at = fd;
  }
  if (!cur.valid()) {
    cur.reset(::fcntl(root_.get(), F_DUPFD_CLOEXEC, 0));
    if (!cur.valid()) return extract_failed(errno, "cannot duplicate descriptor of", root_path_);
  }
  return cur;
}

Result<int> ExtractTarget::parent_of(const PathComponents& path, std::string_view name, bool create) {
  const std::size_t depth = path.size() - 1;
  if (depth == 0) return root_.get();
  if (cache_valid_ && cached_parent_.size() == depth && std::equal(cached_parent_.begin(), cached_parent_.end(), path.begin()))
    return cached_fd_.get();
  cache_valid_ = false;
  AWSDL_ASSIGN_OR_RETURN(UniqueFd fd, open_directory(path, depth, name, create));
  cached_fd_ = std::move(fd);
  cached_parent_.assign(path.begin(), path.begin() + static_cast<std::ptrdiff_t>(depth));
  cache_valid_ = true;
  return cached_fd_.get();
}

Status ExtractTarget::remove_existing(int parent, const std::string& leaf, std::string_view name) {
  struct stat st;
  if (::fstatat(parent, leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return {};
    return extract_failed(errno, "cannot inspect existing", name);
  }
  if (S_ISDIR(st.st_mode)) {
    if (::unlinkat(parent, leaf.c_str(), AT_REMOVEDIR) != 0) {
      if (errno == ENOTEMPTY || errno == EEXIST)
        return Error::make(ErrorKind::kIo, "ExtractFailed",
                           "cannot extract '" + printable_entry_name(name) +
                               "': a non-empty directory of that name already exists");
      return extract_failed(errno, "cannot remove existing directory", name);
    }
    // A cached descriptor may refer to what was just removed.
    cache_valid_ = false;
    return {};
  }
  if (::unlinkat(parent, leaf.c_str(), 0) != 0 && errno != ENOENT)
    return extract_failed(errno, "cannot remove existing", name);
  return {};
}

Status ExtractTarget::make_directory(const PathComponents& path, std::string_view name, mode_t mode,
                                     std::optional<timespec> mtime) {
  if (path.empty()) return {};  // "./": the target itself, which the caller owns
  AWSDL_ASSIGN_OR_RETURN(int parent, parent_of(path, name, true));
  const std::string& leaf = path.back();
  // Owner-only until finish(): the final mode may forbid writing the entries inside.
  if (::mkdirat(parent, leaf.c_str(), 0700) != 0) {
    if (errno != EEXIST) return extract_failed(errno, "cannot create directory", name);
    struct stat st;
    if (::fstatat(parent, leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
      return extract_failed(errno, "cannot inspect existing", name);
    if (!S_ISDIR(st.st_mode)) {
      AWSDL_TRY(remove_existing(parent, leaf, name));
      if (::mkdirat(parent, leaf.c_str(), 0700) != 0) return extract_failed(errno, "cannot create directory", name);
    }
  }
  deferred_.push_back({path, mode, mtime});
  return {};
}

Result<UniqueFd> ExtractTarget::create_file(const PathComponents& path, std::string_view name) {
  if (path.empty()) return unsafe_entry(name, "a file cannot replace the target directory");
  AWSDL_ASSIGN_OR_RETURN(int parent, parent_of(path, name, true));
  const std::string& leaf = path.back();
  constexpr int kFlags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY;
  int fd = ::openat(parent, leaf.c_str(), kFlags, 0600);
  if (fd < 0 && errno == EEXIST) {
    AWSDL_TRY(remove_existing(parent, leaf, name));
    // remove_existing may have invalidated the cached parent (it only does so for a removed
    // directory, which is the leaf here, not the parent), so the descriptor is still good.
    fd = ::openat(parent, leaf.c_str(), kFlags, 0600);
  }
  if (fd < 0) return extract_failed(errno, "cannot create file", name);
  return UniqueFd(fd);
}

Status ExtractTarget::finish_file(int fd, std::string_view name, std::uint64_t size, mode_t mode,
                                  std::optional<timespec> mtime) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return extract_failed(errno, "cannot stat", name);
  if (static_cast<std::uint64_t>(st.st_size) < size && ::ftruncate(fd, static_cast<off_t>(size)) != 0)
    return extract_failed(errno, "cannot set the size of", name);
  if (::fchmod(fd, mode & 07777 & ~kStrippedBits) != 0) return extract_failed(errno, "cannot set the mode of", name);
  if (mtime) {
    const timespec times[2] = {{0, UTIME_OMIT}, *mtime};
    if (::futimens(fd, times) != 0) return extract_failed(errno, "cannot set the time of", name);
  }
  return {};
}

Status ExtractTarget::make_symlink(const PathComponents& path, std::string_view name, std::string_view target,
                                   std::optional<timespec> mtime) {
  if (path.empty()) return unsafe_entry(name, "a symbolic link cannot replace the target directory");
  AWSDL_TRY(check_symlink_target(path, target, name));
  AWSDL_ASSIGN_OR_RETURN(int parent, parent_of(path, name, true));
  const std::string& leaf = path.back();
  const std::string target_str(target);
  if (::symlinkat(target_str.c_str(), parent, leaf.c_str()) != 0) {
    if (errno != EEXIST) return extract_failed(errno, "cannot create symbolic link", name);
    AWSDL_TRY(remove_existing(parent, leaf, name));
    if (::symlinkat(target_str.c_str(), parent, leaf.c_str()) != 0)
      return extract_failed(errno, "cannot create symbolic link", name);
  }
  if (mtime) {
    const timespec times[2] = {{0, UTIME_OMIT}, *mtime};
    // Best effort, as tar does: some file systems cannot time a link.
    (void)::utimensat(parent, leaf.c_str(), times, AT_SYMLINK_NOFOLLOW);
  }
  return {};
}

Status ExtractTarget::make_hardlink(const PathComponents& path, std::string_view name, const PathComponents& existing,
                                    std::string_view existing_name) {
  if (path.empty()) return unsafe_entry(name, "a hard link cannot replace the target directory");
  if (existing.empty()) return unsafe_entry(name, "it is a hard link to the target directory");
  AWSDL_ASSIGN_OR_RETURN(UniqueFd from_dir, open_directory(existing, existing.size() - 1, name, false));
  const std::string& from_leaf = existing.back();
  struct stat from;
  if (::fstatat(from_dir.get(), from_leaf.c_str(), &from, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT)
      return unsafe_entry(name, "it is a hard link to '" + printable_entry_name(existing_name) +
                                    "', which does not exist in the target directory");
    return extract_failed(errno, "cannot inspect hard link target", existing_name);
  }
  if (!S_ISREG(from.st_mode))
    return unsafe_entry(name, "it is a hard link to '" + printable_entry_name(existing_name) +
                                  "', which is not a regular file");
  AWSDL_ASSIGN_OR_RETURN(int parent, parent_of(path, name, true));
  const std::string& leaf = path.back();
  // Flags 0: linkat never follows a symbolic link at the source.
  if (::linkat(from_dir.get(), from_leaf.c_str(), parent, leaf.c_str(), 0) != 0) {
    if (errno != EEXIST) return extract_failed(errno, "cannot create hard link", name);
    struct stat here;
    if (::fstatat(parent, leaf.c_str(), &here, AT_SYMLINK_NOFOLLOW) == 0 && here.st_dev == from.st_dev &&
        here.st_ino == from.st_ino)
      return {};
    AWSDL_TRY(remove_existing(parent, leaf, name));
    if (::linkat(from_dir.get(), from_leaf.c_str(), parent, leaf.c_str(), 0) != 0)
      return extract_failed(errno, "cannot create hard link", name);
  }
  return {};
}

Status ExtractTarget::finish() {
  cache_valid_ = false;
  cached_fd_.reset();
  // Deepest first, so that a directory made read-only does not block its subdirectories.
  std::stable_sort(deferred_.begin(), deferred_.end(),
                   [](const DeferredDirectory& a, const DeferredDirectory& b) { return a.path.size() > b.path.size(); });
  for (const DeferredDirectory& d : deferred_) {
    const std::string name = join(d.path, d.path.size());
    auto dir = open_directory(d.path, d.path.size(), name, false);
    // A later entry replaced it (with a file or link): nothing to apply, nothing to follow.
    if (!dir) continue;
    if (::fchmod(dir->get(), d.mode & 07777 & ~kStrippedBits) != 0)
      return extract_failed(errno, "cannot set the mode of", name);
    if (d.mtime) {
      const timespec times[2] = {{0, UTIME_OMIT}, *d.mtime};
      if (::futimens(dir->get(), times) != 0) return extract_failed(errno, "cannot set the time of", name);
    }
  }
  deferred_.clear();
  return {};
}

}  // namespace awsdl::internal

