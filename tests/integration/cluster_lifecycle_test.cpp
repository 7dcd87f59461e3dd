// The cluster lifecycle against the sandbox, whose CloudFormation really creates the stack's
// resources (groups launching EC2 instances, EFS, the wait condition, rollback, the capacity
// Lambda's behaviour): create with progress, describe, list, resize up and down, delete leaving
// nothing behind, EFS retained, a name that exists, throttling during a create, insufficient
// capacity above and below the minimum, resume after a cancelled create, a resume that finds a
// worker stopped, a given zone (and one outside the region refused), bad specs and oversized
// templates refused before any call, and an oversized template through S3.
#include "awsdl/cluster/lifecycle.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "awsdl/autoscaling/autoscaling.hpp"
#include "awsdl/cloudformation/cloudformation.hpp"
#include "awsdl/ec2/ec2.hpp"
#include "awsdl/efs/efs.hpp"
#include "awsdl/s3/client.hpp"
#include "cluster/lifecycle_internal.hpp"
#include "ec2/ec2_internal.hpp"
#include "protocol/service_client.hpp"
#include "cluster/cluster_words.hpp"  // awsdl-cluster's words for the next steps (examples/cluster)
#include "support/run_process.hpp"
#include "support/tar_test_support.hpp"
#include "support/sandbox.hpp"

namespace awsdl {
namespace {

using namespace std::chrono_literals;
using testsupport::Sandbox;

class ClusterLifecycleSandbox : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(sandbox.ok()) << sandbox.error();
    ASSERT_TRUE(sandbox.reset().ok());
    // Instances boot quickly in tests.
    ASSERT_TRUE(sandbox.control("POST", "/_sandbox/services/ec2/config", R"({"transition_seconds": 0.05})").ok());
    // Another test may have slowed the stacks down (the setting outlives a reset).
    ASSERT_TRUE(sandbox.control("POST", "/_sandbox/services/cloudformation/config", R"({"transition_seconds": 0.05})").ok());
    ASSERT_TRUE(ec2.create_key_pair("team").ok());
    // The staging bucket the specs name exists: create's preflight refuses a missing one.
    ASSERT_TRUE(s3::S3Client(config).create_bucket({.bucket = "team-bucket"}).ok());
  }
  void TearDown() override { (void)sandbox.clear_faults(); }

  static Config fast_config(const Sandbox& s) {
    Config c = s.config();
    c.retry.base_delay = 20ms;
    c.retry.max_backoff = 200ms;
    return c;
  }

  static cluster::ClusterSpec spec(const std::string& name, int workers = 2, int min_workers = 1) {
    cluster::ClusterSpec s{.name = name, .instance_type = "p3.8xlarge", .workers = workers, .min_workers = min_workers,
                           .ssh_cidr = "203.0.113.0/24", .key_name = "team"};
    s.staging_bucket = "team-bucket";
    return s;
  }

  cluster::CreateOptions create_options(std::vector<cluster::ClusterEvent>* events = nullptr) const {
    cluster::CreateOptions o;
    o.poll_interval = 100ms;
    o.deadline = Deadline::after(90s, *config.runtime.clock);
    if (events) o.on_event = [events](const cluster::ClusterEvent& e) { events->push_back(e); };
    return o;
  }
  cluster::DeleteOptions delete_options(bool delete_fs = false) const {
    cluster::DeleteOptions o;
    o.poll_interval = 100ms;
    o.deadline = Deadline::after(90s, *config.runtime.clock);
    o.delete_file_system = delete_fs;
    return o;
  }
  cluster::ResizeOptions resize_options(std::vector<cluster::ClusterEvent>* events = nullptr) const {
    cluster::ResizeOptions o;
    o.poll_interval = 100ms;
    o.deadline = Deadline::after(90s, *config.runtime.clock);
    if (events) o.on_event = [events](const cluster::ClusterEvent& e) { events->push_back(e); };
    return o;
  }

  // Instances of the cluster that are not terminated (pending, running, shutting-down).
  std::vector<ec2::Instance> live_instances(const std::string& name) const {
    auto all = ec2.list_instances({.filters = {{"tag:awsdl:cluster", {name}}}});
    EXPECT_TRUE(all.ok()) << all.error().to_string();
    std::vector<ec2::Instance> out;
    if (all.ok())
      for (const auto& i : *all)
        if (i.state != "terminated") out.push_back(i);
    return out;
  }
  std::size_t groups_of(const std::string& name) const {
    auto groups = asg.describe_groups({.filters = {{"tag:awsdl:cluster", {name}}}});
    EXPECT_TRUE(groups.ok()) << groups.error().to_string();
    return groups.ok() ? groups->size() : 0;
  }
  // EFS DescribeFileSystems: every file system in the sandbox's region.
  std::set<std::string> file_systems() const {
    std::set<std::string> out;
    auto all = efs::EfsClient(config).describe_file_systems();
    EXPECT_TRUE(all.ok()) << all.error().to_string();
    if (all.ok())
      for (const auto& f : *all) out.insert(f.file_system_id);
    return out;
  }
  // EC2 StopInstances / StartInstances (the library has no call for them), signed, through the
  // library's service machinery; then waits until EC2 reports `until`.
  void change_state(const std::string& action, const std::string& id, const std::string& until) const {
    internal::ServiceClient client(config, internal::service_info(internal::Service::kEc2));
    auto q = ec2::detail::ec2_request(action);
    q.add_list("InstanceId", std::vector<std::string>{id});
    auto r = client.call_query(q);
    ASSERT_TRUE(r.ok()) << action << ": " << r.error().to_string();
    std::string state;
    for (int i = 0; i < 200 && state != until; ++i) {
      auto got = ec2.list_instances({.instance_ids = {id}});
      ASSERT_TRUE(got.ok()) << got.error().to_string();
      ASSERT_EQ(got->size(), 1u);
      state = (*got)[0].state;
      if (state != until) std::this_thread::sleep_for(50ms);
    }
    ASSERT_EQ(state, until) << id;
  }
  std::size_t request_count() const {
    auto r = sandbox.requests();
    EXPECT_TRUE(r.ok());
    return r.ok() ? r->size() : 0;
  }

