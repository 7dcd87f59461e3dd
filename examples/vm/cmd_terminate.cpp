// awsdl-vm terminate: stop what `run` started (by the process group recorded on each
// instance), then terminate every instance carrying the deployment's tag and wait until
// they are gone.
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "command.hpp"
#include "steps.hpp"

namespace awsdl_vm {

namespace {

bool confirm(const Context& ctx, std::size_t count, const std::string& ids) {
  std::fprintf(stderr, "terminate %zu instance(s) of %s in %s (%s)? [y/N] ", count, ctx.vm.name.c_str(),
               ctx.aws.region.c_str(), ids.c_str());
  std::fflush(stderr);
  std::string answer;
  if (!std::getline(std::cin, answer)) return false;
  return answer == "y" || answer == "Y" || answer == "yes";
}

// Stops the recorded runs; failures only warn: terminating the instance ends the run anyway.
std::string stop_runs(const Context& ctx, const std::vector<awsdl::ec2::Instance>& instances) {
  std::vector<awsdl::ssh::RemoteJob> jobs;
  std::vector<std::string> hosts, labels;
  for (const auto& i : instances) {
    std::string address = ssh_address(ctx, i);
    auto job = recorded_job(i, address);
    if (i.state != "running" || !job || address.empty()) continue;
    jobs.push_back(*job);
    hosts.push_back(address);
    labels.push_back(describe_host(i, address));
  }
  if (jobs.empty()) return "[]";
  progress("stopping the run on " + std::to_string(jobs.size()) + " host(s)");
  awsdl::ssh::FanOut fan(hosts, fanout_options(ctx));
  auto results = fan.stop(jobs, ctx.grace);
  std::string items;
  for (std::size_t k = 0; k < jobs.size(); ++k) {
    const auto& r = results[k];
    std::string id = labels[k].substr(0, labels[k].find(' '));
    if (r) {
      if (r->processes == 0)
        progress("the run on " + labels[k] + " had already ended");
      else
        progress("stopped the run on " + labels[k] + ": " + std::to_string(r->processes) + " process(es)" +
                 (r->killed ? ", some only by SIGKILL" : ""));
      items += std::string(items.empty() ? "" : ",") + "{\"instance_id\":" + jstr(id) +
               ",\"processes\":" + std::to_string(r->processes) + ",\"killed\":" + (r->killed ? "true" : "false") + "}";
    } else {
      progress("warning: could not stop the run on " + labels[k] + " (" + r.error().to_string() +
               "); terminating the instance ends it");
      items += std::string(items.empty() ? "" : ",") + "{\"instance_id\":" + jstr(id) +
               ",\"error\":" + jstr(r.error().to_string()) + "}";
    }
  }
  return "[" + items + "]";
}

}  // namespace

StepOutcome terminate_step(Context& ctx) {
  StepOutcome out;
  out.code = awsdl_cli::kExitFailed;
  auto found = tagged_instances(ctx, false);
  if (!found) {
    fail("looking for instances tagged " + std::string(kDeploymentTag) + "=" + ctx.vm.name, found.error());
    return out;
  }
  // The host keys belong to instances that are going away; a later instance reusing an
  // address must not be refused for a changed key.
  auto forget_host_keys = [&] {
    if (ctx.vm.default_known_hosts) ::unlink(ctx.vm.known_hosts.c_str());
  };
  if (found->empty()) {
    forget_host_keys();
    out.json = "{\"name\":" + jstr(ctx.vm.name) + ",\"terminated\":[],\"runs_stopped\":[]}";
    if (!ctx.json)
      std::printf("nothing to terminate: no live instance carries %s=%s\n", kDeploymentTag, ctx.vm.name.c_str());
    out.code = awsdl_cli::kExitOk;
    return out;
  }
  std::vector<std::string> ids;
  std::string id_list, id_json;
  for (const auto& i : *found) {
    ids.push_back(i.instance_id);
    id_list += (id_list.empty() ? "" : " ") + i.instance_id;
    id_json += (id_json.empty() ? "" : ",") + jstr(i.instance_id);
  }
  if (!ctx.yes && !confirm(ctx, ids.size(), id_list)) {
    std::fprintf(stderr, "not terminated\n");
    return out;
  }
  std::string stopped = stop_runs(ctx, *found);

  progress("terminating " + id_list);
  auto changes = ctx.ec2->terminate_instances(ids);
  if (!changes) {
    fail("TerminateInstances", changes.error(),
         "run '" + command_line(ctx, "terminate") + " --yes' again; it is safe to repeat");
    return out;
  }
  // Not cancellable by Ctrl-C: `all` must finish this even after an interrupted step.
  auto gone = ctx.ec2->wait_until_terminated(ids, wait_options(ctx, "terminated", awsdl::CancellationToken{}));
  if (!gone) {
    fail("waiting for the instances to terminate", gone.error(),
         "'" + command_line(ctx, "status") + "' shows where they are; terminate again if needed");
    return out;
  }
  forget_host_keys();
  out.json = "{\"name\":" + jstr(ctx.vm.name) + ",\"terminated\":[" + id_json + "],\"runs_stopped\":" + stopped + "}";
  if (!ctx.json) {
    std::printf("terminated %zu instance(s) of %s:\n", ids.size(), ctx.vm.name.c_str());
    for (const auto& id : ids) std::printf("  %s\n", id.c_str());
    std::fflush(stdout);
  }
  out.code = awsdl_cli::kExitOk;
  return out;
}

namespace {

CommandInfo info() {
  CommandInfo i;
  i.name = "terminate";
  i.summary = "stop what run started, then terminate every instance of the deployment";
  i.yes_flag = true;
  i.needs.ssh = true;
  i.grace_flag = true;
  i.examples = {"awsdl-vm terminate --config vm.ini --yes",
                "awsdl-vm terminate --name my-experiment --region us-west-2 --yes"};
  i.notes =
      "Terminates every instance carrying awsdl:vm=NAME (whoever launched it), after stopping the\n"
      "run recorded on each (SIGTERM to its process group, SIGKILL after --grace). Asks first on a\n"
      "terminal; elsewhere --yes is required.\n";
  return i;
}

int run(const std::vector<std::string>& argv) {
  Context ctx;
  if (int code = prepare(info(), argv, ctx); code >= 0) return code;
  return finish(ctx, terminate_step(ctx));
}

const awsdl_cli::RegisterCommand kRegister({"terminate", "stop the run, terminate every instance of the deployment", run});

}  // namespace
}  // namespace awsdl_vm
