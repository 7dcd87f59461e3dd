#pragma once
// Ctrl-C (SIGINT) and SIGTERM for the example programs' long-running commands: the first one
// cancels a token the command hands to the library, which stops and cleans up (aborts a
// multipart upload, removes a half-extracted directory) and says so; the command then ends
// with end_interrupted(), so that the shell sees the signal (exit status 130 or 143) as it
// would without the handler. A second one during the cleanup ends the program at once, after
// printing what the command said would then be left behind (set_interrupt_notes).
//
// What cannot be caught (SIGKILL, a crash, a lost machine) is what --resume and the next
// run's cleanup are for.

#include <string>

#include <awsdl/core/runtime.hpp>

namespace awsdl_cli {

/// Installs the handler for SIGINT and SIGTERM (once; later calls return the same token).
awsdl::CancellationToken install_interrupt_handler();

/// `on_first`: printed on stderr when the first signal arrives (empty: nothing); `on_second`:
/// printed when a second one ends the program before the cleanup is done: what is left and
/// how to deal with it. Copied; safe to change while the command runs.
void set_interrupt_notes(const std::string& on_first, const std::string& on_second);

/// 0, or the signal that interrupted the command (SIGINT or SIGTERM).
int interrupt_signal();

/// Ends the program by the signal that interrupted it, as if it had not been caught: the
/// shell reports 128 + N (130 for SIGINT, 143 for SIGTERM). Only after an interrupt.
[[noreturn]] void end_interrupted();

}  // namespace awsdl_cli
