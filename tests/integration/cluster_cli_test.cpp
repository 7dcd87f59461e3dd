// `awsdl-cluster` cluster subcommands as programs, against the sandbox whose instances are
// backed by real local sshd nodes: create -> status -> nodes -> health -> exec -> hostfile ->
// run (mpirun) -> run --detach + stop -> resize -> delete, with --output json parsed; --dry-run
// and bad configs or flags make no call at all (the sandbox's request log proves it).

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <string>
#include <thread>

#include "awsdl/autoscaling/autoscaling.hpp"
#include "awsdl/cloudformation/cloudformation.hpp"
#include "awsdl/ec2/ec2.hpp"
#include "awsdl/s3/client.hpp"
#include "support/run_process.hpp"
#include "support/sandbox.hpp"
#include "support/stage_test_support.hpp"
#include "support/tar_test_support.hpp"
#include "support/ssh_nodes.hpp"

namespace {

using namespace awsdl;
using awsdl_test::ssh_nodes;
using testsupport::Sandbox;
using namespace awsdl::testing_support;
namespace fs = std::filesystem;

[[maybe_unused]] auto* const kEnv = ::testing::AddGlobalTestEnvironment(new awsdl_test::SshNodesEnvironment(3, 0));

const std::string kBinary = std::string(AWSDL_BINARY_DIR) + "/examples/cluster/awsdl-cluster";
const std::string kExampleIni = std::string(AWSDL_SOURCE_DIR) + "/examples/cluster/cluster.ini";

class ClusterCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(sandbox.ok()) << sandbox.error();
    ASSERT_TRUE(fs::exists(kBinary)) << kBinary << " is not built";
    ASSERT_TRUE(sandbox.reset());
    // Stack and instance state changes are quick in tests.
    ASSERT_TRUE(sandbox.control("POST", "/_sandbox/services/ec2/config", R"({"transition_seconds": 0.05})"));
    ASSERT_TRUE(fs::exists(tmp.path()));
    key = (tmp / "key").string();
    std::ofstream(key) << "not used by the commands that make no SSH connection\n";
    fs::create_directories(tmp / "efs");
  }

  std::map<std::string, std::string> env() const {
    auto e = Sandbox::cli_env(tmp.path().string());
    // Belt and braces: a command that lost its --endpoint-url still reaches only the sandbox.
    e["AWS_ENDPOINT_URL"] = sandbox.endpoint();
    return e;
  }
  testsupport::ProcessResult cli(std::vector<std::string> args, int timeout_s = 120) const {
    // Before any "--": what follows it is the remote command.
    auto at = std::find(args.begin(), args.end(), "--");
    at = args.insert(at, sandbox.endpoint());
    args.insert(at, "--endpoint-url");
    auto start = std::chrono::steady_clock::now();
    auto r = testsupport::run_process(kBinary, args, env(), std::chrono::seconds(timeout_s));
    auto took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (took > 10) std::fprintf(stderr, "slow: awsdl-cluster %s took %.1f s\n", args[0].c_str(), took);
    return r;
  }
  std::string write_config(const std::string& name, const std::string& text) const {
    auto path = (tmp / name).string();
    std::ofstream(path) << text;
    return path;
  }
  // The shipped example, made local: this key, this shared directory, this state directory.
  std::vector<std::string> cluster_flags(const std::string& name, const std::string& key_path) const {
    return {"--config", kExampleIni, "--name", name, "--instance-type", "p3.2xlarge", "--workers", "2",
            "--min-workers", "1", "--key-name", "clitest", "--ssh-cidr", "127.0.0.0/8", "--staging-bucket", "",
            "--mount-point", (tmp / "efs").string(), "--user", "root", "--key-path", key_path,
            "--slots-per-node", "1", "--mpirun-options", "", "--state-dir", (tmp / "state").string()};
  }
  // The whole log of the job `run` started ("..., log PATH" in its first line), for failures.
  static std::string job_log(const std::string& run_out) {
    auto at = run_out.find(", log ");
    if (at == std::string::npos) return "(no log named)";
    std::string path = run_out.substr(at + 6, run_out.find('\n', at) - at - 6);
    std::ifstream in(path);
    return in ? std::string(std::istreambuf_iterator<char>(in), {}) : "(cannot read " + path + ")";
  }
  // `flags` without `flag` and its value.
  static std::vector<std::string> without(const std::vector<std::string>& flags, const std::string& flag) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < flags.size(); ++i) {
      if (flags[i] == flag) ++i;
      else out.push_back(flags[i]);
    }
    return out;
  }
  static std::vector<std::string> with(std::vector<std::string> a, const std::vector<std::string>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
  }
  std::size_t requests_made() const {
    auto r = sandbox.requests();
    EXPECT_TRUE(r.ok());
    return r ? r->size() : 0;
  }
  // "sts GetCallerIdentity (access key ..., status 200); ..." for a failure message.
  std::string requests_seen() const {
    auto r = sandbox.requests();
    if (!r) return r.error().to_string();
    std::string out;
    for (const auto& q : *r)
      out += q.service + " " + q.operation + " (access key " + q.access_key_id + ", status " +
             std::to_string(q.status) + (q.fault.empty() ? "" : ", fault " + q.fault) + "); ";
    return out;
  }

  Sandbox sandbox;
  awsdl::testing_support::ScratchDir tmp;
  std::string key;
};

