// The checks before a cluster is created (Clusters::preflight) against a scripted EC2,
// Service Quotas, SSM and S3 on a fake transport: each check's verdict, the numbers and the
// next steps of a refusal (and awsdl-cluster's words for them), checks that cannot be made
// skipped rather than guessed, no call repeated, and the plan listing the same calls.
#include "awsdl/cluster/preflight.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "awsdl/cluster/lifecycle.hpp"
#include "cluster/cluster_words.hpp"
#include "cluster/preflight_rules.hpp"
#include "support/cluster_specs.hpp"
#include "support/fake_harness.hpp"

namespace awsdl {
namespace {

using cluster::CheckVerdict;

std::string ec2_wrap(const std::string& action, const std::string& inner) {
  return "<" + action + "Response xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>r</requestId>" + inner +
         "</" + action + "Response>";
}

http::Response answer(int status, std::string body, http::Headers headers = {}) {
  http::Response r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

http::Response ec2_error(const std::string& code, int status = 400) {
  return answer(status, "<Response><Errors><Error><Code>" + code + "</Code><Message>m</Message></Error></Errors>"
                        "<RequestID>x</RequestID></Response>");
}

// "ec2 DescribeKeyPairs", "servicequotas GetServiceQuota", "s3 HEAD".
std::string operation(const http::Request& r) {
  const std::string target(r.headers.get("X-Amz-Target").value_or(""));
  if (!target.empty()) return target.substr(target.find('.') + 1);
  auto at = r.body.find("Action=");
  if (at != std::string::npos) {
    auto end = r.body.find('&', at);
    return r.body.substr(at + 7, end == std::string::npos ? std::string::npos : end - at - 7);
  }
  return r.method == "HEAD" ? "HeadBucket" : r.method + " " + r.path;
}

struct Type {
  int vcpus;
  int gpus;
  std::string arch;
  bool efa;
};

// An account: instance types, offerings, quotas, images, key pairs, buckets, reservations.
struct ScriptedAccount {
  testsupport::FakeHarness h{"us-east-1"};
  std::map<std::string, Type> types = {{"p4d.24xlarge", {96, 8, "x86_64", true}},
                                       {"p3.16xlarge", {64, 8, "x86_64", false}},
                                       {"g5g.16xlarge", {64, 2, "arm64", false}}};
  std::map<std::string, std::vector<std::string>> offered = {
      {"p4d.24xlarge", {"us-east-1a", "us-east-1b"}}, {"p3.16xlarge", {"us-east-1a", "us-east-1c"}}, {"g5g.16xlarge", {"us-east-1a"}}};
  std::map<std::string, double> quotas = {{"L-417A185B", 1000}, {"L-7212CCBC", 1000}, {"L-DB2E81BA", 1000}, {"L-3819A6DF", 1000}};
  std::vector<std::pair<std::string, std::string>> running;  // type, lifecycle ("" or "spot")
  std::string image_arch = "x86_64";
  bool key_exists = true;
  std::string bucket_region = "us-east-1";  // "" = no such bucket
  std::map<std::string, std::string> unsupported;  // operation -> error code it answers
  std::string reservation_zone = "us-east-1b";
  int reservation_free = 4;
  std::vector<std::string> ops;

  ScriptedAccount() {
    h.transport->set_handler([this](const http::Request& r) -> Result<http::Response> { return handle(r); });
  }

  Result<http::Response> handle(const http::Request& r) {
    const std::string op = operation(r);
    ops.push_back(op);
    if (auto u = unsupported.find(op); u != unsupported.end()) {
      if (r.headers.get("X-Amz-Target"))
        return answer(400, R"({"__type":")" + u->second + R"(","message":"no"})");
      return ec2_error(u->second);
    }
    if (op == "DescribeInstances") {
      std::string items;
      int n = 0;
      for (const auto& [type, lifecycle] : running)
        items += "<item><instanceId>i-r" + std::to_string(n++) + "</instanceId><instanceType>" + type +
                 "</instanceType><instanceState><code>16</code><name>running</name></instanceState>" +
                 (lifecycle.empty() ? "" : "<instanceLifecycle>" + lifecycle + "</instanceLifecycle>") + "</item>";
      return answer(200, ec2_wrap(op, "<reservationSet><item><reservationId>r-1</reservationId><instancesSet>" + items +
                                          "</instancesSet></item></reservationSet>"));
    }
    if (op == "DescribeInstanceTypes") {
      std::string items, unknown;
      for (std::size_t at = r.body.find("InstanceType."); at != std::string::npos; at = r.body.find("InstanceType.", at + 1)) {
        auto eq = r.body.find('=', at);
        auto end = r.body.find('&', eq);
        std::string t = r.body.substr(eq + 1, end == std::string::npos ? std::string::npos : end - eq - 1);
        auto it = types.find(t);
        if (it == types.end()) {
          unknown += (unknown.empty() ? "" : ", ") + t;
          continue;
        }
        items += "<item><instanceType>" + t + "</instanceType><vCpuInfo><defaultVCpus>" + std::to_string(it->second.vcpus) +
                 "</defaultVCpus></vCpuInfo><processorInfo><supportedArchitectures><item>" + it->second.arch +
                 "</item></supportedArchitectures></processorInfo><networkInfo><efaSupported>" +
                 (it->second.efa ? "true" : "false") + "</efaSupported><maximumNetworkCards>" +
                 (it->second.efa ? "4" : "1") + "</maximumNetworkCards></networkInfo><gpuInfo><gpus><item><count>" +
                 std::to_string(it->second.gpus) + "</count></item></gpus></gpuInfo></item>";
      }
      if (!unknown.empty())
        return answer(400, "<Response><Errors><Error><Code>InvalidInstanceType</Code><Message>The following supplied "
                           "instance types do not exist: [" + unknown + "]</Message></Error></Errors><RequestID>x"
                           "</RequestID></Response>");
      return answer(200, ec2_wrap(op, "<instanceTypeSet>" + items + "</instanceTypeSet>"));
    }
    if (op == "DescribeInstanceTypeOfferings") {
      std::string items;
      for (const auto& [t, zones] : offered)
        if (r.body.find("=" + t) != std::string::npos)
          for (const auto& z : zones)
            items += "<item><instanceType>" + t + "</instanceType><locationType>availability-zone</locationType>"
                     "<location>" + z + "</location></item>";
      return answer(200, ec2_wrap(op, "<instanceTypeOfferingSet>" + items + "</instanceTypeOfferingSet>"));
    }
    if (op == "GetServiceQuota") {
      for (const auto& [code, value] : quotas)
        if (r.body.find(code) != std::string::npos)
          return answer(200, R"({"Quota":{"ServiceCode":"ec2","QuotaCode":")" + code + R"(","QuotaName":"the quota","Value":)" +
                                 std::to_string(value) + "}}");
      return answer(400, R"({"__type":"NoSuchResourceException","message":"no"})");
    }
    if (op == "GetParameter")
      return answer(200, R"({"Parameter":{"Name":"p","Type":"String","Value":"ami-0123456789abcdef0","Version":1}})");
    if (op == "DescribeImages")
      return answer(200, ec2_wrap(op, "<imagesSet><item><imageId>ami-0123456789abcdef0</imageId><name>dlami</name>"
                                      "<architecture>" + image_arch + "</architecture><imageState>available</imageState>"
                                      "</item></imagesSet>"));
    if (op == "DescribeKeyPairs") {
      if (!key_exists) return ec2_error("InvalidKeyPair.NotFound");
      return answer(200, ec2_wrap(op, "<keySet><item><keyName>team</keyName><keyPairId>key-1</keyPairId></item></keySet>"));
    }
    if (op == "HeadBucket") {
      if (bucket_region.empty()) return answer(404, "");
      http::Headers hd;
      hd.set("x-amz-bucket-region", bucket_region);
      // A bucket of another region: S3 refuses the HEAD and names the region in a header.
      return answer(bucket_region == "us-east-1" ? 200 : 400, "", hd);
    }
    if (op == "DescribeCapacityReservations")
      return answer(200, ec2_wrap(op, "<capacityReservationSet><item><capacityReservationId>cr-0123456789abcdef0"
                                      "</capacityReservationId><instanceType>p4d.24xlarge</instanceType><availabilityZone>" +
                                          reservation_zone + "</availabilityZone><state>active</state><totalInstanceCount>4"
                                          "</totalInstanceCount><availableInstanceCount>" + std::to_string(reservation_free) +
                                          "</availableInstanceCount></item></capacityReservationSet>"));
    return Error::make(ErrorKind::kInternal, "Unscripted", "no answer for " + op);
  }

  Result<cluster::PreflightReport> run(const cluster::ClusterSpec& spec) {
    return cluster::Clusters(h.config).preflight(spec);
  }
};

cluster::ClusterSpec p4d_spec(int workers = 4) {
  auto s = testing::default_cluster_spec();
  s.instance_type = "p4d.24xlarge";
  s.workers = workers;
  s.min_workers = 1;
  return s;
}

const cluster::PreflightCheck* check(const cluster::PreflightReport& r, const std::string& name) {
  for (const auto& c : r.checks)
    if (c.name == name && c.verdict == CheckVerdict::kFail) return &c;
  for (const auto& c : r.checks)
    if (c.name == name) return &c;
  return nullptr;
}

// The code of the refusal create() would return, or what happened instead (a test that
// expects a refusal fails on these rather than stopping).
std::string code_of(const Result<cluster::PreflightReport>& r) {
  if (!r.ok()) return "call failed: " + r.error().to_string();
  auto s = r->status();
  return s.ok() ? "<passed>" : s.error().code;
}
std::string message_of(const Result<cluster::PreflightReport>& r) {
  if (!r.ok()) return "call failed: " + r.error().to_string();
  auto s = r->status();
  return s.ok() ? "<passed>" : s.error().message;
}

// ---- the rules, no call

TEST(PreflightRules, TypesDrawOnTheirFamilysQuota) {
  using internal::preflight::quota_family;
  EXPECT_EQ(quota_family("p4d.24xlarge")->on_demand, "L-417A185B");
  EXPECT_EQ(quota_family("p5.48xlarge")->spot, "L-7212CCBC");
  EXPECT_EQ(quota_family("g5.12xlarge")->on_demand, "L-DB2E81BA");
  EXPECT_EQ(quota_family("vt1.3xlarge")->spot, "L-3819A6DF");
  EXPECT_EQ(quota_family("c5.xlarge")->on_demand, "L-1216C47A");
  EXPECT_EQ(quota_family("im4gn.large")->family, "Standard");
  EXPECT_FALSE(quota_family("inf2.xlarge")) << "not guessed";
  EXPECT_FALSE(quota_family("trn1.32xlarge"));
  EXPECT_FALSE(quota_family("dl1.24xlarge"));
  EXPECT_EQ(internal::preflight::type_prefix("u-6tb1.metal"), "u");
}

TEST(PreflightRules, WorkersCountAtTheLargestTypeInTheirMarketPlusTheMaster) {
  using internal::preflight::vcpus_needed;
  auto spec = p4d_spec(4);
  spec.capacity.instance_types = {"p3.16xlarge", "p4d.24xlarge"};
  spec.capacity.market = cluster::Market::kSpotThenOnDemand;
  auto needs = vcpus_needed(spec, {{"p3.16xlarge", 64}, {"p4d.24xlarge", 96}});
  ASSERT_EQ(needs.size(), 2u);
  EXPECT_EQ(needs[0].market, "on-demand");
  EXPECT_EQ(needs[0].vcpus, 64 + 4 * 96) << "the master (first type) and the workers' on-demand fallback";
  EXPECT_FALSE(needs[0].fallback_only) << "the master needs it in any case";
  EXPECT_EQ(needs[1].market, "spot");
  EXPECT_EQ(needs[1].vcpus, 4 * 96);
  spec.capacity.master_market = cluster::Market::kSpot;
  needs = vcpus_needed(spec, {{"p3.16xlarge", 64}, {"p4d.24xlarge", 96}});
  ASSERT_EQ(needs.size(), 2u);
  EXPECT_EQ(needs[0].market, "spot");
  EXPECT_EQ(needs[0].vcpus, 64 + 4 * 96);
  EXPECT_EQ(needs[1].market, "on-demand");
  EXPECT_TRUE(needs[1].fallback_only);
}

// ---- the checks

TEST(Preflight, AHealthyAccountPassesEveryCheckWithEachCallOnce) {
  ScriptedAccount a;
  a.running = {{"p4d.24xlarge", ""}, {"c5.xlarge", ""}};
  a.types["c5.xlarge"] = {4, 0, "x86_64", false};
  auto r = a.run(p4d_spec());
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  for (const auto& c : r->checks) EXPECT_EQ(c.verdict, CheckVerdict::kPass) << c.name << ": " << c.message;
  EXPECT_TRUE(r->ok());
  EXPECT_TRUE(r->status().ok());
  EXPECT_EQ(r->zones, (std::vector<std::string>{"us-east-1a", "us-east-1b"})) << "auto: the zones offering the first type";
  ASSERT_EQ(r->types.size(), 1u);
  EXPECT_EQ(r->types[0].vcpus, 96);
  EXPECT_EQ(r->types[0].gpus, 8);
  EXPECT_EQ(r->types[0].architectures, (std::vector<std::string>{"x86_64"}));
  EXPECT_TRUE(r->types[0].efa_supported);
  EXPECT_TRUE(r->efa) << "efa auto with every type supporting it";
  ASSERT_EQ(r->quotas.size(), 1u);
  EXPECT_EQ(r->quotas[0].quota_code, "L-417A185B");
  EXPECT_EQ(r->quotas[0].needed_vcpus, 5 * 96);
  EXPECT_EQ(r->quotas[0].running_vcpus, 96) << "the running p4d counts, the c5 is another family";
  EXPECT_EQ(r->image_id, "ami-0123456789abcdef0");
  EXPECT_EQ(r->image_architecture, "x86_64");
  // Each call once; the report counts them.
  EXPECT_EQ(a.ops, (std::vector<std::string>{"DescribeInstances", "DescribeInstanceTypes", "DescribeInstanceTypeOfferings",
                                             "GetServiceQuota", "GetParameter", "DescribeImages", "DescribeKeyPairs",
                                             "HeadBucket"}));
  EXPECT_EQ(r->api_calls, static_cast<int>(a.ops.size()));
  // The running type's vCPUs come from the same DescribeInstanceTypes call.
  EXPECT_NE(a.h.body(1).find("InstanceType.2=c5.xlarge"), std::string::npos) << a.h.body(1);
}

TEST(Preflight, AQuotaTooSmallIsRefusedWithTheNumbersAndTheIncreaseCommand) {
  ScriptedAccount a;
  a.quotas["L-417A185B"] = 0;
  auto r = a.run(p4d_spec(4));
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  const auto* q = check(*r, "quota");
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->verdict, CheckVerdict::kFail);
  EXPECT_EQ(q->code, "InsufficientQuota");
  auto s = r->status();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "InsufficientQuota");
  EXPECT_EQ(s.error().kind, ErrorKind::kService);
  for (const char* want : {"480 vCPUs", "L-417A185B", "is 0", "us-east-1", "480"})
    EXPECT_NE(s.error().message.find(want), std::string::npos) << want << " not in: " << s.error().message;
  EXPECT_EQ(s.error().next_steps, (std::vector<NextStep>{{cluster::next_step::kRequestQuota, "ec2 L-417A185B 480"}}));
  const std::string words = awsdl_cluster::render_error(s.error());
  EXPECT_NE(words.find("next: aws service-quotas request-service-quota-increase --service-code ec2 --quota-code "
                       "L-417A185B --desired-value 480"),
            std::string::npos)
      << words;
  EXPECT_EQ(s.error().message.find("aws service-quotas"), std::string::npos) << "the program renders the command";
}

TEST(Preflight, RunningInstancesOfTheFamilyAndMarketUseTheQuota) {
  ScriptedAccount a;
  a.quotas["L-417A185B"] = 500;  // 5 x 96 = 480 needed: enough alone
  a.running = {{"p3.16xlarge", ""}};  // 64 on-demand vCPUs in use: 544 > 500
  auto r = a.run(p4d_spec(4));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(check(*r, "quota")->verdict, CheckVerdict::kFail);
  ASSERT_EQ(r->quotas.size(), 1u);
  EXPECT_EQ(r->quotas[0].running_vcpus, 64);
  auto s = r->status();
  ASSERT_FALSE(s.ok());
  ASSERT_EQ(s.error().next_steps.size(), 1u);
  EXPECT_EQ(s.error().next_steps[0].detail, "ec2 L-417A185B 544");
  a.running = {{"p3.16xlarge", "spot"}};  // a spot instance does not use the on-demand quota
  a.ops.clear();
  r = a.run(p4d_spec(4));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(check(*r, "quota")->verdict, CheckVerdict::kPass);
}

TEST(Preflight, ATypeNotOfferedInTheZonesAskedNamesWhereItIs) {
  ScriptedAccount a;
  auto spec = p4d_spec();
  spec.capacity.availability_zones = {"us-east-1c"};
  auto r = a.run(spec);
  ASSERT_TRUE(r.ok());
  auto s = r->status();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "InstanceTypeNotOffered");
  EXPECT_NE(s.error().message.find("us-east-1a, us-east-1b"), std::string::npos) << s.error().message;
  EXPECT_EQ(s.error().next_steps, (std::vector<NextStep>{{cluster::next_step::kChooseZones, "us-east-1a us-east-1b"}}));
  // A list with one zone offering none of the types is refused too.
  spec.capacity.availability_zones = {"us-east-1a", "us-east-1c"};
  EXPECT_EQ(code_of(a.run(spec)), "InstanceTypeNotOffered");
  spec.capacity.availability_zones = {"us-east-1b", "us-east-1a"};
  auto ok = a.run(spec);
  EXPECT_TRUE(ok->ok());
  EXPECT_EQ(ok->zones, (std::vector<std::string>{"us-east-1b", "us-east-1a"})) << "the order asked is kept";
}

