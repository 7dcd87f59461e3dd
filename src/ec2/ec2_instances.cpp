// Instances: launch, describe (with the NextToken paginator), status, tags, terminate.

#include "ec2/ec2_internal.hpp"
#include "util/crypto.hpp"
#include "protocol/error_parser.hpp"
#include "protocol/pagination.hpp"
#include "protocol/service_client.hpp"

namespace awsdl::ec2 {

using internal::QueryScope;
using internal::xml_list;
using internal::xml_text;

namespace {

Status check_run(const RunInstancesRequest& r) {
  if (r.image_id.empty()) return Error::invalid_argument("MissingParameter", "RunInstances: image_id must be set");
  if (r.instance_type.empty())
    return Error::invalid_argument("MissingParameter", "RunInstances: instance_type must be set");
  if (r.min_count < 1 || r.max_count < r.min_count)
    return Error::invalid_argument("InvalidParameterValue",
                                   "RunInstances: need 1 <= min_count <= max_count, got min_count " +
                                       std::to_string(r.min_count) + ", max_count " + std::to_string(r.max_count));
  if (!r.iam_instance_profile_arn.empty() && !r.iam_instance_profile_name.empty())
    return Error::invalid_argument("InvalidParameterCombination",
                                   "RunInstances: set the instance profile's ARN or its name, not both");
  if (r.client_token.size() > 64)
    return Error::invalid_argument("InvalidParameterValue", "RunInstances: client_token is longer than 64 characters");
  return {};
}

Status check_ids(const std::vector<std::string>& ids, const char* what) {
  if (ids.empty()) return Error::invalid_argument("MissingParameter", std::string(what) + ": no instance ids given");
  return {};
}

}  // namespace

Result<Reservation> Ec2Client::run_instances(const RunInstancesRequest& r, const CallOptions& options) const {
  AWSDL_TRY(check_run(r));
  auto q = detail::ec2_request("RunInstances");
  q.add("ImageId", r.image_id).add("InstanceType", r.instance_type).add("MinCount", r.min_count).add("MaxCount", r.max_count);
  q.add_optional("KeyName", r.key_name).add_optional("SubnetId", r.subnet_id);
  q.add_list("SecurityGroupId", r.security_group_ids);
  if (!r.user_data.empty()) q.add("UserData", internal::base64_encode(r.user_data));
  if (!r.iam_instance_profile_arn.empty() || !r.iam_instance_profile_name.empty())
    q.add_struct("IamInstanceProfile", [&](QueryScope& s) {
      s.add_optional("Arn", r.iam_instance_profile_arn).add_optional("Name", r.iam_instance_profile_name);
    });
  if (!r.placement_group.empty() || !r.availability_zone.empty())
    q.add_struct("Placement", [&](QueryScope& s) {
      s.add_optional("AvailabilityZone", r.availability_zone).add_optional("GroupName", r.placement_group);
    });
  q.add_list("BlockDeviceMapping", r.block_devices, [](QueryScope& s, const BlockDevice& d) {
    s.add("DeviceName", d.device_name);
    s.add_struct("Ebs", [&](QueryScope& e) {
      e.add("DeleteOnTermination", d.delete_on_termination);
      if (d.iops) e.add("Iops", *d.iops);
      if (d.volume_size_gib > 0) e.add("VolumeSize", d.volume_size_gib);
      e.add_optional("VolumeType", d.volume_type);
      if (d.encrypted) e.add("Encrypted", true);
    });
  });
  detail::add_tag_specification(q, {{"instance", &r.tags}, {"volume", &r.tags}});
  if (r.spot)
    q.add_struct("InstanceMarketOptions", [&](QueryScope& m) {
      m.add("MarketType", "spot");
      m.add_struct("SpotOptions", [&](QueryScope& s) {
        s.add_optional("MaxPrice", r.spot->max_price)
            .add_optional("SpotInstanceType", r.spot->spot_instance_type)
            .add_optional("InstanceInterruptionBehavior", r.spot->instance_interruption_behavior);
      });
    });
  // Made once, here, so that every retry of this call carries the same token.
  q.add("ClientToken", r.client_token.empty() ? new_client_token() : r.client_token);
  AWSDL_ASSIGN_OR_RETURN(auto doc, client_->call_query(q, options));
  AWSDL_ASSIGN_OR_RETURN(pugi::xml_node root, internal::xml_answer_root(doc, q.action()));
  return detail::parse_reservation(root);
}

Result<DescribeInstancesPage> Ec2Client::describe_instances(const DescribeInstancesRequest& r,
                                                            const CallOptions& options) const {
  if (r.max_results && (!r.instance_ids.empty() || *r.max_results < 5 || *r.max_results > 1000))
    return Error::invalid_argument("InvalidParameterCombination",
                                   "DescribeInstances: max_results must be 5..1000 and cannot be combined with instance ids");
  auto q = detail::ec2_request("DescribeInstances");
  detail::add_filters(q, r.filters);
  q.add_list("InstanceId", r.instance_ids);
  q.add_optional("MaxResults", r.max_results).add_optional("NextToken", r.next_token);
  AWSDL_ASSIGN_OR_RETURN(auto doc, client_->call_query(q, options));
  return detail::parse_describe_instances(doc);
}

Result<std::vector<Instance>> Ec2Client::list_instances(DescribeInstancesRequest request,
                                                        const CallOptions& options) const {
  std::vector<Instance> out;
  internal::PageGuard pages("EC2 DescribeInstances", client_->config().max_pages);
  for (;;) {
    AWSDL_ASSIGN_OR_RETURN(auto page, describe_instances(request, options));
    for (auto& res : page.reservations)
      for (auto& i : res.instances) out.push_back(std::move(i));
    AWSDL_ASSIGN_OR_RETURN(bool more, pages.next(page.next_token));
    if (!more) return out;
    request.next_token = std::move(page.next_token);
  }
}

Result<std::vector<InstanceStateChange>> Ec2Client::terminate_instances(const std::vector<std::string>& ids,
                                                                        const CallOptions& options) const {
  AWSDL_TRY(check_ids(ids, "TerminateInstances"));
  auto q = detail::ec2_request("TerminateInstances");
  q.add_list("InstanceId", ids);
  // Terminated twice is terminated once.
  AWSDL_ASSIGN_OR_RETURN(auto doc, client_->call_query(q, options, internal::Idempotency::kIdempotent));
  AWSDL_ASSIGN_OR_RETURN(pugi::xml_node root, internal::xml_answer_root(doc, q.action()));
  std::vector<InstanceStateChange> out;
  for (auto item : xml_list(root, "instancesSet", "item"))
    out.push_back({xml_text(item, "instanceId"), xml_text(item, "previousState/name"), xml_text(item, "currentState/name")});
  return out;
}

Status Ec2Client::create_tags(const std::vector<std::string>& resource_ids, const std::vector<Tag>& tags,
                              const CallOptions& options) const {
  if (resource_ids.empty()) return Error::invalid_argument("MissingParameter", "CreateTags: no resource ids given");
  if (tags.empty()) return Error::invalid_argument("MissingParameter", "CreateTags: no tags given");
  auto q = detail::ec2_request("CreateTags");
  q.add_list("ResourceId", resource_ids);
  q.add_list("Tag", tags, [](QueryScope& t, const Tag& tag) { t.add("Key", tag.key).add("Value", tag.value); });
  // The same keys set to the same values again.
  AWSDL_ASSIGN_OR_RETURN(auto doc, client_->call_query(q, options, internal::Idempotency::kIdempotent));
  AWSDL_TRY(internal::xml_answer_root(doc, q.action()));  // an error document is an error, even in a 200
  return {};
}

Result<std::vector<InstanceStatus>> Ec2Client::describe_instance_status(const std::vector<std::string>& ids,
                                                                        bool include_all,
                                                                        const CallOptions& options) const {
  std::vector<InstanceStatus> out;
  internal::PageGuard pages("EC2 DescribeInstanceStatus", client_->config().max_pages);
  std::string token;
  for (;;) {
    auto q = detail::ec2_request("DescribeInstanceStatus");
    q.add_list("InstanceId", ids);
    if (include_all) q.add("IncludeAllInstances", true);
    q.add_optional("NextToken", token);
    AWSDL_ASSIGN_OR_RETURN(auto doc, client_->call_query(q, options));
    AWSDL_ASSIGN_OR_RETURN(pugi::xml_node root, internal::xml_answer_root(doc, q.action()));
    for (auto item : xml_list(root, "instanceStatusSet", "item"))
      out.push_back({xml_text(item, "instanceId"), xml_text(item, "instanceState/name"),
                     xml_text(item, "instanceStatus/status"), xml_text(item, "systemStatus/status")});
    token = xml_text(root, "nextToken");
    AWSDL_ASSIGN_OR_RETURN(bool more, pages.next(token));
    if (!more) return out;
  }
}

Result<ConsoleOutput> Ec2Client::get_console_output(const std::string& instance_id, bool latest,
                                                    const CallOptions& options) const {
  if (instance_id.empty()) return Error::invalid_argument("MissingParameter", "GetConsoleOutput: no instance id given");
  auto q = detail::ec2_request("GetConsoleOutput");
  q.add("InstanceId", instance_id);
  if (latest) q.add("Latest", true);
  AWSDL_ASSIGN_OR_RETURN(auto doc, client_->call_query(q, options));
  AWSDL_ASSIGN_OR_RETURN(pugi::xml_node root, internal::xml_answer_root(doc, q.action()));
  ConsoleOutput out;
  out.instance_id = xml_text(root, "instanceId");
  if (out.instance_id.empty()) out.instance_id = instance_id;
  out.timestamp = xml_text(root, "timestamp");
  if (root.child("output")) {
    std::string encoded = xml_text(root, "output");
    // Line breaks inside the base64 text are not part of it.
    std::erase_if(encoded, [](char c) { return c == '\n' || c == '\r' || c == ' ' || c == '\t'; });
    auto text = internal::base64_decode(encoded);
    if (!text)
      return Error::make(ErrorKind::kParse, "BadConsoleOutput",
                         "EC2 GetConsoleOutput of " + instance_id + ": the output is not base64");
    out.output = std::move(*text);
    out.available = true;
  }
  return out;
}

}  // namespace awsdl::ec2
