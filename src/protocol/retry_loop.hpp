#pragma once
// Standard retry mode as the AWS SDKs define it: which errors are worth another attempt,
// full-jitter exponential backoff, the retry quota, x-amz-retry-after, clock-skew
// correction, idempotency, deadlines and cancellation. Transport-agnostic: the caller
// supplies one attempt as a function. The loop itself is the core toolkit's
// (core/retry_engine.hpp); this file holds the decisions.

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>
#include <string_view>

#include "awsdl/core/log.hpp"
#include "awsdl/core/options.hpp"
#include "awsdl/core/result.hpp"
#include "awsdl/core/retry.hpp"
#include "awsdl/core/runtime.hpp"
#include "awsdl/http/message.hpp"

namespace awsdl::internal {

bool is_throttling_code(std::string_view code);
bool is_transient_code(std::string_view code);
/// 500, 502, 503, 504.
bool is_transient_status(int status);
/// Codes a service answers with when the request's timestamp is too far from its clock.
bool is_clock_skew_code(std::string_view code);

enum class RetryKind { kNone, kTransient, kThrottling, kTimeout };

/// Throttling and transient service codes, 5xx gateways, retryable network errors (all but
/// those the transport marks permanent, such as a failed certificate check) and attempt
/// timeouts are retried; anything else is the caller's to fix. An error already marked
/// retryable by whoever made it (a truncated body, say) counts as transient.
RetryKind classify_error(const Error& error);

/// Whether a failure leaves it unknown if the service acted on the request: it may have been
/// sent (a connection reset, a timeout waiting for the answer, an answer cut off or garbled).
/// Failures before anything was sent (no connection, no name, TLS, a proxy refusing) and
/// answers from the service (it says what happened) are not.
bool outcome_unknown(const Error& error);

/// Full jitter: uniform(0, 1) * min(max_backoff, base * 2^retry), retry counted from 0.
Millis backoff_delay(int retry, const RetryOptions& options, Random& random);

/// How far the server's clock is from ours, learned from Date headers; shared by copies
/// of a client so every call signs with the corrected time.
class ClockSkew {
 public:
  Millis offset() const { return Millis(offset_ms_.load(std::memory_order_relaxed)); }
  void set(Millis offset) { offset_ms_.store(offset.count(), std::memory_order_relaxed); }
  WallTime now(Clock& clock) const { return clock.wall_now() + offset(); }

 private:
  std::atomic<long long> offset_ms_{0};
};

/// Skew beyond which a skew-coded error is treated as our clock being wrong.
inline constexpr Millis kClockSkewThreshold{std::chrono::minutes(4)};

struct AttemptInfo {
  int number = 1;           // 1-based
  WallTime signing_time;    // the (skew-corrected) time to sign with
  Millis timeout{0};        // for this attempt: min(attempt timeout, time left); 0 = none
};

struct AttemptResult {
  std::optional<Error> error;             // empty: success
  std::optional<http::Response> response; // whatever HTTP answer came back (success or error)

  static AttemptResult success(http::Response r) { return {std::nullopt, std::move(r)}; }
  static AttemptResult failure(Error e, std::optional<http::Response> r = std::nullopt) {
    return {std::move(e), std::move(r)};
  }
};

struct RetryContext {
  RetryOptions options;
  Runtime runtime;
  std::shared_ptr<RetryQuota> quota;  // null: no quota
  std::shared_ptr<ClockSkew> skew;    // null: no correction
  Deadline deadline;                  // already includes TimeoutOptions::call
  Millis attempt_timeout{0};          // TimeoutOptions::attempt
  CancellationToken cancel;
  Logger logger;
  std::string what;                   // "STS GetCallerIdentity", for messages
  /// Whether sending the request twice does no more than sending it once. A failure that
  /// leaves the outcome unknown (outcome_unknown) is retried only when it is.
  bool idempotent = true;
  /// Service error codes this operation retries as transient besides the usual ones (S3's
  /// BadDigest for a part: a body corrupted in flight, sent again from the same bytes).
  std::vector<std::string> retry_codes;
};

using AttemptFn = std::function<AttemptResult(const AttemptInfo&)>;
/// Gets the request ready to be sent again (rewinds a streamed body); false: it cannot be.
using PrepareRetryFn = std::function<bool()>;

/// Runs attempts until one succeeds, an error is not retryable, attempts or quota run out,
/// the deadline passes or the call is cancelled. The final error says how many attempts
/// were made.
Result<http::Response> run_with_retries(const RetryContext& context, const AttemptFn& attempt,
                                        const PrepareRetryFn& prepare_retry = {});

}  // namespace awsdl::internal
