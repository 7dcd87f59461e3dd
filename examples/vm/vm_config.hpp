#pragma once
// What an awsdl-vm deployment is: the [vm], [ssh], [setup] and [run] sections of vm.ini,
// every key of which a flag can override. Loading validates everything, so a bad file or
// flag stops the program (exit 2) before any AWS call.

#include <string>
#include <vector>

#include <awsdl/core/result.hpp>

namespace awsdl_vm {

struct VmConfig {
  // [vm]
  std::string name;    // the deployment: every instance is tagged awsdl:vm=<name>
  std::string region;  // empty: the standard chain's region
  int count = 1;
  std::string instance_type;
  std::string ami_id;                        // either this,
  std::string ami_name;                      // or the newest image whose name matches (wildcards allowed)
  std::string ami_owner = "amazon";          // whose images ami_name may match
  std::string subnet;                        // empty: the default VPC's default subnet
  std::vector<std::string> security_groups;  // empty: the VPC's default group
  std::string key_name;
  // [ssh]
  std::string user = "ubuntu";
  std::string key_path;             // empty: the SSH agent and ~/.ssh/id_*
  std::string known_hosts;          // default: ~/.awsdl/vm/<name>.known_hosts
  bool default_known_hosts = true;  // known_hosts is the per-deployment default
  std::string address = "auto";     // auto (public when there is one), public, private
  int connect_timeout = 10;         // seconds, per connection attempt
  int boot_timeout = 300;           // seconds new instances may take to accept SSH
  // [setup]
  std::vector<std::string> setup_commands;
  int setup_timeout = 3600;  // seconds, per command and host
  // [run]
  std::string run_command;
  std::string workdir;           // empty: the login directory
  std::string log_dir = "/tmp";  // remote directory of the run's log and exit status
  int run_timeout = 86400;       // seconds run waits for the command

  std::string source;  // the config file, for messages ("" when flags only)
};

/// One INI key and the flag that overrides it.
struct KeyDef {
  std::string section;
  std::string key;   // "command<N>" stands for command1, command2, ... in [setup]
  std::string flag;  // without dashes
  std::string value_name;
  std::string help;
  bool repeatable = false;
};

/// Every key; region's flag is the global --region.
const std::vector<KeyDef>& vm_keys();

/// A flag's value(s) for one key.
struct KeyOverride {
  const KeyDef* key;
  std::vector<std::string> values;
};

/// What the command about to run needs besides the deployment name.
struct Needs {
  bool launch = false;  // instance type, image, key name
  bool setup = false;   // setup commands
  bool run = false;     // the run command
  bool ssh = false;     // a readable key file, when one is named
};

/// Reads `path` (none when empty), applies the overrides (a flag wins over the file) and
/// checks every value and what `needs` requires. Errors are kInvalidArgument "BadConfig"
/// naming "file:line" or the flag.
awsdl::Result<VmConfig> load_vm_config(const std::string& path, const std::vector<KeyOverride>& overrides,
                                       const Needs& needs);

/// "~/x" with $HOME.
std::string expand_home(const std::string& path);

}  // namespace awsdl_vm
