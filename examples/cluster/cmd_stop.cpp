// awsdl-cluster stop: stop exactly the jobs `run` started (by process group and job marker),
// never a pattern-matching kill.
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
  awsdl_cli::Parser p("awsdl-cluster stop", "stop what awsdl-cluster run started");
  p.usage("awsdl-cluster stop --name NAME | --config FILE [--grace SECONDS]");
  add_cluster_flags(p);
  p.flag({"grace", "SECONDS", "time between SIGTERM and SIGKILL (default 10)"});
  p.example("awsdl-cluster stop --name maskrcnn");
  return p;
}

int run(const std::vector<std::string>& argv) {
  auto opening = open_cluster_command(parser(), argv);
  if (opening.exit) return *opening.exit;
  const awsdl_cli::Args& args = opening.args;
  auto target = target_from(args, false);
  if (!target) return awsdl_cli::report(target.error());
  auto grace = awsdl_cli::whole_flag(args, "grace", 10, 0, 3600);
  if (!grace) return awsdl_cli::report(grace.error());
  auto jobs = recorded_jobs(*target);
  if (!jobs) return awsdl_cli::report(jobs.error());
  if (jobs->empty()) {
    std::printf("nothing to stop: no job of awsdl-cluster run is recorded in %s\n", target->state_dir.c_str());
    return awsdl_cli::kExitOk;
  }
  auto cfg = awsdl_cli::config_from(args);
  if (!cfg) return awsdl_cli::report(cfg.error());
  awsdl::cluster::Clusters clusters(*cfg);
  auto c = clusters.describe(target->spec.name);
  if (!c) return awsdl_cli::report(c.error());
  auto access = node_access(*target, *c);
  if (!access) return awsdl_cli::report(access.error());
  std::vector<std::string> hosts;
  for (const auto& j : *jobs) hosts.push_back(j.host);
  awsdl::ssh::FanOut fan(hosts, access->options);
  auto results = fan.stop(*jobs, std::chrono::seconds(*grace));
  std::vector<std::string> done;
  int failed = 0;
  for (std::size_t i = 0; i < results.size(); ++i) {
    const auto& j = (*jobs)[i];
    if (!results[i]) {
      ++failed;
      std::fprintf(stderr, "%s: job %s (process group %d): %s\n", j.host.c_str(), j.id.c_str(), j.pgid,
                   results[i].error().to_string().c_str());
      continue;
    }
    done.push_back(j.id);
    std::printf("%s: job %s: %s\n", j.host.c_str(), j.id.c_str(),
                results[i]->processes == 0 ? "had already ended"
                : results[i]->killed       ? ("stopped " + std::to_string(results[i]->processes) + " processes (SIGKILL needed)").c_str()
                                           : ("stopped " + std::to_string(results[i]->processes) + " processes").c_str());
  }
  if (auto f = forget_jobs(*target, done); !f) return awsdl_cli::report(f.error());
  return failed ? awsdl_cli::kExitFailed : awsdl_cli::kExitOk;
}

const awsdl_cli::RegisterCommand kRegister({"stop", "stop exactly what run started", run});

}  // namespace
