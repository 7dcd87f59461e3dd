#pragma once
// Hostfiles for Open MPI, MPICH and Horovod, and the files the reference cluster leaves on
// its nodes: the workers file, /etc/hosts lines and the environment file.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "awsdl/core/result.hpp"

namespace awsdl::mpi {

struct AWSDL_EXPORT Host {
  std::string name;  // name or address, as mpirun on the launching node will resolve it
  int slots = 1;     // processes to place there (GPUs, usually)
  bool operator==(const Host&) const = default;
};

enum class Format {
  kOpenMpi,  // "host slots=N" per line (also what horovodrun --hostfile reads)
  kMpich,    // "host:N" per line
  kHorovod,  // "h1:N,h2:N", the value of horovodrun -H
  kPlain,    // one name per line
};

AWSDL_EXPORT const char* to_string(Format format);
/// "openmpi", "mpich", "horovod", "plain".
AWSDL_EXPORT Result<Format> parse_format(std::string_view text);

/// The hostfile text (ends with a newline, except the one-line kHorovod value). An IPv6
/// address is bracketed where a ":N" follows it. kInvalidArgument for a host that is not a
/// DNS name or an IP address (ssh::check_host: nothing that a hostfile, mpirun or the ssh it
/// starts could read as more than one host or as an option) or slots outside 1 to 1000000.
AWSDL_EXPORT Result<std::string> hostfile(const std::vector<Host>& hosts, Format format);
/// Sum of the slots: the -np of a run that fills every slot.
AWSDL_EXPORT int total_slots(const std::vector<Host>& hosts);

/// A node by address and instance type: what a cluster knows of each of its nodes.
struct AWSDL_EXPORT TypedNode {
  std::string address;
  std::string instance_type;
};

/// One Host per node, in order, each with its own slots: `slots_per_node` for every node
/// when it is above 0, else the GPU count of the node's instance type in `gpus_by_type`
/// (DescribeInstanceTypes' answer: type -> GPUs), 1 for a type without GPUs. With several
/// instance types in a cluster, each node's slots follow its own type. kInvalidArgument for
/// a node whose type the table lacks (its GPU count is not known), or what hostfile() refuses.
AWSDL_EXPORT Result<std::vector<Host>> hosts_by_type(const std::vector<TypedNode>& nodes,
                                                     const std::map<std::string, int>& gpus_by_type,
                                                     int slots_per_node = 0);

/// Hosts from "h1,h2" / hostfile text in any of the formats above, each given
/// `default_slots` unless the entry names its own ("h slots=4", "h:4", "[v6]:4"; a bare
/// IPv6 address takes no ":N"). kInvalidArgument on a bad slot count, a host that is not a
/// DNS name or an IP address (ssh::check_host), or when no host is named.
AWSDL_EXPORT Result<std::vector<Host>> parse_hosts(std::string_view text, int default_slots = 1);

/// A node of the reference cluster, by name and private address.
struct AWSDL_EXPORT NamedNode {
  std::string name;     // "deeplearning-worker1"
  std::string address;  // "10.0.1.17"
  int slots = 1;
};

/// The workers file at DEEPLEARNING_WORKERS_PATH: "name slots=N" per worker, so that it
/// doubles as the Open MPI hostfile, as on the reference cluster. Refuses what hostfile()
/// refuses.
AWSDL_EXPORT Result<std::string> workers_file(const std::vector<NamedNode>& workers);
/// "address<TAB>name" lines to append to /etc/hosts. kInvalidArgument unless every address
/// is an IP address and every name a host name.
AWSDL_EXPORT Result<std::string> etc_hosts(const std::vector<NamedNode>& nodes);

struct AWSDL_EXPORT ClusterEnv {
  std::string workers_path;   // DEEPLEARNING_WORKERS_PATH
  int workers_count = 0;      // DEEPLEARNING_WORKERS_COUNT
  int worker_gpu_count = 0;   // DEEPLEARNING_WORKER_GPU_COUNT
  std::string efs_mount;      // EFS_MOUNT
  bool efa = false;           // also the EFA variables (efa_environment in launch.hpp)
};

/// "export NAME=value" lines for a profile script, values shell-quoted; with `efa`, the EFA
/// variables follow.
AWSDL_EXPORT std::string env_file(const ClusterEnv& env);

}  // namespace awsdl::mpi