TEST_F(ClusterCliTest, BadConfigsAndFlagsExitTwoBeforeAnyCall) {
  ASSERT_TRUE(sandbox.clear_requests());
  // A valid file, with `extra` lines added to its [cluster] section.
  auto file = [&](const std::string& extra, const std::string& cidr = "203.0.113.0/24", const std::string& key_path = "") {
    return "[cluster]\nname = c1\nkey_name = k\n" + extra + "[network]\nssh_cidr = " + cidr + "\n[ssh]\nkey_path = " +
           (key_path.empty() ? key : key_path) + "\n";
  };
  const std::string good = file("");
  struct Case {
    std::string what, text, expect;
  };
  const std::vector<Case> cases = {
      {"missing section", "[cluster]\nname = c1\nkey_name = k\n", "ssh_cidr"},
      {"unknown section", good + "[clutser]\nworkers = 2\n", "clutser"},
      {"unknown key", file("nmae = x\n"), "nmae"},
      {"bad CIDR", file("", "300.1.2.3/8"), "CIDR"},
      {"negative count", file("workers = -2\n"), "workers"},
      // The INI file is held to the flags' ranges.
      {"huge count", file("workers = 2147483647\n"), "workers must be between 1 and 10000"},
      {"zero slots", good + "[training]\nslots_per_node = 0\n", "slots_per_node must be 'auto'"},
      {"unreadable key file", file("", "203.0.113.0/24", (tmp / "no-such-key").string()), "no-such-key"},
      // Capacity and storage keys (issue 15).
      {"empty type list", file("instance_types =\n"), "bad.ini:4: [cluster] instance_types must list at least one"},
      {"zone of another region", file("availability_zones = us-east-1a, eu-west-1a\n"),
       "bad.ini:4: [cluster] availability_zones mixes regions"},
      {"negative spot price", file("market = spot\nspot_max_price = -1\n"),
       "bad.ini:5: [cluster] spot_max_price must be a positive price"},
      {"absurd spot price", file("market = spot\nspot_max_price = 1500\n"),
       "bad.ini:5: [cluster] spot_max_price must be at most 1000 USD"},
      {"not a Lustre size", good + "[storage]\nshared = fsx-lustre\nfsx_capacity_gib = 2000\n",
       "bad.ini:10: [storage] fsx_capacity_gib must be a size SCRATCH_2 file systems come in"},
      {"spot capacity block", file("market = spot\ncapacity_block = cr-0123456789abcdef0\n"),
       "bad.ini:5: [cluster] capacity_block cannot be used with market spot"},
  };
  for (const auto& c : cases) {
    auto path = write_config("bad.ini", c.text);
    for (const char* command : {"create", "status", "delete", "health"}) {
      std::vector<std::string> args = {command, "--config", path};
      if (std::string(command) == "create" || std::string(command) == "delete") args.push_back("--yes");
      auto r = cli(args);
      EXPECT_EQ(r.exit_code, 2) << c.what << " / " << command << ": " << r.out << r.err;
      EXPECT_NE(r.err.find(c.expect), std::string::npos) << c.what << " / " << command << ": " << r.err;
      if (c.what != "unreadable key file" && c.what != "missing section") {
        EXPECT_NE(r.err.find("bad.ini:"), std::string::npos) << "no file:line in: " << r.err;
      }
    }
  }
  auto path = write_config("good.ini", good);
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"create", "--config", path, "--bogus"},
           {"status", "--name", "c1", "--output", "yaml"},
           {"resize", "--name", "c1", "--workers", "zero"},
           {"resize", "--name", "c1"},
           {"run", "--name", "c1"},
           {"status", "--name", "1-not-a-stack-name"},
           {"create", "--config", path, "--workers", "0"},
           {"delete", "--name", "c1", "--yes", "--poll-interval", "0"},
           {"stop", "--name", "c1", "--grace", "soon"},
           {"nodes", "--name", "c1", "unexpected"},
           {"unstage", "--name", "c1", "s3://b/k.tar", "dir"},         // --name without --on-master
           {"unstage", "--on-master", "s3://b/k.tar", "dir"},          // --on-master without a cluster
           {"run", "--name", "c1", "--np", "four", "--", "true"},     // not "every slot"
           {"run", "--name", "c1", "--np", "0", "--", "true"},
           {"delete", "--name", "c1", "--yes", "--poll-interval", "0x10"},  // not 16 s
           {"resize", "--name", "c1", "--workers", "2", "--yes", "--poll-interval", "1e1"},
           {"status", "--name", "c1", "--slots-per-node", "4097"},
           {"resize", "--name", "c1", "--workers", "10001", "--yes"},
           {"create", "--config", path, "--yes", "--market", "spot", "--spot-max-price", "-2"},
           {"create", "--config", path, "--yes", "--availability-zones", "us-east-1a,us-west-2b"},
           {"create", "--config", path, "--yes", "--shared", "fsx-lustre", "--fsx-import-path", "/data"},
           {"run", "--name", "c1", "--efa", "maybe", "--", "true"},
           {"status", "--name", "c1", "--watch", "--metric", "loss=[0-9]+"},  // no capture group
           {"status", "--name", "c1", "--watch", "--metric", "loss"},
           {"status", "--name", "c1", "--watch", "--count", "0"},
           {"status", "--name", "c1", "--interval", "5"},                      // without --watch
           {"status", "--watch"},                                              // which cluster?
       }) {
    auto r = cli(args);
    EXPECT_EQ(r.exit_code, 2) << args[0] << " " << args.back() << ": " << r.err;
    EXPECT_NE(r.err.find("error:"), std::string::npos) << r.err;
  }
  EXPECT_EQ(requests_made(), 0u) << "a bad configuration or flag reached the sandbox: " << requests_seen();
}

