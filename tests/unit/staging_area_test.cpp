// StagingArea: what commit() does to a target that already has files, a conflict found before
// anything moves, discarding, and the staging directories other runs left (removed when
// stale, kept while a run holds them).

#include "stage/staging_area.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "support/tar_test_support.hpp"

namespace {

using namespace awsdl;
using namespace awsdl::internal;
using namespace awsdl::testing_support;

std::vector<std::string> staging_dirs(const fs::path& target) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(target))
    if (e.path().filename().string().rfind(kStagingPrefix, 0) == 0) out.push_back(e.path().filename().string());
  return out;
}

TEST(StagingArea, CommitMergesDirectoriesAndReplacesSameNamedEntries) {
  ScratchDir tmp;
  const fs::path target = tmp / "target";
  write_file(target / "keep.txt", "mine");
  write_file(target / "d" / "old.txt", "stays");
  write_file(target / "d" / "same.txt", "old");
  write_file(target / "was-a-file", "becomes a directory");
  fs::create_directories(target / "was-an-empty-dir");
  ::chmod((target / "d").c_str(), 0555);  // merged into even when read-only

  auto area = StagingArea::create(target);
  ASSERT_TRUE(area) << area.error().to_string();
  write_file(area->path() / "d" / "same.txt", "new");
  write_file(area->path() / "d" / "sub" / "n.txt", "n");
  write_file(area->path() / "was-a-file" / "inside.txt", "i");
  write_file(area->path() / "was-an-empty-dir", "now a file");
  fs::create_symlink("keep.txt", area->path() / "link");
  ::chmod((area->path() / "d").c_str(), 0750);
  set_mtime(area->path() / "d", 1500000000, 5);
  ASSERT_TRUE(area->commit());

  EXPECT_EQ(read_file(target / "keep.txt"), "mine");
  EXPECT_EQ(read_file(target / "d" / "old.txt"), "stays");
  EXPECT_EQ(read_file(target / "d" / "same.txt"), "new");
  EXPECT_EQ(read_file(target / "d" / "sub" / "n.txt"), "n");
  EXPECT_EQ(read_file(target / "was-a-file" / "inside.txt"), "i");
  EXPECT_EQ(read_file(target / "was-an-empty-dir"), "now a file");
  EXPECT_EQ(fs::read_symlink(target / "link"), "keep.txt");
  struct stat st;
  ASSERT_EQ(::stat((target / "d").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0750u);  // the archive's mode and time
  EXPECT_EQ(st.st_mtim.tv_sec, 1500000000);
  EXPECT_TRUE(staging_dirs(target).empty());
}

TEST(StagingArea, ConflictIsFoundBeforeAnythingMoves) {
  ScratchDir tmp;
  const fs::path target = tmp / "target";
  write_file(target / "a.txt", "old a");
  write_file(target / "z" / "full" / "f.txt", "a non-empty directory");
  const auto before = snapshot(target);
  auto area = StagingArea::create(target);
  ASSERT_TRUE(area);
  write_file(area->path() / "a.txt", "new a");  // would move first, alphabetically or not
  write_file(area->path() / "z" / "full", "a file where the target has a directory");
  auto s = area->commit();
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, "TargetConflict") << s.error().to_string();
  EXPECT_NE(s.error().message.find("z/full"), std::string::npos) << s.error().message;
  EXPECT_EQ(snapshot(target), before);
}

TEST(StagingArea, DiscardLeavesTheTargetAsItWasAndRemovesATargetItMade) {
  ScratchDir tmp;
  {
    auto area = StagingArea::create(tmp / "new-target");
    ASSERT_TRUE(area);
    write_file(area->path() / "x" / "y.txt", "y");
  }  // not committed
  EXPECT_FALSE(fs::exists(tmp / "new-target"));
  write_file(tmp / "old" / "k.txt", "k");
  {
    auto area = StagingArea::create(tmp / "old");
    ASSERT_TRUE(area);
    write_file(area->path() / "k.txt", "replaced?");
    ASSERT_TRUE(area->discard());
  }
  EXPECT_EQ(read_file(tmp / "old" / "k.txt"), "k");
  EXPECT_TRUE(staging_dirs(tmp / "old").empty());
}

