#pragma once
// awsdl-vm subcommands register themselves here; each lives in its own cmd_*.cpp.

#include <functional>
#include <string>
#include <vector>

namespace awsdl_vm {

struct Command {
  std::string name;
  std::string summary;
  /// Arguments after the subcommand name; returns the exit code (0 ok, 1 failed, 2 usage).
  std::function<int(const std::vector<std::string>& args)> run;
};

std::vector<Command>& commands();

struct RegisterCommand {
  explicit RegisterCommand(Command c) { commands().push_back(std::move(c)); }
};

}  // namespace awsdl_vm
