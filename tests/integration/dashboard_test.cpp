// `awsdl-cluster dashboard` as a program, looked at by headless Chromium (Debian's chromium):
// a sandbox cluster whose instances are local sshd nodes (the sandbox's EC2 node pool), a fake
// nvidia-smi with two GPUs, and a small training loop on the master writing `loss=` lines. The
// page shows every node, the loss chart gets points as the log grows, a terminated worker shows
// as lost and the deleted cluster is said so; a screenshot is taken (AWSDL_DASHBOARD_SCREENSHOT
// names where to keep it; docs/dashboard.png was made so). Without the token: 401; an asset
// name with "..": 404; the server listens on loopback; bad flags exit 2 before any call.
// `awsdl-sagemaker dashboard` on a sandbox training job of two hosts: the transitions, both
// hosts' log lines and a loss chart per host, with the job's own metric definitions.
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <thread>

#include "awsdl/cluster/lifecycle.hpp"
#include "awsdl/ec2/ec2.hpp"
#include "awsdl/ssh/fanout.hpp"
#include "support/run_process.hpp"
#include "support/sandbox.hpp"
#include "support/ssh_nodes.hpp"
#include "support/stage_test_support.hpp"
#include "support/test_server.hpp"

namespace {

using namespace awsdl;
using namespace std::chrono_literals;
using awsdl_test::ssh_nodes;
using testsupport::Sandbox;
namespace fs = std::filesystem;

[[maybe_unused]] auto* const kEnv = ::testing::AddGlobalTestEnvironment(new awsdl_test::SshNodesEnvironment(3, 0));

const std::string kBinary = std::string(AWSDL_BINARY_DIR) + "/examples/cluster/awsdl-cluster";
const std::string kSageMaker = std::string(AWSDL_BINARY_DIR) + "/examples/sagemaker/awsdl-sagemaker";

constexpr const char* kFakeSmi = R"SH(#!/bin/sh
case "$*" in
  *-L*) echo "GPU 0: Tesla V100-SXM2-16GB (UUID: GPU-0)"; echo "GPU 1: Tesla V100-SXM2-16GB (UUID: GPU-1)" ;;
  *--query-gpu*) echo "0, 87, 12000, 16384"; echo "1, 41, 6100, 16384" ;;
  *) exit 1 ;;
esac
)SH";

// A small training loop: a decaying, noisy loss every 100 ms.
constexpr const char* kTraining =
    "python3 -u -c 'import math, random, time\n"
    "for step in range(6000):\n"
    "    loss = 2.5 * math.exp(-step / 60) + 0.1 + random.random() * 0.05\n"
    "    print(\"step %d loss=%.4f lr=0.01\" % (step, loss))\n"
    "    time.sleep(0.1)'";

std::string chromium() {
  for (const char* c : {"/usr/bin/chromium", "/usr/bin/chromium-browser"})
    if (fs::exists(c)) return c;
  return {};
}

class DashboardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(sandbox.ok()) << sandbox.error();
    ASSERT_TRUE(fs::exists(kBinary)) << kBinary << " is not built";
    ASSERT_TRUE(sandbox.reset());
    ASSERT_TRUE(sandbox.control("POST", "/_sandbox/services/ec2/config", R"({"transition_seconds": 0.05})"));
    ASSERT_TRUE(sandbox.control("POST", "/_sandbox/services/cloudformation/config", R"({"transition_seconds": 0.05})"));
    fs::create_directories(tmp / "shared");
    fs::create_directories(tmp / "state");
    smi = (tmp / "nvidia-smi").string();
    std::ofstream(smi) << kFakeSmi;
    fs::permissions(smi, fs::perms::owner_all);
  }
  void TearDown() override { (void)sandbox.control("POST", "/_sandbox/services/ec2/nodes", R"({"addresses": []})"); }

  // `env K=V... awsdl-cluster ARGS`: the sandbox's environment for a program TestServer starts.
  std::vector<std::string> command(const std::vector<std::string>& args, const std::string& binary = kBinary) const {
    std::vector<std::string> argv = {"/usr/bin/env"};
    for (const auto& [k, v] : Sandbox::cli_env(tmp.path().string())) argv.push_back(k + "=" + v);
    argv.push_back("AWS_ENDPOINT_URL=" + sandbox.endpoint());
    argv.push_back(binary);
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back("--endpoint-url");
    argv.push_back(sandbox.endpoint());
    return argv;
  }
  testsupport::ProcessResult cli(std::vector<std::string> args, const std::string& binary = kBinary) const {
    args.push_back("--endpoint-url");
    args.push_back(sandbox.endpoint());
    return testsupport::run_process(binary, args, Sandbox::cli_env(tmp.path().string()), 60s);
  }
  static testsupport::ProcessResult curl(const std::vector<std::string>& args) {
    std::vector<std::string> a = {"-s", "--max-time", "5"};
    a.insert(a.end(), args.begin(), args.end());
    return testsupport::run_process("/usr/bin/curl", a, {}, 20s);
  }
  static int count(const std::string& text, const std::string& needle) {
    int n = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
    return n;
  }
  // The page in headless Chromium (tests/support/chromium_page.py, the DevTools protocol on a
  // pipe): each `waits` expression in turn until it holds, kReport's value after each.
  std::vector<rapidjson::Document> page(const std::string& url, const std::vector<std::string>& waits,
                                        const std::string& screenshot = {}) const {
    std::vector<std::string> args = {AWSDL_SOURCE_DIR "/tests/support/chromium_page.py", url, "--chromium", chromium(),
                                     "--timeout", "30", "--report", kReport};
    for (const auto& w : waits) args.insert(args.end(), {"--wait", w});
    if (!screenshot.empty()) args.insert(args.end(), {"--screenshot", screenshot});
    auto r = testsupport::run_process("/usr/bin/python3", args, {{"PATH", "/usr/bin:/bin"}}, 60s);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    std::vector<rapidjson::Document> reports;
    std::size_t at = 0;
    for (auto nl = r.out.find('\n'); nl != std::string::npos; at = nl + 1, nl = r.out.find('\n', at)) {
      reports.emplace_back();
      reports.back().Parse(r.out.substr(at, nl - at).c_str());
      EXPECT_FALSE(reports.back().HasParseError()) << r.out;
    }
    return reports;
  }
  // What the tests read from the page: counts the page keeps in data- attributes, and Chart.js's own.
  static constexpr const char* kReport = R"JS(({
    nodes: document.querySelectorAll('tr.node').length,
    ok: document.querySelectorAll('tr.node[data-state="ok"]').length,
    lost: [...document.querySelectorAll('tr.node[data-state="lost"]')].map(t => t.dataset.id),
    gpus: document.querySelectorAll('.gpu').length,
    busy: document.querySelectorAll('.gpu[data-util="87"]').length,
    loss: +(document.querySelector('.metric[data-name="loss"]')?.dataset.points || 0),
    chart: (window.Chart && Chart.getChart(document.querySelector('.metric[data-name="loss"] canvas'))?.data.datasets[0].data.length) || 0,
    log: +document.getElementById('log').dataset.lines,
    events: +document.getElementById('events').dataset.count,
    cost: document.getElementById('cost')?.textContent || '',
    age: document.getElementById('age')?.textContent || '',
    exists: document.body.dataset.exists || '',
    gone: document.getElementById('gone').hidden ? '' : document.getElementById('gone').textContent
  }))JS";

  Sandbox sandbox;
  awsdl::testing_support::ScratchDir tmp;
  std::string smi;
};

TEST_F(DashboardTest, BadFlagsExitTwoBeforeAnyCall) {
  ASSERT_TRUE(sandbox.clear_requests());
  const std::vector<std::string> base = {"dashboard", "--name", "c1", "--user", "root", "--state-dir",
                                         (tmp / "state").string()};
  for (std::vector<std::string> extra : std::vector<std::vector<std::string>>{
           {"--metric", "loss=[0-9]+"},                 // no capture group
           {"--metric", "loss"},                        // no '='
           {"--metric", "loss=(a"},                     // does not compile
           {"--listen", "0.0.0.0:8080"},                // not loopback, not asked for
           {"--listen", "192.0.2.1:0"},
           {"--listen", "127.0.0.1"},                   // no port
           {"--listen", "127.0.0.1:70000"},
           {"--allow-remote"},                          // without --listen
           {"--interval", "0"}}) {
    auto args = base;
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = cli(args);
    EXPECT_EQ(r.exit_code, 2) << extra[0] << " " << (extra.size() > 1 ? extra[1] : "") << ": " << r.out << r.err;
    EXPECT_NE(r.err.find("error:"), std::string::npos) << r.err;
  }
  auto noname = cli({"dashboard"});
  EXPECT_EQ(noname.exit_code, 2) << noname.err;
  auto remote = cli({"dashboard", "--name", "c1", "--listen", "0.0.0.0:0"});
  EXPECT_NE(remote.err.find("--allow-remote"), std::string::npos) << remote.err;
  auto reqs = sandbox.requests();
  ASSERT_TRUE(reqs.ok());
  EXPECT_EQ(reqs->size(), 0u) << "a refused dashboard reached the sandbox";
}

