#pragma once
// The stack builder: ClusterSpec -> CloudFormation template (JSON). Pure and deterministic:
// the same spec always gives the same bytes, keys in a fixed order.

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "awsdl/cluster/spec.hpp"
#include "awsdl/core/result.hpp"
#include "awsdl/export.hpp"

namespace awsdl::cluster {

/// CreateStack / UpdateStack refuse a TemplateBody over this many bytes: larger templates
/// must be uploaded to S3 and passed as TemplateURL.
inline constexpr std::size_t kMaxTemplateBodyBytes = 51200;

/// Whether a template body of `bytes` must go through S3 (TemplateURL).
AWSDL_EXPORT bool template_needs_s3(std::size_t bytes);

/// Names the template uses that callers (the lifecycle, tools) rely on.
namespace names {
// Parameters.
inline constexpr const char* kKeyName = "KeyName";
inline constexpr const char* kSshLocation = "SSHLocation";
inline constexpr const char* kInstanceType = "InstanceType";
inline constexpr const char* kWorkerCount = "WorkerCount";
inline constexpr const char* kMinWorkerCount = "MinWorkerCount";
inline constexpr const char* kImageId = "ImageId";  // AMI id, or an SSM parameter name resolving to one
inline constexpr const char* kEfsId = "EfsId";      // present only when an existing file system is reused
inline constexpr const char* kEfsMountPoint = "EfsMountPoint";
inline constexpr const char* kVolumeSize = "VolumeSize";
// Present when the spec names a zone or candidate zones (capacity.availability_zones, resolved
// from "auto" before the template is built); a stack update of it moves the whole cluster.
inline constexpr const char* kAvailabilityZone = "AvailabilityZone";
// Present when the workers' market is spot or spot-then-on-demand: the worker group's
// OnDemandPercentageAboveBaseCapacity (0 = spot; the fallback sets 100 = on-demand).
inline constexpr const char* kWorkerOnDemandPercentage = "WorkerOnDemandPercentage";
inline constexpr const char* kFsxId = "FsxId";  // present only when an existing FSx for Lustre file system is reused
// "off" (default), "scale" or "delete": which autostop action the instance role may take
// (AutostopScalePolicy / AutostopDeletePolicy exist only then; autostop.hpp).
inline constexpr const char* kAutostop = "Autostop";
// Logical ids.
inline constexpr const char* kMasterGroup = "MasterGroup";
inline constexpr const char* kWorkerGroup = "WorkerGroup";
inline constexpr const char* kClusterReady = "ClusterReady";
// Outputs.
inline constexpr const char* kOutVpcId = "VpcId";
inline constexpr const char* kOutMasterGroupName = "MasterGroupName";
inline constexpr const char* kOutWorkerGroupName = "WorkerGroupName";
inline constexpr const char* kOutEfsId = "EfsId";  // shared = efs only
inline constexpr const char* kOutFsxId = "FsxId";  // shared = fsx-lustre only
inline constexpr const char* kOutMinWorkers = "MinWorkers";  // with a capacity fallback only
inline constexpr const char* kOutEfsMountPoint = "EfsMountPoint";
inline constexpr const char* kOutNodeQueueUrl = "NodeQueueUrl";
inline constexpr const char* kOutCapacityQueueUrl = "CapacityQueueUrl";
inline constexpr const char* kOutLaunchTopicArn = "LaunchTopicArn";
}  // namespace names

/// What EC2 says about an instance type (DescribeInstanceTypes, DescribeInstanceTypeOfferings):
/// the preflight fills these (Clusters::preflight's report) and the lifecycle builds the
/// template from them; a caller that only builds templates may give them itself.
struct AWSDL_EXPORT InstanceTypeFacts {
  std::string instance_type;
  bool efa_supported = false;  // NetworkInfo.EfaSupported
  int network_cards = 1;       // NetworkInfo.MaximumNetworkCards
  int gpus = 0;                // GpuInfo, summed over the GPU kinds
  std::string architecture;    // ProcessorInfo.SupportedArchitectures, the first (x86_64, arm64)
  int vcpus = 0;                           // VCpuInfo.DefaultVCpus
  std::vector<std::string> architectures;  // every supported architecture
  std::vector<std::string> zones;          // the region's zones that offer it (preflight)
};

/// Facts the spec alone does not hold. Empty: EFA only when the spec says efa = yes (one
/// interface per node), never for efa = auto.
struct AWSDL_EXPORT TemplateInputs {
  std::vector<InstanceTypeFacts> types;  // any order; a type of the spec missing here is unknown
  const InstanceTypeFacts* find(std::string_view type) const {
    for (const auto& t : types)
      if (t.instance_type == type) return &t;
    return nullptr;
  }
};

/// Whether the template gives the workers EFA: efa = yes; or efa = auto and `inputs` say every
/// type of the spec supports it. kInvalidArgument when efa = yes and `inputs` say a type does
/// not support it.
AWSDL_EXPORT Result<bool> efa_enabled(const ClusterSpec& spec, const TemplateInputs& inputs);

struct AWSDL_EXPORT TemplateOptions {
  bool pretty = false;  // indented, for people; compact is what is sent
};

struct AWSDL_EXPORT StackTemplate {
  std::string body;                                             // the template JSON
  std::vector<std::pair<std::string, std::string>> parameters;  // parameter values for CreateStack (the spec's)
  std::vector<std::string> capabilities;                        // e.g. CAPABILITY_IAM
  std::size_t resource_count = 0;                               // entries of the template's Resources

  std::size_t size() const { return body.size(); }
  /// Over kMaxTemplateBodyBytes: must be uploaded to S3 and passed as TemplateURL.
  bool needs_s3() const { return template_needs_s3(body.size()); }
};

/// Validates `spec` (kInvalidArgument naming the fields) and builds its template: VPC, public
/// and private subnets, internet gateway, NAT gateway and Elastic IP, route tables, security
/// groups, EFS (created and retained, or reused) with a mount target, least-privilege IAM
/// roles, launch templates, master and worker Auto Scaling groups, optional cluster placement
/// group, SQS queues, SNS launch notifications, the capacity Lambda and the wait condition.
AWSDL_EXPORT Result<StackTemplate> build_template(const ClusterSpec& spec, const TemplateOptions& options = {});

/// The same with the instance types' facts: EFA interfaces on every network card of the
/// types that have them (efa = yes, or auto when every type supports it).
AWSDL_EXPORT Result<StackTemplate> build_template(const ClusterSpec& spec, const TemplateInputs& inputs,
                                                  const TemplateOptions& options = {});

}  // namespace awsdl::cluster
