#pragma once
// What every awsdl-vm subcommand shares: its flags (one per key of vm.ini), the deployment
// loaded from them (awsdl::vm), progress and host output lines, the words for the library's
// next steps, and JSON.

#include <optional>
#include <string>
#include <vector>

#include <awsdl/config.hpp>
#include <awsdl/vm/deployment.hpp>
#include <awsdl/vm/spec.hpp>

#include "cli.hpp"

namespace awsdl_vm {

struct CommandInfo {
  std::string name;
  std::string summary;
  awsdl::vm::VmNeeds needs;
  bool yes_flag = false;     // --yes
  bool detach_flag = false;  // --detach
  bool grace_flag = false;   // --grace
  std::vector<std::string> examples;
  std::string notes;  // printed after the flags in --help
};

struct Context {
  std::string prog;  // "awsdl-vm launch"
  bool json = false;
  std::optional<awsdl::vm::Deployment> deployment;
  awsdl::vm::StepOptions options;  // progress and output printed, the interrupt handler's token
  bool yes = false;
  bool in_all = false;  // a step of `all`, which terminates by itself: no "terminate" hints

  const awsdl::vm::VmSpec& spec() const { return deployment->spec(); }
  const std::string& region() const { return deployment->config().region; }
};

/// Parses the flags and loads the deployment. Returns -1 when the command should go on, else
/// the exit code (0 after --help, 2 for a usage or configuration error). Makes no AWS call.
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

/// The command line that runs `subcommand` on the same deployment, for "next:" hints.
std::string command_line(const Context& ctx, const std::string& subcommand);

/// Prints the error (with its next steps in this program's words) and returns 1.
int fail(const Context& ctx, const std::string& context, const awsdl::Error& error);

/// "\"...\"" with JSON escaping (bytes that are not UTF-8 become U+FFFD).
std::string jstr(const std::string& s);
std::string instance_json(const Context& ctx, const awsdl::ec2::Instance& instance);

/// The words for awsdl::vm's next steps (ProgramInfo::step_words).
std::string step_words(const awsdl::NextStep& step);

}  // namespace awsdl_vm
