#pragma once
// Helpers for the tar writer/extractor tests: scratch directories, a comparable snapshot of a
// file tree (types, modes, sizes, mtimes, contents, link targets), and whole-stream helpers.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "util/crypto.hpp"
#include "stage/tar_extractor.hpp"
#include "stage/tar_writer.hpp"

namespace awsdl::testing_support {

namespace fs = std::filesystem;

/// A fresh directory under /tmp, removed (with everything below it) at the end.
class ScratchDir {
 public:
  ScratchDir() {
    std::string templ = (fs::temp_directory_path() / "awsdl-tar-test-XXXXXX").string();
    if (!::mkdtemp(templ.data())) std::abort();
    path_ = templ;
  }
  ~ScratchDir() {
    std::error_code ec;
    // Directories made read-only by a test must be writable again to be emptied.
    for (auto it = fs::recursive_directory_iterator(path_, fs::directory_options::skip_permission_denied, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (it->is_directory(ec) && !it->is_symlink(ec)) ::chmod(it->path().c_str(), 0700);
    }
    fs::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const fs::path& path() const { return path_; }
  fs::path operator/(const std::string& rel) const { return path_ / rel; }

 private:
  fs::path path_;
};

inline void write_file(const fs::path& p, const std::string& content, mode_t mode = 0644) {
  fs::create_directories(p.parent_path());
  {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
  }
  ::chmod(p.c_str(), mode);
}

inline std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void set_mtime(const fs::path& p, time_t sec, long nsec) {
  const timespec t[2] = {{sec, nsec}, {sec, nsec}};
  ::utimensat(AT_FDCWD, p.c_str(), t, AT_SYMLINK_NOFOLLOW);
}

inline std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng() & 0xff);
  return s;
}

struct NodeInfo {
  char type = '?';  // f d l
  mode_t mode = 0;
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
  std::string content_sha256;  // files
  std::string link_target;     // symlinks
  bool operator==(const NodeInfo&) const = default;
};

inline std::ostream& operator<<(std::ostream& os, const NodeInfo& n) {
  return os << n.type << " mode=" << std::oct << n.mode << std::dec << " size=" << n.size << " mtime_ns=" << n.mtime_ns
            << " sha=" << n.content_sha256.substr(0, 12) << " link=" << n.link_target;
}

struct SnapshotOptions {
  bool mtimes = true;
  bool dir_mtimes = true;
  bool symlink_mtimes = true;
};

/// Everything below `root` (not root itself), keyed by relative path; never follows links.
inline std::map<std::string, NodeInfo> snapshot(const fs::path& root, SnapshotOptions opt = {}) {
  std::map<std::string, NodeInfo> out;
  std::error_code ec;
  auto it = fs::recursive_directory_iterator(root, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    struct stat st;
    if (::lstat(it->path().c_str(), &st) != 0) continue;
    NodeInfo n;
    n.mode = st.st_mode & 07777;
    n.mtime_ns = opt.mtimes ? st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec : 0;
    if (S_ISREG(st.st_mode)) {
      n.type = 'f';
      n.size = static_cast<std::uint64_t>(st.st_size);
      n.content_sha256 = awsdl::internal::sha256_hex(read_file(it->path()));
    } else if (S_ISDIR(st.st_mode)) {
      n.type = 'd';
      if (!opt.dir_mtimes) n.mtime_ns = 0;
    } else if (S_ISLNK(st.st_mode)) {
      n.type = 'l';
      n.mode = 0;  // meaningless on Linux
      n.link_target = fs::read_symlink(it->path()).string();
      if (!opt.symlink_mtimes) n.mtime_ns = 0;
    } else {
      n.type = 's';
    }
    // lexically: fs::relative would resolve a symlink to its target's name.
    out[it->path().lexically_relative(root).string()] = n;
  }
  // A walk that stopped early would make two different trees look equal.
  if (ec) ADD_FAILURE() << "snapshot of " << root << " stopped: " << ec.message();
  return out;
}

/// The whole archive, read through read() with `buf_size` byte reads.
inline awsdl::Result<std::string> read_archive(awsdl::internal::TarWriter& w, std::size_t buf_size = 64 << 10) {
  std::string out;
  std::vector<char> buf(buf_size);
  for (int i = 0; i < 100000000; ++i) {
    auto n = w.read(buf.data(), buf.size());
    if (!n) return n.error();
    if (*n == 0) return out;
    out.append(buf.data(), *n);
  }
  return awsdl::Error::make(awsdl::ErrorKind::kInternal, "TestLoop", "read_archive did not end");
}

inline awsdl::Result<std::string> make_archive(std::vector<fs::path> inputs,
                                               awsdl::internal::TarWriterOptions options = {},
                                               std::size_t buf_size = 64 << 10) {
  auto w = awsdl::internal::TarWriter::open(std::move(inputs), std::move(options));
  if (!w) return w.error();
  return read_archive(*w, buf_size);
}

/// Feeds `archive` to a TarExtractor in chunks whose sizes cycle through `chunk_sizes`.
inline awsdl::Status extract_archive(const std::string& archive, const fs::path& target,
                                     std::vector<std::size_t> chunk_sizes = {1 << 20},
                                     awsdl::internal::ArchiveStats* stats = nullptr,
                                     awsdl::internal::TarExtractorOptions options = {}) {
  auto x = awsdl::internal::TarExtractor::open(target, options);
  if (!x) return x.error();
  std::size_t pos = 0;
  for (std::size_t i = 0; pos < archive.size(); ++i) {
    const std::size_t n = std::min(chunk_sizes[i % chunk_sizes.size()], archive.size() - pos);
    if (auto s = x->write(std::string_view(archive).substr(pos, n)); !s) {
      (void)x->finish();
      if (stats) *stats = x->stats();
      return s;
    }
    pos += n;
  }
  auto s = x->finish();
  if (stats) *stats = x->stats();
  return s;
}

}  // namespace awsdl::testing_support

