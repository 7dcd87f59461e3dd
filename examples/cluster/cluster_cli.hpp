#pragma once
// What the cluster subcommands (create, status, nodes, health, exec, hostfile, run, stop,
// resize, delete) share: which cluster they act on (an INI file and/or --name), the local
// state directory, SSH access to the nodes through the master, Ctrl-C, and progress output.

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include <awsdl/cluster/lifecycle.hpp>
#include <awsdl/cluster/monitor.hpp>
#include <awsdl/cluster/spec.hpp>
#include <awsdl/core/runtime.hpp>
#include <awsdl/ssh/fanout.hpp>
#include <awsdl/ssh/process.hpp>

#include "cli.hpp"

namespace awsdl_cluster {

/// "cluster.instance_type" -> "instance-type": the flag that overrides an INI key.
std::string flag_for(const std::string& ini_key);

/// --config, --name, one flag per INI key, --state-dir and the AWS flags.
void add_cluster_flags(awsdl_cli::Parser& p);
/// --dry-run and --yes, for commands that change something.
void add_change_flags(awsdl_cli::Parser& p, bool with_yes);

/// awsdl_cli::open_command for commands that take no positionals (they are usage errors).
awsdl_cli::Opening open_cluster_command(const awsdl_cli::Parser& p, const std::vector<std::string>& argv);

/// --poll-interval, for commands that wait on a stack (create, resize, delete).
void add_wait_flag(awsdl_cli::Parser& p);
/// The --poll-interval value (default 5 s); kInvalidArgument unless 0.1 to 300 seconds.
awsdl::Result<awsdl::Millis> poll_interval_from(const awsdl_cli::Args& args);

/// The cluster a command acts on.
struct Target {
  awsdl::cluster::ClusterSpec spec;  // complete when a config was given (or every key as flags)
  bool complete = false;             // spec passed validation as a whole
  std::string state_dir;             // local files: hostfile, workers, env, known_hosts, jobs
  std::string key_problem;           // KeyCheck::kWarn only: why the SSH key cannot be read, else empty
};

/// What an unreadable SSH key file ([ssh] key_path / --key-path) is.
enum class KeyCheck {
  kRequire,  // a usage error
  kWarn,     // noted in Target::key_problem (a dry run makes no SSH connection)
};

/// From --config (validated, flags override keys) or from --name and the key flags alone.
/// `need_complete`: create needs the whole spec; the other commands only the name and the
/// [ssh], [storage] and [training] settings. Errors are usage errors (exit 2).
awsdl::Result<Target> target_from(const awsdl_cli::Args& args, bool need_complete, KeyCheck key = KeyCheck::kRequire);

/// Creates the state directory (mode 0700) if needed.
awsdl::Status ensure_state_dir(const Target& target);

/// Writes the hostfile, workers file and env file for `info` into the state directory;
/// returns the paths written.
awsdl::Result<std::vector<std::string>> write_local_files(const Target& target,
                                                          const awsdl::cluster::ClusterInfo& info);

/// SSH targets for the nodes (master first) and options that reach them through the master.
struct NodeAccess {
  std::vector<std::string> hosts;  // "user@address"; the master's first
  awsdl::ssh::FanOutOptions options;
  std::string master;              // hosts[0]
};
awsdl::Result<NodeAccess> node_access(const Target& target, const awsdl::cluster::ClusterInfo& info);

/// MPI slots per node: [training] slots_per_node, else the node's GPUs, at least 1.
int slots_for(const Target& target, const awsdl::cluster::Node& node);

/// Where the hostfile `run` uses lives on the master (on the shared file system).
std::string remote_dir(const Target& target);

/// Splits shell-like words ('single', "double", backslash escapes); for [training]
/// mpirun_options. kInvalidArgument on an unterminated quote.
awsdl::Result<std::vector<std::string>> split_words(const std::string& text);

/// Jobs `run` started, recorded in the state directory so that `stop` stops exactly those.
awsdl::Status record_job(const Target& target, const awsdl::ssh::RemoteJob& job);
awsdl::Result<std::vector<awsdl::ssh::RemoteJob>> recorded_jobs(const Target& target);
awsdl::Status forget_jobs(const Target& target, const std::vector<std::string>& ids);

/// The autostop watcher (`autostop` started it on the master), recorded apart from the jobs so
/// that `autostop --cancel` stops exactly it and `stop` leaves it watching.
struct AutostopRecord {
  awsdl::ssh::RemoteJob job;
  std::string status_path;  // the watcher's status file on the master
};
awsdl::Status record_autostop(const Target& target, const AutostopRecord& record);
awsdl::Result<std::optional<AutostopRecord>> recorded_autostop(const Target& target);
awsdl::Status forget_autostop(const Target& target);

/// Ctrl-C or SIGTERM: the first one cancels the returned token (the command decides what to
/// do), the second one ends the program as usual (awsdl_cli::install_interrupt_handler).
awsdl::CancellationToken install_interrupt_handler();
bool interrupted();

/// Asks a yes/no question on the terminal; false when standard input is not a terminal.
bool confirm(const std::string& question);

/// Prints cluster events: plain lines, with a progress count on a terminal.
class EventPrinter {
 public:
  explicit EventPrinter(std::FILE* out, int total_resources = 0);
  void operator()(const awsdl::cluster::ClusterEvent& e);

 private:
  std::FILE* out_;
  bool tty_;
  int total_, done_ = 0;
};

/// Prints one planned AWS call for --dry-run: "service Operation Key=Value ...".
void print_planned_call(std::FILE* out, const std::string& service, const std::string& operation,
                        const std::vector<std::pair<std::string, std::string>>& params);

/// Prints the calls the library plans for --dry-run, each phase after its heading: the calls
/// made once first, then `polling` before the polled ones and `finish` before the last ones.
void print_plan(const std::vector<awsdl::cluster::PlannedCall>& calls, const std::string& polling,
                const std::string& finish);

/// What status --watch and dashboard share: --interval, --metric (repeatable),
/// --no-mount-check and --nvidia-smi.
void add_watch_flags(awsdl_cli::Parser& p);
struct WatchFlags {
  awsdl::Millis interval{5000};
  std::vector<awsdl::cluster::MetricDefinition> metrics;
  bool mount_check = true;
  std::string nvidia_smi = "nvidia-smi";
};
/// The flags' values, checked before any call: usage errors (exit 2) for a bad --metric or --interval.
awsdl::Result<WatchFlags> watch_flags_from(const awsdl_cli::Args& args);
/// The Monitor's options for the cluster `info` describes: its nodes through the master, the
/// jobs `run` recorded, the shared directory, the flags' metrics; cancelled by Ctrl-C.
awsdl::Result<awsdl::cluster::MonitorOptions> monitor_options(const Target& target,
                                                              const awsdl::cluster::ClusterInfo& info,
                                                              const WatchFlags& flags);

/// JSON for --output json.
std::string node_json(const awsdl::cluster::Node& n);
std::string cluster_json(const awsdl::cluster::ClusterInfo& info, bool with_nodes);

}  // namespace awsdl_cluster
