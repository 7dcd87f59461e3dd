#pragma once
// Node health over SSH: reachable (through the master when the fan-out has a jump host),
// shared file system mounted and writable, GPU count, free disk, stray training processes.
// A struct for programs, a table for people.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "awsdl/core/result.hpp"
#include "awsdl/ssh/fanout.hpp"

namespace awsdl::cluster {

struct AWSDL_EXPORT HealthOptions {
  std::string shared_path;               // e.g. the EFS mount point; empty: not checked
  bool require_mount_point = true;       // shared_path must be a mount point, not just a directory
  std::string disk_path = "/";           // where free space is measured
  std::uint64_t min_free_bytes = 1ull << 30;
  int expected_gpus = -1;                // -1: any count is fine
  /// Extended regular expression matched against each process's command line.
  std::string stray_pattern = "python|horovodrun|mpirun|orted";
  std::string nvidia_smi = "nvidia-smi"; // absent means 0 GPUs
  std::optional<Millis> timeout;         // per node; default the session's command timeout
};

struct AWSDL_EXPORT StrayProcess {
  int pid = 0;
  int pgid = 0;
  std::string command;
};

struct AWSDL_EXPORT NodeHealth {
  std::string host;
  bool reachable = false;
  std::optional<Error> error;          // why not reachable, or why the probe failed
  bool shared_checked = false;
  bool shared_mounted = false;
  bool shared_writable = false;
  std::string shared_fs_type;          // "nfs4", "tmpfs"...
  int gpus = 0;
  std::uint64_t free_bytes = 0;
  std::vector<StrayProcess> strays;
  std::vector<std::string> problems;   // empty when healthy

  bool healthy() const { return problems.empty(); }
};

struct AWSDL_EXPORT HealthReport {
  std::vector<NodeHealth> nodes;       // in the fan-out's host order

  bool healthy() const;
  std::size_t unhealthy() const;
  /// Aligned columns: HOST SSH SHARED GPUS FREE STRAYS STATUS, then one line per problem.
  std::string table() const;
};

/// Probes every node of the fan-out concurrently. Never fails as a whole.
AWSDL_EXPORT HealthReport check_health(ssh::FanOut& fan, const HealthOptions& options = {});

/// The shell probe run on each node, and the parser of its output: exposed for tests and
/// for callers that run the probe their own way.
AWSDL_EXPORT std::string health_probe_script(const HealthOptions& options);
AWSDL_EXPORT NodeHealth parse_health_probe(const std::string& host, const std::string& output,
                                           const HealthOptions& options);

}  // namespace awsdl::cluster
