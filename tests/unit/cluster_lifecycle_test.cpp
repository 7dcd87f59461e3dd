// The cluster lifecycle on a fake transport and a manual clock: the event feed (each event
// once, in time order), the worker shortfall rule, errors before any call, and the create /
// remove flows against a scripted CloudFormation, Auto Scaling and EC2.
#include "awsdl/cluster/lifecycle.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "awsdl/cluster/template.hpp"
#include "cluster/cluster_words.hpp"  // awsdl-cluster's words for the next steps (examples/cluster)
#include "cluster/lifecycle_internal.hpp"
#include "support/cluster_specs.hpp"
#include "support/fake_harness.hpp"

namespace awsdl {
namespace {

using namespace std::chrono_literals;
using cloudformation::StackEvent;
using internal::lifecycle::EventFeed;
using internal::lifecycle::WorkerCounts;
using internal::lifecycle::WorkerVerdict;

constexpr const char* kStackId = "arn:aws:cloudformation:us-east-1:123456789012:stack/maskrcnn/1";

StackEvent ev(std::string id, std::string logical, std::string status, std::string reason = {},
              std::string type = "AWS::EC2::VPC", std::string physical = {}) {
  StackEvent e;
  e.event_id = std::move(id);
  e.stack_name = "maskrcnn";
  e.logical_id = std::move(logical);
  e.status = std::move(status);
  e.status_reason = std::move(reason);
  e.resource_type = std::move(type);
  e.physical_id = std::move(physical);
  return e;
}

StackEvent stack_ev(std::string id, std::string status, std::string reason = {}) {
  return ev(std::move(id), "maskrcnn", std::move(status), std::move(reason), "AWS::CloudFormation::Stack", kStackId);
}

std::vector<std::string> ids(const std::vector<StackEvent>& v) {
  std::vector<std::string> out;
  for (const auto& e : v) out.push_back(e.event_id);
  return out;
}

// ---- the event feed

TEST(EventFeed, ReportsEachEventOnceOldestFirst) {
  EventFeed feed;
  bool complete = false;
  // Pages come newest first; every poll sees what the previous one saw plus newer events.
  auto first = feed.take({ev("e2", "Vpc", "CREATE_IN_PROGRESS"), stack_ev("e1", "CREATE_IN_PROGRESS")}, 100, complete);
  EXPECT_TRUE(complete);
  EXPECT_EQ(ids(first), (std::vector<std::string>{"e1", "e2"}));
  auto second = feed.take({ev("e4", "Subnet", "CREATE_IN_PROGRESS"), ev("e3", "Vpc", "CREATE_COMPLETE"),
                           ev("e2", "Vpc", "CREATE_IN_PROGRESS"), stack_ev("e1", "CREATE_IN_PROGRESS")},
                          100, complete);
  EXPECT_TRUE(complete);
  EXPECT_EQ(ids(second), (std::vector<std::string>{"e3", "e4"}));
  auto none = feed.take({ev("e4", "Subnet", "CREATE_IN_PROGRESS"), ev("e3", "Vpc", "CREATE_COMPLETE")}, 100, complete);
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(ids(feed.history()), (std::vector<std::string>{"e1", "e2", "e3", "e4"}));
}

TEST(EventFeed, PrimedEventsAndOlderOnesAreNeverReported) {
  EventFeed feed;
  feed.prime({stack_ev("c9", "CREATE_COMPLETE"), ev("c8", "Vpc", "CREATE_COMPLETE")});
  bool complete = false;
  // c1 is older than the primed page: scanning stops at the first known event.
  auto fresh = feed.take({stack_ev("u2", "UPDATE_IN_PROGRESS"), stack_ev("c9", "CREATE_COMPLETE"),
                          ev("c8", "Vpc", "CREATE_COMPLETE"), ev("c1", "Vpc", "CREATE_IN_PROGRESS")},
                         100, complete);
  EXPECT_TRUE(complete);
  EXPECT_EQ(ids(fresh), (std::vector<std::string>{"u2"}));
}

TEST(EventFeed, AFullPageWithNothingKnownAsksForEveryPage) {
  EventFeed feed;
  feed.prime({ev("old", "Vpc", "CREATE_COMPLETE")});
  std::vector<StackEvent> page;
  for (int i = 4; i >= 1; --i) page.push_back(ev("n" + std::to_string(i), "Vpc", "UPDATE_IN_PROGRESS"));
  bool complete = true;
  auto fresh = feed.take(page, 4, complete);  // a page of 4 is "full" here
  EXPECT_FALSE(complete);
  EXPECT_TRUE(fresh.empty()) << "nothing is taken from an incomplete page";
  page.push_back(ev("n0", "Vpc", "UPDATE_IN_PROGRESS"));
  page.push_back(ev("old", "Vpc", "CREATE_COMPLETE"));
  fresh = feed.take(page, 0, complete);
  EXPECT_TRUE(complete);
  EXPECT_EQ(ids(fresh), (std::vector<std::string>{"n0", "n1", "n2", "n3", "n4"}));
}

TEST(EventFeed, StackStatusAndFailureReasonsComeFromTheEvents) {
  std::vector<StackEvent> h = {stack_ev("1", "CREATE_IN_PROGRESS", "User Initiated"),
                               ev("2", "WorkerGroup", "CREATE_FAILED", "Resource creation cancelled",
                                  "AWS::AutoScaling::AutoScalingGroup"),
                               ev("3", "ClusterReady", "CREATE_FAILED", "only 1 of 4 workers launched (minimum 2)",
                                  "AWS::CloudFormation::WaitCondition"),
                               stack_ev("4", "ROLLBACK_IN_PROGRESS", "The following resource(s) failed to create"),
                               stack_ev("5", "ROLLBACK_COMPLETE")};
  EXPECT_EQ(internal::lifecycle::stack_status_from(h, kStackId, "maskrcnn"), "ROLLBACK_COMPLETE");
  EXPECT_EQ(internal::lifecycle::stack_status_from({h[1], h[2]}, kStackId, "maskrcnn"), "");
  EXPECT_EQ(internal::lifecycle::failure_reasons(h),
            "ClusterReady (AWS::CloudFormation::WaitCondition) CREATE_FAILED: only 1 of 4 workers launched (minimum 2)");
}

// ---- the shortfall rule

WorkerCounts counts(int wanted, int minimum, int desired, int in_service, int pending, int leaving = 0) {
  WorkerCounts c;
  c.wanted = wanted;
  c.minimum = minimum;
  c.desired = desired;
  c.in_service = in_service;
  c.pending = pending;
  c.leaving = leaving;
  return c;
}

TEST(WorkerVerdict, ShortfallDownToTheMinimumIsAccepted) {
  using internal::lifecycle::worker_verdict;
  EXPECT_EQ(worker_verdict(counts(4, 2, 4, 4, 0)), WorkerVerdict::kReady);
  EXPECT_EQ(worker_verdict(counts(4, 2, 4, 3, 1)), WorkerVerdict::kWait);
  // The capacity Lambda lowered desired to what launched, at or above the minimum.
  EXPECT_EQ(worker_verdict(counts(4, 2, 3, 3, 0)), WorkerVerdict::kReady);
  EXPECT_EQ(worker_verdict(counts(4, 2, 2, 2, 0)), WorkerVerdict::kReady);
  // Nothing under way, desired not lowered: acceptable once it stays so.
  EXPECT_EQ(worker_verdict(counts(4, 2, 4, 3, 0)), WorkerVerdict::kShortfall);
  EXPECT_EQ(worker_verdict(counts(4, 2, 4, 1, 0)), WorkerVerdict::kBelowMinimum);
  EXPECT_EQ(worker_verdict(counts(4, 2, 1, 1, 0)), WorkerVerdict::kBelowMinimum);
  // A resize down is done when the extra instances have left.
  EXPECT_EQ(worker_verdict(counts(2, 2, 2, 2, 0, 2)), WorkerVerdict::kWait);
  EXPECT_EQ(worker_verdict(counts(2, 2, 2, 2, 0, 0)), WorkerVerdict::kReady);
}

TEST(WorkerVerdict, CountsGroupInstancesByLifecycle) {
  autoscaling::Group g;
  g.desired_capacity = 4;
  int n = 0;
  for (const char* s : {"InService", "InService", "Pending", "Pending:Wait", "Terminating", "Terminating:Wait"})
    g.instances.push_back({.instance_id = "i-" + std::to_string(n++), .lifecycle_state = s});
  EXPECT_EQ(internal::lifecycle::in_service_ids(g), (std::vector<std::string>{"i-0", "i-1"}));
  auto c = internal::lifecycle::count_workers(g, 4, 2, {{"i-0", "running"}, {"i-1", "running"}});
  EXPECT_EQ(c.in_service, 2);
  EXPECT_EQ(c.pending, 2);
  EXPECT_EQ(c.leaving, 2);
  EXPECT_EQ(internal::lifecycle::describe_counts(c), "workers 2/4 running, 2 pending, 2 terminating");
}

// Auto Scaling keeps a stopped instance InService until its health check replaces it: only
// EC2 says whether the worker runs.
TEST(WorkerVerdict, AnInServiceWorkerRunsOnlyWhenEc2SaysRunning) {
  using internal::lifecycle::worker_verdict;
  autoscaling::Group g;
  g.desired_capacity = 4;
  for (const char* id : {"i-run", "i-stopped", "i-stopping", "i-unseen"})
    g.instances.push_back({.instance_id = id, .lifecycle_state = "InService"});
  internal::lifecycle::InstanceStates states = {{"i-run", "running"}, {"i-stopped", "stopped"}, {"i-stopping", "stopping"}};
  auto c = internal::lifecycle::count_workers(g, 4, 2, states);
  EXPECT_EQ(c.in_service, 1);
  EXPECT_EQ(c.stopped, 2);
  EXPECT_EQ(c.stopped_ids, (std::vector<std::string>{"i-stopped", "i-stopping"}));
  EXPECT_EQ(c.pending, 1) << "an instance EC2 does not show yet is waited for";
  EXPECT_EQ(internal::lifecycle::describe_counts(c), "workers 1/4 running, 1 pending, 2 stopped");
  EXPECT_EQ(worker_verdict(c), WorkerVerdict::kWait);

  states["i-unseen"] = "running";
  c = internal::lifecycle::count_workers(g, 4, 2, states);
  EXPECT_EQ(internal::lifecycle::describe_counts(c), "workers 2/4 running, 2 stopped");
  EXPECT_EQ(worker_verdict(c), WorkerVerdict::kShortfall) << "stopped workers never make the cluster ready by count";
  c = internal::lifecycle::count_workers(g, 4, 3, states);
  EXPECT_EQ(worker_verdict(c), WorkerVerdict::kBelowMinimum);
  states["i-stopped"] = "shutting-down";
  c = internal::lifecycle::count_workers(g, 4, 2, states);
  EXPECT_EQ(c.leaving, 1);
  EXPECT_EQ(worker_verdict(c), WorkerVerdict::kWait);
}

// ---- errors before any call

TEST(ClusterLifecycle, BadSpecsAreRefusedBeforeAnyCall) {
  testsupport::FakeHarness h("us-east-1");
  cluster::Clusters clusters(h.config);
  auto bad_cidr = testing::default_cluster_spec();
  bad_cidr.ssh_cidr = "10.0.0.300/8";
  auto bad_type = testing::default_cluster_spec();
  bad_type.instance_type = "not a type";
  auto zero = testing::default_cluster_spec();
  zero.workers = 0;
  auto negative_min = testing::default_cluster_spec();
  negative_min.min_workers = -1;
  auto bad_name = testing::default_cluster_spec();
  bad_name.name = "1-starts-with-a-digit";
  for (const auto& spec : {bad_cidr, bad_type, zero, negative_min, bad_name}) {
    auto r = clusters.create(spec);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::kInvalidArgument) << r.error().to_string();
  }
  EXPECT_FALSE(clusters.resize("maskrcnn", 0).ok());
  EXPECT_FALSE(clusters.describe("no_underscores").ok());
  EXPECT_FALSE(clusters.remove("").ok());
  EXPECT_EQ(h.transport->request_count(), 0u);
}

TEST(ClusterLifecycle, ZonesBelongToTheRegionTheyAreNamedAfter) {
  using cluster::zone_in_region;
  EXPECT_TRUE(zone_in_region("eu-west-1b", "eu-west-1"));
  EXPECT_TRUE(zone_in_region("us-east-1f", "us-east-1"));
  EXPECT_TRUE(zone_in_region("us-west-2-lax-1a", "us-west-2"));        // a Local Zone
  EXPECT_TRUE(zone_in_region("us-east-1-wl1-bos-wlz-1", "us-east-1"));  // a Wavelength Zone
  EXPECT_FALSE(zone_in_region("us-east-1a", "eu-west-1"));
  EXPECT_FALSE(zone_in_region("us-east-1a", "us-east-2"));
  EXPECT_FALSE(zone_in_region("us-east-2a", "us-east-1"));
  EXPECT_FALSE(zone_in_region("us-east-12a", "us-east-1"));
  EXPECT_FALSE(zone_in_region("us-east-1", "us-east-1"));
  EXPECT_FALSE(zone_in_region("us-east-1-", "us-east-1"));
  EXPECT_FALSE(zone_in_region("us-east-1ab", "us-east-1"));
  EXPECT_FALSE(zone_in_region("eu-west-1b", ""));
}

TEST(ClusterLifecycle, AZoneOutsideTheRegionIsRefusedBeforeAnyCall) {
  testsupport::FakeHarness h("eu-west-1");
  cluster::Clusters clusters(h.config);
  auto spec = testing::default_cluster_spec();
  spec.availability_zone = "us-east-1a";
  auto r = clusters.create(spec);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(r.error().code, "ZoneNotInRegion");
  const std::string& m = r.error().message;
  std::printf("zone outside the region: %s\n", r.error().to_string().c_str());
  for (const char* want : {"us-east-1a", "region eu-west-1", "eu-west-1a", "availability_zone", "region us-east-1"})
    EXPECT_NE(m.find(want), std::string::npos) << want << " not in: " << m;
  // Where the zone does belong: a region to use, as a fact the program puts in its words.
  EXPECT_EQ(r.error().next_steps, (std::vector<NextStep>{{next_step::kSetRegion, "us-east-1"}}));
  EXPECT_NE(awsdl_cluster::render_error(r.error()).find("next: use --region us-east-1"), std::string::npos)
      << awsdl_cluster::render_error(r.error());
  EXPECT_EQ(m.find("--"), std::string::npos) << m;
  EXPECT_EQ(h.transport->request_count(), 0u);
  // No zone, or a zone of the region, passes the check (no region: nothing to check against).
  spec.availability_zone = "eu-west-1c";
  EXPECT_TRUE(cluster::check_zone(spec, "eu-west-1").ok());
  spec.availability_zone.clear();
  EXPECT_TRUE(cluster::check_zone(spec, "eu-west-1").ok());
  spec.availability_zone = "us-east-1a";
  EXPECT_TRUE(cluster::check_zone(spec, "").ok());
}

cluster::StackTemplate oversized_template(const cluster::ClusterSpec& spec) {
  auto tpl = cluster::build_template(spec);
  EXPECT_TRUE(tpl.ok());
  cluster::StackTemplate t = *tpl;
  // A description long enough to pass the body limit; the rest of the template is intact.
  auto at = t.body.find("\"Description\":\"");
  t.body.insert(at + 15, std::string(cluster::kMaxTemplateBodyBytes, 'x'));
  EXPECT_TRUE(t.needs_s3());
  return t;
}

TEST(ClusterLifecycle, TemplateTooLargeWithoutABucketIsRefusedBeforeAnyCall) {
  testsupport::FakeHarness h("us-east-1");
  internal::lifecycle::Clients c(h.config);
  auto spec = testing::default_cluster_spec();
  spec.staging_bucket.clear();
  auto r = internal::lifecycle::create_with_template(c, spec, oversized_template(spec), {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "TemplateTooLarge");
  EXPECT_NE(r.error().message.find("template_bucket"), std::string::npos) << r.error().message;
  // A bucket to give, as a next step; awsdl-cluster names its flag for it.
  EXPECT_EQ(r.error().next_steps, (std::vector<NextStep>{{cluster::next_step::kTemplateBucket, ""}}));
  EXPECT_NE(awsdl_cluster::render_error(r.error()).find("next: give --template-bucket BUCKET"), std::string::npos)
      << awsdl_cluster::render_error(r.error());
  EXPECT_EQ(r.error().message.find("--"), std::string::npos) << r.error().message;
  EXPECT_EQ(h.transport->request_count(), 0u);
}

TEST(ClusterLifecycle, TemplateUrlIsPathStyleOnTheS3Endpoint) {
  testsupport::FakeHarness h("us-east-1");
  h.config.endpoint_url = "http://127.0.0.1:4566";
  auto url = internal::lifecycle::template_url(h.config, "team-bucket", "awsdl/templates/maskrcnn-0123.json");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(*url, "http://127.0.0.1:4566/team-bucket/awsdl/templates/maskrcnn-0123.json");
  EXPECT_EQ(internal::lifecycle::template_key("p/", "c", "body"), internal::lifecycle::template_key("p/", "c", "body"));
  EXPECT_NE(internal::lifecycle::template_key("p/", "c", "body"), internal::lifecycle::template_key("p/", "c", "other"));
}

// ---- a scripted AWS

std::string query_response(const std::string& action, const std::string& result) {
  return "<" + action + "Response xmlns=\"http://example/\"><" + action + "Result>" + result + "</" + action +
         "Result><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></" + action + "Response>";
}

std::string event_xml(const StackEvent& e) {
  return "<member><EventId>" + e.event_id + "</EventId><StackName>maskrcnn</StackName><StackId>" + kStackId +
         "</StackId><LogicalResourceId>" + e.logical_id + "</LogicalResourceId><PhysicalResourceId>" + e.physical_id +
         "</PhysicalResourceId><ResourceType>" + e.resource_type + "</ResourceType><Timestamp>2024-01-01T00:00:" +
         e.event_id.substr(1) + "Z</Timestamp><ResourceStatus>" + e.status + "</ResourceStatus>" +
         (e.status_reason.empty() ? "" : "<ResourceStatusReason>" + e.status_reason + "</ResourceStatusReason>") +
         "</member>";
}

std::string group_xml(const std::string& name, int desired, const std::vector<std::pair<std::string, std::string>>& inst) {
  std::string members;
  for (const auto& [id, state] : inst)
    members += "<member><InstanceId>" + id + "</InstanceId><InstanceType>p3.16xlarge</InstanceType><AvailabilityZone>"
               "us-east-1a</AvailabilityZone><LifecycleState>" + state + "</LifecycleState><HealthStatus>Healthy"
               "</HealthStatus></member>";
  return "<member><AutoScalingGroupName>" + name + "</AutoScalingGroupName><MinSize>1</MinSize><MaxSize>4</MaxSize>"
         "<DesiredCapacity>" + std::to_string(desired) + "</DesiredCapacity><Instances>" + members + "</Instances></member>";
}

std::string two(int v) { return (v < 10 ? "0" : "") + std::to_string(v); }

std::string instance_xml(const std::string& id, const std::string& ip, const std::string& public_ip, int second,
                         const std::string& state = "running") {
  const std::string code = state == "running" ? "16" : state == "stopped" ? "80" : state == "stopping" ? "64" : "0";
  return "<item><instanceId>" + id + "</instanceId><instanceType>p3.16xlarge</instanceType><instanceState><code>" +
         code + "</code><name>" + state + "</name></instanceState><privateIpAddress>" + ip + "</privateIpAddress>" +
         (public_ip.empty() ? "" : "<ipAddress>" + public_ip + "</ipAddress>") +
         "<launchTime>2024-01-01T" + two(second / 3600) + ":" + two(second / 60 % 60) + ":" + two(second % 60) +
         ".000Z</launchTime><placement><availabilityZone>"
         "us-east-1a</availabilityZone></placement></item>";
}

std::string action_of(const http::Request& r) {
  // JSON services (the preflight's Service Quotas and SSM) name the operation in a header;
  // S3's HeadBucket is a HEAD.
  if (const std::string target(r.headers.get("X-Amz-Target").value_or("")); !target.empty()) return target.substr(target.find('.') + 1);
  if (r.method == "HEAD") return "HeadBucket";
  auto at = r.body.find("Action=");
  if (at == std::string::npos) return r.method + " " + r.path;
  auto end = r.body.find('&', at);
  return r.body.substr(at + 7, end == std::string::npos ? std::string::npos : end - at - 7);
}

http::Response ok(std::string body, int status = 200) {
  http::Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

// CloudFormation whose events arrive in batches, one batch per DescribeStackEvents call;
// Auto Scaling groups "maskrcnn-master" (1) and "maskrcnn-workers" (`workers` InService).
struct ScriptedAws {
  testsupport::FakeHarness h{"us-east-1"};
  std::vector<std::vector<StackEvent>> batches;  // oldest first within a batch
  std::vector<StackEvent> visible;               // oldest first
  std::size_t next_batch = 0;
  int workers = 2;
  int desired = 2;
  std::string stack_status = "CREATE_COMPLETE";
  std::string create_error;  // an error code CreateStack answers with
  int delete_refusals = 0;   // DeleteStack calls refused "while in status UPDATE_IN_PROGRESS"
  std::vector<std::string> console_reads;  // GetConsoleOutput's instance ids, in order
  std::vector<std::string> statuses;  // DescribeStacks answers these first, one per call
  std::map<std::string, std::string> ec2_state;  // instance id -> EC2 state when not "running"
  std::string types_error;  // an EC2 error code DescribeInstanceTypes answers with
  int efs_in_use = 0;       // DeleteFileSystem calls answered FileSystemInUse (mount target going)
  std::vector<Millis> efs_delete_times;  // when each DeleteFileSystem came, on the manual clock
  std::vector<std::string> actions;
  // The capacity fallback: the stack has an AvailabilityZone parameter and candidate zones
  // (tag awsdl:zones); scaling activities fail for want of capacity until `capacity_after`
  // UpdateStack calls, then `workers_then` workers run.
  bool zones = false;
  int updates = 0;
  int capacity_after = 1000;
  int workers_then = 0;
  int activity_throttles = 0;  // DescribeScalingActivities calls answered Throttling first
  std::vector<std::string> update_bodies;

  ScriptedAws() {
    h.transport->set_handler([this](const http::Request& r) -> Result<http::Response> { return answer(r); });
  }

  Result<http::Response> answer(const http::Request& r) {
    std::string a = action_of(r);
    actions.push_back(a);
    if (a == "CreateStack") {
      if (!create_error.empty())
        return ok("<ErrorResponse><Error><Type>Sender</Type><Code>" + create_error + "</Code><Message>Stack [maskrcnn] "
                  "already exists</Message></Error><RequestId>x</RequestId></ErrorResponse>", 400);
      return ok(query_response(a, std::string("<StackId>") + kStackId + "</StackId>"));
    }
    if (a == "UpdateStack") {
      ++updates;
      update_bodies.push_back(r.body);
      if (updates == 1 && r.body.find("ParameterKey=WorkerCount&Parameters.member") != std::string::npos) {
        auto at = r.body.find("ParameterKey=WorkerCount&");
        auto eq = r.body.find("ParameterValue=", at);
        if (eq != std::string::npos) desired = std::stoi(r.body.substr(eq + 15));
      }
      if (updates >= capacity_after) workers = workers_then;
      return ok(query_response(a, std::string("<StackId>") + kStackId + "</StackId>"));
    }
    // The preflight's calls: an account where everything asked for exists.
    if (a == "DescribeInstanceTypeOfferings")
      return ok("<DescribeInstanceTypeOfferingsResponse><instanceTypeOfferingSet><item><instanceType>p3.16xlarge"
                "</instanceType><locationType>availability-zone</locationType><location>us-east-1a</location></item>"
                "</instanceTypeOfferingSet></DescribeInstanceTypeOfferingsResponse>");
    if (a == "GetServiceQuota")
      return ok(R"({"Quota":{"ServiceCode":"ec2","QuotaCode":"L-417A185B","QuotaName":"Running On-Demand P instances","Value":100000.0}})");
    if (a == "GetParameter") return ok(R"({"Parameter":{"Name":"p","Type":"String","Value":"ami-0123456789abcdef0"}})");
    if (a == "DescribeImages")
      return ok("<DescribeImagesResponse><imagesSet><item><imageId>ami-0123456789abcdef0</imageId><architecture>x86_64"
                "</architecture></item></imagesSet></DescribeImagesResponse>");
    if (a == "DescribeKeyPairs")
      return ok("<DescribeKeyPairsResponse><keySet><item><keyName>team</keyName></item></keySet></DescribeKeyPairsResponse>");
    if (a == "HeadBucket") {
      http::Response resp = ok("");
      resp.headers.set("x-amz-bucket-region", "us-east-1");
      return resp;
    }
    if (a == "SetDesiredCapacity") return ok(query_response(a, ""));
    if (a == "DeleteStack") {
      if (delete_refusals > 0 && delete_refusals--)
        return ok("<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code><Message>Stack [maskrcnn] "
                  "cannot be deleted while in status UPDATE_IN_PROGRESS</Message></Error><RequestId>x</RequestId>"
                  "</ErrorResponse>", 400);
      return ok(query_response(a, ""));
    }
    if (a == "DescribeStackEvents") {
      if (next_batch < batches.size()) {
        for (auto& e : batches[next_batch]) visible.push_back(e);
        ++next_batch;
      }
      std::string members;
      for (auto it = visible.rbegin(); it != visible.rend(); ++it) members += event_xml(*it);
      return ok(query_response(a, "<StackEvents>" + members + "</StackEvents>"));
    }
    if (a == "DescribeStacks") {
      std::string status = stack_status;
      if (!statuses.empty()) {
        status = statuses.front();
        statuses.erase(statuses.begin());
      }
      return ok(query_response(
          a, std::string("<Stacks><member><StackId>") + kStackId + "</StackId><StackName>maskrcnn</StackName><StackStatus>" +
                 status + "</StackStatus><CreationTime>2024-01-01T00:00:00Z</CreationTime><Parameters><member>"
                 "<ParameterKey>WorkerCount</ParameterKey><ParameterValue>2</ParameterValue></member><member>"
                 "<ParameterKey>MinWorkerCount</ParameterKey><ParameterValue>1</ParameterValue></member>" +
                 (zones ? "<member><ParameterKey>AvailabilityZone</ParameterKey><ParameterValue>us-east-1a"
                          "</ParameterValue></member><member><ParameterKey>InstanceType</ParameterKey>"
                          "<ParameterValue>p3.16xlarge</ParameterValue></member>" : "") + "</Parameters>"
                 "<Outputs><member><OutputKey>MasterGroupName</OutputKey><OutputValue>maskrcnn-master</OutputValue>"
                 "</member><member><OutputKey>WorkerGroupName</OutputKey><OutputValue>maskrcnn-workers</OutputValue>"
                 "</member><member><OutputKey>EfsId</OutputKey><OutputValue>fs-0123456789abcdef0</OutputValue></member>"
                 "</Outputs><Tags><member><Key>awsdl:cluster</Key><Value>maskrcnn</Value></member>" +
                 (zones ? "<member><Key>awsdl:zones</Key><Value>us-east-1a us-east-1b</Value></member>" : "") +
                 "</Tags></member>"
                 "</Stacks>"));
    }
    if (a == "DescribeAutoScalingGroups") {
      std::string groups;
      if (r.body.find("maskrcnn-master") != std::string::npos)
        groups += group_xml("maskrcnn-master", 1, {{"i-m", "InService"}});
      if (r.body.find("maskrcnn-workers") != std::string::npos) {
        std::vector<std::pair<std::string, std::string>> inst;
        for (int i = 0; i < workers; ++i) inst.emplace_back("i-w" + std::to_string(i), "InService");
        groups += group_xml("maskrcnn-workers", desired, inst);
      }
      return ok(query_response(a, "<AutoScalingGroups>" + groups + "</AutoScalingGroups>"));
    }
    if (a == "DescribeScalingActivities" && activity_throttles > 0 && activity_throttles--)
      return ok("<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message>"
                "</Error><RequestId>x</RequestId></ErrorResponse>", 400);
    if (a == "DescribeScalingActivities")
      return ok(query_response(a, "<Activities><member><ActivityId>a" + std::to_string(updates) + "</ActivityId><AutoScalingGroupName>maskrcnn-workers"
                                  "</AutoScalingGroupName><StatusCode>Failed</StatusCode><StatusMessage>We currently do "
                                  "not have sufficient p3.16xlarge capacity</StatusMessage><Progress>100</Progress>"
                                  "</member></Activities>"));
    if (a == "DescribeInstances") {
      // Only the instances asked for (InstanceId.N), newest first, as a page of answers may be.
      std::set<std::string> asked;
      for (std::size_t at = r.body.find("InstanceId."); at != std::string::npos; at = r.body.find("InstanceId.", at + 1)) {
        auto eq = r.body.find('=', at);
        auto end = r.body.find('&', eq);
        asked.insert(r.body.substr(eq + 1, end == std::string::npos ? std::string::npos : end - eq - 1));
      }
      std::string items = asked.count("i-m") ? instance_xml("i-m", "10.0.0.5", "198.51.100.5", 0) : "";
      for (int i = workers - 1; i >= 0; --i) {
        const std::string id = "i-w" + std::to_string(i);
        if (asked.count(id))
          items += instance_xml(id, "10.0." + std::to_string(1 + i / 200) + "." + std::to_string(10 + i % 200), "", i + 1,
                                ec2_state.count(id) ? ec2_state[id] : "running");
      }
      return ok("<DescribeInstancesResponse><requestId>r</requestId><reservationSet><item><reservationId>r-1"
                "</reservationId><instancesSet>" + items + "</instancesSet></item></reservationSet>"
                "</DescribeInstancesResponse>");
    }
    if (a == "DescribeInstanceTypes" && !types_error.empty())
      return ok("<Response><Errors><Error><Code>" + types_error + "</Code><Message>refused</Message></Error></Errors>"
                "<RequestID>x</RequestID></Response>", types_error == "RequestLimitExceeded" ? 503 : 400);
    if (a == "DescribeInstanceTypes")
      return ok("<DescribeInstanceTypesResponse><instanceTypeSet><item><instanceType>p3.16xlarge</instanceType><gpuInfo>"
                "<gpus><item><name>V100</name><count>8</count></item></gpus></gpuInfo></item></instanceTypeSet>"
                "</DescribeInstanceTypesResponse>");
    if (a == "GetConsoleOutput") {  // a grown cluster's new workers: "Cloud-init v. 1 finished at 00:00. Up 1 seconds"
      auto at = r.body.find("InstanceId=");
      const std::string id = r.body.substr(at + 11, r.body.find('&', at) - at - 11);
      console_reads.push_back(id);
      return ok("<GetConsoleOutputResponse><requestId>r</requestId><instanceId>" + id + "</instanceId><output>"
                "Q2xvdWQtaW5pdCB2LiAxIGZpbmlzaGVkIGF0IDAwOjAwLiBVcCAxIHNlY29uZHMK</output></GetConsoleOutputResponse>");
    }
    if (a.rfind("DELETE /2015-02-01/file-systems/", 0) == 0) {
      efs_delete_times.push_back(std::chrono::duration_cast<Millis>(h.clock->steady_now().time_since_epoch()));
      if (efs_in_use > 0 && efs_in_use--) {
        http::Response resp = ok(R"({"ErrorCode":"FileSystemInUse","Message":"has mount targets"})", 409);
        resp.headers.set("x-amzn-ErrorType", "FileSystemInUse");
        return resp;
      }
      return ok("", 204);
    }
    if (a.rfind("PUT /", 0) == 0) {
      http::Response resp = ok("");
      resp.headers.set("ETag", "\"e\"");
      return resp;
    }
    return Error::make(ErrorKind::kInternal, "Unscripted", "no answer for " + a);
  }

  int count(const std::string& action) const {
    int n = 0;
    for (const auto& a : actions) n += a == action;
    return n;
  }
};

std::vector<std::vector<StackEvent>> healthy_create() {
  return {{stack_ev("01", "CREATE_IN_PROGRESS", "User Initiated"), ev("02", "Vpc", "CREATE_IN_PROGRESS")},
          {ev("03", "Vpc", "CREATE_COMPLETE", "", "AWS::EC2::VPC", "vpc-1"),
           ev("04", "WorkerGroup", "CREATE_IN_PROGRESS", "", "AWS::AutoScaling::AutoScalingGroup", "maskrcnn-workers")},
          {},
          {ev("05", "WorkerGroup", "CREATE_COMPLETE", "", "AWS::AutoScaling::AutoScalingGroup", "maskrcnn-workers"),
           stack_ev("06", "CREATE_COMPLETE")}};
}

cluster::ClusterSpec two_workers() {
  auto spec = testing::default_cluster_spec();
  spec.workers = 2;
  spec.min_workers = 1;
  return spec;
}

// The plan a dry run prints is what create does: the same operations in the same order of
// first use, and the CreateStack parameters create sends; no call is made to plan.
TEST(ClusterLifecycle, ThePlanOfACreateIsTheCallsCreateMakes) {
  auto plan = cluster::plan_create(two_workers(), {}, "us-east-1");
  ASSERT_TRUE(plan.ok()) << plan.error().to_string();
  auto tpl = cluster::build_template(two_workers());
  ASSERT_TRUE(tpl.ok());
  EXPECT_EQ(plan->resource_count, tpl->resource_count);
  EXPECT_EQ(plan->template_bytes, tpl->size());
  EXPECT_EQ(plan->workers, 2);
  EXPECT_EQ(plan->min_workers, 1);

  ScriptedAws aws;
  aws.batches = healthy_create();
  cluster::Clusters clusters(aws.h.config);
  cluster::CreateOptions opts;
  opts.poll_interval = 2s;
  auto info = clusters.create(two_workers(), *tpl, opts);  // the template built once, as awsdl-cluster does
  ASSERT_TRUE(info.ok()) << info.error().to_string();
  auto first_uses = [](const std::vector<std::string>& all) {
    std::vector<std::string> out;
    for (const auto& a : all)
      if (std::find(out.begin(), out.end(), a) == out.end()) out.push_back(a);
    return out;
  };
  std::vector<std::string> planned, made;
  for (const auto& c : plan->calls) planned.push_back(c.operation);
  for (const auto& r : aws.h.transport->requests()) made.push_back(action_of(r));
  EXPECT_EQ(first_uses(planned), first_uses(made));

  // The preflight's calls come first (cluster_preflight_test.cpp), then the create.
  auto at = std::find_if(plan->calls.begin(), plan->calls.end(),
                         [](const cluster::PlannedCall& c) { return c.operation == "CreateStack"; });
  ASSERT_NE(at, plan->calls.end());
  for (auto it = plan->calls.begin(); it != at; ++it) EXPECT_EQ(it->phase, cluster::CallPhase::kStart) << it->operation;
  const cluster::PlannedCall& create = *at;
  EXPECT_EQ(create.service, "cloudformation");
  EXPECT_EQ(create.operation, "CreateStack");
  EXPECT_EQ(create.phase, cluster::CallPhase::kStart);
  std::map<std::string, std::string> p(create.parameters.begin(), create.parameters.end());
  EXPECT_EQ(p["StackName"], "maskrcnn");
  EXPECT_EQ(p["TemplateBody"], "<" + std::to_string(tpl->size()) + " bytes>");
  EXPECT_EQ(p["Parameters.WorkerCount"], "2");
  EXPECT_EQ(p["Parameters.MinWorkerCount"], "1");
  EXPECT_EQ(p["Capabilities.1"], "CAPABILITY_IAM");
  EXPECT_EQ(p["Tags.awsdl:cluster"], "maskrcnn");
  EXPECT_EQ(p["OnFailure"], "ROLLBACK");
  EXPECT_EQ(p["ClientRequestToken"], "<generated>");
  // Every parameter the plan names is one create sent, with that value.
  std::string sent;
  for (const auto& r : aws.h.transport->requests())
    if (action_of(r) == "CreateStack") sent = r.body;
  for (const auto& [k, v] : tpl->parameters) {
    EXPECT_EQ(p["Parameters." + k], v) << k;
    EXPECT_NE(sent.find("ParameterKey=" + k + "&"), std::string::npos) << k << " not sent: " << sent;
  }
  EXPECT_EQ(plan->calls.back().operation, "DescribeInstanceTypes");
  EXPECT_EQ(plan->calls.back().phase, cluster::CallPhase::kFinish);
}

TEST(ClusterLifecycle, APlanChecksWhatCreateChecksAndMakesNoCall) {
  auto bad = two_workers();
  bad.workers = 0;
  auto invalid = cluster::plan_create(bad, {}, "us-east-1");
  ASSERT_FALSE(invalid.ok());
  EXPECT_EQ(invalid.error().kind, ErrorKind::kInvalidArgument);
  auto zoned = two_workers();
  zoned.availability_zone = "eu-west-1a";
  auto zone = cluster::plan_create(zoned, {}, "us-east-1");
  ASSERT_FALSE(zone.ok());
  EXPECT_EQ(zone.error().code, "ZoneNotInRegion");
  EXPECT_TRUE(cluster::plan_create(zoned, {}, "eu-west-1").ok());
  // A resume: find the stack by name, then the same watch and describe as a create.
  auto resume = cluster::plan_resume("maskrcnn");
  ASSERT_GE(resume.size(), 3u);
  EXPECT_EQ(resume[0].operation, "DescribeStacks");
  EXPECT_EQ(resume[0].parameters, (std::vector<std::pair<std::string, std::string>>{{"StackName", "maskrcnn"}}));
  EXPECT_EQ(resume[1].operation, "DescribeStackEvents");
  EXPECT_EQ(resume[1].phase, cluster::CallPhase::kPoll);
  EXPECT_EQ(resume.back().phase, cluster::CallPhase::kFinish);
}

// The plans of a resize and a remove refuse what the operations refuse, with the same errors,
// and name the changed count and the file system as the operations send them.
TEST(ClusterLifecycle, ThePlansOfResizeAndRemoveCheckWhatTheOperationsCheck) {
  testsupport::FakeHarness h("us-east-1");
  cluster::Clusters clusters(h.config);
  for (const auto& [name, workers] : std::vector<std::pair<std::string, int>>{{"maskrcnn", 0}, {"1-digit", 2}, {"", 2}}) {
    SCOPED_TRACE(name + " " + std::to_string(workers));
    auto planned = cluster::plan_resize(name, workers);
    auto made = clusters.resize(name, workers);
    ASSERT_FALSE(planned.ok());
    ASSERT_FALSE(made.ok());
    EXPECT_EQ(planned.error().code, made.error().code);
    EXPECT_EQ(planned.error().message, made.error().message);
    EXPECT_EQ(planned.error().kind, ErrorKind::kInvalidArgument);
  }
  for (const std::string name : {"", "no_underscores"}) {
    auto planned = cluster::plan_remove(name);
    auto made = clusters.remove(name);
    ASSERT_FALSE(planned.ok());
    ASSERT_FALSE(made.ok());
    EXPECT_EQ(planned.error().code, made.error().code);
    EXPECT_EQ(planned.error().message, made.error().message);
  }
  EXPECT_EQ(h.transport->request_count(), 0u);

  auto resize = cluster::plan_resize("maskrcnn", 5);
  ASSERT_TRUE(resize.ok());
  ASSERT_GE(resize->size(), 4u);
  EXPECT_EQ((*resize)[0].operation, "DescribeStacks");
  EXPECT_EQ((*resize)[0].parameters, (std::vector<std::pair<std::string, std::string>>{{"StackName", "maskrcnn"}}));
  const auto update = std::find_if(resize->begin(), resize->end(), [](const auto& c) { return c.operation == "UpdateStack"; });
  ASSERT_NE(update, resize->end());
  EXPECT_EQ(update->phase, cluster::CallPhase::kStart);
  std::map<std::string, std::string> p(update->parameters.begin(), update->parameters.end());
  EXPECT_EQ(p["UsePreviousTemplate"], "true");
  EXPECT_EQ(p["Parameters.WorkerCount"], "5");
  EXPECT_EQ(p["ClientRequestToken"], "<generated>");
  EXPECT_EQ(resize->back().phase, cluster::CallPhase::kFinish);

  auto keep = cluster::plan_remove("maskrcnn");
  ASSERT_TRUE(keep.ok());
  cluster::DeleteOptions all;
  all.delete_file_system = true;
  auto wipe = cluster::plan_remove("maskrcnn", all);
  ASSERT_TRUE(wipe.ok());
  auto has = [](const std::vector<cluster::PlannedCall>& calls, const std::string& op) {
    return std::any_of(calls.begin(), calls.end(), [&](const auto& c) { return c.operation == op; });
  };
  EXPECT_TRUE(has(*keep, "DeleteStack"));
  EXPECT_FALSE(has(*keep, "DeleteFileSystem"));
  EXPECT_TRUE(has(*wipe, "DeleteFileSystem"));
  EXPECT_EQ(wipe->back().service, "efs");
  EXPECT_EQ(wipe->back().phase, cluster::CallPhase::kFinish);
}

TEST(ClusterLifecycle, CreateReportsEveryEventOnceInTimeOrderAndDescribesTheNodes) {
  ScriptedAws aws;
  aws.batches = healthy_create();
  cluster::Clusters clusters(aws.h.config);
  std::vector<cluster::ClusterEvent> seen;
  cluster::CreateOptions opts;
  opts.on_event = [&](const cluster::ClusterEvent& e) { seen.push_back(e); };
  opts.poll_interval = 2s;
  auto info = clusters.create(two_workers(), opts);
  ASSERT_TRUE(info.ok()) << info.error().to_string();

  std::vector<std::string> stack_events, summaries;
  for (const auto& e : seen) (e.logical_id.empty() ? summaries : stack_events).push_back(e.message);
  EXPECT_EQ(stack_events, (std::vector<std::string>{
                              "maskrcnn CREATE_IN_PROGRESS: User Initiated", "Vpc CREATE_IN_PROGRESS",
                              "Vpc CREATE_COMPLETE", "WorkerGroup CREATE_IN_PROGRESS", "WorkerGroup CREATE_COMPLETE",
                              "maskrcnn CREATE_COMPLETE"}));
  ASSERT_FALSE(summaries.empty());
  EXPECT_EQ(summaries.front(), "creating stack maskrcnn");
  EXPECT_NE(std::find(summaries.begin(), summaries.end(), "workers 2/2 running"), summaries.end());

  // CreateStack: once, with the token, the tag, the capabilities and rollback on failure.
  auto creates = 0;
  for (const auto& r : aws.h.transport->requests()) {
    if (action_of(r) != "CreateStack") continue;
    ++creates;
    EXPECT_NE(r.body.find("OnFailure=ROLLBACK"), std::string::npos);
    EXPECT_NE(r.body.find("ClientRequestToken="), std::string::npos);
    EXPECT_NE(r.body.find("Tags.member.1.Key=awsdl%3Acluster&Tags.member.1.Value=maskrcnn"), std::string::npos);
    EXPECT_NE(r.body.find("Capabilities.member.1=CAPABILITY_"), std::string::npos);
    EXPECT_NE(r.body.find("ParameterKey=WorkerCount&Parameters.member.4.ParameterValue=2"), std::string::npos) << r.body;
    EXPECT_NE(r.body.find("TemplateBody="), std::string::npos);
  }
  EXPECT_EQ(creates, 1);
  // The stack's status comes from its events: no DescribeStacks while waiting.
  EXPECT_EQ(aws.count("DescribeStacks"), 1);
  // Instance types: once by the preflight, before CreateStack, and once for the nodes' GPUs.
  EXPECT_EQ(aws.count("DescribeInstanceTypes"), 2);
  auto create_at = std::find(aws.actions.begin(), aws.actions.end(), "CreateStack");
  EXPECT_EQ(std::count(create_at, aws.actions.end(), "DescribeInstanceTypes"), 1);
  EXPECT_EQ(std::count(aws.actions.begin(), create_at, "DescribeInstanceTypes"), 1);

  EXPECT_EQ(info->status, "CREATE_COMPLETE");
  EXPECT_EQ(info->efs_id, "fs-0123456789abcdef0");
  ASSERT_EQ(info->nodes.size(), 3u);
  ASSERT_NE(info->master(), nullptr);
  EXPECT_EQ(info->nodes[0].role, cluster::NodeRole::kMaster);
  EXPECT_EQ(info->master()->public_ip, "198.51.100.5");
  auto workers = info->workers();
  ASSERT_EQ(workers.size(), 2u);
  EXPECT_EQ(workers[0].instance_id, "i-w0");  // launch order, not answer order
  EXPECT_EQ(workers[1].private_ip, "10.0.1.11");
  for (const auto& n : info->nodes) EXPECT_EQ(n.gpus, 8);
}

TEST(ClusterLifecycle, DescribeBatchesInstanceIdsAndAsksForInstanceTypesOnce) {
  ScriptedAws aws;
  aws.workers = 250;
  aws.desired = 250;
  cluster::Clusters clusters(aws.h.config);
  auto info = clusters.describe("maskrcnn");
  ASSERT_TRUE(info.ok()) << info.error().to_string();
  EXPECT_EQ(aws.count("DescribeInstances"), 3) << "251 ids in batches of 100";
  EXPECT_EQ(aws.count("DescribeInstanceTypes"), 1);
  ASSERT_EQ(info->nodes.size(), 251u);
  std::set<std::string> ids;
  for (const auto& n : info->nodes) ids.insert(n.instance_id);
  EXPECT_EQ(ids.size(), 251u);
  EXPECT_EQ(info->nodes[0].instance_id, "i-m");
  EXPECT_EQ(info->nodes[1].instance_id, "i-w0");
  EXPECT_EQ(info->nodes[250].instance_id, "i-w249");
  EXPECT_EQ(info->desired_workers, 250);
}

// GPU counts are extra: a lookup that is refused (least-privilege users may lack
// ec2:DescribeInstanceTypes) or does not know a type leaves them unknown, not the cluster;
// a transient failure still fails the call.
TEST(ClusterLifecycle, DescribeGoesOnWithoutGpuCountsWhenTheTypeLookupIsRefused) {
  for (const char* code : {"UnauthorizedOperation", "InvalidInstanceType"}) {
    ScriptedAws aws;
    aws.types_error = code;
    auto info = cluster::Clusters(aws.h.config).describe("maskrcnn");
    ASSERT_TRUE(info.ok()) << code << ": " << info.error().to_string();
    ASSERT_EQ(info->nodes.size(), 3u);
    for (const auto& n : info->nodes) EXPECT_EQ(n.gpus, 0);
    ASSERT_TRUE(info->gpus_unknown);
    EXPECT_EQ(info->gpus_unknown->code, code);
  }
  ScriptedAws aws;
  aws.types_error = "RequestLimitExceeded";
  aws.h.config.retry.max_attempts = 1;
  auto info = cluster::Clusters(aws.h.config).describe("maskrcnn");
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.error().code, "RequestLimitExceeded");
}

TEST(ClusterLifecycle, MoreNewEventsThanAPageAreAllReportedOnce) {
  ScriptedAws aws;
  std::vector<StackEvent> burst = {stack_ev("000", "CREATE_IN_PROGRESS", "User Initiated")};
  for (int i = 1; i <= 150; ++i) {
    std::string id = std::to_string(i);
    burst.push_back(ev(std::string(3 - id.size(), '0') + id, "R" + id, "CREATE_COMPLETE"));
  }
  aws.batches = {burst, {stack_ev("151", "CREATE_COMPLETE")}};
  cluster::Clusters clusters(aws.h.config);
  std::vector<std::string> logical;
  cluster::CreateOptions opts;
  opts.poll_interval = 1s;
  opts.on_event = [&](const cluster::ClusterEvent& e) {
    if (!e.logical_id.empty()) logical.push_back(e.logical_id);
  };
  auto r = clusters.create(two_workers(), opts);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  ASSERT_EQ(logical.size(), 152u);
  EXPECT_EQ(logical[0], "maskrcnn");
  for (int i = 1; i <= 150; ++i) EXPECT_EQ(logical[static_cast<std::size_t>(i)], "R" + std::to_string(i));
  EXPECT_EQ(logical[151], "maskrcnn");
}

TEST(ClusterLifecycle, ANameThatExistsIsClusterExistsAndNoSecondStack) {
  ScriptedAws aws;
  aws.create_error = "AlreadyExistsException";
  cluster::Clusters clusters(aws.h.config);
  auto r = clusters.create(two_workers());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "ClusterExists");
  // The library suggests operations; awsdl-cluster renders them as its commands.
  EXPECT_EQ(r.error().next_steps, (std::vector<NextStep>{{cluster::next_step::kDescribe, "maskrcnn"},
                                                         {cluster::next_step::kRemove, "maskrcnn"}}));
  EXPECT_NE(awsdl_cluster::render_error(r.error()).find("awsdl-cluster delete --name maskrcnn"), std::string::npos)
      << awsdl_cluster::render_error(r.error());
  EXPECT_EQ(r.error().message.find("awsdl-"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("CREATE_COMPLETE"), std::string::npos) << r.error().message;
  EXPECT_EQ(aws.count("CreateStack"), 1);
  EXPECT_EQ(aws.count("DescribeStackEvents"), 0);
}

TEST(ClusterLifecycle, AFailedCreateNamesTheFailedResourcesAndHowToRemove) {
  ScriptedAws aws;
  aws.batches = {{stack_ev("01", "CREATE_IN_PROGRESS", "User Initiated")},
                 {ev("02", "ClusterReady", "CREATE_FAILED", "only 1 of 2 workers launched, minimum 2",
                     "AWS::CloudFormation::WaitCondition"),
                  stack_ev("03", "ROLLBACK_IN_PROGRESS", "The following resource(s) failed to create: [ClusterReady].")},
                 {stack_ev("04", "ROLLBACK_COMPLETE")}};
  cluster::Clusters clusters(aws.h.config);
  cluster::CreateOptions opts;
  opts.poll_interval = 1s;
  auto r = clusters.create(two_workers(), opts);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "ClusterCreateFailed");
  EXPECT_NE(r.error().message.find("ROLLBACK_COMPLETE"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("ClusterReady (AWS::CloudFormation::WaitCondition) CREATE_FAILED: only 1 of 2"),
            std::string::npos)
      << r.error().message;
  ASSERT_NE(r.error().next_step(cluster::next_step::kRemove), nullptr);
  EXPECT_EQ(r.error().next_step(cluster::next_step::kRemove)->detail, "maskrcnn");
  EXPECT_NE(awsdl_cluster::render_error(r.error()).find("awsdl-cluster delete --name maskrcnn"), std::string::npos);
  EXPECT_EQ(r.error().message.find("awsdl-"), std::string::npos) << r.error().message;
}

TEST(ClusterLifecycle, AShortfallAboveTheMinimumIsAcceptedBelowItFails) {
  {
    ScriptedAws aws;
    aws.batches = healthy_create();
    aws.workers = 1;  // desired stays 2: nothing pending, one short, minimum 1
    cluster::Clusters clusters(aws.h.config);
    std::vector<std::string> lines;
    cluster::CreateOptions opts;
    opts.poll_interval = 1s;
    opts.on_event = [&](const cluster::ClusterEvent& e) { lines.push_back(e.message); };
    auto r = clusters.create(two_workers(), opts);
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_EQ(r->workers().size(), 1u);
    EXPECT_NE(std::find(lines.begin(), lines.end(), "accepting 1 of 2 workers (minimum 1)"), lines.end());
  }
  {
    ScriptedAws aws;
    aws.batches = healthy_create();
    aws.workers = 1;
    auto spec = two_workers();
    spec.min_workers = 2;
    cluster::Clusters clusters(aws.h.config);
    cluster::CreateOptions opts;
    opts.poll_interval = 1s;
    auto r = clusters.create(spec, opts);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, "WorkerShortfall");
    EXPECT_NE(r.error().message.find("sufficient p3.16xlarge capacity"), std::string::npos) << r.error().message;
  }
}

// Resuming a complete cluster: a worker Auto Scaling still calls InService but EC2 has stopped
// is not running; with the minimum 1 of 2 the cluster is accepted with one worker, saying which
// instance is stopped and how to start it.
TEST(ClusterLifecycle, ResumeCountsAStoppedWorkerAsNotRunning) {
  ScriptedAws aws;
  aws.ec2_state["i-w1"] = "stopped";
  cluster::Clusters clusters(aws.h.config);
  std::vector<std::string> lines;
  cluster::CreateOptions opts;
  opts.poll_interval = 1s;
  std::vector<cluster::ClusterEvent> events;
  opts.on_event = [&](const cluster::ClusterEvent& e) {
    lines.push_back(e.message);
    events.push_back(e);
  };
  auto r = clusters.resume("maskrcnn", opts);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  std::string all;
  for (const auto& l : lines) all += l + "\n";
  EXPECT_EQ(all.find("aws ec2"), std::string::npos) << "a command line in the library's words: " << all;
  all += "as awsdl-cluster prints them:\n";
  for (const auto& e : events) all += awsdl_cluster::event_text(e) + "\n";
  EXPECT_EQ(all.find("workers 2/2 running"), std::string::npos) << all;
  EXPECT_NE(all.find("workers 1/2 running, 1 stopped"), std::string::npos) << all;
  EXPECT_NE(all.find("accepting 1 of 2 workers (minimum 1); 1 worker instance is stopped (i-w1): start it with "
                     "`aws ec2 start-instances --instance-ids i-w1`"),
            std::string::npos)
      << all;
  bool suggested = false;
  for (const auto& e : events)
    suggested = suggested || e.next_steps == std::vector<NextStep>{{ec2::next_step::kStartInstances, "i-w1"}};
  EXPECT_TRUE(suggested) << all;
  auto workers = r->workers();
  ASSERT_EQ(workers.size(), 2u);
  EXPECT_EQ(workers[1].state, "stopped");
}

TEST(ClusterLifecycle, DeadlineAndCancellationLeaveTheStackForResumeOrRemove) {
  {
    ScriptedAws aws;
    aws.batches = {{stack_ev("01", "CREATE_IN_PROGRESS", "User Initiated")}};  // never finishes
    cluster::Clusters clusters(aws.h.config);
    cluster::CreateOptions opts;
    opts.poll_interval = 10s;
    opts.deadline = Deadline::after(2min, *aws.h.clock);
    auto r = clusters.create(two_workers(), opts);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::kTimeout);
    EXPECT_EQ(r.error().code, "ClusterTimeout");
    EXPECT_NE(r.error().message.find("CREATE_IN_PROGRESS"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("resume"), std::string::npos);
    EXPECT_EQ(r.error().next_steps, (std::vector<NextStep>{{cluster::next_step::kResume, "maskrcnn"},
                                                           {cluster::next_step::kRemove, "maskrcnn"}}));
    EXPECT_NE(awsdl_cluster::render_error(r.error()).find("awsdl-cluster delete --name maskrcnn"), std::string::npos);
    EXPECT_NE(awsdl_cluster::render_error(r.error()).find("awsdl-cluster create --resume --name maskrcnn"),
              std::string::npos);
    EXPECT_LE(aws.h.clock->total_slept(), 2min);
  }
  {
    ScriptedAws aws;
    aws.batches = {{stack_ev("01", "CREATE_IN_PROGRESS", "User Initiated")}};
    cluster::Clusters clusters(aws.h.config);
    CancellationSource source;
    cluster::CreateOptions opts;
    opts.cancel = source.token();
    int events = 0;
    opts.on_event = [&](const cluster::ClusterEvent& e) {
      if (!e.logical_id.empty() && ++events == 1) source.cancel();
    };
    auto r = clusters.create(two_workers(), opts);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::kCancelled);
    EXPECT_NE(r.error().next_step(cluster::next_step::kRemove), nullptr);
    EXPECT_NE(awsdl_cluster::render_error(r.error()).find("awsdl-cluster delete --name maskrcnn"), std::string::npos);
    EXPECT_EQ(aws.count("CreateStack"), 1);
  }
}

