// awsdl-cluster autostop: a watcher on the master that scales the workers to zero (or, with
// --delete, deletes the stack) once the GPUs and the jobs `run` started have been idle for the
// given period. The stack's Autostop parameter gives the instance role that one permission
// first; --cancel stops exactly the watcher and takes the permission away.
#include <cstdio>
#include <string>
#include <vector>

#include <awsdl/cluster/autostop.hpp>
#include <awsdl/cluster/lifecycle.hpp>
#include <awsdl/ssh/quote.hpp>

#include "cli.hpp"
#include "cluster_cli.hpp"
#include "command.hpp"

namespace {

using namespace awsdl_cluster;
namespace cl = awsdl::cluster;

awsdl_cli::Parser parser() {
  awsdl_cli::Parser p("awsdl-cluster autostop", "stop an idle cluster's workers (or delete it) by itself");
  p.usage("awsdl-cluster autostop --name NAME | --config FILE --idle DURATION [--delete] [--interval DURATION]\n"
          "       awsdl-cluster autostop --name NAME | --config FILE --cancel");
  add_cluster_flags(p);
  add_wait_flag(p);
  p.flag({"idle", "DURATION", "how long the GPUs and the jobs must be idle: 30m, 1h30m, 90s (a bare number is seconds)"});
  p.flag({"delete", "", "delete the cluster's stack instead of scaling the workers to zero"});
  p.flag({"cancel", "", "stop the watcher and take the permission away from the instance role"});
  p.flag({"interval", "DURATION", "between two checks of the watcher (default 1m)"});
  p.flag({"gpu-busy", "PERCENT", "a GPU at or above this utilisation is busy (default 5)"});
  p.flag({"nvidia-smi", "PATH", "the nvidia-smi the watcher asks (default nvidia-smi)"});
  p.flag({"env", "NAME=VALUE", "set in the watcher's environment (the AWS CLI's settings on a test node)", true});
  p.example("awsdl-cluster autostop --name maskrcnn --idle 30m");
  p.example("awsdl-cluster autostop --name maskrcnn --idle 2h --delete");
  p.example("awsdl-cluster autostop --name maskrcnn --cancel");
  p.note("The watcher runs on the master, detached, and checks every interval: nvidia-smi's GPU\n"
         "utilisation and the processes of the jobs awsdl-cluster run started. Work resets the idle\n"
         "time. After the idle period it scales the worker group to zero (min and desired 0; resize\n"
         "brings workers back) or, with --delete, deletes the stack, with the instance role, which\n"
         "gets exactly that permission (the stack's Autostop parameter) and nothing when cancelled.\n"
         "status shows the setting and the idle time so far. stop leaves the watcher running.\n");
  return p;
}

// Stops the recorded watcher, if any; forgets it. A watcher that ended already is fine.
awsdl::Status stop_watcher(const Target& target, const cl::ClusterInfo& info, bool& stopped) {
  stopped = false;
  AWSDL_ASSIGN_OR_RETURN(auto record, recorded_autostop(target));
  if (!record) return {};
  AWSDL_ASSIGN_OR_RETURN(auto access, node_access(target, info));
  awsdl::ssh::FanOut fan({record->job.host}, access.options);
  auto results = fan.stop({record->job}, std::chrono::seconds(5));
  if (!results[0]) return std::move(results[0]).error();
  stopped = results[0]->processes > 0;
  return forget_autostop(target);
}

int run(const std::vector<std::string>& argv) {
  auto opening = open_cluster_command(parser(), argv);
  if (opening.exit) return *opening.exit;
  const awsdl_cli::Args& args = opening.args;
  const bool cancel = args.has("cancel");
  // Every flag is checked before any call.
  if (cancel) {
    for (const char* f : {"idle", "delete", "interval", "gpu-busy", "nvidia-smi", "env"})
      if (args.has(f))
        return awsdl_cli::report(awsdl::Error::invalid_argument("BadFlag", std::string("--cancel takes no --") + f));
  } else if (!args.has("idle")) {
    return awsdl_cli::report(awsdl::Error::invalid_argument("NoIdle", "--idle DURATION is required (or --cancel)"));
  }
  cl::AutostopSettings settings;
  if (!cancel) {
    auto idle = cl::parse_duration(args.get_or("idle", ""), "--idle");
    if (!idle) return awsdl_cli::report(idle.error());
    settings.idle = *idle;
    if (auto v = args.get("interval")) {
      auto interval = cl::parse_duration(*v, "--interval");
      if (!interval) return awsdl_cli::report(interval.error());
      settings.interval = *interval;
    }
    auto busy = awsdl_cli::whole_flag(args, "gpu-busy", 5, 1, 100);
    if (!busy) return awsdl_cli::report(busy.error());
    settings.gpu_busy_percent = static_cast<int>(*busy);
    settings.nvidia_smi = args.get_or("nvidia-smi", "nvidia-smi");
    settings.action = args.has("delete") ? cl::AutostopAction::kDeleteStack : cl::AutostopAction::kScaleToZero;
  }
  awsdl::ssh::DetachOptions detach;
  for (const auto& e : args.all("env")) {
    auto eq = e.find('=');
    if (eq == std::string::npos || eq == 0)
      return awsdl_cli::report(awsdl::Error::invalid_argument("BadFlag", "--env wants NAME=VALUE, got '" + e + "'"));
    detach.env[e.substr(0, eq)] = e.substr(eq + 1);
  }
  auto target = target_from(args, false);
  if (!target) return awsdl_cli::report(target.error());
  auto poll = poll_interval_from(args);
  if (!poll) return awsdl_cli::report(poll.error());
  auto cfg = awsdl_cli::config_from(args);
  if (!cfg) return awsdl_cli::report(cfg.error());

  const std::string& name = target->spec.name;
  cl::Clusters clusters(*cfg);
  auto info = clusters.describe(name);
  if (!info) return awsdl_cli::report(info.error());
  bool stopped = false;
  // A new watcher replaces the old one; --cancel just stops it.
  if (auto s = stop_watcher(*target, *info, stopped); !s) return awsdl_cli::report(s.error(), "stopping the watcher");
  cl::ResizeOptions o;
  o.poll_interval = *poll;
  EventPrinter printer(stdout);
  o.on_event = [&printer](const cl::ClusterEvent& e) { printer(e); };
  if (cancel) {
    auto off = clusters.set_autostop(name, cl::AutostopAction::kOff, o);
    if (!off) return awsdl_cli::report(off.error());
    std::printf("autostop of cluster %s cancelled: %s; the instance role has no autostop permission\n", name.c_str(),
                stopped ? "the watcher was stopped" : "no watcher was running");
    return awsdl_cli::kExitOk;
  }

  auto allowed = clusters.set_autostop(name, settings.action, o);
  if (!allowed) return awsdl_cli::report(allowed.error());
  auto access = node_access(*target, *allowed);
  if (!access) return awsdl_cli::report(access.error());
  settings.cluster = name;
  settings.region = cfg->region;
  settings.worker_group = allowed->worker_group;
  settings.stack = allowed->stack_id;
  const std::string dir = remote_dir(*target);
  settings.status_path = dir + "/autostop.status";
  auto script = cl::autostop_script(settings);
  if (!script) return awsdl_cli::report(script.error());
  // The AWS CLI on the master goes where this program goes (an endpoint override: a local test).
  if (!cfg->endpoint_url.empty()) detach.env.emplace("AWS_ENDPOINT_URL", cfg->endpoint_url);
  detach.log_path = dir + "/autostop.log";
  awsdl::ssh::FanOut fan({access->master}, access->options);
  auto made = fan.run_on(access->master, "mkdir -p " + awsdl::ssh::shell_quote(dir));
  if (!made) return awsdl_cli::report(made.error(), "making " + dir + " on the master");
  if (!made->ok()) {
    std::fprintf(stderr, "error: cannot make %s on the master: %s\n", dir.c_str(), made->err.c_str());
    return awsdl_cli::kExitFailed;
  }
  auto job = fan.start_on(access->master, "exec bash -c " + awsdl::ssh::shell_quote(*script), detach);
  if (!job) return awsdl_cli::report(job.error(), "starting the watcher on the master");
  if (auto r = record_autostop(*target, {*job, settings.status_path}); !r) return awsdl_cli::report(r.error());
  const char* what = settings.action == cl::AutostopAction::kDeleteStack ? "delete the stack" : "scale the workers to zero";
  std::printf("autostop of cluster %s: %s after %s idle (checked every %s); watcher job %s on %s%s\n", name.c_str(), what,
              cl::format_duration(settings.idle).c_str(), cl::format_duration(settings.interval).c_str(),
              job->id.c_str(), job->host.c_str(), stopped ? " (replacing the previous one)" : "");
  return awsdl_cli::kExitOk;
}

const awsdl_cli::RegisterCommand kRegister({"autostop", "scale an idle cluster to zero workers, or delete it", run});

}  // namespace
