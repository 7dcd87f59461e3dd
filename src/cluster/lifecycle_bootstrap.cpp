// Bootstrap failures say why: a node's user data (the shared file system's mount, a package)
// fails, and create, resize and the supervisor show the end of its cloud-init output (EC2
// GetConsoleOutput) instead of a timeout. A failed create's stack has rolled back by the time
// the reasons are read: the consoles of its terminated instances stay readable (AWS keeps the
// output at least an hour after its last post).
#include <algorithm>

#include "awsdl/cluster/bootstrap.hpp"
#include "awsdl/ssh/quote.hpp"
#include "cluster/lifecycle_internal.hpp"

namespace awsdl::cluster {

namespace {
bool contains(std::string_view line, std::string_view what) { return line.find(what) != std::string_view::npos; }
}  // namespace

BootstrapTail read_bootstrap(std::string_view console, std::size_t lines) {
  BootstrapTail t;
  std::vector<std::string_view> all;
  bool any = false;
  for (std::size_t at = 0; at < console.size();) {
    auto end = console.find('\n', at);
    if (end == std::string_view::npos) end = console.size();
    std::string_view line = console.substr(at, end - at);
    at = end + 1;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    if (line.empty()) continue;
    any = true;
    if (contains(line, "Failed running /var/lib/cloud/instance/scripts/") ||
        contains(line, "Failed to run module scripts-user") || contains(line, "Failed to run module scripts_user"))
      t.state = BootstrapState::kFailed;
    else if (t.state != BootstrapState::kFailed && contains(line, "Cloud-init v. ") && contains(line, " finished at "))
      t.state = BootstrapState::kFinished;
    all.push_back(line);
  }
  if (any && t.state == BootstrapState::kNoOutput) t.state = BootstrapState::kRunning;
  const std::size_t from = all.size() > lines ? all.size() - lines : 0;
  for (std::size_t i = from; i < all.size(); ++i) t.lines.emplace_back(all[i]);
  return t;
}

Result<BootstrapTail> Clusters::bootstrap_tail(const std::string& instance_id, std::size_t lines,
                                               const CallOptions& options) const {
  return internal::lifecycle::bootstrap_tail(impl_->c, instance_id, lines, options);
}

}  // namespace awsdl::cluster

