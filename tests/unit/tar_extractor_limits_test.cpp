// TarExtractor against archives built to cost: a directory tree thousands of levels deep must
// extract in time linear in its size, and an archive may not make more than the manifest
// declares or the target's file system holds (a gzip bomb, a sparse file of 1 TiB), refused
// before the bytes are written.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "stage/tar_extractor.hpp"
#include "support/sanitizer.hpp"
#include "support/scoped_env.hpp"
#include "support/stage_test_support.hpp"
#include "support/tar_test_support.hpp"

namespace {

using namespace awsdl;
using namespace awsdl::internal;
using namespace awsdl::testing_support;

double cpu_seconds() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  auto secs = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return secs(ru.ru_utime) + secs(ru.ru_stime);
}

// Removes a chain root/d/d/.../d (with a file at the bottom) too deep for path names, which
// ScratchDir's remove_all could not: from the bottom up, through "..".
void remove_deep_chain(const fs::path& root, const std::string& name, int levels, const std::string& leaf) {
  int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  for (int i = 0; i < levels && fd >= 0; ++i) {
    const int next = ::openat(fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    ::close(fd);
    fd = next;
  }
  ASSERT_GE(fd, 0);
  ::unlinkat(fd, leaf.c_str(), 0);
  for (int i = 0; i < levels; ++i) {
    const int up = ::openat(fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ::close(fd);
    ASSERT_GE(up, 0);
    ::fchmod(up, 0700);
    ASSERT_EQ(::unlinkat(up, name.c_str(), AT_REMOVEDIR), 0) << "level " << levels - i;
    fd = up;
  }
  ::close(fd);
}

// Opens root/d/d/... `levels` deep, one component at a time; -1 when some level is missing.
int open_deep(const fs::path& root, const std::string& name, int levels) {
  int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  for (int i = 0; i < levels && fd >= 0; ++i) {
    const int next = ::openat(fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    ::close(fd);
    fd = next;
  }
  return fd;
}

// A scratch directory with an empty `target` in it, on a memory file system when there is
// one: removing thousands of directories on a disk mounted with `discard` takes seconds of
// waiting that measure nothing here.
std::unique_ptr<ScratchDir> scratch_on_memory_fs() {
  std::optional<testsupport::ScopedEnv> tmpdir(std::in_place);
  if (fs::is_directory("/dev/shm") && ::access("/dev/shm", W_OK) == 0) tmpdir->set("TMPDIR", "/dev/shm");
  auto tmp = std::make_unique<ScratchDir>();
  fs::create_directories(*tmp / "target");
  return tmp;
}

// Extracts `bytes` into `target` (the outcome in `s`); the CPU-seconds it took.
double timed_extract(const std::string& bytes, const fs::path& target, Status& s) {
  const double before = cpu_seconds();
  s = extract_archive(bytes, target);
  return cpu_seconds() - before;
}

// The file both deep-tree tests put at the bottom, read through the deepest directory.
void expect_leaf(int bottom) {
  const int leaf = ::openat(bottom, "leaf.txt", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(leaf, 0);
  char buf[64] = {};
  EXPECT_EQ(::read(leaf, buf, sizeof buf), 13);
  EXPECT_EQ(std::string(buf), "at the bottom");
  ::close(leaf);
}

TEST(TarExtractorLimits, DeepTreeExtractsInLinearTime) {
  constexpr int kDepth = 4000;
  Crafted archive;
  std::string name;
  for (int i = 0; i < kDepth; ++i) {
    name += "d/";
    // One read-only level half way down: its mode is applied only after what is below it.
    archive.dir(name, i == kDepth / 2 ? 0555 : 0750);
  }
  archive.file(name + "leaf.txt", "at the bottom");
  const std::string bytes = archive.bytes();

  auto scratch = scratch_on_memory_fs();
  const ScratchDir& tmp = *scratch;
  Status s;
  const double spent = timed_extract(bytes, tmp / "target", s);
  ASSERT_TRUE(s) << s.error().to_string();
  // The quadratic walk took about 46 CPU-s at this depth; a linear one under a second (the
  // names alone add up to 16 MB of path text), about 6 CPU-s under AddressSanitizer.
  EXPECT_LT(spent, 2.0 * testsupport::kSanitizerSlowdown) << "extracting a tree " << kDepth << " levels deep took " << spent << " CPU-s";

  const int bottom = open_deep(tmp / "target", "d", kDepth);
  ASSERT_GE(bottom, 0) << "the deepest directory is missing";
  struct stat st;
  ASSERT_EQ(::fstat(bottom, &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0750u);
  expect_leaf(bottom);
  ::close(bottom);
  const int middle = open_deep(tmp / "target", "d", kDepth / 2 + 1);
  ASSERT_GE(middle, 0);
  ASSERT_EQ(::fstat(middle, &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0555u);
  ::close(middle);
  remove_deep_chain(tmp / "target", "d", kDepth, "leaf.txt");
}

TEST(TarExtractorLimits, OneDeepNameExtractsInLinearTime) {
  // One entry whose name is the whole tree: every directory on the way is missing and made by
  // the extractor (found by fuzzing: this took minutes, each directory made walking the name
  // from the top again). 200 KB of name, within the 1 MiB a hostile archive's pax header holds.
  constexpr int kDepth = 100000;
  std::string name;
  name.reserve(2 * kDepth + 8);
  for (int i = 0; i < kDepth; ++i) name += "d/";
  const std::string bytes = Crafted().file(name + "leaf.txt", "at the bottom").bytes();

  auto scratch = scratch_on_memory_fs();
  const ScratchDir& tmp = *scratch;
  Status s;
  const double spent = timed_extract(bytes, tmp / "target", s);
  ASSERT_TRUE(s) << s.error().to_string();
  // Quadratic: 5e9 name comparisons, over a minute; linear: 3e5 system calls, about a second
  // under the sanitizers.
  EXPECT_LT(spent, 5.0) << "extracting one name " << kDepth << " levels deep took " << spent << " CPU-s";

  const int bottom = open_deep(tmp / "target", "d", kDepth);
  ASSERT_GE(bottom, 0) << "the deepest directory is missing";
  expect_leaf(bottom);
  ::close(bottom);
  remove_deep_chain(tmp / "target", "d", kDepth, "leaf.txt");
}

TEST(TarExtractorLimits, SparseEntryCountsAtItsApparentSize) {
  // 1 TiB of holes around 4 KiB of data: more than this file system holds, so refused before
  // it is made (it used to be created with ftruncate, whatever the space).
  constexpr std::uint64_t kTiB = 1ull << 40;
  ScratchDir tmp;
  fs::create_directories(tmp / "target");
  const auto bytes = Crafted().file("before.txt", "ok").sparse("huge.img", kTiB, std::string(4096, 'x')).bytes();
  auto s = extract_archive(bytes, tmp / "target");
  ASSERT_FALSE(s) << "a 1 TiB sparse file was made";
  EXPECT_EQ(s.error().code, "NoSpace") << s.error().to_string();
  EXPECT_NE(s.error().message.find("huge.img"), std::string::npos) << s.error().message;
  EXPECT_FALSE(fs::exists(fs::symlink_status(tmp / "target" / "huge.img")));
}

TEST(TarExtractorLimits, GzipBombIsRefusedBeforeItsBytesAreWritten) {
  // 64 MiB of zeros gzip to about 64 KiB; the manifest said the files hold 1 MiB.
  const auto bytes = Crafted(Crafted::Filter::kGzip).file("zeros.bin", std::string(64u << 20, '\0')).bytes();
  ASSERT_LT(bytes.size(), 1u << 20);
  ScratchDir tmp;
  fs::create_directories(tmp / "target");
  TarExtractorOptions options;
  options.max_file_bytes = 1u << 20;
  auto s = extract_archive(bytes, tmp / "target", {1 << 20}, nullptr, options);
  ASSERT_FALSE(s) << "the bomb was extracted";
  EXPECT_EQ(s.error().code, "ManifestMismatch") << s.error().to_string();
  EXPECT_NE(s.error().message.find("zeros.bin"), std::string::npos) << s.error().message;
  EXPECT_FALSE(fs::exists(fs::symlink_status(tmp / "target" / "zeros.bin")));
}

TEST(TarExtractorLimits, FileCountAndTotalAreBoundedByTheManifest) {
  ScratchDir tmp;
  const auto bytes = Crafted().file("a", std::string(600, 'a')).file("b", std::string(600, 'b')).file("c", "c").bytes();
  {
    fs::create_directories(tmp / "total");
    TarExtractorOptions options;
    options.max_file_bytes = 1000;  // each file fits, the second brings the total over
    auto s = extract_archive(bytes, tmp / "total", {1 << 20}, nullptr, options);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, "ManifestMismatch") << s.error().to_string();
    EXPECT_NE(s.error().message.find("'b'"), std::string::npos) << s.error().message;
    EXPECT_TRUE(fs::exists(tmp / "total" / "a"));
    EXPECT_FALSE(fs::exists(tmp / "total" / "b"));
  }
  {
    fs::create_directories(tmp / "count");
    TarExtractorOptions options;
    options.max_files = 2;
    auto s = extract_archive(bytes, tmp / "count", {1 << 20}, nullptr, options);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, "ManifestMismatch") << s.error().to_string();
    EXPECT_NE(s.error().message.find("'c'"), std::string::npos) << s.error().message;
    EXPECT_FALSE(fs::exists(tmp / "count" / "c"));
  }
  {
    fs::create_directories(tmp / "exact");
    TarExtractorOptions options;
    options.max_files = 3;
    options.max_file_bytes = 1201;
    auto s = extract_archive(bytes, tmp / "exact", {1 << 20}, nullptr, options);
    ASSERT_TRUE(s) << s.error().to_string();
  }
}

}  // namespace
