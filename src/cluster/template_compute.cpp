// Compute: launch templates, the master group (one instance in the public subnet, created
// only when it signals that EFS is mounted), the worker group (N instances in the private
// subnet, created after the capacity Lambda listens to its launch notifications), the
// optional cluster placement group, and the ClusterReady wait condition the master
// completes once every worker has registered.
#include <cstdio>
#include <set>
#include <string>

#include "cluster/template_parts.hpp"

namespace awsdl::internal::cfn {

namespace {
namespace names = cluster::names;

// DLAMI Ubuntu images boot from /dev/sda1; mapping it sizes the root volume.
constexpr const char* kRootDevice = "/dev/sda1";

std::string price(double usd) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", usd);
  std::string s = buf;
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

cfn::UserData user_data(const Builder& b) {
  cfn::UserData u;
  u.shared = b.spec.shared;
  u.efa = b.efa;
  u.workers_may_be_zero = b.capacity_fallback();
  if (b.efs()) u.fs_logical_id = b.reuse_efs() ? names::kEfsId : kFileSystem;
  if (b.fsx()) {
    u.reuse = b.reuse_fsx();
    u.fs_logical_id = u.reuse ? names::kFsxId : kLustreFileSystem;
  }
  return u;
}

// One EFA interface per network card, as aws-parallelcluster lays them out: card 0 holds the
// primary interface (device index 0); every other card one more (device index 1).
Json efa_interfaces(int cards) {
  Json list = Json::array();
  for (int card = 0; card < cards; ++card)
    list.push(Json::object({{"NetworkCardIndex", card},
                            {"DeviceIndex", card == 0 ? 0 : 1},
                            {"InterfaceType", "efa"},
                            {"DeleteOnTermination", true},
                            {"Groups", Json::array({ref(kWorkerSecurityGroup)})}}));
  return list;
}

// `cards`: the workers' network cards when they get EFA (0: no EFA).
Json launch_template_data(const Builder& b, bool master, int cards = 0) {
  const auto& c = b.spec.capacity;
  Json data = Json::object({
      {"ImageId", ref(names::kImageId)},
      {"InstanceType", ref(names::kInstanceType)},
      {"KeyName", ref(names::kKeyName)},
      {"IamInstanceProfile", Json::object({{"Arn", get_att(kInstanceProfile, "Arn")}})},
      {"BlockDeviceMappings",
       Json::array({Json::object({{"DeviceName", kRootDevice},
                                  {"Ebs", Json::object({{"VolumeSize", ref(names::kVolumeSize)},
                                                        {"VolumeType", "gp3"},
                                                        {"Encrypted", true},
                                                        {"DeleteOnTermination", true}})}})})},
      // IMDSv2 only; hop limit 2 so containers on the node still reach it.
      {"MetadataOptions", Json::object({{"HttpEndpoint", "enabled"}, {"HttpTokens", "required"}, {"HttpPutResponseHopLimit", 2}})},
  });
  if (master) {
    data.set("NetworkInterfaces", Json::array({Json::object({{"DeviceIndex", 0},
                                                            {"AssociatePublicIpAddress", true},
                                                            {"DeleteOnTermination", true},
                                                            {"Groups", Json::array({ref(kMasterSecurityGroup)})}})}));
    data.set("UserData", base64(sub(master_user_data(user_data(b)))));
    // A spot master: one-time requests, as an Auto Scaling group's launch template must use.
    if (c.master_market == cluster::Market::kSpot) {
      Json spot = Json::object({{"SpotInstanceType", "one-time"}, {"InstanceInterruptionBehavior", "terminate"}});
      if (c.spot_max_price) spot.set("MaxPrice", price(*c.spot_max_price));
      data.set("InstanceMarketOptions",
               Json::object({{"MarketType", "spot"}, {"SpotOptions", std::move(spot)}}));
    }
  } else {
    if (cards > 0) data.set("NetworkInterfaces", efa_interfaces(cards));
    else data.set("SecurityGroupIds", Json::array({ref(kWorkerSecurityGroup)}));
    data.set("UserData", base64(sub(worker_user_data(user_data(b)))));
    // The workers launch into a Capacity Block (paid ahead, market type capacity-block) or
    // a capacity reservation (by id, or any of a resource group's).
    if (!c.capacity_block.empty()) {
      data.set("InstanceMarketOptions", Json::object({{"MarketType", "capacity-block"}}));
      data.set("CapacityReservationSpecification",
               Json::object({{"CapacityReservationTarget",
                              Json::object({{"CapacityReservationId", c.capacity_block}})}}));
    } else if (!c.capacity_reservation.empty()) {
      const bool group = c.capacity_reservation.rfind("arn:", 0) == 0;
      data.set("CapacityReservationSpecification",
               Json::object({{"CapacityReservationTarget",
                              Json::object({{group ? "CapacityReservationResourceGroupArn" : "CapacityReservationId",
                                             c.capacity_reservation}})}}));
    }
  }
  return data;
}

std::string worker_launch_template(int cards, int first_cards) {
  return cards == first_cards ? std::string(kWorkerLaunchTemplate)
                              : std::string(kWorkerLaunchTemplate) + "Cards" + std::to_string(cards);
}

Json launch_template_spec(std::string_view id) {
  return Json::object({{"LaunchTemplateId", ref(id)}, {"Version", get_att(id, "LatestVersionNumber")}});
}

// The workers' MixedInstancesPolicy: the type list in order (the priority of
// capacity-optimized-prioritized, the on-demand order), each type with the launch template
// of its network cards when they use EFA; spot above no on-demand base, the share a
// parameter the fallback turns to 100.
Json mixed_instances_policy(const Builder& b, int first_cards) {
  const auto& c = b.spec.capacity;
  Json overrides = Json::array();
  for (const auto& type : b.spec.instance_type_list()) {
    Json o = Json::object({{"InstanceType", type}});
    if (b.efa && b.network_cards(type) != first_cards)
      o.set("LaunchTemplateSpecification", launch_template_spec(worker_launch_template(b.network_cards(type), first_cards)));
    overrides.push(std::move(o));
  }
  Json dist = Json::object({{"OnDemandAllocationStrategy", "prioritized"}, {"OnDemandBaseCapacity", 0}});
  if (b.workers_spot()) {
    dist.set("OnDemandPercentageAboveBaseCapacity", ref(names::kWorkerOnDemandPercentage));
    dist.set("SpotAllocationStrategy", c.allocation == cluster::SpotAllocation::kPriceCapacityOptimized
                                           ? "price-capacity-optimized"
                                           : "capacity-optimized-prioritized");
    if (c.spot_max_price) dist.set("SpotMaxPrice", price(*c.spot_max_price));
  } else {
    dist.set("OnDemandPercentageAboveBaseCapacity", 100);
  }
  return Json::object({{"LaunchTemplate", Json::object({{"LaunchTemplateSpecification", launch_template_spec(kWorkerLaunchTemplate)},
                                                        {"Overrides", std::move(overrides)}})},
                       {"InstancesDistribution", std::move(dist)}});
}

Json group_tags(std::string_view role) {
  auto t = [](std::string_view key, Json value) {
    return Json::object({{"Key", key}, {"Value", std::move(value)}, {"PropagateAtLaunch", true}});
  };
  return Json::array({t("Name", sub(std::string("${AWS::StackName}-") + std::string(role))),
                      t("awsdl:cluster", ref("AWS::StackName")),
                      t("awsdl:role", Json(role))});
}

Json group(const Builder& b, std::string_view launch_template, const char* name_sub, std::string_view subnet,
           Json min, Json max, Json desired, std::string_view role) {
  Json p = Json::object({
      {"AutoScalingGroupName", sub(name_sub)},
      {"MinSize", std::move(min)},
      {"MaxSize", std::move(max)},
      {"DesiredCapacity", std::move(desired)},
  });
  if (role == "worker" && b.mixed_instances())
    p.set("MixedInstancesPolicy", mixed_instances_policy(b, b.efa ? b.network_cards(b.first_type()) : 0));
  else
    p.set("LaunchTemplate", launch_template_spec(launch_template));
  p.set("VPCZoneIdentifier", Json::array({ref(subnet)}));
  if (b.placement_group()) p.set("PlacementGroup", ref(kPlacementGroup));
  p.set("NotificationConfigurations",
        Json::array({Json::object({{"TopicARN", ref(kLaunchTopic)},
                                   {"NotificationTypes", Json::array({Json("autoscaling:EC2_INSTANCE_LAUNCH"),
                                                                      Json("autoscaling:EC2_INSTANCE_LAUNCH_ERROR")})}})}));
  p.set("Tags", group_tags(role));
  return resource("AWS::AutoScaling::AutoScalingGroup", std::move(p));
}
}  // namespace

Json Builder::worker_floor() const { return capacity_fallback() ? Json("0") : ref(names::kMinWorkerCount); }

void add_compute(Builder& b) {
  if (b.placement_group())
    b.add(kPlacementGroup, resource("AWS::EC2::PlacementGroup", Json::object({{"Strategy", "cluster"}})));

  b.add(kMasterLaunchTemplate, resource("AWS::EC2::LaunchTemplate",
                                        Json::object({{"LaunchTemplateData", launch_template_data(b, true)}})));
  // The workers' launch template, and with EFA one more per other count of network cards
  // among the types (an interface on a card a type lacks fails the launch).
  const int first_cards = b.efa ? b.network_cards(b.first_type()) : 0;
  b.add(kWorkerLaunchTemplate, resource("AWS::EC2::LaunchTemplate",
                                        Json::object({{"LaunchTemplateData", launch_template_data(b, false, first_cards)}})));
  if (b.efa) {
    std::set<int> done = {first_cards};
    for (const auto& type : b.spec.instance_type_list())
      if (int cards = b.network_cards(type); done.insert(cards).second)
        b.add(worker_launch_template(cards, first_cards),
              resource("AWS::EC2::LaunchTemplate",
                       Json::object({{"LaunchTemplateData", launch_template_data(b, false, cards)}})));
  }

  Json master = group(b, kMasterLaunchTemplate, kMasterGroupNameSub, kPublicSubnet, Json("1"), Json("1"), Json("1"), "master");
  Json master_after = Json::array({Json(kPublicDefaultRoute), Json("PublicSubnetRouteTableAssociation")});
  if (auto storage = b.storage_dependency(); !storage.empty()) master_after.push(Json(storage));
  master.set("DependsOn", std::move(master_after));
  master.set("CreationPolicy",
             Json::object({{"ResourceSignal", Json::object({{"Count", 1},
                                                            {"Timeout", "PT" + std::to_string(kMasterSignalTimeoutMinutes) + "M"}})}}));
  b.add(names::kMasterGroup, std::move(master));

  Json workers = group(b, kWorkerLaunchTemplate, kWorkerGroupNameSub, kPrivateSubnet, b.worker_floor(),
                       ref(names::kWorkerCount), ref(names::kWorkerCount), "worker");
  // Launch errors must reach the Lambda from the first launch on.
  Json workers_after = Json::array({Json(kPrivateDefaultRoute), Json("PrivateSubnetRouteTableAssociation")});
  if (auto storage = b.storage_dependency(); !storage.empty()) workers_after.push(Json(storage));
  workers_after.push(Json(kCapacitySubscription));
  workers_after.push(Json(kCapacityPermission));
  workers.set("DependsOn", std::move(workers_after));
  b.add(names::kWorkerGroup, std::move(workers));

  b.add(kClusterReadyHandle, Json::object({{"Type", "AWS::CloudFormation::WaitConditionHandle"}}));
  Json ready = resource("AWS::CloudFormation::WaitCondition",
                        Json::object({{"Handle", ref(kClusterReadyHandle)},
                                      {"Timeout", std::to_string(kClusterReadyTimeoutSeconds)},
                                      {"Count", 1}}));
  ready.set("DependsOn", Json::array({Json(names::kMasterGroup), Json(names::kWorkerGroup)}));
  b.add(names::kClusterReady, std::move(ready));
}

}  // namespace awsdl::internal::cfn