TEST(StagingArea, StaleStagingIsRemovedButARunningOneIsKept) {
  ScratchDir tmp;
  const fs::path target = tmp / "target";
  // Killed run: nobody holds it. Read-only inside, as an extraction may leave it.
  write_file(target / ".awsdl-unstage-aaaaaaaaaaaaaaaa" / "ro" / "f", "f");
  ::chmod((target / ".awsdl-unstage-aaaaaaaaaaaaaaaa" / "ro").c_str(), 0555);
  // Running run: its lock is held (here, by this process through another descriptor).
  write_file(target / ".awsdl-unstage-bbbbbbbbbbbbbbbb" / "g", "g");
  const int held = ::open((target / ".awsdl-unstage-bbbbbbbbbbbbbbbb").c_str(), O_RDONLY | O_DIRECTORY);
  ASSERT_GE(held, 0);
  ASSERT_EQ(::flock(held, LOCK_EX), 0);

  auto area = StagingArea::create(target);
  ASSERT_TRUE(area) << area.error().to_string();
  EXPECT_EQ(area->stale_removed(), 1);
  EXPECT_FALSE(fs::exists(target / ".awsdl-unstage-aaaaaaaaaaaaaaaa"));
  EXPECT_TRUE(fs::exists(target / ".awsdl-unstage-bbbbbbbbbbbbbbbb" / "g"));
  ASSERT_TRUE(area->commit());
  ::close(held);  // released: now it is stale too
  auto cleaned = remove_stale_staging(target);
  ASSERT_TRUE(cleaned);
  EXPECT_EQ(*cleaned, 1);
  EXPECT_TRUE(staging_dirs(target).empty());
}

TEST(StagingArea, StaleStagingWaitsForALockBeingReleasedButNotLonger) {
  ScratchDir tmp;
  const fs::path target = tmp / "target";
  const fs::path dir = target / ".awsdl-unstage-dddddddddddddddd";
  write_file(dir / "h", "h");
  const int held = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  ASSERT_GE(held, 0);
  ASSERT_EQ(::flock(held, LOCK_EX), 0);

  // Held throughout: kept, after polling for the whole wait.
  auto t0 = std::chrono::steady_clock::now();
  auto kept = remove_stale_staging(target, std::chrono::milliseconds(150));
  auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_TRUE(kept) << kept.error().to_string();
  EXPECT_EQ(*kept, 0);
  EXPECT_TRUE(fs::exists(dir / "h"));
  EXPECT_GE(took, std::chrono::milliseconds(150));
  EXPECT_LT(took, std::chrono::seconds(5));

  // Released 200 ms into a 10 s wait (as a killed process's lock is): removed soon after.
  std::thread releaser([held] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    ::close(held);
  });
  t0 = std::chrono::steady_clock::now();
  auto removed = remove_stale_staging(target, std::chrono::seconds(10));
  took = std::chrono::steady_clock::now() - t0;
  releaser.join();
  ASSERT_TRUE(removed) << removed.error().to_string();
  EXPECT_EQ(*removed, 1);
  EXPECT_FALSE(fs::exists(dir));
  EXPECT_GE(took, std::chrono::milliseconds(150));
  EXPECT_LT(took, std::chrono::seconds(5));
}

TEST(StagingArea, ArchiveEntryNamedLikeAStagingDirectoryIsAConflict) {
  ScratchDir tmp;
  auto area = StagingArea::create(tmp / "t");
  ASSERT_TRUE(area);
  write_file(area->path() / ".awsdl-unstage-cccccccccccccccc" / "x", "x");
  auto s = area->commit();
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, "TargetConflict");
}

}  // namespace
