// Fan-out over real sshd nodes. Run by bench/ssh_fanout_bench.py, which starts the nodes
// and passes them in the environment:
//   AWSDL_BENCH_HOSTS        comma-separated addresses
//   AWSDL_BENCH_KEY          private key accepted by every node (user root)
//   AWSDL_BENCH_KNOWN_HOSTS  known_hosts holding every node's key
//   AWSDL_BENCH_SESSIONS     sessions for BM_KeptSessions* (hosts are repeated to reach it)
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>

#include "awsdl/ssh/fanout.hpp"

namespace {

using namespace awsdl::ssh;

struct Setup {
  std::vector<std::string> hosts;
  FanOutOptions options;
  std::string error;
};

Setup setup(std::size_t sessions) {
  Setup s;
  const char* hosts = std::getenv("AWSDL_BENCH_HOSTS");
  const char* key = std::getenv("AWSDL_BENCH_KEY");
  const char* kh = std::getenv("AWSDL_BENCH_KNOWN_HOSTS");
  if (!hosts || !key || !kh) {
    s.error = "set AWSDL_BENCH_HOSTS, AWSDL_BENCH_KEY and AWSDL_BENCH_KNOWN_HOSTS (bench/ssh_fanout_bench.py does)";
    return s;
  }
  auto base = parse_host_list(hosts);
  if (sessions == 0) sessions = base.size();
  for (std::size_t i = 0; i < sessions && !base.empty(); ++i) s.hosts.push_back(base[i % base.size()]);
  s.options.session.user = "root";
  s.options.session.identity_files = {key};
  s.options.session.use_agent = false;
  s.options.session.known_hosts = kh;
  s.options.session.host_key_policy = HostKeyPolicy::kStrict;
  s.options.session.connect_timeout = std::chrono::seconds(60);
  s.options.concurrency = 64;
  return s;
}

std::size_t sessions_from_env() {
  const char* v = std::getenv("AWSDL_BENCH_SESSIONS");
  return v ? std::strtoul(v, nullptr, 10) : 0;
}

// Connect + authenticate + `true` on every host, as a fresh pdsh run does.
void BM_FirstFanOut(benchmark::State& state) {
  auto s = setup(0);
  if (!s.error.empty()) return state.SkipWithError(s.error.c_str());
  s.options.keep_sessions = false;
  for (auto _ : state) {
    FanOut fan(s.hosts, s.options);
    auto r = fan.run("true");
    if (!r.ok()) return state.SkipWithError("a host failed");
  }
  state.counters["hosts"] = static_cast<double>(s.hosts.size());
}

// `true` on sessions kept open from an earlier command.
void BM_KeptSessions(benchmark::State& state) {
  auto s = setup(sessions_from_env());
  if (!s.error.empty()) return state.SkipWithError(s.error.c_str());
  FanOut fan(s.hosts, s.options);
  auto first = fan.run("true");
  if (!first.ok()) return state.SkipWithError("a host failed on the first run");
  for (auto _ : state) {
    auto r = fan.run("true");
    if (!r.ok()) return state.SkipWithError("a host failed");
  }
  state.counters["sessions"] = static_cast<double>(fan.open_sessions());
}

BENCHMARK(BM_FirstFanOut)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_KeptSessions)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
