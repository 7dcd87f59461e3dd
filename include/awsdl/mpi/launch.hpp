#pragma once
// Launch commands: mpirun (the reference Horovod over Open MPI line), horovodrun, and the
// TensorFlow parameter-server scripts. Each builder returns an argv; run it locally as is,
// or join it with ssh::shell_join to run it over SSH: every argument arrives unchanged.

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "awsdl/core/result.hpp"
#include "awsdl/mpi/hostfile.hpp"

namespace awsdl::mpi {

/// The variables a cluster with EFA (Elastic Fabric Adapter) gives every rank, after the AWS
/// EFA guide for NCCL: FI_PROVIDER=efa, FI_EFA_USE_DEVICE_RDMA=1 (GPUDirect RDMA on p4d/p5),
/// RDMAV_FORK_SAFE=1. Put them in MpirunOptions::env (and ClusterEnv::efa for the env file).
AWSDL_EXPORT std::vector<std::pair<std::string, std::string>> efa_environment();

struct AWSDL_EXPORT MpirunOptions {
  std::string mpirun = "mpirun";
  std::vector<Host> hosts;   // -np is the sum of their slots unless np is set
  int np = 0;
  std::string hostfile;      // --hostfile PATH (on the launching node); empty: -H from hosts
  /// The reference Horovod options: -bind-to none -map-by slot, -mca pml ob1 -mca btl ^openib.
  bool horovod = true;
  /// Interfaces MPI's TCP traffic (btl and oob) must not use ...
  std::vector<std::string> tcp_exclude = {"lo", "docker0"};
  /// ... or, when set, the only ones it may use (tcp_exclude is then ignored).
  std::vector<std::string> tcp_include;
  std::vector<std::string> export_vars;         // -x NAME: passed on from mpirun's environment
  std::map<std::string, std::string> env;       // -x NAME=VALUE
  std::string output_filename;                  // --output-filename DIR
  std::optional<bool> allow_run_as_root;        // unset: when this process runs as root
  std::string rsh_agent;                        // -mca plm_rsh_agent (e.g. "ssh")
  std::string rsh_args;                         // -mca plm_rsh_args ("-i key -p 2222")
  std::map<std::string, std::string> mca;       // any other -mca NAME VALUE
  std::vector<std::string> extra_args;          // before the program
};

/// mpirun argv ending with `program`. kInvalidArgument when there is no host and no np, a
/// host has fewer than 1 slot, an env name is not a valid variable name, or program is empty.
AWSDL_EXPORT Result<std::vector<std::string>> mpirun_command(const MpirunOptions& options,
                                                          const std::vector<std::string>& program);

struct AWSDL_EXPORT HorovodrunOptions {
  std::string horovodrun = "horovodrun";
  std::vector<Host> hosts;   // -H h1:N,h2:N unless hostfile is set
  int np = 0;                // 0: sum of slots
  std::string hostfile;      // --hostfile PATH ("host slots=N" lines)
  int ssh_port = 0;          // -p
  std::string ssh_identity_file;
  std::string network_interface;   // --network-interface (e.g. "eth0")
  std::string output_filename;
  std::vector<std::string> extra_args;
};

AWSDL_EXPORT Result<std::vector<std::string>> horovodrun_command(const HorovodrunOptions& options,
                                                              const std::vector<std::string>& program);

/// TensorFlow parameter-server training as the reference `generate_trainer` lays it out:
/// one parameter server per host and one worker per GPU (slot), every process told the
/// full --ps_hosts and --worker_hosts lists and its own --job_name / --task_index.
struct AWSDL_EXPORT TfPsOptions {
  int ps_port = 2222;
  int worker_base_port = 2230;   // worker g on a host listens on base + g
  std::string log_dir = "/tmp";  // ps<i>.log and worker<k>.log
  std::map<std::string, std::string> env;
};

struct AWSDL_EXPORT HostScript {
  std::string host;
  std::string script;  // /bin/sh; starts the host's processes, then waits for them all
};

AWSDL_EXPORT Result<std::vector<HostScript>> tf_ps_scripts(const std::vector<Host>& hosts,
                                                        const std::vector<std::string>& program,
                                                        const TfPsOptions& options = {});

}  // namespace awsdl::mpi
