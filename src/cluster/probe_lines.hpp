#pragma once
// The answer of a node probe (health_check.cpp, monitor.cpp): "key=value" lines, read in order,
// up to a line that starts with `stop` (when given: what follows is not key=value lines).
#include <string>
#include <string_view>

namespace awsdl::internal::probe {

/// Shell lines printing one "gpu=INDEX, UTIL, USED_MIB, TOTAL_MIB" line per GPU that
/// `nvidia_smi` lists (nothing without nvidia-smi): the Monitor's probe and the autostop
/// watcher ask the GPUs the same way (monitor.cpp).
std::string gpu_query(std::string_view nvidia_smi);

template <typename F>
void for_each_field(std::string_view out, F&& field, std::string_view stop = {}) {
  std::size_t i = 0;
  while (i < out.size()) {
    std::size_t eol = out.find('\n', i);
    if (eol == std::string_view::npos) eol = out.size();
    std::string_view line = out.substr(i, eol - i);
    i = eol + 1;
    if (!stop.empty() && line.substr(0, stop.size()) == stop) return;
    auto eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    field(line.substr(0, eq), line.substr(eq + 1));
  }
}

}  // namespace awsdl::internal::probe
