// Stack events as the lifecycle reports them: each once, oldest first, the stack's own status
// read from them, and the failed resources' reasons.
#include <algorithm>

#include "cluster/lifecycle_internal.hpp"
#include "util/http_date.hpp"

namespace awsdl::internal::lifecycle {

namespace {
constexpr const char* kStackType = "AWS::CloudFormation::Stack";

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
}  // namespace

void EventFeed::prime(const std::vector<StackEvent>& newest_first) {
  for (const auto& e : newest_first) seen_.insert(e.event_id);
}

std::vector<StackEvent> EventFeed::take(const std::vector<StackEvent>& newest_first, std::size_t page_limit,
                                        bool& complete) {
  std::vector<StackEvent> fresh;
  bool met_known = false;
  for (const auto& e : newest_first) {
    if (seen_.count(e.event_id)) {
      met_known = true;
      break;
    }
    fresh.push_back(e);
  }
  // Nothing known met in a full page: older new events (or, on a first look, older history)
  // may lie beyond it.
  complete = page_limit == 0 || met_known || newest_first.size() < page_limit;
  if (!complete) return {};
  std::reverse(fresh.begin(), fresh.end());
  for (const auto& e : fresh) {
    seen_.insert(e.event_id);
    history_.push_back(e);
  }
  return fresh;
}

std::string stack_status_from(const std::vector<StackEvent>& oldest_first, const std::string& stack_id,
                              const std::string& stack_name) {
  for (auto it = oldest_first.rbegin(); it != oldest_first.rend(); ++it) {
    if (it->resource_type != kStackType) continue;
    if ((!stack_id.empty() && it->physical_id == stack_id) || it->logical_id == stack_name) return it->status;
  }
  return {};
}

std::string failure_reasons(const std::vector<StackEvent>& oldest_first) {
  std::string out;
  int n = 0;
  for (const auto& e : oldest_first) {
    if (!ends_with(e.status, "_FAILED") || e.status_reason.empty() || e.resource_type == kStackType) continue;
    // CloudFormation cancels the siblings of a failed resource; they are noise next to the cause.
    if (e.status_reason == "Resource creation cancelled" || e.status_reason == "Resource update cancelled") continue;
    if (++n > 10) break;
    out += (out.empty() ? "" : "; ") + e.logical_id + " (" + e.resource_type + ") " + e.status + ": " + e.status_reason;
  }
  if (out.empty()) {
    // Only the stack itself said why (a template the service refused, a timeout).
    for (auto it = oldest_first.rbegin(); it != oldest_first.rend(); ++it)
      if (it->resource_type == kStackType && !it->status_reason.empty() && it->status_reason != "User Initiated")
        return it->status + ": " + it->status_reason;
  }
  return out;
}

cluster::ClusterEvent to_cluster_event(const StackEvent& e) {
  cluster::ClusterEvent c;
  c.timestamp = e.timestamp;
  c.logical_id = e.logical_id;
  c.resource_type = e.resource_type;
  c.status = e.status;
  c.reason = e.status_reason;
  c.message = e.logical_id + " " + e.status + (e.status_reason.empty() ? "" : ": " + e.status_reason);
  return c;
}

cluster::ClusterEvent summary_event(const Config& config, std::string message) {
  cluster::ClusterEvent c;
  c.timestamp = format_iso8601(config.runtime.clock->wall_now());
  c.message = std::move(message);
  return c;
}

Error suggest(Error e, std::initializer_list<const char*> actions, const std::string& cluster) {
  for (const char* action : actions) e.with_next_step(action, cluster);
  return e;
}

}  // namespace awsdl::internal::lifecycle