TEST(ClusterLifecycle, RemoveWaitsForTheStackAndDeletesTheFileSystemOnlyWhenAsked) {
  for (bool delete_fs : {false, true}) {
    ScriptedAws aws;
    // The first call primes the feed (the create's history); the delete's events follow.
    aws.batches = {{stack_ev("01", "CREATE_COMPLETE")},
                   {stack_ev("02", "DELETE_IN_PROGRESS", "User Initiated")},
                   {ev("03", "WorkerGroup", "DELETE_COMPLETE", "", "AWS::AutoScaling::AutoScalingGroup"),
                    stack_ev("04", "DELETE_COMPLETE")}};
    cluster::Clusters clusters(aws.h.config);
    std::vector<std::string> lines;
    cluster::DeleteOptions opts;
    opts.poll_interval = 1s;
    opts.delete_file_system = delete_fs;
    opts.on_event = [&](const cluster::ClusterEvent& e) { lines.push_back(e.message); };
    auto r = clusters.remove("maskrcnn", opts);
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_EQ(std::count(lines.begin(), lines.end(), "maskrcnn CREATE_COMPLETE"), 0) << "primed events are not reported";
    EXPECT_EQ(std::count(lines.begin(), lines.end(), "maskrcnn DELETE_COMPLETE"), 1);
    int efs_deletes = aws.count("DELETE /2015-02-01/file-systems/fs-0123456789abcdef0");
    EXPECT_EQ(efs_deletes, delete_fs ? 1 : 0);
    if (delete_fs) {
      // Only after the stack is gone.
      EXPECT_EQ(aws.actions.back(), "DELETE /2015-02-01/file-systems/fs-0123456789abcdef0");
    } else {
      EXPECT_NE(std::find(lines.begin(), lines.end(), "file system fs-0123456789abcdef0 retained"), lines.end());
    }
  }
}

