// awsdl-cluster delete: delete the cluster's stack and wait until it is gone. A created EFS
// file system is kept unless --delete-file-system.
#include <unistd.h>

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
  awsdl_cli::Parser p("awsdl-cluster delete", "delete a cluster (its EFS file system is kept)");
  p.usage("awsdl-cluster delete --name NAME | --config FILE [--yes] [--delete-file-system] [--dry-run]");
  add_cluster_flags(p);
  add_change_flags(p, true);
  add_wait_flag(p);
  p.flag({"delete-file-system", "",
          "also delete the file system the stack created (its data is lost): EFS, kept otherwise, or FSx for "
          "Lustre, which cannot outlive the stack (delete refuses without this flag)"});
  p.example("awsdl-cluster delete --name maskrcnn --yes");
  p.example("awsdl-cluster delete --config cluster.ini --dry-run");
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
  const std::string& name = target->spec.name;
  if (args.has("dry-run")) {
    awsdl::cluster::DeleteOptions o;
    o.delete_file_system = args.has("delete-file-system");
    auto plan = awsdl::cluster::plan_remove(name, o);
    if (!plan) return awsdl_cli::report(plan.error());
    std::printf("dry run: no AWS call is made; delete would make these calls:\n");
    print_plan(*plan, "then, until the stack is gone (polling):", "then, once the stack is gone:");
    return awsdl_cli::kExitOk;
  }
  if (!args.has("yes")) {
    if (!::isatty(STDIN_FILENO)) {
      std::fprintf(stderr, "error: delete removes every node of %s and what runs on them: add --yes\n", name.c_str());
      return awsdl_cli::kExitUsage;
    }
    if (!confirm("Delete cluster " + name + " and every node in it?")) {
      std::fprintf(stderr, "not deleted\n");
      return awsdl_cli::kExitUsage;
    }
  }
  auto cfg = awsdl_cli::config_from(args);
  if (!cfg) return awsdl_cli::report(cfg.error());
  awsdl::cluster::Clusters clusters(*cfg);
  EventPrinter printer(json ? stderr : stdout);
  awsdl::cluster::DeleteOptions o;
  o.poll_interval = *poll;
  o.on_event = [&printer](const awsdl::cluster::ClusterEvent& e) { printer(e); };
  o.cancel = install_interrupt_handler();
  o.delete_file_system = args.has("delete-file-system");
  auto removed = clusters.remove(name, o);
  if (!removed) return awsdl_cli::report(removed.error());
  // The autostop watcher went with the master.
  (void)forget_autostop(*target);
  if (json) std::printf("{\"name\":\"%s\",\"deleted\":true}\n", awsdl_cli::json_escape(name).c_str());
  else std::printf("cluster %s deleted%s\n", name.c_str(), o.delete_file_system ? "" : " (its EFS file system, if it made one, is kept)");
  return awsdl_cli::kExitOk;
}

const awsdl_cli::RegisterCommand kRegister({"delete", "delete a cluster (EFS kept)", run});

}  // namespace
