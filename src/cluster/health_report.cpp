// The health report for people: aligned columns, then the problems of each node.
#include <algorithm>
#include <cstdio>

#include "awsdl/cluster/health.hpp"

namespace awsdl::cluster {

bool HealthReport::healthy() const { return unhealthy() == 0; }

std::size_t HealthReport::unhealthy() const {
  return static_cast<std::size_t>(std::count_if(nodes.begin(), nodes.end(), [](const NodeHealth& n) { return !n.healthy(); }));
}

namespace {
std::string gib(std::uint64_t b) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1fG", static_cast<double>(b) / (1024.0 * 1024 * 1024));
  return buf;
}
}  // namespace

std::string HealthReport::table() const {
  std::vector<std::vector<std::string>> rows{{"HOST", "SSH", "SHARED", "GPUS", "FREE", "STRAYS", "STATUS"}};
  for (const auto& n : nodes) {
    std::string shared = !n.reachable || !n.shared_checked ? "-"
                         : n.shared_writable && n.shared_mounted ? "ok"
                         : n.shared_writable ? "not-mounted"
                         : "not-writable";
    rows.push_back({n.host, n.reachable ? "ok" : "FAIL", shared, n.reachable ? std::to_string(n.gpus) : "-",
                    n.reachable && n.free_bytes ? gib(n.free_bytes) : "-",
                    n.reachable ? std::to_string(n.strays.size()) : "-", n.healthy() ? "healthy" : "UNHEALTHY"});
  }
  std::vector<std::size_t> width(rows[0].size(), 0);
  for (const auto& r : rows)
    for (std::size_t c = 0; c < r.size(); ++c) width[c] = std::max(width[c], r[c].size());
  std::string out;
  for (const auto& r : rows) {
    std::string line;
    for (std::size_t c = 0; c < r.size(); ++c) {
      line += r[c];
      if (c + 1 < r.size()) line += std::string(width[c] - r[c].size() + 2, ' ');
    }
    out += line + "\n";
  }
  bool any = false;
  for (const auto& n : nodes)
    for (const auto& p : n.problems) {
      if (!any) out += "\nProblems:\n";
      any = true;
      out += "  " + n.host + ": " + p + "\n";
    }
  return out;
}

}  // namespace awsdl::cluster
