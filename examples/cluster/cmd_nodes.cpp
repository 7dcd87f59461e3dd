// awsdl-cluster nodes: the master and the workers with their addresses and GPU counts.
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
  awsdl_cli::Parser p("awsdl-cluster nodes", "list a cluster's nodes");
  p.usage("awsdl-cluster nodes --name NAME | --config FILE [--output text|json] [--write-files]");
  add_cluster_flags(p);
  p.flag({"write-files", "", "also (re)write the hostfile, workers and env files in the state directory"});
  p.example("awsdl-cluster nodes --name maskrcnn");
  p.example("awsdl-cluster nodes --config cluster.ini --output json | jq -r '.nodes[].private_ip'");
  return p;
}

int run(const std::vector<std::string>& argv) {
  auto opening = open_cluster_command(parser(), argv);
  if (opening.exit) return *opening.exit;
  const awsdl_cli::Args& args = opening.args;
  const bool json = opening.json;
  auto target = target_from(args, false);
  if (!target) return awsdl_cli::report(target.error());
  auto cfg = awsdl_cli::config_from(args);
  if (!cfg) return awsdl_cli::report(cfg.error());
  awsdl::cluster::Clusters clusters(*cfg);
  auto c = clusters.describe(target->spec.name);
  if (!c) return awsdl_cli::report(c.error());
  if (c->gpus_unknown)
    std::fprintf(stderr, "warning: GPU counts unknown, shown as 0: %s\n", c->gpus_unknown->to_string().c_str());
  if (args.has("write-files")) {
    auto files = write_local_files(*target, *c);
    if (!files) return awsdl_cli::report(files.error());
    for (const auto& f : *files) std::fprintf(stderr, "wrote %s\n", f.c_str());
  }
  if (json) {
    std::printf("%s\n", cluster_json(*c, true).c_str());
    return awsdl_cli::kExitOk;
  }
  std::printf("%-7s %-20s %-14s %-9s %-15s %-15s %s\n", "ROLE", "INSTANCE", "TYPE", "STATE", "PRIVATE", "PUBLIC", "GPUS");
  for (const auto& n : c->nodes)
    std::printf("%-7s %-20s %-14s %-9s %-15s %-15s %d\n", n.role == awsdl::cluster::NodeRole::kMaster ? "master" : "worker",
                n.instance_id.c_str(), n.instance_type.c_str(), n.state.c_str(), n.private_ip.c_str(),
                n.public_ip.empty() ? "-" : n.public_ip.c_str(), n.gpus);
  return awsdl_cli::kExitOk;
}

const awsdl_cli::RegisterCommand kRegister({"nodes", "a cluster's nodes: addresses, types, GPUs", run});

}  // namespace
