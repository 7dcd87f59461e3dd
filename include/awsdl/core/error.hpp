#pragma once
// Errors are values: every public call returns Result<T>, and Error says what went wrong
// in terms a caller can act on.

#include <string>
#include <string_view>
#include <vector>

#include "awsdl/export.hpp"

namespace awsdl {

/// Broad classes of failure, so callers can branch without parsing codes.
enum class ErrorKind {
  kService,          // the service answered with an error (code holds the AWS error code)
  kNetwork,          // could not connect, connection reset, TLS failure
  kTimeout,          // connect, attempt, stall or overall deadline exceeded
  kCancelled,        // the caller cancelled
  kInvalidArgument,  // rejected before any call was made
  kCredentials,      // no credentials, malformed credentials, expired credentials
  kParse,            // a malformed answer from a server or a malformed local file
  kIo,               // local file system
  kNotFound,         // a local thing (profile, file, resource) was not found
  kInternal,         // a bug in libawsdl
};

AWSDL_EXPORT const char* to_string(ErrorKind kind);

/// Something the caller can do about an error, as a fact rather than a sentence: an operation
/// to call (`action`, "module.operation" such as "cluster.remove"; each module's header lists
/// the ones it suggests) and what it applies to (`detail`: a cluster's name, instance ids).
/// The message says the same in words a library user can read; a program renders the step
/// in its own (a command line, a flag, a button).
struct AWSDL_EXPORT NextStep {
  std::string action;
  std::string detail;

  bool operator==(const NextStep&) const = default;
};

struct AWSDL_EXPORT Error {
  ErrorKind kind = ErrorKind::kInternal;
  std::string code;        // AWS error code ("ThrottlingException") or a local one ("InvalidRegion")
  std::string message;     // what happened, never containing a secret
  int http_status = 0;     // 0 when no HTTP answer was received
  std::string request_id;  // x-amzn-RequestId / x-amz-request-id when the service sent one
  bool retryable = false;  // whether trying again later may succeed
  /// What to do about it, most useful first; usually empty (copying an empty list costs nothing).
  std::vector<NextStep> next_steps;

  /// One line for people: "ThrottlingException (HTTP 400): Rate exceeded [request id ...]".
  /// The next steps are not in it: the message already says them in words.
  std::string to_string() const;

  /// Adds a next step (after those already there; an identical one is not added twice).
  Error& with_next_step(std::string action, std::string detail = {}) &;
  Error&& with_next_step(std::string action, std::string detail = {}) &&;
  /// The first next step with `action`, or nullptr.
  const NextStep* next_step(std::string_view action) const;

  static Error invalid_argument(std::string code, std::string message);
  static Error make(ErrorKind kind, std::string code, std::string message, bool retryable = false);
};

}  // namespace awsdl
