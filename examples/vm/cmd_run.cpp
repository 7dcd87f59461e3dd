// awsdl-vm run: the [run] command on every running instance, started detached in its own
// process group, which is recorded on the instance (tag awsdl:vm-job) so that `terminate`
// stops exactly it first. Then, unless --detach, follows the logs until every host is done.
#include <cstdio>
#include <memory>
#include <optional>

#include <awsdl/ssh/quote.hpp>

#include "command.hpp"
#include "run_watch.hpp"
#include "steps.hpp"

namespace awsdl_vm {

using awsdl::ssh::shell_quote;

StepOutcome run_step(Context& ctx) {
  StepOutcome out;
  out.code = awsdl_cli::kExitFailed;
  auto fleet = reach_fleet(ctx);
  if (!fleet) {
    fail("run", fleet.error(), "'" + command_line(ctx, "status") + "' shows the instances");
    return out;
  }
  const std::size_t n = fleet->instances.size();
  auto& fan = *fleet->fan;

  // Two runs at once would fight over the same GPUs: one still going must end or be stopped.
  std::vector<std::optional<awsdl::ssh::RemoteJob>> previous(n);
  for (std::size_t i = 0; i < n; ++i) previous[i] = recorded_job(fleet->instances[i], fleet->addresses[i]);
  std::vector<int> still(n, 0);
  fan.for_each([&](awsdl::ssh::Session& s, std::size_t i) -> awsdl::Status {
    if (!previous[i]) return {};
    auto c = s.job_processes(*previous[i]);
    if (c) still[i] = *c;
    return {};
  });
  std::string busy;
  for (std::size_t i = 0; i < n; ++i)
    if (still[i] > 0)
      busy +=
          (busy.empty() ? "" : ", ") + fleet->labels[i] + " (process group " + std::to_string(previous[i]->pgid) + ")";
  if (!busy.empty()) {
    std::fprintf(
        stderr,
        "error: a run is still going on %s\nnext: wait for it, or stop it (and the instances) with '%s --yes'\n",
        busy.c_str(), command_line(ctx, "terminate").c_str());
    return out;
  }

  std::vector<Watch> watch(n);
  for (std::size_t i = 0; i < n; ++i) {
    watch[i].log = ctx.vm.log_dir + "/awsdl-vm-" + ctx.vm.name + "-" + fleet->instances[i].instance_id + ".log";
    watch[i].status_file = watch[i].log + ".exit";
  }
  progress("run: starting on " + std::to_string(n) + " host(s)");
  auto statuses = fan.for_each([&](awsdl::ssh::Session& s, std::size_t i) -> awsdl::Status {
    auto& w = watch[i];
    // A status file left by an earlier run would read as this one's.
    auto prep = s.exec("mkdir -p " + shell_quote(ctx.vm.log_dir) + " && rm -f " + shell_quote(w.log) + " " +
                       shell_quote(w.status_file));
    if (!prep) return prep.error();
    if (!prep->ok())
      return awsdl::Error::make(awsdl::ErrorKind::kService, "RunPrepareFailed",
                                "cannot prepare " + ctx.vm.log_dir + ": " + prep->err.substr(0, 300));
    awsdl::ssh::DetachOptions d;
    d.log_path = w.log;
    d.workdir = ctx.vm.workdir;
    d.env = remote_env(ctx, fleet->instances, i);
    // The subshell keeps an `exit` in the command from skipping the status line.
    auto job = s.start_detached("(" + ctx.vm.run_command + "\n); echo $? > " + shell_quote(w.status_file), d);
    if (!job) return job.error();
    w.job = *job;
    w.job.host = fleet->addresses[i];
    return {};
  });
  std::vector<awsdl::ssh::RemoteJob> started;
  std::string start_failures;
  for (std::size_t i = 0; i < n; ++i) {
    if (statuses[i])
      started.push_back(watch[i].job);
    else
      start_failures += "\n  " + fleet->labels[i] + ": " + statuses[i].error().to_string();
  }
  // Record each job on its instance: the record terminate goes by.
  for (std::size_t i = 0; i < n && start_failures.empty(); ++i) {
    auto tagged = ctx.ec2->create_tags({fleet->instances[i].instance_id},
                                       {{kJobTag, std::to_string(watch[i].job.pgid) + " " + watch[i].job.id}});
    if (!tagged)
      start_failures += "\n  " + fleet->labels[i] + ": recording the run (CreateTags): " + tagged.error().to_string();
  }
  if (!start_failures.empty()) {
    // Half a distributed run is no run: stop what did start.
    if (!started.empty()) fan.stop(started, ctx.grace);
    std::fprintf(stderr, "error: the run did not start everywhere (stopped where it had):%s\n", start_failures.c_str());
    return out;
  }
  for (std::size_t i = 0; i < n; ++i)
    progress("run: started on " + fleet->labels[i] + ": process group " + std::to_string(watch[i].job.pgid) + ", log " +
             watch[i].log);

  auto hosts_json = [&](bool with_output, const std::vector<std::unique_ptr<HostLines>>* lines) {
    std::string items;
    for (std::size_t i = 0; i < n; ++i) {
      const auto& w = watch[i];
      items += std::string(items.empty() ? "" : ",") + "{\"instance_id\":" + jstr(fleet->instances[i].instance_id) +
               ",\"address\":" + jstr(fleet->addresses[i]) + ",\"pgid\":" + std::to_string(w.job.pgid) +
               ",\"job_id\":" + jstr(w.job.id) + ",\"log\":" + jstr(w.log) + ",\"state\":" + jstr(watch_state(w)) +
               ",\"exit_status\":" + (w.exit_status ? std::to_string(*w.exit_status) : "null") +
               ",\"error\":" + (w.error ? jstr(w.error->to_string()) : "null");
      if (with_output && lines) items += ",\"output\":" + jstr((*lines)[i]->kept());
      items += "}";
    }
    return "{\"name\":" + jstr(ctx.vm.name) + ",\"command\":" + jstr(ctx.vm.run_command) +
           ",\"detached\":" + (ctx.detach ? "true" : "false") + ",\"hosts\":[" + items + "]}";
  };

  if (ctx.detach) {
    out.json = hosts_json(false, nullptr);
    if (!ctx.json) {
      std::printf("run started on %zu host(s); it keeps running after this program ends:\n", n);
      for (std::size_t i = 0; i < n; ++i)
        std::printf("  %s  process group %d, log %s\n", fleet->labels[i].c_str(), watch[i].job.pgid,
                    watch[i].log.c_str());
      std::printf("stop it (and the instances) with: %s --yes\n", command_line(ctx, "terminate").c_str());
      std::fflush(stdout);
    }
    out.code = awsdl_cli::kExitOk;
    return out;
  }

  std::vector<std::unique_ptr<HostLines>> lines;
  for (const auto& a : fleet->addresses) lines.push_back(std::make_unique<HostLines>(a, !ctx.json, ctx.json));
  std::string stopped_why = follow_runs(ctx, fan, watch, lines);

  out.json = hosts_json(true, &lines);
  std::vector<std::string> failed;
  for (std::size_t i = 0; i < n; ++i) {
    const auto& w = watch[i];
    if (w.exit_status && *w.exit_status == 0) continue;
    std::string why = w.error      ? "lost track: " + w.error->to_string()
                      : w.vanished ? "ended without an exit status (killed?)"
                      : !w.done    ? "still running"
                                   : "exit status " + std::to_string(*w.exit_status);
    failed.push_back(fleet->labels[i] + ": " + why);
  }
  if (!ctx.json) {
    std::printf("run: %zu of %zu host(s) exited 0\n", n - failed.size(), n);
    for (std::size_t i = 0; i < n; ++i) {
      const auto& w = watch[i];
      bool ok = w.exit_status && *w.exit_status == 0;
      std::printf("  %-7s %s  %s, log %s\n", ok ? "ok" : "FAILED", fleet->labels[i].c_str(),
                  w.exit_status ? ("exit " + std::to_string(*w.exit_status)).c_str() : watch_state(w).c_str(),
                  w.log.c_str());
    }
    std::fflush(stdout);
  }
  if (!stopped_why.empty()) {
    if (ctx.in_all)
      std::fprintf(stderr, "error: run %s\n", stopped_why.c_str());
    else
      std::fprintf(
          stderr,
          "error: run %s; the command keeps running on the instances\nnext: '%s --yes' stops it and terminates them\n",
          stopped_why.c_str(), command_line(ctx, "terminate").c_str());
    return out;
  }
  if (!failed.empty()) {
    std::fprintf(stderr, "error: the run failed on %zu of %zu host(s):\n", failed.size(), n);
    for (const auto& f : failed) std::fprintf(stderr, "  %s\n", f.c_str());
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
  i.needs.run = i.needs.ssh = true;
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
