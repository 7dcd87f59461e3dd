#pragma once
// What a program says about itself besides running a command: --version, and its man page and
// bash and zsh completions, generated at build time (cmake/AwsdlProgramDocs.cmake runs the
// program with --man and --completion) from the command table and the parsers that --help
// prints, so that none of them is a hand-kept copy that drifts.

#include <optional>
#include <string>
#include <vector>

#include "cli.hpp"
#include "program.hpp"

namespace awsdl_cli {

/// One command as its --help describes it.
struct CommandDoc {
  std::string name;  // "" for a program without commands (Program::root)
  std::string summary;
  std::optional<Parser> parser;  // nullopt: the command never reached open_command
};

/// The program's commands in the usage's order, each with its parser (parser_of); or the one
/// root parser of a program without commands.
std::vector<CommandDoc> describe(const Program& program);

/// "PROGRAM VERSION", then libawsdl's version and commit and the libcurl, OpenSSL and libssh
/// versions the program runs with (awsdl::version()), one per line.
std::string version_text(const std::string& program_name);

/// Scripts for bash (`complete -F`) and zsh (`#compdef`): the commands, each command's flags,
/// the values of flags whose values are files, directories, fixed words or local names.
std::string bash_completion(const Program& program);
std::string zsh_completion(const Program& program);

/// The man page (section 1, roff): every command with its usage, flags, examples and notes.
std::string man_page(const Program& program);

/// argv[1] is --version, --completion bash|zsh or --man: prints that on stdout and returns the
/// exit code; nullopt for anything else.
std::optional<int> program_option(int argc, char** argv, const Program& program);

}  // namespace awsdl_cli
