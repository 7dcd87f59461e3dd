#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "awsdl/mpi/hostfile.hpp"
#include "awsdl/ssh/quote.hpp"

namespace {

using namespace awsdl::mpi;

const std::vector<Host> kHosts = {{"10.0.0.1", 8}, {"10.0.0.2", 4}};

TEST(Hostfile, Formats) {
  EXPECT_EQ(hostfile(kHosts, Format::kOpenMpi), "10.0.0.1 slots=8\n10.0.0.2 slots=4\n");
  EXPECT_EQ(hostfile(kHosts, Format::kMpich), "10.0.0.1:8\n10.0.0.2:4\n");
  EXPECT_EQ(hostfile(kHosts, Format::kHorovod), "10.0.0.1:8,10.0.0.2:4");
  EXPECT_EQ(hostfile(kHosts, Format::kPlain), "10.0.0.1\n10.0.0.2\n");
  EXPECT_EQ(total_slots(kHosts), 12);
}

TEST(Hostfile, FormatNames) {
  for (Format f : {Format::kOpenMpi, Format::kMpich, Format::kHorovod, Format::kPlain})
    EXPECT_EQ(*parse_format(to_string(f)), f);
  EXPECT_EQ(parse_format("slurm").error().kind, awsdl::ErrorKind::kInvalidArgument);
}

TEST(Hostfile, ParsesEveryFormatBack) {
  for (Format f : {Format::kOpenMpi, Format::kMpich, Format::kHorovod}) {
    auto back = parse_hosts(hostfile(kHosts, f));
    ASSERT_TRUE(back.ok()) << to_string(f);
    EXPECT_EQ(*back, kHosts) << to_string(f);
  }
  auto plain = parse_hosts(hostfile(kHosts, Format::kPlain), 2);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(*plain, (std::vector<Host>{{"10.0.0.1", 2}, {"10.0.0.2", 2}}));
  EXPECT_EQ(*parse_hosts("a b,c # x\n", 3), (std::vector<Host>{{"a", 3}, {"b", 3}, {"c", 3}}));
}

TEST(Hostfile, RejectsBadSlots) {
  for (const char* bad : {"a:0", "a:x", "a slots=-1", "slots=2", "", "# nothing\n", "a:"})
    EXPECT_FALSE(parse_hosts(bad).ok()) << bad;
  EXPECT_FALSE(parse_hosts("a", 0).ok());
}

TEST(ClusterFiles, WorkersEtcHosts) {
  std::vector<NamedNode> w = {{"deeplearning-worker1", "10.0.1.17", 8}, {"deeplearning-worker2", "10.0.1.18", 8}};
  EXPECT_EQ(workers_file(w), "deeplearning-worker1 slots=8\ndeeplearning-worker2 slots=8\n");
  EXPECT_EQ(etc_hosts(w), "10.0.1.17\tdeeplearning-worker1\n10.0.1.18\tdeeplearning-worker2\n");
  // The workers file doubles as an Open MPI hostfile.
  EXPECT_EQ(*parse_hosts(workers_file(w)), (std::vector<Host>{{"deeplearning-worker1", 8}, {"deeplearning-worker2", 8}}));
}

TEST(ClusterFiles, EnvFileIsSourceableByAShell) {
  ClusterEnv env{"/opt/deeplearning/workers", 4, 8, "/mnt/efs dir's"};
  std::string text = env_file(env);
  char tmpl[] = "/tmp/awsdl-envfile-XXXXXX";
  int fd = mkstemp(tmpl);
  ASSERT_GE(fd, 0);
  ::close(fd);
  std::ofstream(tmpl) << text;
  std::string cmd = "/bin/sh -c " + awsdl::ssh::shell_quote(std::string(". ") + tmpl +
                                                             " && printf '%s|%s|%s|%s' \"$DEEPLEARNING_WORKERS_PATH\" "
                                                             "\"$DEEPLEARNING_WORKERS_COUNT\" \"$DEEPLEARNING_WORKER_GPU_COUNT\" "
                                                             "\"$EFS_MOUNT\"");
  FILE* p = ::popen(cmd.c_str(), "r");
  ASSERT_TRUE(p);
  char buf[512] = {};
  size_t n = std::fread(buf, 1, sizeof buf - 1, p);
  ::pclose(p);
  std::remove(tmpl);
  EXPECT_EQ(std::string(buf, n), "/opt/deeplearning/workers|4|8|/mnt/efs dir's");
}

}  // namespace
