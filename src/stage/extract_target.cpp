#include "stage/extract_target.hpp"

#include <fcntl.h>
#include <sys/statvfs.h>
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
  if (int err = t.cursor_.open(t.root_.get()); err != 0)
    return extract_failed(err, "cannot open extraction target", t.root_path_);
  struct stat st;
  if (::fstat(t.root_.get(), &st) != 0) return extract_failed(errno, "cannot inspect extraction target", t.root_path_);
  t.nodes_.push_back(DirNode{0, std::string(), st.st_dev, st.st_ino});
  return t;
}

std::optional<std::uint64_t> ExtractTarget::free_bytes() const {
  struct statvfs vfs;
  if (::fstatvfs(root_.get(), &vfs) != 0) return std::nullopt;
  return static_cast<std::uint64_t>(vfs.f_bavail) * static_cast<std::uint64_t>(vfs.f_frsize);
}

std::uint32_t ExtractTarget::child_node(std::uint32_t parent, const std::string& name) {
  std::string key(reinterpret_cast<const char*>(&parent), sizeof parent);
  key += name;
  auto [it, added] = children_.try_emplace(std::move(key), static_cast<std::uint32_t>(nodes_.size()));
  if (added) nodes_.push_back(DirNode{parent, name});
  return it->second;
}

void ExtractTarget::sync_chain() {
  const std::size_t depth = cursor_.depth();
  std::size_t keep = 0;
  while (keep < depth && keep < chain_.size() && nodes_[chain_[keep]].name == cursor_.name(keep)) ++keep;
  chain_.resize(keep);
  for (std::size_t i = keep; i < depth; ++i)
    chain_.push_back(child_node(i == 0 ? 0 : chain_[i - 1], cursor_.name(i)));
  // What the cursor opened is what is there now (a directory may have been replaced).
  for (std::size_t i = 0; i < depth; ++i) {
    nodes_[chain_[i]].dev = cursor_.dev(i);
    nodes_[chain_[i]].ino = cursor_.ino(i);
  }
}

Result<int> ExtractTarget::parent_of(const PathComponents& path, std::string_view name, bool create) {
  const std::size_t depth = path.size() - 1;
  if (depth == 0) return root_.get();
  std::size_t reached = 0;
  int err = cursor_.go_to(path, depth, &reached);
  // Each iteration creates one missing directory of the path. The cursor stopped at the
  // missing one's parent and goes on down from there: going to the whole path again after
  // each directory compared every level above it each time, quadratic in a name's depth.
  for (std::size_t made = 0; err == ENOENT && create && made < depth; ++made) {
    if (::mkdirat(cursor_.fd(), path[reached].c_str(), 0755) != 0 && errno != EEXIST) {
      err = errno;
      sync_chain();
      return extract_failed(err, "cannot create directory", join(path, reached + 1));
    }
    // Bounded by the path's depth: each step goes one level down.
    while (reached < depth && (err = cursor_.down(path[reached])) == 0) ++reached;
  }
  sync_chain();
  if (err == 0) return cursor_.fd();
  if (err == EXDEV)
    return Error::make(ErrorKind::kIo, "ExtractFailed",
                       "cannot extract '" + printable_entry_name(name) +
                           "': a directory of the target was moved during the extraction");
  if ((err == ELOOP || err == ENOTDIR) && reached < depth && is_symlink_at(cursor_.fd(), path[reached]))
    return unsafe_entry(name, "it would be written through the symbolic link '" +
                                  printable_entry_name(join(path, reached + 1)) + "'");
  return extract_failed(err, "cannot open directory", join(path, reached + 1));
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
  struct stat st;
  if (::fstatat(parent, leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
    return extract_failed(errno, "cannot inspect", name);
  DirNode& node = nodes_[child_node(path.size() == 1 ? 0 : chain_.back(), leaf)];
  node.dev = st.st_dev;
  node.ino = st.st_ino;
  node.deferred = true;
  node.mode = mode;
  node.mtime = mtime;
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
    // remove_existing removes the leaf, never the parent: the descriptor is still good.
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
  AWSDL_ASSIGN_OR_RETURN(int from_parent, parent_of(existing, name, false));
  // Its own descriptor: finding the link's directory moves the cursor.
  UniqueFd from_dir(::fcntl(from_parent, F_DUPFD_CLOEXEC, 0));
  if (!from_dir.valid()) return extract_failed(errno, "cannot open directory of", existing_name);
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
  // Only subtrees holding a directory with a deferred mode are visited. A node is always made
  // after its parent, so one pass from the end marks every ancestor.
  std::vector<char> wanted(nodes_.size(), 0);
  for (std::size_t i = nodes_.size(); i-- > 1;)
    if (nodes_[i].deferred || wanted[i]) wanted[nodes_[i].parent] = 1;
  std::vector<std::uint32_t> first(nodes_.size() + 1, 0), children;
  for (std::size_t i = 1; i < nodes_.size(); ++i)
    if (wanted[i] || nodes_[i].deferred) ++first[nodes_[i].parent + 1];
  for (std::size_t i = 1; i <= nodes_.size(); ++i) first[i] += first[i - 1];
  children.resize(first.back());
  {
    std::vector<std::uint32_t> fill(first.begin(), first.end() - 1);
    for (std::size_t i = 1; i < nodes_.size(); ++i)
      if (wanted[i] || nodes_[i].deferred) children[fill[nodes_[i].parent]++] = static_cast<std::uint32_t>(i);
  }

  // Depth first, each directory after everything below it, so that a directory made
  // read-only does not block its subdirectories.
  if (int err = cursor_.reset(); err != 0) return extract_failed(err, "cannot reopen", root_path_);
  chain_.clear();
  struct Frame {
    std::uint32_t node;
    std::uint32_t next;
  };
  std::vector<Frame> stack{{0, first[0]}};
  // Each iteration enters or leaves one node.
  while (!stack.empty()) {
    Frame& top = stack.back();
    if (top.next < first[top.node + 1]) {
      const std::uint32_t child = children[top.next++];
      const DirNode& n = nodes_[child];
      // A later entry replaced it (with a file or link, or another directory): nothing to
      // apply, nothing to follow.
      if (cursor_.down(n.name) != 0) continue;
      const std::size_t level = cursor_.depth() - 1;
      if (cursor_.dev(level) != n.dev || cursor_.ino(level) != n.ino) {
        if (int err = cursor_.up(); err != 0) return extract_failed(err, "cannot return to the parent of", n.name);
        continue;
      }
      stack.push_back({child, first[child]});
      continue;
    }
    const std::uint32_t done = top.node;
    stack.pop_back();
    if (done == 0) break;
    const DirNode& d = nodes_[done];
    if (d.deferred) {
      auto where = [&] {
        std::string name;
        for (std::size_t i = 0; i < cursor_.depth(); ++i) name += (i ? "/" : "") + cursor_.name(i);
        return name;
      };
      if (::fchmod(cursor_.fd(), d.mode & 07777 & ~kStrippedBits) != 0)
        return extract_failed(errno, "cannot set the mode of", where());
      if (d.mtime) {
        const timespec times[2] = {{0, UTIME_OMIT}, *d.mtime};
        if (::futimens(cursor_.fd(), times) != 0) return extract_failed(errno, "cannot set the time of", where());
      }
    }
    if (int err = cursor_.up(); err != 0) return extract_failed(err, "cannot return to the parent of", d.name);
  }
  for (DirNode& n : nodes_) n.deferred = false;
  return {};
}

}  // namespace awsdl::internal

