#pragma once
// The syntax rules of the values a cluster spec holds. Each returns an empty string when the
// value is fine, else what is wrong ("must ..."), ready to follow the field's name.

#include <string>
#include <string_view>

namespace awsdl::internal::spec_rules {

inline constexpr int kMinVolumeGb = 8;
inline constexpr int kMaxVolumeGb = 16384;  // gp3 maximum

/// The range of a whole-number setting. One table for check(), the INI file and the flags
/// that override its keys (awsdl::cluster::whole_setting_range hands it to programs).
struct WholeRange {
  std::string_view field;  // as ClusterSpec problems name it
  int lo;
  int hi;
  std::string_view unit;   // after the numbers in messages: " GiB"
};
inline constexpr WholeRange kWholeRanges[] = {
    {"workers", 1, 10000, ""},
    {"min_workers", 1, 10000, ""},
    {"volume_size_gb", kMinVolumeGb, kMaxVolumeGb, " GiB"},
    {"training.slots_per_node", 1, 4096, ""},  // 0 in a ClusterSpec: one slot per GPU
    {"capacity.capacity_timeout_seconds", 60, 86400, " seconds"},
    {"fsx.capacity_gib", 1200, 1000000, " GiB"},
};
/// The entry for `field`; nullptr when it is not in the table.
const WholeRange* whole_range(std::string_view field);
/// Empty when lo <= n <= hi, else "must be between LO and HI[unit], got N".
std::string in_range(const WholeRange& range, long long n);

/// 'value' quoted for messages, control characters escaped and long values cut.
std::string quoted(std::string_view value);

std::string stack_name(std::string_view v);         // CloudFormation: [A-Za-z][A-Za-z0-9-]*, <= 128
std::string instance_type(std::string_view v);      // family.size, e.g. p4d.24xlarge
std::string ipv4_cidr(std::string_view v);          // a.b.c.d/n with no host bits set
std::string key_name(std::string_view v);           // printable ASCII, <= 255
std::string ami_id(std::string_view v);             // ami- and 8 or 17 hex digits
std::string ssm_parameter_name(std::string_view v); // /path/of/a/parameter
std::string availability_zone(std::string_view v);  // us-east-1a
std::string efs_id(std::string_view v);             // fs- and 8 or 17 hex digits
std::string subnet_id(std::string_view v);          // subnet- and 8 or 17 hex digits
std::string security_group_id(std::string_view v);  // sg- and 8 or 17 hex digits
std::string mount_point(std::string_view v);        // absolute path, shell-safe characters
std::string bucket_name(std::string_view v);        // S3 bucket naming rules
std::string user_name(std::string_view v);          // a POSIX login name

/// The region a zone name belongs to ("us-east-1a" -> "us-east-1", "us-west-2-lax-1a" ->
/// "us-west-2"); empty when `zone` is not of the form of a zone name.
std::string zone_region(std::string_view zone);
/// A zone name of a region: the region, then a zone letter or a local zone's suffix.
std::string zone_name(std::string_view v);
std::string capacity_reservation(std::string_view v);  // cr-... or a resource group ARN
std::string capacity_reservation_id(std::string_view v);  // cr-... only (a Capacity Block)
std::string fsx_id(std::string_view v);                // fs- and 17 hex digits
std::string fsx_deployment(std::string_view v);        // SCRATCH_2 | PERSISTENT_2
/// 1200, 2400, then multiples of 2400 GiB (SSD Lustre: SCRATCH_2 and PERSISTENT_2).
std::string fsx_capacity(int gib, std::string_view deployment);
std::string s3_path(std::string_view v);               // s3://bucket[/prefix]

/// Spot prices above this (USD per instance-hour) are taken for a typo: the dearest GPU
/// instance costs far less on demand.
inline constexpr double kMaxSpotPrice = 1000.0;

/// The regular expressions the template's parameters carry (AllowedPattern), matching the
/// rules above so a parameter overridden at CreateStack is held to the same syntax.
inline constexpr const char* kCidrPattern =
    "^(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3}/(3[0-2]|[12]?[0-9])$";
inline constexpr const char* kInstanceTypePattern = "^[a-z][a-z0-9-]*\\.[a-z0-9-]+$";
inline constexpr const char* kEfsIdPattern = "^fs-([0-9a-f]{8}|[0-9a-f]{17})$";
inline constexpr const char* kMountPointPattern = "^(/[A-Za-z0-9_.-]+)+$";
inline constexpr const char* kFsxIdPattern = "^fs-[0-9a-f]{17}$";

}  // namespace awsdl::internal::spec_rules
