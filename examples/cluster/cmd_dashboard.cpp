// awsdl-cluster dashboard: the cluster in a browser. A thread of its own takes the cluster
// Monitor's snapshots every --interval (the same looks as status --watch) and hands each one,
// rendered as JSON, to the shared dashboard server (examples/common/dashboard.hpp), which
// serves the page on loopback with a token in the URL it prints. Read-only: it starts and
// stops nothing on the cluster.
#include <chrono>
#include <cstdio>
#include <ctime>
#include <set>
#include <string>
#include <vector>

#include <awsdl/cluster/lifecycle.hpp>
#include <awsdl/cluster/monitor.hpp>
#include <awsdl/core/retry.hpp>

#include "cli.hpp"
#include "cluster_cli.hpp"
#include "command.hpp"
#include "dashboard.hpp"
#include "prices.hpp"

namespace {

using namespace awsdl_cluster;
using awsdl_dash::quote;

awsdl_cli::Parser parser() {
  awsdl_cli::Parser p("awsdl-cluster dashboard", "serve a live page of a cluster: nodes, GPUs, metrics, log, cost");
  p.usage("awsdl-cluster dashboard --name NAME | --config FILE [--listen ADDR:PORT [--allow-remote]] [--interval S] "
          "[--metric NAME=REGEX]... [--no-mount-check]");
  add_cluster_flags(p);
  add_watch_flags(p);
  awsdl_dash::add_server_flags(p);
  p.example("awsdl-cluster dashboard --name maskrcnn --metric 'loss=loss=([0-9.]+)'");
  p.example("awsdl-cluster dashboard --name maskrcnn --listen 127.0.0.1:8080   # then: ssh -L 8080:127.0.0.1:8080 ...");
  p.note("Prints the page's URL, with a random token, on the first line of standard output, and serves until Ctrl-C.\n"
         "Without the token (or the cookie its first use sets) every request gets 401.\n");
  return p;
}

// "2026-12-07T02:21:54.123Z" (CloudFormation's creation time).
std::optional<std::chrono::system_clock::time_point> parse_time(const std::string& iso) {
  std::tm tm{};
  int y, mo, d, h, mi;
  double s;
  if (std::sscanf(iso.c_str(), "%d-%d-%dT%d:%d:%lf", &y, &mo, &d, &h, &mi, &s) != 6) return std::nullopt;
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = 0;
  auto t = std::chrono::system_clock::from_time_t(timegm(&tm));
  return t + std::chrono::milliseconds(static_cast<long long>(s * 1000));
}

struct NodeView {
  std::string state, detail;
};

NodeView view(const awsdl::cluster::NodeSample& n) {
  if (n.lost) return {"lost", "gone from the cluster"};
  if (n.host.empty()) return {n.node.state.empty() ? "pending" : n.node.state, ""};
  if (!n.reachable || n.error) return {"unreachable", n.error ? n.error->message : ""};
  if (n.health && !n.health->healthy()) return {"unhealthy", n.health->problems.front()};
  return {"ok", ""};
}

struct Renderer {
  std::string name;
  std::optional<std::chrono::system_clock::time_point> created;
  std::uint64_t log_lines = 0;
  std::set<std::string> seen_events;

