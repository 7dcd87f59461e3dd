// awsdl-vm run as a program against the sandbox, whose EC2 instances are backed by real local
// sshd nodes: launch -> status -> install-deps -> run -> terminate; `all`, also when a setup
// command fails and when interrupted with Ctrl-C; a detached run that terminate stops first;
// the terminal prompt of terminate; waiting for SSH on a booting instance; bad configs and
// flags that exit 2 before any request reaches the sandbox.
//
// The "remote" commands run on this machine as the test user: they only ever write inside the
// temporary directory the test made (and removes).

#include <fcntl.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "awsdl/ec2/ec2.hpp"
#include "awsdl/ssh/quote.hpp"
#include "support/run_process.hpp"
#include "support/sandbox.hpp"
#include "support/ssh_nodes.hpp"

namespace {

namespace fs = std::filesystem;
using awsdl::testsupport::Sandbox;
using awsdl_test::ssh_nodes;

[[maybe_unused]] auto* const kNodes = ::testing::AddGlobalTestEnvironment(new awsdl_test::SshNodesEnvironment(3, 0));

const std::string kBinary = std::string(AWSDL_BINARY_DIR) + "/examples/vm/awsdl-vm";
// The newest of the sandbox's "Deep Learning AMI (Ubuntu 18.04) Version *" images.
const std::string kNewestDlami = "ami-0d1a000000000003c";

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// 1-based number of the first line holding `text`.
int line_of(const std::string& file_text, const std::string& text) {
  std::istringstream in(file_text);
  std::string line;
  for (int n = 1; std::getline(in, line); ++n)
    if (contains(line, text)) return n;
  return 0;
}

bool process_alive(int pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string s;
  if (!std::getline(stat, s)) return false;
  auto close = s.rfind(')');
  return close != std::string::npos && close + 2 < s.size() && s[close + 2] != 'Z';
}

class VmCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    AWSDL_REQUIRE_SSH_NODES();
    ASSERT_TRUE(sandbox.ok()) << sandbox.error();
    ASSERT_TRUE(fs::exists(kBinary)) << kBinary << " is not built";
    std::string templ = (fs::temp_directory_path() / "awsdl-vm-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(templ.data()), nullptr);
    dir = templ;
    name = "vmtest-" + std::to_string(std::random_device{}() % 1000000);

    ASSERT_TRUE(sandbox.reset());
    // The delay outlives reset(): put back what the next test expects.
    auto before = sandbox.control("POST", "/_sandbox/services/ec2/config", "{}");
    ASSERT_TRUE(before) << before.error().to_string();
    saved_ec2_config = *before;
    ASSERT_TRUE(sandbox.control("POST", "/_sandbox/services/ec2/config", R"({"transition_seconds":0.05})"));
    std::string addresses;
    for (const auto& n : ssh_nodes().nodes) {
      addresses += (addresses.empty() ? "\"" : ",\"") + n.address + "\"";
      node_addresses.insert(n.address);
    }
    auto pool = sandbox.control("POST", "/_sandbox/services/ec2/nodes", "{\"addresses\":[" + addresses + "]}");
    ASSERT_TRUE(pool) << pool.error().to_string();
    std::string pub = read_text(ssh_nodes().key + ".pub");
    ASSERT_FALSE(pub.empty());
    auto imported = ec2.import_key_pair(name + "-key", pub);
    ASSERT_TRUE(imported) << imported.error().to_string();
    config_text = base_config();
    write_config(config_text);
  }

