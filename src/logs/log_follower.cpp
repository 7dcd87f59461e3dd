// Following growing streams: a GetLogEvents forward token is a position in the stream, so
// reading from the last token returned never repeats an event and never skips one, even
// when many share a timestamp (which a time-window approach would get wrong). The end of a
// stream is where the service hands back the token it was given.
#include <algorithm>

#include "awsdl/logs/logs.hpp"

namespace awsdl::logs {

LogFollower::LogFollower(LogsClient client, FollowOptions options)
    : client_(std::move(client)), options_(std::move(options)) {}

std::vector<std::string> LogFollower::streams() const {
  std::vector<std::string> out;
  for (const auto& [name, state] : streams_) out.push_back(name);
  return out;
}

Result<std::vector<LogEvent>> LogFollower::poll(const CallOptions& options) {
  DescribeLogStreamsRequest d;
  d.log_group = options_.log_group;
  d.stream_prefix = options_.stream_prefix;
  auto found = client_.describe_log_streams(d, options);
  if (!found) {
    if (found.error().code == "ResourceNotFoundException") return std::vector<LogEvent>{};
    return std::move(found).error();
  }
  for (const auto& s : *found) streams_.try_emplace(s.name);

  std::vector<LogEvent> out;
  for (auto& [name, state] : streams_) {
    for (int page = 0; page < std::max(1, options_.max_pages_per_poll); ++page) {
      GetLogEventsRequest g;
      g.log_group = options_.log_group;
      g.stream = name;
      g.next_token = state.token;
      g.limit = options_.page_size;
      g.start_from_head = true;
      AWSDL_ASSIGN_OR_RETURN(auto p, client_.get_log_events(g, options));
      for (auto& e : p.events) {
        e.stream = name;
        out.push_back(std::move(e));
      }
      const bool at_end = p.next_forward_token.empty() || p.next_forward_token == state.token;
      if (!p.next_forward_token.empty()) state.token = p.next_forward_token;
      if (at_end || p.events.empty()) break;
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const LogEvent& a, const LogEvent& b) {
    if (a.timestamp != b.timestamp) return a.timestamp < b.timestamp;
    return a.stream < b.stream;
  });
  return out;
}

}  // namespace awsdl::logs