TEST_F(ClusterCliTest, DryRunPrintsTheCallsAndMakesNone) {
  ASSERT_TRUE(sandbox.clear_requests());
  auto flags = cluster_flags("drycluster", key);
  auto create = cli(with({"create", "--dry-run"}, flags));
  ASSERT_EQ(create.exit_code, 0) << create.err;
  EXPECT_NE(create.out.find("cloudformation CreateStack StackName=drycluster"), std::string::npos) << create.out;
  EXPECT_NE(create.out.find("Parameters.WorkerCount=2"), std::string::npos) << create.out;
  EXPECT_NE(create.out.find("Parameters.MinWorkerCount=1"), std::string::npos) << create.out;
  EXPECT_NE(create.out.find("Capabilities.1=CAPABILITY_"), std::string::npos) << create.out;
  EXPECT_NE(create.out.find("Tags.awsdl:cluster=drycluster"), std::string::npos) << create.out;
  // The library's plan: what create sends (rollback on failure), then its polls and the describe.
  EXPECT_NE(create.out.find(" OnFailure=ROLLBACK ClientRequestToken=<generated>"), std::string::npos) << create.out;
  EXPECT_NE(create.out.find("(polling):\ncloudformation DescribeStackEvents"), std::string::npos) << create.out;
  EXPECT_NE(create.out.find("ec2 DescribeInstanceTypes InstanceTypes.1="), std::string::npos) << create.out;
  const auto no_workers = without(flags, "--workers");
  auto resize = cli(with({"resize", "--dry-run", "--workers", "5"}, no_workers));
  ASSERT_EQ(resize.exit_code, 0) << resize.err;
  EXPECT_NE(resize.out.find("UpdateStack"), std::string::npos) << resize.out;
  EXPECT_NE(resize.out.find("Parameters.WorkerCount=5"), std::string::npos) << resize.out;
  auto del = cli(with({"delete", "--dry-run"}, flags));
  ASSERT_EQ(del.exit_code, 0) << del.err;
  // The library's plan (cluster::plan_remove): the stack found by name, deleted by its id.
  EXPECT_NE(del.out.find("cloudformation DescribeStacks StackName=drycluster"), std::string::npos) << del.out;
  EXPECT_NE(del.out.find("cloudformation DeleteStack StackName=<the stack id>"), std::string::npos) << del.out;
  EXPECT_EQ(requests_made(), 0u) << "--dry-run reached the sandbox: " << requests_seen();
}

// A dry run makes no SSH connection: a key file it cannot read is a warning (on stderr) and the
// calls are still listed; a real create still refuses it before any call.
TEST_F(ClusterCliTest, DryRunWarnsAboutAnUnreadableKeyAndCreateRefusesIt) {
  ASSERT_TRUE(sandbox.clear_requests());
  const std::string missing = (tmp / "no-such-key").string();
  const auto flags = cluster_flags("drykey", missing);
  auto dry = cli(with({"create", "--dry-run"}, flags));
  EXPECT_EQ(dry.exit_code, 0) << dry.out << dry.err;
  EXPECT_NE(dry.err.find("warning: cannot read the SSH key " + missing), std::string::npos) << dry.err;
  EXPECT_EQ(dry.err.find("error:"), std::string::npos) << dry.err;
  EXPECT_EQ(dry.out.find(missing), std::string::npos) << "the warning belongs on stderr: " << dry.out;
  EXPECT_NE(dry.out.find("cloudformation CreateStack StackName=drykey"), std::string::npos) << dry.out;
  auto resume = cli(with({"create", "--resume", "--dry-run"}, flags));
  EXPECT_EQ(resume.exit_code, 0) << resume.out << resume.err;
  EXPECT_NE(resume.err.find("warning: cannot read the SSH key"), std::string::npos) << resume.err;
  EXPECT_NE(resume.out.find("cloudformation DescribeStacks StackName=drykey"), std::string::npos) << resume.out;
  auto real = cli(with({"create", "--yes"}, flags));
  EXPECT_EQ(real.exit_code, 2) << real.out << real.err;
  EXPECT_NE(real.err.find("cannot read the SSH key " + missing), std::string::npos) << real.err;
  EXPECT_EQ(requests_made(), 0u) << "a dry run or a refused create reached the sandbox: " << requests_seen();
}

