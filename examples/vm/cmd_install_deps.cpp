// awsdl-vm install-deps: the [setup] commands on every running instance at once, in order
// on each; a host stops at its first failing command, the others go on.
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>

#include "command.hpp"
#include "steps.hpp"

namespace awsdl_vm {

namespace {

struct HostSetup {
  int done = 0;         // commands that succeeded
  int failed_step = 0;  // 1-based; 0: none failed
  int exit_status = 0;
  std::string exit_signal;
  std::optional<awsdl::Error> error;  // could not connect, timed out, interrupted
  double seconds = 0;

  bool ok() const { return failed_step == 0 && !error; }
};

std::string what_failed(const HostSetup& r, const std::vector<std::string>& cmds) {
  if (r.failed_step == 0) return r.error ? "could not run: " + r.error->to_string() : "ok";
  std::string step = "command " + std::to_string(r.failed_step) + " of " + std::to_string(cmds.size()) + " (" +
                     cmds[static_cast<std::size_t>(r.failed_step - 1)] + ")";
  if (r.error) return step + ": " + r.error->to_string();
  if (!r.exit_signal.empty()) return step + " was killed by signal " + r.exit_signal;
  return step + " exited with status " + std::to_string(r.exit_status);
}

}  // namespace

StepOutcome install_deps_step(Context& ctx) {
  StepOutcome out;
  out.code = awsdl_cli::kExitFailed;
  auto fleet = reach_fleet(ctx);
  if (!fleet) {
    fail("install-deps", fleet.error(), "'" + command_line(ctx, "status") + "' shows the instances");
    return out;
  }
  const auto& cmds = ctx.vm.setup_commands;
  const std::size_t n = fleet->instances.size();
  progress("install-deps: " + std::to_string(cmds.size()) + " command(s) on " + std::to_string(n) + " host(s)");
  std::vector<HostSetup> results(n);
  std::vector<std::unique_ptr<HostLines>> lines;
  for (const auto& a : fleet->addresses) lines.push_back(std::make_unique<HostLines>(a, !ctx.json, ctx.json));

  auto statuses = fleet->fan->for_each([&](awsdl::ssh::Session& session, std::size_t i) -> awsdl::Status {
    auto& r = results[i];
    auto& hl = *lines[i];
    const auto started = std::chrono::steady_clock::now();
    awsdl::ssh::ExecOptions eo;
    eo.env = remote_env(ctx, fleet->instances, i);
    eo.timeout = std::chrono::seconds(ctx.vm.setup_timeout);
    eo.cancel = interrupt_token();
    eo.capture = false;
    eo.on_output = [&hl](awsdl::ssh::Stream s, std::string_view chunk) { hl.feed(s, chunk); };
    for (std::size_t k = 0; k < cmds.size() && r.ok(); ++k) {
      hl.note("$ " + cmds[k]);
      auto res = session.exec(cmds[k], eo);
      hl.flush();
      if (!res) {
        r.failed_step = static_cast<int>(k + 1);
        r.error = res.error();
      } else if (!res->ok()) {
        r.failed_step = static_cast<int>(k + 1);
        r.exit_status = res->exit_status;
        r.exit_signal = res->exit_signal;
      } else {
        ++r.done;
      }
    }
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return {};
  });
  for (std::size_t i = 0; i < n; ++i)
    if (!statuses[i]) results[i].error = statuses[i].error();

  std::vector<std::string> failed;
  std::string items;
  for (std::size_t i = 0; i < n; ++i) {
    const auto& r = results[i];
    const auto& inst = fleet->instances[i];
    if (!r.ok()) failed.push_back(fleet->labels[i] + ": " + what_failed(r, cmds));
    items += std::string(items.empty() ? "" : ",") + "{\"instance_id\":" + jstr(inst.instance_id) +
             ",\"address\":" + jstr(fleet->addresses[i]) + ",\"ok\":" + (r.ok() ? "true" : "false") +
             ",\"commands_done\":" + std::to_string(r.done) +
             ",\"failed_command\":" + (r.failed_step ? std::to_string(r.failed_step) : "null") +
             ",\"exit_status\":" + std::to_string(r.exit_status) + ",\"exit_signal\":" + jstr(r.exit_signal) +
             ",\"error\":" + (r.error ? jstr(r.error->to_string()) : "null") +
             ",\"seconds\":" + std::to_string(r.seconds) + ",\"output\":" + jstr(lines[i]->kept()) + "}";
  }
  std::string cmd_list;
  for (const auto& c : cmds) cmd_list += (cmd_list.empty() ? "" : ",") + jstr(c);
  out.json = "{\"name\":" + jstr(ctx.vm.name) + ",\"ok\":" + (failed.empty() ? "true" : "false") + ",\"commands\":[" +
             cmd_list + "],\"hosts\":[" + items + "]}";
  if (!ctx.json) {
    std::printf("install-deps: %zu of %zu host(s) ok\n", n - failed.size(), n);
    for (std::size_t i = 0; i < n; ++i)
      std::printf("  %-7s %s  %s, %.1f s\n", results[i].ok() ? "ok" : "FAILED", fleet->labels[i].c_str(),
                  results[i].ok() ? (std::to_string(cmds.size()) + " command(s)").c_str()
                                  : what_failed(results[i], cmds).c_str(),
                  results[i].seconds);
    std::fflush(stdout);
  }
  if (!failed.empty()) {
    std::fprintf(stderr, "error: install-deps failed on %zu of %zu host(s):\n", failed.size(), n);
    for (const auto& f : failed) std::fprintf(stderr, "  %s\n", f.c_str());
    if (!ctx.in_all)
      std::fprintf(stderr, "next: fix the command and run '%s' again (commands should be safe to repeat)\n",
                   command_line(ctx, "install-deps").c_str());
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
  i.needs.setup = i.needs.ssh = true;
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
