#include "awsdl/autoscaling/autoscaling.hpp"

#include "protocol/error_parser.hpp"
#include "protocol/pagination.hpp"
#include "protocol/query_pages.hpp"
#include "protocol/query_serializer.hpp"
#include "protocol/service_client.hpp"
#include "util/xml.hpp"

namespace awsdl::autoscaling {
namespace {

using internal::QueryScope;
using internal::xml_int;
using internal::xml_list;
using internal::xml_text;

Status check_name(const std::string& name, const char* op) {
  if (name.empty() || name.size() > 255)
    return Error::invalid_argument("InvalidParameterValue", std::string(op) + ": group name must be 1 to 255 characters");
  return {};
}

GroupInstance parse_instance(pugi::xml_node m) {
  return {xml_text(m, "InstanceId"),     xml_text(m, "InstanceType"), xml_text(m, "AvailabilityZone"),
          xml_text(m, "LifecycleState"), xml_text(m, "HealthStatus"), xml_text(m, "AutoScalingGroupName")};
}

Group parse_group(pugi::xml_node m) {
  Group g;
  g.name = xml_text(m, "AutoScalingGroupName");
  g.arn = xml_text(m, "AutoScalingGroupARN");
  g.min_size = static_cast<int>(xml_int(m, "MinSize").value_or(0));
  g.max_size = static_cast<int>(xml_int(m, "MaxSize").value_or(0));
  g.desired_capacity = static_cast<int>(xml_int(m, "DesiredCapacity").value_or(0));
  g.status = xml_text(m, "Status");
  g.placement_group = xml_text(m, "PlacementGroup");
  g.vpc_zone_identifier = xml_text(m, "VPCZoneIdentifier");
  g.created_time = xml_text(m, "CreatedTime");
  for (auto z : xml_list(m, "AvailabilityZones")) g.availability_zones.push_back(z.text().get());
  for (auto i : xml_list(m, "Instances")) {
    g.instances.push_back(parse_instance(i));
    g.instances.back().group_name = g.name;
  }
  for (auto p : xml_list(m, "SuspendedProcesses")) g.suspended_processes.push_back(xml_text(p, "ProcessName"));
  for (auto t : xml_list(m, "Tags"))
    g.tags.push_back({xml_text(t, "Key"), xml_text(t, "Value"), internal::xml_bool(t, "PropagateAtLaunch").value_or(false)});
  return g;
}

}  // namespace

std::string Group::tag(const std::string& key) const {
  for (const auto& t : tags)
    if (t.key == key) return t.value;
  return {};
}

AutoScalingClient::AutoScalingClient(Config config)
    : client_(std::make_shared<ServiceClient>(std::move(config),
                                                        internal::service_info(internal::Service::kAutoScaling))) {}

Result<std::vector<Group>> AutoScalingClient::describe_groups(const DescribeGroupsRequest& r,
                                                              const CallOptions& options) const {
  if (r.max_records && (*r.max_records < 1 || *r.max_records > 100))
    return Error::invalid_argument("InvalidParameterValue", "DescribeAutoScalingGroups: max_records must be 1..100");
  std::vector<Group> out;
  AWSDL_TRY(internal::query_pages(
      *client_, "AutoScaling", "DescribeAutoScalingGroups", options,
      [&r](internal::QueryRequest& q, const std::string& token) {
        if (!r.names.empty()) q.add_list("AutoScalingGroupNames", r.names);
        q.add_optional("NextToken", token).add_optional("MaxRecords", r.max_records);
        if (!r.filters.empty())
          q.add_list("Filters", r.filters, [](QueryScope& s, const Filter& f) {
            s.add("Name", f.name);
            s.add_list("Values", f.values);
          });
      },
      [&out](pugi::xml_node result) {
        for (auto m : xml_list(result, "AutoScalingGroups")) out.push_back(parse_group(m));
        return true;
      }));
  return out;
}

Result<Group> AutoScalingClient::describe_group(const std::string& name, const CallOptions& options) const {
  AWSDL_TRY(check_name(name, "DescribeAutoScalingGroups"));
  AWSDL_ASSIGN_OR_RETURN(auto groups, describe_groups({.names = {name}}, options));
  for (auto& g : groups)
    if (g.name == name) return std::move(g);
  return Error::make(ErrorKind::kNotFound, "GroupNotFound", "no Auto Scaling group named '" + name + "'");
}

Status AutoScalingClient::set_desired_capacity(const std::string& name, int desired, bool honor_cooldown,
                                               const CallOptions& options) const {
  AWSDL_TRY(check_name(name, "SetDesiredCapacity"));
  if (desired < 0)
    return Error::invalid_argument("InvalidParameterValue",
                                   "SetDesiredCapacity: desired capacity cannot be negative (" + std::to_string(desired) + ")");
  internal::QueryRequest q{"SetDesiredCapacity", client_->info().api_version};
  q.add("AutoScalingGroupName", name).add("DesiredCapacity", desired);
  if (honor_cooldown) q.add("HonorCooldown", true);
  // Sets an absolute value: twice is once.
  AWSDL_ASSIGN_OR_RETURN(auto doc, client_->call_query(q, options, internal::Idempotency::kIdempotent));
  AWSDL_TRY(internal::xml_answer_root(doc, q.action()));  // no result element; an error document is still an error
  return {};
}

Status AutoScalingClient::set_instance_health(const std::string& instance_id, bool healthy,
                                              bool respect_grace_period, const CallOptions& options) const {
  if (instance_id.empty() || instance_id.size() > 19)
    return Error::invalid_argument("InvalidParameterValue", "SetInstanceHealth: an instance id of 1 to 19 characters");
  internal::QueryRequest q{"SetInstanceHealth", client_->info().api_version};
  q.add("InstanceId", instance_id).add("HealthStatus", std::string(healthy ? "Healthy" : "Unhealthy"));
  if (respect_grace_period) q.add("ShouldRespectGracePeriod", true);
  // Sets a state: twice is once.
  AWSDL_ASSIGN_OR_RETURN(auto doc, client_->call_query(q, options, internal::Idempotency::kIdempotent));
  AWSDL_TRY(internal::xml_answer_root(doc, q.action()));
  return {};
}

Status AutoScalingClient::update_group(const UpdateGroupRequest& r, const CallOptions& options) const {
  AWSDL_TRY(check_name(r.name, "UpdateAutoScalingGroup"));
  for (auto v : {r.min_size, r.max_size, r.desired_capacity})
    if (v && *v < 0) return Error::invalid_argument("InvalidParameterValue", "UpdateAutoScalingGroup: sizes cannot be negative");
  if (r.min_size && r.max_size && *r.min_size > *r.max_size)
    return Error::invalid_argument("InvalidParameterValue", "UpdateAutoScalingGroup: min_size is above max_size");
  internal::QueryRequest q{"UpdateAutoScalingGroup", client_->info().api_version};
  q.add("AutoScalingGroupName", r.name)
      .add_optional("MinSize", r.min_size)
      .add_optional("MaxSize", r.max_size)
      .add_optional("DesiredCapacity", r.desired_capacity)
      .add_optional("HealthCheckGracePeriod", r.health_check_grace_period)
      .add_optional("PlacementGroup", r.placement_group)
      .add_optional("VPCZoneIdentifier", r.vpc_zone_identifier);
  // Sets absolute values: twice is once.
  AWSDL_ASSIGN_OR_RETURN(auto doc, client_->call_query(q, options, internal::Idempotency::kIdempotent));
  AWSDL_TRY(internal::xml_answer_root(doc, q.action()));  // no result element; an error document is still an error
  return {};
}

Result<std::vector<Activity>> AutoScalingClient::describe_scaling_activities(const std::string& group_name,
                                                                             int max_activities,
                                                                             const CallOptions& options) const {
  std::vector<Activity> out;
  AWSDL_TRY(internal::query_pages(
      *client_, "AutoScaling", "DescribeScalingActivities", options,
      [&group_name](internal::QueryRequest& q, const std::string& token) {
        q.add_optional("AutoScalingGroupName", group_name).add_optional("NextToken", token);
      },
      [&](pugi::xml_node result) {
        for (auto m : xml_list(result, "Activities")) {
          out.push_back({xml_text(m, "ActivityId"), xml_text(m, "AutoScalingGroupName"), xml_text(m, "Description"),
                         xml_text(m, "Cause"), xml_text(m, "StartTime"), xml_text(m, "EndTime"),
                         xml_text(m, "StatusCode"), xml_text(m, "StatusMessage"),
                         static_cast<int>(xml_int(m, "Progress").value_or(0))});
          if (max_activities > 0 && static_cast<int>(out.size()) >= max_activities) return false;
        }
        return true;
      }));
  return out;
}

Result<std::vector<GroupInstance>> AutoScalingClient::describe_instances(const std::vector<std::string>& ids,
                                                                         const CallOptions& options) const {
  std::vector<GroupInstance> out;
  AWSDL_TRY(internal::query_pages(
      *client_, "AutoScaling", "DescribeAutoScalingInstances", options,
      [&ids](internal::QueryRequest& q, const std::string& token) {
        if (!ids.empty()) q.add_list("InstanceIds", ids);
        q.add_optional("NextToken", token);
      },
      [&out](pugi::xml_node result) {
        for (auto m : xml_list(result, "AutoScalingInstances")) out.push_back(parse_instance(m));
        return true;
      }));
  return out;
}

namespace {
Status process_call(const internal::ServiceClient& client, const char* action, const std::string& group,
                    const std::vector<std::string>& processes, const CallOptions& options) {
  AWSDL_TRY(check_name(group, action));
  internal::QueryRequest q{action, client.info().api_version};
  q.add("AutoScalingGroupName", group);
  if (!processes.empty()) q.add_list("ScalingProcesses", processes);
  // Suspended (or resumed) twice is suspended (resumed) once.
  AWSDL_ASSIGN_OR_RETURN(auto doc, client.call_query(q, options, internal::Idempotency::kIdempotent));
  AWSDL_TRY(internal::xml_answer_root(doc, action));  // no result element; an error document is still an error
  return {};
}
}  // namespace

Status AutoScalingClient::suspend_processes(const std::string& group, const std::vector<std::string>& processes,
                                            const CallOptions& options) const {
  return process_call(*client_, "SuspendProcesses", group, processes, options);
}

Status AutoScalingClient::resume_processes(const std::string& group, const std::vector<std::string>& processes,
                                           const CallOptions& options) const {
  return process_call(*client_, "ResumeProcesses", group, processes, options);
}

}  // namespace awsdl::autoscaling
