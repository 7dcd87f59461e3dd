// FanOut against 4 real sshd nodes, plus a node that is down and one that hangs.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "awsdl/cluster/health.hpp"
#include "awsdl/ssh/fanout.hpp"
#include "awsdl/ssh/fold.hpp"
#include "awsdl/ssh/quote.hpp"
#include "support/ssh_nodes.hpp"

namespace {

using namespace awsdl::ssh;
using awsdl::ErrorKind;
using awsdl_test::ssh_nodes;
namespace fs = std::filesystem;

[[maybe_unused]] auto* const kEnv =
    ::testing::AddGlobalTestEnvironment(new awsdl_test::SshNodesEnvironment(4, 0));

std::vector<std::string> node_hosts() {
  std::vector<std::string> h;
  for (const auto& n : ssh_nodes().nodes) h.push_back(n.address);
  return h;
}

FanOutOptions options() {
  FanOutOptions o;
  o.session.user = "root";
  o.session.identity_files = {ssh_nodes().key};
  o.session.use_agent = false;
  o.session.known_hosts = ssh_nodes().tmp + "/fanout_known_hosts";
  o.session.connect_timeout = std::chrono::seconds(20);
  return o;
}

// The address sshd accepted the connection on, as the remote shell sees it.
const char* kWhere = "echo \"$SSH_CONNECTION\" | cut -d' ' -f3";

TEST(SshFanOut, RunsEverywhereAndReusesSessions) {
  AWSDL_REQUIRE_SSH_NODES();
  FanOut fan(node_hosts(), options());
  EXPECT_EQ(fan.open_sessions(), 0u);  // no I/O before the first use
  auto r = fan.run(std::string(kWhere) + "; echo $PPID >&2");
  ASSERT_EQ(r.hosts.size(), 4u);
  EXPECT_TRUE(r.ok());
  std::map<std::string, std::string> first_parent;
  for (const auto& h : r.hosts) {
    ASSERT_TRUE(h.ok()) << h.host << ": " << (h.error ? h.error->to_string() : h.err);
    EXPECT_EQ(h.out, h.host + "\n");
    first_parent[h.host] = h.err;
  }
  EXPECT_EQ(fan.open_sessions(), 4u);
  // Same connection => same sshd session process => same parent of the remote shell.
  auto again = fan.run("echo $PPID");
  for (const auto& h : again.hosts) EXPECT_EQ(h.out, first_parent[h.host]) << h.host;

  auto o = options();
  o.keep_sessions = false;
  FanOut fresh(node_hosts(), o);
  auto a = fresh.run("echo $PPID"), b = fresh.run("echo $PPID");
  EXPECT_EQ(fresh.open_sessions(), 0u);
  for (std::size_t i = 0; i < 4; ++i) EXPECT_NE(a.hosts[i].out, b.hosts[i].out);
}

TEST(SshFanOut, PerHostOutcomes) {
  AWSDL_REQUIRE_SSH_NODES();
  auto hosts = node_hosts();
  hosts.push_back(ssh_nodes().down_address);
  hosts.push_back(ssh_nodes().hang_address);
  hosts.push_back("bad host name");
  auto o = options();
  o.session.connect_timeout = std::chrono::milliseconds(1500);
  FanOut fan(hosts, o);
  std::string second = ssh_nodes().nodes[1].address;
  RunOptions ro;
  ro.timeout = std::chrono::seconds(20);
  auto r = fan.run("if [ \"$(" + std::string(kWhere) + ")\" = " + second + " ]; then echo no >&2; exit 5; fi; echo yes", ro);
  ASSERT_EQ(r.hosts.size(), 7u);
  EXPECT_EQ(r.failed(), 4u);
  EXPECT_TRUE(r.hosts[0].ok());
  EXPECT_EQ(r.hosts[1].exit_status, 5);
  EXPECT_EQ(r.hosts[1].err, "no\n");
  EXPECT_FALSE(r.hosts[1].error);
  EXPECT_EQ(r.hosts[4].error->kind, ErrorKind::kNetwork);
  EXPECT_EQ(r.hosts[5].error->kind, ErrorKind::kTimeout);
  EXPECT_EQ(r.hosts[6].error->kind, ErrorKind::kInvalidArgument);
  EXPECT_LT(r.duration, std::chrono::seconds(15));

  auto groups = fold(r);
  ASSERT_GE(groups.size(), 4u);
  EXPECT_EQ(groups[0].output, "yes\n");
  EXPECT_EQ(groups[0].hosts, (std::vector<std::string>{hosts[0], hosts[2], hosts[3]}));
  std::string text = format_folded(groups);
  std::string prefix = hosts[0].substr(0, hosts[0].rfind('.') + 1);
  EXPECT_NE(text.find(prefix + "[1,3-4]\n"), std::string::npos) << text;
}

TEST(SshFanOut, StreamsLinesWithTheirHost) {
  AWSDL_REQUIRE_SSH_NODES();
  FanOut fan(node_hosts(), options());
  std::mutex mu;
  std::map<std::string, std::vector<std::string>> lines;
  std::atomic<int> concurrent{0}, max_concurrent{0};
  RunOptions ro;
  ro.on_line = [&](const std::string& host, Stream s, std::string_view line) {
    int now = ++concurrent;  // calls are serialized: never two at once
    max_concurrent = std::max(max_concurrent.load(), now);
    {
      std::lock_guard<std::mutex> lock(mu);
      lines[host].push_back((s == Stream::kStderr ? "E:" : "O:") + std::string(line));
    }
    --concurrent;
  };
  ro.capture = false;
  auto r = fan.run("printf 'a\\nb\\n'; sleep 0.1; printf 'c\\nlast-no-newline'; echo err >&2", ro);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(max_concurrent.load(), 1);
  ASSERT_EQ(lines.size(), 4u);
  for (auto& [host, l] : lines) {
    std::vector<std::string> out;
    for (auto& x : l)
      if (x[0] == 'O') out.push_back(x);
    EXPECT_EQ(out, (std::vector<std::string>{"O:a", "O:b", "O:c", "O:last-no-newline"})) << host;
    EXPECT_EQ(std::count(l.begin(), l.end(), "E:err"), 1) << host;
  }
  for (const auto& h : r.hosts) EXPECT_TRUE(h.out.empty());  // capture off
}

TEST(SshFanOut, ConcurrencyLimitAndFailFast) {
  AWSDL_REQUIRE_SSH_NODES();
  auto o = options();
  o.concurrency = 2;
  FanOut fan(node_hosts(), o);
  ASSERT_TRUE(fan.connect().ok());
  auto r = fan.run("sleep 0.6");
  EXPECT_TRUE(r.ok());
  EXPECT_GE(r.duration, std::chrono::milliseconds(1200));  // 4 hosts, 2 at a time

  o.concurrency = 1;
  FanOut serial(node_hosts(), o);
  RunOptions ro;
  ro.fail_fast = true;
  auto f = serial.run("exit 9", ro);
  EXPECT_EQ(f.hosts[0].exit_status, 9);
  for (std::size_t i = 1; i < 4; ++i) {
    ASSERT_TRUE(f.hosts[i].error) << i;
    EXPECT_EQ(f.hosts[i].error->code, "Skipped");
  }
  // Running hosts are cancelled too, not only those not started.
  o.concurrency = 4;
  FanOut wide(node_hosts(), o);
  auto t0 = std::chrono::steady_clock::now();
  std::string first = ssh_nodes().nodes[0].address;
  auto w = wide.run("if [ \"$(" + std::string(kWhere) + ")\" = " + first + " ]; then exit 1; fi; sleep 30", ro);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));
  EXPECT_EQ(w.hosts[0].exit_status, 1);
  for (std::size_t i = 1; i < 4; ++i) EXPECT_EQ(w.hosts[i].error->kind, ErrorKind::kCancelled) << i;
}

