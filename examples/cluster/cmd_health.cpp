// awsdl-cluster health: every node checked over SSH through the master: reachable, shared file
// system mounted and writable, GPU count, free disk, stray training processes.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <awsdl/cluster/health.hpp>
#include <awsdl/cluster/lifecycle.hpp>

#include "cli.hpp"
#include "cluster_cli.hpp"
#include "command.hpp"

namespace {

using namespace awsdl_cluster;

awsdl_cli::Parser parser() {
  awsdl_cli::Parser p("awsdl-cluster health", "check every node of a cluster over SSH");
  p.usage("awsdl-cluster health --name NAME | --config FILE [--expected-gpus N|auto|any] [--output text|json]");
  add_cluster_flags(p);
  p.flag({"expected-gpus", "N|auto|any", "GPUs every node must show in nvidia-smi -L (default auto: the instance type's)"});
  p.flag({"no-mount-check", "", "accept a shared directory that is not a mount point (a local test cluster)"});
  p.flag({"min-free-gb", "N", "free space each node needs on / (default 1)"});
  p.flag({"stray-pattern", "REGEX", "processes whose command line matches count as strays "
                                    "(default: python|horovodrun|mpirun|orted)"});
  p.example("awsdl-cluster health --name maskrcnn");
  p.example("awsdl-cluster health --config cluster.ini --output json");
  return p;
}

std::string health_json(const awsdl::cluster::HealthReport& r) {
  using awsdl_cli::json_escape;
  std::string s = std::string("{\"healthy\":") + (r.healthy() ? "true" : "false") + ",\"nodes\":[";
  for (std::size_t i = 0; i < r.nodes.size(); ++i) {
    const auto& n = r.nodes[i];
    s += (i ? "," : "") + std::string("{\"host\":\"") + json_escape(n.host) + "\",\"reachable\":" +
         (n.reachable ? "true" : "false") + ",\"shared_mounted\":" + (n.shared_mounted ? "true" : "false") +
         ",\"shared_writable\":" + (n.shared_writable ? "true" : "false") + ",\"gpus\":" + std::to_string(n.gpus) +
         ",\"free_bytes\":" + std::to_string(n.free_bytes) + ",\"strays\":" + std::to_string(n.strays.size()) +
         ",\"problems\":[";
    for (std::size_t j = 0; j < n.problems.size(); ++j) s += (j ? ",\"" : "\"") + json_escape(n.problems[j]) + "\"";
    s += "]}";
  }
  return s + "]}";
}

int run(const std::vector<std::string>& argv) {
  auto opening = open_cluster_command(parser(), argv);
  if (opening.exit) return *opening.exit;
  const awsdl_cli::Args& args = opening.args;
  const bool json = opening.json;
  auto target = target_from(args, false);
  if (!target) return awsdl_cli::report(target.error());
  std::string gpus = args.get_or("expected-gpus", "auto");
  std::optional<long long> expected;
  if (gpus != "auto" && gpus != "any") {
    auto n = awsdl_cli::whole_flag(args, "expected-gpus", 0, 0, 1000000);
    if (!n) return awsdl_cli::report(awsdl::Error::invalid_argument("BadFlag", "--expected-gpus must be a number, auto or any, got '" + gpus + "'"));
    expected = *n;
  }
  auto min_free = awsdl_cli::whole_flag(args, "min-free-gb", 1, 0, 1000000);
  if (!min_free) return awsdl_cli::report(min_free.error());
  auto cfg = awsdl_cli::config_from(args);
  if (!cfg) return awsdl_cli::report(cfg.error());

  awsdl::cluster::Clusters clusters(*cfg);
  auto c = clusters.describe(target->spec.name);
  if (!c) return awsdl_cli::report(c.error());
  auto access = node_access(*target, *c);
  if (!access) return awsdl_cli::report(access.error());

  awsdl::cluster::HealthOptions ho;
  ho.shared_path = c->mount_point.empty() ? target->spec.mount_point : c->mount_point;
  ho.require_mount_point = !args.has("no-mount-check");
  ho.min_free_bytes = static_cast<std::uint64_t>(*min_free) << 30;
  if (auto v = args.get("stray-pattern")) ho.stray_pattern = *v;
  if (expected) ho.expected_gpus = static_cast<int>(*expected);
  else if (gpus == "auto" && c->master()) ho.expected_gpus = c->master()->gpus;
  awsdl::ssh::FanOut fan(access->hosts, access->options);
  auto report = awsdl::cluster::check_health(fan, ho);
  if (json) std::printf("%s\n", health_json(report).c_str());
  else std::fputs(report.table().c_str(), stdout);
  if (!report.healthy()) {
    std::fprintf(stderr, "%zu of %zu nodes unhealthy\n", report.unhealthy(), report.nodes.size());
    return awsdl_cli::kExitFailed;
  }
  return awsdl_cli::kExitOk;
}

const awsdl_cli::RegisterCommand kRegister({"health", "check every node over SSH (EFS, GPUs, disk, strays)", run});

}  // namespace
