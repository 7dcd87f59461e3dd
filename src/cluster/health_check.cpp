// The health probe: one shell script per node through the fan-out, key=value lines back.
#include <charconv>

#include "awsdl/cluster/health.hpp"
#include "awsdl/ssh/quote.hpp"
#include "cluster/probe_lines.hpp"

namespace awsdl::cluster {

using ssh::shell_quote;

std::string health_probe_script(const HealthOptions& o) {
  std::string s = "echo awsdl_probe=1\n";
  if (!o.shared_path.empty()) {
    s += "P=" + shell_quote(o.shared_path) + "\n";
    s += "if [ -d \"$P\" ]; then echo shared_exists=1; else echo shared_exists=0; fi\n"
         "if mountpoint -q \"$P\" 2>/dev/null; then echo shared_mounted=1; else echo shared_mounted=0; fi\n"
         "echo \"shared_type=$(stat -f -c %T \"$P\" 2>/dev/null)\"\n"
         // Write, read back and remove a probe file: mounted read-only or full shows here.
         "f=\"$P/.awsdl-health-$(hostname 2>/dev/null)-$$\"\n"
         "if (echo awsdl-probe > \"$f\") 2>/dev/null && [ \"$(cat \"$f\" 2>/dev/null)\" = awsdl-probe ] && rm -f \"$f\"; "
         "then echo shared_writable=1; else rm -f \"$f\" 2>/dev/null; echo shared_writable=0; fi\n";
  }
  const std::string smi = shell_quote(o.nvidia_smi);
  s += "if command -v " + smi + " >/dev/null 2>&1; then echo \"gpus=$(" + smi +
       " -L 2>/dev/null | grep -c '^GPU ')\"; else echo gpus=0; fi\n";
  s += "echo \"free_kb=$(df -Pk " + shell_quote(o.disk_path) + " 2>/dev/null | awk 'NR==2 {print $4}')\"\n";
  if (!o.stray_pattern.empty()) {
    // The pattern travels in the environment so that neither ps nor awk shows it in its own
    // command line; the probe's shell and its children are left out.
    s += "ps -eo pid=,ppid=,pgid=,args= 2>/dev/null | AWSDL_SELF=$$ AWSDL_PAT=" + shell_quote(o.stray_pattern) +
         " awk '$1 != ENVIRON[\"AWSDL_SELF\"] && $2 != ENVIRON[\"AWSDL_SELF\"] "
         "{ c = $0; sub(/^ *[0-9]+ +[0-9]+ +[0-9]+ +/, \"\", c); if (c ~ ENVIRON[\"AWSDL_PAT\"]) print \"stray=\" $1 \" \" $3 \" \" c }'\n";
  }
  return s;
}

namespace {

template <typename T>
bool parse_num(std::string_view s, T& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

std::string human_bytes(std::uint64_t b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double v = static_cast<double>(b);
  int u = 0;
  while (v >= 1024 && u < 5) v /= 1024, ++u;
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
  return buf;
}

}  // namespace

NodeHealth parse_health_probe(const std::string& host, const std::string& output, const HealthOptions& o) {
  NodeHealth n;
  n.host = host;
  n.reachable = true;
  bool probe = false, exists = false, have_free = false;
  internal::probe::for_each_field(output, [&](std::string_view key, std::string_view val) {
    if (key == "awsdl_probe") probe = true;
    else if (key == "shared_exists") exists = val == "1";
    else if (key == "shared_mounted") n.shared_mounted = val == "1";
    else if (key == "shared_writable") n.shared_writable = val == "1";
    else if (key == "shared_type") n.shared_fs_type = std::string(val);
    else if (key == "gpus") parse_num(val, n.gpus);
    else if (key == "free_kb") {
      std::uint64_t kb = 0;
      if (parse_num(val, kb)) n.free_bytes = kb * 1024, have_free = true;
    } else if (key == "stray") {
      StrayProcess p;
      auto s1 = val.find(' ');
      auto s2 = s1 == std::string_view::npos ? s1 : val.find(' ', s1 + 1);
      if (s2 == std::string_view::npos) return;
      if (!parse_num(val.substr(0, s1), p.pid) || !parse_num(val.substr(s1 + 1, s2 - s1 - 1), p.pgid)) return;
      p.command = std::string(val.substr(s2 + 1));
      n.strays.push_back(std::move(p));
    }
  });
  if (!probe) {
    n.problems.push_back("the health probe did not run");
    return n;
  }
  if (!o.shared_path.empty()) {
    n.shared_checked = true;
    if (!exists) n.problems.push_back(o.shared_path + " does not exist");
    else if (o.require_mount_point && !n.shared_mounted) n.problems.push_back(o.shared_path + " is not mounted");
    if (exists && !n.shared_writable) n.problems.push_back(o.shared_path + " is not writable");
  }
  if (o.expected_gpus >= 0 && n.gpus != o.expected_gpus)
    n.problems.push_back(std::to_string(n.gpus) + " GPUs, expected " + std::to_string(o.expected_gpus));
  if (!have_free) n.problems.push_back("free space on " + o.disk_path + " unknown");
  else if (n.free_bytes < o.min_free_bytes)
    n.problems.push_back("only " + human_bytes(n.free_bytes) + " free on " + o.disk_path + " (want " +
                         human_bytes(o.min_free_bytes) + ")");
  if (!n.strays.empty()) {
    std::string list;
    for (std::size_t k = 0; k < n.strays.size() && k < 3; ++k)
      list += (k ? "; " : "") + std::to_string(n.strays[k].pid) + " " + n.strays[k].command.substr(0, 60);
    n.problems.push_back(std::to_string(n.strays.size()) + " stray process" + (n.strays.size() > 1 ? "es" : "") +
                         " (" + list + (n.strays.size() > 3 ? "; ..." : "") + ")");
  }
  return n;
}

HealthReport check_health(ssh::FanOut& fan, const HealthOptions& options) {
  ssh::RunOptions ro;
  ro.timeout = options.timeout;
  auto run = fan.run(health_probe_script(options), ro);
  HealthReport report;
  for (auto& h : run.hosts) {
    if (h.error && h.error->kind != ErrorKind::kTimeout && h.error->code != "CommandTimeout" &&
        h.error->code != "ChannelFailed") {
      NodeHealth n;
      n.host = h.host;
      n.error = h.error;
      n.problems.push_back("unreachable: " + h.error->to_string());
      report.nodes.push_back(std::move(n));
      continue;
    }
    if (h.error) {
      NodeHealth n;
      n.host = h.host;
      n.reachable = true;
      n.error = h.error;
      n.problems.push_back("probe failed: " + h.error->to_string());
      report.nodes.push_back(std::move(n));
      continue;
    }
    NodeHealth n = parse_health_probe(h.host, h.out, options);
    if (h.exit_status != 0 && n.problems.empty())
      n.problems.push_back("probe exited with status " + std::to_string(h.exit_status) + ": " + h.err.substr(0, 200));
    report.nodes.push_back(std::move(n));
  }
  return report;
}

}  // namespace awsdl::cluster