TEST(SshFanOut, CallerCancellation) {
  AWSDL_REQUIRE_SSH_NODES();
  FanOut fan(node_hosts(), options());
  awsdl::CancellationSource src;
  RunOptions ro;
  ro.cancel = src.token();
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    src.cancel();
  });
  auto r = fan.run("sleep 30", ro);
  canceller.join();
  EXPECT_LT(r.duration, std::chrono::seconds(10));
  for (const auto& h : r.hosts) EXPECT_EQ(h.error->kind, ErrorKind::kCancelled) << h.host;
  EXPECT_TRUE(fan.run("true").ok());  // the sessions survive a cancelled command
}

TEST(SshFanOut, JobsOnEveryHost) {
  AWSDL_REQUIRE_SSH_NODES();
  FanOut fan(node_hosts(), options());
  // The nodes share this machine's /tmp: logs go into the test's own directory.
  DetachOptions logs{.log_path = ssh_nodes().tmp + "/jobs-on-every-host.log"};
  auto jobs = fan.start("exec sleep 303", logs);
  std::vector<RemoteJob> started;
  for (auto& j : jobs) {
    ASSERT_TRUE(j.ok()) << j.error().to_string();
    started.push_back(*j);
  }
  EXPECT_EQ(started[2].host, node_hosts()[2]);
  auto one = fan.start_on(node_hosts()[0], "exec sleep 304", logs);
  ASSERT_TRUE(one.ok());
  auto stops = fan.stop(started, std::chrono::seconds(5));
  for (auto& s : stops) {
    ASSERT_TRUE(s.ok()) << s.error().to_string();
    EXPECT_EQ(s->processes, 1);
  }
  // The job on host 0 started separately is still there, then goes.
  auto left = fan.stop({*one}, std::chrono::seconds(5));
  ASSERT_TRUE(left[0].ok());
  EXPECT_EQ(left[0]->processes, 1);
  EXPECT_EQ(fan.start_on("not-a-host", "true").error().code, "UnknownHost");
}