  Sandbox sandbox;
  Config config = fast_config(sandbox);
  cluster::Clusters clusters{config};
  ec2::Ec2Client ec2{config};
  autoscaling::AutoScalingClient asg{config};
  cloudformation::CloudFormationClient cfn{config};
};

TEST_F(ClusterLifecycleSandbox, CreateDescribeListResizeDeleteLeavesNothingButTheFileSystem) {
  ASSERT_TRUE(sandbox.clear_requests().ok());
  std::vector<cluster::ClusterEvent> events;
  auto created = clusters.create(spec("life"), create_options(&events));
  ASSERT_TRUE(created.ok()) << created.error().to_string();

  // The API calls one create makes (the figure the issue asks for).
  auto log = sandbox.requests();
  ASSERT_TRUE(log.ok());
  std::map<std::string, int> by_op;
  for (const auto& r : *log) ++by_op[r.service + ":" + r.operation];
  std::string ops;
  for (const auto& [op, n] : by_op) ops += " " + op + "=" + std::to_string(n);
  std::printf("API calls for one sandbox cluster create (2 workers, poll 100 ms): %zu:%s\n", log->size(), ops.c_str());
  EXPECT_EQ(by_op["cloudformation:CreateStack"], 1);
  EXPECT_EQ(by_op["cloudformation:DescribeStacks"], 1);
  // Instance types: once by the preflight before CreateStack, once for the nodes' GPUs after.
  EXPECT_EQ(by_op["ec2:DescribeInstanceTypes"], 2);
  bool created_stack = false;
  int types_after = 0;
  for (const auto& r : *log) {
    created_stack = created_stack || r.operation == "CreateStack";
    types_after += created_stack && r.operation == "DescribeInstanceTypes";
  }
  EXPECT_EQ(types_after, 1);

  // Progress: stack events, each once and in time order, and worker summary lines.
  std::set<std::string> seen;
  std::string previous;
  bool stack_complete = false, worker_group = false, summary = false;
  for (const auto& e : events) {
    if (e.logical_id.empty()) {
      summary = summary || e.message == "workers 2/2 running";
      continue;
    }
    std::string key = e.timestamp + "|" + e.logical_id + "|" + e.status;
    EXPECT_TRUE(seen.insert(key).second) << "reported twice: " << e.message;
    EXPECT_LE(previous, e.timestamp) << e.message;
    previous = e.timestamp;
    stack_complete = stack_complete || (e.logical_id == "life" && e.status == "CREATE_COMPLETE");
    worker_group = worker_group || (e.logical_id == "WorkerGroup" && e.status == "CREATE_COMPLETE");
  }
  EXPECT_TRUE(stack_complete);
  EXPECT_TRUE(worker_group);
  EXPECT_TRUE(summary) << "no 'workers 2/2 running' line";
  auto last = std::find_if(events.rbegin(), events.rend(), [](const auto& e) { return !e.logical_id.empty(); });
  ASSERT_NE(last, events.rend());
  EXPECT_EQ(last->logical_id + " " + last->status, "life CREATE_COMPLETE") << "the stack's completion comes last";

  // describe: master first, workers after, addresses and the sandbox's GPU count for p3.8xlarge.
  auto info = clusters.describe("life");
  ASSERT_TRUE(info.ok()) << info.error().to_string();
  EXPECT_EQ(info->status, "CREATE_COMPLETE");
  EXPECT_EQ(info->desired_workers, 2);
  EXPECT_EQ(info->min_workers, 1);
  EXPECT_EQ(info->mount_point, "/efs");
  ASSERT_EQ(info->nodes.size(), 3u);
  ASSERT_NE(info->master(), nullptr);
  EXPECT_EQ(info->nodes.front().role, cluster::NodeRole::kMaster);
  EXPECT_FALSE(info->master()->public_ip.empty());
  for (const auto& n : info->nodes) {
    EXPECT_EQ(n.gpus, 4) << n.instance_id;
    EXPECT_EQ(n.instance_type, "p3.8xlarge");
    EXPECT_EQ(n.state, "running");
    EXPECT_FALSE(n.private_ip.empty());
  }
  for (const auto& w : info->workers()) EXPECT_TRUE(w.public_ip.empty()) << "workers live in the private subnet";
  const std::string efs = info->efs_id;
  ASSERT_EQ(efs.rfind("fs-", 0), 0u) << efs;
  EXPECT_TRUE(file_systems().count(efs));

  auto listed = clusters.list();
  ASSERT_TRUE(listed.ok()) << listed.error().to_string();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front().name, "life");
  EXPECT_EQ(listed->front().status, "CREATE_COMPLETE");

  // Resize up, then below the minimum (which follows it down).
  std::vector<cluster::ClusterEvent> resize_events;
  auto up = clusters.resize("life", 3, resize_options(&resize_events));
  ASSERT_TRUE(up.ok()) << up.error().to_string();
  EXPECT_EQ(up->workers().size(), 3u);
  EXPECT_EQ(up->desired_workers, 3);
  bool update_complete = false;
  for (const auto& e : resize_events) {
    EXPECT_NE(e.status, "CREATE_COMPLETE") << "the create's events are not reported again: " << e.message;
    update_complete = update_complete || (e.logical_id == "life" && e.status == "UPDATE_COMPLETE");
  }
  EXPECT_TRUE(update_complete);
  EXPECT_EQ(live_instances("life").size(), 4u);

  auto down = clusters.resize("life", 1, resize_options());
  ASSERT_TRUE(down.ok()) << down.error().to_string();
  EXPECT_EQ(down->workers().size(), 1u);
  EXPECT_EQ(down->min_workers, 1);
  auto stack = cfn.describe_stack("life");
  ASSERT_TRUE(stack.ok());
  EXPECT_EQ(stack->status, "UPDATE_COMPLETE");
  std::size_t running = 0;
  for (const auto& i : live_instances("life")) running += i.state == "running";
  EXPECT_EQ(running, 2u);

  // Delete: no stack, no group, no instance; the file system stays.
  std::vector<cluster::ClusterEvent> delete_events;
  auto del = delete_options();
  del.on_event = [&](const cluster::ClusterEvent& e) { delete_events.push_back(e); };
  auto removed = clusters.remove("life", del);
  ASSERT_TRUE(removed.ok()) << removed.error().to_string();
  bool delete_complete = false, retained = false;
  for (const auto& e : delete_events) {
    delete_complete = delete_complete || (e.logical_id == "life" && e.status == "DELETE_COMPLETE");
    retained = retained || e.message == "file system " + efs + " retained";
  }
  EXPECT_TRUE(delete_complete);
  EXPECT_TRUE(retained);
  auto gone = clusters.describe("life");
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().code, "ClusterNotFound");
  EXPECT_EQ(groups_of("life"), 0u);
  EXPECT_TRUE(live_instances("life").empty() ||
              std::all_of(live_instances("life").begin(), live_instances("life").end(),
                          [](const ec2::Instance& i) { return i.state == "shutting-down"; }));
  EXPECT_TRUE(file_systems().count(efs)) << "the EFS file system is retained";
  auto after = clusters.list();
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->empty());
}

