#include "cluster_cli.hpp"

#include "cluster_words.hpp"
#include "interrupt.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>

#include <awsdl/mpi/hostfile.hpp>

namespace awsdl_cluster {

std::string flag_for(const std::string& ini_key) {
  std::string f = ini_key.substr(ini_key.find('.') + 1);
  for (auto& c : f)
    if (c == '_') c = '-';
  return f;
}

void add_cluster_flags(awsdl_cli::Parser& p) {
  p.flag({"config", "FILE", "cluster INI file (see examples/cluster/cluster.ini)"});
  for (const auto& key : awsdl::cluster::cluster_ini_keys()) {
    auto dot = key.find('.');
    p.flag({flag_for(key), "VALUE", "overrides [" + key.substr(0, dot) + "] " + key.substr(dot + 1)});
  }
  p.flag({"state-dir", "DIR", "local files of the cluster: hostfile, workers, env, known_hosts, jobs "
                              "(default: ~/.awsdl/NAME)"});
  p.aws_flags();
}

void add_change_flags(awsdl_cli::Parser& p, bool with_yes) {
  p.flag({"dry-run", "", "print the AWS calls this would make, with their parameters, and make none"});
  if (with_yes) p.flag({"yes", "", "do not ask for confirmation"});
}

awsdl_cli::Opening open_cluster_command(const awsdl_cli::Parser& p, const std::vector<std::string>& argv) {
  auto o = awsdl_cli::open_command(p, argv);
  if (!o.exit && !o.args.positionals().empty())
    o.exit = awsdl_cli::report(
        awsdl::Error::invalid_argument("UnexpectedArgument", "unexpected '" + o.args.positionals()[0] + "'"));
  return o;
}

void add_wait_flag(awsdl_cli::Parser& p) {
  p.flag({"poll-interval", "SECONDS", "how often to ask for stack events and state while waiting (default 5)"});
}

awsdl::Result<awsdl::Millis> poll_interval_from(const awsdl_cli::Args& args) {
  return awsdl_cli::seconds_flag(args, "poll-interval", std::chrono::seconds(5), 0.1, 300);
}

namespace {

awsdl::Error usage_error(const std::string& message) {
  return awsdl::Error::invalid_argument("BadConfiguration", message);
}

std::string home_dir() {
  const char* h = std::getenv("HOME");
  return h && *h ? h : "/tmp";
}

std::string expand_home(const std::string& path) {
  if (path == "~" || path.rfind("~/", 0) == 0) return home_dir() + path.substr(1);
  return path;
}

}  // namespace

awsdl::Result<Target> target_from(const awsdl_cli::Args& args, bool need_complete, KeyCheck key) {
  std::vector<awsdl::cluster::SpecOverride> overrides;
  for (const auto& key : awsdl::cluster::cluster_ini_keys()) {
    std::string flag = flag_for(key);
    if (auto v = args.get(flag)) overrides.push_back({key, *v, "--" + flag});
  }
  Target t;
  if (auto config = args.get("config")) {
    auto spec = awsdl::cluster::load_cluster_spec(*config, overrides);
    if (!spec) return usage_error(spec.error().message);
    t.spec = std::move(*spec);
    t.complete = true;
  } else if (need_complete) {
    auto spec = awsdl::cluster::cluster_spec_from_overrides(overrides);
    if (!spec) return usage_error(spec.error().message + " (or give --config FILE)");
    t.spec = std::move(*spec);
    t.complete = true;
  } else {
    // Only the name and how to reach the nodes matter here; the stack knows the rest.
    auto name = args.get("name");
    if (!name) return usage_error("name the cluster: --name NAME or --config FILE");
    t.spec.name = *name;
    if (auto v = args.get("user")) t.spec.ssh.user = *v;
    if (auto v = args.get("key-path")) t.spec.ssh.key_path = *v;
    if (auto v = args.get("mount-point")) t.spec.mount_point = *v;
    if (auto v = args.get("mpirun-options")) t.spec.training.mpirun_options = *v;
    if (auto v = args.get("efa")) {
      if (*v == "yes") t.spec.capacity.efa = awsdl::cluster::EfaMode::kYes;
      else if (*v == "no") t.spec.capacity.efa = awsdl::cluster::EfaMode::kNo;
      else if (*v != "auto") return usage_error("--efa must be auto, yes or no, got '" + *v + "'");
    }
    if (auto v = args.get("slots-per-node"); v && *v != "auto") {
      // The range the INI file is held to.
      const auto range = *awsdl::cluster::whole_setting_range("training.slots_per_node");
      auto n = awsdl_cli::whole_flag(args, "slots-per-node", 0, range.lo, range.hi);
      if (!n) return usage_error(n.error().message + " (or auto)");
      t.spec.training.slots_per_node = static_cast<int>(*n);
    }
    for (const auto& p : awsdl::cluster::check(t.spec)) {
      if (p.field == "name" || p.field == "mount_point" || p.field.rfind("ssh.", 0) == 0 ||
          p.field.rfind("training.", 0) == 0)
        return usage_error("--" + flag_for("x." + p.field.substr(p.field.find('.') + 1)) + " " + p.message);
    }
  }
  t.spec.ssh.key_path = expand_home(t.spec.ssh.key_path);
  if (!t.spec.ssh.key_path.empty() && ::access(t.spec.ssh.key_path.c_str(), R_OK) != 0) {
    std::string problem = "cannot read the SSH key " + t.spec.ssh.key_path + " ([ssh] key_path / --key-path): " +
                          std::strerror(errno);
    if (key == KeyCheck::kRequire) return usage_error(problem);
    t.key_problem = std::move(problem);
  }
  t.state_dir = expand_home(args.get_or("state-dir", "~/.awsdl/" + t.spec.name));
  return t;
}

awsdl::Status ensure_state_dir(const Target& target) {
  std::string path;
  std::size_t pos = 0;
  while (pos != std::string::npos) {
    pos = target.state_dir.find('/', pos + 1);
    path = target.state_dir.substr(0, pos);
    if (path.empty()) continue;
    if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST)
      return awsdl::Error::make(awsdl::ErrorKind::kIo, "StateDirUnwritable",
                                "cannot create " + path + ": " + std::strerror(errno));
  }
  return awsdl::Status{};
}

