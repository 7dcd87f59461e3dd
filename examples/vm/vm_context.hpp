#pragma once
// What every awsdl-vm subcommand shares: its flags, the loaded deployment, the AWS config,
// finding the deployment's instances by tag, reaching them over SSH, progress lines.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <awsdl/config.hpp>
#include <awsdl/core/runtime.hpp>
#include <awsdl/core/wait.hpp>
#include <awsdl/ec2/ec2.hpp>
#include <awsdl/ssh/fanout.hpp>

#include "cli.hpp"
#include "vm_config.hpp"

namespace awsdl_vm {

/// The tag that makes an instance part of a deployment, and the one recording what `run`
/// started on it ("<pgid> <job id>"), so that `terminate` can stop exactly that first, from
/// any machine, without local state.
inline constexpr const char* kDeploymentTag = "awsdl:vm";
inline constexpr const char* kJobTag = "awsdl:vm-job";

struct CommandInfo {
  std::string name;
  std::string summary;
  Needs needs;
  bool yes_flag = false;     // --yes
  bool detach_flag = false;  // --detach
  bool grace_flag = false;   // --grace
  std::vector<std::string> examples;
  std::string notes;  // printed after the flags in --help
};

struct Context {
  std::string prog;  // "awsdl-vm launch"
  VmConfig vm;
  bool json = false;
  awsdl::Config aws;
  std::shared_ptr<awsdl::ec2::Ec2Client> ec2;
  awsdl::Millis poll{2000};            // first delay between polls
  awsdl::Millis wait_timeout{900000};  // instance state waits
  awsdl::Millis grace{10000};          // stopping a run: SIGTERM, then SIGKILL after this
  bool yes = false;
  bool detach = false;
  bool in_all = false;  // a step of `all`, which terminates by itself: no "terminate" hints
};

/// Parses the flags and loads the configuration. Returns -1 when the command should go on,
/// else the exit code (0 after --help, 2 for a usage or configuration error). Makes no AWS call.
int prepare(const CommandInfo& info, const std::vector<std::string>& argv, Context& ctx);

/// What one step produced: its exit code and, for --output json, its JSON value.
struct StepOutcome {
  int code = awsdl_cli::kExitOk;
  std::string json = "null";
  bool created = false;  // launch: whether any instance was made
};

/// Prints the JSON (when asked) and returns the exit code.
int finish(const Context& ctx, const StepOutcome& outcome);

/// "awsdl-vm: ..." on stderr, flushed: progress for people, never part of the output.
void progress(const std::string& line);

/// Cancelled by the first SIGINT or SIGTERM: the programs' handler (awsdl_cli::install_interrupt_handler,
/// installed by prepare() for every command); a second signal ends the program at once.
awsdl::CancellationToken interrupt_token();

/// Instances carrying the deployment's tag (terminated ones only when asked), ordered by
/// instance id so that every command numbers them alike.
awsdl::Result<std::vector<awsdl::ec2::Instance>> tagged_instances(const Context& ctx, bool include_terminated);

/// The address to SSH to, as [ssh] address says ("" when it has none).
std::string ssh_address(const Context& ctx, const awsdl::ec2::Instance& instance);

/// The run recorded on an instance (tag awsdl:vm-job), as a job on `address`.
std::optional<awsdl::ssh::RemoteJob> recorded_job(const awsdl::ec2::Instance& instance, const std::string& address);

/// "i-0abc (203.0.113.7)" for messages.
std::string describe_host(const awsdl::ec2::Instance& instance, const std::string& address);

awsdl::ssh::FanOutOptions fanout_options(const Context& ctx);

/// Connects to every host of `fan`, retrying refused and timed-out connections until the
/// boot timeout: new instances take a while to start sshd. Other failures (authentication,
/// a changed host key) end it at once. The error names the hosts.
awsdl::Status wait_for_ssh(const Context& ctx, awsdl::ssh::FanOut& fan, const std::vector<std::string>& labels);

/// The deployment's running instances, connected over SSH.
struct Fleet {
  std::vector<awsdl::ec2::Instance> instances;  // running, ordered by instance id
  std::vector<std::string> addresses;           // what the fan-out calls each host
  std::vector<std::string> labels;              // "i-0abc (203.0.113.7)"
  std::unique_ptr<awsdl::ssh::FanOut> fan;
};

/// Finds the running instances (an error when there are none) and waits until SSH reaches
/// every one of them.
awsdl::Result<Fleet> reach_fleet(const Context& ctx);

/// Variables every remote command sees: AWSDL_VM_NAME, AWSDL_VM_INDEX, AWSDL_VM_COUNT,
/// AWSDL_VM_INSTANCE_ID, AWSDL_VM_HOSTS (private addresses, space-separated).
std::map<std::string, std::string> remote_env(const Context& ctx, const std::vector<awsdl::ec2::Instance>& all,
                                              std::size_t index);

/// Waiter settings from the flags, with progress lines.
awsdl::WaitOptions wait_options(const Context& ctx, const std::string& what, const awsdl::CancellationToken& cancel);

/// The command line that runs `subcommand` on the same deployment, for "next:" hints.
std::string command_line(const Context& ctx, const std::string& subcommand);

/// Prints the error (and a hint) and returns 1: an AWS or SSH failure, not a usage error.
int fail(const std::string& context, const awsdl::Error& error, const std::string& next_step = {});

/// "\"...\"" with JSON escaping.
std::string jstr(const std::string& s);
std::string instance_json(const Context& ctx, const awsdl::ec2::Instance& instance);

/// Splits output chunks into lines and prints each as "host: line" (serialized across
/// threads); keeps them too when asked.
class HostLines {
 public:
  HostLines(std::string host, bool echo, bool keep);
  void feed(awsdl::ssh::Stream stream, std::string_view chunk);
  /// Prints what is left of unfinished lines.
  void flush();
  const std::string& kept() const { return kept_; }
  /// A line of our own in the host's output ("$ command").
  void note(const std::string& line);

 private:
  void emit(awsdl::ssh::Stream stream, const std::string& line);
  std::string host_;
  bool echo_, keep_;
  std::string out_, err_, kept_;
};

}  // namespace awsdl_vm
