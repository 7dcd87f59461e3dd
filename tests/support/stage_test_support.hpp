#pragma once
// For the stager's integration tests: hostile archives built entry by entry, and a tree's
// description that tells symbolic links from their targets.

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <map>
#include <sstream>
#include <string>

#include "util/crypto.hpp"
#include "stage/archive_locale.hpp"
#include "support/tar_test_support.hpp"

namespace awsdl::testing_support {

// Builds an archive entry by entry, with no checks: whatever a hostile writer could write.
class Crafted {
 public:
  enum class Filter { kNone, kGzip };
  explicit Crafted(Filter filter = Filter::kNone) {
    a_ = archive_write_new();
    archive_write_set_format_pax_restricted(a_);
    if (filter == Filter::kGzip) archive_write_add_filter_gzip(a_);
    archive_write_set_bytes_per_block(a_, 0);
    archive_write_open2(a_, this, nullptr, &Crafted::on_write, nullptr, nullptr);
  }
  ~Crafted() { archive_write_free(a_); }

  Crafted& file(const std::string& name, const std::string& content, mode_t mode = 0644) {
    archive_entry* e = entry(name, AE_IFREG, mode);
    archive_entry_set_size(e, static_cast<la_int64_t>(content.size()));
    put(e);
    archive_write_data(a_, content.data(), content.size());
    return *this;
  }
  // A sparse file of `apparent` bytes whose only data is `data` at offset 0.
  Crafted& sparse(const std::string& name, std::uint64_t apparent, const std::string& data) {
    archive_entry* e = entry(name, AE_IFREG, 0644);
    archive_entry_set_size(e, static_cast<la_int64_t>(apparent));
    archive_entry_sparse_add_entry(e, 0, static_cast<la_int64_t>(data.size()));
    archive_entry_sparse_add_entry(e, static_cast<la_int64_t>(apparent), 0);
    put(e);
    archive_write_data(a_, data.data(), data.size());
    return *this;
  }
  Crafted& dir(const std::string& name, mode_t mode = 0755) { return put(entry(name, AE_IFDIR, mode)); }
  Crafted& symlink(const std::string& name, const std::string& target) {
    archive_entry* e = entry(name, AE_IFLNK, 0777);
    archive_entry_set_symlink(e, target.c_str());
    return put(e);
  }
  Crafted& hardlink(const std::string& name, const std::string& target) {
    archive_entry* e = entry(name, AE_IFREG, 0644);
    archive_entry_set_hardlink(e, target.c_str());
    return put(e);
  }
  Crafted& special(const std::string& name, unsigned type) {
    archive_entry* e = entry(name, type, 0666);
    archive_entry_set_rdevmajor(e, 1);
    archive_entry_set_rdevminor(e, 3);
    return put(e);
  }
  std::string bytes() {
    archive_write_close(a_);
    return out_;
  }

 private:
  static la_ssize_t on_write(archive*, void* self, const void* data, size_t n) {
    static_cast<Crafted*>(self)->out_.append(static_cast<const char*>(data), n);
    return static_cast<la_ssize_t>(n);
  }
  archive_entry* entry(const std::string& name, unsigned type, mode_t mode) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_filetype(e, type);
    archive_entry_set_perm(e, mode);
    archive_entry_set_mtime(e, 1600000000, 0);
    return e;
  }
  Crafted& put(archive_entry* e) {
    EXPECT_GE(archive_write_header(a_, e), ARCHIVE_WARN) << archive_error_string(a_);
    archive_entry_free(e);
    return *this;
  }

  awsdl::internal::Utf8LocaleGuard locale_;
  archive* a_;
  std::string out_;
};

// Every entry below `root` keyed by its lexical relative path (support's snapshot() keys by
// fs::relative, which resolves symbolic links, so a link's entry lands on its target's key):
// type, permission bits, size, nanosecond mtime (not for links), content hash, link target.
inline std::map<std::string, std::string> tree(const std::filesystem::path& root) {
  std::map<std::string, std::string> out;
  std::function<void(const std::filesystem::path&)> walk = [&](const std::filesystem::path& d) {
    for (const auto& e : std::filesystem::directory_iterator(d)) {
      struct stat st;
      if (::lstat(e.path().c_str(), &st) != 0) {
        out[e.path().lexically_relative(root).string()] = "lstat failed";
        continue;
      }
      std::ostringstream desc;
      if (S_ISLNK(st.st_mode)) {
        desc << "link -> " << std::filesystem::read_symlink(e.path()).string();
      } else {
        desc << (S_ISDIR(st.st_mode) ? "dir" : S_ISREG(st.st_mode) ? "file" : "other") << " mode "
             << std::oct << (st.st_mode & 07777) << std::dec << " mtime "
             << st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
        if (S_ISREG(st.st_mode))
          desc << " size " << st.st_size << " sha256 " << awsdl::internal::sha256_hex(read_file(e.path()));
      }
      out[e.path().lexically_relative(root).string()] = desc.str();
      if (S_ISDIR(st.st_mode)) walk(e.path());
    }
  };
  walk(root);
  return out;
}

}  // namespace awsdl::testing_support
