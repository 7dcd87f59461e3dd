// TarWriter: the archive it produces (order, headers, pax records, compression, determinism)
// and how it fails. Round trips go through TarExtractor; GNU tar interop is in
// tests/integration/tar_gnu_interop_test.cpp.

#include "stage/tar_writer.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "util/crypto.hpp"
#include "stage/archive_locale.hpp"
#include "util/posix_fd.hpp"
#include "stage/tar_extractor.hpp"
#include "support/tar_test_support.hpp"

namespace {

using namespace awsdl;
using namespace awsdl::internal;
using namespace awsdl::testing_support;

struct Listed {
  std::string name;
  int type = 0;
  std::int64_t size = 0;
  mode_t perm = 0;
  std::int64_t uid = -1, gid = -1;
  std::string uname, gname;
  std::int64_t mtime = 0;
  long mtime_nsec = 0;
  std::string symlink;
};

// Lists an archive with libarchive's reader, independently of TarExtractor.
std::vector<Listed> list_archive(const std::string& bytes) {
  Utf8LocaleGuard locale;
  std::vector<Listed> out;
  archive* a = archive_read_new();
  archive_read_support_format_tar(a);
  archive_read_support_filter_all(a);
  EXPECT_EQ(archive_read_open_memory(a, bytes.data(), bytes.size()), ARCHIVE_OK);
  archive_entry* e;
  while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
    Listed l;
    l.name = archive_entry_pathname(e);
    l.type = archive_entry_filetype(e);
    l.size = archive_entry_size(e);
    l.perm = archive_entry_perm(e);
    l.uid = archive_entry_uid(e);
    l.gid = archive_entry_gid(e);
    l.uname = archive_entry_uname(e) ? archive_entry_uname(e) : "";
    l.gname = archive_entry_gname(e) ? archive_entry_gname(e) : "";
    l.mtime = archive_entry_mtime(e);
    l.mtime_nsec = archive_entry_mtime_nsec(e);
    if (archive_entry_symlink(e)) l.symlink = archive_entry_symlink(e);
    out.push_back(l);
  }
  archive_read_free(a);
  return out;
}

std::vector<std::string> names(const std::vector<Listed>& entries) {
  std::vector<std::string> out;
  for (const auto& e : entries) out.push_back(e.name);
  return out;
}

TEST(TarWriter, RoundTripPreservesTreeModesTimesAndLinks) {
  ScratchDir tmp;
  const fs::path src = tmp / "src";
  make_rich_tree(src / "dataset");
  write_file(src / "weights.bin", random_bytes(2'500'000, 9), 0640);
  set_mtime(src / "weights.bin", 1650000000, 999999999);
  fs::create_directories(tmp / "out");

  auto archive = make_archive({src / "dataset", src / "weights.bin"});
  ASSERT_TRUE(archive) << archive.error().to_string();
  ArchiveStats xs;
  auto st = extract_archive(*archive, tmp / "out", {1 << 20}, &xs);
  ASSERT_TRUE(st) << st.error().to_string();

  EXPECT_EQ(snapshot(tmp / "out"), snapshot(src));
  EXPECT_EQ(read_file(tmp / "out" / "dataset" / std::string(200, 'L') / (std::string(150, 'f') + ".txt")),
            "long name");
  struct stat sb;
  ASSERT_EQ(::lstat((tmp / "out" / "dataset" / "bin" / "run.sh").c_str(), &sb), 0);
  EXPECT_EQ(sb.st_mode & 07777, 0755u);
  ASSERT_EQ(::lstat((tmp / "out" / "dataset" / "ro_dir").c_str(), &sb), 0);
  EXPECT_EQ(sb.st_mode & 07777, 0555u);
  EXPECT_EQ(sb.st_mtim.tv_sec, [&] {
    struct stat o;
    ::lstat((src / "dataset" / "ro_dir").c_str(), &o);
    return o.st_mtim.tv_sec;
  }());
}

