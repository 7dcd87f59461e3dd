#include "internal/waiter.hpp"

#include <algorithm>

namespace awsdl::internal {

Status run_waiter(const WaiterSpec& spec, const WaitOptions& options, const Runtime& runtime,
                  const std::function<Result<PollOutcome>(const CallOptions&)>& poll) {
  const int max_attempts = std::max(1, options.max_attempts.value_or(spec.max_attempts));
  Millis delay = std::max(Millis(1), options.delay.value_or(spec.delay));
  const Millis max_delay = std::max(delay, options.max_delay.value_or(delay * 4));
  const double growth = std::max(1.0, options.backoff);
  CallOptions call;
  call.deadline = options.deadline;
  call.cancel = options.cancel;
  std::string last_state;
  for (int attempt = 1; attempt <= max_attempts; ++attempt) {
    if (options.cancel.cancelled()) return Error::make(ErrorKind::kCancelled, "Cancelled", spec.name + ": cancelled");
    auto outcome = poll(call);
    if (!outcome) return std::move(outcome).error();
    last_state = outcome->state;
    const bool last = attempt == max_attempts;
    Millis next = Millis(0);
    if (outcome->verdict == WaitVerdict::kRetry && !last) {
      next = delay;
      if (options.deadline.at) {
        Millis left = options.deadline.remaining(*runtime.clock, Millis(0));
        if (left <= Millis(0)) next = Millis(0);
        else next = std::min(next, left);
      }
    }
    if (options.on_progress) options.on_progress({attempt, max_attempts, last_state, next});
    if (outcome->verdict == WaitVerdict::kSuccess) return {};
    if (outcome->verdict == WaitVerdict::kFailure)
      return Error::make(ErrorKind::kService, "WaiterFailure",
                         spec.name + ": reached a state it cannot leave: " + last_state);
    if (last) break;
    if (options.deadline.expired(*runtime.clock))
      return Error::make(ErrorKind::kTimeout, "WaiterTimeout",
                         spec.name + ": deadline passed after " + std::to_string(attempt) +
                             " attempts; last state: " + last_state);
    if (!runtime.sleeper->sleep_for(next, options.cancel))
      return Error::make(ErrorKind::kCancelled, "Cancelled", spec.name + ": cancelled");
    if (options.deadline.expired(*runtime.clock))
      return Error::make(ErrorKind::kTimeout, "WaiterTimeout",
                         spec.name + ": deadline passed after " + std::to_string(attempt) +
                             " attempts; last state: " + last_state);
    delay = std::min(max_delay, Millis(static_cast<Millis::rep>(static_cast<double>(delay.count()) * growth)));
  }
  return Error::make(ErrorKind::kTimeout, "WaiterTimeout",
                     spec.name + ": gave up after " + std::to_string(max_attempts) + " attempts; last state: " +
                         last_state);
}

}  // namespace awsdl::internal
