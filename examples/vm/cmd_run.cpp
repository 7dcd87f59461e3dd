// awsdl-vm run: awsdl::vm::Deployment::run, the [run] command on every running instance,
// started detached in its own process group (recorded on the instance, so that `terminate`
// stops exactly it first), then, unless --detach, its output until every host is done.
#include <cstdio>

#include "command.hpp"
#include "steps.hpp"

namespace awsdl_vm {

namespace {

const char* state_name(awsdl::vm::RunState s) {
  switch (s) {
    case awsdl::vm::RunState::kExited: return "exited";
    case awsdl::vm::RunState::kVanished: return "vanished";
    case awsdl::vm::RunState::kError: return "error";
    case awsdl::vm::RunState::kRunning: break;
  }
  return "running";
}

std::string hosts_json(const Context& ctx, const awsdl::vm::RunReport& report, bool with_output) {
  std::string items;
  for (const auto& h : report.hosts) {
    items += std::string(items.empty() ? "" : ",") + "{\"instance_id\":" + jstr(h.host.instance.instance_id) +
             ",\"address\":" + jstr(h.host.address) + ",\"pgid\":" + std::to_string(h.job.pgid) +
             ",\"job_id\":" + jstr(h.job.id) + ",\"log\":" + jstr(h.log) + ",\"state\":" + jstr(state_name(h.state)) +
             ",\"exit_status\":" + (h.exit_status ? std::to_string(*h.exit_status) : "null") +
             ",\"error\":" + (h.error ? jstr(h.error->to_string()) : "null");
    if (with_output) items += ",\"output\":" + jstr(h.output);
    items += "}";
  }
  return "{\"name\":" + jstr(ctx.spec().name) + ",\"command\":" + jstr(report.command) +
         ",\"detached\":" + (report.detached ? "true" : "false") + ",\"hosts\":[" + items + "]}";
}

}  // namespace

StepOutcome run_step(Context& ctx) {
  StepOutcome out;
  out.code = awsdl_cli::kExitFailed;
  auto report = ctx.deployment->run(ctx.options);
  if (!report) {
    awsdl::Error e = report.error();
    if (e.code == "NoRunningInstances" || e.code == "SshNotReady")
      if (!e.next_step(awsdl::vm::next_step::kStatus)) e.with_next_step(awsdl::vm::next_step::kStatus, ctx.spec().name);
    fail(ctx, "run", e);
    return out;
  }
  const std::size_t n = report->hosts.size();
  if (report->detached) {
    out.json = hosts_json(ctx, *report, false);
    if (!ctx.json) {
      std::printf("run started on %zu host(s); it keeps running after this program ends:\n", n);
      for (const auto& h : report->hosts)
        std::printf("  %s  process group %d, log %s\n", h.host.label.c_str(), h.job.pgid, h.log.c_str());
      std::printf("stop it (and the instances) with: %s --yes\n", command_line(ctx, "terminate").c_str());
      std::fflush(stdout);
    }
    out.code = awsdl_cli::kExitOk;
    return out;
  }

  out.json = hosts_json(ctx, *report, true);
  if (!ctx.json) {
    std::printf("run: %zu of %zu host(s) exited 0\n", n - report->failed(), n);
    for (const auto& h : report->hosts)
      std::printf("  %-7s %s  %s, log %s\n", h.ok() ? "ok" : "FAILED", h.host.label.c_str(),
                  h.exit_status ? ("exit " + std::to_string(*h.exit_status)).c_str() : state_name(h.state),
                  h.log.c_str());
    std::fflush(stdout);
  }
  if (report->end != awsdl::vm::FollowEnd::kAllDone) {
    std::string why = report->end == awsdl::vm::FollowEnd::kInterrupted
                          ? "interrupted"
                          : "still running after " + std::to_string(ctx.spec().run_timeout) + " s ([run] timeout)";
    if (ctx.in_all)
      std::fprintf(stderr, "error: run %s\n", why.c_str());
    else
      std::fprintf(stderr, "error: run %s; the command keeps running on the instances\nnext: %s\n", why.c_str(),
                   step_words({awsdl::vm::next_step::kTerminate, ctx.spec().name}).c_str());
    return out;
  }
  if (report->failed() > 0) {
    std::fprintf(stderr, "error: the run failed on %zu of %zu host(s):\n", report->failed(), n);
    for (const auto& h : report->hosts) {
      if (h.ok()) continue;
      std::string why = h.error                                   ? "lost track: " + h.error->to_string()
                        : h.state == awsdl::vm::RunState::kVanished ? "ended without an exit status (killed?)"
                        : !h.exit_status                            ? "still running"
                                                                    : "exit status " + std::to_string(*h.exit_status);
      std::fprintf(stderr, "  %s: %s\n", h.host.label.c_str(), why.c_str());
    }
    return out;
  }
  out.code = awsdl_cli::kExitOk;
  return out;
}

namespace {

CommandInfo info() {
  CommandInfo i;
  i.name = "run";
  i.summary = "run the [run] command on every instance and follow its output";
  i.needs = awsdl::vm::needs_of_run();
  i.detach_flag = true;
  i.examples = {"awsdl-vm run --config vm.ini",
                "awsdl-vm run --config vm.ini --run-command 'python3 train.py --epochs 10' --detach",
                "awsdl-vm run --config vm.ini --run-timeout 7200 --output json"};
  i.notes =
      "The command starts detached in its own process group on every instance, with its output in\n"
      "[run] log_dir; the group is recorded on the instance (tag awsdl:vm-job), so 'terminate' stops\n"
      "exactly it first, from any machine. Without --detach, run prints the output as\n"
      "'host: line' until every host is done, and exits 1 unless every command exited 0.\n"
      "Ctrl-C stops following; the command keeps running.\n";
  return i;
}

int run(const std::vector<std::string>& argv) {
  Context ctx;
  if (int code = prepare(info(), argv, ctx); code >= 0) return code;
  return finish(ctx, run_step(ctx));
}

const awsdl_cli::RegisterCommand kRegister({"run", "run the computation on every instance", run});

}  // namespace
}  // namespace awsdl_vm
