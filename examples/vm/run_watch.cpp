#include "run_watch.hpp"

#include <chrono>

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
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(ctx.vm.run_timeout);
  const awsdl::Millis max_delay = std::max(ctx.poll, std::min<awsdl::Millis>(awsdl::Millis(10000), ctx.poll * 5));
  awsdl::Millis delay = ctx.poll;
  std::string stopped_why;
  for (;;) {
    fan.for_each([&](awsdl::ssh::Session& s, std::size_t i) -> awsdl::Status {
      if (!watch[i].done) poll_host(s, watch[i], *lines[i]);
      return {};
    });
    std::size_t left = 0;
    for (const auto& w : watch) left += w.done ? 0 : 1;
    if (left == 0) break;
    if (interrupt_token().cancelled()) {
      stopped_why = "interrupted";
      break;
    }
    if (std::chrono::steady_clock::now() + delay > deadline) {
      stopped_why = "still running after " + std::to_string(ctx.vm.run_timeout) + " s ([run] timeout)";
      break;
    }
    if (!ctx.aws.runtime.sleeper->sleep_for(delay, interrupt_token())) {
      stopped_why = "interrupted";
      break;
    }
    delay = std::min(max_delay, awsdl::Millis(delay.count() * 3 / 2));
  }
  for (auto& l : lines) l->flush();
  return stopped_why;
}

}  // namespace awsdl_vm
