#pragma once
// Option structs shared by every client.

#include <chrono>

#include "awsdl/core/runtime.hpp"

namespace awsdl {

/// Standard retry mode, as the AWS SDKs define it.
struct AWSDL_EXPORT RetryOptions {
  int max_attempts = 3;                                  // first try included
  Millis base_delay{std::chrono::milliseconds(1000)};    // full jitter: uniform(0, min(cap, base*2^n))
  Millis max_backoff{std::chrono::seconds(20)};
  int quota_capacity = 500;                              // retry tokens per client
  int retry_cost = 5;
  int timeout_retry_cost = 10;
  int success_refund = 1;
};

/// Separate, named timeouts.
struct AWSDL_EXPORT TimeoutOptions {
  Millis connect{std::chrono::seconds(10)};
  Millis attempt{std::chrono::seconds(120)};  // one HTTP exchange, 0 = none
  Millis stall{std::chrono::seconds(30)};     // no bytes moved for this long
  /// The whole call: every attempt and every backoff between them. No attempt and no
  /// backoff starts once it has passed (the last attempt gets only what is left), and the
  /// call fails with kTimeout "DeadlineExceeded" or with its last error, noting the
  /// deadline. 10 minutes, above 3 attempts of `attempt` and their backoff, so that only a
  /// raised max_attempts or a slow service reaches it; 0 = none (CallOptions::deadline
  /// still applies).
  Millis call{std::chrono::minutes(10)};
};

/// Per-call settings any operation accepts.
struct AWSDL_EXPORT CallOptions {
  Deadline deadline;          // in addition to TimeoutOptions::call
  CancellationToken cancel;
};

}  // namespace awsdl
