// Linked into every test executable (tests/CMakeLists.txt): when ctest names the suite's error
// log (AWSDL_ERROR_LOG), every error a Result carries in this process is appended to it, for
// the secret scan (errorlog.scan_for_secrets). The library only calls an installed observer;
// installing one from the environment is the test build's business, never libawsdl's.

#include "core/error_observer.hpp"
#include "support/error_log_writer.hpp"

namespace {

int log_fd = -1;

void append_to_log(const awsdl::Error& error) noexcept { awsdl::testsupport::write_error_line(log_fd, error); }

// Before main: errors made by the tests' own static initializers are recorded too.
[[maybe_unused]] const bool installed = [] {
  log_fd = awsdl::testsupport::open_error_log_from_environment();
  if (log_fd >= 0) awsdl_exchange_error_observer(&append_to_log);
  return log_fd >= 0;
}();

}  // namespace