  void TearDown() override {
    if (!dir.empty()) {
      // Whatever a failed test left behind: a detached run, instances.
      for (const char* f : {"pid", "pid-0", "pid-1"}) {
        int pid = std::atoi(read_text(dir / f).c_str());
        if (pid > 1 && process_alive(pid)) ::kill(pid, SIGKILL);
      }
      if (sandbox.ok() && !live_instances().empty()) (void)cli({"terminate", "--yes"});
      if (sandbox.ok()) (void)sandbox.control("POST", "/_sandbox/services/ec2/nodes", R"({"addresses":[]})");
      if (sandbox.ok() && !saved_ec2_config.empty())
        (void)sandbox.control("POST", "/_sandbox/services/ec2/config", saved_ec2_config);
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  }

  std::string base_config() const {
    const std::string d = dir.string();
    return "# awsdl-vm test deployment\n"
           "[vm]\n"
           "name = " +
           name +
           "\n"
           "count = 2\n"
           "instance_type = t3.micro\n"
           "ami_name = Deep Learning AMI (Ubuntu 18.04) Version *\n"
           "key_name = " +
           name +
           "-key\n"
           "\n"
           "[ssh]\n"
           "user = root\n"
           "key_path = " +
           ssh_nodes().key +
           "\n"
           "known_hosts = " +
           d +
           "/known_hosts\n"
           "connect_timeout = 10\n"
           "boot_timeout = 30\n"
           "\n"
           "[setup]\n"
           "command1 = mkdir -p " +
           d +
           "/out\n"
           "command2 = touch " +
           d +
           "/out/setup-$AWSDL_VM_INSTANCE_ID\n"
           "\n"
           "[run]\n"
           "command = echo \"hello from $AWSDL_VM_INDEX of $AWSDL_VM_COUNT\"; touch " +
           d +
           "/out/run-$AWSDL_VM_INSTANCE_ID\n"
           "log_dir = " +
           d +
           "/logs\n"
           "timeout = 60\n";
  }

  // `text` with the line holding `old` replaced by `now` (or `now` appended when `old` is empty).
  static std::string edited(std::string text, const std::string& old, const std::string& now) {
    if (old.empty()) return text + now + "\n";
    auto at = text.find(old);
    if (at == std::string::npos) return text;
    auto start = text.rfind('\n', at);
    start = start == std::string::npos ? 0 : start + 1;
    auto end = text.find('\n', at);
    return text.substr(0, start) + now + text.substr(end);
  }

  void write_config(const std::string& text) const { std::ofstream(config_path()) << text; }
  fs::path config_path() const { return dir / "vm.ini"; }

  // Nothing from the test's own environment leaks in: no ~/.aws, no IMDS, HOME is ours.
  std::map<std::string, std::string> env() const { return Sandbox::cli_env(dir.string()); }

  awsdl::testsupport::ProcessResult cli(std::vector<std::string> args, bool with_config = true) const {
    if (with_config && !args.empty() && args[0] != "--help") {
      args.insert(args.begin() + 1, {"--config", config_path().string()});
    }
    args.insert(args.end(), {"--endpoint-url", sandbox.endpoint(), "--poll-interval", "0.1"});
    return awsdl::testsupport::run_process(kBinary, args, env(), std::chrono::seconds(120));
  }

  std::vector<awsdl::ec2::Instance> tagged(bool live_only) const {
    awsdl::ec2::DescribeInstancesRequest req;
    req.filters.push_back({"tag:awsdl:vm", {name}});
    auto found = ec2.list_instances(req);
    EXPECT_TRUE(found) << found.error().to_string();
    std::vector<awsdl::ec2::Instance> out;
    if (found)
      for (auto& i : *found)
        if (!live_only || i.state != "terminated") out.push_back(i);
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.instance_id < b.instance_id; });
    return out;
  }
  std::vector<awsdl::ec2::Instance> live_instances() const { return tagged(true); }

  std::int64_t last_request_id() const {
    auto log = sandbox.requests();
    EXPECT_TRUE(log) << log.error().to_string();
    return log && !log->empty() ? log->back().id : 0;
  }

  Sandbox sandbox;
  awsdl::ec2::Ec2Client ec2{sandbox.config()};
  fs::path dir;
  std::string name;
  std::string config_text;
  std::set<std::string> node_addresses;
  std::string saved_ec2_config;  // {"transition_seconds": ...} as found
};

