// Compute: launch templates, the master group (one instance in the public subnet, created
// only when it signals that EFS is mounted), the worker group (N instances in the private
// subnet, created after the capacity Lambda listens to its launch notifications), the
// optional cluster placement group, and the ClusterReady wait condition the master
// completes once every worker has registered.
#include <string>

#include "cluster/template_parts.hpp"

namespace awsdl::internal::cfn {

namespace {
namespace names = cluster::names;

// DLAMI Ubuntu images boot from /dev/sda1; mapping it sizes the root volume.
constexpr const char* kRootDevice = "/dev/sda1";

Json launch_template_data(const Builder& b, bool master) {
  const std::string fs = b.reuse_efs() ? names::kEfsId : kFileSystem;
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
    data.set("UserData", base64(sub(master_user_data(fs))));
  } else {
    data.set("SecurityGroupIds", Json::array({ref(kWorkerSecurityGroup)}));
    data.set("UserData", base64(sub(worker_user_data(fs))));
  }
  return data;
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
      {"LaunchTemplate", Json::object({{"LaunchTemplateId", ref(launch_template)},
                                       {"Version", get_att(launch_template, "LatestVersionNumber")}})},
      {"VPCZoneIdentifier", Json::array({ref(subnet)})},
  });
  if (b.spec.placement_group) p.set("PlacementGroup", ref(kPlacementGroup));
  p.set("NotificationConfigurations",
        Json::array({Json::object({{"TopicARN", ref(kLaunchTopic)},
                                   {"NotificationTypes", Json::array({Json("autoscaling:EC2_INSTANCE_LAUNCH"),
                                                                      Json("autoscaling:EC2_INSTANCE_LAUNCH_ERROR")})}})}));
  p.set("Tags", group_tags(role));
  return resource("AWS::AutoScaling::AutoScalingGroup", std::move(p));
}
}  // namespace

void add_compute(Builder& b) {
  if (b.spec.placement_group)
    b.add(kPlacementGroup, resource("AWS::EC2::PlacementGroup", Json::object({{"Strategy", "cluster"}})));

  b.add(kMasterLaunchTemplate, resource("AWS::EC2::LaunchTemplate",
                                        Json::object({{"LaunchTemplateData", launch_template_data(b, true)}})));
  b.add(kWorkerLaunchTemplate, resource("AWS::EC2::LaunchTemplate",
                                        Json::object({{"LaunchTemplateData", launch_template_data(b, false)}})));

  Json master = group(b, kMasterLaunchTemplate, kMasterGroupNameSub, kPublicSubnet, Json("1"), Json("1"), Json("1"), "master");
  master.set("DependsOn", Json::array({Json(kPublicDefaultRoute), Json("PublicSubnetRouteTableAssociation"), Json(kMountTarget)}));
  master.set("CreationPolicy",
             Json::object({{"ResourceSignal", Json::object({{"Count", 1},
                                                            {"Timeout", "PT" + std::to_string(kMasterSignalTimeoutMinutes) + "M"}})}}));
  b.add(names::kMasterGroup, std::move(master));

  Json workers = group(b, kWorkerLaunchTemplate, kWorkerGroupNameSub, kPrivateSubnet, ref(names::kMinWorkerCount),
                       ref(names::kWorkerCount), ref(names::kWorkerCount), "worker");
  // Launch errors must reach the Lambda from the first launch on.
  workers.set("DependsOn", Json::array({Json(kPrivateDefaultRoute), Json("PrivateSubnetRouteTableAssociation"),
                                        Json(kMountTarget), Json(kCapacitySubscription), Json(kCapacityPermission)}));
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