TEST(TarWriter, CountsAndHashesWhatItProduces) {
  ScratchDir tmp;
  make_rich_tree(tmp / "d");
  auto w = TarWriter::open({tmp / "d"});
  ASSERT_TRUE(w) << w.error().to_string();
  const WalkTotals totals = w->totals();
  auto bytes = read_archive(*w, 4096);
  ASSERT_TRUE(bytes) << bytes.error().to_string();
  EXPECT_TRUE(w->finished());
  const ArchiveStats s = w->stats();
  EXPECT_EQ(s.archive_bytes, bytes->size());
  EXPECT_EQ(s.archive_sha256, sha256_hex(*bytes));
  EXPECT_EQ(s.files, 13u);
  EXPECT_EQ(s.files, totals.files);
  EXPECT_EQ(s.entries, totals.entries);
  EXPECT_EQ(s.file_bytes, totals.file_bytes);
  EXPECT_EQ(s.file_bytes, 6u + 18 + 16 + 2 + 4 + 3 + 300000 + 70000 + 9 + 4 + 5 + 28 + 0);
  EXPECT_LE(s.archive_bytes, totals.archive_bytes_bound);
  EXPECT_GE(s.archive_bytes + 4096 * s.entries, totals.archive_bytes_bound);
  // After the end, read() keeps saying 0.
  char c;
  auto again = w->read(&c, 1);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, 0u);
}

TEST(TarWriter, SameInputGivesIdenticalBytesWhateverTheReadSize) {
  ScratchDir tmp;
  make_rich_tree(tmp / "d");
  auto a = make_archive({tmp / "d"}, {}, 1 << 20);
  auto b = make_archive({tmp / "d"}, {}, 7);
  auto c = make_archive({tmp / "d"}, {}, 1);
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(*a, *c);
  // File data is read straight into the caller's buffer when it has room: buffers that cut
  // files, headers and padding anywhere still give the same bytes.
  write_file(tmp / "d" / "big.bin", random_bytes((3 << 20) + 12345, 8));
  auto big = make_archive({tmp / "d"}, {}, 4093);  // always through the chunk
  ASSERT_TRUE(big);
  for (std::size_t size : {std::size_t{16} << 20, std::size_t{1} << 20, std::size_t{100000}, std::size_t{65537},
                           std::size_t{70000}, std::size_t{4096}}) {
    auto again = make_archive({tmp / "d"}, {}, size);
    ASSERT_TRUE(again);
    EXPECT_TRUE(*again == *big) << "read size " << size;
  }
  // Reading a tree again later, in another order of inputs, changes nothing either.
  write_file(tmp / "x.bin", "x");
  auto d = make_archive({tmp / "x.bin", tmp / "d"});
  auto e = make_archive({tmp / "d", tmp / "x.bin"});
  ASSERT_TRUE(d && e);
  EXPECT_EQ(*d, *e);
  EXPECT_EQ(sha256_hex(*d), sha256_hex(*e));
}

TEST(TarWriter, EntriesAreSortedByteWiseDepthFirstWithDirectories) {
  ScratchDir tmp;
  const fs::path t = tmp / "t";
  write_file(t / "b.txt", "b");
  write_file(t / "a" / "z", "z");
  write_file(t / "a" / "y", "y");
  write_file(t / "a.txt", "a");
  write_file(t / "A", "A");
  write_file(t / "\xc3\xa9", "e-acute sorts after ASCII");
  fs::create_directories(t / "empty");
  auto bytes = make_archive({t});
  ASSERT_TRUE(bytes) << bytes.error().to_string();
  EXPECT_EQ(names(list_archive(*bytes)),
            (std::vector<std::string>{"t/", "t/A", "t/a/", "t/a/y", "t/a/z", "t/a.txt", "t/b.txt", "t/empty/",
                                      "t/\xc3\xa9"}));
}

TEST(TarWriter, HeadersAreReproducibleAndKeepModesTimesAndLinks) {
  ScratchDir tmp;
  const fs::path t = tmp / "t";
  write_file(t / "run.sh", "#!/bin/sh\n", 04755);  // setuid is archived as is; the extractor drops it
  fs::create_symlink("/etc/passwd", t / "abs_link");
  set_mtime(t / "run.sh", 1234567890, 987654321);
  ::chown((t / "run.sh").c_str(), 1234, 5678);  // as root: a real owner that must not leak
  ::chmod((t / "run.sh").c_str(), 04755);        // again: chown dropped the setuid bit
  auto bytes = make_archive({t});
  ASSERT_TRUE(bytes) << bytes.error().to_string();
  auto entries = list_archive(*bytes);
  ASSERT_EQ(entries.size(), 3u);
  for (const auto& e : entries) {
    EXPECT_EQ(e.uid, 0) << e.name;
    EXPECT_EQ(e.gid, 0) << e.name;
    EXPECT_EQ(e.uname, "") << e.name;
    EXPECT_EQ(e.gname, "") << e.name;
  }
  EXPECT_EQ(entries[1].name, "t/abs_link");
  EXPECT_EQ(entries[1].type, AE_IFLNK);
  EXPECT_EQ(entries[1].symlink, "/etc/passwd");  // stored, not followed
  EXPECT_EQ(entries[1].size, 0);
  EXPECT_EQ(entries[2].name, "t/run.sh");
  EXPECT_EQ(entries[2].perm, 04755u);
  EXPECT_EQ(entries[2].mtime, 1234567890);
  EXPECT_EQ(entries[2].mtime_nsec, 987654321);
  EXPECT_EQ(entries[2].size, 10);
  // No GNU or pid-dependent extended header names: only the pax "x" headers libarchive
  // writes as "PaxHeader/<name>".
  EXPECT_EQ(bytes->find("PaxHeaders."), std::string::npos);
}

