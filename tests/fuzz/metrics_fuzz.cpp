// The monitor's metric parsing (cluster::parse_metric_definition, cluster::MetricTracker): a
// training job's log is whatever the job prints, fed in pieces as it grows, and a definition
// is whatever a user types after --metric. The input's first line is a definition tried as
// given; the rest is a log fed in pieces of the sizes its bytes pick, to the tracker of two
// fixed definitions (SageMaker's form) and, when it parsed, of the given one too.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "awsdl/cluster/monitor.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto nl = input.find('\n');
  const std::string_view first = input.substr(0, nl == std::string_view::npos ? input.size() : nl);
  std::string_view log = nl == std::string_view::npos ? std::string_view() : input.substr(nl + 1);

  std::vector<awsdl::cluster::MetricDefinition> defs = {{"loss", R"(loss[=:] *(\d+\.?\d*([eE][-+]?\d+)?))"},
                                                        {"lr", "lr=([-+0-9.eE]+)"}};
  if (auto d = awsdl::cluster::parse_metric_definition(first); d && d->name != "loss" && d->name != "lr")
    defs.push_back(*d);
  auto tracker = awsdl::cluster::MetricTracker::make(defs, 16, 4096);
  if (!tracker) __builtin_trap();  // the fixed ones always parse; a parsed one is accepted again
  const awsdl::WallTime at{};
  std::size_t i = 0;
  while (!log.empty()) {
    const std::size_t piece = 1 + static_cast<unsigned char>(log[0]) % 97 + (i++ % 3) * 512;
    tracker->feed(log.substr(0, piece), at);
    log.remove_prefix(std::min(piece, log.size()));
  }
  for (const auto& [name, points] : tracker->series())
    if (points.size() > 16) __builtin_trap();  // bounded
  return 0;
}
