// Assembles the cluster template: parameters (defaulting to the spec's values, so the
// template stands alone), the resource groups in a fixed order, and the outputs.
#include "awsdl/cluster/template.hpp"

#include <string>

#include "cluster/spec_rules.hpp"
#include "cluster/template_parts.hpp"

namespace awsdl::cluster {

namespace {
using internal::cfn::Json;
using internal::cfn::ref;
namespace cfn = internal::cfn;
namespace rules = internal::spec_rules;

Json parameter(std::string_view type, std::string_view description, std::string default_value) {
  return Json::object({{"Type", type}, {"Description", description}, {"Default", std::move(default_value)}});
}

// The zone the stack starts in: the spec's zone, else the first candidate ("auto" is resolved
// to concrete zones before the template is built); empty: the region's first zone.
std::string start_zone(const ClusterSpec& s) {
  if (!s.availability_zone.empty()) return s.availability_zone;
  return s.capacity.availability_zones.empty() ? std::string() : s.capacity.availability_zones.front();
}

Json parameters(const ClusterSpec& s) {
  Json p = Json::object();
  p.set(names::kKeyName, parameter("AWS::EC2::KeyPair::KeyName", "EC2 key pair for SSH to the master", s.key_name));
  Json cidr = parameter("String", "IPv4 CIDR block allowed to SSH to the master", s.ssh_cidr);
  cidr.set("AllowedPattern", rules::kCidrPattern);
  cidr.set("ConstraintDescription", "an IPv4 CIDR block such as 203.0.113.0/24");
  p.set(names::kSshLocation, std::move(cidr));
  Json type = parameter("String",
                        s.capacity.instance_types.size() > 1
                            ? "EC2 instance type of the master, and the workers' first choice"
                            : "EC2 instance type of every node",
                        s.instance_type_list().front());
  type.set("AllowedPattern", rules::kInstanceTypePattern);
  type.set("ConstraintDescription", "an EC2 instance type such as p4d.24xlarge");
  p.set(names::kInstanceType, std::move(type));
  Json workers = parameter("Number", "Worker instances wanted (the master is one more)", std::to_string(s.workers));
  workers.set("MinValue", 1);
  p.set(names::kWorkerCount, std::move(workers));
  Json min = parameter("Number", "Fewest workers accepted when launches fail for lack of capacity",
                       std::to_string(s.effective_min_workers()));
  min.set("MinValue", 1);
  p.set(names::kMinWorkerCount, std::move(min));
  if (!s.image_id.empty()) {
    p.set(names::kImageId, parameter("AWS::EC2::Image::Id", "AMI of every node", s.image_id));
  } else {
    p.set(names::kImageId, parameter("AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>",
                                     "SSM parameter resolving to the AMI of every node (the Deep Learning AMI by default)",
                                     s.ssm_parameter));
  }
  if (s.shared == SharedStorage::kEfs && !s.efs_id.empty()) {
    Json efs = parameter("String", "Existing EFS file system to mount (it must have no mount target in another VPC)", s.efs_id);
    efs.set("AllowedPattern", rules::kEfsIdPattern);
    efs.set("ConstraintDescription", "an EFS file system id such as fs-0123456789abcdef0");
    p.set(names::kEfsId, std::move(efs));
  }
  if (s.shared == SharedStorage::kFsxLustre && !s.fsx.id.empty()) {
    Json fsx = parameter("String", "Existing FSx for Lustre file system to mount (reachable from the cluster's VPC)", s.fsx.id);
    fsx.set("AllowedPattern", rules::kFsxIdPattern);
    fsx.set("ConstraintDescription", "an FSx file system id such as fs-0123456789abcdef0");
    p.set(names::kFsxId, std::move(fsx));
  }
  Json mount = parameter("String",
                         s.shared == SharedStorage::kNone ? "Where every node keeps its node-local working directory"
                                                          : "Where every node mounts the shared file system",
                         s.mount_point);
  mount.set("AllowedPattern", rules::kMountPointPattern);
  mount.set("ConstraintDescription", "an absolute path such as /efs");
  p.set(names::kEfsMountPoint, std::move(mount));
  Json volume = parameter("Number", "Root volume size of every node, GiB", std::to_string(s.volume_size_gb));
  volume.set("MinValue", rules::kMinVolumeGb);
  volume.set("MaxValue", rules::kMaxVolumeGb);
  p.set(names::kVolumeSize, std::move(volume));
  if (auto zone = start_zone(s); !zone.empty())
    p.set(names::kAvailabilityZone, parameter("AWS::EC2::AvailabilityZone::Name",
                                              "Availability zone of every node (one zone: placement group, one EFS mount target)",
                                              zone));
  if (s.capacity.market != Market::kOnDemand) {
    Json od = parameter("Number", "Share of the workers launched on demand above none: 0 spot, 100 on-demand (the fallback)",
                        "0");
    od.set("AllowedValues", Json::array({Json("0"), Json("100")}));
    p.set(names::kWorkerOnDemandPercentage, std::move(od));
  }
  Json autostop = parameter("String", "What the autostop watcher on the master may do once the cluster is idle: "
                                     "nothing (off), scale the workers to zero, or delete the stack",
                            "off");
  autostop.set("AllowedValues", Json::array({Json("off"), Json("scale"), Json("delete")}));
  p.set(names::kAutostop, std::move(autostop));
  return p;
}

Json conditions() {
  auto equals = [](const char* value) {
    return Json::object({{"Fn::Equals", Json::array({ref(names::kAutostop), Json(value)})}});
  };
  return Json::object({{cfn::kAutostopScale, equals("scale")}, {cfn::kAutostopDelete, equals("delete")}});
}

Json output(std::string_view description, Json value) {
  return Json::object({{"Description", description}, {"Value", std::move(value)}});
}

Json outputs(const cfn::Builder& b) {
  Json o = Json::object();
  o.set(names::kOutVpcId, output("VPC of the cluster", ref(cfn::kVpc)));
  o.set(names::kOutMasterGroupName,
        output("Auto Scaling group of the master; its instance holds the master's public and private addresses",
               ref(names::kMasterGroup)));
  o.set(names::kOutWorkerGroupName, output("Auto Scaling group of the workers", ref(names::kWorkerGroup)));
  if (b.efs()) o.set(names::kOutEfsId, output("EFS file system (retained when the stack is deleted)", b.file_system_id()));
  if (b.fsx())
    o.set(names::kOutFsxId, output("FSx for Lustre file system (a created one is deleted with the stack)",
                                   ref(b.reuse_fsx() ? names::kFsxId : cfn::kLustreFileSystem)));
  // With a capacity fallback the worker group's floor is 0 (Builder::capacity_fallback): the
  // user's minimum, which the library holds the cluster to, is said here.
  if (b.capacity_fallback())
    o.set(names::kOutMinWorkers, output("Workers the cluster accepts at the least (the worker group's own floor is 0 "
                                        "so that a zone or market without capacity can be left)",
                                        ref(names::kMinWorkerCount)));
  o.set(names::kOutEfsMountPoint, output("Mount point of the file system on every node", ref(names::kEfsMountPoint)));
  o.set(names::kOutNodeQueueUrl, output("Queue on which nodes register", ref(cfn::kNodeQueue)));
  o.set(names::kOutCapacityQueueUrl, output("Queue on which the capacity Lambda reports", ref(cfn::kCapacityQueue)));
  o.set(names::kOutLaunchTopicArn, output("Topic of the groups' launch notifications", ref(cfn::kLaunchTopic)));
  // No output of the wait condition's Data: nothing reads it (the lifecycle describes the
  // groups and instances), and it is a JSON object where an output must be a string (E6101).
  return o;
}

std::vector<std::pair<std::string, std::string>> parameter_values(const ClusterSpec& s) {
  std::vector<std::pair<std::string, std::string>> v = {
      {names::kKeyName, s.key_name},
      {names::kSshLocation, s.ssh_cidr},
      {names::kInstanceType, s.instance_type_list().front()},
      {names::kWorkerCount, std::to_string(s.workers)},
      {names::kMinWorkerCount, std::to_string(s.effective_min_workers())},
      {names::kImageId, s.image_id.empty() ? s.ssm_parameter : s.image_id},
  };
  if (s.shared == SharedStorage::kEfs && !s.efs_id.empty()) v.emplace_back(names::kEfsId, s.efs_id);
  if (s.shared == SharedStorage::kFsxLustre && !s.fsx.id.empty()) v.emplace_back(names::kFsxId, s.fsx.id);
  v.emplace_back(names::kEfsMountPoint, s.mount_point);
  v.emplace_back(names::kVolumeSize, std::to_string(s.volume_size_gb));
  if (auto zone = start_zone(s); !zone.empty()) v.emplace_back(names::kAvailabilityZone, zone);
  if (s.capacity.market != Market::kOnDemand) v.emplace_back(names::kWorkerOnDemandPercentage, "0");
  // Autostop is left at its default ("off"): `awsdl-cluster autostop` updates it.
  return v;
}
}  // namespace

bool template_needs_s3(std::size_t bytes) { return bytes > kMaxTemplateBodyBytes; }

Result<bool> efa_enabled(const ClusterSpec& spec, const TemplateInputs& inputs) {
  if (spec.capacity.efa == EfaMode::kNo) return false;
  bool every = true;
  for (const auto& type : spec.instance_type_list()) {
    const auto* f = inputs.find(type);
    if (!f) {
      every = false;
      continue;
    }
    if (!f->efa_supported) {
      if (spec.capacity.efa == EfaMode::kYes)
        return Error::invalid_argument("EfaNotSupported",
                                       type + " does not support EFA (DescribeInstanceTypes NetworkInfo.EfaSupported): "
                                              "set efa = no or auto, or list only types with EFA");
      every = false;
    }
  }
  return spec.capacity.efa == EfaMode::kYes || every;
}

Result<StackTemplate> build_template(const ClusterSpec& spec, const TemplateOptions& options) {
  return build_template(spec, TemplateInputs{}, options);
}

Result<StackTemplate> build_template(const ClusterSpec& spec, const TemplateInputs& inputs, const TemplateOptions& options) {
  AWSDL_TRY(validate(spec));
  cfn::Builder b{spec, inputs};
  AWSDL_ASSIGN_OR_RETURN(b.efa, efa_enabled(spec, inputs));
  cfn::add_network(b);
  cfn::add_security(b);
  cfn::add_storage(b);
  cfn::add_iam(b);
  cfn::add_messaging(b);
  cfn::add_capacity_lambda(b);
  cfn::add_compute(b);

  Json doc = Json::object();
  doc.set("AWSTemplateFormatVersion", "2010-09-09");
  const char* sharing = b.efs() ? ", sharing EFS" : b.fsx() ? ", sharing FSx for Lustre" : "";
  doc.set("Description", "awsdl cluster " + spec.name + ": a master and GPU workers on the Deep Learning AMI" + sharing +
                             " (DESIGN.md workflow 1)");
  doc.set("Metadata", Json::object({{"awsdl", Json::object({{"cluster", spec.name}, {"template_version", 1}})}}));
  doc.set("Parameters", parameters(spec));
  if (!b.mappings.members().empty()) doc.set("Mappings", std::move(b.mappings));
  doc.set("Conditions", conditions());
  const std::size_t resource_count = b.resources.members().size();
  doc.set("Resources", std::move(b.resources));
  doc.set("Outputs", outputs(b));

  StackTemplate t;
  t.body.reserve(options.pretty ? 48 * 1024 : 24 * 1024);
  doc.write(t.body, options.pretty);
  if (options.pretty) t.body += '\n';
  t.parameters = parameter_values(spec);
  t.capabilities = {"CAPABILITY_IAM"};
  t.resource_count = resource_count;
  return t;
}

}  // namespace awsdl::cluster

namespace awsdl::internal::cfn {

Json resource(std::string_view type, Json properties) {
  return Json::object({{"Type", type}, {"Properties", std::move(properties)}});
}

Json standard_tags(std::string_view name_suffix) {
  return Json::array({tag("Name", sub(std::string("${AWS::StackName}") + std::string(name_suffix))),
                      tag("awsdl:cluster", ref("AWS::StackName"))});
}

}  // namespace awsdl::internal::cfn