// A zone of another region is refused before any call, by create and by its dry run; in its
// own region it is the stack's AvailabilityZone parameter.
TEST_F(ClusterCliTest, AZoneOutsideTheRegionIsRefusedBeforeAnyCall) {
  ASSERT_TRUE(sandbox.clear_requests());
  const auto flags = with(cluster_flags("zoned", key), {"--availability-zone", "eu-west-1a"});  // region us-east-1
  for (const char* mode : {"--dry-run", "--yes"}) {
    auto r = cli(with({"create", mode}, flags));
    EXPECT_EQ(r.exit_code, 2) << mode << ": " << r.out << r.err;
    EXPECT_NE(r.err.find("ZoneNotInRegion"), std::string::npos) << mode << ": " << r.err;
    EXPECT_NE(r.err.find("eu-west-1a ([network] availability_zone) is not in region us-east-1"), std::string::npos)
        << mode << ": " << r.err;
    EXPECT_EQ(r.out.find("CreateStack"), std::string::npos) << mode << ": " << r.out;
  }
  auto there = cli(with({"create", "--dry-run", "--region", "eu-west-1"}, flags));
  EXPECT_EQ(there.exit_code, 0) << there.out << there.err;
  EXPECT_NE(there.out.find("Parameters.AvailabilityZone=eu-west-1a"), std::string::npos) << there.out;
  EXPECT_EQ(requests_made(), 0u) << "a refused create reached the sandbox: " << requests_seen();
}

TEST_F(ClusterCliTest, HelpOnEveryCommandHasExamples) {
  for (const char* c : {"create", "status", "dashboard", "nodes", "health", "exec", "hostfile", "run", "stop", "resize", "delete"}) {
    auto r = cli({c, "--help"});
    EXPECT_EQ(r.exit_code, 0) << c << ": " << r.err;
    EXPECT_NE(r.out.find("awsdl-cluster " + std::string(c)), std::string::npos) << c << ": " << r.out;
    EXPECT_NE(r.out.find("xample"), std::string::npos) << c << " --help shows no example: " << r.out;
  }
}

