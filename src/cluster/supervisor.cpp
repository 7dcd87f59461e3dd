// Supervisor: launch (files on the master, mpirun detached, an IMDS watcher per node), watch
// (Monitor snapshots), and on a failure stop, replace, wait, relaunch. See supervisor.hpp.
#include "awsdl/cluster/supervisor.hpp"

#include <algorithm>
#include <charconv>
#include <csignal>
#include <map>
#include <set>

#include "awsdl/autoscaling/autoscaling.hpp"
#include "awsdl/cluster/monitor.hpp"
#include "awsdl/mpi/hostfile.hpp"
#include "awsdl/ssh/quote.hpp"
#include "cluster/supervisor_internal.hpp"

namespace awsdl::cluster {

using ssh::shell_quote;
namespace sv = internal::supervisor;

namespace {

struct SignalName {
  const char* name;
  int number;
};
constexpr SignalName kSignals[] = {{"HUP", SIGHUP},   {"INT", SIGINT},   {"QUIT", SIGQUIT}, {"KILL", SIGKILL},
                                   {"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"TERM", SIGTERM}, {"ALRM", SIGALRM},
                                   {"CONT", SIGCONT}, {"STOP", SIGSTOP}, {"TSTP", SIGTSTP}, {"WINCH", SIGWINCH}};

std::string address_of(const Node& n) { return n.private_ip.empty() ? n.public_ip : n.private_ip; }

std::string seconds(Millis d) {
  const long long ms = d.count();
  return std::to_string(ms / 1000) + (ms % 1000 ? "." + std::to_string((ms % 1000) / 100) : "") + " s";
}

std::string replace_all(std::string s, std::string_view what, const std::string& with) {
  for (auto at = s.find(what); at != std::string::npos; at = s.find(what, at + with.size())) s.replace(at, what.size(), with);
  return s;
}

}  // namespace

Result<int> parse_signal(std::string_view text) {
  std::string_view t = text;
  if (t.size() > 3 && t.substr(0, 3) == "SIG") t.remove_prefix(3);
  for (const auto& s : kSignals)
    if (t == s.name) return s.number;
  int n = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (!text.empty() && ec == std::errc() && p == text.data() + text.size() && n >= 1 && n <= 64) return n;
  return Error::invalid_argument("BadSignal", "'" + std::string(text) +
                                                  "' is not a signal: a name (SIGUSR1, USR1, TERM...) or a number 1 to 64");
}

const char* to_string(SupervisorEventKind k) {
  switch (k) {
    case SupervisorEventKind::kStarted: return "started";
    case SupervisorEventKind::kNodeLost: return "node-lost";
    case SupervisorEventKind::kNodeUnreachable: return "node-unreachable";
    case SupervisorEventKind::kNodeUnhealthy: return "node-unhealthy";
    case SupervisorEventKind::kSpotNotice: return "spot-notice";
    case SupervisorEventKind::kRebalance: return "rebalance-recommendation";
    case SupervisorEventKind::kCheckpointSignal: return "checkpoint-signal";
    case SupervisorEventKind::kJobExited: return "job-exited";
    case SupervisorEventKind::kJobStopped: return "job-stopped";
    case SupervisorEventKind::kMarkedUnhealthy: return "marked-unhealthy";
    case SupervisorEventKind::kWaitingForNodes: return "waiting-for-nodes";
    case SupervisorEventKind::kNodesReady: return "nodes-ready";
    case SupervisorEventKind::kContinuingWithFewer: return "continuing-with-fewer";
    case SupervisorEventKind::kRestarting: return "restarting";
    case SupervisorEventKind::kFinished: return "finished";
    case SupervisorEventKind::kGaveUp: return "gave-up";
  }
  return "?";
}

const char* to_string(RunOutcome o) {
  switch (o) {
    case RunOutcome::kSucceeded: return "succeeded";
    case RunOutcome::kJobFailed: return "job-failed";
    case RunOutcome::kGaveUp: return "gave-up";
    case RunOutcome::kCancelled: return "cancelled";
  }
  return "?";
}

}  // namespace awsdl::cluster

namespace awsdl::internal::supervisor {

using ssh::shell_quote;

Status validate(const cluster::SupervisorOptions& o) {
  auto bad = [](std::string m) { return Error::invalid_argument("BadSupervisorOption", std::move(m)); };
  if (o.cluster.empty()) return bad("no cluster name");
  if (o.command.empty() || o.command.front().empty()) return bad("no command to run");
  if (o.shared_dir.empty() || o.shared_dir.front() != '/') return bad("shared_dir must be an absolute path on the master");
  if (o.restarts < 0 || o.restarts > 1000) return bad("restarts: 0 to 1000, got " + std::to_string(o.restarts));
  if (o.checkpoint_signal < 1 || o.checkpoint_signal > 64)
    return bad("checkpoint_signal: a signal number 1 to 64, got " + std::to_string(o.checkpoint_signal));
  if (o.checkpoint_grace < Millis(0)) return bad("checkpoint_grace cannot be negative");
  if (o.replace_timeout < Millis(0)) return bad("replace_timeout cannot be negative");
  if (o.poll_interval < Millis(100) || o.poll_interval > std::chrono::hours(1))
    return bad("poll_interval: 100 ms to 1 hour");
  if (o.min_workers < -1) return bad("min_workers: -1 (all) or a count");
  if (o.unreachable_polls < 1) return bad("unreachable_polls: at least 1");
  if (o.slots_per_node < 0) return bad("slots_per_node cannot be negative");
  if (o.watcher_lease < std::chrono::seconds(1)) return bad("watcher_lease: at least 1 s");
  if (o.imds_url.rfind("http://", 0) != 0 && o.imds_url.rfind("https://", 0) != 0)
    return bad("imds_url: an http:// or https:// URL");
  for (char c : o.imds_url)
    if (c == '\'' || c == '\n' || c == ' ') return bad("imds_url: no quotes, spaces or newlines");
  return {};
}

std::string watcher_script(const std::string& imds_url, const std::string& notices_path,
                               const std::string& flag_path, int interval_ms, int lease_seconds) {
  // IMDSv2: a token, then the two notices; the file is replaced whole each round. Ends when the
  // flag file on the shared file system is gone (the supervisor removes it when the launch ends)
  // or was not touched for over lease_seconds (the supervisor is gone). The times are whole
  // seconds, so "-le" keeps a watcher for at least the whole lease after a touch (at most a
  // second more); "-lt" would end it as early as lease_seconds - 1 after one.
  const std::string u = shell_quote(imds_url), f = shell_quote(notices_path), flag = shell_quote(flag_path);
  const std::string sleep_s = std::to_string(interval_ms / 1000) + "." + std::to_string((interval_ms % 1000) / 100);
  return "u=" + u + "; f=" + f + "\n"
         "trap 'rm -f \"$f\" \"$f.tmp\"; exit 0' TERM INT HUP\n"
         "leased() { m=$(stat -c %Y " + flag + " 2>/dev/null) && [ $(( $(date +%s) - m )) -le " +
         std::to_string(lease_seconds) + " ]; }\n"
         "while leased; do\n"
         "  t=$(curl -sf -m 2 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' \"$u/latest/api/token\")\n"
         "  a=; r=\n"
         "  if [ -n \"$t\" ]; then\n"
         "    a=$(curl -sf -m 2 -H \"X-aws-ec2-metadata-token: $t\" \"$u/latest/meta-data/spot/instance-action\" | tr -d '\\n')\n"
         "    r=$(curl -sf -m 2 -H \"X-aws-ec2-metadata-token: $t\" \"$u/latest/meta-data/events/recommendations/rebalance\" | tr -d '\\n')\n"
         "  fi\n"
         "  { [ -n \"$a\" ] && echo \"spot=$a\"; [ -n \"$r\" ] && echo \"rebalance=$r\"; } > \"$f.tmp\"; mv -f \"$f.tmp\" \"$f\"\n"
         "  sleep " + sleep_s + "\n"
         "done\n"
         "rm -f \"$f\" \"$f.tmp\"\n";
}

std::string signal_script(int pgid, int signal) {
  // mpirun forwards SIGUSR1/SIGUSR2 (and others) to the ranks; the shell around it must not get it.
  return "for p in $(pgrep -g " + std::to_string(pgid) + "); do case \"$(cat /proc/$p/comm 2>/dev/null)\" in "
         "mpirun|orterun|mpiexec|prterun) kill -" + std::to_string(signal) + " $p && echo signalled=$p ;; esac; done; exit 0";
}

}  // namespace awsdl::internal::supervisor

namespace awsdl::cluster {

struct Supervisor::Impl {
  Config config;
  SupervisorOptions o;
  Clusters clusters;
  autoscaling::AutoScalingClient asg;
  std::function<void(const SupervisorEvent&)> on_event;
  std::function<void(const ssh::RemoteJob&)> on_job;
  std::string run_id;

