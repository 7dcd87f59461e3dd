// awsdl-cluster create: create the cluster's stack, stream its events, and write the hostfile,
// workers file and env file locally once it runs. Ctrl-C offers to roll back.
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include <awsdl/cluster/lifecycle.hpp>
#include <awsdl/cluster/template.hpp>
#include <awsdl/config.hpp>

#include "cli.hpp"
#include "cluster_cli.hpp"
#include "command.hpp"

namespace {

using namespace awsdl_cluster;

awsdl_cli::Parser parser() {
  awsdl_cli::Parser p("awsdl-cluster create", "create a cluster and wait until its nodes run");
  p.usage("awsdl-cluster create --config FILE [--KEY VALUE...] [--dry-run] [--yes]");
  p.usage("awsdl-cluster create --resume --name NAME");
  add_cluster_flags(p);
  add_change_flags(p, true);
  add_wait_flag(p);
  p.flag({"resume", "", "keep waiting for a create that was interrupted (the stack exists)"});
  p.flag({"template-bucket", "BUCKET", "S3 bucket for templates over 51,200 bytes (default: [cluster] staging_bucket)"});
  p.example("awsdl-cluster create --config cluster.ini");
  p.example("awsdl-cluster create --config cluster.ini --workers 8 --min-workers 6 --dry-run");
  p.example("awsdl-cluster create --config cluster.ini --output json > cluster.json");
  p.example("awsdl-cluster create --resume --name maskrcnn");
  p.note("Every key of the INI file has a flag of the same name with '-' for '_'; a flag wins\n"
         "over the file. Ctrl-C while waiting asks whether to delete the half-made cluster\n"
         "(--yes: deletes it without asking); otherwise it is left for --resume or delete.\n");
  return p;
}

// The region create would use, from the flags, the environment and the profile only: a dry
// run asks no metadata service. Empty when none is configured (or the configuration is bad:
// create reports that).
std::string configured_region(const awsdl_cli::Args& args) {
  awsdl::Config::Overrides o;
  o.region = args.get_or("region", "");
  o.profile = args.get_or("profile", "");
  o.use_imds_region = false;
  auto cfg = awsdl::Config::from_environment(std::move(o));
  return cfg ? cfg->region : std::string();
}

int dry_run(const Target& t, const std::string& template_bucket, const std::string& region) {
  if (!t.key_problem.empty())
    std::fprintf(stderr, "warning: %s; a dry run makes no SSH connection, but create needs the key\n",
                 t.key_problem.c_str());
  awsdl::cluster::CreateOptions o;
  o.template_bucket = template_bucket;
  auto plan = awsdl::cluster::plan_create(t.spec, o, region);
  if (!plan) return awsdl_cli::report(plan.error());
  std::printf("dry run: no AWS call is made; create would make these calls (a template of %zu resources, %zu bytes):\n",
              plan->resource_count, plan->template_bytes);
  print_plan(plan->calls, "then, until the stack is complete and at least " + std::to_string(plan->min_workers) +
                              " of " + std::to_string(plan->workers) + " workers run (polling):",
             "then, once it is ready:");
  return awsdl_cli::kExitOk;
}

void print_cluster(const Target& t, const awsdl::cluster::ClusterInfo& c, const std::vector<std::string>& files) {
  const auto* m = c.master();
  std::printf("cluster %s is ready (%s)\n", c.name.c_str(), c.status.c_str());
  if (m) std::printf("master   %s  public %s  private %s  %d GPUs\n", m->instance_id.c_str(),
                     m->public_ip.empty() ? "-" : m->public_ip.c_str(), m->private_ip.c_str(), m->gpus);
  for (const auto& w : c.workers())
    std::printf("worker   %s  private %s  %d GPUs  %s\n", w.instance_id.c_str(), w.private_ip.c_str(), w.gpus,
                w.state.c_str());
  for (const auto& f : files) std::printf("wrote %s\n", f.c_str());
  if (m) {
    std::string key = t.spec.ssh.key_path.empty() ? "" : "-i " + t.spec.ssh.key_path + " ";
    std::printf("ssh: ssh %s%s@%s\n", key.c_str(), t.spec.ssh.user.c_str(),
                (m->public_ip.empty() ? m->private_ip : m->public_ip).c_str());
  }
}

int run(const std::vector<std::string>& argv) {
  auto opening = open_cluster_command(parser(), argv);
  if (opening.exit) return *opening.exit;
  const awsdl_cli::Args& args = opening.args;
  const bool json = opening.json;
  bool resume = args.has("resume");
  // A dry run makes no SSH connection: a key it cannot read is a warning, not an error.
  auto target = target_from(args, !resume, args.has("dry-run") ? KeyCheck::kWarn : KeyCheck::kRequire);
  if (!target) return awsdl_cli::report(target.error());
  auto poll = poll_interval_from(args);
  if (!poll) return awsdl_cli::report(poll.error());
  const std::string bucket = args.get_or("template-bucket", "");
  if (args.has("dry-run")) {
    if (resume) {
      if (!target->key_problem.empty())
        std::fprintf(stderr, "warning: %s; a dry run makes no SSH connection\n", target->key_problem.c_str());
      std::printf("dry run: no AWS call is made; create --resume would make these calls:\n");
      print_plan(awsdl::cluster::plan_resume(target->spec.name), "then, while the stack is being created (polling):",
                 "then, once it is ready:");
      return awsdl_cli::kExitOk;
    }
    return dry_run(*target, bucket, configured_region(args));
  }
  auto cfg = awsdl_cli::config_from(args);
  if (!cfg) return awsdl_cli::report(cfg.error());

  // Built once: its resource count is the progress bar's total, and create sends it.
  std::optional<awsdl::cluster::StackTemplate> tpl;
  if (!resume) {
    auto built = awsdl::cluster::build_template(target->spec);
    if (!built) return awsdl_cli::report(built.error());
    tpl = std::move(*built);
  }
  EventPrinter printer(json ? stderr : stdout, tpl ? static_cast<int>(tpl->resource_count) : 0);
  awsdl::cluster::Clusters clusters(*cfg);
  awsdl::cluster::CreateOptions o;
  o.poll_interval = *poll;
  o.on_event = [&printer](const awsdl::cluster::ClusterEvent& e) { printer(e); };
  o.cancel = install_interrupt_handler();
  o.template_bucket = bucket;
  const std::string& name = target->spec.name;
  auto c = resume ? clusters.resume(name, o) : clusters.create(target->spec, *tpl, o);
  if (!c) {
    if (c.error().kind != awsdl::ErrorKind::kCancelled) return awsdl_cli::report(c.error());
    std::fprintf(stderr, "\ninterrupted: the stack %s is partly created.\n", name.c_str());
    if (args.has("yes") || confirm("Delete it now (everything the stack made)?")) {
      awsdl::cluster::DeleteOptions d;
      d.poll_interval = *poll;
      EventPrinter dp(stderr);
      d.on_event = [&dp](const awsdl::cluster::ClusterEvent& e) { dp(e); };
      auto removed = clusters.remove(name, d);
      if (!removed) {
        awsdl_cli::report(removed.error(), "rollback");
        std::fprintf(stderr, "remove it with: awsdl-cluster delete --name %s --yes\n", name.c_str());
        return awsdl_cli::kExitFailed;
      }
      std::fprintf(stderr, "deleted %s: nothing is left but a created EFS file system, which is kept.\n", name.c_str());
      return awsdl_cli::kExitFailed;
    }
    std::fprintf(stderr,
                 "left as it is. Continue waiting: awsdl-cluster create --resume --name %s\n"
                 "or remove it:                    awsdl-cluster delete --name %s --yes\n",
                 name.c_str(), name.c_str());
    return awsdl_cli::kExitFailed;
  }
  auto files = write_local_files(*target, *c);
  if (!files) return awsdl_cli::report(files.error(), "cluster created, but the local files");
  if (json) std::printf("%s\n", cluster_json(*c, true).c_str());
  else print_cluster(*target, *c, *files);
  return awsdl_cli::kExitOk;
}

const awsdl_cli::RegisterCommand kRegister({"create", "create a cluster (stack events as progress)", run});

}  // namespace
