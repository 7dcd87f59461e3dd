#include "protocol/waiter.hpp"

#include <algorithm>

namespace awsdl::internal {

PollOptions waiter_poll_options(const WaiterSpec& spec, const WaitOptions& options) {
  const Millis first = std::max(Millis(1), options.delay.value_or(spec.delay));
  PollOptions p;
  p.delay = Backoff::polling(first, options.max_delay.value_or(first * 4), std::max(1.0, options.backoff));
  p.max_polls = std::max(1, options.max_attempts.value_or(spec.max_attempts));
  p.deadline = options.deadline;
  p.cancel = options.cancel;
  p.what = spec.name;
  p.on_progress = options.on_progress;
  return p;
}

Status run_waiter(const WaiterSpec& spec, const WaitOptions& options, const Runtime& runtime,
                  const std::function<Result<PollState>(const CallOptions&)>& poll) {
  CallOptions call;
  call.deadline = options.deadline;
  call.cancel = options.cancel;
  return poll_until(runtime, waiter_poll_options(spec, options), [&](int) { return poll(call); });
}

}  // namespace awsdl::internal
