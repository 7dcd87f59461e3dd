// CloudWatch Logs against the sandbox while a training job runs: the follower reads every
// host's stream to the end, in small pages, as the streams grow, and what it read equals
// what the service holds at the end (FilterLogEvents), with no duplicate and no gap.
#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <thread>

#include "awsdl/logs/logs.hpp"
#include "awsdl/sagemaker/follow.hpp"
#include "awsdl/sagemaker/sagemaker.hpp"
#include "support/sandbox.hpp"

using namespace awsdl;
using awsdl::testsupport::Sandbox;
namespace sm = awsdl::sagemaker;

namespace {

class LogsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(sandbox_.ok()) << sandbox_.error();
    ASSERT_TRUE(sandbox_.reset());
    ASSERT_TRUE(sandbox_.control("POST", "/_sandbox/services/sagemaker/config",
                                 R"({"step_seconds":0.2,"training_seconds":1.5,"line_seconds":0.03})")
                    .ok());
  }
  sm::TrainingJobRequest job(const std::string& name, int hosts) {
    sm::TrainingJobRequest r;
    r.name = name;
    r.image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/maskrcnn:v1";
    r.role_arn = "arn:aws:iam::123456789012:role/SageMakerRole";
    r.instance_count = hosts;
    r.channels = {{.name = "train", .s3_uri = "s3://team-bucket/coco/train/"}};
    r.output_path = "s3://team-bucket/output/";
    return r;
  }
  Sandbox sandbox_;
};

// host -> the "line N" numbers seen in order
std::map<std::string, std::vector<int>> lines_by_host(const std::vector<logs::LogEvent>& events) {
  static const std::regex line_re("(algo-[0-9]+): line ([0-9]+):.*");
  std::map<std::string, std::vector<int>> out;
  std::smatch m;
  for (const auto& e : events)
    if (std::regex_match(e.message, m, line_re)) out[m[1]].push_back(std::stoi(m[2]));
  return out;
}

TEST_F(LogsTest, FollowingAJobReadsEveryLineOnceWhileStreamsGrow) {
  auto config = sandbox_.config();
  sm::SageMakerClient sagemaker(config);
  logs::LogsClient logs(config);
  ASSERT_TRUE(sagemaker.create_training_job(job("follow-3-hosts", 3)).ok());

  std::vector<logs::LogEvent> followed;
  std::vector<std::string> transitions;
  int polls_with_news = 0;
  sm::FollowJobOptions opts;
  opts.poll_interval = Millis(150);
  opts.log_page_size = 7;  // many pages per stream per poll
  opts.on_log = [&](const logs::LogEvent& e) { followed.push_back(e); };
  opts.on_transition = [&](const sm::SecondaryStatusTransition& t) {
    transitions.push_back(t.status);
    ++polls_with_news;
  };
  auto done = sm::follow_training_job(sagemaker, logs, "follow-3-hosts", config.runtime, opts);
  ASSERT_TRUE(done.ok()) << done.error().to_string();
  EXPECT_EQ(done->status, "Completed");
  EXPECT_EQ(transitions.back(), "Completed");

  // Everything the service holds now, read independently.
  auto all = logs.filter_all_log_events({.log_group = sm::kTrainingJobLogGroup, .stream_prefix = "follow-3-hosts/"});
  ASSERT_TRUE(all.ok()) << all.error().to_string();
  ASSERT_FALSE(all->empty());
  EXPECT_EQ(followed.size(), all->size());
  std::multiset<std::string> a, b;
  for (const auto& e : followed) a.insert(e.stream + "|" + std::to_string(e.timestamp) + "|" + e.message);
  for (const auto& e : *all) b.insert(e.stream + "|" + std::to_string(e.timestamp) + "|" + e.message);
  EXPECT_EQ(a, b);

  auto hosts = lines_by_host(followed);
  ASSERT_EQ(hosts.size(), 3u);
  for (const auto& [host, numbers] : hosts) {
    ASSERT_GE(numbers.size(), 20u) << host;
    for (std::size_t i = 0; i < numbers.size(); ++i) ASSERT_EQ(numbers[i], static_cast<int>(i)) << host;  // no gap, no dup
  }
  // Streams are "<job>/algo-<n>-<epoch>", one per host.
  auto streams = logs.describe_log_streams({.log_group = sm::kTrainingJobLogGroup, .stream_prefix = "follow-3-hosts/"});
  ASSERT_TRUE(streams.ok());
  ASSERT_EQ(streams->size(), 3u);
  static const std::regex name_re("follow-3-hosts/algo-[1-3]-[0-9]{10}");
  for (const auto& s : *streams) EXPECT_TRUE(std::regex_match(s.name, name_re)) << s.name;
  EXPECT_EQ(followed.back().message.substr(followed.back().message.find(':') + 2), "training complete");
}

TEST_F(LogsTest, GetLogEventsTokensAndFilterPatterns) {
  ASSERT_TRUE(sandbox_.control("POST", "/_sandbox/services/logs/put",
                               R"({"group":"/test/group","stream":"s1","messages":["alpha loss=1","beta","gamma loss=2"],"timestamp":1700000000000})")
                  .ok());
  logs::LogsClient logs(sandbox_.config());
  auto p1 = logs.get_log_events({.log_group = "/test/group", .stream = "s1", .limit = 2});
  ASSERT_TRUE(p1.ok()) << p1.error().to_string();
  ASSERT_EQ(p1->events.size(), 2u);
  EXPECT_EQ(p1->events[0].message, "alpha loss=1");
  auto p2 = logs.get_log_events({.log_group = "/test/group", .stream = "s1", .next_token = p1->next_forward_token, .limit = 2});
  ASSERT_TRUE(p2.ok());
  ASSERT_EQ(p2->events.size(), 1u);
  auto p3 = logs.get_log_events({.log_group = "/test/group", .stream = "s1", .next_token = p2->next_forward_token});
  ASSERT_TRUE(p3.ok());
  EXPECT_TRUE(p3->events.empty());
  EXPECT_EQ(p3->next_forward_token, p2->next_forward_token);  // the end: the same token back
  auto newest = logs.get_log_events({.log_group = "/test/group", .stream = "s1", .limit = 1, .start_from_head = false});
  ASSERT_TRUE(newest.ok());
  ASSERT_EQ(newest->events.size(), 1u);
  EXPECT_EQ(newest->events[0].message, "gamma loss=2");

  auto hits = logs.filter_all_log_events({.log_group = "/test/group", .filter_pattern = "loss", .limit = 1});
  ASSERT_TRUE(hits.ok()) << hits.error().to_string();
  ASSERT_EQ(hits->size(), 2u);
  EXPECT_EQ((*hits)[1].message, "gamma loss=2");
  EXPECT_EQ((*hits)[1].stream, "s1");

  auto missing = logs.describe_log_streams({.log_group = "/no/such/group"});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "ResourceNotFoundException");
}

}  // namespace