TEST_F(ClusterLifecycleSandbox, DeleteFileSystemWhenAskedAndDeletingAMissingClusterIsNotFound) {
  auto created = clusters.create(spec("fsgone", 1, 1), create_options());
  ASSERT_TRUE(created.ok()) << created.error().to_string();
  const std::string efs = created->efs_id;
  ASSERT_TRUE(file_systems().count(efs));
  auto removed = clusters.remove("fsgone", delete_options(true));
  ASSERT_TRUE(removed.ok()) << removed.error().to_string();
  EXPECT_FALSE(file_systems().count(efs));
  EXPECT_TRUE(live_instances("fsgone").empty() ||
              std::all_of(live_instances("fsgone").begin(), live_instances("fsgone").end(),
                          [](const ec2::Instance& i) { return i.state == "shutting-down"; }));

  auto missing = clusters.remove("fsgone", delete_options());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(missing.error().code, "ClusterNotFound");
}

// What a dry run prints for resize and delete is what they do: the planned calls, in order of
// first use, are the requests a real resize and a real remove (with its file system) make.
TEST_F(ClusterLifecycleSandbox, ThePlansOfResizeAndRemoveAreTheCallsTheyMake) {
  auto created = clusters.create(spec("planned", 1, 1), create_options());
  ASSERT_TRUE(created.ok()) << created.error().to_string();
  auto first_uses_made = [&] {
    std::vector<std::string> out;
    auto log = sandbox.requests();
    EXPECT_TRUE(log.ok());
    if (log.ok())
      for (const auto& r : *log) {
        // The sandbox logs the signing name; plans name the service as awsdl does (awsdl::efs).
        const std::string call = (r.service == "elasticfilesystem" ? "efs" : r.service) + ":" + r.operation;
        if (std::find(out.begin(), out.end(), call) == out.end()) out.push_back(call);
      }
    return out;
  };
  auto first_uses_planned = [](const std::vector<cluster::PlannedCall>& calls) {
    std::vector<std::string> out;
    for (const auto& c : calls)
      if (std::find(out.begin(), out.end(), c.service + ":" + c.operation) == out.end())
        out.push_back(c.service + ":" + c.operation);
    return out;
  };

  auto resize_plan = cluster::plan_resize("planned", 2, resize_options());
  ASSERT_TRUE(resize_plan.ok()) << resize_plan.error().to_string();
  ASSERT_TRUE(sandbox.clear_requests().ok());
  auto resized = clusters.resize("planned", 2, resize_options());
  ASSERT_TRUE(resized.ok()) << resized.error().to_string();
  EXPECT_EQ(first_uses_planned(*resize_plan), first_uses_made());

  auto remove_plan = cluster::plan_remove("planned", delete_options(true));
  ASSERT_TRUE(remove_plan.ok()) << remove_plan.error().to_string();
  ASSERT_TRUE(sandbox.clear_requests().ok());
  auto removed = clusters.remove("planned", delete_options(true));
  ASSERT_TRUE(removed.ok()) << removed.error().to_string();
  EXPECT_EQ(first_uses_planned(*remove_plan), first_uses_made());
  EXPECT_FALSE(file_systems().count(created->efs_id));
}

