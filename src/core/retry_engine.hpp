#pragma once
// The loop behind awsdl::retry, with the hooks the protocol's standard retry mode needs on
// top of a plain policy: a decision per failure (retry now, retry after at least some time,
// or stop with a note), a retry quota, and getting the request ready again. Every retry loop
// in the library is this one.

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "awsdl/core/log.hpp"
#include "awsdl/core/retry.hpp"

namespace awsdl::internal {

struct RetryDecision {
  enum class Kind {
    kStop,      // return the error, with `note`
    kRetry,     // wait the next backoff (at least `floor`), taking `cost` quota tokens
    kRetryNow,  // another attempt at once: no wait, no tokens (a clock-skew correction)
  };
  Kind kind = Kind::kStop;
  std::string note;
  Millis floor{0};
  int cost = 0;

  static RetryDecision stop(std::string note = {}) { return {Kind::kStop, std::move(note), Millis(0), 0}; }
  static RetryDecision again(int cost = 0, Millis floor = Millis(0)) { return {Kind::kRetry, {}, floor, cost}; }
  static RetryDecision now() { return {Kind::kRetryNow, {}, Millis(0), 0}; }
};

struct RetrySpec {
  /// max_attempts, backoff, deadline, cancel, what. `retryable` is used only without `decide`.
  RetryPolicy policy;
  /// After failed attempt `attempt` (not a cancellation); may change the error (its
  /// `retryable`). Without it: policy.retryable (or Error::retryable), then max_attempts.
  std::function<RetryDecision(Error& error, int attempt)> decide;
  /// Tokens for retries (null: none); a success returns what its retry took, or
  /// `success_refund` when it was a first attempt.
  std::shared_ptr<RetryQuota> quota;
  int success_refund = 0;
  /// Gets attempt n > 1 ready; a value: not retried, and that note goes on the last error.
  std::function<std::optional<std::string>()> prepare;
  Logger logger;  // one debug line per retry
};

/// "1 attempt", "3 attempts".
std::string attempts_phrase(int n);

/// The one retry loop (see awsdl::retry for the contract).
Status run_retry_spec(const Runtime& runtime, const RetrySpec& spec, const std::function<Status(int attempt)>& attempt);

/// `runtime` with whatever it lacks taken from Runtime::system().
Runtime complete_runtime(Runtime runtime);

}  // namespace awsdl::internal