namespace awsdl::internal::lifecycle {

namespace {
// The lines an error shows of a failed node's output, and the nodes of a failed create looked at.
constexpr std::size_t kErrorLines = 12;
constexpr std::size_t kMaxNodesLooked = 8;
constexpr std::size_t kMaxFailuresShown = 2;

std::string tag(const ec2::Instance& i, const std::string& key) {
  for (const auto& t : i.tags)
    if (t.key == key) return t.value;
  return {};
}
}  // namespace

// BootstrapTail::source of a console read without Latest (a non-Nitro instance).
constexpr const char* kBufferedConsole = "GetConsoleOutput (buffered)";

Result<cluster::BootstrapTail> bootstrap_tail(const Clients& c, const std::string& instance_id, std::size_t lines,
                                              const CallOptions& call) {
  auto out = c.ec2.get_console_output(instance_id, true, call);
  // Latest is for Nitro instances only; the others give the buffered output, which EC2 posts
  // around state changes only (not continuously).
  bool buffered = false;
  if (!out && out.error().code == "UnsupportedOperation") {
    buffered = true;
    out = c.ec2.get_console_output(instance_id, false, call);
  }
  if (!out) return std::move(out).error();
  cluster::BootstrapTail t = out->available ? cluster::read_bootstrap(out->output, lines) : cluster::BootstrapTail{};
  t.instance_id = instance_id;
  t.source = buffered ? std::string(kBufferedConsole) : "GetConsoleOutput";
  return t;
}

std::string describe_failed_bootstrap(const std::string& role, const cluster::BootstrapTail& t) {
  std::string s = "the " + (role.empty() ? std::string("node") : role) + "'s bootstrap failed (instance " +
                  t.instance_id + "); the end of its cloud-init output (" + t.source + "):";
  for (const auto& line : t.lines) s += "\n    " + line;
  return s;
}

Error with_bootstrap_tails(const Clients& c, const std::string& stack_id, Error e, const CallOptions& call) {
  ec2::DescribeInstancesRequest r;
  r.filters = {{"tag:aws:cloudformation:stack-id", {stack_id}}};
  auto instances = c.ec2.list_instances(std::move(r), call);
  if (!instances) return e;  // the reasons stay what the stack said
  // The master first: its failure is what the stack's events are about.
  std::stable_sort(instances->begin(), instances->end(), [](const ec2::Instance& a, const ec2::Instance& b) {
    return (tag(a, "awsdl:role") == "master") > (tag(b, "awsdl:role") == "master");
  });
  std::string shown;
  std::size_t failures = 0;
  for (std::size_t i = 0; i < instances->size() && i < kMaxNodesLooked && failures < kMaxFailuresShown; ++i) {
    const auto& inst = (*instances)[i];
    auto tail = bootstrap_tail(c, inst.instance_id, kErrorLines, call);
    if (!tail || tail->state != cluster::BootstrapState::kFailed) continue;
    ++failures;
    shown += "\n" + describe_failed_bootstrap(tag(inst, "awsdl:role"), *tail);
    e.with_next_step(cluster::next_step::kBootstrapTail, inst.instance_id);
  }
  if (failures == 0) return e;
  e.message += shown;
  return e;
}

Status wait_bootstrapped(const Clients& c, WatchSpec& w, std::vector<std::string> ids, Millis timeout,
                         const std::string& how) {
  if (ids.empty()) return {};
  auto note = [&](const std::string& text) {
    if (w.on_event && *w.on_event) (*w.on_event)(summary_event(c.config, text));
  };
  auto& clock = *c.config.runtime.clock;
  const auto limit = Deadline::after(timeout, clock);
  std::map<std::string, cluster::BootstrapTail> last;
  int failures = 0;
  auto poll = watch_poll_options(
      w,
      [&] {
        return Error::make(ErrorKind::kCancelled, "Cancelled",
                           "stopped watching the new workers of cluster " + w.cluster + " bootstrap (cancelled); " + how);
      },
      [&](const std::string&) {
        return Error::make(ErrorKind::kTimeout, "ClusterTimeout",
                           "cluster " + w.cluster + ": the new workers had not bootstrapped before the deadline; " + how);
      });
  return poll_until(c.config.runtime, poll, [&](int) -> Result<PollState> {
    std::vector<std::string> waiting;
    for (const auto& id : ids) {
      auto tail = bootstrap_tail(c, id, kErrorLines, call_options(w));
      if (!tail) {
        Error e = std::move(tail).error();
        if (e.kind == ErrorKind::kCancelled) return e;
        // A worker replaced meanwhile is no longer this resize's to wait for.
        if (e.code == "InvalidInstanceID.NotFound") continue;
        if (transient(e) && ++failures <= 5) {
          waiting.push_back(id);
          continue;
        }
        // The console cannot be read (no ec2:GetConsoleOutput permission, an answer this does not
        // know): the worker is InService; the resize is not failed for what cannot be looked at.
        note("cannot follow " + id + "'s bootstrap: its console cannot be read (" + e.code + ": " + e.message + ")");
        continue;
      }
      failures = 0;
      if (tail->state == cluster::BootstrapState::kFailed)
        return Error::make(ErrorKind::kService, "WorkerBootstrapFailed",
                           "cluster " + w.cluster + ": " + describe_failed_bootstrap("worker", *tail) + "\n" +
                               "the worker runs but did not join; " + how)
            .with_next_step(cluster::next_step::kBootstrapTail, id);
      if (tail->state == cluster::BootstrapState::kFinished) continue;
      if (tail->source == kBufferedConsole) {
        // Not a Nitro instance: its console is posted around state changes only, so a finish
        // may never show. A failure it shows is caught above; otherwise it is not waited for.
        note("cannot follow " + id + "'s bootstrap: its console output is buffered (not a Nitro instance); it is InService");
        continue;
      }
      waiting.push_back(id);
      last[id] = std::move(*tail);
    }
    ids = waiting;
    if (ids.empty()) return PollState::done();
    if (limit.expired(clock)) {
      std::string list;
      for (const auto& id : ids) list += (list.empty() ? "" : " ") + id;
      std::string tail_text;
      if (auto it = last.find(ids.front()); it != last.end() && !it->second.lines.empty()) {
        tail_text = "; the end of " + ids.front() + "'s console so far:";
        for (const auto& line : it->second.lines) tail_text += "\n    " + line;
      }
      // Not a failure: the workers are InService and no failure showed; said, not refused.
      note("cloud-init had not finished on " + list + " after " +
           std::to_string(std::chrono::duration_cast<std::chrono::seconds>(timeout).count()) + " s (they are InService)" +
           tail_text);
      return PollState::done("not confirmed");
    }
    return PollState::pending(std::to_string(ids.size()) + " workers bootstrapping");
  });
}

}  // namespace awsdl::internal::lifecycle

namespace awsdl::cluster {

Result<BootstrapTail> bootstrap_tail_over_ssh(ssh::FanOut& fan, const std::string& host, std::size_t lines,
                                              const std::string& path) {
  // Enough lines that the failure's own are among them after read_bootstrap drops empty ones.
  const std::string quoted = ssh::shell_quote(path);
  AWSDL_ASSIGN_OR_RETURN(auto r, fan.run_on(host, "[ -r " + quoted + " ] || exit 3; tail -n " +
                                                      std::to_string(std::max<std::size_t>(lines * 4, 100)) + " " + quoted));
  if (r.exit_status == 3)
    return Error::make(ErrorKind::kNotFound, "NoCloudInitLog", host + " has no readable " + path);
  if (!r.ok())
    return Error::make(ErrorKind::kService, "NoCloudInitLog",
                       "reading " + path + " on " + host + " failed (exit " + std::to_string(r.exit_status) + "): " + r.err);
  BootstrapTail t = read_bootstrap(r.out, lines);
  t.source = "ssh:" + path;
  return t;
}

}  // namespace awsdl::cluster
