// The monitor's metric definitions (NAME=REGEX) and tracker, and the node probe's parser.
#include <gtest/gtest.h>

#include <string>

#include "awsdl/cluster/monitor.hpp"

namespace awsdl::cluster {
namespace {

const WallTime kAt = WallTime(std::chrono::seconds(1800000000));

std::vector<double> values(const MetricTracker& t, const std::string& name) {
  std::vector<double> out;
  for (const auto& p : t.series().at(name)) out.push_back(p.value);
  return out;
}

TEST(ClusterMetrics, DefinitionsAreNameEqualsRegexWithACaptureGroup) {
  auto d = parse_metric_definition("loss=loss=([0-9.]+)");
  ASSERT_TRUE(d.ok()) << d.error().to_string();
  EXPECT_EQ(d->name, "loss");
  EXPECT_EQ(d->regex, "loss=([0-9.]+)");
  EXPECT_TRUE(parse_metric_definition(R"(train:accuracy=acc: (\d+\.\d+))").ok());
  for (const char* bad : {"loss", "=x([0-9])", "loss=", "1loss=([0-9]+)", "lo ss=([0-9]+)", "loss=([0-9]+",
                          "loss=[0-9]+", "loss=([z-a]+)"}) {
    auto r = parse_metric_definition(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, "BadMetricDefinition") << bad;
    EXPECT_EQ(r.error().kind, ErrorKind::kInvalidArgument) << bad;
  }
  // Expressions glibc's regcomp would copy without bound are refused before they are compiled
  // (found by the metrics fuzz target: a++++... took gigabytes).
  for (const char* heavy : {"bl=a++++++++++++++++++++++++++\\", "x=(a{99}){99}", "x=a*+", "x=(a)?{3}",
                            "x=((((((((((((a+)+)+)+)+)+)+)+)+)+)+)+)"}) {
    auto r = parse_metric_definition(heavy);
    ASSERT_FALSE(r.ok()) << heavy;
    EXPECT_EQ(r.error().code, "BadMetricDefinition") << heavy;
  }
  EXPECT_FALSE(parse_metric_definition("x=(" + std::string(1100, 'a') + ")").ok());
  for (const char* fine : {R"(date=(\d{4})-\d{2}-\d{2})", R"(loss=([0-9]+)\s+acc=([0-9]+)\s+lr=([0-9]+))",
                           "x=(a{2,10})"})
    EXPECT_TRUE(parse_metric_definition(fine).ok()) << fine;
  auto r = parse_metric_definition("loss=[0-9]+");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("no capture group"), std::string::npos) << r.error().message;
}

TEST(ClusterMetrics, EveryMatchOfALineIsAPointAndExponentsParse) {
  auto t = MetricTracker::make({{"loss", R"(loss=(\d+\.?\d*(e[-+]?\d+)?))"}, {"lr", "lr=([-+0-9.eE]+)"}});
  ASSERT_TRUE(t.ok()) << t.error().to_string();
  t->feed("step 1 loss=0.5 lr=1e-3\n", kAt);
  t->feed("step 2 loss=0.25 loss=0.125\n", kAt);  // twice in one line: two points
  t->feed("step 3 loss=2.5e-02 lr=3.0E+00 lr=bogus\n", kAt);
  EXPECT_EQ(values(*t, "loss"), (std::vector<double>{0.5, 0.25, 0.125, 0.025}));
  EXPECT_EQ(values(*t, "lr"), (std::vector<double>{1e-3, 3.0}));
  EXPECT_EQ(t->series().at("loss")[3].line, 3u);
  EXPECT_EQ(t->lines(), 3u);
}

TEST(ClusterMetrics, AnUnfinishedLineWaitsForItsEnd) {
  auto t = MetricTracker::make({{"loss", "loss=([0-9.]+)"}});
  ASSERT_TRUE(t.ok());
  t->feed("loss=1.", kAt);
  EXPECT_TRUE(t->series().at("loss").empty());
  t->feed("5\nloss=2", kAt);
  EXPECT_EQ(values(*t, "loss"), (std::vector<double>{1.5}));
  t->feed("\r\n", kAt);  // a CRLF line
  EXPECT_EQ(values(*t, "loss"), (std::vector<double>{1.5, 2}));
}

TEST(ClusterMetrics, SeriesAreBoundedToTheNewestPoints) {
  auto t = MetricTracker::make({{"loss", "loss=([0-9]+)"}}, 3);
  ASSERT_TRUE(t.ok());
  for (int i = 1; i <= 10; ++i) t->feed("loss=" + std::to_string(i) + "\n", kAt);
  EXPECT_EQ(values(*t, "loss"), (std::vector<double>{8, 9, 10}));
}

TEST(ClusterMetrics, ALineOfOneMebibyteIsParsedAndALongerOneSkipped) {
  auto t = MetricTracker::make({{"loss", "loss=([0-9.]+)"}});
  ASSERT_TRUE(t.ok());
  std::string line(1u << 20, 'x');
  line.replace(line.size() - 9, 9, "loss=0.75");
  ASSERT_EQ(line.size(), 1u << 20);
  t->feed(line + "\n", kAt);
  EXPECT_EQ(values(*t, "loss"), (std::vector<double>{0.75}));
  // One byte more, fed in pieces: skipped whole, counted, and the next line is parsed.
  std::string longer = "loss=9 " + std::string(1u << 20, 'y');
  t->feed(longer.substr(0, 1000), kAt);
  t->feed(longer.substr(1000) + "\nloss=1\n", kAt);
  EXPECT_EQ(values(*t, "loss"), (std::vector<double>{0.75, 1}));
  EXPECT_EQ(t->skipped_lines(), 1u);
  EXPECT_EQ(t->lines(), 3u);
}

TEST(ClusterMetrics, ADefinitionGivenTwiceIsRefused) {
  auto t = MetricTracker::make({{"loss", "loss=([0-9]+)"}, {"loss", "l=([0-9]+)"}});
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().code, "BadMetricDefinition");
}

