// awsdl-vm install-deps: awsdl::vm::Deployment::install, the [setup] commands on every running
// instance at once, in order on each; a host stops at its first failing command.
#include <cstdio>

#include "command.hpp"
#include "steps.hpp"

namespace awsdl_vm {

namespace {

std::string what_failed(const awsdl::vm::HostSetup& r, const std::vector<std::string>& cmds) {
  if (r.failed_command == 0) return r.error ? "could not run: " + r.error->to_string() : "ok";
  std::string step = "command " + std::to_string(r.failed_command) + " of " + std::to_string(cmds.size()) + " (" +
                     cmds[static_cast<std::size_t>(r.failed_command - 1)] + ")";
  if (r.error) return step + ": " + r.error->to_string();
  if (!r.exit_signal.empty()) return step + " was killed by signal " + r.exit_signal;
  return step + " exited with status " + std::to_string(r.exit_status);
}

}  // namespace

StepOutcome install_deps_step(Context& ctx) {
  StepOutcome out;
  out.code = awsdl_cli::kExitFailed;
  auto report = ctx.deployment->install(ctx.options);
  if (!report) {
    awsdl::Error e = report.error();
    if (!e.next_step(awsdl::vm::next_step::kStatus)) e.with_next_step(awsdl::vm::next_step::kStatus, ctx.spec().name);
    fail(ctx, "install-deps", e);
    return out;
  }
  const auto& cmds = report->commands;
  const std::size_t n = report->hosts.size();
  std::string items;
  for (const auto& r : report->hosts) {
    items += std::string(items.empty() ? "" : ",") + "{\"instance_id\":" + jstr(r.host.instance.instance_id) +
             ",\"address\":" + jstr(r.host.address) + ",\"ok\":" + (r.ok() ? "true" : "false") +
             ",\"commands_done\":" + std::to_string(r.commands_done) +
             ",\"failed_command\":" + (r.failed_command ? std::to_string(r.failed_command) : "null") +
             ",\"exit_status\":" + std::to_string(r.exit_status) + ",\"exit_signal\":" + jstr(r.exit_signal) +
             ",\"error\":" + (r.error ? jstr(r.error->to_string()) : "null") +
             ",\"seconds\":" + std::to_string(r.seconds) + ",\"output\":" + jstr(r.output) + "}";
  }
  std::string cmd_list;
  for (const auto& c : cmds) cmd_list += (cmd_list.empty() ? "" : ",") + jstr(c);
  const std::size_t failed = report->failed();
  out.json = "{\"name\":" + jstr(ctx.spec().name) + ",\"ok\":" + (failed == 0 ? "true" : "false") + ",\"commands\":[" +
             cmd_list + "],\"hosts\":[" + items + "]}";
  if (!ctx.json) {
    std::printf("install-deps: %zu of %zu host(s) ok\n", n - failed, n);
    for (const auto& r : report->hosts)
      std::printf("  %-7s %s  %s, %.1f s\n", r.ok() ? "ok" : "FAILED", r.host.label.c_str(),
                  r.ok() ? (std::to_string(cmds.size()) + " command(s)").c_str() : what_failed(r, cmds).c_str(),
                  r.seconds);
    std::fflush(stdout);
  }
  if (failed > 0) {
    std::fprintf(stderr, "error: install-deps failed on %zu of %zu host(s):\n", failed, n);
    for (const auto& r : report->hosts)
      if (!r.ok()) std::fprintf(stderr, "  %s: %s\n", r.host.label.c_str(), what_failed(r, cmds).c_str());
    if (!ctx.in_all)
      std::fprintf(stderr, "next: %s\n", step_words({awsdl::vm::next_step::kInstall, ctx.spec().name}).c_str());
    return out;
  }
  out.code = awsdl_cli::kExitOk;
  return out;
}

namespace {

CommandInfo info() {
  CommandInfo i;
  i.name = "install-deps";
  i.summary = "run the [setup] commands over SSH on every instance at once";
  i.needs = awsdl::vm::needs_of_install();
  i.examples = {"awsdl-vm install-deps --config vm.ini",
                "awsdl-vm install-deps --config vm.ini --setup-command 'pip3 install -r requirements.txt'",
                "awsdl-vm install-deps --config vm.ini --output json"};
  i.notes =
      "Each host runs the commands in order and stops at its first failure; hosts do not wait for\n"
      "each other. Output lines are prefixed with the host. Exit 1 if any host failed. Commands\n"
      "see AWSDL_VM_NAME, AWSDL_VM_INDEX, AWSDL_VM_COUNT, AWSDL_VM_INSTANCE_ID, AWSDL_VM_HOSTS.\n";
  return i;
}

int run(const std::vector<std::string>& argv) {
  Context ctx;
  if (int code = prepare(info(), argv, ctx); code >= 0) return code;
  return finish(ctx, install_deps_step(ctx));
}

const awsdl_cli::RegisterCommand kRegister({"install-deps", "run the setup commands on every instance (SSH fan-out)", run});

}  // namespace
}  // namespace awsdl_vm
