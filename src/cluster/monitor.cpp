// Monitor: Clusters::describe and the stack's newest events, then one probe per node over kept
// SSH sessions (the master's also counts the jobs' processes and reads what the first job's log
// gained since the last snapshot), parsed into a Snapshot; the log feeds the metric tracker.
#include "awsdl/cluster/monitor.hpp"

#include <algorithm>
#include <charconv>
#include <deque>
#include <mutex>
#include <set>

#include "awsdl/cloudformation/cloudformation.hpp"
#include "awsdl/ssh/quote.hpp"
#include "cluster/lifecycle_internal.hpp"
#include "cluster/probe_lines.hpp"

namespace awsdl::cluster {

using ssh::shell_quote;

namespace {

constexpr std::string_view kJobMarker = "job=";
constexpr std::string_view kLogMarker = "@@awsdl-log ";
constexpr std::size_t kMaxTailLine = 64 * 1024;  // bytes kept of one line of the log's tail

template <typename T>
bool parse_num(std::string_view s, T& out) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r')) s.remove_suffix(1);
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

// "0, 35, 1024, 16384" (index, utilization.gpu, memory.used, memory.total; csv,noheader,nounits)
std::optional<GpuSample> parse_gpu(std::string_view v) {
  std::vector<std::string_view> f;
  while (true) {
    auto c = v.find(',');
    f.push_back(v.substr(0, c));
    if (c == std::string_view::npos) break;
    v.remove_prefix(c + 1);
  }
  GpuSample g;
  if (f.size() != 4 || !parse_num(f[0], g.index) || !parse_num(f[1], g.utilization_percent) ||
      !parse_num(f[2], g.memory_used_mib) || !parse_num(f[3], g.memory_total_mib))
    return std::nullopt;
  return g;
}

std::string job_probe(const std::vector<ssh::RemoteJob>& jobs) {
  if (jobs.empty()) return {};
  std::string s =
      "awsdl_count() { grep -l -a -x -z -F \"AWSDL_JOB_ID=$1\" /proc/[0-9]*/environ 2>/dev/null | grep -vc \"^/proc/$$/\"; }\n";
  for (const auto& j : jobs) s += "echo \"job=" + j.id + " $(awsdl_count " + shell_quote(j.id) + ")\"\n";
  return s;
}

// The log's bytes after `offset`, at most `max` (the newest when more), after a marker line
// "@@awsdl-log size=N start=S" (size -1: no such file).
std::string log_probe(const std::string& path, std::uint64_t offset, std::size_t max) {
  const std::string o = std::to_string(offset), m = std::to_string(max);
  return "f=" + shell_quote(path) +
         "\nsize=$(stat -c %s \"$f\" 2>/dev/null || echo -1)\n"
         "start=" + o + "\n"
         "[ \"$size\" -lt \"$start\" ] && start=0\n"
         "[ $((size - start)) -gt " + m + " ] && start=$((size - " + m + "))\n"
         "echo \"@@awsdl-log size=$size start=$start\"\n"
         "[ \"$size\" -gt \"$start\" ] && tail -c +$((start + 1)) \"$f\" 2>/dev/null | head -c $((size - start))\n"
         "exit 0\n";
}

std::string host_of(const std::string& user, const Node& n) {
  const std::string& addr = n.private_ip.empty() ? n.public_ip : n.private_ip;
  if (addr.empty()) return {};
  return user.empty() ? addr : user + "@" + addr;
}

bool gone(const Node& n) { return n.state == "terminated" || n.state == "shutting-down"; }

}  // namespace

}  // namespace awsdl::cluster

namespace awsdl::internal::probe {
std::string gpu_query(std::string_view nvidia_smi) {
  const std::string smi = ssh::shell_quote(std::string(nvidia_smi));
  return "if command -v " + smi + " >/dev/null 2>&1; then " + smi +
         " --query-gpu=index,utilization.gpu,memory.used,memory.total --format=csv,noheader,nounits 2>/dev/null"
         " | sed 's/^/gpu=/'; fi\n";
}
}  // namespace awsdl::internal::probe