TEST_F(ClusterLifecycleSandbox, ANameThatExistsIsAnErrorNeverASecondStack) {
  auto first = clusters.create(spec("twice", 1, 1), create_options());
  ASSERT_TRUE(first.ok()) << first.error().to_string();
  auto second = clusters.create(spec("twice", 2, 1), create_options());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, "ClusterExists");
  EXPECT_NE(second.error().next_step(cluster::next_step::kRemove), nullptr);
  EXPECT_NE(awsdl_cluster::render_error(second.error()).find("awsdl-cluster delete --name twice"), std::string::npos)
      << awsdl_cluster::render_error(second.error());
  auto stacks = cfn.describe_stacks();
  ASSERT_TRUE(stacks.ok());
  EXPECT_EQ(stacks->size(), 1u);
  EXPECT_EQ(live_instances("twice").size(), 2u) << "the first cluster is untouched";
}

TEST_F(ClusterLifecycleSandbox, ThrottlingDuringCreateIsSurvived) {
  ASSERT_TRUE(sandbox
                  .set_faults(R"([
    {"service":"cloudformation","operation":"CreateStack","kind":"error","code":"Throttling","status":400,"count":2},
    {"service":"cloudformation","operation":"DescribeStackEvents","kind":"error","code":"Throttling","status":400,"count":4},
    {"service":"autoscaling","operation":"DescribeAutoScalingGroups","kind":"error","code":"Throttling","status":400,"count":2},
    {"service":"ec2","operation":"DescribeInstances","kind":"error","code":"RequestLimitExceeded","status":503,"count":2}])")
                  .ok());
  ASSERT_TRUE(sandbox.clear_requests().ok());
  auto created = clusters.create(spec("throttled"), create_options());
  ASSERT_TRUE(created.ok()) << created.error().to_string();
  EXPECT_EQ(created->workers().size(), 2u);
  auto log = sandbox.requests();
  ASSERT_TRUE(log.ok());
  int throttled = 0, creates_ok = 0;
  for (const auto& r : *log) {
    throttled += r.error_code == "Throttling" || r.error_code == "RequestLimitExceeded";
    creates_ok += r.operation == "CreateStack" && r.status == 200;
  }
  EXPECT_EQ(throttled, 10);
  EXPECT_EQ(creates_ok, 1);
  auto stacks = cfn.describe_stacks();
  ASSERT_TRUE(stacks.ok());
  EXPECT_EQ(stacks->size(), 1u) << "the retried CreateStack made one stack";
}

TEST_F(ClusterLifecycleSandbox, InsufficientCapacityAboveTheMinimumGivesFewerWorkers) {
  // Master plus two workers of the type fit; four workers are wanted, two accepted.
  ASSERT_TRUE(sandbox.control("POST", "/_sandbox/services/autoscaling/capacity", R"({"p3.8xlarge": 3})").ok());
  std::vector<cluster::ClusterEvent> events;
  // One zone: nowhere to move (several zones fall back first: cluster_capacity_test).
  auto s = spec("short", 4, 2);
  s.availability_zone = "us-east-1a";
  auto created = clusters.create(s, create_options(&events));
  ASSERT_TRUE(created.ok()) << created.error().to_string();
  EXPECT_EQ(created->workers().size(), 2u);
  EXPECT_EQ(created->desired_workers, 2) << "the group's desired capacity was lowered to what launched";
  EXPECT_EQ(live_instances("short").size(), 3u);
}

TEST_F(ClusterLifecycleSandbox, InsufficientCapacityBelowTheMinimumFailsAndRollbackLeavesNothing) {
  ASSERT_TRUE(sandbox.control("POST", "/_sandbox/services/autoscaling/capacity", R"({"p3.8xlarge": 2})").ok());
  auto starved = spec("starved", 4, 3);
  starved.availability_zone = "us-east-1a";  // one zone: the create rolls back (no fallback)
  auto created = clusters.create(starved, create_options());
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().code, "ClusterCreateFailed");
  const std::string& m = created.error().message;
  std::printf("below the minimum: %s\n", created.error().to_string().c_str());
  EXPECT_NE(m.find("ROLLBACK_COMPLETE"), std::string::npos) << m;
  EXPECT_NE(m.find("WorkerGroup"), std::string::npos) << m;
  EXPECT_NE(m.find("capacity"), std::string::npos) << m;
  EXPECT_NE(awsdl_cluster::render_error(created.error()).find("awsdl-cluster delete --name starved"), std::string::npos)
      << awsdl_cluster::render_error(created.error());
  EXPECT_EQ(groups_of("starved"), 0u);
  for (const auto& i : live_instances("starved")) EXPECT_EQ(i.state, "shutting-down") << i.instance_id;

  // The rolled-back stack still holds the name until removed.
  auto again = clusters.create(spec("starved", 1, 1), create_options());
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, "ClusterExists");
  auto resumed = clusters.resume("starved", create_options());
  ASSERT_FALSE(resumed.ok());
  EXPECT_NE(awsdl_cluster::render_error(resumed.error()).find("awsdl-cluster delete --name starved"), std::string::npos);
  // The EFS file system is retained by the rollback (DeletionPolicy Retain); removing the
  // rolled-back stack with delete_file_system finds it among the stack's resources.
  EXPECT_EQ(file_systems().size(), 1u);
  auto removed = clusters.remove("starved", delete_options(true));
  ASSERT_TRUE(removed.ok()) << removed.error().to_string();
  auto stacks = cfn.describe_stacks();
  ASSERT_TRUE(stacks.ok());
  EXPECT_TRUE(stacks->empty());
  EXPECT_TRUE(file_systems().empty());
}