  Impl(const Config& c, SupervisorOptions opts) : config(c), o(std::move(opts)), clusters(c), asg(c) {}

  Clock& clock() { return *config.runtime.clock; }

  void emit(SupervisorEventKind kind, const std::string& instance, const std::string& host, std::string message,
            int restart, int status = -1) {
    if (!on_event) return;
    SupervisorEvent e;
    e.at = clock().wall_now();
    e.kind = kind;
    e.instance_id = instance;
    e.host = host;
    e.message = std::move(message);
    e.restart = restart;
    e.status = status;
    on_event(e);
  }

  // The lease is renewed at polls: never shorter than three of them.
  Millis watcher_lease() const { return std::max(o.watcher_lease, 3 * o.poll_interval); }

  std::string host_of(const Node& n) const { return o.user.empty() ? address_of(n) : o.user + "@" + address_of(n); }
  std::string notices_path() const { return "/tmp/awsdl-notices-" + run_id + "-{address}"; }

  MonitorOptions monitor_options(std::vector<ssh::RemoteJob> jobs) const {
    MonitorOptions m;
    m.cluster = o.cluster;
    m.user = o.user;
    m.fan = o.fan;
    // The snapshots use every session each poll: a keepalive would only hold a session's lock
    // for a blocking round trip to a node that stopped answering.
    m.fan.session.keepalive_interval = Millis(0);
    m.health = o.health;
    m.jobs = std::move(jobs);
    m.events = 0;
    m.max_log_bytes = 1;   // the supervisor reads no log
    m.log_tail_lines = 0;
    m.notices_path = notices_path();
    m.cancel = o.cancel;
    return m;
  }

