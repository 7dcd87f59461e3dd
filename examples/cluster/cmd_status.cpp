// awsdl-cluster status: the stack's state and worker counts of one cluster, or every cluster.
#include <cstdio>
#include <string>
#include <vector>

#include <awsdl/cluster/lifecycle.hpp>

#include "cli.hpp"
#include "cluster_cli.hpp"
#include "command.hpp"

namespace {

using namespace awsdl_cluster;

awsdl_cli::Parser parser() {
  awsdl_cli::Parser p("awsdl-cluster status", "show a cluster's state, or list every cluster");
  p.usage("awsdl-cluster status [--name NAME | --config FILE] [--output text|json]");
  add_cluster_flags(p);
  p.example("awsdl-cluster status                      # every cluster (stacks tagged awsdl:cluster)");
  p.example("awsdl-cluster status --name maskrcnn --output json");
  return p;
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
  return awsdl_cli::kExitOk;
}

const awsdl_cli::RegisterCommand kRegister({"status", "a cluster's state, or every cluster", run});

}  // namespace
