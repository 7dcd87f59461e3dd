// Interoperability with GNU tar, both ways: what TarWriter writes, GNU tar lists and extracts
// into the same tree; what GNU tar writes (pax, GNU and sparse, plain and compressed),
// TarExtractor extracts into the same tree.

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "stage/tar_extractor.hpp"
#include "stage/tar_writer.hpp"
#include "support/tar_test_support.hpp"

namespace {

using namespace awsdl;
using namespace awsdl::internal;
using namespace awsdl::testing_support;

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

struct Shell {
  int status = -1;
  std::string out;
};

// Runs a shell command (fixed strings built by this test, paths quoted); stdout and stderr.
Shell run(const std::string& cmd) {
  Shell r;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return r;
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) r.out.append(buf, n);
  const int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

void save(const fs::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

class TarGnuInterop : public ::testing::Test {
 protected:
  void SetUp() override {
    if (run("tar --version").out.find("GNU tar") == std::string::npos) GTEST_SKIP() << "GNU tar not installed";
    make_rich_tree(src() / "dataset");
    write_file(src() / "weights.bin", random_bytes(3'000'000, 11), 0640);
    set_mtime(src() / "weights.bin", 1650000000, 5);
  }
  fs::path src() const { return tmp_ / "src"; }
  fs::path dir(const std::string& name) const {
    fs::create_directories(tmp_ / name);
    return tmp_ / name;
  }

  ScratchDir tmp_;
};

TEST_F(TarGnuInterop, GnuTarListsAndExtractsWhatTarWriterWrote) {
  struct Variant {
    Compression compression;
    const char* tar_flag;
  };
  for (const Variant& v : {Variant{Compression::kNone, ""}, Variant{Compression::kGzip, "-z"},
                           Variant{Compression::kZstd, "--zstd"}}) {
    SCOPED_TRACE(std::string(to_string(v.compression)));
    TarWriterOptions opt;
    opt.compression = v.compression;
    auto bytes = make_archive({src() / "dataset", src() / "weights.bin"}, opt);
    ASSERT_TRUE(bytes) << bytes.error().to_string();
    const fs::path archive = tmp_ / ("ours-" + std::string(to_string(v.compression)) + ".tar");
    save(archive, *bytes);

    // Listed without a warning, in our order, which is GNU tar's own --sort=name order.
    Shell listed = run(std::string("tar ") + v.tar_flag + " -tvf " + quote(archive.string()));
    ASSERT_EQ(listed.status, 0) << listed.out;
    EXPECT_EQ(listed.out.find("tar: "), std::string::npos) << listed.out;
    Shell names = run(std::string("tar ") + v.tar_flag + " -tf " + quote(archive.string()));
    ASSERT_EQ(names.status, 0);
    Shell gnu_order = run("tar --format=pax --sort=name -C " + quote(src().string()) +
                        " -cf - dataset weights.bin | tar -tf -");
    ASSERT_EQ(gnu_order.status, 0) << gnu_order.out;
    EXPECT_EQ(lines(names.out), lines(gnu_order.out));
    EXPECT_NE(listed.out.find("dataset/links/to_file -> ../a.txt"), std::string::npos) << listed.out;
    EXPECT_NE(listed.out.find("-rwxr-xr-x 0/0"), std::string::npos);

    const fs::path out = dir("gnu-out-" + std::string(to_string(v.compression)));
    Shell x = run(std::string("tar ") + v.tar_flag + " -xf " + quote(archive.string()) + " -C " + quote(out.string()));
    ASSERT_EQ(x.status, 0) << x.out;
    EXPECT_EQ(snapshot(out), snapshot(src()));
  }
}

TEST_F(TarGnuInterop, TarExtractorExtractsWhatGnuTarWrote) {
  struct Variant {
    std::string name;
    std::string flags;
    Compression compression;
  };
  const std::vector<Variant> variants = {
      {"pax", "--format=pax", Compression::kNone},
      {"pax-gzip", "--format=pax -z", Compression::kGzip},
      {"pax-zstd", "--format=pax --zstd", Compression::kZstd},
      {"gnu", "--format=gnu", Compression::kNone},
  };
  for (const Variant& v : variants) {
    SCOPED_TRACE(v.name);
    const fs::path archive = tmp_ / ("gnu-" + v.name + ".tar");
    Shell c = run("tar " + v.flags + " -C " + quote(src().string()) + " -cf " + quote(archive.string()) +
                " dataset weights.bin");
    ASSERT_EQ(c.status, 0) << c.out;
    std::ifstream in(archive, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string bytes = ss.str();

    const fs::path out = dir("ours-out-" + v.name);
    auto x = TarExtractor::open(out);
    ASSERT_TRUE(x);
    // Odd chunk sizes, to cross every header and block boundary.
    for (std::size_t pos = 0, i = 0; pos < bytes.size(); ++i) {
      const std::size_t n = std::min<std::size_t>(i % 2 ? 4099 : 65537, bytes.size() - pos);
      ASSERT_TRUE(x->write(std::string_view(bytes).substr(pos, n)));
      pos += n;
    }
    auto st = x->finish();
    ASSERT_TRUE(st) << st.error().to_string();
    EXPECT_EQ(x->compression(), v.compression);
    EXPECT_EQ(x->stats().archive_bytes, bytes.size());
    // The GNU format stores whole seconds only.
    SnapshotOptions opt;
    if (v.name == "gnu") opt.mtimes = false;
    EXPECT_EQ(snapshot(out, opt), snapshot(src(), opt));
  }
}

TEST_F(TarGnuInterop, SparseFilesFromGnuTarKeepTheirSizeAndContent) {
  const fs::path sp = dir("sparse-src") / "sparse.bin";
  {
    std::ofstream f(sp, std::ios::binary);
    f.seekp(20 << 20);
    f << "middle";
    f.seekp(50 << 20);
    f << "end";
  }
  const fs::path archive = tmp_ / "sparse.tar";
  Shell c = run("tar --format=pax -S -C " + quote(sp.parent_path().string()) + " -cf " + quote(archive.string()) +
              " sparse.bin");
  ASSERT_EQ(c.status, 0) << c.out;
  EXPECT_LT(fs::file_size(archive), 1u << 20);  // GNU tar did store it sparse
  std::ifstream in(archive, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  const fs::path out = dir("sparse-out");
  auto st = extract_archive(ss.str(), out);
  ASSERT_TRUE(st) << st.error().to_string();
  EXPECT_EQ(fs::file_size(out / "sparse.bin"), fs::file_size(sp));
  EXPECT_EQ(read_file(out / "sparse.bin"), read_file(sp));
}

TEST_F(TarGnuInterop, DotDotNameWrittenByGnuTarIsRefused) {
  // GNU tar itself strips "../" on extraction; an archive with such a name made by GNU tar
  // (--absolute-names keeps it) is refused by TarExtractor, naming the entry.
  const fs::path inner = dir("deep") / "inner";
  fs::create_directories(inner);
  write_file(tmp_ / "deep" / "outside.txt", "x");
  const fs::path archive = tmp_ / "escape.tar";
  Shell c = run("cd " + quote(inner.string()) + " && tar --format=pax -P -cf " + quote(archive.string()) +
              " ../outside.txt");
  ASSERT_EQ(c.status, 0) << c.out;
  std::ifstream in(archive, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  const fs::path out = dir("escape-out");
  auto st = extract_archive(ss.str(), out);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, "UnsafeArchiveEntry");
  EXPECT_NE(st.error().message.find("'../outside.txt'"), std::string::npos) << st.error().message;
  EXPECT_TRUE(fs::is_empty(out));
}

}  // namespace