TEST(Preflight, AnUnknownTypeIsRefused) {
  ScriptedAccount a;
  auto spec = p4d_spec();
  spec.capacity.instance_types = {"p4d.24xlarge", "p9.mega"};
  auto r = a.run(spec);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(code_of(r), "InvalidInstanceType");
  EXPECT_NE(message_of(r).find("p9.mega"), std::string::npos);
}

TEST(Preflight, AnImageOfAnotherArchitectureIsRefused) {
  ScriptedAccount a;
  a.image_arch = "arm64";
  auto r = a.run(p4d_spec());
  ASSERT_TRUE(r.ok());
  auto s = r->status();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "ImageArchitectureMismatch");
  EXPECT_NE(s.error().message.find("arm64"), std::string::npos);
  EXPECT_NE(s.error().message.find("x86_64"), std::string::npos);
  EXPECT_EQ(s.error().next_steps, (std::vector<NextStep>{{cluster::next_step::kChooseImage, "x86_64"}}));
}

TEST(Preflight, MixedArchitecturesAndEfaOnATypeWithoutItAreRefused) {
  ScriptedAccount a;
  auto mixed = p4d_spec();
  mixed.capacity.instance_types = {"p4d.24xlarge", "g5g.16xlarge"};
  auto r = a.run(mixed);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(code_of(r), "MixedArchitectures") << message_of(r);
  auto efa = p4d_spec();
  efa.capacity.instance_types = {"p4d.24xlarge", "p3.16xlarge"};
  efa.capacity.efa = cluster::EfaMode::kYes;
  r = a.run(efa);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(code_of(r), "EfaNotSupported");
  EXPECT_NE(message_of(r).find("p3.16xlarge"), std::string::npos);
  efa.capacity.efa = cluster::EfaMode::kAuto;
  r = a.run(efa);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->ok());
  EXPECT_FALSE(r->efa) << "auto: off when a type lacks EFA";
}