TEST(ClusterLifecycle, AFileSystemStillInUseIsDeletedOnceItsMountTargetIsGone) {
  auto remove = [](ScriptedAws& aws, cluster::DeleteOptions opts) {
    aws.batches = {{stack_ev("01", "CREATE_COMPLETE")},
                   {stack_ev("02", "DELETE_IN_PROGRESS", "User Initiated")},
                   {stack_ev("04", "DELETE_COMPLETE")}};
    opts.poll_interval = 1s;
    opts.delete_file_system = true;
    return cluster::Clusters(aws.h.config).remove("maskrcnn", opts);
  };
  ScriptedAws aws;
  aws.efs_in_use = 3;
  auto r = remove(aws, {});
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  ASSERT_EQ(aws.efs_delete_times.size(), 4u);
  // 2 s, then twice as long each time (at most 15 s), on the runtime's clock.
  EXPECT_EQ(aws.efs_delete_times[1] - aws.efs_delete_times[0], 2s);
  EXPECT_EQ(aws.efs_delete_times[2] - aws.efs_delete_times[1], 4s);
  EXPECT_EQ(aws.efs_delete_times[3] - aws.efs_delete_times[2], 8s);

  // Still in use at the deadline: a timeout naming the file system, not an endless wait.
  ScriptedAws busy;
  busy.efs_in_use = 1000;
  cluster::DeleteOptions opts;
  opts.deadline = Deadline::after(30s, *busy.h.clock);
  auto t = remove(busy, opts);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().code, "ClusterTimeout");
  EXPECT_NE(t.error().message.find("fs-0123456789abcdef0 is still in use"), std::string::npos) << t.error().message;
  EXPECT_LE(busy.h.clock->total_slept(), 30s);
  EXPECT_LT(busy.efs_delete_times.size(), 30u);
}

