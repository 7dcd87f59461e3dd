// LogsClient requests and the LogFollower against a scripted CloudWatch Logs: streams that
// grow between polls (many events sharing a timestamp), a stream that appears late, a group
// that does not exist yet, small pages. Every event must come out exactly once.
#include "awsdl/logs/logs.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "util/json.hpp"
#include "support/fake_harness.hpp"

namespace awsdl {
namespace {

struct Harness : testsupport::FakeHarness {
  Harness() : FakeHarness("us-east-1") {}
};

// A log service in miniature with AWS's token semantics: forward tokens are positions and
// come back unchanged at the end of a stream.
struct FakeLogs {
  bool group_exists = true;
  std::map<std::string, std::vector<std::pair<std::int64_t, std::string>>> streams;
  int get_calls = 0;

  Result<http::Response> answer(const http::Request& r) {
    auto target = r.headers.get("X-Amz-Target");
    auto doc = internal::JsonDocument::parse(r.body);
    http::Response resp;
    resp.status = 200;
    if (!group_exists) {
      resp.status = 400;
      resp.body = R"({"__type":"ResourceNotFoundException","message":"The specified log group does not exist."})";
      return resp;
    }
    if (target == "Logs_20140328.DescribeLogStreams") {
      auto prefix = internal::json_string_or(doc->root(), "logStreamNamePrefix");
      internal::JsonWriter w;
      w.start_object().key("logStreams").start_array();
      for (const auto& [name, events] : streams)
        if (name.rfind(prefix, 0) == 0) w.start_object().field("logStreamName", name).field("creationTime", 1).end_object();
      w.end_array().end_object();
      resp.body = w.str();
      return resp;
    }
    ++get_calls;
    auto name = internal::json_string_or(doc->root(), "logStreamName");
    auto token = internal::json_string_or(doc->root(), "nextToken");
    auto limit = internal::json_int(doc->root(), "limit").value_or(10000);
    EXPECT_EQ(internal::json_bool(doc->root(), "startFromHead").value_or(false), true);
    const auto& events = streams[name];
    std::size_t pos = token.empty() ? 0 : std::stoul(token.substr(2));
    std::size_t end = std::min(events.size(), pos + static_cast<std::size_t>(limit));
    internal::JsonWriter w;
    w.start_object().key("events").start_array();
    for (std::size_t i = pos; i < end; ++i)
      w.start_object().field("timestamp", events[i].first).field("message", events[i].second).field("ingestionTime", events[i].first).end_object();
    w.end_array().field("nextForwardToken", "f/" + std::to_string(end)).field("nextBackwardToken", "b/" + std::to_string(pos));
    w.end_object();
    resp.body = w.str();
    return resp;
  }
  void grow(const std::string& stream, int from, int to, std::int64_t ts) {
    for (int i = from; i < to; ++i) streams[stream].push_back({ts, stream + " line " + std::to_string(i)});
  }
};

TEST(LogFollower, EveryEventExactlyOnceAsStreamsGrowAndAppear) {
  Harness h;
  FakeLogs fake;
  fake.group_exists = false;
  h.transport->set_handler([&](const http::Request& r) { return fake.answer(r); });
  logs::LogFollower follower(logs::LogsClient(h.config),
                             {.log_group = "/aws/sagemaker/TrainingJobs", .stream_prefix = "job/", .page_size = 3});

  auto none = follower.poll();  // the group appears only once the job's instances start
  ASSERT_TRUE(none.ok()) << none.error().to_string();
  EXPECT_TRUE(none->empty());

  fake.group_exists = true;
  fake.grow("job/algo-1-1", 0, 7, 1000);  // seven events sharing one timestamp
  fake.grow("other/algo-1-1", 0, 5, 1000);
  std::vector<std::string> got;
  auto take = [&] {
    auto r = follower.poll();
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    for (const auto& e : *r) got.push_back(e.message);
  };
  take();
  fake.grow("job/algo-1-1", 7, 8, 1000);
  fake.grow("job/algo-2-1", 0, 4, 1001);  // a second host starts later
  take();
  take();  // nothing new
  fake.grow("job/algo-1-1", 8, 12, 1002);
  fake.grow("job/algo-2-1", 4, 6, 1002);
  take();

  std::vector<std::string> want;
  for (int i = 0; i < 12; ++i) want.push_back("job/algo-1-1 line " + std::to_string(i));
  for (int i = 0; i < 6; ++i) want.push_back("job/algo-2-1 line " + std::to_string(i));
  std::multiset<std::string> got_set(got.begin(), got.end()), want_set(want.begin(), want.end());
  EXPECT_EQ(got_set, want_set);
  EXPECT_EQ(got.size(), want.size());
  // Each stream's own order is kept.
  int last1 = -1;
  for (const auto& m : got)
    if (m.rfind("job/algo-1-1", 0) == 0) {
      int n = std::stoi(m.substr(m.rfind(' ') + 1));
      EXPECT_EQ(n, last1 + 1);
      last1 = n;
    }
  EXPECT_EQ(follower.streams(), (std::vector<std::string>{"job/algo-1-1", "job/algo-2-1"}));
}

TEST(LogsClient, RequestsFollowTheModel) {
  Harness h;
  h.transport->push(200, R"({"logStreams":[{"logStreamName":"a","creationTime":5,"lastEventTimestamp":9,"storedBytes":3}],"nextToken":"n1"})");
  h.transport->push(200, R"({"logStreams":[{"logStreamName":"b","creationTime":6}]})");
  logs::LogsClient client(h.config);
  auto streams = client.describe_log_streams({.log_group = "/aws/sagemaker/TrainingJobs", .stream_prefix = "job/", .page_size = 1});
  ASSERT_TRUE(streams.ok()) << streams.error().to_string();
  ASSERT_EQ(streams->size(), 2u);
  EXPECT_EQ((*streams)[0].last_event_timestamp, 9);
  EXPECT_FALSE((*streams)[1].last_event_timestamp.has_value());
  auto reqs = h.transport->requests();
  EXPECT_EQ(reqs[0].url(), "https://logs.us-east-1.amazonaws.com/");
  EXPECT_EQ(reqs[0].headers.get("X-Amz-Target"), "Logs_20140328.DescribeLogStreams");
  EXPECT_EQ(reqs[1].body, R"({"logGroupName":"/aws/sagemaker/TrainingJobs","logStreamNamePrefix":"job/","nextToken":"n1","limit":1})");

  h.transport->push(200, R"({"events":[{"logStreamName":"a","timestamp":1,"message":"x","ingestionTime":2,"eventId":"e1"}],"nextToken":"n2"})");
  h.transport->push(200, R"({"events":[{"logStreamName":"b","timestamp":3,"message":"y","ingestionTime":4,"eventId":"e2"}],"nextToken":"n2"})");
  auto all = client.filter_all_log_events({.log_group = "g", .streams = {"a", "b"}, .start_time = 1, .filter_pattern = "\"loss\"", .limit = 1});
  // A repeated token would page forever: an error at once, not a list that looks complete.
  ASSERT_FALSE(all.ok());
  EXPECT_EQ(all.error().code, "RepeatedNextToken") << all.error().to_string();
  EXPECT_EQ(h.last().body, R"({"logGroupName":"g","logStreamNames":["a","b"],"startTime":1,"filterPattern":"\"loss\"","nextToken":"n2","limit":1})");

  auto before = h.transport->request_count();
  EXPECT_EQ(client.describe_log_streams({.log_group = "bad group"}).error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(client.describe_log_streams({.log_group = "g", .stream_prefix = "p", .order_by_last_event_time = true}).error().kind,
            ErrorKind::kInvalidArgument);
  EXPECT_EQ(client.get_log_events({.log_group = "g", .stream = "a:b"}).error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(client.filter_log_events({.log_group = "g", .streams = {"a"}, .stream_prefix = "p"}).error().kind,
            ErrorKind::kInvalidArgument);
  EXPECT_EQ(h.transport->request_count(), before);
}

}  // namespace
}  // namespace awsdl
