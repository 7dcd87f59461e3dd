#pragma once
// The stack builder, split by job: each add_* adds one group of resources to the template.
// Logical ids shared between groups are named here.

#include <string>

#include "awsdl/cluster/spec.hpp"
#include "awsdl/cluster/template.hpp"
#include "cluster/template_json.hpp"

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

// Group names are fixed from the stack name so that roles and the Lambda can name them
// without a Ref (a Ref would make the worker group, which must wait for the Lambda's
// subscription, depend on itself through the Lambda's role).
inline constexpr const char* kMasterGroupNameSub = "${AWS::StackName}-master";
inline constexpr const char* kWorkerGroupNameSub = "${AWS::StackName}-workers";

inline constexpr int kMasterSignalTimeoutMinutes = 30;
inline constexpr int kClusterReadyTimeoutSeconds = 3600;

struct Builder {
  const cluster::ClusterSpec& spec;
  Json resources = Json::object();

  bool reuse_efs() const { return !spec.efs_id.empty(); }
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
/// The capacity Lambda's Python source (inline, under Lambda's 4 KB ZipFile limit).
std::string_view capacity_lambda_code();

}  // namespace awsdl::internal::cfn
