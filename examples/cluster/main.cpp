// awsdl-cluster: the EC2 cluster workflow (DESIGN.md workflows 1 and 2) as a command line.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "cli.hpp"
#include "cluster_words.hpp"
#include "command.hpp"

namespace {
void usage(std::FILE* out) {
  auto cmds = awsdl_cli::commands();
  std::sort(cmds.begin(), cmds.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  std::fprintf(out, "awsdl-cluster - GPU clusters on AWS for distributed training\n\n"
                    "Usage: awsdl-cluster COMMAND [FLAGS...]\n\nCommands:\n");
  for (const auto& c : cmds) std::fprintf(out, "  %-12s %s\n", c.name.c_str(), c.summary.c_str());
  std::fprintf(out, "\nRun 'awsdl-cluster COMMAND --help' for a command's flags and examples.\n");
}
}  // namespace

int main(int argc, char** argv) {
  awsdl_cli::set_step_words(awsdl_cluster::step_words);  // report() says the next steps as this program's commands
  return awsdl_cli::dispatch(argc, argv, usage);
}