int slots_for(const Target& target, const awsdl::cluster::Node& node) {
  if (target.spec.training.slots_per_node > 0) return target.spec.training.slots_per_node;
  return node.gpus > 0 ? node.gpus : 1;
}

std::string remote_dir(const Target& target) { return target.spec.mount_point + "/.awsdl/" + target.spec.name; }

namespace {

awsdl::Status write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out)
    return awsdl::Error::make(awsdl::ErrorKind::kIo, "WriteFailed", "cannot write " + path + ": " + std::strerror(errno));
  return awsdl::Status{};
}

std::string node_address(const awsdl::cluster::Node& n) { return n.private_ip.empty() ? n.public_ip : n.private_ip; }

}  // namespace

awsdl::Result<std::vector<std::string>> write_local_files(const Target& target, const awsdl::cluster::ClusterInfo& info) {
  AWSDL_TRY(ensure_state_dir(target));
  std::vector<awsdl::mpi::Host> hosts;
  std::vector<awsdl::mpi::NamedNode> named;
  int worker_gpus = -1, index = 0;
  for (const auto& n : info.nodes) {
    if (n.state != "running" && n.state != "pending") continue;
    int slots = slots_for(target, n);
    hosts.push_back({node_address(n), slots});
    if (n.role == awsdl::cluster::NodeRole::kWorker) {
      named.push_back({"deeplearning-worker" + std::to_string(++index), node_address(n), slots});
      // Workers of several types: the fewest GPUs any has, so that a script starting that
      // many processes per worker never oversubscribes one (the hostfile has each node's own).
      worker_gpus = worker_gpus < 0 ? n.gpus : std::min(worker_gpus, n.gpus);
    }
  }
  if (worker_gpus < 0) worker_gpus = 0;
  awsdl::mpi::ClusterEnv env;
  env.workers_path = target.state_dir + "/workers";
  env.workers_count = static_cast<int>(named.size());
  env.worker_gpu_count = worker_gpus;
  env.efs_mount = info.mount_point.empty() ? target.spec.mount_point : info.mount_point;
  env.efa = target.spec.capacity.efa == awsdl::cluster::EfaMode::kYes;
  AWSDL_ASSIGN_OR_RETURN(std::string hostfile, awsdl::mpi::hostfile(hosts, awsdl::mpi::Format::kOpenMpi));
  AWSDL_ASSIGN_OR_RETURN(std::string workers, awsdl::mpi::workers_file(named));
  std::vector<std::pair<std::string, std::string>> files = {
      {target.state_dir + "/hostfile", hostfile},
      {target.state_dir + "/workers", workers},
      {target.state_dir + "/env", awsdl::mpi::env_file(env)},
  };
  std::vector<std::string> written;
  for (const auto& [path, text] : files) {
    AWSDL_TRY(write_file(path, text));
    written.push_back(path);
  }
  return written;
}