// Bootstrap failures say why (issue 16): the master's user data fails (its EFS mount), it
// signals FAILURE, the stack rolls back, and create's error ends with the tail of the master's
// cloud-init output (GetConsoleOutput of the terminated instance), naming the instance.
TEST_F(ClusterLifecycleSandbox, AMasterWhoseBootstrapFailsShowsTheEndOfItsOutput) {
  ASSERT_TRUE(sandbox.control("POST", "/_sandbox/services/ec2/bootstrap-failures",
                              R"({"role": "master", "count": 1, "output": "mount.nfs4: Connection timed out\nawsdl: EFS mount attempt 30 failed, retrying"})")
                  .ok());
  auto created = clusters.create(spec("boot", 1, 1), create_options());
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().code, "ClusterCreateFailed");
  const std::string& m = created.error().message;
  std::printf("%s\n", awsdl_cluster::render_error(created.error()).c_str());
  EXPECT_NE(m.find("MasterGroup"), std::string::npos) << m;
  EXPECT_NE(m.find("the master's bootstrap failed (instance i-"), std::string::npos) << m;
  EXPECT_NE(m.find("\n    mount.nfs4: Connection timed out\n    awsdl: EFS mount attempt 30 failed, retrying\n"),
            std::string::npos) << m;
  const NextStep* step = created.error().next_step(cluster::next_step::kBootstrapTail);
  ASSERT_NE(step, nullptr);
  EXPECT_NE(created.error().next_step(cluster::next_step::kRemove), nullptr);
  const std::string rendered = awsdl_cluster::render_error(created.error());
  EXPECT_NE(rendered.find("aws ec2 get-console-output --instance-id " + step->detail), std::string::npos) << rendered;
  EXPECT_NE(rendered.find("awsdl-cluster delete --name boot"), std::string::npos) << rendered;
  // Dealt with as any failed create: rolled back, nothing left running.
  EXPECT_EQ(groups_of("boot"), 0u);
  for (const auto& i : live_instances("boot")) EXPECT_EQ(i.state, "shutting-down") << i.instance_id;
  // The library call behind it, for the supervisor and the program.
  auto tail = clusters.bootstrap_tail(step->detail, 3);
  ASSERT_TRUE(tail.ok()) << tail.error().to_string();
  EXPECT_EQ(tail->state, cluster::BootstrapState::kFailed);
  EXPECT_EQ(tail->instance_id, step->detail);
  ASSERT_EQ(tail->lines.size(), 3u);
  EXPECT_NE(tail->lines.back().find("Cloud-init v."), std::string::npos);
  EXPECT_EQ(clusters.bootstrap_tail("i-0123456789abcdef0").error().code, "InvalidInstanceID.NotFound");
  ASSERT_TRUE(clusters.remove("boot", delete_options(true)).ok());
}

// A worker whose bootstrap fails never registers: ClusterReady times out, and the error shows
// the worker's output, not the master's (which finished).
TEST_F(ClusterLifecycleSandbox, AWorkerWhoseBootstrapFailsOnCreateIsNamedWithItsOutput) {
  ASSERT_TRUE(sandbox.control("POST", "/_sandbox/services/cloudformation/config", R"({"signal_timeout_seconds": 1})").ok());
  ASSERT_TRUE(sandbox.control("POST", "/_sandbox/services/ec2/bootstrap-failures",
                              R"({"role": "worker", "count": 1, "output": "E: Unable to locate package nfs-common"})")
                  .ok());
  auto created = clusters.create(spec("wboot", 2, 2), create_options());
  ASSERT_TRUE(sandbox.control("POST", "/_sandbox/services/cloudformation/config", R"({"signal_timeout_seconds": 10})").ok());
  ASSERT_FALSE(created.ok());
  const std::string& m = created.error().message;
  EXPECT_EQ(created.error().code, "ClusterCreateFailed") << m;
  EXPECT_NE(m.find("ClusterReady"), std::string::npos) << m;
  EXPECT_NE(m.find("the worker's bootstrap failed (instance i-"), std::string::npos) << m;
  EXPECT_EQ(m.find("the master's bootstrap failed"), std::string::npos) << m;
  EXPECT_NE(m.find("\n    E: Unable to locate package nfs-common\n"), std::string::npos) << m;
  ASSERT_TRUE(clusters.remove("wboot", delete_options(true)).ok());
}