TEST(ClusterLifecycle, RemoveWaitsForAnUpdateInProgressThenDeletes) {
  ScriptedAws aws;
  aws.delete_refusals = 1;
  aws.statuses = {"UPDATE_IN_PROGRESS", "UPDATE_IN_PROGRESS", "UPDATE_COMPLETE"};
  aws.batches = {{stack_ev("01", "UPDATE_IN_PROGRESS", "User Initiated")},
                 {stack_ev("02", "UPDATE_COMPLETE")},
                 {stack_ev("03", "DELETE_IN_PROGRESS", "User Initiated")},
                 {stack_ev("04", "DELETE_COMPLETE")}};
  cluster::Clusters clusters(aws.h.config);
  std::vector<std::string> lines;
  cluster::DeleteOptions opts;
  opts.poll_interval = 1s;
  opts.on_event = [&](const cluster::ClusterEvent& e) {
    if (!e.logical_id.empty()) lines.push_back(e.message);
  };
  auto r = clusters.remove("maskrcnn", opts);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(aws.count("DeleteStack"), 2);
  EXPECT_EQ(lines, (std::vector<std::string>{"maskrcnn DELETE_IN_PROGRESS: User Initiated", "maskrcnn DELETE_COMPLETE"}));
}

TEST(ClusterLifecycle, AStackThatIsNotAClusterIsLeftAlone) {
  testsupport::FakeHarness h("us-east-1");
  h.transport->set_handler([](const http::Request& r) -> Result<http::Response> {
    EXPECT_EQ(action_of(r), "DescribeStacks");
    return ok(query_response("DescribeStacks",
                             "<Stacks><member><StackId>arn:aws:cloudformation:us-east-1:123456789012:stack/web/1</StackId>"
                             "<StackName>web</StackName><StackStatus>CREATE_COMPLETE</StackStatus><Tags><member><Key>"
                             "team</Key><Value>web</Value></member></Tags></member></Stacks>"));
  });
  cluster::Clusters clusters(h.config);
  auto removed = clusters.remove("web");
  ASSERT_FALSE(removed.ok());
  EXPECT_EQ(removed.error().code, "NotACluster");
  auto resized = clusters.resize("web", 3);
  ASSERT_FALSE(resized.ok());
  EXPECT_EQ(resized.error().code, "NotACluster");
  auto listed = clusters.list();
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->empty());
  EXPECT_EQ(h.transport->request_count(), 3u);
}

