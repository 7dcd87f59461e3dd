#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "awsdl/mpi/hostfile.hpp"
#include "awsdl/ssh/quote.hpp"

namespace {

using namespace awsdl::mpi;

const std::vector<Host> kHosts = {{"10.0.0.1", 8}, {"10.0.0.2", 4}};

TEST(Hostfile, Formats) {
  EXPECT_EQ(*hostfile(kHosts, Format::kOpenMpi), "10.0.0.1 slots=8\n10.0.0.2 slots=4\n");
  EXPECT_EQ(*hostfile(kHosts, Format::kMpich), "10.0.0.1:8\n10.0.0.2:4\n");
  EXPECT_EQ(*hostfile(kHosts, Format::kHorovod), "10.0.0.1:8,10.0.0.2:4");
  EXPECT_EQ(*hostfile(kHosts, Format::kPlain), "10.0.0.1\n10.0.0.2\n");
  EXPECT_EQ(total_slots(kHosts), 12);
}

TEST(Hostfile, FormatNames) {
  for (Format f : {Format::kOpenMpi, Format::kMpich, Format::kHorovod, Format::kPlain})
    EXPECT_EQ(*parse_format(to_string(f)), f);
  EXPECT_EQ(parse_format("slurm").error().kind, awsdl::ErrorKind::kInvalidArgument);
}

TEST(Hostfile, ParsesEveryFormatBack) {
  for (Format f : {Format::kOpenMpi, Format::kMpich, Format::kHorovod}) {
    auto back = parse_hosts(*hostfile(kHosts, f));
    ASSERT_TRUE(back.ok()) << to_string(f);
    EXPECT_EQ(*back, kHosts) << to_string(f);
  }
  auto plain = parse_hosts(*hostfile(kHosts, Format::kPlain), 2);
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
  EXPECT_EQ(*workers_file(w), "deeplearning-worker1 slots=8\ndeeplearning-worker2 slots=8\n");
  EXPECT_EQ(*etc_hosts(w), "10.0.1.17\tdeeplearning-worker1\n10.0.1.18\tdeeplearning-worker2\n");
  // The workers file doubles as an Open MPI hostfile.
  EXPECT_EQ(*parse_hosts(*workers_file(w)), (std::vector<Host>{{"deeplearning-worker1", 8}, {"deeplearning-worker2", 8}}));
}

// Hosts that are not a DNS name or an IP address never get into a host list: they would reach
// mpirun's ssh as options (-oProxyCommand=...) or as shell text.
const char* const kHostile[] = {"-oProxyCommand=touch${IFS}/tmp/pwned", "a;b", "$(reboot)", "`id`", "a|b", "a&b",
                                "a>b", "a\\b", "a'b", "a\"b", "a*", "h?", "-h", "h-", "a..b", ".a", "a_b",
                                "user@host", "a/b", "a=b", "{a,b}", "~root", "!x", "%x", "h\x01", "h\xc3\xa9",
                                "999.1.1.1", "10", "1.2.3", "01.2.3.4", "[10.0.0.1]", "[::1", "[::g]", "::1:",
                                "fe80::1%", "fe80::1%a;b"};

TEST(Hostfile, ParsingRefusesHostileHosts) {
  for (const char* bad : kHostile) {
    auto r = parse_hosts(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().kind, awsdl::ErrorKind::kInvalidArgument) << bad;
    if (std::string(bad).find(',') == std::string::npos) {  // a comma splits it in two
      EXPECT_NE(r.error().message.find(bad), std::string::npos) << r.error().message;
    }
    // Anywhere in a list, and as "host:N" or "host slots=N".
    EXPECT_FALSE(parse_hosts(std::string("ok1,") + bad + ":2").ok()) << bad;
    EXPECT_FALSE(parse_hosts(std::string("ok1 slots=2\n") + bad + " slots=4\n").ok()) << bad;
  }
}

TEST(Hostfile, WritingRefusesWhatItCannotWriteSafely) {
  for (const char* bad : kHostile) {
    for (Format f : {Format::kOpenMpi, Format::kMpich, Format::kHorovod, Format::kPlain}) {
      auto r = hostfile({{"10.0.0.1", 1}, {bad, 1}}, f);
      ASSERT_FALSE(r.ok()) << bad << " " << to_string(f);
      EXPECT_EQ(r.error().kind, awsdl::ErrorKind::kInvalidArgument);
    }
    EXPECT_FALSE(workers_file({{bad, "10.0.0.1", 1}}).ok()) << bad;
    EXPECT_FALSE(etc_hosts({{bad, "10.0.0.1", 1}}).ok()) << bad;
  }
  // A name with a newline or a space would make two entries of one.
  for (const char* bad : {"a\nb", "a b", "a\tb", "a,b", "a#b", "", " a"})
    EXPECT_FALSE(hostfile({{bad, 1}}, Format::kOpenMpi).ok()) << bad;
  for (int slots : {0, -1, 1000001})
    EXPECT_FALSE(hostfile({{"a", slots}}, Format::kMpich).ok()) << slots;
  EXPECT_FALSE(etc_hosts({{"worker1", "not-an-address", 1}}).ok());
  EXPECT_FALSE(etc_hosts({{"10.0.0.9", "10.0.0.1", 1}}).ok());  // a name, not an address
  EXPECT_FALSE(etc_hosts({{"worker1", "10.0.0.1\n10.0.0.2", 1}}).ok());
}

// Found by fuzzing: the address went to inet_pton as a C string, so a NUL ended it early and
// whatever followed (a newline and a line of one's own) was written into /etc/hosts.
TEST(Hostfile, EtcHostsRefusesANulInsideAnAddress) {
  using namespace std::string_literals;
  for (const std::string& address : {"10.0.0.1\0\n6.6.6.6 github.com"s, "fe80::1\0x"s, "10.0.0.1\0"s}) {
    auto text = etc_hosts({{"worker1", address, 1}});
    EXPECT_FALSE(text.ok()) << "wrote " << (text.ok() ? text->size() : 0) << " bytes for an address with a NUL";
  }
  EXPECT_FALSE(workers_file({{"worker1\0;x"s, "10.0.0.1", 1}}).ok());
}

TEST(Hostfile, NamesAndAddressesThatAreFine) {
  const std::vector<Host> hosts = {{"ip-10-0-1-17.ec2.internal", 8}, {"node1", 1}, {"a.b-c.example.com.", 2},
                                   {"192.168.0.1", 4}, {"fe80::1", 2}, {"2001:db8::7", 1}, {"fe80::2%eth0", 1},
                                   {"x", 1000000}};
  for (Format f : {Format::kOpenMpi, Format::kMpich, Format::kHorovod}) {
    auto text = hostfile(hosts, f);
    ASSERT_TRUE(text.ok()) << to_string(f) << ": " << text.error().to_string();
    auto back = parse_hosts(*text);
    ASSERT_TRUE(back.ok()) << to_string(f) << ": " << *text << back.error().to_string();
    EXPECT_EQ(*back, hosts) << to_string(f) << ": " << *text;
  }
  // "host:N" with an IPv6 address takes brackets.
  EXPECT_EQ(*hostfile({{"fe80::1", 2}}, Format::kMpich), "[fe80::1]:2\n");
  EXPECT_EQ(*hostfile({{"fe80::1", 2}}, Format::kHorovod), "[fe80::1]:2");
  EXPECT_EQ(*parse_hosts("[::1],[::1]:3,::1", 2), (std::vector<Host>{{"::1", 2}, {"::1", 3}, {"::1", 2}}));
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

// A cluster of two instance types: each node's slots follow its own type's GPU count, from
// the DescribeInstanceTypes table the lifecycle has.
TEST(Hostfile, MixedTypesGiveEachNodeItsOwnGpuCount) {
  const std::map<std::string, int> gpus = {{"p4d.24xlarge", 8}, {"g5.12xlarge", 4}, {"c5.xlarge", 0}};
  std::vector<TypedNode> nodes = {{"10.0.16.5", "p4d.24xlarge"},
                                  {"10.0.16.6", "g5.12xlarge"},
                                  {"10.0.16.7", "p4d.24xlarge"},
                                  {"10.0.0.4", "c5.xlarge"}};
  auto hosts = hosts_by_type(nodes, gpus);
  ASSERT_TRUE(hosts.ok()) << hosts.error().message;
  EXPECT_EQ(*hostfile(*hosts, Format::kOpenMpi),
            "10.0.16.5 slots=8\n10.0.16.6 slots=4\n10.0.16.7 slots=8\n10.0.0.4 slots=1\n");
  EXPECT_EQ(total_slots(*hosts), 21);
  // A fixed count per node wins over the GPUs.
  auto fixed = hosts_by_type(nodes, gpus, 2);
  ASSERT_TRUE(fixed.ok());
  EXPECT_EQ(total_slots(*fixed), 8);
  // A type the table lacks is an error, not a guess.
  nodes.push_back({"10.0.16.8", "p5.48xlarge"});
  auto unknown = hosts_by_type(nodes, gpus);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().kind, awsdl::ErrorKind::kInvalidArgument);
  EXPECT_NE(unknown.error().message.find("10.0.16.8 is a p5.48xlarge, whose GPU count is not known"), std::string::npos)
      << unknown.error().message;
  EXPECT_TRUE(hosts_by_type(nodes, gpus, 4).ok());
  // What a hostfile refuses, hosts_by_type refuses.
  EXPECT_FALSE(hosts_by_type({{"-oProxyCommand=x", "p4d.24xlarge"}}, gpus).ok());
}

TEST(ClusterFiles, EnvFileCarriesTheEfaVariablesOnlyWithEfa) {
  ClusterEnv env{"/opt/deeplearning/workers", 4, 8, "/efs"};
  EXPECT_EQ(env_file(env).find("FI_PROVIDER"), std::string::npos);
  env.efa = true;
  std::string text = env_file(env);
  for (const char* line : {"export FI_PROVIDER=efa\n", "export FI_EFA_USE_DEVICE_RDMA=1\n", "export RDMAV_FORK_SAFE=1\n"})
    EXPECT_NE(text.find(line), std::string::npos) << line << " in\n" << text;
}

}  // namespace