TEST(Preflight, AMissingKeyPairAndABucketElsewhereAreRefused) {
  ScriptedAccount a;
  a.key_exists = false;
  a.bucket_region = "eu-west-1";
  auto r = a.run(p4d_spec());
  ASSERT_TRUE(r.ok());
  auto s = r->status();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "PreflightFailed") << "two failures";
  EXPECT_NE(s.error().message.find("key pair team"), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("team-bucket is in eu-west-1"), std::string::npos) << s.error().message;
  EXPECT_EQ(s.error().next_steps, (std::vector<NextStep>{{cluster::next_step::kCreateKeyPair, "team"},
                                                         {cluster::next_step::kBucketRegion, "team-bucket eu-west-1"}}));
  const std::string words = awsdl_cluster::render_error(s.error());
  EXPECT_NE(words.find("next: import your public key with `aws ec2 import-key-pair --key-name team"), std::string::npos)
      << words;
  a.key_exists = true;
  a.bucket_region = "";
  EXPECT_EQ(code_of(a.run(p4d_spec())), "BucketNotFound");
}

TEST(Preflight, AReservationOutsideTheZonesOrFullIsRefusedAndPinsTheZone) {
  ScriptedAccount a;
  auto spec = p4d_spec(4);
  spec.capacity.capacity_reservation = "cr-0123456789abcdef0";
  auto r = a.run(spec);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->ok()) << message_of(r);
  EXPECT_EQ(r->zones, (std::vector<std::string>{"us-east-1b"})) << "a reservation pins the zone";
  spec.capacity.availability_zones = {"us-east-1a"};
  EXPECT_EQ(code_of(a.run(spec)), "ReservationZoneMismatch");
  spec.capacity.availability_zones.clear();
  a.reservation_free = 0;
  EXPECT_EQ(code_of(a.run(spec)), "ReservationFull");
  a.reservation_free = 2;
  r = a.run(spec);
  EXPECT_TRUE(r->ok());
  EXPECT_EQ(check(*r, "reservation")->verdict, CheckVerdict::kWarn);
  auto block = p4d_spec();
  block.capacity.capacity_block = "cr-0123456789abcdef0";
  block.capacity.market = cluster::Market::kSpot;
  // Refused before any call, by the spec's own check (the preflight validates the spec first).
  const auto calls_before = a.ops.size();
  auto refused = a.run(block);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "InvalidClusterSpec");
  EXPECT_NE(refused.error().message.find("capacity_block cannot be used with market spot"), std::string::npos)
      << refused.error().message;
  EXPECT_EQ(a.ops.size(), calls_before);
}

