// The tar extractor as unstage and awsdl-unpack use it: the archive's bytes written in
// chunks into a TarExtractor bounded by a manifest's counts, extracting into a fresh
// directory, then finish(). Whatever the archive, nothing may appear beside the target
// directory, and a successful extraction stays within the bounds and counts every byte.
// The target's contents are removed after each input.

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "fuzz_input.hpp"
#include "fuzz_tempdir.hpp"
#include "stage/tar_extractor.hpp"

using awsdl::fuzz::require;

namespace {

constexpr std::uint64_t kMaxFiles = 10000;
constexpr std::uint64_t kMaxFileBytes = std::uint64_t{64} << 20;
constexpr std::size_t kChunk = 64 << 10;

// The names in the process's directory other than the target "t".
int strangers(const awsdl::fuzz::TempDir& dir) {
  DIR* d = ::opendir(dir.path().c_str());
  require(d != nullptr, "the fuzz target can list its directory");
  int n = 0;
  while (dirent* e = ::readdir(d))
    if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0 && std::strcmp(e->d_name, "t") != 0)
      ++n;
  ::closedir(d);
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto& dir = awsdl::fuzz::TempDir::get();
  const std::string target = dir.path() + "/t";
  require(::mkdir(target.c_str(), 0700) == 0, "the fuzz target can make its target directory");

  awsdl::internal::TarExtractorOptions options;
  options.max_files = kMaxFiles;
  options.max_file_bytes = kMaxFileBytes;
  {
    auto x = awsdl::internal::TarExtractor::open(target, options);
    require(x.ok(), "TarExtractor::open on a fresh directory");
    std::string_view bytes(reinterpret_cast<const char*>(data), size);
    awsdl::Status st;
    while (!bytes.empty() && st.ok()) {
      st = x->write(bytes.substr(0, kChunk));
      bytes.remove_prefix(std::min(bytes.size(), kChunk));
    }
    const awsdl::Status done = x->finish();
    if (st.ok() && done.ok()) {
      const auto stats = x->stats();
      require(stats.archive_bytes == size, "a complete extraction counts every byte of the archive");
      require(stats.files <= kMaxFiles && stats.file_bytes <= kMaxFileBytes,
              "a complete extraction stays within the manifest's bounds");
      require(stats.files <= stats.entries, "files are entries");
      require(stats.archive_sha256.size() == 64, "a complete extraction has the archive's SHA-256");
    }
    (void)x->compression();
  }
  require(strangers(dir) == 0, "the extraction made something beside its target directory");
  dir.clear();
  return 0;
}