TEST(SshFanOut, IdleSessionsGetKeepalivesAndStayUsable) {
  AWSDL_REQUIRE_SSH_NODES();
  auto o = options();
  o.session.keepalive_interval = std::chrono::milliseconds(150);
  FanOut fan(node_hosts(), o);
  auto first = fan.run("echo $PPID");
  ASSERT_TRUE(first.ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(800));  // several keepalive rounds
  EXPECT_EQ(fan.open_sessions(), 4u);
  auto second = fan.run("echo $PPID");
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(second.hosts[i].out, first.hosts[i].out);  // same connections
  fan.close();
  EXPECT_EQ(fan.open_sessions(), 0u);
  EXPECT_TRUE(fan.run("true").ok());  // reconnects on use
}

TEST(SshFanOut, ForEachSftpAndRunOn) {
  AWSDL_REQUIRE_SSH_NODES();
  FanOut fan(node_hosts(), options());
  std::string dir = ssh_nodes().tmp + "/foreach";
  fs::create_directories(dir);
  auto st = fan.for_each([&](Session& s, std::size_t i) {
    return s.write_file(dir + "/f" + std::to_string(i), "node " + std::to_string(i) + "\n");
  });
  for (auto& s : st) EXPECT_TRUE(s.ok());
  auto r = fan.run_on(node_hosts()[3], "cat " + shell_quote(dir) + "/f*");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->out, "node 0\nnode 1\nnode 2\nnode 3\n");
  EXPECT_EQ(fan.run_on("elsewhere", "true").error().code, "UnknownHost");
}

// Health: a tmpfs mounted by the test stands in for EFS; a fake nvidia-smi reports 2 GPUs; a
// detached job running a program named like a trainer is the stray.
TEST(SshFanOut, HealthCheck) {
  AWSDL_REQUIRE_SSH_NODES();
  std::string shared = ssh_nodes().tmp + "/efs";
  fs::create_directories(shared);
  bool mounted = ::mount("tmpfs", shared.c_str(), "tmpfs", 0, "size=1m") == 0;
  struct Unmount {
    std::string p;
    bool on;
    ~Unmount() {
      if (on) ::umount2(p.c_str(), MNT_DETACH);
    }
  } unmount{shared, mounted};
  std::string smi = ssh_nodes().tmp + "/nvidia-smi";
  std::ofstream(smi) << "#!/bin/sh\necho 'GPU 0: Tesla V100 (UUID: a)'\necho 'GPU 1: Tesla V100 (UUID: b)'\n";
  fs::permissions(smi, fs::perms::owner_all);
  std::string trainer = ssh_nodes().tmp + "/awsdl-fake-trainer-7";
  fs::copy_file("/bin/sleep", trainer, fs::copy_options::overwrite_existing);

  auto hosts = node_hosts();
  hosts.push_back(ssh_nodes().down_address);
  FanOut fan(hosts, options());
  awsdl::cluster::HealthOptions ho;
  ho.shared_path = shared;
  ho.require_mount_point = mounted;
  ho.nvidia_smi = smi;
  ho.expected_gpus = 2;
  ho.min_free_bytes = 1;
  ho.stray_pattern = "awsdl-fake-trainer-[0-9]+";
  auto report = awsdl::cluster::check_health(fan, ho);
  ASSERT_EQ(report.nodes.size(), 5u);
  for (std::size_t i = 0; i < 4; ++i) {
    const auto& n = report.nodes[i];
    EXPECT_TRUE(n.healthy()) << n.host << ": " << report.table();
    EXPECT_EQ(n.gpus, 2);
    EXPECT_TRUE(n.shared_writable);
    if (mounted) {
      EXPECT_EQ(n.shared_fs_type, "tmpfs");
    }
  }
  EXPECT_FALSE(report.nodes[4].reachable);
  EXPECT_EQ(report.unhealthy(), 1u);
  EXPECT_NE(report.table().find("FAIL"), std::string::npos);

  auto job = fan.start_on(hosts[0], "exec " + shell_quote(trainer) + " 305",
                          {.log_path = ssh_nodes().tmp + "/trainer.log"});
  ASSERT_TRUE(job.ok());
  ho.expected_gpus = 4;
  report = awsdl::cluster::check_health(fan, ho);
  const auto& n0 = report.nodes[0];
  ASSERT_EQ(n0.strays.size(), 1u) << report.table();
  EXPECT_EQ(n0.strays[0].pid, job->pgid);
  EXPECT_EQ(n0.strays[0].command, trainer + " 305");
  EXPECT_EQ(n0.problems.size(), 2u) << report.table();  // GPUs and the stray
  ASSERT_TRUE(fan.stop({*job}, std::chrono::seconds(5))[0].ok());
  fs::remove(trainer);
}

}  // namespace