// resize: the new worker's bootstrap fails; resize's error shows its tail (the stack's update
// itself succeeded: the worker runs but never joined). A resize whose workers bootstrap is fine.
TEST_F(ClusterLifecycleSandbox, AResizeWhoseNewWorkerFailsItsBootstrapShowsTheTail) {
  auto created = clusters.create(spec("grow", 1, 1), create_options());
  ASSERT_TRUE(created.ok()) << created.error().to_string();
  std::vector<cluster::ClusterEvent> events;
  auto grown = clusters.resize("grow", 2, resize_options(&events));
  ASSERT_TRUE(grown.ok()) << grown.error().to_string();
  EXPECT_TRUE(std::any_of(events.begin(), events.end(), [](const auto& e) {
    return e.message == "waiting for 1 new worker to bootstrap";
  }));
  ASSERT_TRUE(sandbox.control("POST", "/_sandbox/services/ec2/bootstrap-failures",
                              R"({"role": "worker", "count": 1, "output": "mount.nfs4: access denied by server while mounting fs-1:/"})")
                  .ok());
  auto failed = clusters.resize("grow", 3, resize_options());
  ASSERT_FALSE(failed.ok());
  std::printf("%s\n", awsdl_cluster::render_error(failed.error()).c_str());
  EXPECT_EQ(failed.error().code, "WorkerBootstrapFailed");
  const std::string& m = failed.error().message;
  EXPECT_NE(m.find("the worker's bootstrap failed (instance i-"), std::string::npos) << m;
  EXPECT_NE(m.find("\n    mount.nfs4: access denied by server while mounting fs-1:/\n"), std::string::npos) << m;
  const NextStep* step = failed.error().next_step(cluster::next_step::kBootstrapTail);
  ASSERT_NE(step, nullptr);
  // The failed worker is one of the cluster's, and not one of those there before.
  bool found = false;
  for (const auto& i : live_instances("grow")) found |= i.instance_id == step->detail;
  EXPECT_TRUE(found);
  for (const auto& n : grown->nodes) EXPECT_NE(n.instance_id, step->detail);
  ASSERT_TRUE(clusters.remove("grow", delete_options(true)).ok());
}

// A console that cannot be read (no ec2:GetConsoleOutput permission here) does not fail a
// resize whose workers are InService: it is said in an event. (A console only posted around
// state changes, a non-Nitro instance's, is treated the same way.)
TEST_F(ClusterLifecycleSandbox, AResizeWhoseConsolesCannotBeReadSaysSoAndSucceeds) {
  auto created = clusters.create(spec("blind", 1, 1), create_options());
  ASSERT_TRUE(created.ok()) << created.error().to_string();
  ASSERT_TRUE(sandbox.set_faults(
      R"({"service":"ec2","operation":"GetConsoleOutput","kind":"error","code":"UnauthorizedOperation","status":403,"count":100})"));
  std::vector<cluster::ClusterEvent> events;
  auto grown = clusters.resize("blind", 2, resize_options(&events));
  ASSERT_TRUE(sandbox.clear_faults());
  ASSERT_TRUE(grown.ok()) << grown.error().to_string();
  EXPECT_EQ(grown->workers().size(), 2u);
  EXPECT_TRUE(std::any_of(events.begin(), events.end(), [](const auto& e) {
    return e.message.find("cannot follow i-") != std::string::npos &&
           e.message.find("its console cannot be read (UnauthorizedOperation") != std::string::npos;
  })) << "the unread console is said";
  ASSERT_TRUE(clusters.remove("blind", delete_options(true)).ok());
}

// Autostop with --delete: set_autostop gives the instance role the delete policy alone (and
// takes it away), and the watcher's script, run here with this machine's AWS CLI against the
// sandbox (as on the master, where the endpoint goes with it), deletes the stack once idle.
TEST_F(ClusterLifecycleSandbox, AutostopDeleteGetsOnlyItsPermissionAndTheWatcherDeletesTheStack) {
  auto created = clusters.create(spec("idle", 1, 1), create_options());
  ASSERT_TRUE(created.ok()) << created.error().to_string();
  EXPECT_EQ(created->autostop, cluster::AutostopAction::kOff);
  auto policies = [&] {
    std::set<std::string> out;
    auto rs = cfn.describe_stack_resources("idle");
    EXPECT_TRUE(rs.ok()) << rs.error().to_string();
    if (rs.ok())
      for (const auto& r : *rs)
        if (r.logical_id.rfind("Autostop", 0) == 0) out.insert(r.logical_id);
    return out;
  };
  EXPECT_TRUE(policies().empty());
  auto on = clusters.set_autostop("idle", cluster::AutostopAction::kDeleteStack, resize_options());
  ASSERT_TRUE(on.ok()) << on.error().to_string();
  EXPECT_EQ(on->autostop, cluster::AutostopAction::kDeleteStack);
  EXPECT_EQ(policies(), std::set<std::string>{"AutostopDeletePolicy"});
  auto off = clusters.set_autostop("idle", cluster::AutostopAction::kOff, resize_options());
  ASSERT_TRUE(off.ok()) << off.error().to_string();
  EXPECT_TRUE(policies().empty());
  EXPECT_EQ(off->desired_workers, 1) << "the update changes nothing else";
  auto again = clusters.set_autostop("idle", cluster::AutostopAction::kDeleteStack, resize_options());
  ASSERT_TRUE(again.ok()) << again.error().to_string();
  EXPECT_EQ(clusters.set_autostop("nope", cluster::AutostopAction::kOff).error().code, "ClusterNotFound");

  cluster::AutostopSettings s;
  s.cluster = "idle";
  s.region = "us-east-1";
  s.stack = again->stack_id;
  s.action = cluster::AutostopAction::kDeleteStack;
  s.idle = 1s;
  s.interval = 1s;
  s.aws = "/usr/bin/aws";
  testing_support::ScratchDir dir;
  s.status_path = (dir / "autostop.status").string();
  auto script = cluster::autostop_script(s);
  ASSERT_TRUE(script.ok()) << script.error().to_string();
  auto env = Sandbox::cli_env(dir.path().string());
  env["AWS_ENDPOINT_URL"] = sandbox.endpoint();
  env["PATH"] = "/usr/bin:/bin";
  auto watched = testsupport::run_process("/bin/bash", {"-c", *script}, env, 60s);
  ASSERT_EQ(watched.exit_code, 0) << watched.out << watched.err;
  std::ifstream in(s.status_path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto st = cluster::read_autostop_status(text);
  ASSERT_TRUE(st.ok()) << st.error().to_string() << ": " << text;
  EXPECT_EQ(st->state, cluster::AutostopState::kDeleted) << text;
  EXPECT_GE(st->idle_for, Millis(1s));
  EXPECT_EQ(st->jobs, 0);
  // The deletion runs; the stack goes.
  for (int i = 0; i < 100; ++i) {
    auto stacks = cfn.describe_stacks();
    ASSERT_TRUE(stacks.ok());
    if (stacks->empty()) break;
    std::this_thread::sleep_for(100ms);
  }
  auto gone = clusters.describe("idle");
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().code, "ClusterNotFound");
}