namespace awsdl::testing_support {

/// A tree with what a dataset can hold: nested and empty directories, empty files, an
/// executable, restrictive modes, a read-only directory with contents, names over 100 and
/// 255 bytes, UTF-8 names, symbolic links (to a file, a directory, nowhere), and distinct
/// nanosecond mtimes everywhere.
inline void make_rich_tree(const fs::path& d) {
  write_file(d / "a.txt", "hello\n");
  write_file(d / "empty.bin", "");
  write_file(d / "bin" / "run.sh", "#!/bin/sh\necho hi\n", 0755);
  write_file(d / "private.key", "not really a key", 0600);
  write_file(d / "readonly.txt", "ro", 0444);
  write_file(d / "-starts-with-dash", "dash");
  write_file(d / "with space and \\backslash", "odd");
  fs::create_directories(d / "empty_dir");
  fs::create_directories(d / "n1" / "empty_inner");
  write_file(d / "n1" / "n2" / "n3" / "n4" / "deep.dat", random_bytes(300000, 1));
  write_file(d / "n1" / "n2" / "mid.dat", random_bytes(70000, 2));
  // Over 100 bytes in one component, over 255 bytes as a path.
  const std::string long_dir(200, 'L');
  const std::string long_file = std::string(150, 'f') + ".txt";
  write_file(d / long_dir / long_file, "long name");
  write_file(d / "donn\xc3\xa9" "es" / "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e file.txt", "utf8");
  write_file(d / "emoji-\xf0\x9f\x98\x80.txt", "smile");
  write_file(d / "ro_dir" / "inside.txt", "inside a read-only directory");
  fs::create_directories(d / "links");
  fs::create_symlink("../a.txt", d / "links" / "to_file");
  fs::create_symlink("../n1/n2", d / "links" / "to_dir");
  fs::create_symlink("../no/such/thing", d / "links" / "dangling");
  fs::create_symlink(".", d / "links" / "self");
  // mtimes last, deepest first, so that creating children does not move their parents' times.
  std::vector<fs::path> all;
  for (auto it = fs::recursive_directory_iterator(d); it != fs::recursive_directory_iterator(); ++it)
    all.push_back(it->path());
  std::sort(all.begin(), all.end(), [](const fs::path& a, const fs::path& b) {
    return a.native().size() > b.native().size();
  });
  long i = 0;
  for (const auto& p : all) {
    set_mtime(p, 1600000000 + i * 3600, 1000 * i + 7);
    ++i;
  }
  ::chmod((d / "n1").c_str(), 0750);
  ::chmod((d / "ro_dir").c_str(), 0555);
  set_mtime(d, 1500000000, 123456789);
}

}  // namespace awsdl::testing_support
