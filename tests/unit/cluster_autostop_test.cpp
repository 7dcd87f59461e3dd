// Idle stop and bootstrap tails, the parts without I/O: durations as autostop --idle reads them,
// the watcher's script (valid bash, settings quoted, refused settings), its status file, and
// how a console's text is read (failed, finished, still running, nothing yet). The watcher
// itself runs in tests/integration/cluster_cli_test (AutostopScalesAnIdleClusterToZeroWorkers).
#include "awsdl/cluster/autostop.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "awsdl/cluster/lifecycle.hpp"

namespace awsdl {
namespace {

using namespace std::chrono_literals;
namespace cl = cluster;

TEST(ClusterAutostop, DurationsHaveUnitsAndMustBeAboveZero) {
  EXPECT_EQ(*cl::parse_duration("30m"), Millis(30min));
  EXPECT_EQ(*cl::parse_duration("90s"), Millis(90s));
  EXPECT_EQ(*cl::parse_duration("1h30m"), Millis(90min));
  EXPECT_EQ(*cl::parse_duration("2h"), Millis(2h));
  EXPECT_EQ(*cl::parse_duration("1d"), Millis(24h));
  EXPECT_EQ(*cl::parse_duration("45"), Millis(45s));
  for (const char* bad : {"", "0", "0m", "abc", "-5m", "10x", "1h30", "m", "1.5h", "31d", "99999999999999999999"}) {
    auto r = cl::parse_duration(bad, "--idle");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, "BadDuration") << bad;
    EXPECT_EQ(r.error().kind, ErrorKind::kInvalidArgument);
    EXPECT_EQ(r.error().message.rfind("--idle: '" + std::string(bad) + "'", 0), 0u) << r.error().message;
  }
  EXPECT_EQ(cl::format_duration(90min), "1h30m");
  EXPECT_EQ(cl::format_duration(3s), "3s");
  EXPECT_EQ(cl::format_duration(0s), "0s");
  EXPECT_EQ(*cl::parse_duration(cl::format_duration(26h + 1s)), Millis(26h + 1s));
}

cl::AutostopSettings settings() {
  cl::AutostopSettings s;
  s.cluster = "it's-a-cluster";
  s.region = "us-east-1";
  s.worker_group = "c-workers";
  s.stack = "arn:aws:cloudformation:us-east-1:123456789012:stack/c/1";
  s.status_path = "/efs/.awsdl/c/autostop.status";
  return s;
}

TEST(ClusterAutostop, TheScriptIsBashWithTheSettingsQuoted) {
  auto script = cl::autostop_script(settings());
  ASSERT_TRUE(script.ok()) << script.error().to_string();
  EXPECT_NE(script->find("CLUSTER='it'\\''s-a-cluster'\n"), std::string::npos) << *script;
  EXPECT_NE(script->find("IDLE=1800\n"), std::string::npos);
  EXPECT_NE(script->find("INTERVAL=60\n"), std::string::npos);
  EXPECT_NE(script->find("ACTION=scale\n"), std::string::npos);
  EXPECT_NE(script->find("--query-gpu=index,utilization.gpu"), std::string::npos) << "the Monitor's GPU query";
  EXPECT_NE(script->find("update-auto-scaling-group"), std::string::npos);
  // bash -n: it parses.
  const std::string path = ::testing::TempDir() + "autostop_script.sh";
  std::ofstream(path) << *script;
  EXPECT_EQ(std::system(("bash -n " + path).c_str()), 0) << *script;
  std::remove(path.c_str());

  auto bad = settings();
  bad.idle = 0ms;
  EXPECT_EQ(cl::autostop_script(bad).error().code, "BadAutostop");
  bad = settings();
  bad.action = cl::AutostopAction::kOff;
  EXPECT_FALSE(cl::autostop_script(bad).ok());
  bad = settings();
  bad.worker_group.clear();
  EXPECT_FALSE(cl::autostop_script(bad).ok());
  bad.action = cl::AutostopAction::kDeleteStack;
  EXPECT_TRUE(cl::autostop_script(bad).ok()) << "delete needs the stack, not the group";
  bad.gpu_busy_percent = 0;
  EXPECT_FALSE(cl::autostop_script(bad).ok());
}

TEST(ClusterAutostop, TheStatusFileIsRead) {
  auto st = cl::read_autostop_status("state=watching\naction=scale\nidle_limit=1800\ninterval=60\nstarted=100\n"
                                     "checked=700\nidle=600\ngpus=8\nbusy_gpus=0\njobs=0\nmessage=\n");
  ASSERT_TRUE(st.ok()) << st.error().to_string();
  EXPECT_EQ(st->state, cl::AutostopState::kWatching);
  EXPECT_EQ(st->action, cl::AutostopAction::kScaleToZero);
  EXPECT_EQ(st->idle_limit, Millis(30min));
  EXPECT_EQ(st->idle_for, Millis(10min));
  EXPECT_EQ(st->gpus, 8);
  EXPECT_EQ(st->checked, 700);
  auto done = cl::read_autostop_status("state=failed\naction=delete\nidle_limit=60\nmessage=AccessDenied: not allowed\n");
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->state, cl::AutostopState::kFailed);
  EXPECT_EQ(done->action, cl::AutostopAction::kDeleteStack);
  EXPECT_EQ(done->message, "AccessDenied: not allowed");
  for (const char* bad : {"", "hello", "state=sleeping\naction=scale\nidle_limit=5\n", "state=watching\nidle_limit=5\n",
                          "state=watching\naction=scale\nidle_limit=0\n"})
    EXPECT_EQ(cl::read_autostop_status(bad).error().code, "BadAutostopStatus") << bad;
}