  std::string snapshot_json(const awsdl::cluster::Snapshot& s) const {
    std::string j = "{\"kind\":\"cluster\",\"title\":" + quote("cluster " + name) +
                    ",\"at\":" + std::to_string(awsdl_dash::epoch_ms(s.at)) +
                    ",\"took_ms\":" + std::to_string(s.took.count()) + ",\"exists\":" + (s.cluster_exists ? "true" : "false") +
                    ",\"gone\":" + quote("cluster " + name + " no longer exists (deleted): every node is gone") +
                    ",\"status\":" + quote(s.cluster_exists ? s.stack_status : "DELETED") +
                    ",\"log_label\":\"The job's log\",\"events_label\":\"Stack events\"";
    if (created) j += ",\"started\":" + std::to_string(awsdl_dash::epoch_ms(*created));
    // Cost so far: every present node's hourly price times the cluster's age.
    double per_hour = 0;
    std::string unpriced;
    for (const auto& n : s.nodes) {
      if (n.lost) continue;
      double p = on_demand_price(n.node.instance_type);
      if (p < 0) unpriced = n.node.instance_type;
      else per_hour += p;
    }
    if (created && s.cluster_exists && unpriced.empty()) {
      double hours = std::chrono::duration<double>(s.at - *created).count() / 3600.0;
      j += ",\"cost\":{\"usd\":" + awsdl_dash::number(per_hour * std::max(0.0, hours)) +
           ",\"per_hour\":" + awsdl_dash::number(per_hour) + ",\"basis\":" + quote(kPriceBasis) + "}";
    } else if (!unpriced.empty()) {
      j += ",\"cost_note\":" + quote("cost: no on-demand price known for " + unpriced + " (prices.hpp)");
    }
    j += ",\"facts\":[[\"nodes\"," + quote(std::to_string(s.nodes.size())) + "],[\"SSH commands\"," +
         quote(std::to_string(s.ssh_commands)) + "]]";
    j += ",\"nodes\":[";
    for (std::size_t i = 0; i < s.nodes.size(); ++i) {
      const auto& n = s.nodes[i];
      auto v = view(n);
      const auto& nd = n.node;
      j += std::string(i ? "," : "") + "{\"id\":" + quote(nd.instance_id) +
           ",\"role\":" + quote(nd.role == awsdl::cluster::NodeRole::kMaster ? "master" : "worker") +
           ",\"type\":" + quote(nd.instance_type) + ",\"zone\":" + quote(nd.availability_zone) +
           ",\"address\":" + quote(nd.private_ip.empty() ? nd.public_ip : nd.private_ip) + ",\"state\":" + quote(v.state) +
           ",\"detail\":" + quote(v.detail) + ",\"load\":" + awsdl_dash::number(n.load1) +
           ",\"cpus\":" + std::to_string(n.cpus);
      if (n.shared_free_bytes) j += ",\"shared_free\":" + std::to_string(*n.shared_free_bytes);
      j += ",\"gpus\":[";
      for (std::size_t g = 0; g < n.gpus.size(); ++g) {
        const auto& gp = n.gpus[g];
        j += std::string(g ? "," : "") + "{\"index\":" + std::to_string(gp.index) +
             ",\"util\":" + std::to_string(gp.utilization_percent) + ",\"mem_used\":" + std::to_string(gp.memory_used_mib) +
             ",\"mem_total\":" + std::to_string(gp.memory_total_mib) + "}";
      }
      j += "]}";
    }
    j += "],\"jobs\":[";
    for (std::size_t i = 0; i < s.jobs.size(); ++i) {
      const auto& jb = s.jobs[i];
      std::string state = jb.error ? "unknown" : jb.running ? "running" : "ended";
      std::string text = jb.error ? jb.error->message
                         : jb.running ? "running, " + std::to_string(jb.processes) + " processes"
                                      : "ended";
      j += std::string(i ? "," : "") + "{\"id\":" + quote(jb.job.id) + ",\"state\":" + quote(state) +
           ",\"text\":" + quote(text) + "}";
    }
    j += "],\"metrics\":{";
    bool first = true;
    for (const auto& [metric, points] : s.metrics) {
      j += std::string(first ? "" : ",") + quote(metric) + ":[";
      first = false;
      for (std::size_t i = 0; i < points.size(); ++i)
        j += std::string(i ? "," : "") + "[" + std::to_string(points[i].line) + "," + awsdl_dash::number(points[i].value) + "]";
      j += "]";
    }
    j += "}}";
    return j;
  }

