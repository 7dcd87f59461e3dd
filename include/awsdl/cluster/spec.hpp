#pragma once
// ClusterSpec: the EC2 cluster of DESIGN.md workflow 1, described as plain data, and its
// validation. Everything here is checked before any AWS call is made.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "awsdl/core/result.hpp"
#include "awsdl/export.hpp"

namespace awsdl::cluster {

/// The public SSM parameter of the Deep Learning Base OSS Nvidia Driver GPU AMI (Ubuntu 22.04,
/// x86_64). Resolving the image through it at stack creation keeps AMI ids from going stale.
inline constexpr std::string_view kDefaultDlamiParameter =
    "/aws/service/deeplearning/ami/x86_64/base-oss-nvidia-driver-gpu-ubuntu-22.04/latest/ami-id";

/// How to reach the nodes once they run (used by the lifecycle and the MPI launcher, not by
/// the template).
struct AWSDL_EXPORT SshSettings {
  std::string user = "ubuntu";
  std::string key_path;  // private key file; empty: the SSH agent / default identities
};

/// How training is launched on the nodes.
struct AWSDL_EXPORT TrainingSettings {
  int slots_per_node = 0;      // MPI slots per node; 0: one per GPU
  std::string mpirun_options;  // extra options appended to mpirun
};

/// Who pays for an instance how (issue 15). Workers may fall back from spot to on-demand.
enum class Market {
  kOnDemand,
  kSpot,
  kSpotThenOnDemand,  // workers only: spot first, on-demand when spot has no capacity
};

/// The Auto Scaling group's spot allocation strategy (MixedInstancesPolicy).
enum class SpotAllocation {
  kCapacityOptimizedPrioritized,  // the type list's order as priority, capacity first
  kPriceCapacityOptimized,
};

/// Elastic Fabric Adapter: kAuto = on when every type in the list supports it.
enum class EfaMode { kAuto, kYes, kNo };

/// The file system every node shares at `mount_point`.
enum class SharedStorage { kEfs, kFsxLustre, kNone };

/// Getting the GPUs: the type preference list, markets, candidate zones, reservations, EFA.
/// Defaults keep today's behaviour: one type (ClusterSpec::instance_type), on-demand.
struct AWSDL_EXPORT CapacitySettings {
  /// Ordered preference list; empty: ClusterSpec::instance_type alone. Every type must have
  /// the same architecture; GPU counts may differ (each node's slots follow its own).
  std::vector<std::string> instance_types;
  Market market = Market::kOnDemand;         // the workers
  Market master_market = Market::kOnDemand;  // kOnDemand or kSpot
  SpotAllocation allocation = SpotAllocation::kCapacityOptimizedPrioritized;
  std::optional<double> spot_max_price;      // USD per instance-hour; unset: the on-demand price
  /// Candidate zones in order. Empty: ClusterSpec::availability_zone when set, else every
  /// zone of the region that offers the first type ("auto" in an INI file).
  std::vector<std::string> availability_zones;
  std::string capacity_reservation;  // cr-... or a capacity-reservation-group ARN; pins the zone
  std::string capacity_block;        // cr-... of a Capacity Block for ML (market capacity-block)
  EfaMode efa = EfaMode::kAuto;
  int capacity_timeout_seconds = 600;  // give up falling back after this long (WorkerShortfall)
};

/// FSx for Lustre, when ClusterSpec::shared is SharedStorage::kFsxLustre.
struct AWSDL_EXPORT FsxSettings {
  std::string id;                          // existing file system to reuse; empty: create one
  int capacity_gib = 1200;                 // 1200, 2400, then multiples of 2400 (SCRATCH_2)
  std::string deployment = "SCRATCH_2";    // SCRATCH_2 | PERSISTENT_2
  std::string import_path;                 // s3://bucket/prefix as a data repository; empty: none
};

/// One cluster = one CloudFormation stack: a master (public subnet, SSH entry point) and
/// `workers` worker instances (private subnet), sharing an EFS file system.
/// Field order matters for designated initializers: name, instance_type, workers,
/// min_workers, ssh_cidr, key_name come first.
struct AWSDL_EXPORT ClusterSpec {
  std::string name;                          // stack name: [A-Za-z][A-Za-z0-9-]*, at most 128
  std::string instance_type = "p3.16xlarge";
  int workers = 1;                           // worker instances wanted (the master is extra)
  std::optional<int> min_workers;            // accept a launch shortfall down to this; unset: workers
  std::string ssh_cidr;                      // IPv4 CIDR allowed to SSH to the master
  std::string key_name;                      // EC2 key pair name
  std::string image_id;                      // AMI id; when empty, `ssm_parameter` resolves it
  std::string ssm_parameter = std::string(kDefaultDlamiParameter);
  std::string availability_zone;             // empty: the region's first zone
  std::string efs_id;                        // existing file system to reuse; empty: create one
  std::string mount_point = "/efs";
  int volume_size_gb = 100;                  // root volume of every node, GiB
  bool placement_group = true;               // cluster placement group for low latency
  std::string staging_bucket;                // S3 bucket the nodes may read and write; empty: none
  SshSettings ssh;
  TrainingSettings training;
  CapacitySettings capacity;
  SharedStorage shared = SharedStorage::kEfs;  // [storage] shared = efs | fsx-lustre | none
  FsxSettings fsx;

