// Directory listing by descriptor (for_each_entry, shared by the staging area and the tree
// removal) and remove_tree_at, on real directories in a scratch directory.

#include "stage/dir_cursor.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <set>

#include "support/tar_test_support.hpp"

namespace {

using namespace awsdl::internal;
using namespace awsdl::testing_support;

UniqueFd open_dir(const fs::path& p) { return UniqueFd(::open(p.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)); }

std::map<std::string, unsigned char> entries(int dir, int* err = nullptr) {
  std::map<std::string, unsigned char> out;
  int e = for_each_entry(dir, [&](const std::string& name, unsigned char type) {
    out[name] = type;
    return 0;
  });
  if (err) *err = e;
  return out;
}

TEST(ForEachEntry, NamesEveryEntryButDotAndDotDotWithItsType) {
  ScratchDir tmp;
  write_file(tmp / "d" / "file", "x");
  fs::create_directories(tmp / "d" / "sub");
  fs::create_symlink("file", tmp / "d" / "link");
  UniqueFd d = open_dir(tmp / "d");
  ASSERT_TRUE(d.valid());
  int err = -1;
  auto got = entries(d.get(), &err);
  EXPECT_EQ(err, 0);
  ASSERT_EQ(got.size(), 3u);
  // d_type where the file system says it (tmpfs and ext4 do), DT_UNKNOWN allowed otherwise.
  EXPECT_TRUE(got["file"] == DT_REG || got["file"] == DT_UNKNOWN);
  EXPECT_TRUE(got["sub"] == DT_DIR || got["sub"] == DT_UNKNOWN);
  EXPECT_TRUE(got["link"] == DT_LNK || got["link"] == DT_UNKNOWN);
  // From the start every time, whatever an earlier listing read.
  EXPECT_EQ(entries(d.get()), got);
  UniqueFd empty = open_dir(tmp / "d" / "sub");
  EXPECT_TRUE(entries(empty.get(), &err).empty());
  EXPECT_EQ(err, 0);
}

TEST(ForEachEntry, ACallbackValueEndsTheListingAndIsReturned) {
  ScratchDir tmp;
  for (int i = 0; i < 10; ++i) write_file(tmp / "d" / ("f" + std::to_string(i)), "x");
  UniqueFd d = open_dir(tmp / "d");
  int calls = 0;
  int err = for_each_entry(d.get(), [&](const std::string&, unsigned char) { return ++calls == 3 ? EPERM : 0; });
  EXPECT_EQ(err, EPERM);
  EXPECT_EQ(calls, 3);
}

TEST(ForEachEntry, ANonDirectoryOrAClosedDescriptorIsAnErrno) {
  ScratchDir tmp;
  write_file(tmp / "file", "x");
  UniqueFd f(::open((tmp / "file").c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(f.valid());
  int err = 0;
  EXPECT_TRUE(entries(f.get(), &err).empty());
  EXPECT_EQ(err, ENOTDIR);
  EXPECT_TRUE(entries(-1, &err).empty());
  EXPECT_EQ(err, EBADF);
}

TEST(RemoveTreeAt, RemovesNestedAndReadOnlyDirectoriesWithoutFollowingLinks) {
  ScratchDir tmp;
  write_file(tmp / "outside" / "kept.txt", "kept");
  write_file(tmp / "tree" / "a" / "b" / "c" / "deep.txt", "d");
  write_file(tmp / "tree" / "top.txt", "t");
  fs::create_directories(tmp / "tree" / "empty");
  fs::create_directory_symlink(tmp / "outside", tmp / "tree" / "a" / "to-outside");
  ::chmod((tmp / "tree" / "a" / "b").c_str(), 0500);  // not writable: made so, ours to remove
  UniqueFd parent = open_dir(tmp.path());
  ASSERT_EQ(remove_tree_at(parent.get(), "tree"), 0);
  EXPECT_FALSE(fs::exists(tmp / "tree"));
  EXPECT_EQ(read_file(tmp / "outside" / "kept.txt"), "kept");
  // Nothing there: nothing to do.
  EXPECT_EQ(remove_tree_at(parent.get(), "tree"), 0);
  // A link in the tree's place is removed, not followed.
  fs::create_directory_symlink(tmp / "outside", tmp / "tree");
  EXPECT_EQ(remove_tree_at(parent.get(), "tree"), 0);
  EXPECT_FALSE(fs::is_symlink(tmp / "tree"));
  EXPECT_EQ(read_file(tmp / "outside" / "kept.txt"), "kept");
}

}  // namespace
