// awsdl-vm: the single-VM workflow (DESIGN.md workflow 4, awsdl::vm) as a command line: launch
// tagged instances from an INI file, install dependencies over SSH, run the computation, terminate.
#include "program.hpp"
#include "vm_cli.hpp"

int main(int argc, char** argv) {
  return awsdl_cli::run_program(argc, argv,
                                {.name = "awsdl-vm",
                                 .summary = "run a computation on EC2 instances described by an INI file",
                                 .usage = "COMMAND --config FILE [FLAGS...]",
                                 // The order of the workflow, not the alphabet.
                                 .order = {"launch", "status", "install-deps", "run", "terminate", "all"},
                                 .more = "Examples:\n"
                                         "  awsdl-vm all --config vm.ini\n"
                                         "  awsdl-vm launch --config vm.ini --count 4 && awsdl-vm install-deps --config vm.ini\n"
                                         "  awsdl-vm status --config vm.ini --output json\n",
                                 .step_words = awsdl_vm::step_words});
}
