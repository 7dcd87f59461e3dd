#pragma once
// VmSpec: the single-VM deployment of DESIGN.md workflow 4 (launch tagged instances, install
// dependencies over SSH, run a computation, terminate), as plain data, from an INI file or
// from code, and its validation. Everything here is checked before any AWS call.

#include <string>
#include <string_view>
#include <vector>

#include "awsdl/core/result.hpp"
#include "awsdl/export.hpp"

namespace awsdl::vm {

/// The tag that makes an instance part of a deployment (value: the deployment's name), and
/// the one recording what Deployment::run started on it ("<pgid> <job id>"), so that
/// terminate stops exactly that first, from any machine, without local state.
inline constexpr const char* kDeploymentTag = "awsdl:vm";
inline constexpr const char* kJobTag = "awsdl:vm-job";

/// Which address to SSH to.
enum class AddressChoice { kAuto, kPublic, kPrivate };  // auto: the public one when there is one

/// One deployment = the instances tagged kDeploymentTag=name. The INI file's sections and
/// keys are named in the comments ([vm] count).
struct AWSDL_EXPORT VmSpec {
  // [vm]
  std::string name;    // letters, digits, '.', '_', '-' (at most 63), starting with a letter or digit
  std::string region;  // empty: the Config's region
  int count = 1;       // 1 to 1000
  std::string instance_type;
  std::string ami_id;                        // either this,
  std::string ami_name;                      // or the newest image whose name matches (wildcards allowed)
  std::string ami_owner = "amazon";          // whose images ami_name may match: amazon, self, aws-marketplace, an account id
  std::string subnet;                        // empty: the default VPC's default subnet
  std::vector<std::string> security_groups;  // empty: the VPC's default group
  std::string key_name;
  // [ssh]
  std::string user = "ubuntu";
  std::string key_path;             // empty: the SSH agent and ~/.ssh/id_*
  std::string known_hosts;          // empty: ~/.awsdl/vm/<name>.known_hosts (default_known_hosts())
  AddressChoice address = AddressChoice::kAuto;
  int connect_timeout = 10;         // seconds, per connection attempt
  int boot_timeout = 300;           // seconds new instances may take to accept SSH
  // [setup]
  std::vector<std::string> setup_commands;
  int setup_timeout = 3600;  // seconds, per command and host
  // [run]
  std::string run_command;
  std::string workdir;           // empty: the login directory
  std::string log_dir = "/tmp";  // remote directory of the run's log and exit status
  int run_timeout = 86400;       // seconds Deployment::run follows the command

  /// The file the spec was read from ("" when built in code or from overrides only).
  std::string source;
};

/// What an operation needs of a spec besides its name (check() and load_vm_spec()).
struct AWSDL_EXPORT VmNeeds {
  bool launch = false;  // instance type, an image, a key pair
  bool setup = false;   // setup commands
  bool run = false;     // the run command
  bool ssh = false;     // a readable key file, when one is named
};

/// The needs of each operation of Deployment.
AWSDL_EXPORT VmNeeds needs_of_launch();
AWSDL_EXPORT VmNeeds needs_of_install();
AWSDL_EXPORT VmNeeds needs_of_run();
AWSDL_EXPORT VmNeeds needs_of_terminate();

/// One key of the INI file: "section.key" ("vm.count"). "setup.commands" stands for the
/// list of setup commands (command1, command2, ... or one "commands =" key with one command
/// per indented line); its override replaces the file's list.
struct AWSDL_EXPORT VmKey {
  std::string key;
  bool list = false;  // an override may give several values
};

/// Every key, in documentation order.
AWSDL_EXPORT const std::vector<VmKey>& vm_ini_keys();

/// A value that replaces what the file says (a program's flag): key as in vm_ini_keys(), the
/// value(s) (the last one wins, except for a list), and where it came from for messages
/// ("--count").
struct AWSDL_EXPORT VmOverride {
  std::string key;
  std::vector<std::string> values;
  std::string source;
};

struct AWSDL_EXPORT VmLoadOptions {
  std::vector<VmOverride> overrides;
  VmNeeds needs;
  /// How else a required key can be given ("--instance-type" for "vm.instance_type"), named
  /// in "is required" errors; may be empty.
  std::string (*alternative)(std::string_view key) = nullptr;
};

/// Reads `path` (none when empty: overrides only), applies the overrides (they win over the
/// file) and checks every value and what `options.needs` requires. Errors are
/// kInvalidArgument "BadConfig" whose message names "file:line: [section] key" or the
/// override's source, then what is wrong. Keys that look like credentials and values that
/// carry them are refused: credentials come only from the standard chain.
AWSDL_EXPORT Result<VmSpec> load_vm_spec(const std::string& path, const VmLoadOptions& options = {});

/// The same from text already in memory; `source_name` names it in errors.
AWSDL_EXPORT Result<VmSpec> parse_vm_spec(std::string_view text, std::string_view source_name,
                                          const VmLoadOptions& options = {});

/// One thing wrong with a spec built in code: the key ("vm.count") and what is wrong.
struct AWSDL_EXPORT VmProblem {
  std::string key;
  std::string message;
};

/// Every problem of `spec` for `needs`, in key order; empty when it is valid. The same rules
/// as the INI file's.
AWSDL_EXPORT std::vector<VmProblem> check(const VmSpec& spec, const VmNeeds& needs = {});

/// kInvalidArgument "BadConfig" naming the first problem, or success.
AWSDL_EXPORT Status validate(const VmSpec& spec, const VmNeeds& needs = {});

/// spec.known_hosts, or ~/.awsdl/vm/<name>.known_hosts when it is empty.
AWSDL_EXPORT std::string known_hosts_path(const VmSpec& spec);

}  // namespace awsdl::vm
