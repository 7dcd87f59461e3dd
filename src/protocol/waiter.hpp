#pragma once
// Every waiter: the caller's poll applies the acceptors of botocore's waiters-2.json and
// says done / failed / pending; the toolkit's poll_until owns the delays (growing, capped),
// the attempt limit, the deadline, cancellation and progress reports.

#include <functional>
#include <string>

#include "awsdl/core/options.hpp"
#include "awsdl/core/result.hpp"
#include "awsdl/core/retry.hpp"
#include "awsdl/core/runtime.hpp"
#include "awsdl/core/wait.hpp"

namespace awsdl::internal {

using awsdl::PollState;
using awsdl::PollVerdict;

struct WaiterSpec {
  std::string name;      // "InstanceRunning"
  Millis delay{15000};   // waiters-2.json delay
  int max_attempts = 40;  // waiters-2.json maxAttempts
};

/// The poll options of a waiter: the caller's WaitOptions over the waiter's documented
/// delay and attempts (the delay grows `backoff` times per poll, up to max_delay).
PollOptions waiter_poll_options(const WaiterSpec& spec, const WaitOptions& options);

/// Polls until success. An error from `poll` ends the wait with that error (acceptors
/// that turn an error code into retry/success belong in `poll`). Failure: kService
/// "WaiterFailure"; attempts or deadline exhausted: kTimeout "WaiterTimeout"; cancelled:
/// kCancelled.
Status run_waiter(const WaiterSpec& spec, const WaitOptions& options, const Runtime& runtime,
                  const std::function<Result<PollState>(const CallOptions&)>& poll);

}  // namespace awsdl::internal