TEST(ClusterMonitorProbe, ParsesGpusLoadAndSharedSpace) {
  HealthOptions h;
  h.shared_path = "/efs";
  const std::string script = monitor_probe_script(h);
  EXPECT_NE(script.find("--query-gpu=index,utilization.gpu,memory.used,memory.total"), std::string::npos);
  EXPECT_EQ(script.find("stray="), std::string::npos) << "the job's processes are not strays here";
  NodeSample n;
  n.host = "root@127.0.0.2";
  parse_monitor_probe("awsdl_probe=1\nshared_exists=1\nshared_mounted=1\nshared_writable=1\nshared_type=nfs\ngpus=2\n"
                      "free_kb=2097152\ngpu=0, 35, 1024, 16384\ngpu=1, 100, 16000, 16384\ngpu=junk\n"
                      "load=1.25\ncpus=8\nshared_free_kb=1048576\n",
                      n, h);
  EXPECT_TRUE(n.reachable);
  ASSERT_TRUE(n.health.has_value());
  EXPECT_TRUE(n.health->healthy()) << n.health->problems.front();
  ASSERT_EQ(n.gpus.size(), 2u);
  EXPECT_EQ(n.gpus[1].index, 1);
  EXPECT_EQ(n.gpus[1].utilization_percent, 100);
  EXPECT_EQ(n.gpus[0].memory_used_mib, 1024u);
  EXPECT_EQ(n.gpus[0].memory_total_mib, 16384u);
  EXPECT_DOUBLE_EQ(n.load1, 1.25);
  EXPECT_EQ(n.cpus, 8);
  ASSERT_TRUE(n.shared_free_bytes.has_value());
  EXPECT_EQ(*n.shared_free_bytes, 1048576ull * 1024);

  // What follows the log marker is the job's log, never probe fields, whatever it says.
  NodeSample with_log;
  parse_monitor_probe("awsdl_probe=1\ngpus=1\nfree_kb=2097152\ngpu=0, 50, 1, 2\nload=0.5\n"
                      "@@awsdl-log size=40 start=0\ngpus=9\nfree_kb=0\ngpu=7, 1, 1, 1\nload=99\n",
                      with_log, HealthOptions{});
  ASSERT_TRUE(with_log.health.has_value());
  EXPECT_EQ(with_log.health->gpus, 1);
  EXPECT_EQ(with_log.health->free_bytes, 2097152ull * 1024);
  ASSERT_EQ(with_log.gpus.size(), 1u);
  EXPECT_DOUBLE_EQ(with_log.load1, 0.5);

  NodeSample bare;
  parse_monitor_probe("awsdl_probe=1\ngpus=0\nfree_kb=100\nload=\ncpus=2\n", bare, HealthOptions{});
  EXPECT_TRUE(bare.gpus.empty());
  EXPECT_EQ(bare.load1, -1);
  EXPECT_FALSE(bare.shared_free_bytes.has_value());
  EXPECT_TRUE(bare.spot_notice.empty());
  EXPECT_TRUE(bare.rebalance.empty());

  // The supervisor's IMDS watcher's lines (MonitorOptions::notices_path); not from the log.
  NodeSample noticed;
  parse_monitor_probe("awsdl_probe=1\ngpus=1\nnotice.spot={\"action\": \"terminate\", \"time\": \"2026-12-07T03:00:00Z\"}\n"
                      "notice.rebalance={\"noticeTime\": \"2026-12-07T02:58:00Z\"}\n",
                      noticed, HealthOptions{});
  EXPECT_EQ(noticed.spot_notice, "{\"action\": \"terminate\", \"time\": \"2026-12-07T03:00:00Z\"}");
  EXPECT_EQ(noticed.rebalance, "{\"noticeTime\": \"2026-12-07T02:58:00Z\"}");
  parse_monitor_probe("awsdl_probe=1\ngpus=1\n@@awsdl-log size=40 start=0\nnotice.spot=forged\n", noticed, HealthOptions{});
  EXPECT_TRUE(noticed.spot_notice.empty()) << "a log line is not a notice";
  EXPECT_TRUE(noticed.rebalance.empty()) << "each probe replaces the last one's notices";
}

}  // namespace
}  // namespace awsdl::cluster