TEST_F(VmCliTest, LaunchStatusInstallRunTerminate) {
  auto launched = cli({"launch"});
  ASSERT_EQ(launched.exit_code, 0) << launched.out << launched.err;
  EXPECT_TRUE(contains(launched.out, "launched 2 instance(s) of " + name)) << launched.out;
  EXPECT_TRUE(contains(launched.err, "image " + kNewestDlami)) << launched.err;  // newest matching name
  EXPECT_TRUE(contains(launched.err, "waiting for running")) << launched.err;    // progress lines
  auto instances = live_instances();
  ASSERT_EQ(instances.size(), 2u);
  for (const auto& i : instances) {
    EXPECT_TRUE(contains(launched.out, i.instance_id)) << launched.out;
    EXPECT_TRUE(contains(launched.out, i.private_ip)) << launched.out;
    EXPECT_EQ(node_addresses.count(i.private_ip), 1u) << i.private_ip;
    EXPECT_EQ(i.tag("Name"), "awsdl-vm-" + name);
    EXPECT_EQ(i.key_name, name + "-key");
  }
  // One RunInstances with an idempotency token, shared by the reservation.
  ASSERT_FALSE(instances[0].client_token.empty());
  EXPECT_EQ(instances[0].client_token, instances[1].client_token);

  // A second launch of the same deployment refuses instead of doubling it.
  auto again = cli({"launch"});
  EXPECT_EQ(again.exit_code, 1) << again.err;
  EXPECT_TRUE(contains(again.err, "already has 2 instance(s)")) << again.err;
  EXPECT_EQ(live_instances().size(), 2u);

  auto status = cli({"status", "--output", "json"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  rapidjson::Document doc;
  doc.Parse(status.out.c_str());
  ASSERT_FALSE(doc.HasParseError()) << status.out;
  EXPECT_EQ(std::string(doc["name"].GetString()), name);
  EXPECT_EQ(doc["live"].GetInt(), 2);
  ASSERT_EQ(doc["instances"].Size(), 2u);
  for (const auto& i : doc["instances"].GetArray()) {
    EXPECT_EQ(std::string(i["state"].GetString()), "running");
    EXPECT_EQ(std::string(i["image_id"].GetString()), kNewestDlami);
    EXPECT_EQ(std::string(i["instance_type"].GetString()), "t3.micro");
    EXPECT_EQ(node_addresses.count(i["address"].GetString()), 1u);
    EXPECT_TRUE(i["run"].IsNull());
  }

  auto setup = cli({"install-deps"});
  ASSERT_EQ(setup.exit_code, 0) << setup.out << setup.err;
  EXPECT_TRUE(contains(setup.out, "install-deps: 2 of 2 host(s) ok")) << setup.out;
  for (const auto& i : instances) {
    EXPECT_TRUE(fs::exists(dir / "out" / ("setup-" + i.instance_id))) << i.instance_id;
    EXPECT_TRUE(contains(setup.out, i.private_ip + ": $ mkdir -p")) << setup.out;
  }

  auto run = cli({"run"});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_TRUE(contains(run.out, instances[0].private_ip + ": hello from 0 of 2")) << run.out;
  EXPECT_TRUE(contains(run.out, instances[1].private_ip + ": hello from 1 of 2")) << run.out;
  EXPECT_TRUE(contains(run.out, "run: 2 of 2 host(s) exited 0")) << run.out;
  for (const auto& i : instances) {
    EXPECT_TRUE(fs::exists(dir / "out" / ("run-" + i.instance_id))) << i.instance_id;
    EXPECT_EQ(read_text(dir / "logs" / ("awsdl-vm-" + name + "-" + i.instance_id + ".log.exit")), "0\n");
  }
  // The run's process group is recorded on each instance.
  for (const auto& i : live_instances()) EXPECT_FALSE(i.tag("awsdl:vm-job").empty()) << i.instance_id;

  auto text_status = cli({"status"});
  ASSERT_EQ(text_status.exit_code, 0) << text_status.err;
  EXPECT_TRUE(contains(text_status.out, "2 live instance(s)")) << text_status.out;

  auto gone = cli({"terminate", "--yes"});
  ASSERT_EQ(gone.exit_code, 0) << gone.out << gone.err;
  EXPECT_TRUE(contains(gone.out, "terminated 2 instance(s)")) << gone.out;
  EXPECT_TRUE(contains(gone.err, "waiting for terminated")) << gone.err;
  EXPECT_TRUE(live_instances().empty());
  auto all = tagged(false);
  ASSERT_EQ(all.size(), 2u);
  for (const auto& i : all) EXPECT_EQ(i.state, "terminated");

  auto nothing = cli({"terminate", "--yes"});
  EXPECT_EQ(nothing.exit_code, 0) << nothing.err;
  EXPECT_TRUE(contains(nothing.out, "nothing to terminate")) << nothing.out;
}

TEST_F(VmCliTest, TerminateStopsADetachedRunFirst) {
  // --count overrides the file.
  auto launched = cli({"launch", "--count", "1"});
  ASSERT_EQ(launched.exit_code, 0) << launched.out << launched.err;
  auto instances = live_instances();
  ASSERT_EQ(instances.size(), 1u);

  // Its own shell, so that $$ is the pid of the sleep it becomes (in the run's subshell $$
  // would name the wrapper).
  const std::string pid_file = (dir / "pid").string();
  auto started = cli({"run", "--detach", "--run-command", "sh -c 'echo $$ > " + pid_file + "; exec sleep 300'"});
  ASSERT_EQ(started.exit_code, 0) << started.out << started.err;
  EXPECT_TRUE(contains(started.out, "run started on 1 host(s)")) << started.out;
  int pid = 0;
  for (int i = 0; i < 100 && pid == 0; ++i) {
    pid = std::atoi(read_text(pid_file).c_str());
    if (pid == 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_GT(pid, 1);
  EXPECT_TRUE(process_alive(pid));

  // A second run while the first goes on would fight over the instance.
  auto second = cli({"run"});
  EXPECT_EQ(second.exit_code, 1) << second.err;
  EXPECT_TRUE(contains(second.err, "a run is still going")) << second.err;

  auto gone = cli({"terminate", "--yes", "--grace", "2"});
  ASSERT_EQ(gone.exit_code, 0) << gone.out << gone.err;
  EXPECT_TRUE(contains(gone.err, "stopped the run on " + instances[0].instance_id)) << gone.err;
  bool stopped = false;
  for (int i = 0; i < 100 && !stopped; ++i) {
    stopped = !process_alive(pid);
    if (!stopped) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(stopped) << "pid " << pid << " still runs";
  EXPECT_TRUE(live_instances().empty());
}

TEST_F(VmCliTest, TerminateAsksOnATerminal) {
  if (!fs::exists("/usr/bin/script")) GTEST_SKIP() << "script(1) is needed for a terminal";
  auto launched = cli({"launch", "--count", "1"});
  ASSERT_EQ(launched.exit_code, 0) << launched.out << launched.err;
  // script(1) gives the program a terminal, whose input is the answer.
  auto answer = [&](const std::string& reply) {
    std::string line = awsdl::ssh::shell_join({kBinary, "terminate", "--config", config_path().string(),
                                               "--endpoint-url", sandbox.endpoint(), "--poll-interval", "0.1"});
    return awsdl::testsupport::run_process(
        "/bin/sh", {"-c", "echo " + reply + " | /usr/bin/script -qec " + awsdl::ssh::shell_quote(line) + " /dev/null"},
        env());
  };
  auto no = answer("n");
  EXPECT_EQ(no.exit_code, 1) << no.out << no.err;
  EXPECT_TRUE(contains(no.out, "terminate 1 instance(s) of " + name)) << no.out;
  EXPECT_TRUE(contains(no.out, "not terminated")) << no.out;
  EXPECT_EQ(live_instances().size(), 1u);
  auto yes = answer("y");
  EXPECT_EQ(yes.exit_code, 0) << yes.out << yes.err;
  EXPECT_TRUE(contains(yes.out, "terminated 1 instance(s)")) << yes.out;
  EXPECT_TRUE(live_instances().empty());
}

TEST_F(VmCliTest, InstallDepsWaitsForSshThenNamesTheHostItNeverReached) {
  // An instance whose address refuses connections, as a booting instance does.
  const std::string down = ssh_nodes().down_address;
  ASSERT_TRUE(sandbox.control("POST", "/_sandbox/services/ec2/nodes", "{\"addresses\":[\"" + down + "\"]}"));
  auto launched = cli({"launch", "--count", "1"});
  ASSERT_EQ(launched.exit_code, 0) << launched.out << launched.err;
  auto instances = live_instances();
  ASSERT_EQ(instances.size(), 1u);
  ASSERT_EQ(instances[0].private_ip, down);

  const auto t0 = std::chrono::steady_clock::now();
  auto setup = cli({"install-deps", "--boot-timeout", "3"});
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(setup.exit_code, 1) << setup.out << setup.err;
  const std::string label = instances[0].instance_id + " (" + down + ")";
  EXPECT_TRUE(contains(setup.err, "waiting for SSH on " + label)) << setup.err;
  EXPECT_TRUE(contains(setup.err, "no SSH on " + label + " within the boot timeout (3 s")) << setup.err;
  EXPECT_LT(took, std::chrono::seconds(20));
  EXPECT_FALSE(fs::exists(dir / "out"));
}

TEST_F(VmCliTest, AllRunsEveryStepAndTerminates) {
  // The other way to list setup commands: one key, one command per indented line.
  const std::string d = dir.string();
  write_config(edited(edited(config_text, "command1 =",
                             "commands =\n    mkdir -p " + d +
                                 "/out\n"
                                 "    # a comment line inside the list\n"
                                 "    touch " +
                                 d + "/out/setup-$AWSDL_VM_INSTANCE_ID"),
                      "command2 =", ""));
  // The run also prints a byte that is not UTF-8: the JSON must stay valid.
  auto all = cli({"all", "--output", "json", "--run-command",
                  "echo \"hello from $AWSDL_VM_INDEX of $AWSDL_VM_COUNT\"; printf 'caf\\351\\n'; touch " + d +
                      "/out/run-$AWSDL_VM_INSTANCE_ID"});
  ASSERT_EQ(all.exit_code, 0) << all.out << all.err;
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseValidateEncodingFlag>(all.out.c_str());
  ASSERT_FALSE(doc.HasParseError()) << all.out;
  EXPECT_TRUE(doc["ok"].GetBool());
  EXPECT_TRUE(doc["failed_step"].IsNull());
  const auto& steps = doc["steps"];
  for (const char* s : {"launch", "install-deps", "run", "terminate"}) ASSERT_TRUE(steps.HasMember(s)) << s;
  ASSERT_EQ(steps["launch"]["instances"].Size(), 2u);
  EXPECT_EQ(steps["terminate"]["terminated"].Size(), 2u);
  std::set<std::string> outputs;
  for (const auto& h : steps["run"]["hosts"].GetArray()) {
    EXPECT_EQ(h["exit_status"].GetInt(), 0);
    outputs.insert(h["output"].GetString());
  }
  EXPECT_EQ(outputs,
            (std::set<std::string>{"hello from 0 of 2\ncaf\xEF\xBF\xBD\n", "hello from 1 of 2\ncaf\xEF\xBF\xBD\n"}));
  for (const auto& i : steps["launch"]["instances"].GetArray()) {
    std::string id = i["instance_id"].GetString();
    EXPECT_TRUE(fs::exists(dir / "out" / ("setup-" + id))) << id;
    EXPECT_TRUE(fs::exists(dir / "out" / ("run-" + id))) << id;
  }
  EXPECT_TRUE(live_instances().empty());
}

TEST_F(VmCliTest, AFailingSetupCommandNamesTheHostAndAllStillTerminates) {
  const std::string d = dir.string();
  write_config(edited(config_text, "command2 =",
                      "command2 = test \"$AWSDL_VM_INDEX\" != 1 || { echo broken >&2; exit 3; }\n"
                      "command3 = touch " +
                          d + "/out/after-$AWSDL_VM_INSTANCE_ID"));
  auto all = cli({"all"});
  EXPECT_EQ(all.exit_code, 1) << all.out << all.err;
  auto instances = tagged(false);
  ASSERT_EQ(instances.size(), 2u);
  const auto& bad = instances[1];  // AWSDL_VM_INDEX follows the instance id order
  EXPECT_TRUE(contains(all.err, "install-deps failed on 1 of 2 host(s)")) << all.err;
  EXPECT_TRUE(contains(all.err, bad.instance_id + " (" + bad.private_ip + "): command 2 of 3")) << all.err;
  EXPECT_TRUE(contains(all.err, "exited with status 3")) << all.err;
  EXPECT_TRUE(contains(all.err, bad.private_ip + ": broken")) << all.err;  // its stderr, prefixed
  EXPECT_TRUE(contains(all.out, "all: failed at install-deps")) << all.out;
  EXPECT_TRUE(fs::exists(dir / "out" / ("after-" + instances[0].instance_id)));
  EXPECT_FALSE(fs::exists(dir / "out" / ("after-" + bad.instance_id)));
  EXPECT_FALSE(fs::exists(dir / "out" / ("run-" + instances[0].instance_id)));  // run never started
  for (const auto& i : instances) EXPECT_EQ(i.state, "terminated") << i.instance_id;
}

TEST_F(VmCliTest, InterruptingAllStillTerminates) {
  const std::string d = dir.string();
  // Started in the background so that the test can press Ctrl-C (SIGINT) while `run` follows.
  std::vector<std::string> args = {
      kBinary,           "all",
      "--config",        config_path().string(),
      "--endpoint-url",  sandbox.endpoint(),
      "--poll-interval", "0.1",
      "--grace",         "2",
      "--run-command",   "sh -c 'echo $$ > " + d + "/pid-$AWSDL_VM_INDEX; exec sleep 120'"};
  std::vector<std::string> env_s;
  for (const auto& [k, v] : env()) env_s.push_back(k + "=" + v);
  std::vector<char*> argv, envp;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : env_s) envp.push_back(e.data());
  envp.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, (d + "/all.out").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, (d + "/all.err").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, kBinary.c_str(), &fa, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  ASSERT_EQ(rc, 0);

  // Both runs started (each wrote its pid), then Ctrl-C.
  std::vector<int> pids;
  for (int i = 0; i < 600 && pids.size() < 2; ++i) {
    pids.clear();
    for (const char* f : {"pid-0", "pid-1"}) {
      int p = std::atoi(read_text(dir / f).c_str());
      if (p > 1) pids.push_back(p);
    }
    if (pids.size() < 2) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::kill(pid, SIGINT);
  int status = 0;
  bool exited = false;
  for (int i = 0; i < 1200 && !exited; ++i) {
    exited = ::waitpid(pid, &status, WNOHANG) == pid;
    if (!exited) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (!exited) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
  }
  const std::string out = read_text(dir / "all.out"), err = read_text(dir / "all.err");
  ASSERT_TRUE(exited) << "awsdl-vm all did not end after SIGINT\n" << out << err;
  ASSERT_EQ(pids.size(), 2u) << out << err;
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) << status << "\n" << out << err;
  EXPECT_TRUE(contains(err, "run interrupted")) << err;
  EXPECT_TRUE(contains(err, "== terminate (after run failed)")) << err;
  EXPECT_TRUE(contains(out, "all: failed at run")) << out;
  for (int p : pids) EXPECT_FALSE(process_alive(p)) << "run process " << p << " survived";
  EXPECT_TRUE(live_instances().empty());
  EXPECT_EQ(tagged(false).size(), 2u);
}

TEST_F(VmCliTest, BadConfigsAndFlagsExitTwoBeforeAnyRequest) {
  const std::string path = config_path().string();
  struct Case {
    std::string what;
    std::string config;  // written before the call
    std::vector<std::string> args;
    std::string expected;  // in stderr
  };
  auto at = [&](const std::string& text, const std::string& line) {
    return path + ":" + std::to_string(line_of(text, line)) + ": ";
  };
  std::vector<Case> cases;
  auto add_file_case = [&](std::string what, std::string text, std::string mark, std::string expected,
                           std::vector<std::string> args = {"launch"}) {
    std::string where = mark.empty() ? "" : at(text, mark);
    cases.push_back({std::move(what), std::move(text), std::move(args), where + expected});
  };
  add_file_case("unknown section", edited(config_text, "", "[extra]\nfoo = 1"), "[extra]", "unknown section [extra]");
  add_file_case("unknown key", edited(config_text, "count =", "colour = blue"), "colour",
                "unknown key 'colour' in [vm]");
  add_file_case("negative count", edited(config_text, "count =", "count = -1"), "count = -1",
                "[vm] count: must be a whole number from 1 to 1000, not '-1'");
  add_file_case("bad instance type", edited(config_text, "instance_type =", "instance_type = t3micro"), "t3micro",
                "[vm] instance_type: 't3micro' is not an instance type");
  add_file_case("bad subnet", edited(config_text, "count =", "count = 2\nsubnet = sub-123"),
                "subnet =", "[vm] subnet: 'sub-123' is not a subnet id");
  add_file_case("unreadable key file",
                edited(config_text, "key_path =", "key_path = " + (dir / "missing.pem").string()), "key_path",
                "[ssh] key_path: cannot read key file");
  add_file_case("not ini", edited(config_text, "", "this line is not ini"), "this line", "expected key = value");
  add_file_case("two images", edited(config_text, "count =", "count = 2\nami_id = ami-0d1a000000000001a"), "",
                "are both set: give one image");
  add_file_case("missing [vm]", "[ssh]\nuser = root\n", "", path + ": no [vm] section");
  add_file_case("missing instance type", edited(config_text, "instance_type =", ""), "",
                path + ": [vm] instance_type is required (or --instance-type)");
  add_file_case("no setup commands", edited(edited(config_text, "command1 =", ""), "command2 =", ""), "",
                "[setup] command1 is required", {"install-deps"});
  add_file_case(
      "credentials in the file",
      edited(config_text, "count =", "count = 2\naws_secret_access_key = " + std::string(Sandbox::kSecretAccessKey)),
      "aws_secret_access_key", "[vm] aws_secret_access_key: credentials do not belong in the config file");
  cases.push_back(
      {"credentials in a flag",
       config_text,
       {"run", "--run-command", "AWS_SECRET_ACCESS_KEY=" + std::string(Sandbox::kSecretAccessKey) + " python3 x.py"},
       "--run-command: credentials do not belong"});
  add_file_case("credentials sent to the instances",
                edited(config_text, "command2 =",
                       "command2 = export AWS_SECRET_ACCESS_KEY=" + std::string(Sandbox::kSecretAccessKey)),
                "command2 =", "[setup] command2: credentials do not belong in the config file or on the instances");
  add_file_case("access key id in a command", edited(config_text, "command2 =", "command2 = echo AKIAIOSFODNN7EXAMPLE"),
                "command2 =", "[setup] command2: credentials do not belong");
  add_file_case("bad run timeout", edited(config_text, "timeout = 60", "timeout = soon"), "timeout = soon",
                "[run] timeout: must be a whole number");
  // Flags: the file is fine.
  auto flag_case = [&](std::string what, std::vector<std::string> args, std::string expected) {
    cases.push_back({std::move(what), config_text, std::move(args), std::move(expected)});
  };
  flag_case("bad count flag", {"launch", "--count", "abc"}, "--count: must be a whole number");
  flag_case("unknown flag", {"status", "--bogus"}, "unknown flag --bogus");
  flag_case("bad output", {"status", "--output", "yaml"}, "--output must be text or json");
  flag_case("bad wait timeout", {"launch", "--wait-timeout", "0"}, "--wait-timeout: must be a number of seconds");
  flag_case("bad region", {"status", "--region", "Not_A_Region"}, "--region: 'Not_A_Region' is not a region name");
  flag_case("bad ami flag", {"launch", "--ami-id", "ami-xyz"}, "--ami-id: 'ami-xyz' is not an image id");
  flag_case("positional", {"status", "extra"}, "unexpected argument 'extra'");
  flag_case("terminate without --yes", {"terminate"}, "pass --yes");
  flag_case("missing config file", {"status", "--config", (dir / "nope.ini").string()}, "cannot read config file");

  const auto before = last_request_id();
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    write_config(c.config);
    auto r = cli(c.args, c.what != "missing config file");
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_TRUE(contains(r.err, "error: ")) << r.err;
    EXPECT_TRUE(contains(r.err, c.expected)) << "expected: " << c.expected << "\nstderr: " << r.err;
    EXPECT_FALSE(contains(r.err + r.out, Sandbox::kSecretAccessKey)) << "a secret was echoed";
  }
  auto log = sandbox.requests(before);
  ASSERT_TRUE(log) << log.error().to_string();
  for (const auto& req : *log) ADD_FAILURE() << "request made: " << req.service << " " << req.operation;

  auto unknown = awsdl::testsupport::run_process(kBinary, {"frobnicate"}, env());
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_TRUE(contains(unknown.err, "unknown command 'frobnicate'")) << unknown.err;
  auto bare = awsdl::testsupport::run_process(kBinary, {}, env());
  EXPECT_EQ(bare.exit_code, 2);
}

TEST_F(VmCliTest, TheShippedExampleConfigIsValid) {
  const std::string example = std::string(AWSDL_SOURCE_DIR) + "/examples/vm/vm.ini";
  auto r = cli({"status", "--config", example}, false);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(contains(r.out, "no instance carries awsdl:vm=resnet-sweep")) << r.out;
}

TEST_F(VmCliTest, HelpOnEveryCommandHasExamples) {
  auto top = awsdl::testsupport::run_process(kBinary, {"--help"}, env());
  EXPECT_EQ(top.exit_code, 0);
  // The commands in the order of the workflow (the programs' skeleton, examples/common/program.*).
  std::size_t last = 0;
  for (const char* cmd : {"\n  launch ", "\n  status ", "\n  install-deps ", "\n  run ", "\n  terminate ", "\n  all "}) {
    const std::size_t at = top.out.find(cmd);
    ASSERT_NE(at, std::string::npos) << cmd << " not in:\n" << top.out;
    EXPECT_GT(at, last) << cmd << " out of the workflow's order:\n" << top.out;
    last = at;
  }
  for (const char* cmd : {"launch", "status", "install-deps", "run", "terminate", "all"}) {
    SCOPED_TRACE(cmd);
    EXPECT_TRUE(contains(top.out, std::string("  ") + cmd)) << top.out;
    auto r = awsdl::testsupport::run_process(kBinary, {cmd, "--help"}, env());
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(contains(r.out, std::string("awsdl-vm ") + cmd)) << r.out;
    EXPECT_TRUE(contains(r.out, "Examples:")) << r.out;
    EXPECT_TRUE(contains(r.out, "--config FILE")) << r.out;
    EXPECT_TRUE(contains(r.out, "--endpoint-url")) << r.out;
  }
}

}  // namespace
