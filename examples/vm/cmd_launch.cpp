// awsdl-vm launch: awsdl::vm::Deployment::launch (RunInstances with one idempotency token,
// every instance tagged with the deployment), then the instances it started.
#include <cstdio>

#include "command.hpp"
#include "steps.hpp"

namespace awsdl_vm {

StepOutcome launch_step(Context& ctx) {
  StepOutcome out;
  out.code = awsdl_cli::kExitFailed;
  auto options = ctx.options;
  options.on_event = [&out, next = ctx.options.on_event](const awsdl::vm::VmEvent& e) {
    if (e.kind == awsdl::vm::VmEventKind::kLaunched) out.created = !e.instance_ids.empty();
    if (next) next(e);
  };
  auto launched = ctx.deployment->launch(options);
  if (!launched) {
    fail(ctx, launched.error().code == "DeploymentExists" ? "" : "launch", launched.error());
    return out;
  }
  const auto& vm = ctx.spec();
  std::string items;
  for (const auto& i : launched->instances) items += (items.empty() ? "" : ",") + instance_json(ctx, i);
  out.json = "{\"name\":" + jstr(vm.name) + ",\"region\":" + jstr(ctx.region()) + ",\"image_id\":" +
             jstr(launched->image_id) + ",\"reservation_id\":" + jstr(launched->reservation_id) +
             ",\"client_token\":" + jstr(launched->client_token) + ",\"instances\":[" + items + "]}";
  if (!ctx.json) {
    std::printf("launched %zu instance(s) of %s (%s, %s) in %s:\n", launched->instances.size(), vm.name.c_str(),
                vm.instance_type.c_str(), launched->image_id.c_str(), ctx.region().c_str());
    for (const auto& i : launched->instances)
      std::printf("  %-20s %-10s %s\n", i.instance_id.c_str(), i.state.c_str(), awsdl::vm::ssh_address(vm, i).c_str());
    std::fflush(stdout);
  }
  out.code = awsdl_cli::kExitOk;
  return out;
}

namespace {

CommandInfo info() {
  CommandInfo i;
  i.name = "launch";
  i.summary = "launch the instances, tagged awsdl:vm=NAME, and wait until they run";
  i.needs = awsdl::vm::needs_of_launch();
  i.examples = {"awsdl-vm launch --config vm.ini",
                "awsdl-vm launch --config vm.ini --count 4 --instance-type g5.xlarge --output json",
                "awsdl-vm launch --config vm.ini --ami-id ami-0123456789abcdef0 --region eu-west-1"};
  i.notes =
      "The image is [vm] ami_id, or the newest image named [vm] ami_name (owned by ami_owner).\n"
      "launch refuses to run while instances carrying the deployment's tag exist.\n";
  return i;
}

int run(const std::vector<std::string>& argv) {
  Context ctx;
  if (int code = prepare(info(), argv, ctx); code >= 0) return code;
  return finish(ctx, launch_step(ctx));
}

const awsdl_cli::RegisterCommand kRegister({"launch", "launch the instances and wait until they run", run});

}  // namespace
}  // namespace awsdl_vm
