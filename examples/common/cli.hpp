#pragma once
// A small flag parser shared by the example programs: --name value, --name=value, boolean
// switches, repeatable flags, positionals, and "--" before a remote command.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <awsdl/config.hpp>
#include <awsdl/core/result.hpp>

#include "next_steps.hpp"

namespace awsdl_cli {

/// Exit codes with a meaning: 0 ok, 1 the operation failed, 2 usage or configuration error.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;

struct FlagSpec {
  std::string name;         // without dashes: "region"
  std::string value_name;   // "REGION"; empty for a boolean switch
  std::string help;
  bool repeatable = false;
};

class Args {
 public:
  bool has(const std::string& name) const { return values_.count(name) > 0; }
  std::optional<std::string> get(const std::string& name) const;
  std::string get_or(const std::string& name, std::string fallback) const;
  std::vector<std::string> all(const std::string& name) const;
  const std::vector<std::string>& positionals() const { return positionals_; }
  /// Everything after "--".
  const std::vector<std::string>& rest() const { return rest_; }
  bool help() const { return help_; }

 private:
  friend class Parser;
  std::map<std::string, std::vector<std::string>> values_;
  std::vector<std::string> positionals_;
  std::vector<std::string> rest_;
  bool help_ = false;
};

class Parser {
 public:
  Parser(std::string program, std::string summary) : program_(std::move(program)), summary_(std::move(summary)) {}
  Parser& flag(FlagSpec spec);
  /// --region, --profile, --endpoint-url, --output text|json (with the command's default).
  Parser& aws_flags(const std::string& default_output = "text");
  Parser& usage(std::string line) { usages_.push_back(std::move(line)); return *this; }
  Parser& example(std::string line) { examples_.push_back(std::move(line)); return *this; }
  /// A paragraph (lines ending in '\n') printed after the examples, after a blank line.
  Parser& note(std::string paragraph) { notes_.push_back(std::move(paragraph)); return *this; }

  /// Unknown flags and missing values are kInvalidArgument errors naming the flag.
  awsdl::Result<Args> parse(const std::vector<std::string>& argv) const;
  std::string help_text() const;

  // What help_text() prints, for the man pages and shell completions (docs.hpp).
  const std::string& program() const { return program_; }
  const std::string& summary() const { return summary_; }
  const std::vector<FlagSpec>& flags() const { return flags_; }
  const std::vector<std::string>& usages() const { return usages_; }
  const std::vector<std::string>& examples() const { return examples_; }
  const std::vector<std::string>& notes() const { return notes_; }

 private:
  std::string program_, summary_;
  std::vector<FlagSpec> flags_;
  std::vector<std::string> usages_, examples_, notes_;
};

/// The opening every example command shares: parses argv (--help prints the help and ends the
/// command with 0) and reads --output. `exit` is set when the command ends here (after the
/// usage error is reported).
struct Opening {
  Args args;
  bool json = false;
  std::optional<int> exit;
};
Opening open_command(const Parser& p, const std::vector<std::string>& argv);

/// The parser a command hands to open_command: the one its --help prints. `run` is called with
/// {"--help"} while open_command records its parser and ends the command (exit 0) before it
/// parses or prints anything. nullopt when the command never reached open_command.
std::optional<Parser> parser_of(const std::function<int(const std::vector<std::string>&)>& run);

/// Config from the standard chain, with --region/--profile/--endpoint-url applied.
awsdl::Result<awsdl::Config> config_from(const Args& args);

/// Whether --output asks for json ("text" or "json", `fallback` when absent); anything else
/// is a usage error.
awsdl::Result<bool> json_output(const Args& args, const std::string& fallback = "text");

/// --NAME as a whole number from lo to hi, `fallback` when absent; otherwise the usage error
/// "--NAME: must be a whole number from LO to HI, not 'V'".
awsdl::Result<long long> whole_flag(const Args& args, const std::string& name, long long fallback, long long lo,
                                    long long hi);

/// --NAME as seconds (a decimal number) from lo to hi, `fallback` when absent; otherwise the
/// usage error "--NAME: must be a number of seconds from LO to HI, not 'V'".
awsdl::Result<awsdl::Millis> seconds_flag(const Args& args, const std::string& name, awsdl::Millis fallback, double lo,
                                          double hi);

/// Prints "error: ...", the error's next steps in the program's words ("next: ...", see
/// set_step_words) and a hint of what to do next, and returns the exit code to use (2 for
/// invalid arguments, 1 otherwise).
int report(const awsdl::Error& error, const std::string& context = {});

/// The program's words for the library's next steps (next_steps.hpp); run_program sets them.
void set_step_words(StepWords words);

/// Minimal JSON string escaping for --output json.
std::string json_escape(const std::string& s);

}  // namespace awsdl_cli