namespace awsdl::cluster {

std::string monitor_probe_script(const HealthOptions& health) {
  HealthOptions h = health;
  h.stray_pattern.clear();  // the job's own processes are expected here
  std::string s = health_probe_script(h);
  s += internal::probe::gpu_query(health.nvidia_smi);
  s += "echo \"load=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null)\"\n";
  s += "echo \"cpus=$(nproc 2>/dev/null)\"\n";
  if (!health.shared_path.empty())
    s += "echo \"shared_free_kb=$(df -Pk " + shell_quote(health.shared_path) +
         " 2>/dev/null | awk 'NR==2 {print $4}')\"\n";
  return s;
}

void parse_monitor_probe(const std::string& output, NodeSample& into, const HealthOptions& health) {
  HealthOptions h = health;
  h.stray_pattern.clear();
  into.reachable = true;
  // Only the probe's own lines: the job log's bytes after the marker could hold anything.
  std::string fields = output;
  if (output.rfind(kLogMarker, 0) == 0) fields.clear();
  else if (auto m = output.find("\n" + std::string(kLogMarker)); m != std::string::npos) fields.resize(m + 1);
  into.health = parse_health_probe(into.host, fields, h);
  into.gpus.clear();
  into.spot_notice.clear();
  into.rebalance.clear();
  // The log's bytes follow the marker line: they are not fields.
  internal::probe::for_each_field(output, [&](std::string_view key, std::string_view val) {
    if (key == "gpu") {
      if (auto g = parse_gpu(val)) into.gpus.push_back(*g);
    } else if (key == "load") {
      std::string v(val);
      char* end = nullptr;
      double d = std::strtod(v.c_str(), &end);
      if (!v.empty() && end == v.c_str() + v.size()) into.load1 = d;
    } else if (key == "notice.spot") {
      into.spot_notice = std::string(val);
    } else if (key == "notice.rebalance") {
      into.rebalance = std::string(val);
    } else if (key == "cpus") {
      parse_num(val, into.cpus);
    } else if (key == "shared_free_kb") {
      std::uint64_t kb = 0;
      if (parse_num(val, kb)) into.shared_free_bytes = kb * 1024;
    }
  }, kLogMarker);
}

struct Monitor::Impl {
  MonitorOptions o;
  Clusters clusters;
  cloudformation::CloudFormationClient cfn;
  MetricTracker tracker;
  std::unique_ptr<ssh::FanOut> fan;
  std::vector<std::string> fan_hosts;
  std::map<std::string, Node> known;   // instance id -> last seen
  std::uint64_t log_offset = 0;
  std::deque<std::string> tail;
  std::string tail_pending;            // the log's unfinished last line
  std::uint64_t tail_lines = 0;        // complete lines put in the tail so far

  Impl(const Config& config, MonitorOptions options, MetricTracker t)
      : o(std::move(options)), clusters(config), cfn(config), tracker(std::move(t)) {}

  void feed_log(std::string_view bytes, WallTime at) {
    tracker.feed(bytes, at);
    while (!bytes.empty()) {
      auto nl = bytes.find('\n');
      // A line of the tail keeps its first kMaxTailLine bytes, however many snapshots it spans.
      const std::size_t room = kMaxTailLine - std::min(kMaxTailLine, tail_pending.size());
      if (nl == std::string_view::npos) {
        tail_pending.append(bytes.substr(0, std::min(bytes.size(), room)));
        return;
      }
      tail_pending.append(bytes.substr(0, std::min(nl, room)));
      tail.push_back(std::move(tail_pending));
      tail_pending.clear();
      ++tail_lines;
      while (tail.size() > o.log_tail_lines) tail.pop_front();
      bytes.remove_prefix(nl + 1);
    }
  }