TEST_F(ClusterCliTest, WholeWorkflowOnLocalNodes) {
  AWSDL_REQUIRE_SSH_NODES();
  const auto& info = ssh_nodes();
  std::string addresses;
  std::set<std::string> pool;
  for (const auto& n : info.nodes) {
    addresses += (addresses.empty() ? "\"" : ",\"") + n.address + "\"";
    pool.insert(n.address);
  }
  ASSERT_TRUE(sandbox.control("POST", "/_sandbox/services/ec2/nodes", "{\"addresses\": [" + addresses + "]}"));
  std::ifstream pub_in(info.key + ".pub");
  std::string pub((std::istreambuf_iterator<char>(pub_in)), std::istreambuf_iterator<char>());
  ASSERT_TRUE(ec2::Ec2Client(sandbox.config()).import_key_pair("clitest", pub));
  const auto flags = cluster_flags("clicluster", info.key);

  // create: JSON with the master and the workers on the pool's loopback addresses.
  auto create = cli(with({"create", "--output", "json", "--poll-interval", "0.2"}, flags), 180);
  ASSERT_EQ(create.exit_code, 0) << create.out << create.err;
  EXPECT_NE(create.err.find("CREATE_COMPLETE"), std::string::npos) << "no progress events: " << create.err;
  rapidjson::Document doc;
  doc.Parse(create.out.c_str());
  ASSERT_FALSE(doc.HasParseError()) << create.out;
  ASSERT_TRUE(doc["nodes"].IsArray());
  ASSERT_EQ(doc["nodes"].Size(), 3u) << create.out;
  EXPECT_STREQ(doc["nodes"][0]["role"].GetString(), "master");
  for (const auto& n : doc["nodes"].GetArray()) {
    EXPECT_EQ(pool.count(n["private_ip"].GetString()), 1u) << n["private_ip"].GetString();
    EXPECT_EQ(n["gpus"].GetInt(), 1);  // p3.2xlarge
  }
  for (const char* f : {"hostfile", "workers", "env"})
    EXPECT_TRUE(fs::exists(tmp / "state" / f)) << f << " not written";

  auto status = cli(with({"status", "--output", "json"}, flags));
  ASSERT_EQ(status.exit_code, 0) << status.err;
  rapidjson::Document st;
  st.Parse(status.out.c_str());
  ASSERT_FALSE(st.HasParseError()) << status.out;
  EXPECT_STREQ(st["status"].GetString(), "CREATE_COMPLETE");
  EXPECT_EQ(st["desired_workers"].GetInt(), 2);
  EXPECT_STREQ(st["autostop"].GetString(), "off");

  auto list = cli({"status", "--output", "json"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("\"name\":\"clicluster\""), std::string::npos) << list.out;

  auto nodes = cli(with({"nodes"}, flags));
  ASSERT_EQ(nodes.exit_code, 0) << nodes.err;
  EXPECT_NE(nodes.out.find("master"), std::string::npos) << nodes.out;

  auto health = cli(with({"health", "--expected-gpus", "any", "--no-mount-check", "--min-free-gb", "0",
                                    // Every node is this machine: other tests' processes are not strays.
                                    "--stray-pattern", "^awsdl-no-such-program$"}, flags));
  EXPECT_EQ(health.exit_code, 0) << health.out << health.err;
  // Without GPUs here, the instance type's count is a problem: the command says so, exit 1.
  auto unhealthy = cli(with({"health", "--no-mount-check", "--min-free-gb", "0", "--stray-pattern", "^awsdl-no-such-program$"}, flags));
  EXPECT_NE(unhealthy.out.find("GPU"), std::string::npos) << unhealthy.out;
  EXPECT_EQ(unhealthy.exit_code, 1) << unhealthy.out << unhealthy.err;

  auto exec = cli({"exec", "--config", kExampleIni, "--name", "clicluster", "--user", "root", "--key-path", info.key,
                   "--state-dir", (tmp / "state").string(), "--", "echo", "hi-from-$(hostname)"});
  ASSERT_EQ(exec.exit_code, 0) << exec.out << exec.err;
  for (const auto& a : pool) EXPECT_NE(exec.out.find("root@" + a + ": hi-from-"), std::string::npos) << exec.out;

  auto hostfile = cli(with({"hostfile"}, flags));
  ASSERT_EQ(hostfile.exit_code, 0) << hostfile.err;
  for (const auto& a : pool) EXPECT_NE(hostfile.out.find(a + " slots=1"), std::string::npos) << hostfile.out;

  // stage here, then unstage on the master, onto the shared directory, straight from S3.
  make_rich_tree(tmp / "data" / "set");
  write_file(tmp / "data" / "set" / "big.bin", random_bytes(3 << 20, 5));
  ASSERT_TRUE(s3::S3Client(sandbox.config()).create_bucket({"clitest-data"}));
  auto staged = cli({"stage", "--quiet", (tmp / "data" / "set").string(), "s3://clitest-data/set.tar"});
  ASSERT_EQ(staged.exit_code, 0) << staged.out << staged.err;
  auto unstaged = cli(with(with({"unstage", "--on-master", "--output", "json", "--part-size", "1MiB"}, flags),
                           {"s3://clitest-data/set.tar", (tmp / "efs" / "data").string()}), 120);
  ASSERT_EQ(unstaged.exit_code, 0) << unstaged.out << unstaged.err;
  rapidjson::Document un;
  un.Parse(unstaged.out.c_str());
  ASSERT_FALSE(un.HasParseError()) << unstaged.out;
  EXPECT_EQ(un["host"].GetString(), "root@" + info.nodes[0].address) << unstaged.out;
  EXPECT_TRUE(un["verified"].GetBool()) << unstaged.out;
  EXPECT_EQ(tree(tmp / "efs" / "data" / "set"), tree(tmp / "data" / "set"));

  // run: mpirun on the master, across the three nodes, output followed to the end.
  const std::string rsh = "-i " + info.key + " -o BatchMode=yes -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile=" +
                          (tmp / "mpi_known_hosts").string() + " -o LogLevel=ERROR";
  const std::vector<std::string> mpi = {"--no-horovod", "--tcp-include", "lo", "--rsh-args", rsh,
                                        "--mca", "plm_rsh_no_tree_spawn=1", "--mca", "btl=self,tcp", "--timeout", "120"};
  auto run = cli(with(with({"run"}, flags), with(mpi, {"--", "/bin/echo", "rank-says-hello"})), 180);
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err << "\nthe job's log:\n" << job_log(run.out);
  std::size_t hellos = 0;
  for (auto at = run.out.find("rank-says-hello"); at != std::string::npos; at = run.out.find("rank-says-hello", at + 1)) ++hellos;
  EXPECT_EQ(hellos, 3u) << run.out;

  // A real MPI program: ranks on every node, talking to each other (an allreduce).
  std::ofstream(tmp / "efs" / "hello.c") << R"(#include <mpi.h>
#include <stdio.h>
int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank, size, sum = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  MPI_Allreduce(&rank, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  printf("rank %d of %d: sum %d\n", rank, size, sum);
  MPI_Finalize();
  return 0;
}
)";
  std::string mpicc = "mpicc -O1 -o " + (tmp / "efs" / "hello").string() + " " + (tmp / "efs" / "hello.c").string();
  ASSERT_EQ(std::system(mpicc.c_str()), 0) << mpicc;
  auto ranks = cli(with(with({"run"}, flags), with(mpi, {"--", (tmp / "efs" / "hello").string()})), 180);
  ASSERT_EQ(ranks.exit_code, 0) << ranks.out << ranks.err << "\nthe job's log:\n" << job_log(ranks.out);
  for (int r = 0; r < 3; ++r) EXPECT_NE(ranks.out.find("rank " + std::to_string(r) + " of 3: sum 3"), std::string::npos) << ranks.out;

  // A failing program: exit 1.
  auto failing = cli(with(with({"run"}, flags), with(mpi, {"--", "/bin/false"})), 180);
  EXPECT_EQ(failing.exit_code, 1) << failing.out << failing.err;

  // --timeout: following gives up on the job's deadline, stops the job and says so.
  auto mpi_short = mpi;
  mpi_short.back() = "2";
  const auto slow_t0 = std::chrono::steady_clock::now();
  auto slow = cli(with(with({"run"}, flags), with(mpi_short, {"--", "/bin/sleep", "300"})), 120);
  EXPECT_EQ(slow.exit_code, 1) << slow.out << slow.err;
  EXPECT_NE(slow.err.find("timeout: stopping the job"), std::string::npos) << slow.err;
  EXPECT_LT(std::chrono::steady_clock::now() - slow_t0, std::chrono::seconds(60));

  // run --detach, then stop stops exactly that job.
  auto detached = cli(with(with({"run", "--detach"}, flags), with(mpi, {"--", "/bin/sleep", "300"})), 60);
  ASSERT_EQ(detached.exit_code, 0) << detached.err;
  std::string job_id = detached.out.substr(0, detached.out.find('\n'));
  ASSERT_EQ(job_id.size(), 32u) << detached.out;
  // status --watch: the Monitor's snapshots of the nodes and the recorded job, twice.
  auto watched = cli(with({"status", "--watch", "--count", "2", "--interval", "0.5", "--no-mount-check", "--metric",
                           "slept=sleep ([0-9]+)"},
                          flags),
                     60);
  ASSERT_EQ(watched.exit_code, 0) << watched.out << watched.err;
  std::printf("%s", watched.out.c_str());
  EXPECT_NE(watched.out.find("stack CREATE_COMPLETE"), std::string::npos) << watched.out;
  EXPECT_NE(watched.out.find("  master "), std::string::npos) << watched.out;
  EXPECT_NE(watched.out.find("  worker "), std::string::npos) << watched.out;
  EXPECT_NE(watched.out.find("job " + job_id.substr(0, 8) + ": running"), std::string::npos) << watched.out;
  EXPECT_NE(watched.out.find("slept: no value yet"), std::string::npos) << watched.out;
  EXPECT_EQ(watched.out.find("UNREACHABLE"), std::string::npos) << watched.out;
  auto stop = cli(with({"stop", "--grace", "2"}, flags), 60);
  ASSERT_EQ(stop.exit_code, 0) << stop.out << stop.err;
  EXPECT_NE(stop.out.find(job_id + ": stopped"), std::string::npos) << stop.out;
  auto again = cli(with({"stop"}, flags));
  EXPECT_NE(again.out.find("nothing to stop"), std::string::npos) << again.out;

  const auto no_workers = without(flags, "--workers");
  auto resize = cli(with({"resize", "--workers", "1", "--yes", "--output", "json", "--poll-interval", "0.2"}, no_workers), 180);
  ASSERT_EQ(resize.exit_code, 0) << resize.out << resize.err;
  rapidjson::Document rs;
  rs.Parse(resize.out.c_str());
  ASSERT_FALSE(rs.HasParseError()) << resize.out;
  EXPECT_EQ(rs["desired_workers"].GetInt(), 1);

  auto del = cli(with({"delete", "--yes", "--poll-interval", "0.2"}, flags), 180);
  ASSERT_EQ(del.exit_code, 0) << del.out << del.err;
  auto gone = cli(with({"status"}, flags));
  EXPECT_EQ(gone.exit_code, 1) << gone.out;
  EXPECT_NE(gone.err.find("clicluster"), std::string::npos) << gone.err;

  // Nothing left behind: no live instance, no group.
  auto instances = ec2::Ec2Client(sandbox.config()).list_instances({});
  ASSERT_TRUE(instances.ok()) << instances.error().to_string();
  for (const auto& i : *instances) EXPECT_TRUE(i.state == "terminated" || i.state == "shutting-down") << i.instance_id << " " << i.state;
  auto groups = autoscaling::AutoScalingClient(sandbox.config()).describe_groups({});
  ASSERT_TRUE(groups.ok()) << groups.error().to_string();
  EXPECT_TRUE(groups->empty());
}