TEST(ClusterLifecycle, RemovingAClusterThatDoesNotExistIsNotFound) {
  testsupport::FakeHarness h("us-east-1");
  h.transport->push(400, "<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code><Message>Stack with id "
                         "ghost does not exist</Message></Error><RequestId>x</RequestId></ErrorResponse>");
  cluster::Clusters clusters(h.config);
  auto r = clusters.remove("ghost");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(r.error().code, "ClusterNotFound");
  EXPECT_EQ(h.transport->request_count(), 1u);
}

TEST(ClusterLifecycle, AnOversizedTemplateGoesThroughS3AsTemplateUrl) {
  ScriptedAws aws;
  aws.h.config.endpoint_url = "http://127.0.0.1:4566";
  aws.h.config.s3_force_path_style = true;
  aws.batches = healthy_create();
  internal::lifecycle::Clients c(aws.h.config);
  auto spec = two_workers();
  auto tpl = oversized_template(spec);
  cluster::CreateOptions opts;
  opts.template_bucket = "templates-bucket";
  opts.poll_interval = 1s;
  auto r = internal::lifecycle::create_with_template(c, spec, tpl, opts);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  auto reqs = aws.h.transport->requests();
  ASSERT_GE(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].method, "PUT");
  EXPECT_EQ(reqs[0].path.rfind("/templates-bucket/awsdl/templates/maskrcnn-", 0), 0u) << reqs[0].path;
  EXPECT_EQ(reqs[0].body, tpl.body);
  EXPECT_EQ(action_of(reqs[1]), "CreateStack");
  EXPECT_EQ(reqs[1].body.find("TemplateBody="), std::string::npos);
  EXPECT_NE(reqs[1].body.find("TemplateURL=http%3A%2F%2F127.0.0.1%3A4566%2Ftemplates-bucket%2Fawsdl%2Ftemplates%2F"
                              "maskrcnn-"),
            std::string::npos)
      << reqs[1].body;
}