// An endpoint without an operation, or credentials without the permission: skipped, not refused.
TEST(Preflight, ChecksThatCannotBeMadeAreSkippedWithTheReason) {
  ScriptedAccount a;
  a.unsupported = {{"DescribeInstanceTypeOfferings", "InvalidAction"},
                   {"GetServiceQuota", "AccessDeniedException"},
                   {"DescribeKeyPairs", "UnauthorizedOperation"}};
  auto r = a.run(p4d_spec());
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_TRUE(r->ok());
  for (const char* name : {"offerings", "quota", "key pair"}) {
    const auto* c = check(*r, name);
    ASSERT_NE(c, nullptr) << name;
    EXPECT_EQ(c->verdict, CheckVerdict::kSkipped) << name;
    EXPECT_FALSE(c->message.empty());
  }
  // A real failure of a call is an error, not a skipped check.
  ScriptedAccount b;
  b.unsupported = {{"DescribeImages", "InternalError"}};
  b.h.config.retry.max_attempts = 1;
  auto e = b.run(p4d_spec());
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code, "InternalError");
}

// The dry run's plan lists the calls the preflight makes, in its order.
TEST(Preflight, ThePlanOfACreateListsThePreflightCalls) {
  auto spec = p4d_spec();
  spec.capacity.capacity_reservation = "cr-0123456789abcdef0";
  auto plan = cluster::plan_create(spec, {}, "us-east-1");
  ASSERT_TRUE(plan.ok()) << plan.error().to_string();
  std::vector<std::string> planned;
  for (const auto& c : plan->calls) {
    if (c.operation == "CreateStack") break;
    planned.push_back(c.operation);
  }
  ScriptedAccount a;
  auto r = a.run(spec);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(planned, a.ops);
}

}  // namespace
}  // namespace awsdl
