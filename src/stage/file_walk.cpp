#include "stage/file_walk.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <system_error>

#include "util/posix_fd.hpp"

namespace awsdl::internal {

namespace {

std::string strip_trailing_slashes(std::string s) {
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

// The top-level archive name of an input: its last component, or for "." and ".." the name of
// the directory they stand for.
Result<std::string> base_name(const std::string& input) {
  const std::string p = strip_trailing_slashes(input);
  const size_t slash = p.rfind('/');
  std::string last = slash == std::string::npos ? p : p.substr(slash + 1);
  if (last == "." || last == "..") {
    std::error_code ec;
    const auto canonical = std::filesystem::canonical(p, ec);
    if (ec) return errno_error(ec.value(), "InputNotFound", "cannot resolve input", input);
    last = canonical.filename().string();
  }
  if (last.empty())
    return Error::invalid_argument("InvalidInput", "input '" + input +
                                                       "' has no base name to use in the archive; name a "
                                                       "directory below it instead");
  return last;
}

Result<std::vector<std::string>> list_directory(const std::string& path) {
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(path.c_str()), &::closedir);
  if (!dir) return errno_error(errno, "UnreadableDirectory", "cannot list directory", path);
  std::vector<std::string> names;
  // Bounded by the directory's size: readdir returns null at its end.
  for (;;) {
    errno = 0;
    const dirent* d = ::readdir(dir.get());
    if (!d) {
      if (errno != 0) return errno_error(errno, "UnreadableDirectory", "cannot list directory", path);
      break;
    }
    const std::string_view n(d->d_name);
    if (n == "." || n == "..") continue;
    names.emplace_back(n);
  }
  // std::string compares with char_traits<char>, which orders bytes as unsigned char.
  std::sort(names.begin(), names.end());
  return names;
}

std::uint64_t round_up_512(std::uint64_t n) { return (n + 511) / 512 * 512; }

}  // namespace

Result<FileWalker> FileWalker::open(const std::vector<std::filesystem::path>& inputs) {
  FileWalker w;
  for (const auto& in : inputs) {
    const std::string source = in.native();
    if (source.empty()) return Error::invalid_argument("InvalidInput", "an input path is empty");
    struct stat st;
    if (::lstat(source.c_str(), &st) != 0) return errno_error(errno, "InputNotFound", "cannot stat input", source);
    AWSDL_ASSIGN_OR_RETURN(std::string name, base_name(source));
    w.roots_.push_back({std::move(name), strip_trailing_slashes(source)});
  }
  std::sort(w.roots_.begin(), w.roots_.end(), [](const Root& a, const Root& b) { return a.name < b.name; });
  for (size_t i = 1; i < w.roots_.size(); ++i) {
    if (w.roots_[i].name == w.roots_[i - 1].name)
      return Error::invalid_argument("DuplicateArchiveName", "inputs '" + w.roots_[i - 1].source + "' and '" +
                                                                 w.roots_[i].source + "' would both be named '" +
                                                                 w.roots_[i].name + "' in the archive");
  }
  return w;
}

Status FileWalker::visit(std::string name, std::string source, WalkEntry& out) {
  struct stat st;
  if (::lstat(source.c_str(), &st) != 0) return errno_error(errno, "UnreadableFile", "cannot stat", source);
  out.mode = st.st_mode & 07777;
  out.size = 0;
  out.mtime_sec = st.st_mtim.tv_sec;
  out.mtime_nsec = st.st_mtim.tv_nsec;
  out.link_target.clear();
  if (S_ISREG(st.st_mode)) {
    out.type = WalkEntryType::kFile;
    out.size = static_cast<std::uint64_t>(st.st_size);
  } else if (S_ISDIR(st.st_mode)) {
    out.type = WalkEntryType::kDirectory;
    AWSDL_ASSIGN_OR_RETURN(auto children, list_directory(source));
    stack_.push_back(Frame{name, source, std::move(children), 0});
  } else if (S_ISLNK(st.st_mode)) {
    out.type = WalkEntryType::kSymlink;
    // st_size is the target's length, but it may change between lstat and readlink: grow.
    std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
    for (int attempt = 0; attempt < 8; ++attempt) {
      const ssize_t n = ::readlink(source.c_str(), target.data(), target.size());
      if (n < 0) return errno_error(errno, "UnreadableFile", "cannot read symbolic link", source);
      if (static_cast<size_t>(n) < target.size()) {
        target.resize(static_cast<size_t>(n));
        out.link_target = std::move(target);
        break;
      }
      target.resize(target.size() * 2);
    }
    if (out.link_target.empty())
      return Error::make(ErrorKind::kIo, "UnreadableFile", "cannot read symbolic link '" + source + "'");
  } else {
    const char* what = S_ISFIFO(st.st_mode)  ? "a fifo"
                       : S_ISSOCK(st.st_mode) ? "a socket"
                       : S_ISCHR(st.st_mode)  ? "a character device"
                       : S_ISBLK(st.st_mode)  ? "a block device"
                                              : "of an unknown type";
    return Error::invalid_argument("UnsupportedFileType", "'" + source + "' is " + what +
                                                              "; only regular files, directories and symbolic "
                                                              "links can be archived");
  }
  out.name = std::move(name);
  out.source = std::move(source);
  return {};
}

Result<bool> FileWalker::next(WalkEntry& out) {
  // Each iteration either returns or pops a finished frame, and frames are finite.
  for (;;) {
    if (stack_.empty()) {
      if (next_root_ == roots_.size()) return false;
      Root& r = roots_[next_root_++];
      if (auto s = visit(r.name, r.source, out); !s) {
        stack_.clear();
        next_root_ = roots_.size();
        return std::move(s).error();
      }
      return true;
    }
    Frame& f = stack_.back();
    if (f.next == f.children.size()) {
      stack_.pop_back();
      continue;
    }
    const std::string& child = f.children[f.next++];
    std::string name = f.name + "/" + child;
    std::string source = f.source == "/" ? "/" + child : f.source + "/" + child;
    if (auto s = visit(std::move(name), std::move(source), out); !s) {
      stack_.clear();
      next_root_ = roots_.size();
      return std::move(s).error();
    }
    return true;
  }
}

Result<WalkTotals> measure_inputs(const std::vector<std::filesystem::path>& inputs) {
  AWSDL_ASSIGN_OR_RETURN(FileWalker walker, FileWalker::open(inputs));
  WalkTotals t;
  t.archive_bytes_bound = 1024;  // end-of-archive marker
  WalkEntry e;
  for (;;) {
    AWSDL_ASSIGN_OR_RETURN(bool more, walker.next(e));
    if (!more) break;
    ++t.entries;
    // A ustar header, plus at most one pax extended header holding the path, link path,
    // mtime, size and charset records.
    t.archive_bytes_bound += 512 + 512 + round_up_512(e.name.size() + e.link_target.size() + 200);
    if (e.type == WalkEntryType::kFile) {
      if (::faccessat(AT_FDCWD, e.source.c_str(), R_OK, AT_EACCESS) != 0)
        return errno_error(errno, "UnreadableFile", "cannot read file", e.source);
      ++t.files;
      t.file_bytes += e.size;
      t.archive_bytes_bound += round_up_512(e.size);
    }
  }
  return t;
}

}  // namespace awsdl::internal