  struct Launch {
    ssh::RemoteJob job;
    std::string exit_path;
    std::string flag_path;
  };

  // Hostfile, workers and env files on the master, the watchers, then mpirun.
  Result<Launch> launch(ssh::FanOut& fan, const std::vector<Node>& nodes, int restart) {
    const Node& master = nodes.front();
    std::vector<mpi::Host> hosts;
    std::vector<mpi::NamedNode> named;
    int worker_gpus = -1, index = 0;
    for (const auto& n : nodes) {
      int slots = o.slots_per_node > 0 ? o.slots_per_node : std::max(1, n.gpus);
      hosts.push_back({address_of(n), slots});
      if (n.role == NodeRole::kWorker) {
        named.push_back({"deeplearning-worker" + std::to_string(++index), address_of(n), slots});
        worker_gpus = worker_gpus < 0 ? n.gpus : std::min(worker_gpus, n.gpus);
      }
    }
    mpi::MpirunOptions mo = o.mpirun;
    mo.hosts = hosts;
    mo.hostfile = o.shared_dir + "/hostfile";
    if (mo.np > mpi::total_slots(hosts)) mo.np = 0;   // fewer nodes than at first: every slot
    mo.env["AWSDL_RESTART"] = std::to_string(restart);
    if (restart > 0) mo.env["AWSDL_RESUME"] = "1";
    AWSDL_ASSIGN_OR_RETURN(auto cmd, mpi::mpirun_command(mo, o.command));
    AWSDL_ASSIGN_OR_RETURN(auto hostfile, mpi::hostfile(hosts, mpi::Format::kOpenMpi));
    AWSDL_ASSIGN_OR_RETURN(auto workers, mpi::workers_file(named));
    mpi::ClusterEnv env;
    env.workers_path = o.shared_dir + "/workers";
    env.workers_count = static_cast<int>(named.size());
    env.worker_gpu_count = std::max(0, worker_gpus);
    env.efs_mount = o.health.shared_path;
    const std::string stamp = run_id + "-" + std::to_string(restart);
    Launch l;
    l.exit_path = o.shared_dir + "/run-" + stamp + ".exit";
    l.flag_path = o.shared_dir + "/run-" + stamp + ".watch";
    const std::string mh = host_of(master);
    for (const auto& [path, text] : std::vector<std::pair<std::string, std::string>>{
             {mo.hostfile, hostfile}, {env.workers_path, workers}, {o.shared_dir + "/env", mpi::env_file(env)}}) {
      ssh::ExecOptions wo;
      wo.stdin_data = text;
      auto w = fan.run_on(mh, "mkdir -p " + shell_quote(o.shared_dir) + " && cat > " + shell_quote(path + ".tmp") +
                                  " && mv -f " + shell_quote(path + ".tmp") + " " + shell_quote(path) + " && touch " +
                                  shell_quote(l.flag_path),
                          wo);
      if (!w) return std::move(w).error();
      if (!w->ok())
        return Error::make(ErrorKind::kService, "CannotWriteOnMaster", "cannot write " + path + " on the master: " + w->err)
            .with_next_step("check", "the shared directory " + o.shared_dir + " on the master");
    }
    // One IMDS watcher per node.
    for (const auto& n : nodes) {
      const std::string a = address_of(n);
      ssh::DetachOptions d;
      d.log_path = "/dev/null";
      auto w = fan.start_on(host_of(n), sv::watcher_script(replace_all(o.imds_url, "{address}", a),
                                                           replace_all(notices_path(), "{address}", a), l.flag_path,
                                                           static_cast<int>(std::min<long long>(o.poll_interval.count(), 5000)),
                                                           static_cast<int>((watcher_lease().count() + 999) / 1000)),
                            d);
      if (!w) {
        (void)fan.run_on(mh, "rm -f " + shell_quote(l.flag_path));
        return std::move(w).error();
      }
    }
    ssh::DetachOptions d;
    d.log_path = o.shared_dir + "/run-" + stamp + ".log";
    d.workdir = o.workdir;
    // The autostop watcher counts this cluster's jobs by this marker, as `run`'s.
    d.env["AWSDL_CLUSTER"] = o.cluster;
    auto job = fan.start_on(mh, ssh::shell_join(cmd) + "; echo $? > " + shell_quote(l.exit_path + ".tmp") +
                                                       "; mv -f " + shell_quote(l.exit_path + ".tmp") + " " +
                                                       shell_quote(l.exit_path),
                                               d);
    if (!job) {
      (void)fan.run_on(mh, "rm -f " + shell_quote(l.flag_path));   // the watchers end
      return std::move(job).error();
    }
    l.job = std::move(*job);
    if (on_job) on_job(l.job);
    return l;
  }

