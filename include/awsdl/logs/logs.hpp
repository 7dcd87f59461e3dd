#pragma once
// Amazon CloudWatch Logs: reading what a training job writes (one stream per host in
// /aws/sagemaker/TrainingJobs), and following streams as they grow without duplicates or
// gaps. Names follow botocore's logs model; times are milliseconds since the epoch, as the
// service counts them.
//
//   awsdl::logs::LogsClient logs(cfg);
//   awsdl::logs::LogFollower follow(logs, {.log_group = "/aws/sagemaker/TrainingJobs",
//                                          .stream_prefix = "maskrcnn-1/"});
//   while (...) for (auto& e : follow.poll().value()) print(e);

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "awsdl/config.hpp"
#include "awsdl/core/options.hpp"
#include "awsdl/core/result.hpp"

namespace awsdl {
/// What a service client stands on (signing, retries, endpoints): opaque here.
class ServiceClient;
}  // namespace awsdl

namespace awsdl::logs {

struct AWSDL_EXPORT LogStream {
  std::string name;
  std::string arn;
  std::int64_t creation_time = 0;
  std::optional<std::int64_t> first_event_timestamp;
  std::optional<std::int64_t> last_event_timestamp;
  std::optional<std::int64_t> last_ingestion_time;
  std::int64_t stored_bytes = 0;
};

struct AWSDL_EXPORT LogEvent {
  std::string stream;  // FilterLogEvents and the follower; empty from GetLogEvents
  std::int64_t timestamp = 0;
  std::int64_t ingestion_time = 0;
  std::string message;
  std::string event_id;  // FilterLogEvents only
};

struct AWSDL_EXPORT DescribeLogStreamsRequest {
  std::string log_group;
  std::string stream_prefix;
  bool order_by_last_event_time = false;  // the service refuses it together with a prefix
  bool descending = false;
  int page_size = 0;          // 1-50; 0: the service's default
  std::size_t max_items = 0;  // 0: every page
};

struct AWSDL_EXPORT GetLogEventsRequest {
  std::string log_group;
  std::string stream;
  std::optional<std::int64_t> start_time;  // inclusive
  std::optional<std::int64_t> end_time;    // exclusive
  std::string next_token;                  // a previous page's next_forward_token / next_backward_token
  int limit = 0;                           // 1-10000; 0: as many as fit in 1 MB
  /// Without a token: true reads from the oldest event, false (the service's default)
  /// returns the newest page.
  bool start_from_head = true;
};

struct AWSDL_EXPORT LogEventsPage {
  std::vector<LogEvent> events;
  std::string next_forward_token;  // unchanged from the request's token at the end of the stream
  std::string next_backward_token;
};

struct AWSDL_EXPORT FilterLogEventsRequest {
  std::string log_group;
  std::vector<std::string> streams;  // or
  std::string stream_prefix;
  std::optional<std::int64_t> start_time;
  std::optional<std::int64_t> end_time;
  std::string filter_pattern;
  int limit = 0;           // per page, 1-10000
  std::string next_token;  // one page only when set, as a continuation
};

struct AWSDL_EXPORT FilterLogEventsPage {
  std::vector<LogEvent> events;
  std::string next_token;
};

class AWSDL_EXPORT LogsClient {
 public:
  explicit LogsClient(Config config);

  /// Every page (the paginator) up to max_items. An unknown group: kService
  /// "ResourceNotFoundException".
  Result<std::vector<LogStream>> describe_log_streams(const DescribeLogStreamsRequest& request,
                                                      const CallOptions& options = {}) const;
  /// One page.
  Result<LogEventsPage> get_log_events(const GetLogEventsRequest& request, const CallOptions& options = {}) const;
  /// One page.
  Result<FilterLogEventsPage> filter_log_events(const FilterLogEventsRequest& request,
                                                const CallOptions& options = {}) const;
  /// Every page (the paginator), up to `max_events` (0: all).
  Result<std::vector<LogEvent>> filter_all_log_events(const FilterLogEventsRequest& request, std::size_t max_events = 0,
                                                      const CallOptions& options = {}) const;

 private:
  std::shared_ptr<ServiceClient> client_;
};

struct AWSDL_EXPORT FollowOptions {
  std::string log_group;
  std::string stream_prefix;  // "<job name>/" for a training job
  int page_size = 0;          // GetLogEvents limit; 0: the service's default
  /// Pages read from one stream in one poll; a stream with more waits for the next poll.
  int max_pages_per_poll = 100;
};

/// Tails every stream of a group whose name starts with a prefix, including streams that
/// appear later: each poll finds new streams and reads each one forward from where the last
/// poll stopped (GetLogEvents forward tokens, so nothing is read twice or skipped). A group
/// that does not exist yet is an empty result, not an error: a job's logs appear only once
/// its instances start.
class AWSDL_EXPORT LogFollower {
 public:
  LogFollower(LogsClient client, FollowOptions options);
  /// Events new since the last poll, ordered by time (stream name breaking ties, and each
  /// stream's own order kept).
  Result<std::vector<LogEvent>> poll(const CallOptions& options = {});
  /// Streams seen so far.
  std::vector<std::string> streams() const;

 private:
  struct StreamState {
    std::string token;
  };
  LogsClient client_;
  FollowOptions options_;
  std::map<std::string, StreamState> streams_;
};

}  // namespace awsdl::logs