TEST_F(DashboardTest, ChromiumSeesEveryNodeTheLossGrowALostWorkerAndTheDeletedCluster) {
  AWSDL_REQUIRE_SSH_NODES();
  if (chromium().empty()) GTEST_SKIP() << "chromium is not installed (scripts/install-deps)";
  const auto t0 = std::chrono::steady_clock::now();
  auto phase = [&](const char* what) {  // where the test's wall time goes (CI's budget is tight)
    std::printf("%5.1f s  %s\n", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), what);
  };
  Config config = sandbox.config();
  std::string pool;
  for (const auto& n : ssh_nodes().nodes) pool += (pool.empty() ? "\"" : ",\"") + n.address + "\"";
  ASSERT_TRUE(sandbox.control("POST", "/_sandbox/services/ec2/nodes", "{\"addresses\":[" + pool + "]}"));
  ASSERT_TRUE(ec2::Ec2Client(config).create_key_pair("team").ok());
  cluster::Clusters clusters(config);
  cluster::ClusterSpec spec{.name = "dash", .instance_type = "p3.2xlarge", .workers = 2, .min_workers = 1,
                            .ssh_cidr = "127.0.0.0/8", .key_name = "team"};
  spec.availability_zone = "us-east-1a";
  cluster::CreateOptions co;
  co.poll_interval = 100ms;
  auto created = clusters.create(spec, co);
  ASSERT_TRUE(created.ok()) << created.error().to_string();
  const std::string master = "root@" + created->master()->private_ip;

  phase("cluster created");
  // The training loop on the master, recorded as `run --detach` records its jobs.
  ssh::FanOutOptions fo;
  fo.session.identity_files = {ssh_nodes().key};
  fo.session.use_agent = false;
  fo.session.known_hosts = (tmp / "starter_known_hosts").string();
  ssh::FanOut starter({master}, fo);
  ssh::DetachOptions d;
  d.log_path = (tmp / "shared" / "train.log").string();
  auto job = starter.start_on(master, kTraining, d);
  ASSERT_TRUE(job.ok()) << job.error().to_string();
  std::ofstream(tmp / "state" / "jobs") << job->host << '\t' << job->pgid << '\t' << job->id << '\t' << job->log_path << '\n';

  phase("job started");
  testsupport::TestServer dashboard(
      command({"dashboard", "--name", "dash", "--user", "root", "--key-path", ssh_nodes().key, "--state-dir",
               (tmp / "state").string(), "--mount-point", (tmp / "shared").string(), "--no-mount-check",
               "--nvidia-smi", smi, "--interval", "0.5", "--metric", "loss=loss=([0-9.e+-]+)"}),
      {.startup_timeout = 30s, .stop_grace = 5s});
  ASSERT_TRUE(dashboard.ok()) << dashboard.error();
  const std::string url = dashboard.first_line();
  std::smatch m;
  ASSERT_TRUE(std::regex_match(url, m, std::regex(R"(http://127\.0\.0\.1:([0-9]+)/\?token=([0-9a-f]{32}))"))) << url;
  const std::string base = "http://127.0.0.1:" + m[1].str();
  const std::string token = m[2];

  phase("dashboard serving");
  // Loopback only: the listening socket's address.
  auto ss = testsupport::run_process("/usr/bin/ss", {"-ltnH", "sport = :" + m[1].str()}, {}, 10s);
  EXPECT_NE(ss.out.find("127.0.0.1:" + m[1].str()), std::string::npos) << ss.out;
  EXPECT_EQ(count(ss.out, "LISTEN"), 1) << ss.out;

  // The token: 401 without it (or with a wrong one), a cookie with it that serves later requests.
  for (std::string path : {"/", "/api/snapshot", "/api/events", "/assets/dashboard.js", "/?token=0123"}) {
    auto r = curl({"-o", "/dev/null", "-w", "%{http_code}", base + path});
    EXPECT_EQ(r.out, "401") << path;
  }
  auto first = curl({"-D", "-", "-o", "/dev/null", url});
  EXPECT_NE(first.out.find("200 OK"), std::string::npos) << first.out;
  EXPECT_NE(first.out.find("Set-Cookie: awsdl_dashboard=" + token), std::string::npos) << first.out;
  EXPECT_NE(first.out.find("Content-Security-Policy: default-src 'none'"), std::string::npos) << first.out;
  const std::string cookie = "awsdl_dashboard=" + token;
  auto code = [&](const std::string& path, std::vector<std::string> extra = {}) {
    extra.insert(extra.end(), {"--path-as-is", "-b", cookie, "-o", "/dev/null", "-w", "%{http_code}", base + path});
    return curl(extra).out;
  };
  EXPECT_EQ(code("/assets/dashboard.js"), "200");
  EXPECT_EQ(code("/assets/chart.js"), "200") << "Chart.js from libjs-chart.js";
  EXPECT_EQ(code("/assets/../assets/dashboard.js"), "404");
  EXPECT_EQ(code("/assets/..%2fassets%2fdashboard.js"), "404");
  EXPECT_EQ(code("/assets/..%2F..%2F..%2Fetc%2Fpasswd"), "404");
  EXPECT_EQ(code("/assets/no-such-file.js"), "404");
  EXPECT_NE(code("/api/snapshot", {"--data", "x"}), "200") << "read-only";
  // Nothing fetched from elsewhere: no URL in the page's own files.
  for (const char* asset : {"/", "/assets/dashboard.js", "/assets/dashboard.css"}) {
    auto body = curl({"-b", cookie, base + asset});
    EXPECT_EQ(body.out.find("http"), std::string::npos) << asset << " names a URL";
  }

  phase("HTTP checks done");
  // The stream: log lines and stack events as Server-Sent Events.
  auto sse = curl({"-N", "--max-time", "1", "-b", cookie, "-D", "-", base + "/api/events"});
  EXPECT_NE(sse.out.find("Content-Type: text/event-stream"), std::string::npos) << sse.out.substr(0, 500);
  EXPECT_NE(sse.out.find("event: log"), std::string::npos) << sse.out.substr(0, 2000);
  EXPECT_NE(sse.out.find("loss="), std::string::npos) << sse.out.substr(0, 2000);
  EXPECT_NE(sse.out.find("event: events"), std::string::npos) << sse.out.substr(0, 2000);
  EXPECT_NE(sse.out.find("event: snapshot"), std::string::npos) << sse.out.substr(0, 2000);
  // A page that reconnects with the last id it saw gets only what came after it.
  long last_id = 0;
  const std::regex id_line("(^|\n)id: ([0-9]+)\n");
  for (std::sregex_iterator it(sse.out.begin(), sse.out.end(), id_line), end; it != end; ++it)
    last_id = std::max(last_id, std::stol((*it)[2]));
  ASSERT_GT(last_id, 1);
  auto resumed = curl({"-N", "--max-time", "1", "-b", cookie, "-H", "Last-Event-ID: " + std::to_string(last_id - 1),
                       base + "/api/events"});
  for (std::sregex_iterator it(resumed.out.begin(), resumed.out.end(), id_line), end; it != end; ++it)
    EXPECT_GE(std::stol((*it)[2]), last_id) << resumed.out.substr(0, 500);
  EXPECT_NE(resumed.out.find("id: " + std::to_string(last_id) + "\n"), std::string::npos) << resumed.out.substr(0, 500);

  phase("SSE checked");
  // Chromium: every node with its GPU bars, the log, the stack events, the cost; the loss chart's
  // points grow with the log. A screenshot of the page.
  const std::string shot = (tmp / "shot.png").string();
  auto seen = page(url, {"document.querySelectorAll('tr.node').length == 3 && "
                         "+(document.querySelector('.metric[data-name=\"loss\"]')?.dataset.points) > 0",
                         "+document.querySelector('.metric[data-name=\"loss\"]').dataset.points > window.__last.loss"},
                   shot);
  ASSERT_EQ(seen.size(), 2u);
  const auto& first_look = seen[0];
  const auto& later_look = seen[1];
  EXPECT_EQ(first_look["nodes"].GetInt(), 3);
  EXPECT_EQ(first_look["ok"].GetInt(), 3);
  EXPECT_EQ(first_look["gpus"].GetInt(), 6) << "a bar per GPU";
  EXPECT_EQ(first_look["busy"].GetInt(), 3);
  EXPECT_GT(first_look["log"].GetInt(), 0);
  EXPECT_GT(first_look["events"].GetInt(), 0) << "stack events";
  EXPECT_EQ(std::string(first_look["cost"].GetString()).rfind("$", 0), 0u) << "p3.2xlarge has a price";
  EXPECT_NE(std::string(first_look["age"].GetString()), "");
  EXPECT_GT(later_look["loss"].GetInt(), first_look["loss"].GetInt());
  EXPECT_EQ(later_look["chart"].GetInt(), later_look["loss"].GetInt()) << "Chart.js draws every point";
  std::printf("loss points seen by Chromium: %d, then %d\n", first_look["loss"].GetInt(), later_look["loss"].GetInt());
  std::ifstream png(shot, std::ios::binary);
  std::string magic(8, '\0');
  png.read(magic.data(), 8);
  EXPECT_EQ(magic, std::string("\x89PNG\r\n\x1a\n", 8));
  if (const char* keep = std::getenv("AWSDL_DASHBOARD_SCREENSHOT"); keep && *keep) {
    std::error_code ec;
    fs::copy_file(shot, keep, fs::copy_options::overwrite_existing, ec);
    EXPECT_FALSE(ec) << "AWSDL_DASHBOARD_SCREENSHOT=" << keep << ": " << ec.message();
  }

  phase("Chromium saw the nodes and the loss grow");
  // A worker terminated: the page shows it as lost.
  const std::string victim = created->workers().at(0).instance_id;
  ASSERT_TRUE(ec2::Ec2Client(config).terminate_instances({victim}).ok());
  std::string snap;
  for (int i = 0; i < 40; ++i) {
    snap = curl({"-b", cookie, base + "/api/snapshot"}).out;
    if (snap.find("\"id\":\"" + victim + "\"") != std::string::npos &&
        std::regex_search(snap, std::regex("\"id\":\"" + victim + "\"[^}]*\"state\":\"lost\"")))
      break;
    std::this_thread::sleep_for(250ms);
  }
  phase("the snapshot shows the lost worker");
  auto lost = page(url, {"[...document.querySelectorAll('tr.node[data-state=\"lost\"]')].some(t => t.dataset.id == '" +
                             victim + "')"});
  ASSERT_EQ(lost.size(), 1u) << snap;
  EXPECT_EQ(lost[0]["lost"].Size(), 1u);

  phase("Chromium saw it lost");
  // The job ends, the cluster is deleted: the page says so and keeps serving.
  ASSERT_TRUE(starter.stop({*job}, 2s).at(0).ok());
  cluster::DeleteOptions del;
  del.poll_interval = 100ms;
  ASSERT_TRUE(clusters.remove("dash", del).ok());
  for (int i = 0; i < 40; ++i) {
    snap = curl({"-b", cookie, base + "/api/snapshot"}).out;
    if (snap.find("\"exists\":false") != std::string::npos) break;
    std::this_thread::sleep_for(250ms);
  }
  phase("cluster deleted, the snapshot says so");
  auto gone = page(url, {"document.body.dataset.exists == 'false'"});
  ASSERT_EQ(gone.size(), 1u) << snap;
  EXPECT_NE(std::string(gone[0]["gone"].GetString()).find("no longer exists"), std::string::npos);
  EXPECT_EQ(gone[0]["lost"].Size(), static_cast<unsigned>(gone[0]["nodes"].GetInt())) << "every node lost";

  dashboard.stop();
  std::printf("dashboard test wall time: %.1f s\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
}