TEST_F(ClusterLifecycleSandbox, ACancelledCreateIsResumed) {
  CancellationSource source;
  auto opts = create_options();
  opts.cancel = source.token();
  opts.on_event = [&](const cluster::ClusterEvent& e) {
    if (e.logical_id == "resumed" && e.status == "CREATE_IN_PROGRESS") source.cancel();
  };
  auto first = clusters.create(spec("resumed"), opts);
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.error().kind, ErrorKind::kCancelled);
  EXPECT_NE(first.error().message.find("resume"), std::string::npos) << first.error().message;
  auto stack = cfn.describe_stack("resumed");
  ASSERT_TRUE(stack.ok());
  EXPECT_EQ(stack->status, "CREATE_IN_PROGRESS");

  std::vector<cluster::ClusterEvent> events;
  auto resumed = clusters.resume("resumed", create_options(&events));
  ASSERT_TRUE(resumed.ok()) << resumed.error().to_string();
  EXPECT_EQ(resumed->status, "CREATE_COMPLETE");
  EXPECT_EQ(resumed->workers().size(), 2u);
  bool complete = false;
  for (const auto& e : events) complete = complete || (e.logical_id == "resumed" && e.status == "CREATE_COMPLETE");
  EXPECT_TRUE(complete);
  // Resuming a complete cluster just describes it.
  auto again = clusters.resume("resumed", create_options());
  ASSERT_TRUE(again.ok()) << again.error().to_string();
  EXPECT_EQ(again->nodes.size(), 3u);
}

// Auto Scaling keeps a stopped instance InService: a resume must still see that the worker
// does not run, and say which one and how to start it.
TEST_F(ClusterLifecycleSandbox, AResumeCountsAStoppedWorkerAsNotRunning) {
  auto created = clusters.create(spec("stopper", 2, 2), create_options());
  ASSERT_TRUE(created.ok()) << created.error().to_string();
  ASSERT_EQ(created->workers().size(), 2u);
  const std::string worker = created->workers()[0].instance_id;
  change_state("StopInstances", worker, "stopped");
  auto group = asg.describe_group("stopper-workers");
  ASSERT_TRUE(group.ok()) << group.error().to_string();
  for (const auto& i : group->instances) EXPECT_EQ(i.lifecycle_state, "InService") << i.instance_id;

  std::vector<cluster::ClusterEvent> events;
  auto resumed = clusters.resume("stopper", create_options(&events));
  std::string lines;
  for (const auto& e : events) lines += e.message + "\n";
  ASSERT_FALSE(resumed.ok()) << "a cluster with a stopped worker was resumed as ready:\n" << lines;
  EXPECT_EQ(resumed.error().code, "WorkerShortfall");
  // As awsdl-cluster prints it: the message, then the next steps in its words.
  const std::string m = awsdl_cluster::render_error(resumed.error());
  std::printf("resume with a stopped worker: %s", m.c_str());
  EXPECT_EQ(resumed.error().message.find("aws ec2"), std::string::npos) << resumed.error().message;
  ASSERT_NE(resumed.error().next_step(ec2::next_step::kStartInstances), nullptr);
  EXPECT_EQ(resumed.error().next_step(ec2::next_step::kStartInstances)->detail, worker);
  for (const std::string& want : std::vector<std::string>{"only 1 of 2 workers run", "stopped (" + worker + ")",
                                 "aws ec2 start-instances --instance-ids " + worker, "--resume --name stopper"})
    EXPECT_NE(m.find(want), std::string::npos) << want << " not in: " << m;
  EXPECT_EQ(lines.find("workers 2/2 running"), std::string::npos) << lines;
  EXPECT_NE(lines.find("workers 1/2 running, 1 stopped"), std::string::npos) << lines;

  // Started again, the cluster is whole.
  change_state("StartInstances", worker, "running");
  events.clear();
  auto again = clusters.resume("stopper", create_options(&events));
  ASSERT_TRUE(again.ok()) << again.error().to_string();
  for (const auto& w : again->workers()) EXPECT_EQ(w.state, "running") << w.instance_id;
  bool whole = false;
  for (const auto& e : events) whole = whole || e.message == "workers 2/2 running";
  EXPECT_TRUE(whole);
}