// ---- the capacity fallback

TEST(CapacityFallback, CapacityFailuresAreNamedFromTheActivities) {
  using internal::lifecycle::capacity_failure;
  autoscaling::Activity a;
  a.status_code = "Failed";
  a.status_message = "We currently do not have sufficient p4d.24xlarge capacity in the Availability Zone you requested "
                     "(us-east-1a). InsufficientInstanceCapacity. Launching EC2 instance failed.";
  EXPECT_EQ(capacity_failure(a), "InsufficientInstanceCapacity");
  a.status_message = "Could not launch Spot Instances. MaxSpotInstanceCountExceeded - Max spot instance count exceeded.";
  EXPECT_EQ(capacity_failure(a), "MaxSpotInstanceCountExceeded");
  a.status_message = "Could not launch Spot Instances. capacity-not-available - There is no Spot capacity available";
  EXPECT_EQ(capacity_failure(a), "capacity-not-available");
  a.status_message = "Your requested instance type (p5.48xlarge) is not supported in your requested Availability Zone. "
                     "Unsupported";
  EXPECT_EQ(capacity_failure(a), "Unsupported");
  a.status_message = "The image id '[ami-1]' does not exist. Launching EC2 instance failed.";
  EXPECT_EQ(capacity_failure(a), "") << "not a capacity failure: no move";
  a.status_message = "We currently do not have sufficient capacity";
  a.status_code = "Successful";
  EXPECT_EQ(capacity_failure(a), "");
}

