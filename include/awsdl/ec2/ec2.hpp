#pragma once
// Amazon EC2: launching and finding instances, images, instance types, networks, security
// groups and key pairs, with the instance waiters. Names follow botocore's ec2 model.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "awsdl/config.hpp"
#include "awsdl/core/options.hpp"
#include "awsdl/core/result.hpp"
#include "awsdl/core/wait.hpp"

namespace awsdl {
/// What a service client stands on (signing, retries, endpoints): opaque here.
class ServiceClient;
}  // namespace awsdl

namespace awsdl::ec2 {

/// Next steps (Error::next_steps) that are EC2 operations; the detail lists instance ids,
/// separated by spaces.
namespace next_step {
inline constexpr const char* kStartInstances = "ec2.start_instances";  // StartInstances
}  // namespace next_step

struct AWSDL_EXPORT Tag {
  std::string key;
  std::string value;
  bool operator==(const Tag&) const = default;
};

/// A DescribeX filter: "tag:Name", "instance-state-name", "instance-id", "vpc-id", ...
struct AWSDL_EXPORT Filter {
  std::string name;
  std::vector<std::string> values;
};

struct AWSDL_EXPORT BlockDevice {
  std::string device_name = "/dev/sda1";
  int volume_size_gib = 0;           // 0: the image's size
  std::string volume_type = "gp3";
  std::optional<int> iops;
  bool delete_on_termination = true;
  bool encrypted = false;
};

struct AWSDL_EXPORT SpotOptions {
  std::string max_price;                       // empty: the on-demand price
  std::string spot_instance_type = "one-time";
  std::string instance_interruption_behavior;  // "terminate" (default), "stop", "hibernate"
};

struct AWSDL_EXPORT RunInstancesRequest {
  std::string image_id;
  std::string instance_type;
  int min_count = 1;
  int max_count = 1;
  std::string key_name;
  std::string subnet_id;
  std::vector<std::string> security_group_ids;
  std::string user_data;                 // plain text; sent base64-encoded
  std::string iam_instance_profile_arn;  // or
  std::string iam_instance_profile_name;
  std::string placement_group;
  std::string availability_zone;
  std::vector<BlockDevice> block_devices;
  std::vector<Tag> tags;                 // applied to the instances and their volumes
  std::optional<SpotOptions> spot;
  /// Idempotency token: generated when empty. Every retry of the call reuses it, so a
  /// retried launch never makes two sets of instances.
  std::string client_token;
};

struct AWSDL_EXPORT Instance {
  std::string instance_id;
  std::string image_id;
  std::string instance_type;
  std::string state;  // pending, running, shutting-down, terminated, stopping, stopped
  int state_code = 0;
  std::string state_reason;
  std::string private_ip;
  std::string public_ip;
  std::string private_dns;
  std::string public_dns;
  std::string subnet_id;
  std::string vpc_id;
  std::string key_name;
  std::string availability_zone;
  std::string placement_group;
  std::string lifecycle;  // "spot" or empty
  std::string launch_time;  // ISO 8601 as sent
  std::string client_token;
  std::vector<std::string> security_group_ids;
  std::vector<Tag> tags;

