// awsdl-vm status: the instances carrying the deployment's tag, with their state, address
// and the run recorded on them.
#include <cstdio>

#include "command.hpp"
#include "steps.hpp"

namespace awsdl_vm {

StepOutcome status_step(Context& ctx) {
  StepOutcome out;
  const auto& vm = ctx.spec();
  auto found = ctx.deployment->instances(true);
  if (!found) {
    out.code = fail(ctx, "looking for instances tagged " + std::string(awsdl::vm::kDeploymentTag) + "=" + vm.name,
                    found.error());
    return out;
  }
  std::size_t live = 0;
  std::string items;
  for (const auto& i : *found) {
    items += (items.empty() ? "" : ",") + instance_json(ctx, i);
    live += i.state != "terminated" ? 1 : 0;
  }
  out.json = "{\"name\":" + jstr(vm.name) + ",\"region\":" + jstr(ctx.region()) + ",\"live\":" + std::to_string(live) +
             ",\"instances\":[" + items + "]}";
  if (ctx.json) return out;
  if (found->empty()) {
    std::printf("no instance carries %s=%s in %s\n", awsdl::vm::kDeploymentTag, vm.name.c_str(), ctx.region().c_str());
    return out;
  }
  std::printf("%s in %s: %zu live instance(s)\n", vm.name.c_str(), ctx.region().c_str(), live);
  std::printf("%-20s %-14s %-12s %-16s %-16s %-25s %s\n", "INSTANCE", "STATE", "TYPE", "ADDRESS", "PRIVATE", "LAUNCHED",
              "RUN (PGID)");
  for (const auto& i : *found) {
    auto job = awsdl::vm::recorded_job(i);
    std::string pgid = job ? std::to_string(job->pgid) : "-";
    std::string address = awsdl::vm::ssh_address(vm, i);
    std::printf("%-20s %-14s %-12s %-16s %-16s %-25s %s\n", i.instance_id.c_str(), i.state.c_str(),
                i.instance_type.c_str(), address.empty() ? "-" : address.c_str(),
                i.private_ip.empty() ? "-" : i.private_ip.c_str(), i.launch_time.c_str(), pgid.c_str());
  }
  std::fflush(stdout);
  return out;
}

namespace {

CommandInfo info() {
  CommandInfo i;
  i.name = "status";
  i.summary = "list the instances carrying the deployment's tag";
  i.examples = {"awsdl-vm status --config vm.ini",
                "awsdl-vm status --name my-experiment --region us-west-2 --output json"};
  i.notes = "Terminated instances are listed while EC2 still shows them (about an hour).\n";
  return i;
}

int run(const std::vector<std::string>& argv) {
  Context ctx;
  if (int code = prepare(info(), argv, ctx); code >= 0) return code;
  return finish(ctx, status_step(ctx));
}

const awsdl_cli::RegisterCommand kRegister({"status", "list the deployment's instances", run});

}  // namespace
}  // namespace awsdl_vm