  Result<SupervisedRun> run();
};


namespace {

// Snapshots in a row that could not look at the cluster before the supervisor gives up.
constexpr int kMaxFailedSnapshots = 10;

// A node the watch found failing, and why.
struct Failure {
  Node node;
  std::string cause;
  bool sick = false;   // still there: SetInstanceHealth Unhealthy makes its group replace it
};

std::string random_id(Random& r) {
  static const char* hex = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < 12; ++i) s += hex[static_cast<int>(r.uniform() * 16) & 15];
  return s;
}

}  // namespace

Result<SupervisedRun> Supervisor::Impl::run() {
  SupervisedRun out;
  run_id = random_id(*config.runtime.random);
  AWSDL_ASSIGN_OR_RETURN(auto info, clusters.describe(o.cluster));
  if (!info.master() || info.master()->state != "running")
    return Error::make(ErrorKind::kNotFound, "NoMaster", "cluster " + o.cluster + " has no running master");
  std::vector<Node> nodes;
  nodes.push_back(*info.master());
  for (const auto& w : info.workers())
    if (w.state == "running") nodes.push_back(w);
  const int want_workers = static_cast<int>(nodes.size()) - 1;
  const int floor_workers = o.min_workers < 0 ? want_workers : std::min(o.min_workers, want_workers);
  const std::string worker_group = info.worker_group;

  std::vector<std::string> hosts;
  for (const auto& n : nodes) hosts.push_back(host_of(n));
  ssh::FanOutOptions fan_options = o.fan;
  fan_options.session.keepalive_interval = Millis(0);
  auto fan = std::make_unique<ssh::FanOut>(hosts, fan_options);
  int restart = 0;
  std::vector<std::size_t> open_incidents;
  SteadyTime detected{};
  DelaySequence backoff(o.restart_backoff);
  std::set<std::string> excluded;   // instance ids never to be used again in this run

  auto finish = [&](RunOutcome outcome, std::optional<Error> err) -> Result<SupervisedRun> {
    out.outcome = outcome;
    out.error = std::move(err);
    out.restarts = restart;
    const auto now = clock().steady_now();
    for (auto i : open_incidents) out.incidents[i].downtime = std::chrono::duration_cast<Millis>(now - detected);
    emit(outcome == RunOutcome::kSucceeded || outcome == RunOutcome::kJobFailed ? SupervisorEventKind::kFinished
                                                                                 : SupervisorEventKind::kGaveUp,
         "", "", std::string(to_string(outcome)) + (out.error ? ": " + out.error->message : ""), restart, out.exit_status);
    return out;
  };

  while (true) {
    auto launched = launch(*fan, nodes, restart);
    if (!launched) {
      if (restart == 0) return std::move(launched).error();   // nothing ran: the run could not start
      return finish(RunOutcome::kGaveUp, launched.error());
    }
    Launch l = std::move(*launched);
    out.jobs.push_back(l.job);
    const std::string mh = host_of(nodes.front());
    if (!open_incidents.empty()) {
      const auto down = std::chrono::duration_cast<Millis>(clock().steady_now() - detected);
      for (auto i : open_incidents) {
        out.incidents[i].downtime = down;
        out.incidents[i].recovered = true;
      }
      open_incidents.clear();
    }
    emit(SupervisorEventKind::kStarted, "", mh,
         std::to_string(nodes.size()) + " nodes, job " + l.job.id + ", log " + l.job.log_path, restart);

    // Watch.
    AWSDL_ASSIGN_OR_RETURN(auto monitor, Monitor::make(config, monitor_options({l.job})));
    std::map<std::string, int> unreachable, baseline_gpus;
    std::set<std::string> rebalance_seen;
    std::vector<Failure> failures;
    std::optional<int> exit_status;
    bool ended_pending = false;
    std::string spot_node;
    std::optional<SteadyTime> grace_until;
    std::optional<Error> watch_error;
    int failed_snapshots = 0;
    // The watchers' lease: renewed while this loop runs (see watcher_script).
    SteadyTime touched = clock().steady_now();

    PollOptions po;
    po.delay = Backoff::polling(o.poll_interval, o.poll_interval, 1.0);
    po.cancel = o.cancel;
    po.max_polls = 1000000;
    po.what = "supervising job " + l.job.id;
    auto watched = poll_until(config.runtime, po, [&](int) -> Result<PollState> {
      if (clock().steady_now() - touched >= watcher_lease() / 5) {
        (void)fan->run_on(mh, "touch -c " + shell_quote(l.flag_path));
        touched = clock().steady_now();
      }
      auto snap = monitor.snapshot();
      if (!snap) {
        // The cluster cannot be looked at (credentials, the network): a while is tolerated.
        if (++failed_snapshots >= kMaxFailedSnapshots) {
          watch_error = Error(snap.error()).with_next_step("check", "the credentials and the network; the job was stopped");
          return PollState::done("cannot watch");
        }
        return PollState::pending("snapshot failed: " + snap.error().message);
      }
      failed_snapshots = 0;
      failures.clear();
      for (const auto& n : nodes) {
        const NodeSample* ns = nullptr;
        for (const auto& x : snap->nodes)
          if (x.node.instance_id == n.instance_id) ns = &x;
        const bool spot = n.instance_id == spot_node;
        if (!ns || ns->lost || !snap->cluster_exists) {
          failures.push_back({n, spot ? "spot interruption" : "instance terminated", false});
          continue;
        }
        if (!ns->reachable) {
          if (++unreachable[n.instance_id] >= o.unreachable_polls)
            failures.push_back({n, "unreachable" + (ns->error ? ": " + ns->error->message : std::string()), true});
          continue;
        }
        unreachable[n.instance_id] = 0;
        if (ns->health && !ns->health->healthy()) {
          failures.push_back({n, "unhealthy: " + ns->health->problems.front(), true});
          continue;
        }
        auto [b, fresh] = baseline_gpus.emplace(n.instance_id, static_cast<int>(ns->gpus.size()));
        if (!fresh && static_cast<int>(ns->gpus.size()) < b->second) {
          failures.push_back({n, "GPU lost (" + std::to_string(b->second) + " -> " + std::to_string(ns->gpus.size()) + ")",
                              true});
          continue;
        }
        if (!ns->rebalance.empty() && rebalance_seen.insert(n.instance_id).second)
          emit(SupervisorEventKind::kRebalance, n.instance_id, host_of(n), ns->rebalance, restart);
        if (!ns->spot_notice.empty() && spot_node.empty()) {
          spot_node = n.instance_id;
          emit(SupervisorEventKind::kSpotNotice, n.instance_id, host_of(n), ns->spot_notice, restart);
          auto sig = fan->run_on(mh, sv::signal_script(l.job.pgid, o.checkpoint_signal));
          const bool sent = sig && sig->out.find("signalled=") != std::string::npos;
          emit(SupervisorEventKind::kCheckpointSignal, n.instance_id, mh,
               sent ? "signal " + std::to_string(o.checkpoint_signal) + " sent to mpirun; grace " + seconds(o.checkpoint_grace)
                    : "the job's mpirun was not found to signal",
               restart);
          grace_until = clock().steady_now() + o.checkpoint_grace;
        }
      }
      // The master must be there: the job lives on it.
      for (const auto& f : failures)
        if (f.node.instance_id == nodes.front().instance_id) {
          watch_error = Error::make(ErrorKind::kNotFound, "MasterLost", "the master " + f.node.instance_id + ": " + f.cause)
                            .with_next_step("recreate", "the master node cannot be replaced under a running job");
          return PollState::done("master lost");
        }
      if (!failures.empty()) {
        // A job that has just ended well is done, whatever happens to its nodes now.
        const JobSample& js = snap->jobs.front();
        if (!js.error && !js.running) {
          auto r = fan->run_on(mh, "cat " + shell_quote(l.exit_path) + " 2>/dev/null");
          if (r && r->ok() && r->out.substr(0, r->out.find('\n')) == "0") {
            failures.clear();
            exit_status = 0;
            return PollState::done("ended");
          }
        }
        return PollState::done("node failure");
      }
      if (grace_until && clock().steady_now() >= *grace_until) {
        for (const auto& n : nodes)
          if (n.instance_id == spot_node) failures.push_back({n, "spot interruption (checkpoint grace over)", true});
        return PollState::done("spot grace over");
      }
      const JobSample& js = snap->jobs.front();
      if (js.error || js.running) return PollState::pending("running");
      // The job ended: its status; a non-zero one is confirmed by one more look at the nodes
      // (a node lost at the same moment is a node failure, not the program's).
      auto r = fan->run_on(mh, "cat " + shell_quote(l.exit_path) + " 2>/dev/null || echo gone");
      std::string v = r && r->ok() ? r->out.substr(0, r->out.find('\n')) : "gone";
      int st = -1;
      auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), st);
      exit_status = ec == std::errc() && p == v.data() + v.size() ? st : -1;
      if (*exit_status == 0 || ended_pending) return PollState::done("ended");
      ended_pending = true;
      return PollState::pending("ended, confirming");
    });
    out.exit_status = exit_status.value_or(-1);
    const std::string watch_flag = l.flag_path;

