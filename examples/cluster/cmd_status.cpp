// awsdl-cluster status: the stack's state and worker counts of one cluster, or every cluster;
// with --watch, the cluster's Monitor snapshots (nodes, GPUs, jobs, metrics, log tail) again
// and again until Ctrl-C (or --count snapshots).
#include <chrono>
#include <cstdio>
#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include <awsdl/cluster/lifecycle.hpp>
#include <awsdl/cluster/monitor.hpp>
#include <awsdl/core/retry.hpp>
#include <awsdl/ssh/quote.hpp>

#include "cli.hpp"
#include "cluster_cli.hpp"
#include "command.hpp"

namespace {

using namespace awsdl_cluster;

awsdl_cli::Parser parser() {
  awsdl_cli::Parser p("awsdl-cluster status", "show a cluster's state, or list every cluster");
  p.usage("awsdl-cluster status [--name NAME | --config FILE] [--output text|json] [--watch [--interval S] "
          "[--metric NAME=REGEX]... [--count N]]");
  add_cluster_flags(p);
  p.flag({"watch", "", "keep showing the cluster: nodes, GPUs, load, jobs, metrics, the job log's tail"});
  add_watch_flags(p);  // with --watch
  p.flag({"count", "N", "with --watch: stop after N looks (default: until Ctrl-C)"});
  p.example("awsdl-cluster status                      # every cluster (stacks tagged awsdl:cluster)");
  p.example("awsdl-cluster status --name maskrcnn --output json");
  p.example("awsdl-cluster status --name maskrcnn --watch --metric 'loss=loss=([0-9.]+)'");
  return p;
}

std::string gpu_text(const awsdl::cluster::NodeSample& n) {
  if (n.gpus.empty()) return "-";
  std::string out;
  for (const auto& g : n.gpus) out += (out.empty() ? "" : " ") + std::to_string(g.utilization_percent) + "%";
  return out;
}

std::string node_state(const awsdl::cluster::NodeSample& n) {
  if (n.lost) return "LOST";
  if (n.host.empty()) return n.node.state;
  if (!n.reachable) return "UNREACHABLE";
  if (n.health && !n.health->healthy()) return "UNHEALTHY: " + n.health->problems.front();
  return "ok";
}

void print_snapshot(const awsdl::cluster::Snapshot& s, std::size_t tail) {
  std::time_t t = std::chrono::system_clock::to_time_t(s.at);
  char when[32];
  std::strftime(when, sizeof when, "%H:%M:%S", std::gmtime(&t));
  if (!s.cluster_exists) {
    std::printf("%s  the cluster no longer exists\n", when);
    return;
  }
  std::printf("%s  stack %s  (%zu nodes, %d SSH commands, %lld ms)\n", when, s.stack_status.c_str(), s.nodes.size(),
              s.ssh_commands, static_cast<long long>(s.took.count()));
  std::printf("  %-7s %-16s %-14s %-11s %-14s %-6s %s\n", "ROLE", "ADDRESS", "TYPE", "ZONE", "GPUS", "LOAD", "STATE");
  for (const auto& n : s.nodes) {
    const auto& nd = n.node;
    std::string addr = nd.private_ip.empty() ? nd.public_ip : nd.private_ip;
    char load[16] = "-";
    if (n.load1 >= 0) std::snprintf(load, sizeof load, "%.2f", n.load1);
    std::printf("  %-7s %-16s %-14s %-11s %-14s %-6s %s\n",
                nd.role == awsdl::cluster::NodeRole::kMaster ? "master" : "worker", addr.c_str(),
                nd.instance_type.c_str(), nd.availability_zone.c_str(), gpu_text(n).c_str(), load,
                node_state(n).c_str());
  }
  for (const auto& j : s.jobs)
    std::printf("  job %s: %s\n", j.job.id.substr(0, 8).c_str(),
                j.error ? j.error->message.c_str()
                        : j.running ? ("running, " + std::to_string(j.processes) + " processes").c_str() : "ended");
  for (const auto& [name, points] : s.metrics) {
    if (points.empty()) {
      std::printf("  %s: no value yet\n", name.c_str());
      continue;
    }
    std::printf("  %s: %g (%zu points, line %llu)\n", name.c_str(), points.back().value, points.size(),
                static_cast<unsigned long long>(points.back().line));
  }
  std::size_t from = s.log_tail.size() > tail ? s.log_tail.size() - tail : 0;
  for (std::size_t i = from; i < s.log_tail.size(); ++i) std::printf("  | %s\n", s.log_tail[i].c_str());
  std::fflush(stdout);
}

// "autostop: scale the workers to zero after 30m idle; idle 12m so far (...)": the stack's
// setting, and the watcher's last check (its status file on the master, over SSH) when one is
// recorded. Nothing when autostop was never asked for.
void print_autostop(const Target& target, const awsdl::cluster::ClusterInfo& c) {
  namespace cl = awsdl::cluster;
  auto record = recorded_autostop(target);
  const bool recorded = record && *record;
  if (c.autostop == cl::AutostopAction::kOff && !recorded) return;
  const char* what = c.autostop == cl::AutostopAction::kDeleteStack ? "delete the stack"
                     : c.autostop == cl::AutostopAction::kScaleToZero ? "scale the workers to zero"
                                                                       : "not allowed (the stack's Autostop is off)";
  if (!recorded) {
    std::printf("autostop: %s; no watcher recorded here (awsdl-cluster autostop --idle ... starts one)\n", what);
    return;
  }
  const auto& r = **record;
  auto access = node_access(target, c);
  std::optional<awsdl::Result<awsdl::ssh::ExecResult>> read;
  if (access) {
    awsdl::ssh::FanOut fan({r.job.host}, access->options);
    read.emplace(fan.run_on(r.job.host, "cat " + awsdl::ssh::shell_quote(r.status_path) + " 2>/dev/null; exit 0"));
  }
  awsdl::Result<cl::AutostopStatus> st = !access ? awsdl::Result<cl::AutostopStatus>(access.error())
                                         : !*read ? awsdl::Result<cl::AutostopStatus>(read->error())
                                                  : cl::read_autostop_status((*read)->out);
  if (!st) {
    std::printf("autostop: %s; watcher job %s, no status yet (%s)\n", what, r.job.id.substr(0, 8).c_str(),
                st.error().message.c_str());
    return;
  }
  const std::string limit = cl::format_duration(st->idle_limit);
  const char* action = st->action == cl::AutostopAction::kDeleteStack ? "delete the stack" : "scale the workers to zero";
  switch (st->state) {
    case cl::AutostopState::kWatching:
      std::printf("autostop: %s after %s idle; idle %s so far (GPUs busy %d of %d, jobs running %d; watcher job %s)\n",
                  action, limit.c_str(), cl::format_duration(st->idle_for).c_str(), st->busy_gpus, st->gpus, st->jobs,
                  r.job.id.substr(0, 8).c_str());
      break;
    case cl::AutostopState::kStopped:
    case cl::AutostopState::kDeleted:
      std::printf("autostop: done after %s idle: %s\n", cl::format_duration(st->idle_for).c_str(), st->message.c_str());
      break;
    case cl::AutostopState::kFailed:
      std::printf("autostop: FAILED after %s idle: %s\n", cl::format_duration(st->idle_for).c_str(), st->message.c_str());
      break;
  }
}

int watch(const Target& target, const awsdl::Config& cfg, const awsdl_cli::Args& args) {
  auto flags = watch_flags_from(args);
  if (!flags) return awsdl_cli::report(flags.error());
  const awsdl::Millis* interval = &flags->interval;
  auto count = awsdl_cli::whole_flag(args, "count", 0, 1, 1000000);
  if (!count) return awsdl_cli::report(count.error());

  awsdl::cluster::Clusters clusters(cfg);
  auto info = clusters.describe(target.spec.name);
  if (!info) return awsdl_cli::report(info.error());
  auto options = monitor_options(target, *info, *flags);
  if (!options) return awsdl_cli::report(options.error());
  const awsdl::cluster::MonitorOptions& o = *options;
  auto monitor = awsdl::cluster::Monitor::make(cfg, o);
  if (!monitor) return awsdl_cli::report(monitor.error());
  awsdl::PollOptions poll;
  poll.delay = awsdl::Backoff::polling(*interval, *interval, 1.0);  // every interval, not growing
  poll.cancel = o.cancel;
  poll.max_polls = *count > 0 ? static_cast<int>(*count) : 1000000000;
  poll.what = "watching cluster " + target.spec.name;
  auto watched = awsdl::poll_until(cfg.runtime, poll, [&](int n) -> awsdl::Result<awsdl::PollState> {
    auto s = monitor->snapshot();
    if (!s) return std::move(s).error();
    print_snapshot(*s, 10);
    if (!s->cluster_exists || (*count > 0 && n + 1 >= *count)) return awsdl::PollState::done();
    return awsdl::PollState::pending(s->stack_status);
  });
  if (!watched && watched.error().kind == awsdl::ErrorKind::kCancelled) return awsdl_cli::kExitOk;  // Ctrl-C
  if (!watched) return awsdl_cli::report(watched.error());
  return awsdl_cli::kExitOk;
}

int run(const std::vector<std::string>& argv) {
  auto opening = open_cluster_command(parser(), argv);
  if (opening.exit) return *opening.exit;
  const awsdl_cli::Args& args = opening.args;
  const bool json = opening.json;
  bool one = args.has("name") || args.has("config");
  std::optional<Target> target;
  if (one) {
    auto t = target_from(args, false);
    if (!t) return awsdl_cli::report(t.error());
    target = std::move(*t);
  }
  auto cfg = awsdl_cli::config_from(args);
  if (!cfg) return awsdl_cli::report(cfg.error());
  if (args.has("watch")) {
    if (!one)
      return awsdl_cli::report(awsdl::Error::invalid_argument("BadFlag", "--watch needs --name or --config"));
    return watch(*target, *cfg, args);
  }
  for (const char* only : {"interval", "metric", "count", "no-mount-check", "nvidia-smi"})
    if (args.has(only))
      return awsdl_cli::report(awsdl::Error::invalid_argument("BadFlag", std::string("--") + only + " goes with --watch"));
  awsdl::cluster::Clusters clusters(*cfg);

  std::vector<awsdl::cluster::ClusterInfo> found;
  if (one) {
    auto c = clusters.describe(target->spec.name);
    if (!c) return awsdl_cli::report(c.error());
    found.push_back(std::move(*c));
  } else {
    auto all = clusters.list();
    if (!all) return awsdl_cli::report(all.error());
    found = std::move(*all);
  }
  if (json) {
    if (one) {
      std::printf("%s\n", cluster_json(found[0], true).c_str());
    } else {
      std::printf("{\"clusters\":[");
      for (std::size_t i = 0; i < found.size(); ++i) std::printf("%s%s", i ? "," : "", cluster_json(found[i], false).c_str());
      std::printf("]}\n");
    }
    return awsdl_cli::kExitOk;
  }
  if (!one && found.empty()) {
    std::printf("no clusters\n");
    return awsdl_cli::kExitOk;
  }
  std::printf("%-24s %-22s %-9s %s\n", "NAME", "STATUS", "WORKERS", "CREATED");
  for (const auto& c : found) {
    std::string workers = std::to_string(c.desired_workers);
    if (one) {
      int running = 0;
      for (const auto& w : c.workers()) running += w.state == "running";
      workers = std::to_string(running) + "/" + workers;
    }
    std::printf("%-24s %-22s %-9s %s\n", c.name.c_str(), c.status.c_str(), workers.c_str(), c.created.c_str());
    if (one && !c.status_reason.empty()) std::printf("reason: %s\n", c.status_reason.c_str());
  }
  if (one) print_autostop(*target, found[0]);
  return awsdl_cli::kExitOk;
}

const awsdl_cli::RegisterCommand kRegister({"status", "a cluster's state, or every cluster", run});

}  // namespace
