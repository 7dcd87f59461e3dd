#include <string_view>
#include <unordered_map>

#include "ec2/ec2_internal.hpp"
#include "protocol/error_parser.hpp"

namespace awsdl::ec2::detail {

using internal::xml_child;
using internal::xml_list;
using internal::xml_text;

std::vector<Tag> parse_tags(pugi::xml_node parent) {
  std::vector<Tag> tags;
  for (auto item : xml_list(parent, "tagSet", "item")) tags.push_back({xml_text(item, "key"), xml_text(item, "value")});
  return tags;
}

namespace {

enum class Field {
  kInstanceId, kImageId, kInstanceType, kState, kStateReason, kPrivateIp, kPublicIp, kPrivateDns, kPublicDns,
  kSubnetId, kVpcId, kKeyName, kPlacement, kLifecycle, kLaunchTime, kClientToken, kGroupSet, kTagSet
};

// One pass over an instance's children with a table lookup per child: a DescribeInstances
// answer can hold thousands of instances with ~40 children each, and searching each child
// by path would walk the siblings once per field.
const std::unordered_map<std::string_view, Field>& instance_fields() {
  static const std::unordered_map<std::string_view, Field> fields{
      {"instanceId", Field::kInstanceId},       {"imageId", Field::kImageId},
      {"instanceType", Field::kInstanceType},   {"instanceState", Field::kState},
      {"stateReason", Field::kStateReason},     {"privateIpAddress", Field::kPrivateIp},
      {"ipAddress", Field::kPublicIp},          {"privateDnsName", Field::kPrivateDns},
      {"dnsName", Field::kPublicDns},           {"subnetId", Field::kSubnetId},
      {"vpcId", Field::kVpcId},                 {"keyName", Field::kKeyName},
      {"placement", Field::kPlacement},         {"instanceLifecycle", Field::kLifecycle},
      {"launchTime", Field::kLaunchTime},       {"clientToken", Field::kClientToken},
      {"groupSet", Field::kGroupSet},           {"tagSet", Field::kTagSet},
  };
  return fields;
}

std::string text_of(pugi::xml_node n) { return n.text().get(); }

}  // namespace

Instance parse_instance(pugi::xml_node item) {
  Instance i;
  const auto& fields = instance_fields();
  for (auto c = item.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    auto it = fields.find(internal::xml_local_name(c));
    if (it == fields.end()) continue;
    switch (it->second) {
      case Field::kInstanceId: i.instance_id = text_of(c); break;
      case Field::kImageId: i.image_id = text_of(c); break;
      case Field::kInstanceType: i.instance_type = text_of(c); break;
      case Field::kState:
        i.state = xml_text(c, "name");
        i.state_code = static_cast<int>(internal::xml_int(c, "code").value_or(0));
        break;
      case Field::kStateReason: i.state_reason = xml_text(c, "message"); break;
      case Field::kPrivateIp: i.private_ip = text_of(c); break;
      case Field::kPublicIp: i.public_ip = text_of(c); break;
      case Field::kPrivateDns: i.private_dns = text_of(c); break;
      case Field::kPublicDns: i.public_dns = text_of(c); break;
      case Field::kSubnetId: i.subnet_id = text_of(c); break;
      case Field::kVpcId: i.vpc_id = text_of(c); break;
      case Field::kKeyName: i.key_name = text_of(c); break;
      case Field::kPlacement:
        i.availability_zone = xml_text(c, "availabilityZone");
        i.placement_group = xml_text(c, "groupName");
        break;
      case Field::kLifecycle: i.lifecycle = text_of(c); break;
      case Field::kLaunchTime: i.launch_time = text_of(c); break;
      case Field::kClientToken: i.client_token = text_of(c); break;
      case Field::kGroupSet:
        for (auto g : internal::xml_children(c, "item")) i.security_group_ids.push_back(xml_text(g, "groupId"));
        break;
      case Field::kTagSet:
        for (auto t : internal::xml_children(c, "item")) i.tags.push_back({xml_text(t, "key"), xml_text(t, "value")});
        break;
    }
  }
  return i;
}

Reservation parse_reservation(pugi::xml_node node) {
  Reservation r;
  r.reservation_id = xml_text(node, "reservationId");
  r.owner_id = xml_text(node, "ownerId");
  for (auto item : xml_list(node, "instancesSet", "item")) r.instances.push_back(parse_instance(item));
  return r;
}

Result<DescribeInstancesPage> parse_describe_instances(const internal::XmlDocument& doc) {
  // Any root name (botocore does not check it), but never an error document.
  AWSDL_ASSIGN_OR_RETURN(pugi::xml_node root, internal::xml_answer_root(doc, "DescribeInstances"));
  DescribeInstancesPage page;
  auto items = xml_list(root, "reservationSet", "item");
  page.reservations.reserve(items.size());
  for (auto item : items) page.reservations.push_back(parse_reservation(item));
  page.next_token = xml_text(root, "nextToken");
  return page;
}

Result<DescribeInstancesPage> parse_describe_instances_xml(std::string_view xml) {
  AWSDL_ASSIGN_OR_RETURN(auto doc, internal::XmlDocument::parse(xml, "DescribeInstances answer"));
  return parse_describe_instances(doc);
}

}  // namespace awsdl::ec2::detail
