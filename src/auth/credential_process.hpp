#pragma once
// `credential_process`: run a command and read credentials from its JSON output.

#include <string>
#include <string_view>

#include "awsdl/auth/credentials.hpp"
#include "awsdl/core/result.hpp"
#include "awsdl/core/runtime.hpp"

namespace awsdl::internal {

struct ProcessOutput {
  int exit_code = 0;     // or 128 + signal number when a signal ended it
  std::string out;
  std::string err;
};

/// Runs `/bin/sh -c command` with stdout and stderr captured. At most `timeout` (then the
/// whole process group is killed) and `max_output` bytes per stream.
Result<ProcessOutput> run_shell_command(const std::string& command, Millis timeout, std::size_t max_output);

/// The credential_process JSON, Version 1. Errors never quote the output (it holds secrets).
Result<auth::Credentials> parse_credential_process_output(std::string_view json, const std::string& what);

/// Runs the command and checks its credentials are not expired at `now`.
/// `what` names the source in errors and in Credentials::source ("profile:dev").
Result<auth::Credentials> credentials_from_process(const std::string& command, const std::string& what,
                                                   WallTime now, Millis timeout = std::chrono::seconds(60));

}  // namespace awsdl::internal