// Bootstrap failures say why, as the program words them: a worker of a resize and the master
// of a create whose user data failed; the error shows the end of the node's cloud-init output
// and how to see all of it.
TEST_F(ClusterCliTest, ABootstrapFailureShowsTheNodesCloudInitTail) {
  ASSERT_TRUE(ec2::Ec2Client(sandbox.config()).create_key_pair("clitest"));
  const auto flags = with(cluster_flags("bootcli", key), {"--poll-interval", "0.2", "--yes"});
  auto workers = [&](const std::string& n) {
    return with(without(flags, "--workers"), {"--workers", n});
  };
  auto create = cli(with({"create"}, workers("1")), 180);
  ASSERT_EQ(create.exit_code, 0) << create.out << create.err;
  ASSERT_TRUE(sandbox.control("POST", "/_sandbox/services/ec2/bootstrap-failures",
                              R"({"role": "worker", "count": 1, "output": "mount.nfs4: Connection timed out"})"));
  auto resize = cli(with({"resize"}, workers("2")), 180);
  EXPECT_EQ(resize.exit_code, 1) << resize.out << resize.err;
  std::printf("%s", resize.err.c_str());
  EXPECT_NE(resize.err.find("WorkerBootstrapFailed"), std::string::npos) << resize.err;
  EXPECT_NE(resize.err.find("the worker's bootstrap failed (instance i-"), std::string::npos) << resize.err;
  EXPECT_NE(resize.err.find("\n    mount.nfs4: Connection timed out\n"), std::string::npos) << resize.err;
  EXPECT_NE(resize.err.find("aws ec2 get-console-output --instance-id i-"), std::string::npos) << resize.err;
  auto del = cli(with({"delete"}, flags), 180);
  ASSERT_EQ(del.exit_code, 0) << del.out << del.err;

  ASSERT_TRUE(sandbox.control("POST", "/_sandbox/services/ec2/bootstrap-failures",
                              R"({"role": "master", "count": 1, "output": "E: Unable to locate package nfs-common"})"));
  auto failed = cli(with({"create"}, workers("1")), 180);
  EXPECT_EQ(failed.exit_code, 1) << failed.out << failed.err;
  EXPECT_NE(failed.err.find("the master's bootstrap failed (instance i-"), std::string::npos) << failed.err;
  EXPECT_NE(failed.err.find("\n    E: Unable to locate package nfs-common\n"), std::string::npos) << failed.err;
  auto cleanup = cli(with({"delete"}, flags), 180);
  EXPECT_EQ(cleanup.exit_code, 0) << cleanup.out << cleanup.err;
}

