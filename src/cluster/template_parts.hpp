#pragma once
// The stack builder, split by job: each add_* adds one group of resources to the template.
// Logical ids shared between groups are named here.

#include <string>

#include "awsdl/cluster/spec.hpp"
#include "awsdl/cluster/template.hpp"
#include "cluster/template_json.hpp"

#include <string_view>
#include <utility>
#include <vector>

namespace awsdl::internal::cfn {

// Logical ids referenced across groups.
inline constexpr const char* kVpc = "Vpc";
inline constexpr const char* kPublicSubnet = "PublicSubnet";
inline constexpr const char* kPrivateSubnet = "PrivateSubnet";
inline constexpr const char* kGatewayAttachment = "GatewayAttachment";
inline constexpr const char* kPublicDefaultRoute = "PublicDefaultRoute";
inline constexpr const char* kPrivateDefaultRoute = "PrivateDefaultRoute";
inline constexpr const char* kMasterSecurityGroup = "MasterSecurityGroup";
inline constexpr const char* kWorkerSecurityGroup = "WorkerSecurityGroup";
inline constexpr const char* kEfsSecurityGroup = "EfsSecurityGroup";
inline constexpr const char* kFileSystem = "FileSystem";
inline constexpr const char* kMountTarget = "MountTarget";
inline constexpr const char* kInstanceRole = "InstanceRole";
inline constexpr const char* kAutostopScalePolicy = "AutostopScalePolicy";
inline constexpr const char* kAutostopDeletePolicy = "AutostopDeletePolicy";
inline constexpr const char* kAutostopScale = "AutostopScale";    // conditions
inline constexpr const char* kAutostopDelete = "AutostopDelete";
inline constexpr const char* kInstanceProfile = "InstanceProfile";
inline constexpr const char* kCapacityRole = "CapacityFunctionRole";
inline constexpr const char* kNodeQueue = "NodeQueue";
inline constexpr const char* kCapacityQueue = "CapacityQueue";
inline constexpr const char* kLaunchTopic = "LaunchTopic";
inline constexpr const char* kCapacityFunction = "CapacityFunction";
inline constexpr const char* kCapacitySubscription = "CapacitySubscription";
inline constexpr const char* kCapacityPermission = "CapacityInvokePermission";
inline constexpr const char* kPlacementGroup = "ClusterPlacementGroup";
inline constexpr const char* kMasterLaunchTemplate = "MasterLaunchTemplate";
inline constexpr const char* kWorkerLaunchTemplate = "WorkerLaunchTemplate";
inline constexpr const char* kClusterReadyHandle = "ClusterReadyHandle";
inline constexpr const char* kLustreFileSystem = "LustreFileSystem";
inline constexpr const char* kLustreSecurityGroup = "LustreSecurityGroup";
inline constexpr const char* kLustreRepository = "LustreDataRepository";

// Group names are fixed from the stack name so that roles and the Lambda can name them
// without a Ref (a Ref would make the worker group, which must wait for the Lambda's
// subscription, depend on itself through the Lambda's role).
inline constexpr const char* kMasterGroupNameSub = "${AWS::StackName}-master";
inline constexpr const char* kWorkerGroupNameSub = "${AWS::StackName}-workers";

inline constexpr int kMasterSignalTimeoutMinutes = 30;
inline constexpr int kClusterReadyTimeoutSeconds = 3600;

struct Builder {
  const cluster::ClusterSpec& spec;
  const cluster::TemplateInputs& inputs;
  bool efa = false;  // the workers get EFA interfaces (cluster::efa_enabled)
  Json resources = Json::object();
  Json mappings = Json::object();  // the template's Mappings (none when empty)