  // The bytes after the marker line, and where they start in the file.
  void take_log(const std::string& out, WallTime at) {
    auto m = out.find(std::string("\n") + std::string(kLogMarker));
    std::size_t begin = m == std::string::npos ? (out.rfind(kLogMarker, 0) == 0 ? 0 : std::string::npos) : m + 1;
    if (begin == std::string::npos) return;
    auto eol = out.find('\n', begin);
    std::string_view header(out.data() + begin, (eol == std::string::npos ? out.size() : eol) - begin);
    long long size = -1, start = 0;
    for (std::string_view field : {std::string_view("size="), std::string_view("start=")}) {
      auto at_field = header.find(field);
      if (at_field == std::string_view::npos) continue;
      auto v = header.substr(at_field + field.size());
      v = v.substr(0, v.find(' '));
      parse_num(v, field == "size=" ? size : start);
    }
    if (size < 0) return;  // no log (yet)
    std::string_view bytes = eol == std::string::npos ? std::string_view() : std::string_view(out).substr(eol + 1);
    if (static_cast<std::uint64_t>(start) != log_offset) {
      // Truncated, or more than max_log_bytes behind: what was pending is not continued.
      tracker.feed("\n", at);
      tail_pending.clear();
      if (start > 0 && !bytes.empty()) {
        // Skip to the first whole line.
        auto nl = bytes.find('\n');
        bytes = nl == std::string_view::npos ? std::string_view() : bytes.substr(nl + 1);
      }
    }
    feed_log(bytes, at);
    log_offset = static_cast<std::uint64_t>(start) + (eol == std::string::npos ? 0 : out.size() - eol - 1);
  }

