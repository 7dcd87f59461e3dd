#pragma once
// Shared by the workflow's files: the deployment's state, finding and reaching its instances,
// progress events, and splitting remote output into lines.

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "awsdl/core/wait.hpp"
#include "awsdl/ssh/fanout.hpp"
#include "awsdl/vm/deployment.hpp"

namespace awsdl::internal::vm {

/// What a deployment is driven with; the client does no I/O when made.
struct State {
  State(Config c, awsdl::vm::VmSpec s);
  Config config;
  awsdl::vm::VmSpec spec;
  ec2::Ec2Client ec2;
};

using awsdl::vm::Host;
using awsdl::vm::StepOptions;

void emit(const StepOptions& o, const std::string& message,
          awsdl::vm::VmEventKind kind = awsdl::vm::VmEventKind::kProgress);

/// Instances carrying the deployment's tag (terminated ones only when asked), by instance id.
Result<std::vector<ec2::Instance>> tagged_instances(const State& d, bool include_terminated);

/// `e` with the next step `action` for the deployment.
Error suggest(Error e, const char* action, const std::string& name);

/// The deployment's running instances, connected over SSH.
struct Fleet {
  std::vector<Host> hosts;  // running, by instance id
  std::vector<std::string> addresses;
  std::unique_ptr<ssh::FanOut> fan;
};

/// Finds the running instances (none: kNotFound "NoRunningInstances") and waits until SSH
/// reaches every one of them (within the boot timeout: "SshNotReady").
Result<Fleet> reach_fleet(const State& d, const StepOptions& o);

ssh::FanOutOptions fanout_options(const awsdl::vm::VmSpec& spec);

/// Variables every remote command sees: AWSDL_VM_NAME, AWSDL_VM_INDEX, AWSDL_VM_COUNT,
/// AWSDL_VM_INSTANCE_ID, AWSDL_VM_HOSTS (private addresses, space-separated).
std::map<std::string, std::string> remote_env(const awsdl::vm::VmSpec& spec, const std::vector<Host>& all,
                                              std::size_t index);

/// Waiter settings from the options, with progress events ("waiting for running: pending (poll 2)").
WaitOptions wait_options(const State& d, const StepOptions& o, const std::string& what,
                         const CancellationToken& cancel);

/// "i-0abc (203.0.113.7)"
std::string describe_host(const ec2::Instance& instance, const std::string& address);

/// Splits one host's output chunks into lines for on_output, and keeps them when asked.
class HostLines {
 public:
  HostLines(const StepOptions& o, std::size_t host, std::string address);
  void feed(ssh::Stream stream, std::string_view chunk);
  void flush();  // what is left of unfinished lines
  void command(const std::string& cmd);
  const std::string& kept() const { return kept_; }

 private:
  void emit_line(ssh::Stream stream, const std::string& line);
  const StepOptions& o_;
  std::size_t host_;
  std::string address_;
  std::string out_, err_, kept_;
};

}  // namespace awsdl::internal::vm

namespace awsdl::vm {

/// The handle's state: shared by the copies of a Deployment.
struct Deployment::Impl {
  Impl(Config c, VmSpec s) : s(std::move(c), std::move(s)) {}
  internal::vm::State s;
};

}  // namespace awsdl::vm
