// awsdl-vm all: launch -> install-deps -> run -> terminate (awsdl::vm::Deployment), terminating
// also when a step fails or is interrupted, so that nothing is left running (and billing) behind.
#include <chrono>
#include <cstdio>

#include "command.hpp"
#include "steps.hpp"

namespace awsdl_vm {

namespace {

CommandInfo info() {
  CommandInfo i;
  i.name = "all";
  i.summary = "launch, install-deps, run, terminate (terminates also when a step fails)";
  i.needs = {.launch = true, .setup = true, .run = true, .ssh = true};
  i.grace_flag = true;
  i.examples = {"awsdl-vm all --config vm.ini", "awsdl-vm all --config vm.ini --count 2 --output json"};
  i.notes =
      "The instances are terminated at the end whatever happened, unless launch found the deployment\n"
      "already running (then nothing is touched). Ctrl-C stops the current step and still\n"
      "terminates; a second Ctrl-C quits at once. The exit code is the first failing step's.\n";
  return i;
}

int run(const std::vector<std::string>& argv) {
  Context ctx;
  if (int code = prepare(info(), argv, ctx); code >= 0) return code;
  ctx.in_all = true;
  struct Step {
    const char* name;
    StepOutcome (*fn)(Context&);
  };
  const Step steps[] = {{"launch", launch_step}, {"install-deps", install_deps_step}, {"run", run_step}};
  std::string parts;
  int code = awsdl_cli::kExitOk;
  bool launched = false;
  std::string failed_step;
  for (const auto& s : steps) {
    progress("== " + std::string(s.name));
    auto t0 = std::chrono::steady_clock::now();
    StepOutcome o = s.fn(ctx);
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    progress("== " + std::string(s.name) + (o.code == 0 ? " done" : " FAILED") + " in " +
             std::to_string(secs).substr(0, 5) + " s");
    if (s.fn == launch_step) launched = o.created;
    parts += std::string(parts.empty() ? "" : ",") + jstr(s.name) + ":" + o.json;
    if (o.code != 0) {
      code = o.code;
      failed_step = s.name;
      break;
    }
    if (ctx.options.cancel.cancelled()) {
      code = awsdl_cli::kExitFailed;
      failed_step = s.name;
      break;
    }
  }
  if (launched) {
    progress("== terminate" + (failed_step.empty() ? std::string() : " (after " + failed_step + " failed)"));
    ctx.yes = true;  // terminating what this command launched is the plan, not a surprise
    StepOutcome t = terminate_step(ctx);
    parts += std::string(parts.empty() ? "" : ",") + "\"terminate\":" + t.json;
    if (code == 0) code = t.code;
    if (t.code != 0) failed_step = failed_step.empty() ? "terminate" : failed_step;
  }
  StepOutcome all;
  all.code = code;
  all.json = "{\"name\":" + jstr(ctx.spec().name) + ",\"ok\":" + (code == 0 ? "true" : "false") +
             ",\"failed_step\":" + (failed_step.empty() ? "null" : jstr(failed_step)) + ",\"steps\":{" + parts + "}}";
  if (!ctx.json) std::printf("all: %s\n", code == 0 ? "done" : ("failed at " + failed_step).c_str());
  std::fflush(stdout);
  return finish(ctx, all);
}

const awsdl_cli::RegisterCommand kRegister({"all", "launch, install-deps, run, terminate", run});

}  // namespace
}  // namespace awsdl_vm
