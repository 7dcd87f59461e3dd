// Open MPI end to end: mpirun with a generated hostfile across 4 local sshd nodes. mpirun
// starts its daemons over ssh on each node named in the hostfile; each rank reports rank,
// size and the node it was launched for (the address sshd accepted the daemon's connection
// on, from SSH_CONNECTION, which the daemon's children inherit), and its argv in hex.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "awsdl/mpi/hostfile.hpp"
#include "awsdl/mpi/launch.hpp"
#include "awsdl/ssh/quote.hpp"
#include "awsdl/ssh/session.hpp"
#include "support/ssh_nodes.hpp"

namespace {

using namespace awsdl;
using awsdl_test::ssh_nodes;
namespace fs = std::filesystem;

[[maybe_unused]] auto* const kEnv =
    ::testing::AddGlobalTestEnvironment(new awsdl_test::SshNodesEnvironment(4, 0));

const char* kProgram = R"(#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  int sum = 0;
  MPI_Allreduce(&rank, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  const char* sc = getenv("SSH_CONNECTION");
  char node[64] = "?";
  if (sc) sscanf(sc, "%*s %*s %63s", node);
  printf("rank=%d size=%d sum=%d node=%s args=", rank, size, sum, node);
  for (int i = 1; i < argc; ++i) {
    for (const unsigned char* p = (const unsigned char*)argv[i]; *p; ++p) printf("%02x", *p);
    printf(i + 1 < argc ? "," : "");
  }
  printf(" x=%s\n", getenv("AWSDL_X") ? getenv("AWSDL_X") : "-");
  MPI_Finalize();
  return 0;
}
)";

class OpenMpi : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!ssh_nodes().error.empty()) return;
    dir_ = ssh_nodes().tmp + "/mpi";
    fs::create_directories(dir_);
    std::ofstream(dir_ + "/ranks.c") << kProgram;
    std::string cmd = "mpicc -O1 -o " + ssh::shell_quote(dir_ + "/ranks") + " " + ssh::shell_quote(dir_ + "/ranks.c") + " 2>&1";
    built_ = std::system(cmd.c_str()) == 0;
  }

  static mpi::MpirunOptions options(const std::string& hostfile_path, const std::vector<mpi::Host>& hosts) {
    mpi::MpirunOptions o;
    o.hosts = hosts;
    o.hostfile = hostfile_path;
    o.allow_run_as_root = true;
    // Every node is this machine: MPI's own TCP traffic stays on loopback.
    o.tcp_include = {"lo"};
    o.horovod = false;
    o.rsh_agent = "ssh";
    o.rsh_args = "-i " + ssh_nodes().key + " -o BatchMode=yes -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile=" +
                 dir_ + "/known_hosts -o LogLevel=ERROR";
    o.mca = {{"plm_rsh_no_tree_spawn", "1"}, {"btl", "self,tcp"}};
    return o;
  }

  static std::string run_local(const std::vector<std::string>& argv, int* status) {
    FILE* p = ::popen((ssh::shell_join(argv) + " 2>&1").c_str(), "r");
    std::string out;
    char buf[4096];
    size_t n;
    while (p && (n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    *status = p ? ::pclose(p) : -1;
    return out;
  }

  struct RankLine {
    int rank, size, sum;
    std::string node, args, x;
  };
  static std::vector<RankLine> ranks(const std::string& out) {
    std::vector<RankLine> v;
    std::regex re(R"(rank=(\d+) size=(\d+) sum=(\d+) node=(\S+) args=(\S*) x=(.*))");
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);) {
      std::smatch m;
      if (std::regex_match(line, m, re))
        v.push_back({std::stoi(m[1]), std::stoi(m[2]), std::stoi(m[3]), m[4], m[5], m[6]});
    }
    return v;
  }

  static inline std::string dir_;
  static inline bool built_ = false;
};

