// The network: a VPC with one public subnet (master, NAT gateway) and one private subnet
// (workers), both in the same availability zone so a cluster placement group and a single
// EFS mount target serve every node. Both subnets name the zone with the same expression
// (the AvailabilityZone parameter, or the region's first zone) rather than one reading the
// other's attribute.
#include "cluster/template_parts.hpp"

namespace awsdl::internal::cfn {

namespace {
constexpr const char* kVpcCidr = "10.0.0.0/16";
constexpr const char* kPublicCidr = "10.0.0.0/24";
constexpr const char* kPrivateCidr = "10.0.16.0/20";  // room for thousands of workers

Json availability_zone(const cluster::ClusterSpec& spec) {
  // A zone written into a resource is tied to one region (cfn-lint W3010): a given zone
  // goes through a parameter, whose type makes CloudFormation check it against the region.
  if (!spec.availability_zone.empty() || !spec.capacity.availability_zones.empty())
    return ref(cluster::names::kAvailabilityZone);
  return Json::object({{"Fn::Select", Json::array({Json("0"), Json::object({{"Fn::GetAZs", Json("")}})})}});
}
}  // namespace

void add_network(Builder& b) {
  b.add(kVpc, resource("AWS::EC2::VPC", Json::object({{"CidrBlock", kVpcCidr},
                                                       {"EnableDnsSupport", true},
                                                       {"EnableDnsHostnames", true},  // EFS mounts by DNS name
                                                       {"Tags", standard_tags("")}})));
  b.add("InternetGateway", resource("AWS::EC2::InternetGateway", Json::object({{"Tags", standard_tags("")}})));
  b.add(kGatewayAttachment, resource("AWS::EC2::VPCGatewayAttachment",
                                     Json::object({{"VpcId", ref(kVpc)}, {"InternetGatewayId", ref("InternetGateway")}})));

  b.add(kPublicSubnet, resource("AWS::EC2::Subnet", Json::object({{"VpcId", ref(kVpc)},
                                                                  {"CidrBlock", kPublicCidr},
                                                                  {"AvailabilityZone", availability_zone(b.spec)},
                                                                  {"MapPublicIpOnLaunch", true},
                                                                  {"Tags", standard_tags("-public")}})));
  b.add(kPrivateSubnet, resource("AWS::EC2::Subnet", Json::object({{"VpcId", ref(kVpc)},
                                                                   {"CidrBlock", kPrivateCidr},
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