  // The log lines and stack events this snapshot brought.
  std::vector<awsdl_dash::StreamEvent> news(const awsdl::cluster::Snapshot& s) {
    std::vector<awsdl_dash::StreamEvent> out;
    if (s.log_lines > log_lines) {
      std::uint64_t fresh = s.log_lines - log_lines;
      std::size_t shown = static_cast<std::size_t>(std::min<std::uint64_t>(fresh, s.log_tail.size()));
      std::string lines;
      if (fresh > shown)
        lines += "{\"source\":\"\",\"text\":" + quote("(" + std::to_string(fresh - shown) + " lines not shown)") + "}";
      for (std::size_t i = s.log_tail.size() - shown; i < s.log_tail.size(); ++i)
        lines += std::string(lines.empty() ? "" : ",") + "{\"source\":\"\",\"text\":" + quote(s.log_tail[i]) + "}";
      out.push_back({"log", "{\"lines\":[" + lines + "]}"});
      log_lines = s.log_lines;
    }
    std::string events;
    for (const auto& e : s.events) {
      std::string key = e.timestamp + "|" + e.logical_id + "|" + e.status;
      if (!seen_events.insert(key).second) continue;
      events += std::string(events.empty() ? "" : ",") + "{\"time\":" + quote(e.timestamp) + ",\"text\":" +
                quote(e.message.empty() ? e.logical_id + " " + e.status + (e.reason.empty() ? "" : ": " + e.reason)
                                        : e.message) +
                "}";
    }
    if (!events.empty()) out.push_back({"events", "{\"events\":[" + events + "]}"});
    return out;
  }
};

int run(const std::vector<std::string>& argv) {
  auto opening = open_cluster_command(parser(), argv);
  if (opening.exit) return *opening.exit;
  const awsdl_cli::Args& args = opening.args;
  if (!args.has("name") && !args.has("config"))
    return awsdl_cli::report(awsdl::Error::invalid_argument("BadFlag", "dashboard needs --name or --config"));
  // Every flag checked before any call.
  auto target = target_from(args, false);
  if (!target) return awsdl_cli::report(target.error());
  auto flags = watch_flags_from(args);
  if (!flags) return awsdl_cli::report(flags.error());
  auto listen = awsdl_dash::listen_from(args);
  if (!listen) return awsdl_cli::report(listen.error());
  auto cfg = awsdl_cli::config_from(args);
  if (!cfg) return awsdl_cli::report(cfg.error());

  awsdl::cluster::Clusters clusters(*cfg);
  auto info = clusters.describe(target->spec.name);
  if (!info) return awsdl_cli::report(info.error());
  auto options = monitor_options(*target, *info, *flags);
  if (!options) return awsdl_cli::report(options.error());
  options->log_tail_lines = 200;
  const auto cancel = options->cancel;
  auto monitor = awsdl::cluster::Monitor::make(*cfg, *options);
  if (!monitor) return awsdl_cli::report(monitor.error());

  Renderer renderer{.name = target->spec.name, .created = parse_time(info->created)};
  awsdl_dash::Server server(*listen, "cluster " + target->spec.name);
  auto url = server.start();
  if (!url) return awsdl_cli::report(url.error());
  std::printf("%s\n", url->c_str());
  std::fflush(stdout);
  std::fprintf(stderr, "awsdl-cluster dashboard: cluster %s at the URL above (Ctrl-C to stop)%s\n",
               target->spec.name.c_str(), awsdl_dash::chart_js_path().empty() ? "; Chart.js (libjs-chart.js) is not installed: no charts" : "");

  std::string last;  // the newest snapshot's JSON
  return awsdl_dash::serve_until_stopped(server, cfg->runtime, flags->interval, cancel,
                                         "the dashboard of cluster " + target->spec.name,
                                         [&](int) -> awsdl::Result<awsdl::PollState> {
    auto s = monitor->snapshot();
    if (!s) {
      if (s.error().kind == awsdl::ErrorKind::kCancelled) return std::move(s).error();
      // The page keeps the last state and says why it is not refreshed.
      std::string problem = ",\"problem\":" + quote("cannot look at the cluster: " + s.error().message) + "}";
      server.publish(last.empty() ? "{\"title\":" + quote("cluster " + target->spec.name) + problem
                                  : last.substr(0, last.size() - 1) + problem,
                     {});
      return awsdl::PollState::pending("error");
    }
    auto events = renderer.news(*s);
    last = renderer.snapshot_json(*s);
    server.publish(last, std::move(events));
    return awsdl::PollState::pending(s->stack_status);
  });
}

const awsdl_cli::RegisterCommand kRegister({"dashboard", "serve a live page of a cluster in a browser", run});

}  // namespace
