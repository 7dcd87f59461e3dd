#include "ec2/ec2_internal.hpp"

namespace awsdl::ec2::detail {

using internal::xml_child;
using internal::xml_list;
using internal::xml_text;

std::vector<Tag> parse_tags(pugi::xml_node parent) {
  std::vector<Tag> tags;
  for (auto item : xml_list(parent, "tagSet", "item")) tags.push_back({xml_text(item, "key"), xml_text(item, "value")});
  return tags;
}

Instance parse_instance(pugi::xml_node item) {
  Instance i;
  i.instance_id = xml_text(item, "instanceId");
  i.image_id = xml_text(item, "imageId");
  i.instance_type = xml_text(item, "instanceType");
  auto state = xml_child(item, "instanceState");
  i.state = xml_text(state, "name");
  i.state_code = static_cast<int>(internal::xml_int(state, "code").value_or(0));
  i.state_reason = xml_text(item, "stateReason/message");
  i.private_ip = xml_text(item, "privateIpAddress");
  i.public_ip = xml_text(item, "ipAddress");
  i.private_dns = xml_text(item, "privateDnsName");
  i.public_dns = xml_text(item, "dnsName");
  i.subnet_id = xml_text(item, "subnetId");
  i.vpc_id = xml_text(item, "vpcId");
  i.key_name = xml_text(item, "keyName");
  auto placement = xml_child(item, "placement");
  i.availability_zone = xml_text(placement, "availabilityZone");
  i.placement_group = xml_text(placement, "groupName");
  i.lifecycle = xml_text(item, "instanceLifecycle");
  i.launch_time = xml_text(item, "launchTime");
  i.client_token = xml_text(item, "clientToken");
  for (auto g : xml_list(item, "groupSet", "item")) i.security_group_ids.push_back(xml_text(g, "groupId"));
  i.tags = parse_tags(item);
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
  auto root = doc.root();
  if (doc.root_name() != "DescribeInstancesResponse")
    return Error::make(ErrorKind::kParse, "UnexpectedResponse",
                       "DescribeInstances: answer is <" + doc.root_name() + ">, not <DescribeInstancesResponse>");
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
