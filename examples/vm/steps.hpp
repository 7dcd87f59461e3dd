#pragma once
// The workflow's steps, each usable alone (its subcommand) and by `all`.

#include "vm_cli.hpp"

namespace awsdl_vm {

StepOutcome launch_step(Context& ctx);
StepOutcome status_step(Context& ctx);
StepOutcome install_deps_step(Context& ctx);
StepOutcome run_step(Context& ctx);
StepOutcome terminate_step(Context& ctx);

}  // namespace awsdl_vm