TEST(TarWriter, HardLinkedFilesAreStoredAsIndependentFiles) {
  ScratchDir tmp;
  write_file(tmp / "t" / "one", "same inode");
  fs::create_hard_link(tmp / "t" / "one", tmp / "t" / "two");
  auto bytes = make_archive({tmp / "t"});
  ASSERT_TRUE(bytes);
  auto entries = list_archive(*bytes);
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[1].type, AE_IFREG);
  EXPECT_EQ(entries[2].type, AE_IFREG);
  EXPECT_EQ(entries[2].size, 10);
}

// Fields of a raw 512-byte tar header.
std::string field(const char* block, std::size_t off, std::size_t len) {
  std::string s(block + off, len);
  return s.substr(0, s.find('\0'));
}

TEST(TarWriter, FileOver8GiBGetsAPaxSizeRecord) {
  ScratchDir tmp;
  const fs::path big = tmp / "huge.bin";
  const std::uint64_t size = (std::uint64_t{8} << 30) + 1;
  {
    UniqueFd fd(::open(big.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644));
    ASSERT_TRUE(fd.valid());
    ASSERT_EQ(::ftruncate(fd.get(), static_cast<off_t>(size)), 0);  // sparse: no 8 GiB on disk
  }
  auto w = TarWriter::open({big});
  ASSERT_TRUE(w) << w.error().to_string();
  EXPECT_EQ(w->totals().file_bytes, size);
  char head[2048];
  auto n = w->read(head, sizeof head);
  ASSERT_TRUE(n);
  ASSERT_EQ(*n, sizeof head);

  // Block 0: a pax extended header ('x') for the entry, then its records.
  EXPECT_EQ(head[156], 'x');
  EXPECT_EQ(field(head, 257, 5), "ustar");
  const std::uint64_t pax_len = std::stoull(field(head, 124, 12), nullptr, 8);
  ASSERT_GT(pax_len, 0u);
  ASSERT_LE(pax_len, 512u);
  const std::string records(head + 512, pax_len);
  EXPECT_NE(records.find(" size=8589934593\n"), std::string::npos) << records;
  // Block 2: the entry's own ustar header.
  const char* hdr = head + 1024;
  EXPECT_EQ(field(hdr, 0, 100), "huge.bin");
  EXPECT_EQ(hdr[156], '0');
  // Only the first chunk was read, and dropping the writer here does not stream the rest.
  EXPECT_LE(w->stats().file_bytes, std::uint64_t{1} << 20);
}

TEST(TarWriter, GzipAndZstdAreDeterministicAndRoundTrip) {
  ScratchDir tmp;
  make_rich_tree(tmp / "src" / "d");
  for (Compression c : {Compression::kGzip, Compression::kZstd}) {
    SCOPED_TRACE(std::string(to_string(c)));
    TarWriterOptions opt;
    opt.compression = c;
    auto a = make_archive({tmp / "src" / "d"}, opt);
    ASSERT_TRUE(a) << a.error().to_string();
    auto plain = make_archive({tmp / "src" / "d"});
    ASSERT_TRUE(plain);
    EXPECT_LT(a->size(), plain->size());
    if (c == Compression::kGzip) {
      ASSERT_GE(a->size(), 10u);
      EXPECT_EQ(static_cast<unsigned char>((*a)[0]), 0x1fu);
      EXPECT_EQ(static_cast<unsigned char>((*a)[1]), 0x8bu);
      EXPECT_EQ(a->substr(4, 4), std::string(4, '\0'));  // no timestamp in the gzip header
    } else {
      EXPECT_EQ(a->substr(0, 4), std::string("\x28\xb5\x2f\xfd", 4));
    }
    opt.compression_level = c == Compression::kGzip ? 9 : 19;
    auto b = make_archive({tmp / "src" / "d"}, opt, 3);
    ASSERT_TRUE(b) << b.error().to_string();
    opt.compression_level = 0;
    auto again = make_archive({tmp / "src" / "d"}, opt, 1 << 20);
    ASSERT_TRUE(again);
    EXPECT_EQ(*a, *again);

    const fs::path out = tmp / ("out-" + std::string(to_string(c)));
    fs::create_directories(out);
    auto x = TarExtractor::open(out);
    ASSERT_TRUE(x);
    ASSERT_TRUE(x->write(*b));
    auto st = x->finish();
    ASSERT_TRUE(st) << st.error().to_string();
    EXPECT_EQ(x->compression(), c);
    EXPECT_EQ(x->stats().archive_sha256, sha256_hex(*b));
    EXPECT_EQ(snapshot(out), snapshot(tmp / "src"));
  }
}