awsdl::Result<NodeAccess> node_access(const Target& target, const awsdl::cluster::ClusterInfo& info) {
  const auto* master = info.master();
  if (!master || (master->public_ip.empty() && master->private_ip.empty()))
    return awsdl::Error::make(awsdl::ErrorKind::kNotFound, "NoMaster",
                              "cluster " + info.name + " has no running master (stack " + info.status + ")");
  NodeAccess a;
  const std::string& user = target.spec.ssh.user;
  std::string entry = master->public_ip.empty() ? master->private_ip : master->public_ip;
  for (const auto& n : info.nodes) {
    if (n.state != "running") continue;
    std::string addr = node_address(n);
    if (n.role == awsdl::cluster::NodeRole::kMaster) a.hosts.insert(a.hosts.begin(), user + "@" + addr);
    else a.hosts.push_back(user + "@" + addr);
  }
  if (a.hosts.empty() || a.hosts.front().find(node_address(*master)) == std::string::npos)
    return awsdl::Error::make(awsdl::ErrorKind::kNotFound, "NoMaster", "the master of " + info.name + " is not running");
  a.master = a.hosts.front();
  auto& so = a.options.session;
  so.user = user;
  if (!target.spec.ssh.key_path.empty()) {
    so.identity_files = {target.spec.ssh.key_path};
    so.use_agent = false;
  }
  // Only the master is reachable from outside: every node, the master included (by its
  // private address), is reached through it, as ssh -J does.
  so.jump = user + "@" + entry;
  so.known_hosts = target.state_dir + "/known_hosts";
  so.host_key_policy = awsdl::ssh::HostKeyPolicy::kAcceptNew;
  AWSDL_TRY(ensure_state_dir(target));
  return a;
}

// The examples' one interrupt handler (examples/common/interrupt.hpp).
awsdl::CancellationToken install_interrupt_handler() { return awsdl_cli::install_interrupt_handler(); }

bool interrupted() { return awsdl_cli::interrupt_signal() != 0; }

bool confirm(const std::string& question) {
  if (!::isatty(STDIN_FILENO)) return false;
  std::fprintf(stderr, "%s [y/N] ", question.c_str());
  std::fflush(stderr);
  std::string answer;
  if (!std::getline(std::cin, answer)) return false;
  return answer == "y" || answer == "Y" || answer == "yes";
}

EventPrinter::EventPrinter(std::FILE* out, int total_resources)
    : out_(out), tty_(::isatty(::fileno(out)) != 0), total_(total_resources) {}

