// Preloaded (LD_PRELOAD) into the example programs the tests run, so that their errors reach
// the suite's error log as well (tests/support/error_log_env.hpp, tests/demo/demo_test.sh).
// The shipped programs and libawsdl honour no such variable: only this test-built library
// reads AWSDL_ERROR_LOG, and installs the observer libawsdl calls. In a process without
// libawsdl (a shell, python, sshd the demo starts) it finds no such function and does nothing.
// Never instrumented: it is preloaded into uninstrumented programs.

#include <dlfcn.h>

#include "core/error_observer.hpp"
#include "support/error_log_writer.hpp"

namespace {

int log_fd = -1;

void append_to_log(const awsdl::Error& error) noexcept { awsdl::testsupport::write_error_line(log_fd, error); }

using Exchange = awsdl::internal::ErrorObserver (*)(awsdl::internal::ErrorObserver) noexcept;

// Runs once the dynamic loader has mapped and relocated every library of the program, so
// libawsdl's function is found even though its own initializers may not have run yet (the
// observer it swaps is constant-initialized).
__attribute__((constructor)) void install_error_log_hook() {
  if (!std::getenv(awsdl::testsupport::kErrorLogVariable)) return;
  auto exchange = reinterpret_cast<Exchange>(::dlsym(RTLD_DEFAULT, awsdl::internal::kErrorObserverSymbol));
  if (exchange == nullptr) return;
  log_fd = awsdl::testsupport::open_error_log_from_environment();
  if (log_fd >= 0) exchange(&append_to_log);
}

}  // namespace