  /// The value of tag `key`, or "".
  std::string tag(const std::string& key) const;
};

struct AWSDL_EXPORT Reservation {
  std::string reservation_id;
  std::string owner_id;
  std::vector<Instance> instances;
};

struct AWSDL_EXPORT DescribeInstancesRequest {
  std::vector<std::string> instance_ids;
  std::vector<Filter> filters;
  std::optional<int> max_results;  // 5..1000, not with instance_ids
  std::string next_token;
};

struct AWSDL_EXPORT DescribeInstancesPage {
  std::vector<Reservation> reservations;
  std::string next_token;
};

struct AWSDL_EXPORT InstanceStateChange {
  std::string instance_id;
  std::string previous_state;
  std::string current_state;
};

struct AWSDL_EXPORT InstanceStatus {
  std::string instance_id;
  std::string state;            // instance state name
  std::string instance_status;  // ok, impaired, initializing, insufficient-data, not-applicable
  std::string system_status;
};

/// GetConsoleOutput: the instance's console (the boot and cloud-init lines on Linux), decoded.
/// AWS keeps the most recent 64 KiB for at least an hour after its last post, so a terminated
/// instance's console is still readable for a while.
struct AWSDL_EXPORT ConsoleOutput {
  std::string instance_id;
  bool available = false;  // false: nothing posted yet (a pending instance)
  std::string output;      // the text (base64-decoded)
  std::string timestamp;   // when it was last updated (ISO 8601); empty when not given
};

struct AWSDL_EXPORT DescribeImagesRequest {
  std::vector<std::string> owners;     // "amazon", "self", account ids
  std::vector<std::string> names;      // "name" filter values; wildcards allowed
  std::vector<std::string> image_ids;
  std::vector<Filter> filters;
};

struct AWSDL_EXPORT Image {
  std::string image_id;
  std::string name;
  std::string description;
  std::string owner_id;
  std::string creation_date;  // ISO 8601; sorts as text
  std::string architecture;
  std::string state;
};

struct AWSDL_EXPORT InstanceTypeInfo {
  std::string instance_type;
  int vcpus = 0;
  std::int64_t memory_mib = 0;
  int gpu_count = 0;  // summed over the GPU kinds
  std::string gpu_name;
  std::string gpu_manufacturer;
  std::int64_t gpu_memory_mib = 0;  // total
  /// ProcessorInfo.SupportedArchitectures: "x86_64", "arm64", "i386", "x86_64_mac".
  std::vector<std::string> architectures;
  bool efa_supported = false;     // NetworkInfo.EfaSupported
  int maximum_network_cards = 0;  // NetworkInfo.MaximumNetworkCards (EFA interfaces: one per card)
};

/// Where an instance type can be launched (DescribeInstanceTypeOfferings).
struct AWSDL_EXPORT InstanceTypeOffering {
  std::string instance_type;
  std::string location_type;  // "region", "availability-zone", "availability-zone-id"
  std::string location;       // "us-east-1a" for availability-zone
};

/// An On-Demand Capacity Reservation or a Capacity Block (DescribeCapacityReservations).
struct AWSDL_EXPORT CapacityReservation {
  std::string capacity_reservation_id;
  std::string instance_type;
  std::string availability_zone;
  std::string state;  // active, expired, cancelled, pending, failed, scheduled, payment-pending, ...
  int total_instance_count = 0;
  int available_instance_count = 0;
  std::string instance_match_criteria;  // open, targeted
  std::string reservation_type;         // "default" or "capacity-block"
  std::string end_date;                 // ISO 8601, empty for an unlimited one
};

struct AWSDL_EXPORT AvailabilityZone {
  std::string zone_name;
  std::string zone_id;
  std::string state;
  std::string region_name;
};

struct AWSDL_EXPORT Vpc {
  std::string vpc_id;
  std::string cidr_block;
  std::string state;
  bool is_default = false;
};

struct AWSDL_EXPORT Subnet {
  std::string subnet_id;
  std::string vpc_id;
  std::string availability_zone;
  std::string cidr_block;
  std::int64_t available_ip_address_count = 0;
  bool default_for_az = false;
  bool map_public_ip_on_launch = false;
};

struct AWSDL_EXPORT IpPermission {
  std::string ip_protocol = "tcp";  // "tcp", "udp", "icmp", "-1" (all)
  std::optional<int> from_port;
  std::optional<int> to_port;
  std::vector<std::string> cidr_ips;
  std::vector<std::string> source_group_ids;
};

struct AWSDL_EXPORT SecurityGroup {
  std::string group_id;
  std::string group_name;
  std::string description;
  std::string vpc_id;
  std::vector<IpPermission> ingress;
  std::vector<Tag> tags;
};

struct AWSDL_EXPORT CreateSecurityGroupRequest {
  std::string group_name;
  std::string description;
  std::string vpc_id;
  std::vector<Tag> tags;
};

struct AWSDL_EXPORT KeyPair {
  std::string key_name;
  std::string key_pair_id;
  std::string fingerprint;
  std::string material;  // CreateKeyPair only: the private key; never logged
  std::string key_type;  // DescribeKeyPairs: rsa, ed25519
};

class AWSDL_EXPORT Ec2Client {
 public:
  explicit Ec2Client(Config config);