void EventPrinter::operator()(const awsdl::cluster::ClusterEvent& e) {
  if (e.status == "CREATE_COMPLETE" && !e.logical_id.empty() && e.resource_type != "AWS::CloudFormation::Stack") ++done_;
  std::string time = e.timestamp.size() >= 19 ? e.timestamp.substr(11, 8) : e.timestamp;
  std::string line = event_text(e);
  if (line.empty()) {
    line = e.status + "  " + e.logical_id + (e.resource_type.empty() ? "" : " (" + e.resource_type + ")");
    if (!e.reason.empty()) line += ": " + e.reason;
  }
  if (tty_ && total_ > 0) {
    int width = 20, filled = std::min(width, done_ * width / total_);
    std::fprintf(out_, "[%s%s] %2d/%-2d %s %s\n", std::string(static_cast<std::size_t>(filled), '#').c_str(),
                 std::string(static_cast<std::size_t>(width - filled), '.').c_str(), done_, total_, time.c_str(),
                 line.c_str());
  } else {
    std::fprintf(out_, "%s %s\n", time.c_str(), line.c_str());
  }
  std::fflush(out_);
}

void print_planned_call(std::FILE* out, const std::string& service, const std::string& operation,
                        const std::vector<std::pair<std::string, std::string>>& params) {
  std::fprintf(out, "%s %s", service.c_str(), operation.c_str());
  for (const auto& [k, v] : params) std::fprintf(out, " %s=%s", k.c_str(), v.c_str());
  std::fprintf(out, "\n");
}

void print_plan(const std::vector<awsdl::cluster::PlannedCall>& calls, const std::string& polling,
                const std::string& finish) {
  auto phase = awsdl::cluster::CallPhase::kStart;
  for (const auto& c : calls) {
    if (c.phase != phase) {
      phase = c.phase;
      std::printf("%s\n", phase == awsdl::cluster::CallPhase::kPoll ? polling.c_str() : finish.c_str());
    }
    print_planned_call(stdout, c.service, c.operation, c.parameters);
  }
}

std::string node_json(const awsdl::cluster::Node& n) {
  using awsdl_cli::json_escape;
  return std::string("{\"role\":\"") + (n.role == awsdl::cluster::NodeRole::kMaster ? "master" : "worker") +
         "\",\"instance_id\":\"" + json_escape(n.instance_id) + "\",\"instance_type\":\"" + json_escape(n.instance_type) +
         "\",\"state\":\"" + json_escape(n.state) + "\",\"private_ip\":\"" + json_escape(n.private_ip) +
         "\",\"public_ip\":\"" + json_escape(n.public_ip) + "\",\"availability_zone\":\"" +
         json_escape(n.availability_zone) + "\",\"gpus\":" + std::to_string(n.gpus) + "}";
}

std::string cluster_json(const awsdl::cluster::ClusterInfo& c, bool with_nodes) {
  using awsdl_cli::json_escape;
  std::string s = "{\"name\":\"" + json_escape(c.name) + "\",\"stack_id\":\"" + json_escape(c.stack_id) +
                  "\",\"status\":\"" + json_escape(c.status) + "\",\"status_reason\":\"" + json_escape(c.status_reason) +
                  "\",\"created\":\"" + json_escape(c.created) + "\",\"master_group\":\"" + json_escape(c.master_group) +
                  "\",\"worker_group\":\"" + json_escape(c.worker_group) +
                  "\",\"desired_workers\":" + std::to_string(c.desired_workers) +
                  ",\"min_workers\":" + std::to_string(c.min_workers) + ",\"efs_id\":\"" + json_escape(c.efs_id) +
                  "\",\"mount_point\":\"" + json_escape(c.mount_point) + "\",\"autostop\":\"" +
                  awsdl::cluster::autostop_parameter(c.autostop) + "\"";
  if (with_nodes) {
    s += ",\"nodes\":[";
    for (std::size_t i = 0; i < c.nodes.size(); ++i) s += (i ? "," : "") + node_json(c.nodes[i]);
    s += "]";
  }
  return s + "}";
}

}  // namespace awsdl_cluster

