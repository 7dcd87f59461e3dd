// awsdl-vm: the single-VM workflow (DESIGN.md workflow 4) as a command line: launch tagged
// instances from an INI file, install dependencies over SSH, run the computation, terminate.
#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "cli.hpp"
#include "command.hpp"
#include "vm_context.hpp"

namespace {

// The first Ctrl-C asks the running step to stop (so `all` can still terminate what it
// launched); SA_RESETHAND makes a second one end the program at once.
void on_interrupt(int) { awsdl_vm::interrupt_source().cancel(); }

void install_interrupt_handler() {
  awsdl_vm::interrupt_source();  // made before any signal can arrive
  struct sigaction sa {};
  sa.sa_handler = on_interrupt;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESETHAND;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

void usage(std::FILE* out) {
  // The order of the workflow, not the alphabet.
  const std::vector<std::string> order = {"launch", "status", "install-deps", "run", "terminate", "all"};
  auto cmds = awsdl_cli::commands();
  std::sort(cmds.begin(), cmds.end(), [&](const auto& a, const auto& b) {
    return std::find(order.begin(), order.end(), a.name) < std::find(order.begin(), order.end(), b.name);
  });
  std::fprintf(out,
               "awsdl-vm - run a computation on EC2 instances described by an INI file\n\n"
               "Usage: awsdl-vm COMMAND --config FILE [FLAGS...]\n\nCommands:\n");
  for (const auto& c : cmds) std::fprintf(out, "  %-13s %s\n", c.name.c_str(), c.summary.c_str());
  std::fprintf(out,
               "\nExamples:\n"
               "  awsdl-vm all --config vm.ini\n"
               "  awsdl-vm launch --config vm.ini --count 4 && awsdl-vm install-deps --config vm.ini\n"
               "  awsdl-vm status --config vm.ini --output json\n"
               "\nRun 'awsdl-vm COMMAND --help' for a command's flags and examples.\n");
}

}  // namespace

int main(int argc, char** argv) {
  install_interrupt_handler();
  return awsdl_cli::dispatch(argc, argv, usage);
}