TEST(ClusterBootstrap, AConsoleSaysFailedFinishedOrRunning) {
  const std::string failed =
      "[    0.000000] Linux version 5.15.0\r\n"
      "Cloud-init v. 23.3.3 running 'modules:final' at Mon, 07 Dec 2026 02:00:21 +0000. Up 21.54 seconds.\r\n"
      "mount.nfs4: Connection timed out\r\n"
      "\r\n"
      "2026-12-07 02:01:35,000 - util.py[WARNING]: Failed running /var/lib/cloud/instance/scripts/part-001 [1]\r\n"
      "2026-12-07 02:01:35,000 - cc_scripts_user.py[WARNING]: Failed to run module scripts-user (scripts in "
      "/var/lib/cloud/instance/scripts)\r\n"
      "Cloud-init v. 23.3.3 finished at Mon, 07 Dec 2026 02:01:35 +0000. Datasource DataSourceEc2Local.  Up 95.21 seconds\r\n";
  auto t = cl::read_bootstrap(failed, 4);
  EXPECT_EQ(t.state, cl::BootstrapState::kFailed) << "finished after a failure is still a failure";
  ASSERT_EQ(t.lines.size(), 4u);
  EXPECT_EQ(t.lines[0], "mount.nfs4: Connection timed out") << "empty lines and carriage returns dropped";
  EXPECT_EQ(t.lines[3].rfind("Cloud-init v. 23.3.3 finished at", 0), 0u);

  auto ok = cl::read_bootstrap("Cloud-init v. 23.3.3 running 'init'\nawsdl: worker configured\n"
                               "Cloud-init v. 23.3.3 finished at Mon, 07 Dec 2026. Up 31.07 seconds\n");
  EXPECT_EQ(ok.state, cl::BootstrapState::kFinished);
  EXPECT_EQ(ok.lines.size(), 3u);
  EXPECT_EQ(cl::read_bootstrap("[    0.000000] Linux version\nCloud-init v. 23.3.3 running 'init'\n").state,
            cl::BootstrapState::kRunning);
  EXPECT_EQ(cl::read_bootstrap("").state, cl::BootstrapState::kNoOutput);
  EXPECT_TRUE(cl::read_bootstrap("\r\n\r\n").lines.empty());
}

}  // namespace
}  // namespace awsdl