namespace awsdl_cluster {

awsdl::Result<std::vector<std::string>> split_words(const std::string& text) {
  std::vector<std::string> words;
  std::string cur;
  bool in_word = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) words.push_back(std::move(cur));
      cur.clear();
      in_word = false;
      continue;
    }
    in_word = true;
    if (c == '\\' && i + 1 < text.size()) {
      cur += text[++i];
    } else if (c == '\'' || c == '"') {
      auto close = i + 1;
      for (; close < text.size() && text[close] != c; ++close) {
        if (c == '"' && text[close] == '\\' && close + 1 < text.size()) ++close;
        cur += text[close];
      }
      if (close >= text.size())
        return awsdl::Error::invalid_argument("BadMpirunOptions", std::string("unterminated ") + c + " quote in: " + text);
      i = close;
    } else {
      cur += c;
    }
  }
  if (in_word) words.push_back(std::move(cur));
  return words;
}

namespace {
std::string jobs_path(const Target& t) { return t.state_dir + "/jobs"; }
}  // namespace

awsdl::Status record_job(const Target& target, const awsdl::ssh::RemoteJob& job) {
  AWSDL_TRY(ensure_state_dir(target));
  std::ofstream out(jobs_path(target), std::ios::app);
  out << job.host << '\t' << job.pgid << '\t' << job.id << '\t' << job.log_path << '\n';
  out.close();
  if (!out) return awsdl::Error::make(awsdl::ErrorKind::kIo, "WriteFailed", "cannot write " + jobs_path(target));
  return awsdl::Status{};
}

awsdl::Result<std::vector<awsdl::ssh::RemoteJob>> recorded_jobs(const Target& target) {
  std::vector<awsdl::ssh::RemoteJob> jobs;
  std::ifstream in(jobs_path(target));
  std::string line;
  while (std::getline(in, line)) {
    awsdl::ssh::RemoteJob j;
    std::size_t a = line.find('\t'), b = line.find('\t', a + 1), c = line.find('\t', b + 1);
    if (a == std::string::npos || b == std::string::npos || c == std::string::npos)
      return awsdl::Error::make(awsdl::ErrorKind::kParse, "BadJobsFile", jobs_path(target) + ": malformed line: " + line);
    j.host = line.substr(0, a);
    j.pgid = std::atoi(line.substr(a + 1, b - a - 1).c_str());
    j.id = line.substr(b + 1, c - b - 1);
    j.log_path = line.substr(c + 1);
    if (j.pgid <= 1 || j.id.empty())
      return awsdl::Error::make(awsdl::ErrorKind::kParse, "BadJobsFile", jobs_path(target) + ": malformed line: " + line);
    jobs.push_back(std::move(j));
  }
  return jobs;
}

awsdl::Status forget_jobs(const Target& target, const std::vector<std::string>& ids) {
  AWSDL_ASSIGN_OR_RETURN(auto jobs, recorded_jobs(target));
  std::string keep;
  for (const auto& j : jobs) {
    bool drop = false;
    for (const auto& id : ids) drop = drop || id == j.id;
    if (!drop) keep += j.host + '\t' + std::to_string(j.pgid) + '\t' + j.id + '\t' + j.log_path + '\n';
  }
  return write_file(jobs_path(target), keep);
}

void add_watch_flags(awsdl_cli::Parser& p) {
  p.flag({"interval", "SECONDS", "between two looks at the cluster (default 5)"});
  p.flag({"metric", "NAME=REGEX", "a metric to parse from the job's log, as SageMaker's (the value in ( ))", true});
  p.flag({"no-mount-check", "", "accept a shared directory that is not a mount point (a local test cluster)"});
  p.flag({"nvidia-smi", "COMMAND", "how the nodes run nvidia-smi (default nvidia-smi, from their PATH)"});
}

