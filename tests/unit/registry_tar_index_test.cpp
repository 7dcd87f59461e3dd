// The tar indexer the image pusher reads docker-save and OCI tarballs with: member data
// offsets must be exact for pax and GNU long names, and damage must be refused.

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "registry/tar_index.hpp"

namespace {

std::string write_archive(const std::string& path, int format, const std::vector<std::pair<std::string, std::string>>& files) {
  struct archive* a = archive_write_new();
  archive_write_set_format(a, format);
  archive_write_open_filename(a, path.c_str());
  for (const auto& [name, data] : files) {
    struct archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, static_cast<la_int64_t>(data.size()));
    archive_write_header(a, e);
    archive_write_data(a, data.data(), data.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

class TarIndexTest : public ::testing::TestWithParam<int> {
 protected:
  std::string path_ = (std::filesystem::temp_directory_path() / ("awsdl-tarindex-" + std::to_string(::getpid()) + ".tar")).string();
  void TearDown() override { std::filesystem::remove(path_); }
};

TEST_P(TarIndexTest, OffsetsAreExactForLongNames) {
  // Longer than ustar's 100-byte name field, yet splittable into its prefix field.
  std::string long_name = "blobs/sha256/" + std::string(90, 'a') + "/" + std::string(60, 'b') + "/layer.tar";
  std::vector<std::pair<std::string, std::string>> files = {
      {"./manifest.json", "[{\"Config\":\"c.json\"}]"}, {long_name, std::string(70000, 'x') + "end"}, {"empty", ""}};
  std::string bytes = write_archive(path_, GetParam(), files);
  auto index = awsdl::internal::index_tar(path_);
  ASSERT_TRUE(index.ok()) << index.error().to_string();
  ASSERT_EQ(index->size(), 3u);
  for (const auto& [name, data] : files) {
    std::string key = name.rfind("./", 0) == 0 ? name.substr(2) : name;
    ASSERT_TRUE(index->count(key)) << key;
    const auto& m = index->at(key);
    EXPECT_EQ(m.size, data.size());
    EXPECT_EQ(bytes.substr(m.offset, m.size), data) << key;
  }
}

INSTANTIATE_TEST_SUITE_P(Formats, TarIndexTest,
                         ::testing::Values(ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, ARCHIVE_FORMAT_TAR_GNUTAR,
                                           ARCHIVE_FORMAT_TAR_USTAR));

TEST_F(TarIndexTest, DamageIsRefused) {
  std::string bytes = write_archive(path_, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, {{"a", std::string(5000, 'a')}});
  // A flipped header byte: checksum mismatch.
  std::string bad = bytes;
  bad[10] ^= 1;
  std::ofstream(path_, std::ios::binary) << bad;
  auto r = awsdl::internal::index_tar(path_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "BadImageTarball");
  // Cut inside the member's data.
  std::ofstream(path_, std::ios::binary | std::ios::trunc) << bytes.substr(0, 2048);
  r = awsdl::internal::index_tar(path_);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("truncated"), std::string::npos);
  // gzip'ed: said so.
  std::ofstream(path_, std::ios::binary | std::ios::trunc) << std::string("\x1f\x8b\x08\x00", 4) + std::string(1020, '\0');
  r = awsdl::internal::index_tar(path_);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("gzip"), std::string::npos);
}

}  // namespace

namespace {

// A 150-byte component fits no ustar field: pax writes an 'x' record, GNU an 'L' entry.
TEST_F(TarIndexTest, PaxAndGnuLongNameRecords) {
  for (int format : {ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, ARCHIVE_FORMAT_TAR_GNUTAR}) {
    std::string name = "blobs/sha256/" + std::string(150, 'c');
    std::string data = std::string(1234, 'y');
    std::string bytes = write_archive(path_, format, {{"first", "1"}, {name, data}, {"last", "22"}});
    auto index = awsdl::internal::index_tar(path_);
    ASSERT_TRUE(index.ok()) << index.error().to_string();
    ASSERT_EQ(index->size(), 3u) << format;
    ASSERT_TRUE(index->count(name)) << format;
    EXPECT_EQ(bytes.substr(index->at(name).offset, index->at(name).size), data);
    EXPECT_EQ(bytes.substr(index->at("last").offset, index->at("last").size), "22");
  }
}

}  // namespace
