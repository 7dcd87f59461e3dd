#include "program.hpp"

#include <algorithm>
#include <cstdio>

#include "cli.hpp"
#include "command.hpp"
#include "docs.hpp"

namespace awsdl_cli {

namespace {
const Program* g_program = nullptr;

void print_usage(std::FILE* out) {
  if (g_program) std::fputs(usage_text(*g_program).c_str(), out);
}
}  // namespace

std::vector<Command> sorted_commands(const Program& p) {
  auto cmds = commands();
  auto rank = [&](const Command& c) {
    return static_cast<std::size_t>(std::find(p.order.begin(), p.order.end(), c.name) - p.order.begin());
  };
  std::sort(cmds.begin(), cmds.end(), [&](const Command& a, const Command& b) {
    return rank(a) != rank(b) ? rank(a) < rank(b) : a.name < b.name;
  });
  return cmds;
}

std::string usage_text(const Program& p) {
  const auto cmds = sorted_commands(p);
  std::size_t width = 12;
  for (const auto& c : cmds) width = std::max(width, c.name.size() + 1);
  std::string s = p.name + " - " + p.summary + "\n\nUsage: " + p.name + " " + p.usage + "\n\nCommands:\n";
  for (const auto& c : cmds) {
    std::string name = c.name;
    name.resize(width, ' ');
    s += "  " + name + " " + c.summary + "\n";
  }
  if (!p.more.empty()) s += "\n" + p.more;
  s += "\nRun '" + p.name + " COMMAND --help' for a command's flags and examples, and '" + p.name +
       " --version'\nfor its version and the versions of the libraries it runs with.\n";
  return s;
}

int run_program(int argc, char** argv, const Program& program) {
  g_program = &program;
  set_step_words(program.step_words);
  if (auto done = program_option(argc, argv, program)) return *done;
  return dispatch(argc, argv, print_usage);
}

}  // namespace awsdl_cli
