#pragma once
// The suite's error log (tests/support/scan_error_log.py reads it): one line per error that
// passed through an awsdl::Result, "code \t http status \t message \t request id", newlines
// in the message flattened. Shared by the hook the test executables install
// (error_log_hook.cpp) and the one preloaded into the example programs the tests run
// (error_log_preload.cpp). Test support only: nothing here is in libawsdl.

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "awsdl/core/error.hpp"

namespace awsdl::testsupport {

/// The variable ctest sets (tests/CMakeLists.txt) to the log's path.
inline constexpr const char* kErrorLogVariable = "AWSDL_ERROR_LOG";
/// The variable ctest sets to the preloadable hook for programs (error_log_preload.cpp).
inline constexpr const char* kErrorLogPreloadVariable = "AWSDL_ERROR_LOG_PRELOAD";

/// The log named by AWSDL_ERROR_LOG, opened for appending; -1 when unset or unopenable.
inline int open_error_log_from_environment() {
  const char* path = std::getenv(kErrorLogVariable);
  return path && *path ? ::open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600) : -1;
}

inline void write_error_line(int fd, const Error& error) noexcept {
  if (fd < 0) return;
  try {
    // One write per line so concurrent test processes do not interleave.
    std::string line = error.code + "\t" + std::to_string(error.http_status) + "\t" + error.message + "\t" +
                       error.request_id;
    for (auto& c : line)
      if (c == '\n' || c == '\r') c = ' ';
    line += '\n';
    if (::write(fd, line.data(), line.size()) < 0) return;
  } catch (...) {
  }
}

}  // namespace awsdl::testsupport
