#pragma once
// The polling loop behind every waiter: the caller's poll applies the acceptors of
// botocore's waiters-2.json and says success / failure / retry; this loop owns the delays
// (growing, capped), the attempt limit, the deadline, cancellation and progress reports.

#include <functional>
#include <string>

#include "awsdl/core/options.hpp"
#include "awsdl/core/result.hpp"
#include "awsdl/core/runtime.hpp"
#include "awsdl/core/wait.hpp"

namespace awsdl::internal {

enum class WaitVerdict { kSuccess, kFailure, kRetry };

struct PollOutcome {
  WaitVerdict verdict = WaitVerdict::kRetry;
  std::string state;  // what was seen, for progress and error messages
};

struct WaiterSpec {
  std::string name;      // "InstanceRunning"
  Millis delay{15000};   // waiters-2.json delay
  int max_attempts = 40;  // waiters-2.json maxAttempts
};

/// Polls until success. An error from `poll` ends the wait with that error (acceptors
/// that turn an error code into retry/success belong in `poll`). Failure: kService
/// "WaiterFailure"; attempts or deadline exhausted: kTimeout "WaiterTimeout"; cancelled:
/// kCancelled.
Status run_waiter(const WaiterSpec& spec, const WaitOptions& options, const Runtime& runtime,
                  const std::function<Result<PollOutcome>(const CallOptions&)>& poll);

}  // namespace awsdl::internal
