// The Supervisor on a sandbox cluster whose instances are local sshd nodes (with their sshd
// pids, so that a terminated instance's ranks die), with Open MPI and a small C training
// program that checkpoints a step counter on the shared directory every step, resumes from it
// when AWSDL_RESUME=1 and checkpoints on SIGUSR1: a worker terminated mid-run, a spot notice,
// a node the group cannot replace (min_workers lets the run go on), an exit 1 on healthy nodes,
// the restart budget exhausted (nothing left running), and bad options refused before any call.
// Each test prints its seconds; the terminated-worker test prints detection and recovery times.
#include "awsdl/cluster/supervisor.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "awsdl/ec2/ec2.hpp"
#include "cluster/supervisor_internal.hpp"
#include "support/run_process.hpp"
#include "support/sandbox.hpp"
#include "support/ssh_nodes.hpp"

namespace awsdl {
namespace {

using namespace std::chrono_literals;
using awsdl_test::ssh_nodes;
using testsupport::Sandbox;
namespace fs = std::filesystem;

[[maybe_unused]] auto* const kEnv = ::testing::AddGlobalTestEnvironment(new awsdl_test::SshNodesEnvironment(5, 0));

// steps checkpoint signalled result [exit_code]: one step every 100 ms, an allreduce per step
// (a lost rank ends the job), rank 0 checkpoints the next step after each one.
constexpr const char* kTrainC = R"C(#include <mpi.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
static volatile sig_atomic_t got_signal = 0;
static void on_usr1(int s) { (void)s; got_signal = 1; }
static void save(const char* path, int step) {
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  FILE* f = fopen(tmp, "w");
  if (!f) return;
  fprintf(f, "%d\n", step);
  fclose(f);
  rename(tmp, path);
}
int main(int argc, char** argv) {
  signal(SIGUSR1, on_usr1);
  MPI_Init(&argc, &argv);
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const int steps = atoi(argv[1]);
  const char* restart = getenv("AWSDL_RESTART");
  const char* resume = getenv("AWSDL_RESUME");
  int start = 0;
  if (resume && strcmp(resume, "1") == 0) {
    FILE* f = fopen(argv[2], "r");
    if (f) { if (fscanf(f, "%d", &start) != 1) start = 0; fclose(f); }
  }
  if (rank == 0) printf("start step %d restart %s ranks %d\n", start, restart ? restart : "-", size), fflush(stdout);
  int step;
  for (step = start; step < steps; ++step) {
    int one = 1, sum = 0;
    MPI_Allreduce(&one, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    usleep(100000);
    if (rank == 0) {
      save(argv[2], step + 1);
      if (got_signal) {
        FILE* f = fopen(argv[3], "a");
        if (f) { fprintf(f, "checkpoint on signal at step %d\n", step + 1); fclose(f); }
        got_signal = 0;
      }
    }
  }
  if (rank == 0) {
    FILE* f = fopen(argv[4], "w");
    if (f) { fprintf(f, "done %d from %d restart %s ranks %d\n", step, start, restart ? restart : "-", size); fclose(f); }
  }
  MPI_Finalize();
  return argc > 5 ? atoi(argv[5]) : 0;
}
)C";

class SupervisorSandbox : public ::testing::Test {
 protected:
  void SetUp() override {
    AWSDL_REQUIRE_SSH_NODES();
    started = std::chrono::steady_clock::now();
    ASSERT_TRUE(sandbox.ok()) << sandbox.error();
    ASSERT_TRUE(sandbox.reset().ok());
    ASSERT_TRUE(sandbox.control("POST", "/_sandbox/services/ec2/config", R"({"transition_seconds": 0.05})").ok());
    ASSERT_TRUE(sandbox.control("POST", "/_sandbox/services/cloudformation/config", R"({"transition_seconds": 0.05})").ok());
    std::string pool, pids;
    for (const auto& n : ssh_nodes().nodes) {
      pool += (pool.empty() ? "\"" : ",\"") + n.address + "\"";
      pids += (pids.empty() ? "\"" : ",\"") + n.address + "\":" + std::to_string(n.pid);
    }
    auto set = sandbox.control("POST", "/_sandbox/services/ec2/nodes", "{\"addresses\":[" + pool + "],\"pids\":{" + pids + "}}");
    ASSERT_TRUE(set.ok() && set->find("\"pids\"") != std::string::npos) << (set.ok() ? *set : set.error().to_string());
    ASSERT_TRUE(ec2::Ec2Client(config).create_key_pair("team").ok());
    dir = fs::temp_directory_path() / ("awsdl-test-supervisor-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir / "shared");
    smi = (dir / "nvidia-smi").string();
    std::ofstream(smi) << "#!/bin/sh\nAWSDL_SANDBOX_ENDPOINT=" << sandbox.endpoint() << " exec /usr/bin/python3 "
                       << AWSDL_SOURCE_DIR << "/tests/support/fake_nvidia_smi.py \"$@\"\n";
    fs::permissions(smi, fs::perms::owner_all);
    std::ofstream(dir / "train.c") << kTrainC;
    const std::string cc = "mpicc -O1 -o " + (dir / "train").string() + " " + (dir / "train.c").string();
    ASSERT_EQ(std::system(cc.c_str()), 0) << cc;

    cluster::ClusterSpec spec{.name = "supervised", .instance_type = "p3.2xlarge", .workers = 2, .min_workers = 1,
                              .ssh_cidr = "127.0.0.0/8", .key_name = "team"};
    spec.availability_zone = "us-east-1a";
    cluster::CreateOptions co;
    co.poll_interval = 100ms;
    co.deadline = Deadline::after(90s, *config.runtime.clock);
    auto created = clusters.create(spec, co);
    ASSERT_TRUE(created.ok()) << created.error().to_string();
    info = *created;
  }
  void TearDown() override {
    (void)sandbox.reset();   // continues a node a test stopped (chaos "unreachable")
    (void)sandbox.control("POST", "/_sandbox/services/ec2/nodes", R"({"addresses": []})");
    std::error_code ec;
    fs::remove_all(dir, ec);
    std::printf("[ %s: %.1f s ]\n", ::testing::UnitTest::GetInstance()->current_test_info()->name(),
                std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  }

  cluster::SupervisorOptions options(int steps, int restarts, int exit_code = 0) const {
    cluster::SupervisorOptions o;
    o.cluster = "supervised";
    o.user = "root";
    auto& so = o.fan.session;
    so.identity_files = {ssh_nodes().key};
    so.use_agent = false;
    so.known_hosts = (dir / "known_hosts").string();
    so.connect_timeout = 5s;
    so.command_timeout = 5s;
    o.health.nvidia_smi = smi;
    o.health.shared_path = (dir / "shared").string();
    o.health.require_mount_point = false;
    o.health.min_free_bytes = 1;
    o.health.timeout = 5s;
    o.command = {(dir / "train").string(), std::to_string(steps), checkpoint(), (dir / "shared" / "signalled").string(),
                 result()};
    if (exit_code) o.command.push_back(std::to_string(exit_code));
    o.mpirun.horovod = false;
    o.mpirun.tcp_include = {"lo"};
    o.mpirun.rsh_args = "-i " + ssh_nodes().key +
                        " -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR";
    o.mpirun.mca = {{"plm_rsh_no_tree_spawn", "1"}, {"btl", "self,tcp"}};
    o.shared_dir = (dir / "shared" / ".awsdl").string();
    o.slots_per_node = 1;
    o.restarts = restarts;
    o.poll_interval = 500ms;
    o.replace_timeout = 30s;
    o.checkpoint_grace = 10s;
    o.restart_backoff = Backoff::polling(200ms, 200ms, 1.0);
    o.imds_url = sandbox.endpoint() + "/_sandbox/imds/{address}";
    return o;
  }
  std::string checkpoint() const { return (dir / "shared" / "ckpt").string(); }
  std::string result() const { return (dir / "shared" / "result").string(); }
  static std::string slurp(const fs::path& p) {
    std::ifstream f(p);
    return std::string(std::istreambuf_iterator<char>(f), {});
  }
  int checkpointed() const {
    std::ifstream f(checkpoint());
    int s = 0;
    return (f >> s) ? s : 0;
  }
  // Runs the supervisor on a thread; `inject` once the checkpoint reaches `at_step`.
  struct Outcome {
    Result<cluster::SupervisedRun> run = Error::make(ErrorKind::kInternal, "NotRun", "not run");
    std::vector<cluster::SupervisorEvent> events;
    std::chrono::steady_clock::time_point injected{};
    std::vector<std::pair<cluster::SupervisorEventKind, std::chrono::steady_clock::time_point>> times;
  };
  Outcome supervise(cluster::SupervisorOptions o, int at_step, const std::function<void()>& inject) {
    Outcome out;
    std::mutex mu;
    auto sup = cluster::Supervisor::make(config, std::move(o));
    EXPECT_TRUE(sup.ok()) << sup.error().to_string();
    if (!sup.ok()) return out;
    sup->on_event([&](const cluster::SupervisorEvent& e) {
      std::lock_guard<std::mutex> lock(mu);
      std::printf("  event %s %s %s (restart %d)\n", cluster::to_string(e.kind), e.instance_id.c_str(), e.message.c_str(),
                  e.restart);
      out.events.push_back(e);
      out.times.push_back({e.kind, std::chrono::steady_clock::now()});
    });
    std::thread t([&] { out.run = sup->run(); });
    if (inject) {
      const auto until = std::chrono::steady_clock::now() + 60s;
      while (checkpointed() < at_step && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(50ms);
      out.injected = std::chrono::steady_clock::now();
      inject();
    }
    t.join();
    return out;
  }
  static bool has(const Outcome& o, cluster::SupervisorEventKind k) {
    for (const auto& e : o.events)
      if (e.kind == k) return true;
    return false;
  }
  static std::chrono::steady_clock::time_point first(const Outcome& o, cluster::SupervisorEventKind k,
                                                    std::chrono::steady_clock::time_point after = {}) {
    for (const auto& [kind, at] : o.times)
      if (kind == k && at >= after) return at;
    return {};
  }
  // Processes of this test's job (mpirun, the ranks, the IMDS watchers) still running anywhere
  // on the machine after up to 3 s (a watcher ends within its interval once its launch ended):
  // their command lines.
  std::string leftovers() const {
    std::string left;
    for (int i = 0; i < 30; ++i) {
      left.clear();
      for (int pid : running()) left += std::to_string(pid) + ": " + slurp(fs::path("/proc") / std::to_string(pid) / "cmdline").substr(0, 300) + "\n";
      if (left.empty()) break;
      std::this_thread::sleep_for(100ms);
    }
    return left;
  }
  std::vector<int> running() const {
    std::vector<int> out;
    const std::string prog = (dir / "train").string();
    std::error_code ec;
    for (fs::directory_iterator it("/proc", ec), end; !ec && it != end; it.increment(ec)) {
      const auto& e = *it;
      const std::string name = e.path().filename().string();
      if (name.find_first_not_of("0123456789") != std::string::npos) continue;
      std::string cmd = slurp(e.path() / "cmdline");
      if (cmd.find(prog) != std::string::npos || (cmd.find("awsdl-notices") != std::string::npos && cmd.find(dir.string()) != std::string::npos))
        out.push_back(std::stoi(name));
    }
    return out;
  }
  std::string chaos(const std::string& instance, const std::string& action, const std::string& extra = "") const {
    auto r = sandbox.control("POST", "/_sandbox/services/ec2/chaos",
                             "{\"instance\":\"" + instance + "\",\"action\":\"" + action + "\"" + extra + "}");
    EXPECT_TRUE(r.ok() && r->find("\"ok\"") != std::string::npos) << (r.ok() ? *r : r.error().to_string());
    return r.ok() ? *r : "";
  }

  Sandbox sandbox;
  Config config = sandbox.config();
  cluster::Clusters clusters{config};
  cluster::ClusterInfo info;
  fs::path dir;
  std::string smi;
  std::chrono::steady_clock::time_point started;
};

// The detection and recovery times (bench/supervisor_recovery.sh runs this with a 1 s poll:
// AWSDL_SUPERVISOR_POLL_MS=1000).
TEST_F(SupervisorSandbox, AWorkerTerminatedMidRunRecoversOnAReplacementAndResumes) {
  const std::string victim = info.workers().at(1).instance_id;
  auto opts = options(40, 2);
  if (const char* ms = std::getenv("AWSDL_SUPERVISOR_POLL_MS")) opts.poll_interval = Millis(std::atoi(ms));
  const Millis poll = opts.poll_interval;
  auto o = supervise(opts, 8, [&] { chaos(victim, "terminate"); });
  ASSERT_TRUE(o.run.ok()) << o.run.error().to_string();
  const auto& run = *o.run;
  EXPECT_EQ(run.outcome, cluster::RunOutcome::kSucceeded) << (run.error ? run.error->to_string() : "");
  EXPECT_EQ(run.exit_status, 0);
  EXPECT_EQ(run.restarts, 1);
  ASSERT_EQ(run.incidents.size(), 1u);
  EXPECT_EQ(run.incidents[0].instance_id, victim);
  EXPECT_EQ(run.incidents[0].cause, "instance terminated");
  EXPECT_TRUE(run.incidents[0].recovered);
  EXPECT_GT(run.incidents[0].downtime.count(), 0);
  ASSERT_EQ(run.jobs.size(), 2u);
  // Resumed from the checkpoint (not from 0), on three nodes again (a replacement), to the end.
  const std::string done = slurp(result());
  int steps = -1, from = -1, ranks = -1;
  char restart[8] = {};
  ASSERT_EQ(std::sscanf(done.c_str(), "done %d from %d restart %7s ranks %d", &steps, &from, restart, &ranks), 4) << done;
  EXPECT_EQ(steps, 40);
  EXPECT_GE(from, 8) << done;
  EXPECT_STREQ(restart, "1");
  EXPECT_EQ(ranks, 3);
  EXPECT_TRUE(has(o, cluster::SupervisorEventKind::kNodeLost));
  EXPECT_TRUE(has(o, cluster::SupervisorEventKind::kNodesReady));
  EXPECT_EQ(leftovers(), "");
  const auto detect = first(o, cluster::SupervisorEventKind::kNodeLost, o.injected) - o.injected;
  const auto recover = first(o, cluster::SupervisorEventKind::kStarted, o.injected) - o.injected;
  std::printf("supervisor, poll interval %lld ms: detection %.2f s, recovery (injected -> running again) %.2f s, "
              "downtime %.2f s\n",
              static_cast<long long>(poll.count()), std::chrono::duration<double>(detect).count(),
              std::chrono::duration<double>(recover).count(), run.incidents[0].downtime.count() / 1000.0);
  EXPECT_LE(detect, 2 * poll + 500ms) << "detection within 2 poll intervals (plus a snapshot's time)";
}

TEST_F(SupervisorSandbox, ASpotNoticeSignalsTheJobBeforeItsNodeGoesAndTheRunResumes) {
  const std::string victim = info.workers().at(0).instance_id;
  // A short lease on the node watchers (2 s: a watcher not renewed ends at most 3 s after the
  // launch's touch, plus one round) with room for a loaded machine's slow polls; the notice
  // comes at step 60, over 6 s after the launch, so it is read only if the lease was renewed.
  auto opts = options(90, 1);
  opts.watcher_lease = 2s;
  auto o = supervise(opts, 60, [&] {
    chaos(victim, "rebalance");   // noted only
    chaos(victim, "spot-notice", ",\"seconds\":3");
  });
  ASSERT_TRUE(o.run.ok()) << o.run.error().to_string();
  EXPECT_EQ(o.run->outcome, cluster::RunOutcome::kSucceeded) << (o.run->error ? o.run->error->to_string() : "");
  ASSERT_EQ(o.run->incidents.size(), 1u);
  EXPECT_EQ(o.run->incidents[0].instance_id, victim);
  EXPECT_EQ(o.run->incidents[0].cause.rfind("spot interruption", 0), 0u) << o.run->incidents[0].cause;
  EXPECT_TRUE(has(o, cluster::SupervisorEventKind::kRebalance));
  const auto notice = first(o, cluster::SupervisorEventKind::kSpotNotice);
  const auto signal = first(o, cluster::SupervisorEventKind::kCheckpointSignal);
  const auto lost = first(o, cluster::SupervisorEventKind::kNodeLost);
  ASSERT_NE(signal, decltype(signal){});
  EXPECT_LE(notice, signal);
  EXPECT_LT(signal, lost) << "the checkpoint signal came before the node went";
  EXPECT_NE(slurp(dir / "shared" / "signalled").find("checkpoint on signal at step"), std::string::npos)
      << "the program got the signal";
  EXPECT_NE(slurp(result()).find("done 90"), std::string::npos) << slurp(result());
  EXPECT_EQ(leftovers(), "");
}

// Ctrl-C in the CLI is the cancellation token: the run ends as cancelled, every process of the
// job (mpirun, the ranks, the node watchers) is stopped, and the job did not finish.
TEST_F(SupervisorSandbox, CancellingStopsEveryProcessOfTheJob) {
  CancellationSource stop;
  auto opts = options(300, 2);
  opts.cancel = stop.token();
  auto o = supervise(opts, 5, [&] { stop.cancel(); });
  ASSERT_TRUE(o.run.ok()) << o.run.error().to_string();
  EXPECT_EQ(o.run->outcome, cluster::RunOutcome::kCancelled);
  ASSERT_TRUE(o.run->error.has_value());
  EXPECT_EQ(o.run->error->kind, ErrorKind::kCancelled) << o.run->error->to_string();
  EXPECT_TRUE(has(o, cluster::SupervisorEventKind::kJobStopped));
  EXPECT_TRUE(o.run->incidents.empty());
  EXPECT_EQ(slurp(result()), "") << "the job ran to its end";
  EXPECT_LT(checkpointed(), 300);
  ASSERT_NE(first(o, cluster::SupervisorEventKind::kGaveUp), decltype(o.injected){});
  EXPECT_LT(first(o, cluster::SupervisorEventKind::kGaveUp) - o.injected, std::chrono::seconds(8))
      << "the cancellation took too long to be seen";
  EXPECT_EQ(leftovers(), "");
}

TEST_F(SupervisorSandbox, ANodeTheGroupCannotReplaceWithMinWorkersTheRunGoesOnWithFewer) {
  ASSERT_TRUE(sandbox.control("POST", "/_sandbox/services/ec2/capacity", R"({"instance_type":"p3.2xlarge","fail_after":0})").ok());
  const std::string victim = info.workers().at(1).instance_id;
  auto opts = options(30, 1);
  opts.min_workers = 1;
  opts.replace_timeout = 2s;
  auto o = supervise(opts, 5, [&] { chaos(victim, "terminate"); });
  ASSERT_TRUE(o.run.ok()) << o.run.error().to_string();
  EXPECT_EQ(o.run->outcome, cluster::RunOutcome::kSucceeded) << (o.run->error ? o.run->error->to_string() : "");
  EXPECT_TRUE(has(o, cluster::SupervisorEventKind::kContinuingWithFewer));
  EXPECT_NE(slurp(result()).find("ranks 2"), std::string::npos) << slurp(result());
  EXPECT_EQ(leftovers(), "");
}

TEST_F(SupervisorSandbox, AnExitOneOnHealthyNodesIsNotRestartedUnlessRestartOnExit) {
  auto o = supervise(options(3, 3, 1), 0, nullptr);
  ASSERT_TRUE(o.run.ok()) << o.run.error().to_string();
  EXPECT_EQ(o.run->outcome, cluster::RunOutcome::kJobFailed);
  EXPECT_EQ(o.run->exit_status, 1);
  EXPECT_EQ(o.run->restarts, 0);
  EXPECT_TRUE(o.run->incidents.empty());
  ASSERT_TRUE(o.run->error.has_value());
  EXPECT_EQ(o.run->error->code, "JobFailed");
  EXPECT_EQ(o.run->jobs.size(), 1u);
  EXPECT_EQ(leftovers(), "");

  // With restart_on_exit it is restarted, here until the budget (1) is spent.
  auto opts = options(3, 1, 1);
  opts.restart_on_exit = true;
  auto again = supervise(opts, 0, nullptr);
  ASSERT_TRUE(again.run.ok()) << again.run.error().to_string();
  EXPECT_EQ(again.run->outcome, cluster::RunOutcome::kGaveUp);
  EXPECT_EQ(again.run->jobs.size(), 2u);
  ASSERT_EQ(again.run->incidents.size(), 2u);
  EXPECT_EQ(again.run->incidents[0].cause, "exit status 1");
  EXPECT_TRUE(again.run->incidents[0].recovered);
  ASSERT_TRUE(again.run->error.has_value());
  EXPECT_EQ(again.run->error->code, "RestartBudgetExhausted");
  EXPECT_EQ(leftovers(), "");
}

TEST_F(SupervisorSandbox, TheRestartBudgetExhaustedIsAClearErrorAndNothingIsLeftRunning) {
  const std::string victim = info.workers().at(0).instance_id;
  auto o = supervise(options(400, 0), 3, [&] { chaos(victim, "terminate"); });
  ASSERT_TRUE(o.run.ok()) << o.run.error().to_string();
  EXPECT_EQ(o.run->outcome, cluster::RunOutcome::kGaveUp);
  ASSERT_TRUE(o.run->error.has_value());
  EXPECT_EQ(o.run->error->code, "RestartBudgetExhausted") << o.run->error->to_string();
  EXPECT_FALSE(o.run->error->next_steps.empty());
  ASSERT_EQ(o.run->incidents.size(), 1u);
  EXPECT_FALSE(o.run->incidents[0].recovered);
  EXPECT_TRUE(has(o, cluster::SupervisorEventKind::kJobStopped));
  EXPECT_EQ(leftovers(), "") << "processes of the job left";
  EXPECT_LT(checkpointed(), 400);
}

// A sick node (still there): marked Unhealthy (SetInstanceHealth), the group replaces it.
TEST_F(SupervisorSandbox, ALostGpuOrAnUnreachableNodeIsMarkedUnhealthyAndReplaced) {
  for (const std::string action : {"lose-gpu", "unreachable"}) {
    SCOPED_TRACE(action);
    std::error_code ec;
    fs::remove(checkpoint(), ec);
    fs::remove(result(), ec);
    auto now = clusters.describe("supervised");
    ASSERT_TRUE(now.ok());
    const std::string victim = now->workers().at(0).instance_id;
    auto opts = options(30, 1);
    // Unreachable is known after unreachable_polls probes that each wait out the probe's timeout.
    opts.health.timeout = 2s;
    auto o = supervise(opts, 5, [&] { chaos(victim, action); });
    ASSERT_TRUE(o.run.ok()) << o.run.error().to_string();
    EXPECT_EQ(o.run->outcome, cluster::RunOutcome::kSucceeded) << (o.run->error ? o.run->error->to_string() : "");
    ASSERT_EQ(o.run->incidents.size(), 1u);
    EXPECT_EQ(o.run->incidents[0].instance_id, victim);
    EXPECT_EQ(o.run->incidents[0].cause.rfind(action == "lose-gpu" ? "GPU lost (1 -> 0)" : "unreachable", 0), 0u)
        << o.run->incidents[0].cause;
    EXPECT_TRUE(has(o, cluster::SupervisorEventKind::kMarkedUnhealthy));
    EXPECT_NE(slurp(result()).find("done 30"), std::string::npos) << slurp(result());
    auto after = clusters.describe("supervised");
    ASSERT_TRUE(after.ok());
    for (const auto& n : after->nodes)
      if (n.instance_id == victim) {
        EXPECT_TRUE(n.state == "shutting-down" || n.state == "terminated") << n.state;
      }
    EXPECT_EQ(leftovers(), "");
  }
}

// awsdl-cluster run --restarts: a worker terminated mid-run; the events as they happen, the
// incident and the restart at the end; bad flags exit 2 before any call.
TEST_F(SupervisorSandbox, TheCliRunWithRestartsRecoversAndBadFlagsExitTwoBeforeAnyCall) {
  const std::string bin = std::string(AWSDL_BINARY_DIR) + "/examples/cluster/awsdl-cluster";
  auto env = Sandbox::cli_env(dir.string());
  env["AWS_ENDPOINT_URL"] = sandbox.endpoint();
  const std::string rsh = "-i " + ssh_nodes().key +
                          " -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR";
  std::vector<std::string> base = {"run", "--endpoint-url", sandbox.endpoint(), "--name", "supervised", "--user", "root",
                                   "--key-path", ssh_nodes().key, "--mount-point", (dir / "shared").string(),
                                   "--slots-per-node", "1", "--mpirun-options", "", "--state-dir", (dir / "state").string(),
                                   "--no-horovod", "--tcp-include", "lo", "--rsh-args", rsh, "--mca",
                                   "plm_rsh_no_tree_spawn=1", "--mca", "btl=self,tcp"};
  auto with = [](std::vector<std::string> a, const std::vector<std::string>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
  };
  ASSERT_TRUE(sandbox.clear_requests().ok());
  for (const auto& bad : std::vector<std::vector<std::string>>{{"--restarts", "-1"},
                                                                {"--restarts", "2", "--checkpoint-signal", "NOPE"},
                                                                {"--restarts", "2", "--poll-interval", "0"},
                                                                {"--checkpoint-grace", "5"}}) {
    auto r = testsupport::run_process(bin, with(with(base, bad), {"--", "true"}), env, 30s);
    EXPECT_EQ(r.exit_code, 2) << bad[0] << " " << bad[1] << ": " << r.err;
    EXPECT_NE(r.err.find("error:"), std::string::npos) << r.err;
  }
  auto calls = sandbox.control("GET", "/_sandbox/requests", "");
  ASSERT_TRUE(calls.ok());
  EXPECT_EQ(calls->find("\"operation\""), std::string::npos) << "no AWS call for bad flags: " << *calls;

  const std::string victim = info.workers().at(0).instance_id;
  testsupport::ProcessResult r;
  std::thread t([&] {
    r = testsupport::run_process(
        bin, with(with(base, {"--restarts", "2", "--poll-interval", "0.5", "--no-mount-check", "--imds-url",
                              sandbox.endpoint() + "/_sandbox/imds/{address}", "--"}),
                  {(dir / "train").string(), "30", checkpoint(), (dir / "shared" / "signalled").string(), result()}),
        env, 120s);
  });
  const auto until = std::chrono::steady_clock::now() + 60s;
  while (checkpointed() < 5 && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(50ms);
  chaos(victim, "terminate");
  t.join();
  std::printf("awsdl-cluster run --restarts 2 (stderr, then stdout):\n%s%s", r.err.c_str(), r.out.c_str());
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.err.find("node-lost " + victim), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("restarting"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("outcome: succeeded, exit status 0, 1 restart\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("incident: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(victim + " root@"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("instance terminated, downtime "), std::string::npos) << r.out;
  EXPECT_NE(slurp(result()).find("done 30"), std::string::npos);
  EXPECT_TRUE(fs::exists(dir / "state" / "hostfile"));
  EXPECT_EQ(slurp(dir / "state" / "hostfile").find(victim), std::string::npos);
  EXPECT_EQ(leftovers(), "");
}

TEST(Supervisor, BadOptionsAreRefusedBeforeAnyCall) {
  Config config;
  cluster::SupervisorOptions good;
  good.cluster = "c";
  good.command = {"train"};
  good.shared_dir = "/efs/.awsdl/c";
  EXPECT_TRUE(cluster::Supervisor::make(config, good).ok());
  auto refused = [&](auto change) {
    auto o = good;
    change(o);
    auto s = cluster::Supervisor::make(config, o);
    return !s.ok() && s.error().kind == ErrorKind::kInvalidArgument;
  };
  EXPECT_TRUE(refused([](auto& o) { o.restarts = -1; }));
  EXPECT_TRUE(refused([](auto& o) { o.cluster.clear(); }));
  EXPECT_TRUE(refused([](auto& o) { o.command.clear(); }));
  EXPECT_TRUE(refused([](auto& o) { o.shared_dir = "relative"; }));
  EXPECT_TRUE(refused([](auto& o) { o.poll_interval = 0ms; }));
  EXPECT_TRUE(refused([](auto& o) { o.checkpoint_signal = 0; }));
  EXPECT_TRUE(refused([](auto& o) { o.min_workers = -2; }));
  EXPECT_TRUE(refused([](auto& o) { o.imds_url = "ftp://x"; }));
  EXPECT_TRUE(refused([](auto& o) { o.watcher_lease = 500ms; }));
  EXPECT_EQ(cluster::parse_signal("SIGUSR1").value(), SIGUSR1);
  EXPECT_EQ(cluster::parse_signal("TERM").value(), SIGTERM);
  EXPECT_EQ(cluster::parse_signal("12").value(), 12);
  EXPECT_EQ(cluster::parse_signal("NOPE").error().code, "BadSignal");
  EXPECT_FALSE(cluster::parse_signal("0").ok());
  EXPECT_FALSE(cluster::parse_signal("").ok());
}


// The IMDS watcher a launch leaves on each node ends without the supervisor: when its flag was
// not touched within the lease (a supervisor killed with SIGKILL never removes the flag), and
// on SIGTERM; either way it removes its notices file. Run here with bash, as on a node.
TEST(SupervisorWatcher, EndsWhenItsLeaseRunsOutOrOnSigtermAndRemovesItsFile) {
  const fs::path dir = fs::temp_directory_path() / ("awsdl-test-watcher-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path flag = dir / "run.watch", notices = dir / "notices";
  const std::map<std::string, std::string> env = {{"PATH", "/usr/bin:/bin"}};
  // Nothing listens on the discard port of loopback: the IMDS calls fail at once.
  const std::string imds = "http://127.0.0.1:9";

  // A flag last touched ten minutes ago, a lease of five: the watcher ends at once.
  { std::ofstream(flag.string()) << ""; }
  fs::last_write_time(flag, fs::file_time_type::clock::now() - std::chrono::minutes(10));
  { std::ofstream(notices.string()) << "spot=stale\n"; }
  const auto t0 = std::chrono::steady_clock::now();
  auto expired = testsupport::run_process(
      "/bin/bash", {"-c", internal::supervisor::watcher_script(imds, notices.string(), flag.string(), 100, 300)}, env,
      std::chrono::seconds(20));
  EXPECT_EQ(expired.exit_code, 0) << expired.err;
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  EXPECT_FALSE(fs::exists(notices)) << "the notices file was left behind";

  // A fresh flag: the watcher runs (its file appears) until SIGTERM, then removes its file.
  fs::last_write_time(flag, fs::file_time_type::clock::now());
  std::thread stopper;
  auto stopped = testsupport::run_process(
      "/bin/bash", {"-c", internal::supervisor::watcher_script(imds, notices.string(), flag.string(), 100, 300)}, env,
      std::chrono::seconds(20), {}, [&](pid_t pid) {
        stopper = std::thread([pid, notices] {
          for (int i = 0; i < 100 && !fs::exists(notices); ++i) std::this_thread::sleep_for(50ms);
          std::this_thread::sleep_for(300ms);   // a few rounds
          ::kill(pid, SIGTERM);
        });
      });
  stopper.join();
  EXPECT_FALSE(stopped.timed_out) << "the watcher did not end on SIGTERM";
  EXPECT_EQ(stopped.exit_code, 0) << stopped.err;
  EXPECT_FALSE(fs::exists(notices)) << "the notices file was left behind";
  EXPECT_FALSE(fs::exists(notices.string() + ".tmp"));

  // A flag touched about 1.15 s ago, well within a 2 s lease, whose whole-second time stamp is
  // nevertheless two seconds before now's (touched at x.9, now just past x+2): still leased,
  // since the watcher must not round the lease down. It runs (its file appears) until the flag
  // is removed, then ends and removes its file.
  {
    using namespace std::chrono;
    const auto wall = system_clock::now();
    const auto into = wall - floor<seconds>(wall);
    if (into > 50ms) std::this_thread::sleep_for(1s - into + 20ms);   // just past a whole second
    const auto touched = floor<seconds>(system_clock::now()) - 2s + 900ms;
    fs::last_write_time(flag, fs::file_time_type::clock::now() + (touched - system_clock::now()));
  }
  std::thread remover;
  bool appeared = false;
  auto leased = testsupport::run_process(
      "/bin/bash", {"-c", internal::supervisor::watcher_script(imds, notices.string(), flag.string(), 100, 2)}, env,
      std::chrono::seconds(20), {}, [&](pid_t) {
        remover = std::thread([flag, notices, &appeared] {
          for (int i = 0; i < 40 && !appeared; ++i) {
            appeared = fs::exists(notices);
            if (!appeared) std::this_thread::sleep_for(50ms);
          }
          std::error_code e;
          fs::remove(flag, e);
        });
      });
  remover.join();
  EXPECT_TRUE(appeared) << "a watcher within its lease ended at once";
  EXPECT_FALSE(leased.timed_out);
  EXPECT_EQ(leased.exit_code, 0) << leased.err;
  EXPECT_FALSE(fs::exists(notices)) << "the notices file was left behind";
  std::error_code ec;
  fs::remove_all(dir, ec);
}

}  // namespace
}  // namespace awsdl
