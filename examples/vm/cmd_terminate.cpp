// awsdl-vm terminate: awsdl::vm::Deployment::terminate, which stops what `run` started (by the
// process group recorded on each instance), then terminates every instance carrying the
// deployment's tag and waits until they are gone. Asks first on a terminal.
#include <cstdio>
#include <iostream>

#include "command.hpp"
#include "steps.hpp"

namespace awsdl_vm {

StepOutcome terminate_step(Context& ctx) {
  StepOutcome out;
  out.code = awsdl_cli::kExitFailed;
  const auto& vm = ctx.spec();
  auto options = ctx.options;
  if (!ctx.yes)
    options.confirm = [&](const std::vector<awsdl::ec2::Instance>& found) {
      std::string ids;
      for (const auto& i : found) ids += (ids.empty() ? "" : " ") + i.instance_id;
      std::fprintf(stderr, "terminate %zu instance(s) of %s in %s (%s)? [y/N] ", found.size(), vm.name.c_str(),
                   ctx.region().c_str(), ids.c_str());
      std::fflush(stderr);
      std::string answer;
      if (!std::getline(std::cin, answer)) return false;
      return answer == "y" || answer == "Y" || answer == "yes";
    };
  auto report = ctx.deployment->terminate(options);
  if (!report) {
    if (report.error().code == "NotConfirmed") {
      std::fprintf(stderr, "not terminated\n");
      return out;
    }
    fail(ctx, "terminate", report.error());
    return out;
  }
  std::string ids, stopped;
  for (const auto& id : report->terminated) ids += (ids.empty() ? "" : ",") + jstr(id);
  for (const auto& s : report->runs_stopped) {
    stopped += std::string(stopped.empty() ? "" : ",") + "{\"instance_id\":" + jstr(s.instance_id);
    if (s.error)
      stopped += ",\"error\":" + jstr(s.error->to_string()) + "}";
    else
      stopped += ",\"processes\":" + std::to_string(s.processes) + ",\"killed\":" + (s.killed ? "true" : "false") + "}";
  }
  out.json = "{\"name\":" + jstr(vm.name) + ",\"terminated\":[" + ids + "],\"runs_stopped\":[" + stopped + "]}";
  if (!ctx.json) {
    if (report->terminated.empty()) {
      std::printf("nothing to terminate: no live instance carries %s=%s\n", awsdl::vm::kDeploymentTag, vm.name.c_str());
    } else {
      std::printf("terminated %zu instance(s) of %s:\n", report->terminated.size(), vm.name.c_str());
      for (const auto& id : report->terminated) std::printf("  %s\n", id.c_str());
    }
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
  i.needs = awsdl::vm::needs_of_terminate();
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
