// awsdl-cluster: the EC2 cluster workflow (DESIGN.md workflows 1 and 2) as a command line.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "cli.hpp"
#include "command.hpp"

namespace awsdl_cluster {
std::vector<Command>& commands() {
  static std::vector<Command> c;
  return c;
}
}  // namespace awsdl_cluster

namespace {
void usage(std::FILE* out) {
  auto cmds = awsdl_cluster::commands();
  std::sort(cmds.begin(), cmds.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  std::fprintf(out, "awsdl-cluster - GPU clusters on AWS for distributed training\n\n"
                    "Usage: awsdl-cluster COMMAND [FLAGS...]\n\nCommands:\n");
  for (const auto& c : cmds) std::fprintf(out, "  %-12s %s\n", c.name.c_str(), c.summary.c_str());
  std::fprintf(out, "\nRun 'awsdl-cluster COMMAND --help' for a command's flags and examples.\n");
}
}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    usage(stderr);
    return awsdl_cli::kExitUsage;
  }
  if (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
    usage(stdout);
    return awsdl_cli::kExitOk;
  }
  for (const auto& c : awsdl_cluster::commands()) {
    if (c.name == args[0]) return c.run(std::vector<std::string>(args.begin() + 1, args.end()));
  }
  std::fprintf(stderr, "error: unknown command '%s'\n\n", args[0].c_str());
  usage(stderr);
  return awsdl_cli::kExitUsage;
}