// autostop (issue 16) on local nodes, with sandbox time (an idle period of seconds): bad
// durations exit 2 before any call; the instance role gets the autostop policy only while
// autostop is on; a cancelled watcher never scales; a running job (run --detach) keeps the
// cluster from stopping, and once it is stopped the watcher scales the workers to zero through
// the sandbox's endpoint with the node's own AWS CLI; status shows the setting and idle time.
TEST_F(ClusterCliTest, AutostopScalesAnIdleClusterToZeroWorkers) {
  AWSDL_REQUIRE_SSH_NODES();
  const auto& info = ssh_nodes();
  std::string addresses;
  for (const auto& n : info.nodes) addresses += (addresses.empty() ? "\"" : ",\"") + n.address + "\"";
  ASSERT_TRUE(sandbox.control("POST", "/_sandbox/services/ec2/nodes", "{\"addresses\": [" + addresses + "]}"));
  std::ifstream pub_in(info.key + ".pub");
  std::string pub((std::istreambuf_iterator<char>(pub_in)), std::istreambuf_iterator<char>());
  ASSERT_TRUE(ec2::Ec2Client(sandbox.config()).import_key_pair("clitest", pub));
  const auto flags = cluster_flags("idlecluster", info.key);

  const std::size_t before = requests_made();
  for (const char* bad : {"0", "abc", "-5m", "10x", "1h30"}) {
    auto r = cli(with({"autostop", "--idle", bad}, flags));
    EXPECT_EQ(r.exit_code, 2) << bad << ": " << r.out << r.err;
    EXPECT_NE(r.err.find("--idle"), std::string::npos) << r.err;
  }
  auto no_idle = cli(with({"autostop"}, flags));
  EXPECT_EQ(no_idle.exit_code, 2) << no_idle.err;
  auto both = cli(with({"autostop", "--cancel", "--idle", "30m"}, flags));
  EXPECT_EQ(both.exit_code, 2) << both.err;
  EXPECT_EQ(requests_made(), before) << requests_seen();

  auto create = cli(with({"create", "--poll-interval", "0.2"}, flags), 180);
  ASSERT_EQ(create.exit_code, 0) << create.out << create.err;
  cloudformation::CloudFormationClient cfn(sandbox.config());
  autoscaling::AutoScalingClient asg(sandbox.config());
  auto has_policy = [&](const std::string& logical_id) {
    auto rs = cfn.describe_stack_resources("idlecluster");
    EXPECT_TRUE(rs.ok()) << rs.error().to_string();
    bool found = false;
    if (rs.ok())
      for (const auto& r : *rs) found = found || r.logical_id == logical_id;
    return found;
  };
  auto desired = [&] {
    auto groups = asg.describe_groups({.filters = {{"tag:awsdl:cluster", {"idlecluster"}}}});
    EXPECT_TRUE(groups.ok()) << groups.error().to_string();
    int workers = -1;
    if (groups.ok())
      for (const auto& g : *groups)
        if (g.name.find("workers") != std::string::npos) workers = g.desired_capacity;
    return workers;
  };
  EXPECT_FALSE(has_policy("AutostopScalePolicy")) << "no autostop permission unless asked";
  EXPECT_FALSE(has_policy("AutostopDeletePolicy"));
  // The node's AWS CLI reaches the sandbox (the endpoint goes with the watcher) with the
  // example keys given here (on EC2 the instance role's).
  const std::vector<std::string> watcher_env = {
      "--env", std::string("AWS_ACCESS_KEY_ID=") + Sandbox::kAccessKeyId,
      "--env", std::string("AWS_SECRET_ACCESS_KEY=") + Sandbox::kSecretAccessKey,
      "--poll-interval", "0.2"};

  // Cancelled: nothing is scaled, and the permission goes again.
  // The idle period is long enough that the --cancel below stops the watcher before it acts,
  // even on a loaded machine; the wait after it is longer than the period.
  auto on = cli(with(with({"autostop", "--idle", "5", "--interval", "1"}, flags), watcher_env), 120);
  ASSERT_EQ(on.exit_code, 0) << on.out << on.err;
  EXPECT_NE(on.out.find("autostop of cluster idlecluster: scale the workers to zero after 5s idle"), std::string::npos)
      << on.out;
  EXPECT_TRUE(has_policy("AutostopScalePolicy"));
  EXPECT_FALSE(has_policy("AutostopDeletePolicy"));
  auto json = cli(with({"status", "--output", "json"}, flags));
  EXPECT_NE(json.out.find("\"autostop\":\"scale\""), std::string::npos) << json.out;
  auto cancel = cli(with({"autostop", "--cancel", "--poll-interval", "0.2"}, flags), 120);
  ASSERT_EQ(cancel.exit_code, 0) << cancel.out << cancel.err;
  EXPECT_NE(cancel.out.find("the watcher was stopped"), std::string::npos) << cancel.out;
  EXPECT_FALSE(has_policy("AutostopScalePolicy"));
  std::this_thread::sleep_for(std::chrono::seconds(7));
  EXPECT_EQ(desired(), 2) << "a cancelled watcher scaled the workers";
  auto quiet = cli(with({"status"}, flags));
  EXPECT_EQ(quiet.out.find("autostop:"), std::string::npos) << quiet.out;

  // A running job keeps it from stopping.
  const std::string rsh = "-i " + info.key + " -o BatchMode=yes -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile=" +
                          (tmp / "mpi_known_hosts").string() + " -o LogLevel=ERROR";
  const std::vector<std::string> mpi = {"--no-horovod", "--tcp-include", "lo", "--rsh-args", rsh,
                                        "--mca", "plm_rsh_no_tree_spawn=1", "--mca", "btl=self,tcp"};
  auto job = cli(with(with({"run", "--detach"}, flags), with(mpi, {"--", "/bin/sleep", "300"})), 60);
  ASSERT_EQ(job.exit_code, 0) << job.out << job.err;
  auto watching = cli(with(with({"autostop", "--idle", "3", "--interval", "1"}, flags), watcher_env), 120);
  ASSERT_EQ(watching.exit_code, 0) << watching.out << watching.err;
  std::printf("%s", watching.out.c_str());
  std::this_thread::sleep_for(std::chrono::seconds(6));
  EXPECT_EQ(desired(), 2) << "the watcher scaled the workers while a job ran";
  auto busy = cli(with({"status"}, flags));
  ASSERT_EQ(busy.exit_code, 0) << busy.out << busy.err;
  std::printf("%s", busy.out.c_str());
  EXPECT_NE(busy.out.find("autostop: scale the workers to zero after 3s idle; idle 0s so far"), std::string::npos)
      << busy.out;
  EXPECT_NE(busy.out.find("jobs running 1"), std::string::npos) << busy.out;

  // The job stopped (stop leaves the watcher alone): idle from then on, scaled after 3 s.
  const auto stopped_at = std::chrono::steady_clock::now();
  auto stop = cli(with({"stop", "--grace", "2"}, flags), 60);
  ASSERT_EQ(stop.exit_code, 0) << stop.out << stop.err;
  int workers = desired();
  while (workers != 0 && std::chrono::steady_clock::now() - stopped_at < std::chrono::seconds(30)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    workers = desired();
  }
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - stopped_at).count();
  std::printf("autostop: workers at zero %.1f s after stop began (idle 3 s, checks every 1 s)\n", took);
  ASSERT_EQ(workers, 0) << "the watcher did not scale the workers to zero";
  // The last check that saw the job was at most one interval before `stop`, and times are whole seconds.
  EXPECT_GE(took, 1.0) << "scaled before the idle period";
  // The watcher writes its outcome right after the call that scaled the group.
  auto done = cli(with({"status"}, flags));
  for (int i = 0; i < 20 && done.out.find("autostop: done") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    done = cli(with({"status"}, flags));
  }
  ASSERT_EQ(done.exit_code, 0) << done.out << done.err;
  std::printf("%s", done.out.c_str());
  EXPECT_NE(done.out.find("autostop: done after 3s idle: worker group idlecluster-workers scaled to zero"),
            std::string::npos) << done.out;

  auto cancel2 = cli(with({"autostop", "--cancel", "--poll-interval", "0.2"}, flags), 120);
  EXPECT_EQ(cancel2.exit_code, 0) << cancel2.out << cancel2.err;
  auto del = cli(with({"delete", "--yes", "--poll-interval", "0.2"}, flags), 180);
  ASSERT_EQ(del.exit_code, 0) << del.out << del.err;
}

}  // namespace