  bool efs() const { return spec.shared == cluster::SharedStorage::kEfs; }
  bool fsx() const { return spec.shared == cluster::SharedStorage::kFsxLustre; }
  bool reuse_efs() const { return efs() && !spec.efs_id.empty(); }
  bool reuse_fsx() const { return fsx() && !spec.fsx.id.empty(); }
  /// EFA needs every worker in one cluster placement group.
  bool placement_group() const { return spec.placement_group || efa; }
  /// The worker group uses a MixedInstancesPolicy: several types, or spot.
  bool mixed_instances() const {
    return spec.instance_type_list().size() > 1 || spec.capacity.market != cluster::Market::kOnDemand;
  }
  bool workers_spot() const { return spec.capacity.market != cluster::Market::kOnDemand; }
  /// The lifecycle can move the workers when they find no capacity (several candidate zones, or
  /// spot then on-demand): the worker group and the capacity Lambda then take a floor of 0, so a
  /// create that finds no capacity still completes, with the master and the workers that
  /// launched, and the lifecycle moves on (lifecycle_fallback.hpp) instead of the stack rolling
  /// back. The user's minimum stays the stack's MinWorkerCount, which the lifecycle enforces.
  bool capacity_fallback() const {
    return spec.capacity.availability_zones.size() > 1 || spec.capacity.market == cluster::Market::kSpotThenOnDemand;
  }
  /// The floor of the worker group (MinSize) and of the capacity Lambda (MIN_WORKERS).
  Json worker_floor() const;
  /// The first choice of type: the launch templates' InstanceType parameter.
  std::string first_type() const { return spec.instance_type_list().front(); }
  /// Network cards of `type` (1 when unknown).
  int network_cards(std::string_view type) const {
    const auto* f = inputs.find(type);
    return f && f->network_cards > 0 ? f->network_cards : 1;
  }
  /// The resource the nodes wait for before they mount: the EFS mount target, the Lustre file
  /// system; empty when nothing is created to mount.
  std::string storage_dependency() const;
  /// Ref to the file system id: the created one, or the reused one's parameter.
  Json file_system_id() const;
  void add(std::string_view logical_id, Json resource) { resources.set(logical_id, std::move(resource)); }
};

/// {"Type": type, "Properties": properties}
Json resource(std::string_view type, Json properties);
/// The tags every taggable resource carries: Name and awsdl:cluster.
Json standard_tags(std::string_view name_suffix);

void add_network(Builder& b);
void add_security(Builder& b);
void add_storage(Builder& b);
void add_iam(Builder& b);
void add_messaging(Builder& b);
void add_capacity_lambda(Builder& b);
void add_compute(Builder& b);

/// The capacity Lambda's name: "<cluster>-capacity", shortened with a hash to fit 64
/// characters. Named so that its role can scope log permissions without referring to it.
std::string capacity_function_name(const cluster::ClusterSpec& spec);

/// The user data scripts (bash, for Fn::Sub); `fs_logical_id` is what ${...} names the file
/// system id by (the FileSystem resource or the EfsId parameter).
std::string master_user_data(std::string_view fs_logical_id);
std::string worker_user_data(std::string_view fs_logical_id);

/// What the user data mounts and exports, beyond EFS.
struct UserData {
  cluster::SharedStorage shared = cluster::SharedStorage::kEfs;
  /// EFS: the FileSystem resource or the EfsId parameter; FSx: the LustreFileSystem resource
  /// (its DNSName and LustreMountName) or the FsxId parameter (looked up at boot).
  std::string fs_logical_id;
  bool reuse = false;  // FSx: fs_logical_id is the FsxId parameter
  bool efa = false;    // the environment file carries the EFA variables
  /// The workers may number 0 when the master is ready: the lifecycle moves them elsewhere when
  /// they find no capacity (Builder::capacity_fallback), so ClusterReady does not wait for one.
  bool workers_may_be_zero = false;
};
std::string master_user_data(const UserData& u);

std::string worker_user_data(const UserData& u);
/// The capacity Lambda's Python source (inline, under Lambda's 4 KB ZipFile limit).
std::string_view capacity_lambda_code();

}  // namespace awsdl::internal::cfn