    auto stop_job = [&]() {
      (void)fan->run_on(mh, "rm -f " + shell_quote(watch_flag));
      auto stopped = fan->stop({l.job}, std::chrono::seconds(5));
      std::string m = "stopped";
      if (!stopped.empty() && stopped[0]) m = std::to_string(stopped[0]->processes) + " processes stopped" +
                                             (stopped[0]->killed ? " (some killed)" : "");
      else if (!stopped.empty()) m = "stop failed: " + stopped[0].error().message;
      emit(SupervisorEventKind::kJobStopped, "", mh, m, restart);
    };

    if (!watched) {
      stop_job();
      if (watched.error().kind == ErrorKind::kCancelled)
        return finish(RunOutcome::kCancelled, Error::make(ErrorKind::kCancelled, "Cancelled", "the supervised run was cancelled; the job was stopped"));
      return finish(RunOutcome::kGaveUp, watched.error());
    }
    if (watch_error) {
      stop_job();
      return finish(RunOutcome::kGaveUp, watch_error);
    }
    if (failures.empty()) {
      (void)fan->run_on(mh, "rm -f " + shell_quote(watch_flag));
      emit(SupervisorEventKind::kJobExited, "", mh, "exit status " + std::to_string(out.exit_status), restart, out.exit_status);
      if (out.exit_status == 0) return finish(RunOutcome::kSucceeded, std::nullopt);
      if (!o.restart_on_exit)
        return finish(RunOutcome::kJobFailed,
                      Error::make(ErrorKind::kService, "JobFailed",
                                  "the job exited with status " + std::to_string(out.exit_status) +
                                      " with every node healthy: not restarted (a program's own failure)")
                          .with_next_step("read", l.job.log_path)
                          .with_next_step("restart-on-exit", "restart such an exit too"));
      failures.push_back({nodes.front(), "exit status " + std::to_string(out.exit_status), false});
    }

