// awsdl-cluster resize: change the number of workers and wait until they run (or are gone).
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <awsdl/cluster/lifecycle.hpp>

#include "cli.hpp"
#include "cluster_cli.hpp"
#include "command.hpp"

namespace {

using namespace awsdl_cluster;

awsdl_cli::Parser parser() {
  awsdl_cli::Parser p("awsdl-cluster resize", "change a cluster's worker count");
  p.usage("awsdl-cluster resize --name NAME | --config FILE --workers N [--dry-run] [--yes]");
  add_cluster_flags(p);
  add_change_flags(p, true);
  add_wait_flag(p);
  p.flag({"no-wait", "", "return once the change is accepted, without waiting for the workers"});
  p.example("awsdl-cluster resize --name maskrcnn --workers 8");
  p.example("awsdl-cluster resize --name maskrcnn --workers 2 --yes   # shrinking terminates workers");
  return p;
}

int run(const std::vector<std::string>& argv) {
  auto opening = open_cluster_command(parser(), argv);
  if (opening.exit) return *opening.exit;
  const awsdl_cli::Args& args = opening.args;
  const bool json = opening.json;
  auto target = target_from(args, false);
  if (!target) return awsdl_cli::report(target.error());
  auto poll = poll_interval_from(args);
  if (!poll) return awsdl_cli::report(poll.error());
  if (!args.has("workers"))
    return awsdl_cli::report(awsdl::Error::invalid_argument("NoWorkers", "--workers N is required"));
  const auto range = *awsdl::cluster::whole_setting_range("cluster.workers");  // as in the INI file
  auto parsed_workers = awsdl_cli::whole_flag(args, "workers", 0, range.lo, range.hi);
  if (!parsed_workers) return awsdl_cli::report(parsed_workers.error());
  const long long workers = *parsed_workers;
  const std::string& name = target->spec.name;
  if (args.has("dry-run")) {
    awsdl::cluster::ResizeOptions o;
    o.wait = !args.has("no-wait");
    auto plan = awsdl::cluster::plan_resize(name, static_cast<int>(workers), o);
    if (!plan) return awsdl_cli::report(plan.error());
    std::printf("dry run: no AWS call is made; resize would make these calls:\n");
    print_plan(*plan, o.wait ? "then, until the update is complete and the workers run (polling):"
                             : "then, until the update is complete (polling):",
               "then, once it is done:");
    return awsdl_cli::kExitOk;
  }
  auto cfg = awsdl_cli::config_from(args);
  if (!cfg) return awsdl_cli::report(cfg.error());
  awsdl::cluster::Clusters clusters(*cfg);
  auto before = clusters.describe(name);
  if (!before) return awsdl_cli::report(before.error());
  if (workers < before->desired_workers && !args.has("yes") &&
      !confirm("Shrink " + name + " from " + std::to_string(before->desired_workers) + " to " + std::to_string(workers) +
               " workers (terminates workers and whatever runs on them)?")) {
    std::fprintf(stderr, "not resized (shrinking needs --yes or a yes on the terminal)\n");
    return awsdl_cli::kExitUsage;
  }
  EventPrinter printer(json ? stderr : stdout);
  awsdl::cluster::ResizeOptions o;
  o.poll_interval = *poll;
  o.on_event = [&printer](const awsdl::cluster::ClusterEvent& e) { printer(e); };
  o.cancel = install_interrupt_handler();
  o.wait = !args.has("no-wait");
  auto c = clusters.resize(name, static_cast<int>(workers), o);
  if (!c) return awsdl_cli::report(c.error());
  if (auto files = write_local_files(*target, *c); !files) return awsdl_cli::report(files.error());
  if (json) std::printf("%s\n", cluster_json(*c, true).c_str());
  else std::printf("cluster %s: %d workers (%s)\n", name.c_str(), c->desired_workers, c->status.c_str());
  return awsdl_cli::kExitOk;
}

const awsdl_cli::RegisterCommand kRegister({"resize", "change the number of workers", run});

}  // namespace