TEST_F(OpenMpi, RanksRunOnTheNodesTheHostfileNames) {
  AWSDL_REQUIRE_SSH_NODES();
  ASSERT_TRUE(built_) << "mpicc failed";
  // Three of the four nodes, with different slot counts: the fourth must get nothing.
  std::vector<mpi::Host> hosts = {{ssh_nodes().nodes[0].address, 1},
                                  {ssh_nodes().nodes[2].address, 2},
                                  {ssh_nodes().nodes[3].address, 3}};
  std::string hf = dir_ + "/hostfile";
  std::ofstream(hf) << mpi::hostfile(hosts, mpi::Format::kOpenMpi).value();
  auto argv = mpi::mpirun_command(options(hf, hosts), {dir_ + "/ranks"});
  ASSERT_TRUE(argv.ok());
  int status = 0;
  std::string out = run_local(*argv, &status);
  ASSERT_EQ(status, 0) << out;
  auto lines = ranks(out);
  ASSERT_EQ(lines.size(), 6u) << out;
  std::map<std::string, int> per_node;
  std::set<int> seen;
  for (const auto& l : lines) {
    EXPECT_EQ(l.size, 6);
    EXPECT_EQ(l.sum, 15);  // the ranks talked to each other
    seen.insert(l.rank);
    ++per_node[l.node];
  }
  EXPECT_EQ(seen, (std::set<int>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(per_node, (std::map<std::string, int>{{hosts[0].name, 1}, {hosts[1].name, 2}, {hosts[2].name, 3}})) << out;
  // -map-by slot fills hosts in hostfile order.
  for (const auto& l : lines) {
    std::string want = l.rank == 0 ? hosts[0].name : l.rank <= 2 ? hosts[1].name : hosts[2].name;
    EXPECT_EQ(l.node, want) << "rank " << l.rank;
  }
}

std::string hex(const std::string& s) {
  std::string out;
  char b[3];
  for (unsigned char c : s) {
    std::snprintf(b, sizeof b, "%02x", c);
    out += b;
  }
  return out;
}

// The whole trip: this process -> SSH -> the master node's shell -> mpirun -> ssh -> orted
// -> rank argv, and -x values into the ranks' environment.
TEST_F(OpenMpi, ArgumentsSurviveSshAndMpirunUnchanged) {
  AWSDL_REQUIRE_SSH_NODES();
  ASSERT_TRUE(built_) << "mpicc failed";
  std::vector<mpi::Host> hosts;
  for (const auto& n : ssh_nodes().nodes) hosts.push_back({n.address, 1});
  std::string hf = dir_ + "/hostfile-all";
  std::ofstream(hf) << mpi::hostfile(hosts, mpi::Format::kOpenMpi).value();
  const std::vector<std::string> nasty = {"with space", "it's", "\"dq\"", "$HOME", "$(id)", "`id`", "a\nb",
                                          "back\\slash", "*", "semi;colon", "--flag=a b", "ünï"};
  auto o = options(hf, hosts);
  o.env = {{"AWSDL_X", "v a l $u 'e'"}};
  std::vector<std::string> program = {dir_ + "/ranks"};
  program.insert(program.end(), nasty.begin(), nasty.end());
  auto argv = mpi::mpirun_command(o, program);
  ASSERT_TRUE(argv.ok());

  ssh::SessionOptions so;
  so.user = "root";
  so.identity_files = {ssh_nodes().key};
  so.use_agent = false;
  so.known_hosts = dir_ + "/session_known_hosts";
  auto master = ssh::Session::connect(*ssh::parse_target(ssh_nodes().nodes[0].address), so);
  ASSERT_TRUE(master.ok()) << master.error().to_string();
  ssh::ExecOptions eo;
  eo.timeout = std::chrono::seconds(180);
  auto r = master->exec(ssh::shell_join(*argv), eo);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  ASSERT_EQ(r->exit_status, 0) << r->out << r->err;
  std::string want;
  for (const auto& a : nasty) want += (want.empty() ? "" : ",") + hex(a);
  auto lines = ranks(r->out);
  ASSERT_EQ(lines.size(), 4u) << r->out;
  std::set<std::string> nodes;
  for (const auto& l : lines) {
    EXPECT_EQ(l.args, want) << "rank " << l.rank;
    EXPECT_EQ(l.x, "v a l $u 'e'");
    nodes.insert(l.node);
  }
  EXPECT_EQ(nodes.size(), 4u);
}

}  // namespace
