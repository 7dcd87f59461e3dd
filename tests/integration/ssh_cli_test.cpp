// The awsdl-cluster exec and hostfile frontends, run as the built program against real
// sshd nodes.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "awsdl/ssh/quote.hpp"
#include "support/ssh_nodes.hpp"

namespace {

using awsdl::ssh::shell_join;
using awsdl_test::ssh_nodes;

[[maybe_unused]] auto* const kEnv =
    ::testing::AddGlobalTestEnvironment(new awsdl_test::SshNodesEnvironment(3, 0));

const std::string kProgram = std::string(AWSDL_BINARY_DIR) + "/examples/cluster/awsdl-cluster";

struct Outcome {
  int status = -1;
  std::string out, err;
};

Outcome run(const std::vector<std::string>& args) {
  std::string err_file = ssh_nodes().tmp + "/cli.stderr";
  std::vector<std::string> argv{kProgram};
  argv.insert(argv.end(), args.begin(), args.end());
  FILE* p = ::popen((shell_join(argv) + " 2>" + awsdl::ssh::shell_quote(err_file)).c_str(), "r");
  Outcome r;
  char buf[4096];
  size_t n;
  while (p && (n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int st = p ? ::pclose(p) : -1;
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  std::ifstream in(err_file);
  r.err.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return r;
}

#define REQUIRE_PROGRAM()                            \
  AWSDL_REQUIRE_SSH_NODES();                         \
  if (!std::filesystem::exists(kProgram))            \
  GTEST_SKIP() << kProgram << " is not built (examples off?)"

std::vector<std::string> common() {
  return {"--user", "root", "--identity", ssh_nodes().key, "--no-agent", "--known-hosts", ssh_nodes().tmp + "/cli_known_hosts",
          "--connect-timeout", "20"};
}

TEST(SshCli, ExecPrefixesLinesAndFailsWhenAHostFails) {
  REQUIRE_PROGRAM();
  const auto& n = ssh_nodes().nodes;
  std::vector<std::string> args{"exec", "--hosts", n[0].address + "," + n[1].address, "--hosts", ssh_nodes().down_address};
  auto c = common();
  args.insert(args.end(), c.begin(), c.end());
  args.insert(args.end(), {"--", "echo", "out;", "echo", "err", ">&2"});
  Outcome r = run(args);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find(n[0].address + ": out\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(n[1].address + ": out\n"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find(n[0].address + ": err\n"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(ssh_nodes().down_address + ": awsdl: ConnectFailed"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("1 of 3 hosts failed: " + ssh_nodes().down_address), std::string::npos) << r.err;
}

TEST(SshCli, ExecFoldsIdenticalOutputAndReadsAHostsFile) {
  REQUIRE_PROGRAM();
  std::string file = ssh_nodes().tmp + "/cli_hosts";
  std::ofstream(file) << "# workers\n" << ssh_nodes().nodes[0].address << " slots=8\n"
                      << ssh_nodes().nodes[1].address << "\n" << ssh_nodes().nodes[2].address << "\n";
  std::vector<std::string> args{"exec", "--hosts", "@" + file, "--fold", "--fanout", "2"};
  auto c = common();
  args.insert(args.end(), c.begin(), c.end());
  args.insert(args.end(), {"--", "echo same"});
  Outcome r = run(args);
  EXPECT_EQ(r.status, 0) << r.err;
  std::string a = ssh_nodes().nodes[0].address;
  std::string prefix = a.substr(0, a.rfind('.') + 1);
  EXPECT_EQ(r.out, "----------------\n" + prefix + "[1-3]\n----------------\nsame\n");
}

TEST(SshCli, UsageErrors) {
  REQUIRE_PROGRAM();
  EXPECT_EQ(run({"exec", "--hosts", "a"}).status, 2);                         // no command
  EXPECT_EQ(run({"exec", "--", "true"}).status, 2);                           // no hosts
  EXPECT_EQ(run({"exec", "--hosts", "a", "--fanout", "0", "--", "true"}).status, 2);
  EXPECT_EQ(run({"exec", "--hosts", "a", "--host-key-policy", "off", "--", "true"}).status, 2);
  EXPECT_EQ(run({"hostfile", "--hosts", "a:0"}).status, 2);
  EXPECT_EQ(run({"hostfile", "--hosts", "a", "--format", "slurm"}).status, 2);
}

// A host that is not a host is a usage error (2), found before any connection, not a failed
// host (1); hostile ones never reach a shell or an ssh command line.
TEST(SshCli, ExecRefusesUnparseableHostsBeforeConnecting) {
  REQUIRE_PROGRAM();
  const std::string good = ssh_nodes().nodes[0].address;
  const std::string witness = ssh_nodes().tmp + "/exec-witness";
  for (const std::vector<std::string>& extra : std::vector<std::vector<std::string>>{
           {"--hosts", good + ",user@"},
           {"--hosts", good + ",host:0"},
           {"--hosts", good + ";touch${IFS}" + witness},
           {"--hosts", "$(touch${IFS}" + witness + ")"},
           {"--hosts", "-oProxyCommand=touch${IFS}" + witness},
           {"--hosts", good, "--jump", "a;b"},
           {"--hosts", good + ",-u@" + good},
       }) {
    std::vector<std::string> args{"exec"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto c = common();
    args.insert(args.end(), c.begin(), c.end());
    args.insert(args.end(), {"--", "echo", "ran"});
    Outcome r = run(args);
    EXPECT_EQ(r.status, 2) << extra[1] << "\n" << r.out << r.err;
    EXPECT_EQ(r.out.find("ran"), std::string::npos) << extra[1] << ": a host ran the command\n" << r.out;
    EXPECT_NE(r.err.find("is not a host"), std::string::npos) << extra[1] << "\n" << r.err;
    EXPECT_NE(r.err.find("hint: fix the arguments"), std::string::npos) << r.err;
  }
  EXPECT_EQ(run({"exec", "--hosts", good, "--user", "-oX", "--", "true"}).status, 2);
  EXPECT_FALSE(std::filesystem::exists(witness));
  // The hostfile command refuses them too.
  for (const char* bad : {"a;b", "-oProxyCommand=x", "$(id)", "[10.0.0.1]:2"})
    EXPECT_EQ(run({"hostfile", "--hosts", bad}).status, 2) << bad;
}

TEST(SshCli, Hostfile) {
  REQUIRE_PROGRAM();
  EXPECT_EQ(run({"hostfile", "--hosts", "h1,h2:4", "--slots", "8"}).out, "h1 slots=8\nh2 slots=4\n");
  EXPECT_EQ(run({"hostfile", "--hosts", "h1,h2", "--slots", "2", "--format", "mpich"}).out, "h1:2\nh2:2\n");
  EXPECT_EQ(run({"hostfile", "--hosts", "h1,h2", "--slots", "2", "--format", "horovod"}).out, "h1:2,h2:2\n");
  EXPECT_EQ(run({"hostfile", "--hosts", "h1 slots=3,h2", "--format", "plain"}).out, "h1\nh2\n");
}

}  // namespace
