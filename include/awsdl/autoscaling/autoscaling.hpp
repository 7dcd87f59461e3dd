#pragma once
// Amazon EC2 Auto Scaling: the groups behind a cluster's master and workers (find them,
// resize them, see what they did, pause their processes). Names follow botocore's model.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "awsdl/config.hpp"
#include "awsdl/core/options.hpp"
#include "awsdl/core/result.hpp"

namespace awsdl {
/// What a service client stands on (signing, retries, endpoints): opaque here.
class ServiceClient;
}  // namespace awsdl

namespace awsdl::autoscaling {

struct AWSDL_EXPORT GroupInstance {
  std::string instance_id;
  std::string instance_type;
  std::string availability_zone;
  std::string lifecycle_state;  // Pending, InService, Terminating, ...
  std::string health_status;    // Healthy, Unhealthy
  std::string group_name;       // DescribeAutoScalingInstances only
};

struct AWSDL_EXPORT GroupTag {
  std::string key;
  std::string value;
  bool propagate_at_launch = false;
};

struct AWSDL_EXPORT Group {
  std::string name;
  std::string arn;
  int min_size = 0;
  int max_size = 0;
  int desired_capacity = 0;
  std::string status;  // set while the group is being deleted
  std::string placement_group;
  std::string vpc_zone_identifier;  // comma-separated subnet ids
  std::vector<std::string> availability_zones;
  std::vector<GroupInstance> instances;
  std::vector<std::string> suspended_processes;
  std::vector<GroupTag> tags;
  std::string created_time;  // ISO 8601

  std::string tag(const std::string& key) const;
};

struct AWSDL_EXPORT Filter {
  std::string name;  // "tag:<key>", "tag-key", "tag-value"
  std::vector<std::string> values;
};

struct AWSDL_EXPORT DescribeGroupsRequest {
  std::vector<std::string> names;
  std::vector<Filter> filters;
  std::optional<int> max_records;  // per page, 1..100
};

struct AWSDL_EXPORT UpdateGroupRequest {
  std::string name;
  std::optional<int> min_size;
  std::optional<int> max_size;
  std::optional<int> desired_capacity;
  std::optional<int> health_check_grace_period;  // seconds
  std::string vpc_zone_identifier;
  std::string placement_group;
};

struct AWSDL_EXPORT Activity {
  std::string activity_id;
  std::string group_name;
  std::string description;
  std::string cause;
  std::string start_time;
  std::string end_time;
  std::string status_code;  // Successful, Failed, InProgress, Cancelled, ...
  std::string status_message;
  int progress = 0;
};

class AWSDL_EXPORT AutoScalingClient {
 public:
  explicit AutoScalingClient(Config config);

  /// Every group on every page (the paginator over NextToken).
  Result<std::vector<Group>> describe_groups(const DescribeGroupsRequest& request = {},
                                             const CallOptions& options = {}) const;
  /// One group; kNotFound "GroupNotFound" when there is none by that name.
  Result<Group> describe_group(const std::string& name, const CallOptions& options = {}) const;
  Status set_desired_capacity(const std::string& name, int desired_capacity, bool honor_cooldown = false,
                              const CallOptions& options = {}) const;
  Status update_group(const UpdateGroupRequest& request, const CallOptions& options = {}) const;
  /// SetInstanceHealth: `healthy` false marks the instance Unhealthy, and the group replaces it
  /// (unless its ReplaceUnhealthy process is suspended). kInvalidArgument for an empty id.
  Status set_instance_health(const std::string& instance_id, bool healthy, bool respect_grace_period = false,
                             const CallOptions& options = {}) const;
  /// Newest first, every page up to `max_activities` (0: all).
  Result<std::vector<Activity>> describe_scaling_activities(const std::string& group_name, int max_activities = 0,
                                                            const CallOptions& options = {}) const;
  /// Every page; instances that are in no group are simply absent.
  Result<std::vector<GroupInstance>> describe_instances(const std::vector<std::string>& instance_ids = {},
                                                        const CallOptions& options = {}) const;
  /// Empty `processes`: all of them.
  Status suspend_processes(const std::string& group_name, const std::vector<std::string>& processes = {},
                           const CallOptions& options = {}) const;
  Status resume_processes(const std::string& group_name, const std::vector<std::string>& processes = {},
                          const CallOptions& options = {}) const;

 private:
  std::shared_ptr<ServiceClient> client_;
};

}  // namespace awsdl::autoscaling