TEST(TarWriter, RejectsBadCompressionLevel) {
  ScratchDir tmp;
  write_file(tmp / "f", "x");
  TarWriterOptions opt;
  opt.compression = Compression::kGzip;
  opt.compression_level = 10;
  auto w = TarWriter::open({tmp / "f"}, opt);
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().kind, ErrorKind::kInvalidArgument);
}

TEST(TarWriter, FileThatGrowsOrShrinksWhileReadIsAnError) {
  struct Case {
    const char* name;
    std::size_t size;
    std::size_t chunk;
    bool grow;
  };
  // The 64 KiB file read with 64 KiB chunks exercises the extra probe for growth.
  for (const Case& c : {Case{"grows", 100000, 1 << 20, true}, Case{"shrinks", 100000, 1 << 20, false},
                        Case{"grows-at-chunk-boundary", 65536, 65536, true},
                        Case{"shrinks-big", 3 << 20, 65536, false}}) {
    SCOPED_TRACE(c.name);
    ScratchDir tmp;
    const fs::path f = tmp / "t" / "data.bin";
    write_file(f, random_bytes(c.size, 3));
    TarWriterOptions opt;
    opt.read_chunk_bytes = c.chunk;
    auto w = TarWriter::open({f}, opt);
    ASSERT_TRUE(w);
    // The header (with the size) is written when the file is opened, before any of its data
    // is read: one byte of it is enough to be past that point.
    char buf[1];
    auto n = w->read(buf, 1);
    ASSERT_TRUE(n);
    ASSERT_EQ(*n, 1u);
    if (c.grow) {
      std::ofstream(f, std::ios::app | std::ios::binary) << "more";
    } else {
      fs::resize_file(f, c.size / 2);
    }
    auto rest = read_archive(*w, 65536);
    ASSERT_FALSE(rest);
    EXPECT_EQ(rest.error().kind, ErrorKind::kIo);
    EXPECT_EQ(rest.error().code, "FileChangedWhileReading");
    EXPECT_NE(rest.error().message.find(f.string()), std::string::npos) << rest.error().message;
    EXPECT_NE(rest.error().message.find(c.grow ? "grew" : "shrank"), std::string::npos);
    // The stream is dead: the error repeats.
    auto again = w->read(buf, 1);
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, "FileChangedWhileReading");
  }
}

// Runs `body` as an unprivileged user when the test runs as root (root reads everything), in
// a child process; returns the child's exit status.
template <typename F>
int run_unprivileged(F body) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) ::_exit(90);
    ::_exit(body());
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 99;
}

TEST(TarWriter, UnreadableFileIsAClearError) {
  ScratchDir tmp;
  ::chmod(tmp.path().c_str(), 0755);
  const fs::path t = tmp / "t";
  write_file(t / "ok.txt", "fine");
  write_file(t / "secret.txt", "no", 0000);
  write_file(t / "later.txt", "readable at first", 0644);
  ::chmod(t.c_str(), 0755);
  if (::geteuid() == 0) ::chown((t / "later.txt").c_str(), 65534, 65534);

  // Found by the first walk: before any byte of the archive exists.
  const int at_open = run_unprivileged([&] {
    auto w = TarWriter::open({t});
    if (w) return 1;
    std::fprintf(stderr, "open: %s\n", w.error().to_string().c_str());
    if (w.error().kind != ErrorKind::kIo || w.error().code != "UnreadableFile") return 2;
    if (w.error().message.find("secret.txt") == std::string::npos) return 3;
    if (w.error().message.find("Permission denied") == std::string::npos) return 4;
    return 0;
  });
  EXPECT_EQ(at_open, 0);

  // Becoming unreadable after the walk: reported by read(), naming the file.
  fs::remove(t / "secret.txt");
  const int at_read = run_unprivileged([&] {
    auto w = TarWriter::open({t});
    if (!w) return 1;
    if (::chmod((t / "later.txt").c_str(), 0) != 0) return 2;
    auto r = read_archive(*w);
    if (r) return 3;
    std::fprintf(stderr, "read: %s\n", r.error().to_string().c_str());
    if (r.error().code != "UnreadableFile" || r.error().message.find("later.txt") == std::string::npos) return 4;
    return 0;
  });
  EXPECT_EQ(at_read, 0);
}