  /// The reservation (its instances are usually still pending).
  Result<Reservation> run_instances(const RunInstancesRequest& request, const CallOptions& options = {}) const;
  /// One page.
  Result<DescribeInstancesPage> describe_instances(const DescribeInstancesRequest& request,
                                                   const CallOptions& options = {}) const;
  /// Every instance on every page (the paginator over NextToken).
  Result<std::vector<Instance>> list_instances(DescribeInstancesRequest request, const CallOptions& options = {}) const;
  Result<std::vector<InstanceStateChange>> terminate_instances(const std::vector<std::string>& instance_ids,
                                                               const CallOptions& options = {}) const;
  Status create_tags(const std::vector<std::string>& resource_ids, const std::vector<Tag>& tags,
                     const CallOptions& options = {}) const;
  /// `include_all`: also instances that are not running (IncludeAllInstances).
  Result<std::vector<InstanceStatus>> describe_instance_status(const std::vector<std::string>& instance_ids,
                                                               bool include_all = false,
                                                               const CallOptions& options = {}) const;
  /// `latest`: the latest serial console output (Nitro instances) rather than the buffered copy.
  /// Output that is not base64 is kParse "BadConsoleOutput".
  Result<ConsoleOutput> get_console_output(const std::string& instance_id, bool latest = true,
                                           const CallOptions& options = {}) const;
  /// Newest first (by CreationDate).
  Result<std::vector<Image>> describe_images(const DescribeImagesRequest& request, const CallOptions& options = {}) const;
  /// Every page.
  Result<std::vector<InstanceTypeInfo>> describe_instance_types(const std::vector<std::string>& instance_types,
                                                                const std::vector<Filter>& filters = {},
                                                                const CallOptions& options = {}) const;
  /// Every page. `location_type`: "availability-zone" (the default when empty: EC2's own default
  /// is "region"), "availability-zone-id" or "region"; filters "instance-type", "location".
  Result<std::vector<InstanceTypeOffering>> describe_instance_type_offerings(const std::string& location_type,
                                                                             const std::vector<Filter>& filters = {},
                                                                             const CallOptions& options = {}) const;
  /// Every page; with ids, an unknown one is kService "InvalidCapacityReservationId.NotFound".
  Result<std::vector<CapacityReservation>> describe_capacity_reservations(
      const std::vector<std::string>& capacity_reservation_ids, const std::vector<Filter>& filters = {},
      const CallOptions& options = {}) const;
  /// The key pairs named (all of them when empty); an unknown name is kService
  /// "InvalidKeyPair.NotFound".
  Result<std::vector<KeyPair>> describe_key_pairs(const std::vector<std::string>& key_names,
                                                  const CallOptions& options = {}) const;
  Result<std::vector<AvailabilityZone>> describe_availability_zones(const std::vector<Filter>& filters = {},
                                                                    const CallOptions& options = {}) const;
  Result<std::vector<Vpc>> describe_vpcs(const std::vector<Filter>& filters = {}, const CallOptions& options = {}) const;
  Result<std::vector<Subnet>> describe_subnets(const std::vector<Filter>& filters = {},
                                               const CallOptions& options = {}) const;
  Result<std::vector<SecurityGroup>> describe_security_groups(const std::vector<std::string>& group_ids,
                                                              const std::vector<Filter>& filters = {},
                                                              const CallOptions& options = {}) const;
  /// The new group's id.
  Result<std::string> create_security_group(const CreateSecurityGroupRequest& request,
                                            const CallOptions& options = {}) const;
  Status authorize_security_group_ingress(const std::string& group_id, const std::vector<IpPermission>& permissions,
                                          const CallOptions& options = {}) const;
  Status delete_security_group(const std::string& group_id, const CallOptions& options = {}) const;
  Result<KeyPair> create_key_pair(const std::string& key_name, const CallOptions& options = {}) const;
  Result<KeyPair> import_key_pair(const std::string& key_name, const std::string& public_key_material,
                                  const CallOptions& options = {}) const;
  Status delete_key_pair(const std::string& key_name, const CallOptions& options = {}) const;

  /// Waiters (botocore's InstanceRunning / InstanceTerminated / InstanceStatusOk acceptors).
  /// A failure acceptor (e.g. an instance shutting down while waiting for running) ends
  /// with kService "WaiterFailure"; running out of attempts or the deadline with kTimeout
  /// "WaiterTimeout". The instances as last seen.
  Result<std::vector<Instance>> wait_until_running(const std::vector<std::string>& instance_ids,
                                                   const WaitOptions& options = {}) const;
  Result<std::vector<Instance>> wait_until_terminated(const std::vector<std::string>& instance_ids,
                                                      const WaitOptions& options = {}) const;
  Result<std::vector<InstanceStatus>> wait_until_status_ok(const std::vector<std::string>& instance_ids,
                                                           const WaitOptions& options = {}) const;

 private:
  std::shared_ptr<ServiceClient> client_;
};

/// A random idempotency token (a version-4 UUID), as the SDKs generate for ClientToken.
AWSDL_EXPORT std::string new_client_token();

}  // namespace awsdl::ec2
