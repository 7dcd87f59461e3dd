// Security groups and key pairs.
#include "awsdl/core/log.hpp"
#include "ec2/ec2_internal.hpp"
#include "util/crypto.hpp"
#include "protocol/error_parser.hpp"
#include "protocol/service_client.hpp"

namespace awsdl::ec2 {

using internal::QueryScope;
using internal::xml_list;
using internal::xml_text;

namespace {

Status check_key_name(const std::string& name, const char* op) {
  if (name.empty() || name.size() > 255)
    return Error::invalid_argument("InvalidParameterValue", std::string(op) + ": key name must be 1 to 255 characters");
  return {};
}

IpPermission parse_permission(pugi::xml_node item) {
  IpPermission p;
  p.ip_protocol = xml_text(item, "ipProtocol");
  if (auto v = internal::xml_int(item, "fromPort")) p.from_port = static_cast<int>(*v);
  if (auto v = internal::xml_int(item, "toPort")) p.to_port = static_cast<int>(*v);
  for (auto r : xml_list(item, "ipRanges", "item")) p.cidr_ips.push_back(xml_text(r, "cidrIp"));
  for (auto g : xml_list(item, "groups", "item")) p.source_group_ids.push_back(xml_text(g, "groupId"));
  return p;
}

}  // namespace

Result<std::vector<SecurityGroup>> Ec2Client::describe_security_groups(const std::vector<std::string>& group_ids,
                                                                       const std::vector<Filter>& filters,
                                                                       const CallOptions& options) const {
  auto q = detail::ec2_request("DescribeSecurityGroups");
  detail::add_filters(q, filters);
  q.add_list("GroupId", group_ids);
  AWSDL_ASSIGN_OR_RETURN(auto doc, client_->call_query(q, options));
  AWSDL_ASSIGN_OR_RETURN(pugi::xml_node root, internal::xml_answer_root(doc, q.action()));
  std::vector<SecurityGroup> out;
  for (auto item : xml_list(root, "securityGroupInfo", "item")) {
    SecurityGroup g;
    g.group_id = xml_text(item, "groupId");
    g.group_name = xml_text(item, "groupName");
    g.description = xml_text(item, "groupDescription");
    g.vpc_id = xml_text(item, "vpcId");
    for (auto p : xml_list(item, "ipPermissions", "item")) g.ingress.push_back(parse_permission(p));
    g.tags = detail::parse_tags(item);
    out.push_back(std::move(g));
  }
  return out;
}

Result<std::string> Ec2Client::create_security_group(const CreateSecurityGroupRequest& r,
                                                     const CallOptions& options) const {
  if (r.group_name.empty() || r.group_name.size() > 255)
    return Error::invalid_argument("InvalidParameterValue", "CreateSecurityGroup: group name must be 1 to 255 characters");
  if (r.description.empty())
    return Error::invalid_argument("MissingParameter", "CreateSecurityGroup: a description is required");
  auto q = detail::ec2_request("CreateSecurityGroup");
  q.add("GroupDescription", r.description).add("GroupName", r.group_name).add_optional("VpcId", r.vpc_id);
  detail::add_tag_specification(q, {{"security-group", &r.tags}});
  AWSDL_ASSIGN_OR_RETURN(auto doc, client_->call_query(q, options));
  AWSDL_ASSIGN_OR_RETURN(pugi::xml_node root, internal::xml_answer_root(doc, q.action()));
  return internal::xml_required_text(root, "groupId");
}

Status Ec2Client::authorize_security_group_ingress(const std::string& group_id,
                                                   const std::vector<IpPermission>& permissions,
                                                   const CallOptions& options) const {
  if (group_id.empty()) return Error::invalid_argument("MissingParameter", "AuthorizeSecurityGroupIngress: no group id");
  if (permissions.empty())
    return Error::invalid_argument("MissingParameter", "AuthorizeSecurityGroupIngress: no permissions given");
  auto q = detail::ec2_request("AuthorizeSecurityGroupIngress");
  q.add("GroupId", group_id);
  q.add_list("IpPermissions", permissions, [](QueryScope& s, const IpPermission& p) {
    s.add_optional("FromPort", p.from_port);
    s.add("IpProtocol", p.ip_protocol);
    s.add_list("IpRanges", p.cidr_ips, [](QueryScope& r, const std::string& cidr) { r.add("CidrIp", cidr); });
    s.add_optional("ToPort", p.to_port);
    s.add_list("Groups", p.source_group_ids, [](QueryScope& g, const std::string& id) { g.add("GroupId", id); });
  });
  AWSDL_ASSIGN_OR_RETURN(auto doc, client_->call_query(q, options));
  AWSDL_TRY(internal::xml_answer_root(doc, q.action()));  // an error document is an error, even in a 200
  return {};
}

Status Ec2Client::delete_security_group(const std::string& group_id, const CallOptions& options) const {
  if (group_id.empty()) return Error::invalid_argument("MissingParameter", "DeleteSecurityGroup: no group id");
  auto q = detail::ec2_request("DeleteSecurityGroup");
  q.add("GroupId", group_id);
  AWSDL_ASSIGN_OR_RETURN(auto doc, client_->call_query(q, options));
  AWSDL_TRY(internal::xml_answer_root(doc, q.action()));  // an error document is an error, even in a 200
  return {};
}

Result<KeyPair> Ec2Client::create_key_pair(const std::string& key_name, const CallOptions& options) const {
  AWSDL_TRY(check_key_name(key_name, "CreateKeyPair"));
  auto q = detail::ec2_request("CreateKeyPair");
  q.add("KeyName", key_name);
  AWSDL_ASSIGN_OR_RETURN(auto doc, client_->call_query(q, options));
  AWSDL_ASSIGN_OR_RETURN(pugi::xml_node root, internal::xml_answer_root(doc, q.action()));
  KeyPair k{xml_text(root, "keyName"), xml_text(root, "keyPairId"), xml_text(root, "keyFingerprint"),
            xml_text(root, "keyMaterial")};
  if (!k.material.empty()) register_secret(k.material);
  return k;
}

Result<KeyPair> Ec2Client::import_key_pair(const std::string& key_name, const std::string& public_key_material,
                                           const CallOptions& options) const {
  AWSDL_TRY(check_key_name(key_name, "ImportKeyPair"));
  if (public_key_material.empty())
    return Error::invalid_argument("MissingParameter", "ImportKeyPair: the public key is empty");
  auto q = detail::ec2_request("ImportKeyPair");
  q.add("KeyName", key_name).add("PublicKeyMaterial", internal::base64_encode(public_key_material));
  AWSDL_ASSIGN_OR_RETURN(auto doc, client_->call_query(q, options));
  AWSDL_ASSIGN_OR_RETURN(pugi::xml_node root, internal::xml_answer_root(doc, q.action()));
  return KeyPair{xml_text(root, "keyName"), xml_text(root, "keyPairId"),
                 xml_text(root, "keyFingerprint"), {}};
}

Status Ec2Client::delete_key_pair(const std::string& key_name, const CallOptions& options) const {
  AWSDL_TRY(check_key_name(key_name, "DeleteKeyPair"));
  auto q = detail::ec2_request("DeleteKeyPair");
  q.add("KeyName", key_name);
  AWSDL_ASSIGN_OR_RETURN(auto doc, client_->call_query(q, options));
  AWSDL_TRY(internal::xml_answer_root(doc, q.action()));  // an error document is an error, even in a 200
  return {};
}

}  // namespace awsdl::ec2
