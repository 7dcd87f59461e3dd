// TarExtractor: streaming in chunks of any size, compression detection, and safety against
// hostile archives (crafted here with libarchive's writer), with a canary directory beside
// the target that must stay untouched.

#include "stage/tar_extractor.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <map>
#include <thread>
#include <random>
#include <string>
#include <vector>

#include "util/crypto.hpp"
#include "stage/archive_locale.hpp"
#include "stage/extract_target.hpp"
#include "stage/tar_writer.hpp"
#include "support/stage_test_support.hpp"
#include "support/tar_test_support.hpp"

namespace {

using namespace awsdl;
using namespace awsdl::internal;
using namespace awsdl::testing_support;

// A target directory and, beside it, a canary directory nothing may touch.
struct Arena {
  ScratchDir tmp;
  fs::path target = tmp / "target";
  fs::path canary = tmp / "canary";
  std::map<std::string, NodeInfo> canary_before;

  Arena() {
    fs::create_directories(target);
    write_file(canary / "file", "canary");
    write_file(canary / "sub" / "passwd", "root:x:0:0");
    set_mtime(canary / "sub", 1000000000, 0);
    set_mtime(canary, 1000000000, 0);
    canary_before = snapshot(canary);
  }

  void expect_untouched() const {
    EXPECT_EQ(snapshot(canary), canary_before);
    struct stat st;
    EXPECT_EQ(::lstat(canary.c_str(), &st), 0);
    EXPECT_EQ(st.st_mtim.tv_sec, 1000000000);
    std::vector<std::string> beside;
    for (const auto& e : fs::directory_iterator(tmp.path())) beside.push_back(e.path().filename().string());
    std::sort(beside.begin(), beside.end());
    EXPECT_EQ(beside, (std::vector<std::string>{"canary", "target"}));
    EXPECT_FALSE(fs::exists(fs::symlink_status("/etc/awsdl-hostile-test-x")));
  }
};

void expect_refused(const Status& s, const std::string& entry) {
  ASSERT_FALSE(s) << "extraction of a hostile archive succeeded";
  EXPECT_EQ(s.error().kind, ErrorKind::kInvalidArgument) << s.error().to_string();
  EXPECT_EQ(s.error().code, "UnsafeArchiveEntry") << s.error().to_string();
  EXPECT_NE(s.error().message.find("'" + entry + "'"), std::string::npos) << s.error().message;
}

TEST(TarExtractor, RefusesHostileArchivesAndTouchesNothingOutside) {
  struct Case {
    std::string what;
    std::function<std::string(const Arena&)> build;
    std::string refused_entry;
  };
  const std::vector<Case> cases = {
      {"dot-dot", [](const Arena&) { return Crafted().file("ok", "1").file("../x", "evil").bytes(); }, "../x"},
      {"absolute", [](const Arena&) { return Crafted().file("/etc/awsdl-hostile-test-x", "evil").bytes(); },
       "/etc/awsdl-hostile-test-x"},
      {"absolute-into-canary",
       [](const Arena& a) { return Crafted().file((a.canary / "evil").string(), "evil").bytes(); }, ""},
      {"dot-dot-in-the-middle", [](const Arena&) { return Crafted().dir("a").file("a/../../x", "evil").bytes(); },
       "a/../../x"},
      {"dot-dot-staying-inside", [](const Arena&) { return Crafted().dir("a").file("a/../b", "evil").bytes(); },
       "a/../b"},
      {"symlink-to-etc-then-write-through",
       [](const Arena&) { return Crafted().symlink("dir", "/etc").file("dir/passwd", "evil").bytes(); }, "dir"},
      {"symlink-to-canary-then-write-through",
       [](const Arena&) { return Crafted().symlink("dir", "../canary").file("dir/file", "evil").bytes(); }, "dir"},
      {"symlink-up-two", [](const Arena&) { return Crafted().symlink("up", "../..").bytes(); }, "up"},
      {"deep-symlink-one-level-too-high",
       [](const Arena&) { return Crafted().dir("a").dir("a/b").symlink("a/b/l", "../../../canary").bytes(); },
       "a/b/l"},
      {"symlink-with-dot-dot-after-a-name",
       [](const Arena&) { return Crafted().dir("x").symlink("l", "x/../../canary").bytes(); }, "l"},
      {"write-through-a-symlink-inside",
       [](const Arena&) { return Crafted().dir("sub").symlink("inside", "sub").file("inside/x", "evil").bytes(); },
       "inside/x"},
      {"directory-through-a-symlink-inside",
       [](const Arena&) { return Crafted().dir("sub").symlink("inside", "sub").dir("inside/d").bytes(); },
       "inside/d/"},
      {"hardlink-to-etc-passwd", [](const Arena&) { return Crafted().hardlink("h", "/etc/passwd").bytes(); }, "h"},
      {"hardlink-outside", [](const Arena&) { return Crafted().hardlink("h", "../canary/file").bytes(); }, "h"},
      {"hardlink-to-a-symlink",
       [](const Arena&) { return Crafted().file("f", "1").symlink("l", "f").hardlink("h", "l").bytes(); }, "h"},
      {"hardlink-to-a-directory", [](const Arena&) { return Crafted().dir("d").hardlink("h", "d").bytes(); }, "h"},
      {"hardlink-through-a-symlink",
       [](const Arena&) { return Crafted().dir("sub").file("sub/f", "1").symlink("s", "sub").hardlink("h", "s/f").bytes(); },
       "h"},
      {"char-device", [](const Arena&) { return Crafted().file("ok", "1").special("null2", AE_IFCHR).bytes(); },
       "null2"},
      {"block-device", [](const Arena&) { return Crafted().special("sda9", AE_IFBLK).bytes(); }, "sda9"},
      {"fifo", [](const Arena&) { return Crafted().special("pipe", AE_IFIFO).bytes(); }, "pipe"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    Arena arena;
    const std::string bytes = c.build(arena);
    for (std::vector<std::size_t> chunks : {std::vector<std::size_t>{1 << 20}, std::vector<std::size_t>{7}}) {
      const Status s = extract_archive(bytes, arena.target, chunks);
      expect_refused(s, c.refused_entry.empty() ? (arena.canary / "evil").string() : c.refused_entry);
      arena.expect_untouched();
    }
  }
}

TEST(TarExtractor, NeverWritesThroughASymlinkAlreadyInTheTarget) {
  Arena arena;
  fs::create_symlink("../canary", arena.target / "pre");
  expect_refused(extract_archive(Crafted().file("pre/file", "evil").bytes(), arena.target), "pre/file");
  expect_refused(extract_archive(Crafted().file("pre/sub/passwd", "evil").bytes(), arena.target), "pre/sub/passwd");
  expect_refused(extract_archive(Crafted().hardlink("h", "pre/file").bytes(), arena.target), "h");
  arena.expect_untouched();

  // A file entry whose name is an existing link replaces the link; it does not write through it.
  fs::create_symlink("../canary/file", arena.target / "victim");
  auto s = extract_archive(Crafted().file("victim", "new content").bytes(), arena.target);
  ASSERT_TRUE(s) << s.error().to_string();
  EXPECT_FALSE(fs::is_symlink(arena.target / "victim"));
  EXPECT_EQ(read_file(arena.target / "victim"), "new content");
  arena.expect_untouched();
}

TEST(TarExtractor, AllowsLinksThatStayInside) {
  Arena arena;
  auto bytes = Crafted()
                   .dir("a")
                   .dir("a/b")
                   .file("a/b/f", "data")
                   .symlink("a/b/up", "../..")
                   .symlink("a/b/sibling", "../c/d")
                   .symlink("top", "a/b/f")
                   .symlink("dot", ".")
                   .hardlink("a/hard", "a/b/f")
                   .bytes();
  auto s = extract_archive(bytes, arena.target);
  ASSERT_TRUE(s) << s.error().to_string();
  EXPECT_EQ(fs::read_symlink(arena.target / "a" / "b" / "up"), "../..");
  EXPECT_EQ(read_file(arena.target / "top"), "data");
  EXPECT_EQ(fs::hard_link_count(arena.target / "a" / "hard"), 2u);
  EXPECT_TRUE(fs::equivalent(arena.target / "a" / "hard", arena.target / "a" / "b" / "f"));
  arena.expect_untouched();
}

TEST(TarExtractor, StripsSetuidAndSetgid) {
  Arena arena;
  auto bytes = Crafted().dir("g", 02775).file("g/s", "x", 04755).file("sticky", "y", 01644).bytes();
  auto s = extract_archive(bytes, arena.target);
  ASSERT_TRUE(s) << s.error().to_string();
  struct stat st;
  ASSERT_EQ(::lstat((arena.target / "g" / "s").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
  ASSERT_EQ(::lstat((arena.target / "g").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0775u);
  ASSERT_EQ(::lstat((arena.target / "sticky").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 01644u);
}

TEST(TarExtractor, AcceptsDotSlashNamesAndMissingParents) {
  Arena arena;
  auto bytes = Crafted().dir("./").file("./a", "A").file("x/y/z.txt", "Z").file(".//b//c", "C").bytes();
  auto s = extract_archive(bytes, arena.target);
  ASSERT_TRUE(s) << s.error().to_string();
  EXPECT_EQ(read_file(arena.target / "a"), "A");
  EXPECT_EQ(read_file(arena.target / "x" / "y" / "z.txt"), "Z");
  EXPECT_EQ(read_file(arena.target / "b" / "c"), "C");
}

TEST(TarExtractor, ChunkSizesDoNotMatter) {
  ScratchDir tmp;
  make_rich_tree(tmp / "src" / "d");
  auto w = TarWriter::open({tmp / "src" / "d"});
  ASSERT_TRUE(w);
  auto bytes = read_archive(*w);
  ASSERT_TRUE(bytes);
  const ArchiveStats written = w->stats();
  const auto expected = snapshot(tmp / "src");

  std::mt19937 rng(42);
  std::vector<std::size_t> random_sizes;
  for (int i = 0; i < 64; ++i) random_sizes.push_back(1 + rng() % 150000);
  const std::vector<std::vector<std::size_t>> plans = {{1}, {7}, {1 << 20}, random_sizes, {511, 1, 513, 1024}};
  int i = 0;
  for (const auto& plan : plans) {
    SCOPED_TRACE(i);
    const fs::path out = tmp / ("out" + std::to_string(i++));
    fs::create_directories(out);
    ArchiveStats got;
    auto s = extract_archive(*bytes, out, plan, &got);
    ASSERT_TRUE(s) << s.error().to_string();
    EXPECT_EQ(snapshot(out), expected);
    EXPECT_EQ(got.archive_bytes, written.archive_bytes);
    EXPECT_EQ(got.archive_sha256, written.archive_sha256);
    EXPECT_EQ(got.files, written.files);
    EXPECT_EQ(got.entries, written.entries);
    EXPECT_EQ(got.file_bytes, written.file_bytes);
  }
}

TEST(TarExtractor, ExtractingTwiceIntoTheSameTargetGivesTheSameTree) {
  ScratchDir tmp;
  make_rich_tree(tmp / "src" / "d");
  auto bytes = make_archive({tmp / "src" / "d"});
  ASSERT_TRUE(bytes);
  fs::create_directories(tmp / "out");
  ASSERT_TRUE(extract_archive(*bytes, tmp / "out"));
  auto again = extract_archive(*bytes, tmp / "out");
  ASSERT_TRUE(again) << again.error().to_string();
  EXPECT_EQ(snapshot(tmp / "out"), snapshot(tmp / "src"));
}

TEST(TarExtractor, BoundedQueueWithLargeChunks) {
  ScratchDir tmp;
  write_file(tmp / "src" / "big.bin", random_bytes(9'000'000, 7));
  auto bytes = make_archive({tmp / "src" / "big.bin"});
  ASSERT_TRUE(bytes);
  fs::create_directories(tmp / "out");
  TarExtractorOptions opt;
  opt.max_buffered_bytes = 1 << 20;
  auto s = extract_archive(*bytes, tmp / "out", {4 << 20}, nullptr, opt);
  ASSERT_TRUE(s) << s.error().to_string();
  EXPECT_EQ(snapshot(tmp / "out"), snapshot(tmp / "src"));
}

TEST(TarExtractor, DetectsTruncation) {
  ScratchDir tmp;
  write_file(tmp / "src" / "t" / "a.bin", random_bytes(100000, 1));
  write_file(tmp / "src" / "t" / "b.bin", random_bytes(5000, 2));
  auto plain = make_archive({tmp / "src" / "t"});
  ASSERT_TRUE(plain);
  // Our writer does no block padding: the last 1024 bytes are the end-of-archive marker.
  ASSERT_EQ(plain->substr(plain->size() - 1024), std::string(1024, '\0'));
  struct Cut {
    std::string what;
    std::string bytes;
  };
  std::vector<Cut> cuts = {
      {"inside file data", plain->substr(0, plain->size() / 2)},
      {"inside a header", plain->substr(0, 1536 + 100)},
      {"at an entry boundary", plain->substr(0, plain->size() - 1024)},
      {"after one of the two end blocks", plain->substr(0, plain->size() - 512)},
  };
  for (Compression c : {Compression::kGzip, Compression::kZstd}) {
    TarWriterOptions opt;
    opt.compression = c;
    auto z = make_archive({tmp / "src" / "t"}, opt);
    ASSERT_TRUE(z);
    cuts.push_back({"compressed " + std::string(to_string(c)), z->substr(0, z->size() * 2 / 3)});
  }
  for (const Cut& cut : cuts) {
    SCOPED_TRACE(cut.what);
    const fs::path out = tmp / "out";
    fs::remove_all(out);
    fs::create_directories(out);
    auto x = TarExtractor::open(out);
    ASSERT_TRUE(x);
    // Every byte is accepted; the damage shows when the end is declared.
    Status w = x->write(cut.bytes);
    Status f = x->finish();
    ASSERT_FALSE(f) << "truncated archive accepted";
    EXPECT_EQ(f.error().kind, ErrorKind::kParse) << f.error().to_string();
    EXPECT_TRUE(f.error().code == "TruncatedArchive") << f.error().to_string();
    EXPECT_NE(f.error().message.find("truncated"), std::string::npos) << f.error().message;
    if (!w) {
      EXPECT_EQ(w.error().code, f.error().code);
    }
  }
  // The whole archive, followed by block padding as GNU tar writes it, is fine.
  fs::remove_all(tmp / "out");
  fs::create_directories(tmp / "out");
  auto s = extract_archive(*plain + std::string(10240, '\0'), tmp / "out");
  ASSERT_TRUE(s) << s.error().to_string();
}

TEST(TarExtractor, RefusesWhatIsNotATar) {
  ScratchDir tmp;
  for (const std::string& junk : {random_bytes(5000, 3), std::string(), std::string("hello")}) {
    auto s = extract_archive(junk, tmp.path());
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().kind, ErrorKind::kParse) << s.error().to_string();
  }
  EXPECT_TRUE(fs::is_empty(tmp.path()));
}

TEST(TarExtractor, TargetMustBeAnExistingDirectory) {
  ScratchDir tmp;
  auto missing = TarExtractor::open(tmp / "nope");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::kNotFound);
  write_file(tmp / "file", "x");
  auto file = TarExtractor::open(tmp / "file");
  ASSERT_FALSE(file);
  EXPECT_EQ(file.error().code, "NotADirectory");
}

TEST(TarExtractor, ErrorsAreStickyAndFinishIsFinal) {
  Arena arena;
  auto x = TarExtractor::open(arena.target);
  ASSERT_TRUE(x);
  const std::string bad = Crafted().file("../x", "evil").bytes();
  Status w = x->write(bad);
  // The refusal reaches write() as soon as the thread has it.
  for (int i = 0; i < 200 && w; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    w = x->write(std::string(512, '\0'));
  }
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, "UnsafeArchiveEntry");
  Status f = x->finish();
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().code, "UnsafeArchiveEntry");
  Status f2 = x->finish();
  ASSERT_FALSE(f2);
  EXPECT_EQ(f2.error().code, "UnsafeArchiveEntry");
  Status after = x->write("more");
  ASSERT_FALSE(after);
  EXPECT_EQ(after.error().code, "InvalidState");
  arena.expect_untouched();
}

TEST(TarExtractor, DroppingAnUnfinishedExtractionStopsIt) {
  ScratchDir tmp;
  write_file(tmp / "src" / "big.bin", random_bytes(3'000'000, 8));
  auto bytes = make_archive({tmp / "src" / "big.bin"});
  ASSERT_TRUE(bytes);
  fs::create_directories(tmp / "out");
  const auto start = std::chrono::steady_clock::now();
  {
    auto x = TarExtractor::open(tmp / "out");
    ASSERT_TRUE(x);
    ASSERT_TRUE(x->write(std::string_view(*bytes).substr(0, bytes->size() / 2)));
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST(TarExtractor, MovedExtractorKeepsWorking) {
  ScratchDir tmp;
  write_file(tmp / "src" / "f", "content");
  auto bytes = make_archive({tmp / "src" / "f"});
  ASSERT_TRUE(bytes);
  fs::create_directories(tmp / "out");
  auto x = TarExtractor::open(tmp / "out");
  ASSERT_TRUE(x);
  TarExtractor moved = std::move(*x);
  ASSERT_TRUE(moved.write(*bytes));
  ASSERT_TRUE(moved.finish());
  EXPECT_EQ(read_file(tmp / "out" / "f"), "content");
  EXPECT_EQ(moved.stats().files, 1u);
}

TEST(SafeEntryComponents, SplitsAndRefuses) {
  auto ok = safe_entry_components("./a//b/./c/");
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, (PathComponents{"a", "b", "c"}));
  auto root = safe_entry_components("./");
  ASSERT_TRUE(root);
  EXPECT_TRUE(root->empty());
  for (const char* bad : {"", "/a", "..", "../a", "a/..", "a/../b", "a/b/../../..", "//etc"}) {
    SCOPED_TRACE(bad);
    auto r = safe_entry_components(bad);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, "UnsafeArchiveEntry");
  }
  // "..." and "..x" are ordinary names.
  EXPECT_TRUE(safe_entry_components(".../..x"));
}

TEST(CheckSymlinkTarget, AllowsOnlyTargetsInside) {
  const PathComponents at_root{"l"};
  const PathComponents deep{"a", "b", "l"};
  EXPECT_TRUE(check_symlink_target(at_root, "x", "l"));
  EXPECT_TRUE(check_symlink_target(at_root, ".", "l"));
  EXPECT_TRUE(check_symlink_target(at_root, "./x/y", "l"));
  EXPECT_TRUE(check_symlink_target(deep, "../..", "l"));
  EXPECT_TRUE(check_symlink_target(deep, "../../x/./y", "l"));
  EXPECT_FALSE(check_symlink_target(at_root, "..", "l"));
  EXPECT_FALSE(check_symlink_target(deep, "../../..", "l"));
  EXPECT_FALSE(check_symlink_target(deep, "x/../../..", "l"));
  EXPECT_FALSE(check_symlink_target(deep, "x/..", "l"));
  EXPECT_FALSE(check_symlink_target(at_root, "/", "l"));
  EXPECT_FALSE(check_symlink_target(at_root, "/tmp", "l"));
  EXPECT_FALSE(check_symlink_target(at_root, "", "l"));
}

TEST(PrintableEntryName, EscapesControlBytesAndShortens) {
  EXPECT_EQ(printable_entry_name("a\nb\x1b[31m"), "a\\x0ab\\x1b[31m");
  EXPECT_EQ(printable_entry_name("caf\xc3\xa9"), "caf\xc3\xa9");
  const std::string longname(1000, 'x');
  const std::string p = printable_entry_name(longname);
  EXPECT_LT(p.size(), 400u);
  EXPECT_NE(p.find("1000 bytes"), std::string::npos);
}

}  // namespace
