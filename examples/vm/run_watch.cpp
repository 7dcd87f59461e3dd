#include "run_watch.hpp"

#include <chrono>

#include <awsdl/core/retry.hpp>
#include <awsdl/ssh/quote.hpp>

namespace awsdl_vm {

namespace {

using awsdl::ssh::shell_quote;

// One poll of one host: is the job's status file there, and what did the log gain.
void poll_host(awsdl::ssh::Session& session, Watch& w, HostLines& lines) {
  // Processes first, then the status file: a job that ended before the count wrote its status
  // before it ended, so "none left and no status" can only mean it was killed.
  auto procs = session.job_processes(w.job);
  std::string script = "if [ -f " + shell_quote(w.status_file) + " ]; then echo \"exit=$(cat " +
                       shell_quote(w.status_file) + ")\"; else echo exit=running; fi; tail -c +" +
                       std::to_string(w.offset + 1) + " " + shell_quote(w.log) + " 2>/dev/null; true";
  auto res = procs ? session.exec(script) : awsdl::Result<awsdl::ssh::ExecResult>(procs.error());
  if (!res || !res->ok()) {
    if (++w.poll_errors >= 5) {
      w.done = true;
      w.error = res ? awsdl::Error::make(awsdl::ErrorKind::kService, "PollFailed", res->err) : res.error();
    }
    return;
  }
  w.poll_errors = 0;
  auto nl = res->out.find('\n');
  if (nl == std::string::npos) return;
  std::string head = res->out.substr(0, nl), data = res->out.substr(nl + 1);
  lines.feed(awsdl::ssh::Stream::kStdout, data);
  w.offset += data.size();
  if (head != "exit=running") {
    w.done = true;
    try {
      w.exit_status = std::stoi(head.substr(5));
    } catch (const std::exception&) {
      w.error = awsdl::Error::make(awsdl::ErrorKind::kParse, "BadStatus", "unreadable status file " + w.status_file);
    }
  } else if (*procs == 0) {
    w.done = true;
    w.vanished = true;
  }
  if (w.done) lines.flush();
}

}  // namespace

std::string watch_state(const Watch& w) {
  if (w.error) return "error";
  if (w.vanished) return "vanished";
  if (!w.done) return "running";
  return "exited";
}

std::string follow_runs(const Context& ctx, awsdl::ssh::FanOut& fan, std::vector<Watch>& watch,
                        std::vector<std::unique_ptr<HostLines>>& lines) {
  // The toolkit's poll on the Config's runtime: the poll interval, growing 1.5x up to 5x it
  // (at most 10 s), until every run has ended, the [run] timeout passes or Ctrl-C.
  awsdl::PollOptions po;
  const awsdl::Millis max_delay = std::max(ctx.poll, std::min<awsdl::Millis>(awsdl::Millis(10000), ctx.poll * 5));
  po.delay = awsdl::Backoff::polling(ctx.poll, max_delay);
  po.deadline = awsdl::Deadline::after(std::chrono::seconds(ctx.vm.run_timeout), *ctx.aws.runtime.clock);
  po.cancel = interrupt_token();
  po.what = "following the runs";
  auto followed = awsdl::poll_until(ctx.aws.runtime, po, [&](int) -> awsdl::Result<awsdl::PollState> {
    fan.for_each([&](awsdl::ssh::Session& s, std::size_t i) -> awsdl::Status {
      if (!watch[i].done) poll_host(s, watch[i], *lines[i]);
      return {};
    });
    std::size_t left = 0;
    for (const auto& w : watch) left += w.done ? 0 : 1;
    if (left == 0) return awsdl::PollState::done();
    return awsdl::PollState::pending(std::to_string(left) + " running");
  });
  std::string stopped_why;
  if (!followed)
    stopped_why = followed.error().kind == awsdl::ErrorKind::kCancelled
                      ? "interrupted"
                      : "still running after " + std::to_string(ctx.vm.run_timeout) + " s ([run] timeout)";
  for (auto& l : lines) l->flush();
  return stopped_why;
}

}  // namespace awsdl_vm
