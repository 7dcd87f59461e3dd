// The health probe, run for real by the local shell, and its parser and table.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "awsdl/cluster/health.hpp"
#include "awsdl/ssh/quote.hpp"

extern char** environ;

namespace {

using namespace awsdl::cluster;
namespace fs = std::filesystem;

std::string run_sh(const std::string& script) {
  FILE* p = ::popen(("/bin/sh -c " + awsdl::ssh::shell_quote(script)).c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while (p && (n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  if (p) ::pclose(p);
  return out;
}

struct TempDir {
  fs::path path = fs::temp_directory_path() / ("awsdl-health-" + std::to_string(::getpid()));
  TempDir() { fs::create_directories(path); }
  ~TempDir() { fs::remove_all(path); }
};

TEST(HealthProbe, LocalRunFindsGpusSpaceAndUnmountedDirectory) {
  TempDir t;
  fs::path smi = t.path / "nvidia-smi";
  std::ofstream(smi) << "#!/bin/sh\n[ \"$1\" = -L ] || exit 2\nfor i in 0 1 2 3; do echo \"GPU $i: Tesla V100 (UUID: GPU-$i)\"; done\n";
  fs::permissions(smi, fs::perms::owner_all);
  HealthOptions o;
  o.shared_path = (t.path / "shared").string();
  fs::create_directories(o.shared_path);
  o.nvidia_smi = smi.string();
  o.expected_gpus = 4;
  o.min_free_bytes = 1;
  o.stray_pattern = "awsdl-no-such-process-[0-9]{9}";
  NodeHealth n = parse_health_probe("local", run_sh(health_probe_script(o)), o);
  EXPECT_EQ(n.gpus, 4);
  EXPECT_GT(n.free_bytes, 0u);
  EXPECT_TRUE(n.shared_checked);
  EXPECT_TRUE(n.shared_writable);
  EXPECT_FALSE(n.shared_mounted);  // a plain directory
  ASSERT_EQ(n.problems.size(), 1u);
  EXPECT_NE(n.problems[0].find("is not mounted"), std::string::npos);
  EXPECT_TRUE(n.strays.empty());
  EXPECT_TRUE(fs::is_empty(o.shared_path));  // the probe file was removed
  o.require_mount_point = false;
  EXPECT_TRUE(parse_health_probe("local", run_sh(health_probe_script(o)), o).healthy());
}

TEST(HealthProbe, AbsentNvidiaSmiMeansZeroAndReadOnlyIsReported) {
  TempDir t;
  HealthOptions o;
  o.nvidia_smi = (t.path / "absent-nvidia-smi").string();
  o.shared_path = (t.path / "missing").string();
  o.min_free_bytes = 1;
  NodeHealth n = parse_health_probe("local", run_sh(health_probe_script(o)), o);
  EXPECT_EQ(n.gpus, 0);
  EXPECT_FALSE(n.healthy());
  EXPECT_NE(n.problems[0].find("does not exist"), std::string::npos);
}

TEST(HealthProbe, FindsAStrayProcessButNotItself) {
  TempDir t;
  // A copy of sleep named like a trainer, spawned directly so that no shell's command line
  // carries the name.
  fs::path stray = t.path / "awsdl_stray_marker_42";
  fs::copy_file("/bin/sleep", stray);
  std::string path = stray.string(), secs = "20";
  char* argv[] = {path.data(), secs.data(), nullptr};
  pid_t pid = 0;
  ASSERT_EQ(posix_spawn(&pid, path.c_str(), nullptr, nullptr, argv, environ), 0);
  HealthOptions o;
  o.stray_pattern = "awsdl_stray_marker_[0-9]+";
  o.min_free_bytes = 1;
  NodeHealth n;
  for (int i = 0; i < 50 && n.strays.empty(); ++i) {  // until the child has exec'd
    n = parse_health_probe("local", run_sh(health_probe_script(o)), o);
    if (n.strays.empty()) usleep(20000);
  }
  ::kill(pid, SIGTERM);
  ::waitpid(pid, nullptr, 0);
  ASSERT_EQ(n.strays.size(), 1u);
  EXPECT_EQ(n.strays[0].pid, pid);
  EXPECT_EQ(n.strays[0].command, path + " 20");
  EXPECT_FALSE(n.healthy());
  EXPECT_NE(n.problems.back().find("1 stray process ("), std::string::npos) << n.problems.back();
}

TEST(HealthProbe, ParserRejectsOutputWithoutTheProbeMarker) {
  NodeHealth n = parse_health_probe("h", "gpus=8\n", HealthOptions{});
  EXPECT_FALSE(n.healthy());
  EXPECT_EQ(n.gpus, 8);
}

TEST(HealthReport, Table) {
  HealthReport r;
  NodeHealth ok;
  ok.host = "10.0.0.1";
  ok.reachable = true;
  ok.gpus = 8;
  ok.free_bytes = 100ull << 30;
  NodeHealth bad;
  bad.host = "10.0.0.2";
  bad.error = awsdl::Error::make(awsdl::ErrorKind::kTimeout, "ConnectTimeout", "no answer");
  bad.problems = {"unreachable: no answer"};
  r.nodes = {ok, bad};
  EXPECT_FALSE(r.healthy());
  EXPECT_EQ(r.unhealthy(), 1u);
  std::string t = r.table();
  EXPECT_NE(t.find("HOST      SSH   SHARED  GPUS  FREE    STRAYS  STATUS"), std::string::npos) << t;
  EXPECT_NE(t.find("10.0.0.1  ok    -       8     100.0G  0       healthy"), std::string::npos) << t;
  EXPECT_NE(t.find("10.0.0.2  FAIL  -       -     -       -       UNHEALTHY"), std::string::npos) << t;
  EXPECT_NE(t.find("  10.0.0.2: unreachable: no answer"), std::string::npos) << t;
}

}  // namespace