namespace {

// Ctrl-C while create waits: with --yes the half-made stack is deleted and nothing is left.
TEST_F(ClusterCliTest, InterruptedCreateRollsBackWithYes) {
  ASSERT_TRUE(ec2::Ec2Client(sandbox.config()).import_key_pair("clitest", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGf0cmlwbGUtYS1rZXktZm9yLXRlc3RzLW9ubHk= cli"));
  ASSERT_TRUE(sandbox.control("POST", "/_sandbox/services/cloudformation/config", R"({"transition_seconds": 1.0})"));
  auto args = with({"create", "--yes", "--poll-interval", "0.2", "--endpoint-url", sandbox.endpoint()}, cluster_flags("intcluster", key));
  bool sent = false;
  auto r = testsupport::run_process(kBinary, args, env(), std::chrono::seconds(120),
                                    [&sent](pid_t pid, const std::string& out, const std::string&) {
                                      if (!sent && out.find("CREATE_IN_PROGRESS") != std::string::npos) {
                                        sent = true;
                                        ::kill(pid, SIGINT);
                                      }
                                    });
  ASSERT_TRUE(sent) << "create showed no progress: " << r.out << r.err;
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("interrupted"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("deleted intcluster"), std::string::npos) << r.err;
  auto status = cli(with({"status"}, cluster_flags("intcluster", key)));
  EXPECT_EQ(status.exit_code, 1) << status.out;
  auto groups = autoscaling::AutoScalingClient(sandbox.config()).describe_groups({});
  ASSERT_TRUE(groups.ok());
  EXPECT_TRUE(groups->empty());
}

}  // namespace
