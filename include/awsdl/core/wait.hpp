#pragma once
// Options shared by every waiter (EC2 instance states, stack completion, ...): the service's
// documented delay and attempt count are the defaults; a deadline and cancellation always
// bound the wait, and the delay grows between polls instead of staying fixed forever.

#include <functional>
#include <optional>
#include <string>

#include "awsdl/core/runtime.hpp"

namespace awsdl {

/// What a waiter reports after each poll.
struct AWSDL_EXPORT WaitProgress {
  int attempt = 0;       // 1-based
  int max_attempts = 0;
  std::string state;     // a short summary of what was seen ("2/3 running")
  Millis next_delay{0};  // how long until the next poll (0 on the last report)
};

struct AWSDL_EXPORT WaitOptions {
  /// First delay between polls; default: the waiter's documented delay (waiters-2.json).
  std::optional<Millis> delay;
  /// Each delay is the previous one times this, capped at max_delay.
  double backoff = 1.5;
  /// Default: four times the first delay.
  std::optional<Millis> max_delay;
  /// Default: the waiter's documented maxAttempts.
  std::optional<int> max_attempts;
  Deadline deadline;
  CancellationToken cancel;
  std::function<void(const WaitProgress&)> on_progress;
};

}  // namespace awsdl
