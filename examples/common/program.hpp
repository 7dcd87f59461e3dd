#pragma once
// The skeleton every example program runs on: `main` hands argv to run_program with what the
// program is; each cmd_*.cpp registers one command (command.hpp), parses its flags with a
// Parser (cli.hpp), reports errors with report() in the program's words (next_steps.hpp),
// ends with the exit codes of cli.hpp, and takes Ctrl-C through interrupt.hpp.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "cli.hpp"
#include "command.hpp"
#include "next_steps.hpp"

namespace awsdl_cli {

struct Program {
  std::string name;     // "awsdl-cluster"
  std::string summary;  // one line, after the name in the usage
  std::string usage = "COMMAND [FLAGS...]";
  /// Commands listed in this order in the usage (the workflow's); any other after them by name.
  std::vector<std::string> order;
  /// A paragraph (lines ending in '\n') printed after the commands: examples, a typical run.
  std::string more;
  /// The program's words for the library's next steps (report() uses them).
  StepWords step_words = nullptr;
  /// A program without commands (awsdl-whoami): its one parser, for its man page and completions.
  std::function<Parser()> root;
  /// Where a flag's values are local names (awsdl-cluster's --name: its clusters): the
  /// subdirectories of `dir` ("~/.awsdl") that hold one of `markers`, for the completions.
  struct LocalNames {
    std::string flag;
    std::string dir;
    std::vector<std::string> markers;
  };
  std::optional<LocalNames> local_names;
};

/// The registered commands in the usage's order (Program::order, then by name).
std::vector<Command> sorted_commands(const Program& program);

/// The usage: "NAME - SUMMARY", "Usage: NAME USAGE", the commands, `more`, and where to find
/// a command's flags.
std::string usage_text(const Program& program);

/// Runs the command argv[1] names (see dispatch in command.hpp) and returns its exit code;
/// --version, --completion bash|zsh and --man first (docs.hpp: program_option).
int run_program(int argc, char** argv, const Program& program);

}  // namespace awsdl_cli