TEST(TarWriter, RefusesSpecialFilesDuplicatesAndMissingInputs) {
  ScratchDir tmp;
  write_file(tmp / "t" / "f", "x");
  ASSERT_EQ(::mkfifo((tmp / "t" / "pipe").c_str(), 0644), 0);
  auto w = TarWriter::open({tmp / "t"});
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, "UnsupportedFileType");
  EXPECT_NE(w.error().message.find("pipe"), std::string::npos);
  EXPECT_NE(w.error().message.find("fifo"), std::string::npos);

  write_file(tmp / "a" / "data", "1");
  write_file(tmp / "b" / "data", "2");
  auto dup = TarWriter::open({tmp / "a" / "data", tmp / "b" / "data"});
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, "DuplicateArchiveName");

  auto missing = TarWriter::open({tmp / "nope"});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::kNotFound);
  EXPECT_NE(missing.error().message.find("nope"), std::string::npos);

  auto none = TarWriter::open({});
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().kind, ErrorKind::kInvalidArgument);
  auto root = TarWriter::open({"/"});
  ASSERT_FALSE(root);
  EXPECT_EQ(root.error().code, "InvalidInput");
}

TEST(TarWriter, InputNamesComeFromTheBaseName) {
  ScratchDir tmp;
  write_file(tmp / "parent" / "ds" / "f", "x");
  auto bytes = make_archive({(tmp / "parent" / "ds").string() + "/", tmp / "parent" / "ds" / "."});
  // "ds/" and "ds/." both name "ds": a duplicate.
  ASSERT_FALSE(bytes);
  EXPECT_EQ(bytes.error().code, "DuplicateArchiveName");
  auto one = make_archive({(tmp / "parent" / "ds").string() + "//"});
  ASSERT_TRUE(one);
  EXPECT_EQ(names(list_archive(*one)), (std::vector<std::string>{"ds/", "ds/f"}));
  auto dot = make_archive({tmp / "parent" / "ds" / "."});
  ASSERT_TRUE(dot);
  EXPECT_EQ(*dot, *one);
}

TEST(TarWriter, SymlinkInputIsStoredNotFollowed) {
  ScratchDir tmp;
  write_file(tmp / "real" / "f", "x");
  fs::create_symlink("real", tmp / "alias");
  auto bytes = make_archive({tmp / "alias"});
  ASSERT_TRUE(bytes);
  auto entries = list_archive(*bytes);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].type, AE_IFLNK);
  EXPECT_EQ(entries[0].symlink, "real");
}

TEST(TarWriter, ReportsProgressUpToTheTotal) {
  ScratchDir tmp;
  write_file(tmp / "t" / "a", random_bytes(3'000'000, 4));
  write_file(tmp / "t" / "b", random_bytes(10, 5));
  std::vector<std::pair<std::uint64_t, std::uint64_t>> calls;
  TarWriterOptions opt;
  opt.on_progress = [&](std::uint64_t done, std::uint64_t total) { calls.emplace_back(done, total); };
  auto bytes = make_archive({tmp / "t"}, opt);
  ASSERT_TRUE(bytes);
  ASSERT_GE(calls.size(), 4u);  // 3 MB in 1 MiB reads, one more file, the end
  for (std::size_t i = 1; i < calls.size(); ++i) EXPECT_GE(calls[i].first, calls[i - 1].first);
  EXPECT_EQ(calls.back(), std::make_pair(std::uint64_t{3'000'010}, std::uint64_t{3'000'010}));
}

TEST(TarWriter, ReadRejectsAnEmptyBuffer) {
  ScratchDir tmp;
  write_file(tmp / "f", "x");
  auto w = TarWriter::open({tmp / "f"});
  ASSERT_TRUE(w);
  char c;
  auto r = w->read(&c, 0);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kInvalidArgument);
}

}  // namespace
