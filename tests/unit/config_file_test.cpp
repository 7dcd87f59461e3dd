// Reading the files a user names (cluster and VM configurations, host lists, the shared AWS
// config and credentials files): bounded in size, never a directory or an endless device,
// and parsed in time linear in their size, with a bounded list of problems.
#include "awsdl/core/text_file.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "awsdl/auth/credentials.hpp"
#include "awsdl/cluster/spec.hpp"
#include "util/ini.hpp"
#include "support/sanitizer.hpp"
#include "support/scoped_env.hpp"

namespace awsdl {
namespace {

using namespace std::chrono_literals;
using testsupport::TempDir;

// The time bounds below only tell linear from quadratic (the quadratic code took minutes
// here); sanitizer builds run several times slower, so they get more room.
constexpr double kSlow = testsupport::kSanitizerSlowdown;

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

TEST(ConfigFile, ReadsRegularFilesWhole) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  auto r = read_config_file(dir.write("a.ini", "[a]\nk = v\n"));
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(*r, "[a]\nk = v\n");
  auto empty = read_config_file(dir.write("empty", ""));
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, "");
  // Exactly at the cap is fine.
  auto full = read_config_file(dir.write("full", std::string(kMaxConfigFileBytes, '#')));
  ASSERT_TRUE(full.ok()) << full.error().to_string();
  EXPECT_EQ(full->size(), kMaxConfigFileBytes);
  // /dev/null stands for an empty file, as AWS_CONFIG_FILE=/dev/null does for botocore.
  auto null = read_config_file("/dev/null");
  ASSERT_TRUE(null.ok()) << null.error().to_string();
  EXPECT_EQ(*null, "");
}

TEST(ConfigFile, RefusesWhatIsNotASmallFile) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  auto missing = read_config_file(dir.file("nope.ini"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, ErrorKind::kNotFound);
  EXPECT_NE(missing.error().message.find(dir.file("nope.ini")), std::string::npos);

  auto directory = read_config_file(dir.path().string());
  ASSERT_FALSE(directory.ok()) << "a directory read as an empty file";
  EXPECT_EQ(directory.error().code, "NotARegularFile");
  EXPECT_NE(directory.error().message.find("directory"), std::string::npos) << directory.error().message;

  auto start = std::chrono::steady_clock::now();
  for (const char* device : {"/dev/zero", "/dev/urandom"}) {
    auto r = read_config_file(device);
    ASSERT_FALSE(r.ok()) << device;
    EXPECT_EQ(r.error().code, "NotARegularFile") << device;
  }
  EXPECT_LT(seconds_since(start), 5.0 * kSlow);

  auto big = read_config_file(dir.write("big.ini", std::string(kMaxConfigFileBytes + 1, '#')));
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().code, "FileTooLarge");
  EXPECT_NE(big.error().message.find("1 MiB"), std::string::npos) << big.error().message;
  auto smaller_cap = read_config_file(dir.write("k.ini", std::string(2000, '#')), 1000);
  ASSERT_FALSE(smaller_cap.ok());
  EXPECT_EQ(smaller_cap.error().code, "FileTooLarge");

  ASSERT_EQ(::chmod(dir.file("k.ini").c_str(), 0), 0);
  if (::geteuid() != 0) {  // root reads anything
    auto unreadable = read_config_file(dir.file("k.ini"));
    ASSERT_FALSE(unreadable.ok());
    EXPECT_EQ(unreadable.error().kind, ErrorKind::kIo);
  }
}

TEST(ConfigFile, PipesAreReadUpToTheCap) {
  // A named pipe (what `--hosts @<(...)` hands over is an anonymous one): read to its end.
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string fifo = dir.file("fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::thread writer([&] {
    auto w = std::fopen(fifo.c_str(), "w");
    if (!w) return;
    std::fputs("host1\nhost2\n", w);
    std::fclose(w);
  });
  auto r = read_config_file(fifo);
  writer.join();
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(*r, "host1\nhost2\n");

  // One that never ends is cut off at the cap with an error (the writer then sees EPIPE).
  struct sigaction ignore {}, old {};
  ignore.sa_handler = SIG_IGN;
  ASSERT_EQ(::sigaction(SIGPIPE, &ignore, &old), 0);
  std::thread endless([&] {
    auto w = std::fopen(fifo.c_str(), "w");
    if (!w) return;
    std::string chunk(65536, 'x');
    for (int i = 0; i < 64; ++i)
      if (std::fwrite(chunk.data(), 1, chunk.size(), w) != chunk.size()) break;
    std::fclose(w);
  });
  auto cut = read_config_file(fifo);
  endless.join();
  ::sigaction(SIGPIPE, &old, nullptr);
  ASSERT_FALSE(cut.ok());
  EXPECT_EQ(cut.error().code, "FileTooLarge");
}

// ---------------------------------------------------------------- the INI reader

