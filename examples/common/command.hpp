#pragma once
// The subcommands of an example program: each cmd_*.cpp registers one with a static
// RegisterCommand; main() hands argv to dispatch().

#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace awsdl_cli {

struct Command {
  std::string name;
  std::string summary;
  /// Arguments after the subcommand name; returns the exit code (0 ok, 1 failed, 2 usage).
  std::function<int(const std::vector<std::string>& args)> run;
};

/// The program's registered commands, in registration order.
std::vector<Command>& commands();

struct RegisterCommand {
  explicit RegisterCommand(Command c) { commands().push_back(std::move(c)); }
};

/// Runs the command argv[1] names with the rest of argv. No command: `usage` on stderr, exit 2;
/// -h/--help/help: `usage` on stdout, exit 0; an unknown one: an error, `usage`, exit 2.
int dispatch(int argc, char** argv, void (*usage)(std::FILE* out));

}  // namespace awsdl_cli