awsdl::Result<WatchFlags> watch_flags_from(const awsdl_cli::Args& args) {
  WatchFlags w;
  for (const auto& m : args.all("metric")) {
    AWSDL_ASSIGN_OR_RETURN(auto d, awsdl::cluster::parse_metric_definition(m));
    w.metrics.push_back(std::move(d));
  }
  AWSDL_ASSIGN_OR_RETURN(w.interval, awsdl_cli::seconds_flag(args, "interval", std::chrono::seconds(5), 0.1, 3600));
  w.mount_check = !args.has("no-mount-check");
  w.nvidia_smi = args.get_or("nvidia-smi", w.nvidia_smi);
  if (w.nvidia_smi.empty())
    return awsdl::Error::invalid_argument("BadFlag", "--nvidia-smi: a command, not an empty string");
  return w;
}

awsdl::Result<awsdl::cluster::MonitorOptions> monitor_options(const Target& target,
                                                              const awsdl::cluster::ClusterInfo& info,
                                                              const WatchFlags& flags) {
  AWSDL_ASSIGN_OR_RETURN(auto access, node_access(target, info));
  AWSDL_ASSIGN_OR_RETURN(auto jobs, recorded_jobs(target));
  awsdl::cluster::MonitorOptions o;
  o.cluster = target.spec.name;
  o.user = target.spec.ssh.user;
  o.fan = access.options;
  o.health.shared_path = target.spec.mount_point;
  o.health.require_mount_point = flags.mount_check;
  o.health.nvidia_smi = flags.nvidia_smi;
  o.metrics = flags.metrics;
  o.jobs = std::move(jobs);
  o.cancel = install_interrupt_handler();
  return o;
}

namespace {
std::string autostop_path(const Target& t) { return t.state_dir + "/autostop"; }
}  // namespace

awsdl::Status record_autostop(const Target& target, const AutostopRecord& r) {
  AWSDL_TRY(ensure_state_dir(target));
  const auto& j = r.job;
  return write_file(autostop_path(target), j.host + '\t' + std::to_string(j.pgid) + '\t' + j.id + '\t' + j.log_path +
                                               '\t' + r.status_path + '\n');
}

awsdl::Result<std::optional<AutostopRecord>> recorded_autostop(const Target& target) {
  std::ifstream in(autostop_path(target));
  std::string line;
  if (!in || !std::getline(in, line) || line.empty()) return std::optional<AutostopRecord>{};
  std::vector<std::string> f;
  for (std::size_t a = 0;;) {
    auto b = line.find('\t', a);
    f.push_back(line.substr(a, b == std::string::npos ? std::string::npos : b - a));
    if (b == std::string::npos) break;
    a = b + 1;
  }
  AutostopRecord r;
  if (f.size() == 5) {
    r.job.host = f[0];
    r.job.pgid = std::atoi(f[1].c_str());
    r.job.id = f[2];
    r.job.log_path = f[3];
    r.status_path = f[4];
  }
  if (f.size() != 5 || r.job.pgid <= 1 || r.job.id.empty() || r.status_path.empty())
    return awsdl::Error::make(awsdl::ErrorKind::kParse, "BadAutostopFile", autostop_path(target) + ": malformed line: " + line);
  return std::optional<AutostopRecord>(std::move(r));
}

awsdl::Status forget_autostop(const Target& target) {
  if (std::remove(autostop_path(target).c_str()) != 0 && errno != ENOENT)
    return awsdl::Error::make(awsdl::ErrorKind::kIo, "WriteFailed", "cannot remove " + autostop_path(target) + ": " +
                                                                       std::strerror(errno));
  return awsdl::Status{};
}

}  // namespace awsdl_cluster