    // A failure: record it, stop the job, have sick nodes replaced.
    detected = clock().steady_now();
    const WallTime when = clock().wall_now();
    for (const auto& f : failures) {
      const bool exit_only = f.cause.rfind("exit status", 0) == 0;
      if (!exit_only)
        emit(f.cause == "instance terminated" || f.cause == "spot interruption" ? SupervisorEventKind::kNodeLost
             : f.cause.rfind("unreachable", 0) == 0                             ? SupervisorEventKind::kNodeUnreachable
                                                                                : SupervisorEventKind::kNodeUnhealthy,
             f.node.instance_id, host_of(f.node), f.cause, restart);
      Incident inc;
      inc.at = when;
      inc.instance_id = exit_only ? "" : f.node.instance_id;
      inc.host = exit_only ? "" : host_of(f.node);
      inc.cause = f.cause;
      out.incidents.push_back(inc);
      open_incidents.push_back(out.incidents.size() - 1);
    }
    stop_job();
    for (const auto& f : failures) {
      if (f.cause.rfind("exit status", 0) == 0) continue;
      excluded.insert(f.node.instance_id);
      if (!f.sick) continue;
      auto marked = asg.set_instance_health(f.node.instance_id, false);
      emit(SupervisorEventKind::kMarkedUnhealthy, f.node.instance_id, host_of(f.node),
           marked ? "SetInstanceHealth Unhealthy" : "SetInstanceHealth failed: " + marked.error().message, restart);
    }
    if (restart >= o.restarts)
      return finish(RunOutcome::kGaveUp,
                    Error::make(ErrorKind::kService, "RestartBudgetExhausted",
                                "the job failed (" + failures.front().cause + ") after " + std::to_string(restart) +
                                    " restart" + (restart == 1 ? "" : "s") + ", the most allowed; every rank was stopped")
                        .with_next_step("restarts", "allow more with --restarts")
                        .with_next_step("read", l.job.log_path));
    ++restart;

