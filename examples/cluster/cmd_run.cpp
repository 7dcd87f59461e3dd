// awsdl-cluster run: the reference mpirun across the cluster, started on the master in its own
// process group (recorded, so that `stop` stops exactly it), its output followed until it ends.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <unistd.h>
#include <vector>

#include <awsdl/cluster/lifecycle.hpp>
#include <awsdl/cluster/supervisor.hpp>
#include <awsdl/core/retry.hpp>
#include <awsdl/mpi/hostfile.hpp>
#include <awsdl/mpi/launch.hpp>
#include <awsdl/ssh/quote.hpp>

#include "cli.hpp"
#include "cluster_cli.hpp"
#include "command.hpp"

namespace {

using namespace awsdl_cluster;

awsdl_cli::Parser parser() {
  awsdl_cli::Parser p("awsdl-cluster run", "run a training command across the cluster with mpirun");
  p.usage("awsdl-cluster run --name NAME | --config FILE [FLAGS...] -- PROGRAM [ARGS...]");
  add_cluster_flags(p);
  p.flag({"np", "N", "processes (default: the sum of the nodes' slots)"});
  p.flag({"env", "NAME=VALUE", "set in every rank's environment (-x NAME=VALUE)", true});
  p.flag({"export", "NAME", "pass on from the master's environment (-x NAME)", true});
  p.flag({"tcp-include", "IF,...", "the only interfaces MPI's TCP traffic may use (default: exclude lo,docker0)"});
  p.flag({"rsh-args", "ARGS", "arguments for the ssh that mpirun starts its daemons with (-mca plm_rsh_args)"});
  p.flag({"mca", "NAME=VALUE", "any other -mca NAME VALUE", true});
  p.flag({"no-horovod", "", "leave out the Horovod options (-bind-to none -map-by slot, pml ob1, btl ^openib)"});
  p.flag({"detach", "", "start it and return; follow nothing (stop it with awsdl-cluster stop)"});
  p.flag({"timeout", "SECONDS", "stop the job if it has not ended after this long (default: no limit)"});
  p.flag({"restarts", "N", "supervise the run: on a lost, unreachable or unhealthy node or a spot notice, stop it, "
                           "have the node replaced and relaunch it with AWSDL_RESTART=<n> AWSDL_RESUME=1, up to N times"});
  p.flag({"restart-on-exit", "", "with --restarts: restart a non-zero exit on healthy nodes too"});
  p.flag({"checkpoint-signal", "SIG", "with --restarts: sent to the job on a spot notice (default SIGUSR1)"});
  p.flag({"checkpoint-grace", "SECONDS", "with --restarts: how long the job may checkpoint after the signal (default 90)"});
  p.flag({"replace-timeout", "SECONDS", "with --restarts: wait this long for replacement workers, then go on with the "
                                       "cluster's min_workers (default 600)"});
  p.flag({"poll-interval", "SECONDS", "with --restarts: how often the job and the nodes are looked at (default 5)"});
  p.flag({"no-mount-check", "", "with --restarts: accept a shared directory that is not a mount point (a local test cluster)"});
  p.flag({"imds-url", "URL", "with --restarts: the instance metadata service the node watchers read, {address} for the "
                             "node's address (default http://169.254.169.254)"});
  p.example("awsdl-cluster run --name maskrcnn -- python3 /efs/code/train.py --epochs 10");
  p.example("awsdl-cluster run --config cluster.ini --env NCCL_DEBUG=INFO --detach -- python3 train.py");
  p.example("awsdl-cluster run --name maskrcnn --restarts 3 -- python3 /efs/code/train.py --resume-from /efs/ckpt");
  p.note("The hostfile goes to MOUNT_POINT/.awsdl/NAME/hostfile on the shared file system and the\n"
         "output to a log there. [training] mpirun_options are added before the program.\n"
         "Ctrl-C stops the job (with --detach, nothing is followed: use awsdl-cluster stop).\n"
         "With --restarts the run is supervised: events are printed as they happen, the job's output\n"
         "goes to its log on the shared file system, and the end lists each incident (when, node,\n"
         "cause, downtime). A program is resumable when it checkpoints to the shared file system and,\n"
         "with AWSDL_RESUME=1, resumes from its newest checkpoint.\n");
  return p;
}

std::string clock_time(awsdl::WallTime t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%H:%M:%SZ", &tm);
  return buf;
}

// run --restarts: the library's Supervisor; events as they happen, incidents at the end.
int supervise(const Target& target, const awsdl::Config& cfg, const awsdl::cluster::ClusterInfo& info,
              const NodeAccess& access, awsdl::cluster::SupervisorOptions so, awsdl::mpi::MpirunOptions mo) {
  so.fan = access.options;
  so.mpirun = std::move(mo);
  so.mpirun.hosts.clear();
  so.min_workers = info.min_workers;
  so.cancel = install_interrupt_handler();
  auto sup = awsdl::cluster::Supervisor::make(cfg, std::move(so));
  if (!sup) return awsdl_cli::report(sup.error());
  awsdl::cluster::Clusters clusters(cfg);
  sup->on_job([&](const awsdl::ssh::RemoteJob& job) {
    if (auto r = record_job(target, job); !r) awsdl_cli::report(r.error(), "recording the job");
  });
  sup->on_event([&](const awsdl::cluster::SupervisorEvent& e) {
    std::fprintf(stderr, "%s %s%s%s: %s\n", clock_time(e.at).c_str(), awsdl::cluster::to_string(e.kind),
                 e.instance_id.empty() ? "" : " ", e.instance_id.c_str(), e.message.c_str());
    if (e.kind == awsdl::cluster::SupervisorEventKind::kStarted) {
      // The local hostfile, workers and env files follow the node set, as create and resize keep them.
      if (auto now = clusters.describe(target.spec.name); now) (void)write_local_files(target, *now);
    }
  });
  auto run = sup->run();
  if (!run) return awsdl_cli::report(run.error(), "starting the supervised run");
  std::vector<std::string> ids;
  for (const auto& j : run->jobs) ids.push_back(j.id);
  (void)forget_jobs(target, ids);
  std::printf("outcome: %s, exit status %d, %d restart%s\n", awsdl::cluster::to_string(run->outcome), run->exit_status,
              run->restarts, run->restarts == 1 ? "" : "s");
  for (const auto& i : run->incidents)
    std::printf("incident: %s %s %s: %s, downtime %.1f s%s\n", clock_time(i.at).c_str(),
                i.instance_id.empty() ? "-" : i.instance_id.c_str(), i.host.empty() ? "-" : i.host.c_str(), i.cause.c_str(),
                static_cast<double>(i.downtime.count()) / 1000.0, i.recovered ? "" : " (not recovered)");
  if (!run->jobs.empty()) std::printf("log: %s\n", run->jobs.back().log_path.c_str());
  if (run->error) {
    awsdl_cli::report(*run->error);
    return awsdl_cli::kExitFailed;
  }
  return awsdl_cli::kExitOk;
}

int run(const std::vector<std::string>& argv) {
  auto opening = awsdl_cli::open_command(parser(), argv);
  if (opening.exit) return *opening.exit;
  const awsdl_cli::Args& args = opening.args;
  if (!args.positionals().empty())
    return awsdl_cli::report(awsdl::Error::invalid_argument(
        "UnexpectedArgument", "unexpected '" + args.positionals()[0] + "': put the program after --"));
  if (args.rest().empty())
    return awsdl_cli::report(awsdl::Error::invalid_argument("NoCommand", "no program: put it after --"));
  auto target = target_from(args, false);
  if (!target) return awsdl_cli::report(target.error());

  awsdl::mpi::MpirunOptions mo;
  mo.horovod = !args.has("no-horovod");
  // Absent: every slot (mpirun_command's default). Not a number is a usage error, not "all".
  auto np = awsdl_cli::whole_flag(args, "np", 0, 1, 1000000);
  if (!np) return awsdl_cli::report(np.error());
  mo.np = static_cast<int>(*np);
  for (const auto& e : args.all("env")) {
    auto eq = e.find('=');
    if (eq == std::string::npos || eq == 0)
      return awsdl_cli::report(awsdl::Error::invalid_argument("BadFlag", "--env wants NAME=VALUE, got '" + e + "'"));
    mo.env[e.substr(0, eq)] = e.substr(eq + 1);
  }
  // EFA (efa = yes): every rank gets the EFA guide's variables, unless --env set them.
  if (target->spec.capacity.efa == awsdl::cluster::EfaMode::kYes)
    for (const auto& [name, value] : awsdl::mpi::efa_environment()) mo.env.emplace(name, value);
  mo.export_vars = args.all("export");
  if (auto v = args.get("tcp-include")) {
    mo.tcp_include.clear();
    std::string s = *v;
    for (std::size_t a = 0; a <= s.size();) {
      auto b = s.find(',', a);
      if (b == std::string::npos) b = s.size();
      if (b > a) mo.tcp_include.push_back(s.substr(a, b - a));
      a = b + 1;
    }
  }
  mo.rsh_args = args.get_or("rsh-args", "");
  for (const auto& m : args.all("mca")) {
    auto eq = m.find('=');
    if (eq == std::string::npos || eq == 0)
      return awsdl_cli::report(awsdl::Error::invalid_argument("BadFlag", "--mca wants NAME=VALUE, got '" + m + "'"));
    mo.mca[m.substr(0, eq)] = m.substr(eq + 1);
  }
  auto extra = split_words(target->spec.training.mpirun_options);
  if (!extra) return awsdl_cli::report(extra.error(), "[training] mpirun_options");
  mo.extra_args = *extra;
  auto timeout = awsdl_cli::whole_flag(args, "timeout", 0, 1, 1000000000);
  if (!timeout) return awsdl_cli::report(timeout.error());
  const long long timeout_s = *timeout;
  const bool supervised = args.get("restarts").has_value();
  for (const char* f : {"restart-on-exit", "checkpoint-signal", "checkpoint-grace", "replace-timeout", "poll-interval",
                        "no-mount-check", "imds-url"})
    if (!supervised && (args.has(f) || args.get(f)))
      return awsdl_cli::report(awsdl::Error::invalid_argument("BadFlag", std::string("--") + f + " goes with --restarts"));
  awsdl::cluster::SupervisorOptions so;
  if (supervised) {
    if (args.has("detach"))
      return awsdl_cli::report(awsdl::Error::invalid_argument("BadFlag", "--restarts supervises the run: not with --detach"));
    auto restarts = awsdl_cli::whole_flag(args, "restarts", 0, 0, 1000);
    if (!restarts) return awsdl_cli::report(restarts.error());
    so.restarts = static_cast<int>(*restarts);
    so.restart_on_exit = args.has("restart-on-exit");
    auto sig = awsdl::cluster::parse_signal(args.get_or("checkpoint-signal", "SIGUSR1"));
    if (!sig) return awsdl_cli::report(sig.error(), "--checkpoint-signal");
    so.checkpoint_signal = *sig;
    auto grace = awsdl_cli::seconds_flag(args, "checkpoint-grace", std::chrono::seconds(90), 0, 3600);
    if (!grace) return awsdl_cli::report(grace.error());
    so.checkpoint_grace = *grace;
    auto replace = awsdl_cli::seconds_flag(args, "replace-timeout", std::chrono::seconds(600), 0, 86400);
    if (!replace) return awsdl_cli::report(replace.error());
    so.replace_timeout = *replace;
    auto poll = awsdl_cli::seconds_flag(args, "poll-interval", std::chrono::seconds(5), 0.1, 300);
    if (!poll) return awsdl_cli::report(poll.error());
    so.poll_interval = *poll;
    if (auto u = args.get("imds-url")) so.imds_url = *u;
    so.cluster = target->spec.name;
    so.command = args.rest();
    so.shared_dir = remote_dir(*target);
    so.workdir = target->spec.mount_point;
    so.slots_per_node = target->spec.training.slots_per_node;
    so.user = target->spec.ssh.user;
    so.health.shared_path = target->spec.mount_point;
    so.health.require_mount_point = !args.has("no-mount-check");
    if (auto checked = awsdl::cluster::Supervisor::make(awsdl::Config{}, so); !checked)
      return awsdl_cli::report(checked.error());
  }

  auto cfg = awsdl_cli::config_from(args);
  if (!cfg) return awsdl_cli::report(cfg.error());
  awsdl::cluster::Clusters clusters(*cfg);
  auto c = clusters.describe(target->spec.name);
  if (!c) return awsdl_cli::report(c.error());
  auto access = node_access(*target, *c);
  if (!access) return awsdl_cli::report(access.error());
  for (const auto& n : c->nodes)
    if (n.state == "running") mo.hosts.push_back({n.private_ip.empty() ? n.public_ip : n.private_ip, slots_for(*target, n)});

  if (supervised) return supervise(*target, *cfg, *c, *access, std::move(so), std::move(mo));
  awsdl::ssh::FanOut fan({access->master}, access->options);
  const std::string dir = remote_dir(*target);
  mo.hostfile = dir + "/hostfile";
  auto cmd = awsdl::mpi::mpirun_command(mo, args.rest());
  if (!cmd) return awsdl_cli::report(cmd.error());
  auto hostfile = awsdl::mpi::hostfile(mo.hosts, awsdl::mpi::Format::kOpenMpi);
  if (!hostfile) return awsdl_cli::report(hostfile.error(), "the hostfile");
  awsdl::ssh::ExecOptions wo;
  wo.stdin_data = *hostfile;
  auto wrote = fan.run_on(access->master, "mkdir -p " + awsdl::ssh::shell_quote(dir) + " && cat > " +
                                              awsdl::ssh::shell_quote(mo.hostfile), wo);
  if (!wrote) return awsdl_cli::report(wrote.error(), "writing the hostfile on the master");
  if (!wrote->ok()) {
    std::fprintf(stderr, "error: cannot write %s on the master: %s\n", mo.hostfile.c_str(), wrote->err.c_str());
    return awsdl_cli::kExitFailed;
  }
  const std::string stamp = std::to_string(std::time(nullptr)) + "-" + std::to_string(::getpid());
  const std::string exit_path = dir + "/run-" + stamp + ".exit";
  awsdl::ssh::DetachOptions d;
  d.log_path = dir + "/run-" + stamp + ".log";
  d.workdir = target->spec.mount_point;
  // The autostop watcher counts the processes of this cluster's jobs by this marker.
  d.env["AWSDL_CLUSTER"] = target->spec.name;
  auto job = fan.start_on(access->master,
                          // Written aside and renamed, so the probe below never reads a file
                          // that exists but is still empty.
                          awsdl::ssh::shell_join(*cmd) + "; echo $? > " + awsdl::ssh::shell_quote(exit_path + ".tmp") +
                              "; mv -f " + awsdl::ssh::shell_quote(exit_path + ".tmp") + " " +
                              awsdl::ssh::shell_quote(exit_path),
                          d);
  if (!job) return awsdl_cli::report(job.error(), "starting mpirun on the master");
  if (auto r = record_job(*target, *job); !r) return awsdl_cli::report(r.error());
  std::fprintf(stderr, "started on %s: process group %d, job %s, log %s\n", job->host.c_str(), job->pgid,
               job->id.c_str(), job->log_path.c_str());
  if (args.has("detach")) {
    std::printf("%s\n", job->id.c_str());
    return awsdl_cli::kExitOk;
  }

  auto cancel = install_interrupt_handler();
  std::size_t offset = 0;
  auto drain = [&]() {
    auto r = fan.run_on(access->master, "tail -c +" + std::to_string(offset + 1) + " " + awsdl::ssh::shell_quote(job->log_path));
    if (r && r->ok()) {
      std::fwrite(r->out.data(), 1, r->out.size(), stdout);
      std::fflush(stdout);
      offset += r->out.size();
    }
  };
  const std::string probe = "if [ -e " + awsdl::ssh::shell_quote(exit_path) + " ]; then cat " +
                            awsdl::ssh::shell_quote(exit_path) + "; elif kill -0 -- -" + std::to_string(job->pgid) +
                            " 2>/dev/null; then echo running; else echo gone; fi";
  // The toolkit's poll on the Config's runtime: every 500 ms until the job ends, --timeout
  // passes or Ctrl-C.
  awsdl::PollOptions po;
  po.delay = awsdl::Backoff::polling(std::chrono::milliseconds(500), std::chrono::milliseconds(500), 1.0);
  if (timeout_s > 0) po.deadline = awsdl::Deadline::after(std::chrono::seconds(timeout_s), *cfg->runtime.clock);
  po.cancel = cancel;
  po.what = "following the job";
  bool timed_out = false, interrupted = false;
  po.timeout_error = [&](const std::string&) {
    timed_out = true;
    return awsdl::Error::make(awsdl::ErrorKind::kTimeout, "RunTimeout", "timeout");
  };
  po.cancelled_error = [&] {
    interrupted = true;
    return awsdl::Error::make(awsdl::ErrorKind::kCancelled, "Interrupted", "interrupted");
  };
  std::string state;
  auto followed = awsdl::poll_until(cfg->runtime, po, [&](int) -> awsdl::Result<awsdl::PollState> {
    drain();
    auto s = fan.run_on(access->master, probe);
    if (!s) return std::move(s).error();
    state = s->out.substr(0, s->out.find('\n'));
    return state == "running" ? awsdl::PollState::pending(state) : awsdl::PollState::done(state);
  });
  if (timed_out || interrupted) {
    drain();
    std::fprintf(stderr, "%s: stopping the job\n", timed_out ? "timeout" : "interrupted");
    auto stopped = fan.stop({*job}, std::chrono::seconds(5));
    if (!stopped[0]) {
      awsdl_cli::report(stopped[0].error(), "stop");
      std::fprintf(stderr, "it may still run: awsdl-cluster stop --name %s\n", target->spec.name.c_str());
      return awsdl_cli::kExitFailed;
    }
    (void)forget_jobs(*target, {job->id});
    return awsdl_cli::kExitFailed;
  }
  if (!followed) return awsdl_cli::report(followed.error(), "following the job");
  drain();
  (void)forget_jobs(*target, {job->id});
  if (state == "gone") {
    std::fprintf(stderr, "the job ended without an exit status (stopped from elsewhere?)\n");
    return awsdl_cli::kExitFailed;
  }
  char* end = nullptr;
  const long status = std::strtol(state.c_str(), &end, 10);
  if (state.empty() || *end != '\0' || status < 0 || status > 255) {
    std::fprintf(stderr, "the job ended, but its exit status cannot be read ('%s' in %s)\n", state.c_str(),
                 exit_path.c_str());
    return awsdl_cli::kExitFailed;
  }
  std::fprintf(stderr, "mpirun exited with status %ld\n", status);
  return status == 0 ? awsdl_cli::kExitOk : awsdl_cli::kExitFailed;
}

const awsdl_cli::RegisterCommand kRegister({"run", "run a program across the cluster with mpirun", run});

}  // namespace
