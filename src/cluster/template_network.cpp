// The network: a VPC with one public subnet (master, NAT gateway) and one private subnet
// (workers), both in the same availability zone so a cluster placement group and a single
// EFS mount target serve every node. Both subnets name the zone with the same expression
// (the AvailabilityZone parameter, or the region's first zone) rather than one reading the
// other's attribute.
#include <string>
#include <vector>

#include "cluster/template_parts.hpp"

namespace awsdl::internal::cfn {

namespace {
constexpr const char* kVpcCidr = "10.0.0.0/16";
constexpr const char* kPublicCidr = "10.0.0.0/24";
constexpr const char* kPrivateCidr = "10.0.16.0/20";  // room for thousands of workers

constexpr const char* kZoneSubnets = "ZoneSubnets";
// Room for this many candidate zones: private /20 blocks 10.0.16.0 .. 10.0.240.0.
constexpr std::size_t kMaxZoneSlots = 15;

// With several candidate zones, the capacity fallback moves the cluster by changing the
// AvailabilityZone parameter: CloudFormation replaces both subnets, making each new one
// before deleting the old, and a new subnet whose CIDR block overlaps the old one's fails
// (InvalidSubnet.Conflict). So every candidate zone has CIDR blocks of its own, looked up by
// zone; the first zone keeps the blocks a one-zone cluster has.
std::vector<std::string> candidate_zones(const cluster::ClusterSpec& spec) {
  const auto& zones = spec.capacity.availability_zones;
  return zones.size() > 1 ? zones : std::vector<std::string>{};
}

Json zone_cidrs(const std::vector<std::string>& zones) {
  Json m = Json::object();
  for (std::size_t i = 0; i < zones.size() && i < kMaxZoneSlots; ++i)
    m.set(zones[i], Json::object({{"Public", "10.0." + std::to_string(i) + ".0/24"},
                                  {"Private", "10.0." + std::to_string(16 * (i + 1)) + ".0/20"}}));
  return m;
}

Json cidr_block(const cluster::ClusterSpec& spec, const char* fixed, const char* which) {
  if (candidate_zones(spec).empty()) return Json(fixed);
  return Json::object({{"Fn::FindInMap", Json::array({Json(kZoneSubnets), ref(cluster::names::kAvailabilityZone),
                                                      Json(which)})}});
}

Json availability_zone(const cluster::ClusterSpec& spec) {
  // A zone written into a resource is tied to one region (cfn-lint W3010): a given zone
  // goes through a parameter, whose type makes CloudFormation check it against the region.
  if (!spec.availability_zone.empty() || !spec.capacity.availability_zones.empty())
    return ref(cluster::names::kAvailabilityZone);
  return Json::object({{"Fn::Select", Json::array({Json("0"), Json::object({{"Fn::GetAZs", Json("")}})})}});
}
}  // namespace

void add_network(Builder& b) {
  if (auto zones = candidate_zones(b.spec); !zones.empty()) b.mappings.set(kZoneSubnets, zone_cidrs(zones));
  b.add(kVpc, resource("AWS::EC2::VPC", Json::object({{"CidrBlock", kVpcCidr},
                                                       {"EnableDnsSupport", true},
                                                       {"EnableDnsHostnames", true},  // EFS mounts by DNS name
                                                       {"Tags", standard_tags("")}})));
  b.add("InternetGateway", resource("AWS::EC2::InternetGateway", Json::object({{"Tags", standard_tags("")}})));
  b.add(kGatewayAttachment, resource("AWS::EC2::VPCGatewayAttachment",
                                     Json::object({{"VpcId", ref(kVpc)}, {"InternetGatewayId", ref("InternetGateway")}})));

  b.add(kPublicSubnet, resource("AWS::EC2::Subnet", Json::object({{"VpcId", ref(kVpc)},
                                                                  {"CidrBlock", cidr_block(b.spec, kPublicCidr, "Public")},
                                                                  {"AvailabilityZone", availability_zone(b.spec)},
                                                                  {"MapPublicIpOnLaunch", true},
                                                                  {"Tags", standard_tags("-public")}})));
  b.add(kPrivateSubnet, resource("AWS::EC2::Subnet", Json::object({{"VpcId", ref(kVpc)},
                                                                   {"CidrBlock", cidr_block(b.spec, kPrivateCidr, "Private")},
                                                                   {"AvailabilityZone", availability_zone(b.spec)},
                                                                   {"MapPublicIpOnLaunch", false},
                                                                   {"Tags", standard_tags("-private")}})));

  Json eip = resource("AWS::EC2::EIP", Json::object({{"Domain", "vpc"}, {"Tags", standard_tags("-nat")}}));
  eip.set("DependsOn", kGatewayAttachment);  // an EIP in a VPC needs the gateway attached first
  b.add("NatEip", std::move(eip));
  b.add("NatGateway", resource("AWS::EC2::NatGateway", Json::object({{"AllocationId", get_att("NatEip", "AllocationId")},
                                                                    {"SubnetId", ref(kPublicSubnet)},
                                                                    {"Tags", standard_tags("-nat")}})));

  b.add("PublicRouteTable", resource("AWS::EC2::RouteTable",
                                     Json::object({{"VpcId", ref(kVpc)}, {"Tags", standard_tags("-public")}})));
  Json public_route = resource("AWS::EC2::Route", Json::object({{"RouteTableId", ref("PublicRouteTable")},
                                                                {"DestinationCidrBlock", "0.0.0.0/0"},
                                                                {"GatewayId", ref("InternetGateway")}}));
  public_route.set("DependsOn", kGatewayAttachment);
  b.add(kPublicDefaultRoute, std::move(public_route));
  b.add("PublicSubnetRouteTableAssociation",
        resource("AWS::EC2::SubnetRouteTableAssociation",
                 Json::object({{"SubnetId", ref(kPublicSubnet)}, {"RouteTableId", ref("PublicRouteTable")}})));

  b.add("PrivateRouteTable", resource("AWS::EC2::RouteTable",
                                      Json::object({{"VpcId", ref(kVpc)}, {"Tags", standard_tags("-private")}})));
  b.add(kPrivateDefaultRoute, resource("AWS::EC2::Route", Json::object({{"RouteTableId", ref("PrivateRouteTable")},
                                                                        {"DestinationCidrBlock", "0.0.0.0/0"},
                                                                        {"NatGatewayId", ref("NatGateway")}})));
  b.add("PrivateSubnetRouteTableAssociation",
        resource("AWS::EC2::SubnetRouteTableAssociation",
                 Json::object({{"SubnetId", ref(kPrivateSubnet)}, {"RouteTableId", ref("PrivateRouteTable")}})));
}

}  // namespace awsdl::internal::cfn