TEST(CapacityFallback, ZonesInOrderThenOnDemandThenGiveUp) {
  using internal::lifecycle::MoveKind;
  internal::lifecycle::CapacityFallback f;
  f.zones = {"us-east-1a", "us-east-1b", "us-east-1c"};
  f.zone = "us-east-1a";
  f.market = "spot";
  f.spot_then_on_demand = true;
  auto m = internal::lifecycle::next_move(f);
  EXPECT_EQ(m.kind, MoveKind::kNextZone);
  EXPECT_EQ(m.zone, "us-east-1b");
  EXPECT_EQ(m.market, "spot");
  f.zone = "us-east-1c";
  m = internal::lifecycle::next_move(f);
  EXPECT_EQ(m.kind, MoveKind::kOnDemand) << "every zone tried in spot: on-demand from the first zone";
  EXPECT_EQ(m.zone, "us-east-1a");
  EXPECT_EQ(m.market, "on-demand");
  f.market = "on-demand";
  EXPECT_EQ(internal::lifecycle::next_move(f).kind, MoveKind::kGiveUp);
  f.market = "spot";
  f.spot_then_on_demand = false;
  EXPECT_EQ(internal::lifecycle::next_move(f).kind, MoveKind::kGiveUp) << "spot only: no on-demand step";
  f.zone = "us-east-1b";
  EXPECT_EQ(internal::lifecycle::next_move(f).zone, "us-east-1c");
}