  Result<Snapshot> snapshot() {
    const Config& config = clusters_config();
    auto& clock = *config.runtime.clock;
    const auto started = clock.steady_now();
    Snapshot s;
    s.at = clock.wall_now();

    auto info = clusters.describe(o.cluster);
    if (!info) {
      if (info.error().code != "ClusterNotFound") return std::move(info).error();
      s.cluster_exists = false;
      for (const auto& [id, n] : known) s.nodes.push_back(lost(n));
      s.took = std::chrono::duration_cast<Millis>(clock.steady_now() - started);
      return s;
    }
    s.stack_status = info->status;
    if (o.events > 0 && !info->stack_id.empty()) {
      CallOptions call;
      call.cancel = o.cancel;
      if (auto ev = cfn.describe_stack_events(info->stack_id, o.events, call); ev.ok()) {
        for (auto it = ev->rbegin(); it != ev->rend(); ++it) s.events.push_back(internal::lifecycle::to_cluster_event(*it));
      }
    }

    // The live nodes, master first; the hosts they are reached at.
    std::vector<NodeSample> live;
    std::set<std::string> present;
    for (const auto& n : info->nodes) {
      if (gone(n)) continue;
      NodeSample ns;
      ns.node = n;
      ns.host = n.state == "running" ? host_of(o.user, n) : "";
      present.insert(n.instance_id);
      known[n.instance_id] = n;
      live.push_back(std::move(ns));
    }
    std::vector<std::string> hosts;
    for (const auto& ns : live)
      if (!ns.host.empty()) hosts.push_back(ns.host);
    if (!fan || hosts != fan_hosts) {
      fan = std::make_unique<ssh::FanOut>(hosts, o.fan);
      fan_hosts = hosts;
    }

    const std::string probe = monitor_probe_script(o.health);
    const std::string master_host = info->master() ? host_of(o.user, *info->master()) : "";
    std::vector<std::string> outputs(hosts.size());
    std::vector<std::optional<Error>> errors(hosts.size());
    std::vector<Status> st;
    if (!hosts.empty()) {
      st = fan->for_each([&](ssh::Session& session, std::size_t i) -> Status {
        std::string command = probe;
        if (!o.notices_path.empty()) {
          // "{address}" in the path: the node's own file (nodes may share a /tmp, as in tests).
          std::string path = o.notices_path;
          const std::string addr = hosts[i].substr(hosts[i].find('@') + 1);
          for (auto at = path.find("{address}"); at != std::string::npos; at = path.find("{address}", at + addr.size()))
            path.replace(at, 9, addr);
          command += "if [ -r " + shell_quote(path) + " ]; then sed -n 's/^\\(spot\\|rebalance\\)=/notice.\\1=/p' " +
                     shell_quote(path) + "; fi\n";
        }
        if (hosts[i] == master_host) {
          command += job_probe(o.jobs);
          if (!o.jobs.empty()) command += log_probe(o.jobs.front().log_path, log_offset, o.max_log_bytes);
        }
        ssh::ExecOptions eo;
        eo.timeout = o.health.timeout;
        eo.cancel = o.cancel;
        eo.max_capture = o.max_log_bytes + (1u << 20);
        auto r = session.exec("/bin/sh -c " + shell_quote(command), eo);
        if (!r) return std::move(r).error();
        outputs[i] = std::move(r->out);
        if (r->exit_status != 0 && outputs[i].empty())
          return Error::make(ErrorKind::kService, "ProbeFailed",
                             "the probe exited with status " + std::to_string(r->exit_status) + ": " + r->err.substr(0, 200));
        return {};
      });
      s.ssh_commands = static_cast<int>(hosts.size());
    }
    for (std::size_t i = 0; i < st.size(); ++i)
      if (!st[i]) errors[i] = st[i].error();

    std::string master_out;
    for (auto& ns : live) {
      auto at = std::find(hosts.begin(), hosts.end(), ns.host);
      if (at == hosts.end()) continue;
      std::size_t i = static_cast<std::size_t>(at - hosts.begin());
      if (errors[i]) {
        ns.error = errors[i];
        continue;
      }
      parse_monitor_probe(outputs[i], ns, o.health);
      if (ns.host == master_host) master_out = std::move(outputs[i]);
    }
    s.nodes = std::move(live);
    for (auto it = known.begin(); it != known.end(); ++it)
      if (!present.count(it->first)) s.nodes.push_back(lost(it->second));

    // The jobs: counted on the master (where run starts them).
    for (const auto& j : o.jobs) {
      JobSample js;
      js.job = j;
      if (master_host.empty() || master_out.empty()) {
        js.error = Error::make(ErrorKind::kNotFound, "MasterUnreachable",
                               "the master did not answer: the state of job " + j.id + " is unknown");
      } else {
        std::string key = std::string(kJobMarker) + j.id + " ";
        auto at = master_out.find(key);
        if (at == std::string::npos || (at != 0 && master_out[at - 1] != '\n')) {
          js.error = Error::make(ErrorKind::kParse, "JobStateUnknown", "no state for job " + j.id + " in the probe's answer");
        } else {
          auto eol = master_out.find('\n', at);
          std::string_view v(master_out.data() + at + key.size(),
                             (eol == std::string::npos ? master_out.size() : eol) - at - key.size());
          if (parse_num(v, js.processes)) js.running = js.processes > 0;
          else js.error = Error::make(ErrorKind::kParse, "JobStateUnknown", "unreadable state for job " + j.id);
        }
      }
      s.jobs.push_back(std::move(js));
    }
    if (!o.jobs.empty() && !master_out.empty()) take_log(master_out, s.at);
    s.log_tail.assign(tail.begin(), tail.end());
    s.log_lines = tail_lines;
    s.metrics = tracker.series();
    s.took = std::chrono::duration_cast<Millis>(clock.steady_now() - started);
    return s;
  }

  NodeSample lost(const Node& n) const {
    NodeSample ns;
    ns.node = n;
    ns.lost = true;
    return ns;
  }

  const Config& clusters_config() const { return config_; }
  Config config_;
};

Monitor::Monitor(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Monitor::Monitor(Monitor&&) noexcept = default;
Monitor& Monitor::operator=(Monitor&&) noexcept = default;
Monitor::~Monitor() = default;

Result<Monitor> Monitor::make(const Config& config, MonitorOptions options) {
  if (options.cluster.empty()) return Error::invalid_argument("InvalidClusterName", "the monitor needs a cluster name");
  AWSDL_ASSIGN_OR_RETURN(auto tracker, MetricTracker::make(options.metrics, options.max_points));
  if (options.max_log_bytes == 0) options.max_log_bytes = 1;
  auto impl = std::make_unique<Impl>(config, std::move(options), std::move(tracker));
  impl->config_ = config;
  return Monitor(std::move(impl));
}

Result<Snapshot> Monitor::snapshot() { return impl_->snapshot(); }

}  // namespace awsdl::cluster
