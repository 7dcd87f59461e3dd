#include <regex>

#include "awsdl/logs/logs.hpp"
#include "util/json.hpp"
#include "protocol/pagination.hpp"
#include "protocol/service_client.hpp"

namespace awsdl::logs {
namespace {

Status check_group(const std::string& group, const char* op) {
  static const std::regex group_re(R"([\.\-_/#A-Za-z0-9]{1,512})");
  if (!std::regex_match(group, group_re))
    return Error::invalid_argument("InvalidParameterException",
                                   std::string(op) + ": '" + group + "' is not a log group name");
  return {};
}

Status check_stream(const std::string& name, const char* what, const char* op) {
  if (name.empty() || name.size() > 512 || name.find_first_of(":*") != std::string::npos)
    return Error::invalid_argument("InvalidParameterException",
                                   std::string(op) + ": " + what + " has 1 to 512 characters and no ':' or '*'");
  return {};
}

Status check_limit(int limit, int max, const char* op) {
  if (limit < 0 || limit > max)
    return Error::invalid_argument("InvalidParameterException",
                                   std::string(op) + ": limit is 1 to " + std::to_string(max));
  return {};
}

LogEvent parse_event(const internal::JsonValue& v) {
  LogEvent e;
  e.stream = internal::json_string_or(v, "logStreamName");
  e.timestamp = internal::json_int(v, "timestamp").value_or(0);
  e.ingestion_time = internal::json_int(v, "ingestionTime").value_or(0);
  e.message = internal::json_string_or(v, "message");
  e.event_id = internal::json_string_or(v, "eventId");
  return e;
}

}  // namespace

LogsClient::LogsClient(Config config)
    : client_(std::make_shared<ServiceClient>(std::move(config),
                                                        internal::service_info(internal::Service::kLogs))) {}

Result<std::vector<LogStream>> LogsClient::describe_log_streams(const DescribeLogStreamsRequest& r,
                                                                const CallOptions& options) const {
  AWSDL_TRY(check_group(r.log_group, "DescribeLogStreams"));
  if (!r.stream_prefix.empty()) AWSDL_TRY(check_stream(r.stream_prefix, "the stream prefix", "DescribeLogStreams"));
  AWSDL_TRY(check_limit(r.page_size, 50, "DescribeLogStreams"));
  if (r.order_by_last_event_time && !r.stream_prefix.empty())
    return Error::invalid_argument("InvalidParameterException",
                                   "DescribeLogStreams: cannot order by last event time with a stream prefix");
  std::vector<LogStream> out;
  internal::PageGuard pages("CloudWatchLogs DescribeLogStreams", client_->config().max_pages);
  std::string token;
  for (;;) {
    internal::JsonWriter w;
    w.start_object().field("logGroupName", r.log_group).optional_field("logStreamNamePrefix", r.stream_prefix);
    if (r.order_by_last_event_time) w.field("orderBy", "LastEventTime");
    if (r.descending) w.field("descending", true);
    w.optional_field("nextToken", token);
    if (r.page_size > 0) w.field("limit", r.page_size);
    w.end_object();
    AWSDL_ASSIGN_OR_RETURN(auto doc, client_->call_json("DescribeLogStreams", w.str(), options));
    if (const auto* list = internal::json_array(doc.root(), "logStreams"))
      for (const auto& s : list->GetArray()) {
        LogStream ls;
        ls.name = internal::json_string_or(s, "logStreamName");
        ls.arn = internal::json_string_or(s, "arn");
        ls.creation_time = internal::json_int(s, "creationTime").value_or(0);
        ls.first_event_timestamp = internal::json_int(s, "firstEventTimestamp");
        ls.last_event_timestamp = internal::json_int(s, "lastEventTimestamp");
        ls.last_ingestion_time = internal::json_int(s, "lastIngestionTime");
        ls.stored_bytes = internal::json_int(s, "storedBytes").value_or(0);
        out.push_back(std::move(ls));
        if (r.max_items && out.size() >= r.max_items) return out;
      }
    token = internal::json_string_or(doc.root(), "nextToken");
    AWSDL_ASSIGN_OR_RETURN(bool more, pages.next(token));
    if (!more) return out;
  }
}

Result<LogEventsPage> LogsClient::get_log_events(const GetLogEventsRequest& r, const CallOptions& options) const {
  AWSDL_TRY(check_group(r.log_group, "GetLogEvents"));
  AWSDL_TRY(check_stream(r.stream, "the stream name", "GetLogEvents"));
  AWSDL_TRY(check_limit(r.limit, 10000, "GetLogEvents"));
  internal::JsonWriter w;
  w.start_object().field("logGroupName", r.log_group).field("logStreamName", r.stream);
  if (r.start_time) w.field("startTime", *r.start_time);
  if (r.end_time) w.field("endTime", *r.end_time);
  w.optional_field("nextToken", r.next_token);
  if (r.limit > 0) w.field("limit", r.limit);
  if (r.start_from_head) w.field("startFromHead", true);
  w.end_object();
  AWSDL_ASSIGN_OR_RETURN(auto doc, client_->call_json("GetLogEvents", w.str(), options));
  LogEventsPage page;
  if (const auto* list = internal::json_array(doc.root(), "events"))
    for (const auto& e : list->GetArray()) page.events.push_back(parse_event(e));
  page.next_forward_token = internal::json_string_or(doc.root(), "nextForwardToken");
  page.next_backward_token = internal::json_string_or(doc.root(), "nextBackwardToken");
  return page;
}

Result<FilterLogEventsPage> LogsClient::filter_log_events(const FilterLogEventsRequest& r,
                                                          const CallOptions& options) const {
  AWSDL_TRY(check_group(r.log_group, "FilterLogEvents"));
  AWSDL_TRY(check_limit(r.limit, 10000, "FilterLogEvents"));
  if (!r.streams.empty() && !r.stream_prefix.empty())
    return Error::invalid_argument("InvalidParameterException",
                                   "FilterLogEvents: stream names and a stream prefix are mutually exclusive");
  if (r.streams.size() > 100)
    return Error::invalid_argument("InvalidParameterException", "FilterLogEvents: at most 100 stream names");
  for (const auto& s : r.streams) AWSDL_TRY(check_stream(s, "a stream name", "FilterLogEvents"));
  if (r.filter_pattern.size() > 1024)
    return Error::invalid_argument("InvalidParameterException", "FilterLogEvents: the pattern has at most 1024 characters");
  internal::JsonWriter w;
  w.start_object().field("logGroupName", r.log_group);
  if (!r.streams.empty()) {
    w.key("logStreamNames").start_array();
    for (const auto& s : r.streams) w.value(s);
    w.end_array();
  }
  w.optional_field("logStreamNamePrefix", r.stream_prefix);
  if (r.start_time) w.field("startTime", *r.start_time);
  if (r.end_time) w.field("endTime", *r.end_time);
  w.optional_field("filterPattern", r.filter_pattern).optional_field("nextToken", r.next_token);
  if (r.limit > 0) w.field("limit", r.limit);
  w.end_object();
  AWSDL_ASSIGN_OR_RETURN(auto doc, client_->call_json("FilterLogEvents", w.str(), options));
  FilterLogEventsPage page;
  if (const auto* list = internal::json_array(doc.root(), "events"))
    for (const auto& e : list->GetArray()) page.events.push_back(parse_event(e));
  page.next_token = internal::json_string_or(doc.root(), "nextToken");
  return page;
}

Result<std::vector<LogEvent>> LogsClient::filter_all_log_events(const FilterLogEventsRequest& request,
                                                                std::size_t max_events,
                                                                const CallOptions& options) const {
  FilterLogEventsRequest r = request;
  std::vector<LogEvent> out;
  internal::PageGuard pages("CloudWatchLogs FilterLogEvents", client_->config().max_pages);
  for (;;) {
    AWSDL_ASSIGN_OR_RETURN(auto p, filter_log_events(r, options));
    for (auto& e : p.events) {
      out.push_back(std::move(e));
      if (max_events && out.size() >= max_events) return out;
    }
    AWSDL_ASSIGN_OR_RETURN(bool more, pages.next(p.next_token));
    if (!more) return out;
    r.next_token = std::move(p.next_token);
  }
}

}  // namespace awsdl::logs