TEST(CapacityFallback, OnlyASpecWithSomewhereToGoFallsBack) {
  auto spec = two_workers();
  std::vector<cloudformation::StackParameter> params = {{"WorkerCount", "2"}, {"AvailabilityZone", "us-east-1a"}};
  EXPECT_FALSE(internal::lifecycle::fallback_for_spec(spec, {}, params, {})) << "one zone, on-demand";
  auto f = internal::lifecycle::fallback_for_spec(spec, {"us-east-1a", "us-east-1b"}, params, {"CAPABILITY_IAM"});
  ASSERT_TRUE(f) << "auto zones resolved by the preflight";
  EXPECT_EQ(f->zone, "us-east-1a");
  EXPECT_EQ(f->market, "on-demand");
  EXPECT_EQ(f->timeout, std::chrono::seconds(600));
  EXPECT_FALSE(internal::lifecycle::fallback_for_spec(spec, {"us-east-1a", "us-east-1b"}, {{"WorkerCount", "2"}}, {}))
      << "a template without the zone parameter cannot move";
  spec.capacity.market = cluster::Market::kSpotThenOnDemand;
  f = internal::lifecycle::fallback_for_spec(spec, {}, {{"WorkerOnDemandPercentage", "0"}}, {});
  ASSERT_TRUE(f);
  EXPECT_EQ(f->market, "spot");
  spec.capacity.availability_zones = {"us-east-1b", "us-east-1c"};
  auto tags = internal::lifecycle::fallback_tags(spec, {});
  ASSERT_EQ(tags.size(), 2u);
  EXPECT_EQ(tags[0].value, "us-east-1b us-east-1c");
  EXPECT_EQ(tags[1].value, "spot-then-on-demand");
}

ScriptedAws zoned_cluster() {
  ScriptedAws aws;
  aws.zones = true;
  aws.workers = 2;
  aws.desired = 2;
  // DescribeStackEvents: resize's priming look, its update, the fallback's priming look, its update.
  aws.batches = {{stack_ev("01", "CREATE_COMPLETE")},
                 {stack_ev("02", "UPDATE_IN_PROGRESS"), stack_ev("03", "UPDATE_COMPLETE")},
                 {},
                 {stack_ev("04", "UPDATE_IN_PROGRESS"), stack_ev("05", "UPDATE_COMPLETE")},
                 {},
                 {stack_ev("06", "UPDATE_IN_PROGRESS"), stack_ev("07", "UPDATE_COMPLETE")}};
  return aws;
}

TEST(CapacityFallback, SoldOutInTheFirstZoneTheClusterMovesToTheNext) {
  ScriptedAws aws = zoned_cluster();
  aws.capacity_after = 2;  // the fallback's update (the second) brings the workers
  aws.workers_then = 4;
  cluster::Clusters clusters(aws.h.config);
  std::vector<std::string> lines;
  cluster::ResizeOptions o;
  o.poll_interval = 1s;
  o.on_event = [&](const cluster::ClusterEvent& e) { lines.push_back(e.message); };
  auto r = clusters.resize("maskrcnn", 4, o);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->workers().size(), 4u);
  EXPECT_EQ(aws.console_reads, (std::vector<std::string>{"i-w2", "i-w3"})) << "the new workers' bootstrap is checked";
  ASSERT_EQ(aws.update_bodies.size(), 2u);
  const std::string& move = aws.update_bodies[1];
  EXPECT_NE(move.find("UsePreviousTemplate=true"), std::string::npos) << move;
  EXPECT_NE(move.find("ParameterKey=AvailabilityZone&Parameters.member.3.ParameterValue=us-east-1b"), std::string::npos)
      << move;
  EXPECT_NE(move.find("ParameterKey=WorkerCount&Parameters.member.1.UsePreviousValue=true"), std::string::npos) << move;
  std::string all;
  for (const auto& l : lines) all += l + "\n";
  EXPECT_NE(all.find("p3.16xlarge: no capacity in us-east-1a (on-demand, InsufficientInstanceCapacity); trying us-east-1b"),
            std::string::npos)
      << all;
  EXPECT_EQ(aws.count("SetDesiredCapacity"), 0) << "the group still asks for 4";
}

TEST(CapacityFallback, NoCapacityAnywhereIsAShortfallNamingEveryAttempt) {
  ScriptedAws aws = zoned_cluster();
  aws.capacity_after = 1;  // after the resize, no worker runs anywhere
  aws.workers_then = 0;
  cluster::Clusters clusters(aws.h.config);
  cluster::ResizeOptions o;
  o.poll_interval = 1s;
  auto r = clusters.resize("maskrcnn", 4, o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "WorkerShortfall");
  const std::string& m = r.error().message;
  EXPECT_NE(m.find("p3.16xlarge in us-east-1a (on-demand): InsufficientInstanceCapacity; p3.16xlarge in us-east-1b "
                   "(on-demand): InsufficientInstanceCapacity"),
            std::string::npos)
      << m;
  EXPECT_EQ(aws.update_bodies.size(), 2u) << "the resize, one move; nothing after the last zone";
}

TEST(CapacityFallback, OutOfMovesAtLeastTheMinimumIsAccepted) {
  ScriptedAws aws = zoned_cluster();  // 2 workers keep running, 4 wanted, minimum 1
  cluster::Clusters clusters(aws.h.config);
  std::vector<std::string> lines;
  cluster::ResizeOptions o;
  o.poll_interval = 1s;
  o.on_event = [&](const cluster::ClusterEvent& e) { lines.push_back(e.message); };
  auto r = clusters.resize("maskrcnn", 4, o);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_NE(std::find(lines.begin(), lines.end(), "accepting 2 of 4 workers (minimum 1)"), lines.end());
  EXPECT_EQ(aws.update_bodies.size(), 2u);
}

// A look at the activities that is throttled (past the client's retries) is tried again at the
// next poll rather than ending the wait.
TEST(CapacityFallback, AThrottledLookAtTheActivitiesIsTriedAgain) {
  ScriptedAws aws = zoned_cluster();
  aws.capacity_after = 2;
  aws.workers_then = 4;
  aws.activity_throttles = 2;  // resize's own first look, then the fallback's first
  aws.h.config.retry.max_attempts = 1;
  cluster::Clusters clusters(aws.h.config);
  cluster::ResizeOptions o;
  o.poll_interval = 1s;
  auto r = clusters.resize("maskrcnn", 4, o);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->workers().size(), 4u);
  EXPECT_EQ(aws.update_bodies.size(), 2u) << "the move still happened";
}

TEST(CapacityFallback, TheCapacityTimeoutStopsTheMoves) {
  ScriptedAws aws = zoned_cluster();
  cluster::Clusters clusters(aws.h.config);
  cluster::ResizeOptions o;
  o.poll_interval = 1s;
  o.capacity_timeout_seconds = 0;
  auto r = clusters.resize("maskrcnn", 4, o);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(aws.update_bodies.size(), 1u) << "no move after the timeout";
}

}  // namespace
}  // namespace awsdl