  /// capacity.instance_types when set, else {instance_type}.
  std::vector<std::string> instance_type_list() const {
    return capacity.instance_types.empty() ? std::vector<std::string>{instance_type} : capacity.instance_types;
  }
  /// min_workers when set, else workers.
  int effective_min_workers() const { return min_workers.value_or(workers); }
};

/// One thing wrong with a spec: the field (as named in ClusterSpec) and what is wrong.
struct AWSDL_EXPORT SpecProblem {
  std::string field;
  std::string message;
};

/// Every problem in `spec`, in field order; empty when the spec is valid.
AWSDL_EXPORT std::vector<SpecProblem> check(const ClusterSpec& spec);

/// kInvalidArgument ("InvalidClusterSpec") naming every bad field, or success.
AWSDL_EXPORT Status validate(const ClusterSpec& spec);

/// A value that replaces what a config file says: key "section.key" as in the INI file
/// ("cluster.workers"), and where it came from for error messages ("--workers").
struct AWSDL_EXPORT SpecOverride {
  std::string key;
  std::string value;
  std::string source;  // empty: "override"
};

/// The INI keys a cluster file may hold, as "section.key", in documentation order.
AWSDL_EXPORT const std::vector<std::string>& cluster_ini_keys();

/// The range of a whole-number setting ("cluster.workers": 1 to 10000), the same whether it
/// is set in an INI file, by an override (a program's flag) or in a ClusterSpec (check());
/// nullopt for a key that is not a whole number. ("training.slots_per_node" may also be
/// 'auto' in a file, 0 in a ClusterSpec.)
struct AWSDL_EXPORT SettingRange {
  int lo = 0;
  int hi = 0;
};
AWSDL_EXPORT std::optional<SettingRange> whole_setting_range(std::string_view ini_key);

/// Reads a cluster INI file (sections [cluster], [network], [storage], [ssh], [training]),
/// applies `overrides` on top, and validates the result. Unknown sections or keys and bad
/// values are errors naming the file and line (or the override's source): kParse for
/// malformed syntax, kInvalidArgument for bad values, kIo / kNotFound when unreadable.
AWSDL_EXPORT Result<ClusterSpec> load_cluster_spec(const std::string& path,
                                                   const std::vector<SpecOverride>& overrides = {});

/// The same from text already in memory; `source_name` names it in errors.
AWSDL_EXPORT Result<ClusterSpec> parse_cluster_spec(std::string_view text, std::string_view source_name,
                                                    const std::vector<SpecOverride>& overrides = {});

/// A spec from defaults and `overrides` only (no file); validated.
AWSDL_EXPORT Result<ClusterSpec> cluster_spec_from_overrides(const std::vector<SpecOverride>& overrides);

}  // namespace awsdl::cluster