// A given zone reaches the stack as its AvailabilityZone parameter, and every node is in it.
TEST_F(ClusterLifecycleSandbox, AGivenZoneHoldsEveryNode) {
  auto s = spec("zoned", 1, 1);
  s.availability_zone = "us-east-1b";
  auto created = clusters.create(s, create_options());
  ASSERT_TRUE(created.ok()) << created.error().to_string();
  ASSERT_EQ(created->nodes.size(), 2u);
  for (const auto& n : created->nodes) EXPECT_EQ(n.availability_zone, "us-east-1b") << n.instance_id;
  auto stack = cfn.describe_stack("zoned");
  ASSERT_TRUE(stack.ok());
  EXPECT_EQ(internal::lifecycle::stack_parameter(*stack, cluster::names::kAvailabilityZone), "us-east-1b");
}

TEST_F(ClusterLifecycleSandbox, ACancelledCreateIsRemoved) {
  // Slow resources, so the stack is surely still creating when remove() starts.
  ASSERT_TRUE(sandbox.control("POST", "/_sandbox/services/cloudformation/config", R"({"transition_seconds": 0.5})").ok());
  CancellationSource source;
  auto opts = create_options();
  opts.cancel = source.token();
  opts.on_event = [&](const cluster::ClusterEvent& e) {
    if (e.logical_id == "halfway" && e.status == "CREATE_IN_PROGRESS") source.cancel();
  };
  auto first = clusters.create(spec("halfway"), opts);
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.error().kind, ErrorKind::kCancelled);
  auto removed = clusters.remove("halfway", delete_options());
  ASSERT_TRUE(removed.ok()) << removed.error().to_string();
  auto stacks = cfn.describe_stacks();
  ASSERT_TRUE(stacks.ok());
  EXPECT_TRUE(stacks->empty());
  EXPECT_EQ(groups_of("halfway"), 0u);
  for (const auto& i : live_instances("halfway")) EXPECT_EQ(i.state, "shutting-down") << i.instance_id;
  ASSERT_TRUE(sandbox.control("POST", "/_sandbox/services/cloudformation/config", R"({"transition_seconds": 0.05})").ok());
}

TEST_F(ClusterLifecycleSandbox, BadSpecsAndOversizedTemplatesWithoutABucketMakeNoRequest) {
  ASSERT_TRUE(sandbox.clear_requests().ok());
  auto bad_cidr = spec("bad");
  bad_cidr.ssh_cidr = "203.0.113.0/33";
  auto bad_type = spec("bad");
  bad_type.instance_type = "P3 large";
  auto zero = spec("bad", 0, 0);
  auto negative = spec("bad", -2, 1);
  auto bad_name = spec("bad_name");
  auto min_over = spec("bad", 2, 5);
  auto other_region = spec("bad");
  other_region.availability_zone = "eu-west-1a";  // the sandbox's region is us-east-1
  for (const auto& s : {bad_cidr, bad_type, zero, negative, bad_name, min_over, other_region}) {
    auto r = clusters.create(s, create_options());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::kInvalidArgument) << r.error().to_string();
  }
  auto zone = clusters.create(other_region, create_options());
  ASSERT_FALSE(zone.ok());
  EXPECT_EQ(zone.error().code, "ZoneNotInRegion") << zone.error().to_string();
  auto big = spec("big");
  big.staging_bucket.clear();
  auto tpl = cluster::build_template(big);
  ASSERT_TRUE(tpl.ok());
  tpl->body.insert(tpl->body.find("\"Description\":\"") + 15, std::string(cluster::kMaxTemplateBodyBytes, 'x'));
  internal::lifecycle::Clients c(config);
  auto r = internal::lifecycle::create_with_template(c, big, *tpl, create_options());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "TemplateTooLarge");
  EXPECT_EQ(request_count(), 0u) << "no request reached the sandbox";
}

TEST_F(ClusterLifecycleSandbox, AnOversizedTemplateGoesThroughS3) {
  s3::S3Client s3(config);
  ASSERT_TRUE(s3.create_bucket({.bucket = "cfn-templates"}).ok());
  auto big = spec("viaurl", 1, 1);
  auto tpl = cluster::build_template(big);
  ASSERT_TRUE(tpl.ok());
  tpl->body.insert(tpl->body.find("\"Description\":\"") + 15, std::string(cluster::kMaxTemplateBodyBytes, 'x'));
  ASSERT_TRUE(tpl->needs_s3());
  ASSERT_TRUE(sandbox.clear_requests().ok());
  internal::lifecycle::Clients c(config);
  auto opts = create_options();
  opts.template_bucket = "cfn-templates";
  auto created = internal::lifecycle::create_with_template(c, big, *tpl, opts);
  ASSERT_TRUE(created.ok()) << created.error().to_string();
  EXPECT_EQ(created->workers().size(), 1u);
  auto log = sandbox.requests();
  ASSERT_TRUE(log.ok());
  ASSERT_GE(log->size(), 2u);
  EXPECT_EQ((*log)[0].operation, "PutObject");
  EXPECT_EQ((*log)[1].operation, "CreateStack");
  auto stored = cfn.get_template("viaurl");
  ASSERT_TRUE(stored.ok()) << stored.error().to_string();
  EXPECT_EQ(stored->size(), tpl->body.size());
  auto objects = s3.list_all_objects("cfn-templates", "awsdl/templates/viaurl-");
  ASSERT_TRUE(objects.ok());
  EXPECT_EQ(objects->size(), 1u);
}

}  // namespace
}  // namespace awsdl