    // Wait for the workers (healthy, reachable, not excluded), or go on with min_workers.
    emit(SupervisorEventKind::kWaitingForNodes, "", "",
         "for " + std::to_string(want_workers) + " workers (at least " + std::to_string(floor_workers) + " after " +
             seconds(o.replace_timeout) + ")",
         restart);
    const Deadline replace_deadline = Deadline::after(o.replace_timeout, clock());
    if (want_workers > 0) {
      // The group replaces what it lost; when its launches fail for capacity, the capacity
      // fallback (issue 15, through resize to the same count) moves it to the next zone or market.
      ResizeOptions ro;
      ro.deadline = replace_deadline;
      ro.cancel = o.cancel;
      ro.poll_interval = o.poll_interval;
      ro.capacity_timeout_seconds = static_cast<int>(std::max<long long>(1, o.replace_timeout.count() / 1000));
      ro.on_event = [&](const ClusterEvent& e) {
        emit(SupervisorEventKind::kWaitingForNodes, "", "", e.message, restart);
      };
      if (auto settled = clusters.resize(o.cluster, want_workers, ro); !settled)
        emit(SupervisorEventKind::kWaitingForNodes, "", "", "the worker group did not fill up: " + settled.error().message,
             restart);
    }
    AWSDL_ASSIGN_OR_RETURN(auto waiter, Monitor::make(config, monitor_options({})));
    std::vector<Node> ready;
    bool master_ok = false;
    PollOptions wp;
    wp.delay = Backoff::polling(o.poll_interval, o.poll_interval, 1.0);
    // At least two looks at the nodes, even when the group's wait used the whole timeout.
    wp.deadline = replace_deadline.min(Deadline::after(o.replace_timeout, clock()));
    if (replace_deadline.remaining(clock(), Millis(0)) < 2 * o.poll_interval)
      wp.deadline = Deadline::after(2 * o.poll_interval, clock());
    wp.cancel = o.cancel;
    wp.what = "waiting for replacement workers";
    auto waited = poll_until(config.runtime, wp, [&](int) -> Result<PollState> {
      auto snap = waiter.snapshot();
      if (!snap) return PollState::pending("snapshot failed");
      ready.clear();
      master_ok = false;
      for (const auto& ns : snap->nodes) {
        if (ns.lost || !ns.reachable || !ns.health || !ns.health->healthy() || ns.node.state != "running") continue;
        if (ns.node.instance_id == nodes.front().instance_id) master_ok = true;
        else if (ns.node.role == NodeRole::kWorker && !excluded.count(ns.node.instance_id)) ready.push_back(ns.node);
      }
      const std::string state = std::to_string(ready.size()) + "/" + std::to_string(want_workers) + " workers ready";
      return master_ok && static_cast<int>(ready.size()) >= want_workers ? PollState::done(state) : PollState::pending(state);
    });
    if (!waited && waited.error().kind == ErrorKind::kCancelled)
      return finish(RunOutcome::kCancelled, Error::make(ErrorKind::kCancelled, "Cancelled", "cancelled while waiting for nodes"));
    if (!master_ok)
      return finish(RunOutcome::kGaveUp, Error::make(ErrorKind::kNotFound, "MasterLost", "the master is not healthy"));
    if (static_cast<int>(ready.size()) > want_workers) ready.resize(static_cast<std::size_t>(want_workers));
    if (!waited) {
      if (static_cast<int>(ready.size()) < floor_workers)
        return finish(RunOutcome::kGaveUp,
                      Error::make(ErrorKind::kTimeout, "NotEnoughNodes",
                                  std::to_string(ready.size()) + " healthy workers after " + seconds(o.replace_timeout) +
                                      "; the run needs at least " +
                                      std::to_string(floor_workers))
                          .with_next_step("check", "the worker group " + worker_group + "'s scaling activities")
                          .with_next_step("min-workers", "allow the run to go on with fewer workers"));
      emit(SupervisorEventKind::kContinuingWithFewer, "", "",
           std::to_string(ready.size()) + " of " + std::to_string(want_workers) + " workers", restart);
    } else {
      emit(SupervisorEventKind::kNodesReady, "", "", std::to_string(ready.size()) + " workers", restart);
    }
    std::vector<Node> next{nodes.front()};
    for (auto& n : ready) next.push_back(std::move(n));
    nodes = std::move(next);
    hosts.clear();
    for (const auto& n : nodes) hosts.push_back(host_of(n));
    fan = std::make_unique<ssh::FanOut>(hosts, fan_options);

    const Millis wait = backoff.next(*config.runtime.random);
    emit(SupervisorEventKind::kRestarting, "", "", "restart " + std::to_string(restart) + " in " + seconds(wait),
         restart);
    if (!config.runtime.sleeper->sleep_for(wait, o.cancel) || o.cancel.cancelled())
      return finish(RunOutcome::kCancelled, Error::make(ErrorKind::kCancelled, "Cancelled", "cancelled before the restart"));
  }
}

Supervisor::Supervisor(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Supervisor::Supervisor(Supervisor&&) noexcept = default;
Supervisor& Supervisor::operator=(Supervisor&&) noexcept = default;
Supervisor::~Supervisor() = default;

Result<Supervisor> Supervisor::make(const Config& config, SupervisorOptions options) {
  AWSDL_TRY(sv::validate(options));
  return Supervisor(std::make_unique<Impl>(config, std::move(options)));
}

void Supervisor::on_event(std::function<void(const SupervisorEvent&)> fn) { impl_->on_event = std::move(fn); }
void Supervisor::on_job(std::function<void(const ssh::RemoteJob&)> fn) { impl_->on_job = std::move(fn); }
Result<SupervisedRun> Supervisor::run() { return impl_->run(); }

}  // namespace awsdl::cluster