TEST_F(DashboardTest, SageMakerJobsTransitionsEveryHostsLogAndItsMetrics) {
  if (chromium().empty()) GTEST_SKIP() << "chromium is not installed (scripts/install-deps)";
  ASSERT_TRUE(sandbox.control("POST", "/_sandbox/services/sagemaker/config",
                              R"({"step_seconds":0.3,"training_seconds":4,"line_seconds":0.1})"));
  auto train = cli({"train", "--job-name", "dash-job", "--image", "train:v1", "--role",
                    "arn:aws:iam::123456789012:role/SageMakerRole", "--input", "train=s3://team-bucket/coco/train/",
                    "--output-path", "s3://team-bucket/output/", "--instance-count", "2", "--metric",
                    "loss=loss=([0-9.]+)"},
                   kSageMaker);
  ASSERT_EQ(train.exit_code, 0) << train.out << train.err;
  auto bad = cli({"dashboard", "dash-job", "--metric", "loss=loss"}, kSageMaker);
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_EQ(cli({"dashboard", "bad_name!"}, kSageMaker).exit_code, 2);

  testsupport::TestServer dashboard(command({"dashboard", "dash-job", "--interval", "0.3"}, kSageMaker),
                                    {.startup_timeout = 30s, .stop_grace = 5s});
  ASSERT_TRUE(dashboard.ok()) << dashboard.error();
  const std::string url = dashboard.first_line();
  ASSERT_TRUE(std::regex_match(url, std::regex(R"(http://127\.0\.0\.1:[0-9]+/\?token=[0-9a-f]{32})"))) << url;
  // The job's metric definitions (no --metric): a chart per host; both hosts' lines; the
  // transitions as rows and as streamed events; then the job's end.
  const char* report = R"JS(({
    transitions: [...document.querySelectorAll('tr.transition')].map(t => t.dataset.status),
    charts: [...document.querySelectorAll('.metric')].map(m => m.dataset.name + '=' + m.dataset.points),
    hosts: [...new Set([...document.querySelectorAll('#log .source')].map(s => s.textContent.trim().replace(/-[0-9]+$/, '')))].sort(),
    events: +document.getElementById('events').dataset.count,
    status: document.getElementById('status')?.textContent || '',
    nodes: document.getElementById('nodes-section').hidden
  }))JS";
  std::vector<std::string> args = {AWSDL_SOURCE_DIR "/tests/support/chromium_page.py", url, "--chromium", chromium(),
                                   "--timeout", "40", "--report", report,
                                   "--wait", "document.querySelectorAll('.metric').length == 2 && "
                                             "[...document.querySelectorAll('.metric')].every(m => +m.dataset.points > 0)",
                                   "--wait", "document.getElementById('status')?.textContent.startsWith('Completed')"};
  auto r = testsupport::run_process("/usr/bin/python3", args, {{"PATH", "/usr/bin:/bin"}}, 60s);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto nl = r.out.find('\n');
  rapidjson::Document during, after;
  during.Parse(r.out.substr(0, nl).c_str());
  after.Parse(r.out.substr(nl + 1).c_str());
  ASSERT_FALSE(during.HasParseError() || after.HasParseError()) << r.out;
  std::printf("the SageMaker dashboard while training: %s\nafter: %s", r.out.substr(0, nl + 1).c_str(),
              r.out.substr(nl + 1).c_str());
  EXPECT_TRUE(during["nodes"].GetBool()) << "no nodes table for a training job";
  ASSERT_EQ(after["hosts"].Size(), 2u) << r.out;
  EXPECT_STREQ(after["hosts"][0].GetString(), "algo-1");
  EXPECT_STREQ(after["hosts"][1].GetString(), "algo-2");
  std::vector<std::string> statuses;
  for (const auto& t : after["transitions"].GetArray()) statuses.push_back(t.GetString());
  EXPECT_EQ(statuses, (std::vector<std::string>{"Starting", "Downloading", "Training", "Uploading", "Completed"}));
  EXPECT_GE(after["events"].GetInt(), 5);
  for (const auto& c : after["charts"].GetArray())
    EXPECT_NE(std::string(c.GetString()).rfind("loss algo-", 0), std::string::npos) << c.GetString();
  dashboard.stop();
}

}  // namespace
