// run: the run command on every running instance, started detached in its own process group,
// which is recorded on the instance (kJobTag) so that terminate stops exactly it first. Then,
// unless detached, follows the logs until every host is done.
#include <memory>
#include <optional>

#include "awsdl/core/retry.hpp"
#include "awsdl/ssh/quote.hpp"
#include "vm/vm_internal.hpp"

namespace awsdl::vm {

namespace {

using internal::vm::emit;
using ssh::shell_quote;

struct Watch {
  std::string status_file;
  std::size_t offset = 0;  // log bytes seen so far
  bool done = false;
  int poll_errors = 0;  // in a row
};

// One poll of one host: is the job's status file there, and what did the log gain.
void poll_host(ssh::Session& session, HostRun& r, Watch& w, internal::vm::HostLines& lines) {
  // Processes first, then the status file: a job that ended before the count wrote its status
  // before it ended, so "none left and no status" can only mean it was killed.
  auto procs = session.job_processes(r.job);
  std::string script = "if [ -f " + shell_quote(w.status_file) + " ]; then echo \"exit=$(cat " +
                       shell_quote(w.status_file) + ")\"; else echo exit=running; fi; tail -c +" +
                       std::to_string(w.offset + 1) + " " + shell_quote(r.log) + " 2>/dev/null; true";
  auto res = procs ? session.exec(script) : Result<ssh::ExecResult>(procs.error());
  if (!res || !res->ok()) {
    if (++w.poll_errors >= 5) {
      w.done = true;
      r.state = RunState::kError;
      r.error = res ? Error::make(ErrorKind::kService, "PollFailed", res->err) : res.error();
    }
    return;
  }
  w.poll_errors = 0;
  auto nl = res->out.find('\n');
  if (nl == std::string::npos) return;
  std::string head = res->out.substr(0, nl), data = res->out.substr(nl + 1);
  lines.feed(ssh::Stream::kStdout, data);
  w.offset += data.size();
  if (head != "exit=running") {
    w.done = true;
    const std::string digits = head.substr(5);
    bool number = !digits.empty() && digits.size() < 10 && digits.find_first_not_of("0123456789") == std::string::npos;
    if (number) {
      r.state = RunState::kExited;
      r.exit_status = std::stoi(digits);
    } else {
      r.state = RunState::kError;
      r.error = Error::make(ErrorKind::kParse, "BadStatus", "unreadable status file " + w.status_file);
    }
  } else if (*procs == 0) {
    w.done = true;
    r.state = RunState::kVanished;
  }
  if (w.done) lines.flush();
}

// Polls the unfinished hosts until every one is done, the [run] timeout passes or cancellation.
FollowEnd follow(const internal::vm::State& d, const StepOptions& o, ssh::FanOut& fan, std::vector<HostRun>& runs,
                 std::vector<Watch>& watch, std::vector<std::unique_ptr<internal::vm::HostLines>>& lines) {
  // The toolkit's poll on the Config's runtime: the poll interval, growing 1.5x up to 5x it
  // (at most 10 s).
  PollOptions po;
  const Millis poll = std::max(Millis(1), o.poll_interval);
  const Millis max_delay = std::max(poll, std::min<Millis>(Millis(10000), poll * 5));
  po.delay = Backoff::polling(poll, max_delay);
  po.deadline = Deadline::after(std::chrono::seconds(d.spec.run_timeout), *d.config.runtime.clock);
  po.cancel = o.cancel;
  po.what = "following the runs";
  auto followed = poll_until(d.config.runtime, po, [&](int) -> Result<PollState> {
    fan.for_each([&](ssh::Session& s, std::size_t i) -> Status {
      if (!watch[i].done) poll_host(s, runs[i], watch[i], *lines[i]);
      return {};
    });
    std::size_t left = 0;
    for (const auto& w : watch) left += w.done ? 0 : 1;
    if (left == 0) return PollState::done();
    return PollState::pending(std::to_string(left) + " running");
  });
  for (auto& l : lines) l->flush();
  if (followed) return FollowEnd::kAllDone;
  return followed.error().kind == ErrorKind::kCancelled ? FollowEnd::kInterrupted : FollowEnd::kTimedOut;
}

// Two runs at once would fight over the same GPUs: one still going must end or be stopped.
Status refuse_a_run_in_progress(const VmSpec& vm, internal::vm::Fleet& fleet) {
  const std::size_t n = fleet.hosts.size();
  std::vector<std::optional<ssh::RemoteJob>> previous(n);
  for (std::size_t i = 0; i < n; ++i) previous[i] = recorded_job(fleet.hosts[i].instance, fleet.addresses[i]);
  std::vector<int> still(n, 0);
  fleet.fan->for_each([&](ssh::Session& s, std::size_t i) -> Status {
    if (!previous[i]) return {};
    auto c = s.job_processes(*previous[i]);
    if (c) still[i] = *c;
    return {};
  });
  std::string busy;
  for (std::size_t i = 0; i < n; ++i)
    if (still[i] > 0)
      busy += (busy.empty() ? "" : ", ") + fleet.hosts[i].label + " (process group " +
              std::to_string(previous[i]->pgid) + ")";
  if (busy.empty()) return {};
  return Error::make(ErrorKind::kService, "RunInProgress", "a run is still going on " + busy)
      .with_next_step(next_step::kTerminate, vm.name);
}

}  // namespace

Result<RunReport> Deployment::run(const StepOptions& o) {
  const VmSpec& vm = impl_->s.spec;
  AWSDL_TRY(validate(vm, needs_of_run()));
  AWSDL_ASSIGN_OR_RETURN(auto fleet, internal::vm::reach_fleet(impl_->s, o));
  const std::size_t n = fleet.hosts.size();
  auto& fan = *fleet.fan;
  AWSDL_TRY(refuse_a_run_in_progress(vm, fleet));

  RunReport report;
  report.command = vm.run_command;
  report.detached = o.detach;
  report.hosts.resize(n);
  std::vector<Watch> watch(n);
  for (std::size_t i = 0; i < n; ++i) {
    auto& r = report.hosts[i];
    r.host = fleet.hosts[i];
    r.log = vm.log_dir + "/awsdl-vm-" + vm.name + "-" + r.host.instance.instance_id + ".log";
    watch[i].status_file = r.log + ".exit";
  }
  emit(o, "run: starting on " + std::to_string(n) + " host(s)");
  auto statuses = fan.for_each([&](ssh::Session& s, std::size_t i) -> Status {
    auto& r = report.hosts[i];
    // A status file left by an earlier run would read as this one's.
    auto prep = s.exec("mkdir -p " + shell_quote(vm.log_dir) + " && rm -f " + shell_quote(r.log) + " " +
                       shell_quote(watch[i].status_file));
    if (!prep) return prep.error();
    if (!prep->ok())
      return Error::make(ErrorKind::kService, "RunPrepareFailed",
                         "cannot prepare " + vm.log_dir + ": " + prep->err.substr(0, 300));
    ssh::DetachOptions d;
    d.log_path = r.log;
    d.workdir = vm.workdir;
    d.env = internal::vm::remote_env(vm, fleet.hosts, i);
    // The subshell keeps an `exit` in the command from skipping the status line.
    auto job = s.start_detached("(" + vm.run_command + "\n); echo $? > " + shell_quote(watch[i].status_file), d);
    if (!job) return job.error();
    r.job = *job;
    r.job.host = fleet.addresses[i];
    return {};
  });
  std::vector<ssh::RemoteJob> started;
  std::string failures;
  for (std::size_t i = 0; i < n; ++i) {
    if (statuses[i])
      started.push_back(report.hosts[i].job);
    else
      failures += "\n  " + fleet.hosts[i].label + ": " + statuses[i].error().to_string();
  }
  // Record each job on its instance: the record terminate goes by.
  for (std::size_t i = 0; i < n && failures.empty(); ++i) {
    const auto& job = report.hosts[i].job;
    auto tagged = impl_->s.ec2.create_tags({fleet.hosts[i].instance.instance_id},
                                         {{kJobTag, std::to_string(job.pgid) + " " + job.id}});
    if (!tagged) failures += "\n  " + fleet.hosts[i].label + ": recording the run (CreateTags): " + tagged.error().to_string();
  }
  if (!failures.empty()) {
    // Half a distributed run is no run: stop what did start.
    if (!started.empty()) fan.stop(started, o.grace);
    return Error::make(ErrorKind::kService, "RunNotStarted",
                       "the run did not start everywhere (stopped where it had):" + failures);
  }
  for (const auto& r : report.hosts)
    emit(o, "run: started on " + r.host.label + ": process group " + std::to_string(r.job.pgid) + ", log " + r.log);
  if (o.detach) return report;

  std::vector<std::unique_ptr<internal::vm::HostLines>> lines;
  for (std::size_t i = 0; i < n; ++i) lines.push_back(std::make_unique<internal::vm::HostLines>(o, i, fleet.addresses[i]));
  report.end = follow(impl_->s, o, fan, report.hosts, watch, lines);
  for (std::size_t i = 0; i < n; ++i) report.hosts[i].output = lines[i]->kept();
  return report;
}

}  // namespace awsdl::vm
