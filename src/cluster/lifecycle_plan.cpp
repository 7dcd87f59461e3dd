// The calls a create, resume, remove or resize would make, described without making them: a
// dry run prints this plan instead of re-stating the lifecycle's calls.
#include <set>

#include "cluster/lifecycle_internal.hpp"
#include "cluster/preflight_rules.hpp"
#include "cluster/spec_rules.hpp"

namespace awsdl::cluster {

namespace {

using Params = std::vector<std::pair<std::string, std::string>>;

PlannedCall call(std::string service, std::string operation, Params parameters, CallPhase phase) {
  return PlannedCall{std::move(service), std::move(operation), std::move(parameters), phase};
}

const char* on_failure_name(cloudformation::OnFailure f) {
  switch (f) {
    case cloudformation::OnFailure::kDoNothing: return "DO_NOTHING";
    case cloudformation::OnFailure::kRollback: return "ROLLBACK";
    case cloudformation::OnFailure::kDelete: return "DELETE";
    case cloudformation::OnFailure::kUnset: break;
  }
  return "";
}

// The calls that watch a create to its end (the stack's status comes from its events) and
// describe the cluster (finish_create).
void add_watch_and_describe(std::vector<PlannedCall>& calls, const std::string& stack, const std::string& instance_type) {
  calls.push_back(call("cloudformation", "DescribeStackEvents", {{"StackName", stack}}, CallPhase::kPoll));
  calls.push_back(call("autoscaling", "DescribeAutoScalingGroups", {{"AutoScalingGroupNames", "<the worker group>"}},
                       CallPhase::kPoll));
  calls.push_back(call("ec2", "DescribeInstances", {{"InstanceIds", "<the worker group's instances>"}}, CallPhase::kPoll));
  calls.push_back(call("cloudformation", "DescribeStacks", {{"StackName", "<the stack id>"}}, CallPhase::kFinish));
  calls.push_back(call("autoscaling", "DescribeAutoScalingGroups", {{"AutoScalingGroupNames", "<the stack's groups>"}},
                       CallPhase::kFinish));
  calls.push_back(call("ec2", "DescribeInstances", {{"InstanceIds", "<the groups' instances>"}}, CallPhase::kFinish));
  calls.push_back(call("ec2", "DescribeInstanceTypes",
                       {{"InstanceTypes.1", instance_type.empty() ? "<the instances' types>" : instance_type}},
                       CallPhase::kFinish));
}

// What find_cluster_stack refuses before its call (remove and resize start with it).
Status check_name(const std::string& name) {
  if (auto bad = internal::spec_rules::stack_name(name); !bad.empty())
    return Error::invalid_argument("InvalidClusterName",
                                   "cluster name " + internal::spec_rules::quoted(name) + " " + bad);
  return {};
}

// find_cluster_stack, then the page of events that marks everything before the operation seen.
void add_find_and_prime(std::vector<PlannedCall>& calls, const std::string& name) {
  calls.push_back(call("cloudformation", "DescribeStacks", {{"StackName", name}}, CallPhase::kStart));
  calls.push_back(call("cloudformation", "DescribeStackEvents", {{"StackName", "<the stack id>"}}, CallPhase::kStart));
}

// The preflight's calls (preflight.cpp), in its order; each is made at most once.
void add_preflight_calls(std::vector<PlannedCall>& calls, const ClusterSpec& spec) {
  namespace pf = internal::preflight;
  const auto types = spec.instance_type_list();
  std::string list;
  for (const auto& t : types) list += (list.empty() ? "" : " ") + t;
  std::set<std::string> patterns;
  std::map<std::string, int> one;
  for (const auto& t : types) {
    one[t] = 1;
    if (auto f = pf::quota_family(t))
      for (const auto& p : f->prefixes) patterns.insert(p + "*");
  }
  if (!patterns.empty()) {
    std::string v;
    for (const auto& p : patterns) v += (v.empty() ? "" : " ") + p;
    calls.push_back(call("ec2", "DescribeInstances",
                         {{"Filter.instance-state-name", "pending running"}, {"Filter.instance-type", v}},
                         CallPhase::kStart));
  }
  calls.push_back(call("ec2", "DescribeInstanceTypes", {{"InstanceTypes", list + " <and the running ones'>"}},
                       CallPhase::kStart));
  calls.push_back(call("ec2", "DescribeInstanceTypeOfferings",
                       {{"LocationType", "availability-zone"}, {"Filter.instance-type", list}}, CallPhase::kStart));
  for (const auto& need : pf::vcpus_needed(spec, one)) {
    std::string code;
    for (const auto& t : types)
      if (auto f = pf::quota_family(t); f && f->family == need.family) code = need.market == "spot" ? f->spot : f->on_demand;
    calls.push_back(call("servicequotas", "GetServiceQuota", {{"ServiceCode", "ec2"}, {"QuotaCode", code}},
                         CallPhase::kStart));
  }
  if (spec.image_id.empty())
    calls.push_back(call("ssm", "GetParameter", {{"Name", spec.ssm_parameter}}, CallPhase::kStart));
  calls.push_back(call("ec2", "DescribeImages", {{"ImageIds", spec.image_id.empty() ? "<the parameter's value>" : spec.image_id}},
                       CallPhase::kStart));
  if (!spec.key_name.empty())
    calls.push_back(call("ec2", "DescribeKeyPairs", {{"KeyNames", spec.key_name}}, CallPhase::kStart));
  if (!spec.staging_bucket.empty())
    calls.push_back(call("s3", "HeadBucket", {{"Bucket", spec.staging_bucket}}, CallPhase::kStart));
  if (spec.shared == SharedStorage::kEfs && !spec.efs_id.empty())
    calls.push_back(call("efs", "DescribeFileSystems", {{"FileSystemId", spec.efs_id}}, CallPhase::kStart));
  if (spec.shared == SharedStorage::kFsxLustre && !spec.fsx.id.empty())
    calls.push_back(call("fsx", "DescribeFileSystems", {{"FileSystemIds", spec.fsx.id}}, CallPhase::kStart));
  const std::string cr = !spec.capacity.capacity_reservation.empty() ? spec.capacity.capacity_reservation
                                                                     : spec.capacity.capacity_block;
  if (cr.rfind("cr-", 0) == 0)
    calls.push_back(call("ec2", "DescribeCapacityReservations", {{"CapacityReservationIds", cr}}, CallPhase::kStart));
}

}  // namespace

Result<CreatePlan> plan_create(const ClusterSpec& spec, const CreateOptions& options, std::string_view region) {
  AWSDL_TRY(validate(spec));
  AWSDL_TRY(check_zone(spec, region));
  AWSDL_ASSIGN_OR_RETURN(auto tpl, build_template(spec));
  // The very requests create() would send (internal::lifecycle::create_requests), in words.
  AWSDL_ASSIGN_OR_RETURN(auto requests, internal::lifecycle::create_requests(spec, tpl, options));
  CreatePlan plan;
  plan.template_bytes = tpl.size();
  plan.resource_count = tpl.resource_count;
  plan.workers = spec.workers;
  plan.min_workers = spec.effective_min_workers();
  add_preflight_calls(plan.calls, spec);
  const std::string body = "<" + std::to_string(tpl.size()) + " bytes>";
  const auto& stack = requests.stack;
  Params p = {{"StackName", stack.stack_name}};
  if (!requests.bucket.empty()) {
    plan.calls.push_back(
        call("s3", "PutObject", {{"Bucket", requests.bucket}, {"Key", requests.key}, {"Body", body}}, CallPhase::kStart));
    p.push_back({"TemplateURL", "s3://" + requests.bucket + "/" + requests.key});
  } else {
    p.push_back({"TemplateBody", body});
  }
  for (const auto& param : stack.parameters) p.push_back({"Parameters." + param.key, param.value});
  for (std::size_t i = 0; i < stack.capabilities.size(); ++i)
    p.push_back({"Capabilities." + std::to_string(i + 1), stack.capabilities[i]});
  for (const auto& tag : stack.tags) p.push_back({"Tags." + tag.key, tag.value});
  if (stack.on_failure != cloudformation::OnFailure::kUnset) p.push_back({"OnFailure", on_failure_name(stack.on_failure)});
  p.push_back({"ClientRequestToken", "<generated>"});
  plan.calls.push_back(call("cloudformation", "CreateStack", std::move(p), CallPhase::kStart));
  add_watch_and_describe(plan.calls, "<the stack id>", spec.instance_type);
  return plan;
}

std::vector<PlannedCall> plan_resume(const std::string& name) {
  std::vector<PlannedCall> calls = {
      call("cloudformation", "DescribeStacks", {{"StackName", name}}, CallPhase::kStart),
  };
  add_watch_and_describe(calls, "<the stack id>", {});
  return calls;
}

Result<std::vector<PlannedCall>> plan_remove(const std::string& name, const DeleteOptions& options) {
  AWSDL_TRY(check_name(name));
  std::vector<PlannedCall> calls;
  add_find_and_prime(calls, name);
  calls.push_back(call("cloudformation", "DeleteStack",
                       {{"StackName", "<the stack id>"}, {"ClientRequestToken", "<generated>"}}, CallPhase::kStart));
  // The stack's own events carry its status, also once it is deleted (watched by id).
  calls.push_back(call("cloudformation", "DescribeStackEvents", {{"StackName", "<the stack id>"}}, CallPhase::kPoll));
  if (options.delete_file_system)
    calls.push_back(call("efs", "DeleteFileSystem", {{"FileSystemId", "<the file system the stack created>"}},
                         CallPhase::kFinish));
  return calls;
}

// With or without ResizeOptions::wait the same calls: waiting only polls the group longer.
Result<std::vector<PlannedCall>> plan_resize(const std::string& name, int workers, const ResizeOptions&) {
  if (workers < 1)
    return Error::invalid_argument("InvalidWorkerCount", "resize of cluster " + name + ": the worker count must be at "
                                                             "least 1, got " + std::to_string(workers));
  AWSDL_TRY(check_name(name));
  std::vector<PlannedCall> calls;
  calls.push_back(call("cloudformation", "DescribeStacks", {{"StackName", name}}, CallPhase::kStart));
  // The preflight of the workers added (internal::preflight::run_for_resize), when it grows.
  const std::pair<std::string, std::string> grows{"(when)", "the count grows"};
  calls.push_back(call("ec2", "DescribeInstances",
                       {grows, {"Filter.instance-state-name", "pending running"},
                        {"Filter.instance-type", "<the family of the stack's type>*"}},
                       CallPhase::kStart));
  calls.push_back(call("ec2", "DescribeInstanceTypes", {grows, {"InstanceTypes", "<the stack's type and the running ones'>"}},
                       CallPhase::kStart));
  calls.push_back(call("servicequotas", "GetServiceQuota",
                       {grows, {"ServiceCode", "ec2"}, {"QuotaCode", "<the family's quota in the workers' market>"}},
                       CallPhase::kStart));
  // The failures already there are history for the capacity fallback, when the stack has one.
  calls.push_back(call("autoscaling", "DescribeScalingActivities",
                       {{"(when)", "the stack records candidate zones or spot-then-on-demand"},
                        {"AutoScalingGroupName", "<the worker group>"}, {"MaxRecords", "20"}},
                       CallPhase::kStart));
  // The workers before it grows: the others are watched until they bootstrapped.
  calls.push_back(call("autoscaling", "DescribeAutoScalingGroups",
                       {grows, {"AutoScalingGroupNames", "<the worker group>"}}, CallPhase::kStart));
  calls.push_back(call("cloudformation", "DescribeStackEvents", {{"StackName", "<the stack id>"}}, CallPhase::kStart));
  const std::string count = std::to_string(workers);
  calls.push_back(call("cloudformation", "UpdateStack",
                       {{"StackName", "<the stack id>"},
                        {"UsePreviousTemplate", "true"},
                        {std::string("Parameters.") + names::kWorkerCount, count},
                        {std::string("Parameters.") + names::kMinWorkerCount,
                         "<the stack's MinWorkerCount, or " + count + " when it is above>"},
                        {"Parameters.*", "UsePreviousValue=true"},
                        {"Capabilities", "<the stack's>"},
                        {"ClientRequestToken", "<generated>"}},
                       CallPhase::kStart));
  // The same watch as a create's (the update's events, the workers), then the description.
  add_watch_and_describe(calls, "<the stack id>", "");
  // Before the description: the new workers' consoles until cloud-init finished on each.
  auto finish = std::find_if(calls.begin(), calls.end(), [](const PlannedCall& p) { return p.phase == CallPhase::kFinish; });
  calls.insert(finish, call("ec2", "GetConsoleOutput",
                            {grows, {"InstanceId", "<each new worker>"}, {"Latest", "true"}}, CallPhase::kPoll));
  return calls;
}

}  // namespace awsdl::cluster