TEST(ConfigFile, IniFileThroughTheBoundedReader) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  auto directory = internal::read_ini_file(dir.path().string());
  ASSERT_FALSE(directory.ok()) << "a directory read as an empty configuration";
  EXPECT_EQ(directory.error().code, "NotARegularFile");
  auto zero = internal::read_ini_file("/dev/zero");
  ASSERT_FALSE(zero.ok());
  auto missing = internal::read_ini_file(dir.file("none.ini"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, ErrorKind::kNotFound);
}

TEST(ConfigFile, ManyKeysParseInLinearTime) {
  // 200,000 keys (about 2.6 MB: parse_ini takes text of any size; files are capped when read).
  std::string text = "[cluster]\n";
  for (int i = 0; i < 200000; ++i) text += "key" + std::to_string(i) + " = v\n";
  text += "[s0]\n";
  for (int i = 1; i < 50000; ++i) text += "[s" + std::to_string(i) + "]\n";
  auto start = std::chrono::steady_clock::now();
  auto file = internal::parse_ini(text, "big.ini");
  ASSERT_TRUE(file.ok()) << file.error().to_string();
  EXPECT_LT(seconds_since(start), 5.0 * kSlow) << "quadratic key or section lookup";
  ASSERT_EQ(file->sections.size(), 50001u);
  const auto* cluster = file->find("cluster");
  ASSERT_NE(cluster, nullptr);
  ASSERT_EQ(cluster->entries.size(), 200000u);
  ASSERT_NE(cluster->find("key199999"), nullptr);
  EXPECT_EQ(cluster->find("key199999")->line, 200001);
  EXPECT_EQ(cluster->find("nope"), nullptr);
  EXPECT_NE(file->find("s49999"), nullptr);

  // A repeated key is still found, at the end of a long section.
  auto again = internal::parse_ini(text.substr(0, text.find("[s0]")) + "key7 = w\n", "again.ini");
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.error().message.find("key 'key7' appears again in [cluster] (first at line 9)"), std::string::npos)
      << again.error().message;
}

TEST(ConfigFile, ClusterConfigListsAtMostTwentyProblems) {
  std::string text = "[cluster]\nname = c1\n";
  for (int i = 0; i < 200000; ++i) text += "unknown" + std::to_string(i) + " = 1\n";
  auto start = std::chrono::steady_clock::now();
  auto spec = cluster::parse_cluster_spec(text, "many.ini");
  ASSERT_FALSE(spec.ok());
  EXPECT_LT(seconds_since(start), 5.0 * kSlow);
  const std::string& m = spec.error().message;
  EXPECT_LT(m.size(), 5000u) << m.substr(0, 2000);
  EXPECT_NE(m.find("many.ini:3: unknown key 'unknown0' in [cluster]"), std::string::npos) << m.substr(0, 2000);
  EXPECT_NE(m.find("unknown19'"), std::string::npos) << m;
  EXPECT_EQ(m.find("unknown20'"), std::string::npos) << m;
  EXPECT_NE(m.find("and 199980 more"), std::string::npos) << m;
  EXPECT_NE(m.find("200000 problems"), std::string::npos) << m;
}

// ---------------------------------------------------------------- the shared AWS files

TEST(ConfigFile, ProfileFilesAreBoundedAndLinear) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  auth::ProfileOptions o;
  o.credentials_file = dir.file("no-credentials");

  o.config_file = "/dev/zero";
  auto start = std::chrono::steady_clock::now();
  auto zero = auth::ProfileSet::load(o);
  ASSERT_FALSE(zero.ok()) << "read /dev/zero as a config file";
  EXPECT_LT(seconds_since(start), 5.0 * kSlow);

  o.config_file = dir.path().string();
  auto directory = auth::ProfileSet::load(o);
  ASSERT_FALSE(directory.ok());

  o.config_file = "/dev/null";
  auto null = auth::ProfileSet::load(o);
  ASSERT_TRUE(null.ok()) << null.error().to_string();
  EXPECT_TRUE(null->profiles.empty());

  // 100,000 keys in one profile, 20,000 profiles, and the credentials file adding to each.
  std::string config = "[default]\n";
  for (int i = 0; i < 100000; ++i) config += "k" + std::to_string(i) + " = v\n";
  std::string credentials;
  for (int i = 0; i < 20000; ++i) {
    config += "[profile p" + std::to_string(i) + "]\nregion = us-east-1\n";
    credentials += "[p" + std::to_string(i) + "]\naws_access_key_id = AKIDEXAMPLE\n";
  }
  o.config_file = dir.write("config", config);
  o.credentials_file = dir.write("credentials", credentials);
  start = std::chrono::steady_clock::now();
  auto many = auth::ProfileSet::load(o);
  ASSERT_TRUE(many.ok()) << many.error().to_string();
  EXPECT_LT(seconds_since(start), 5.0 * kSlow) << "quadratic profile merging";
  ASSERT_EQ(many->profiles.size(), 20001u);
  const auto* p = many->find("p19999");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->get("region"), "us-east-1");
  EXPECT_EQ(p->get("aws_access_key_id"), "AKIDEXAMPLE");
  EXPECT_EQ(many->find("default")->get("k99999"), "v");
}

}  // namespace
}  // namespace awsdl
