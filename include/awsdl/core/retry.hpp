#pragma once
// The one way to retry and to poll: a policy (how many attempts, a growing delay with or
// without full jitter), a deadline and cancellation, all on the injectable runtime (clock,
// sleeper, random), so that every loop runs instantly under a ManualClock in tests.
//
//   auto pushed = awsdl::retry(config.runtime, {.max_attempts = 5, .what = "pushing layer 2"},
//                              [&](int attempt) { return upload_layer(); });
//
//   awsdl::Status ready = awsdl::poll_until(config.runtime,
//       {.delay = awsdl::Backoff::polling(std::chrono::seconds(2)), .deadline = deadline, .what = "job 7"},
//       [&](int poll) -> awsdl::Result<awsdl::PollState> {
//         AWSDL_ASSIGN_OR_RETURN(auto job, describe());
//         return job.done() ? awsdl::PollState::done(job.status) : awsdl::PollState::pending(job.status);
//       });

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "awsdl/core/options.hpp"
#include "awsdl/core/result.hpp"
#include "awsdl/core/runtime.hpp"
#include "awsdl/core/wait.hpp"

namespace awsdl {

/// A growing delay: `first`, then each one `growth` times the one before (rounded down to
/// the millisecond), never above `cap`. With full jitter each wait is uniform(0, 1) times
/// that ceiling, as in the AWS SDKs' standard retry mode; without, the ceiling itself.
struct AWSDL_EXPORT Backoff {
  Millis first{1000};
  double growth = 2.0;
  Millis cap{20000};
  bool full_jitter = true;

  /// Standard retry mode: full jitter over base_delay * 2^n, capped at max_backoff.
  static Backoff standard(const RetryOptions& options);
  /// Polling: no jitter, `growth` per poll (1.5 by default), at most `cap` (default: four
  /// times the first delay).
  static Backoff polling(Millis first, std::optional<Millis> cap = std::nullopt, double growth = 1.5);
};

/// The waits of one loop, in order. One per loop (not shared between threads).
class AWSDL_EXPORT DelaySequence {
 public:
  explicit DelaySequence(const Backoff& backoff);
  /// The ceiling of the next wait, before jitter.
  Millis ceiling() const { return ceiling_; }
  /// The next wait; the ceiling then grows.
  Millis next(Random& random);

 private:
  Backoff backoff_;
  Millis ceiling_;
};

/// The standard retry mode's token bucket: retries spend tokens, successes refund them, so
/// that clients facing a broken service stop retrying instead of multiplying its load.
/// A Config holds one, shared by its copies and by every client made from any of them.
/// Sized by its first user (RetryOptions::quota_capacity) unless made with a capacity.
class AWSDL_EXPORT RetryQuota {
 public:
  RetryQuota() = default;
  explicit RetryQuota(int capacity);

  /// Fixes the capacity if nobody has yet; the first call wins.
  void size_once(int capacity);
  /// Takes `cost` tokens for a retry; false (and nothing taken) when there are not enough.
  bool acquire(int cost);
  /// Returns tokens, never above capacity.
  void release(int amount);
  int available() const;
  int capacity() const;

 private:
  mutable std::mutex mu_;
  bool sized_ = false;
  int capacity_ = 500;
  int available_ = 500;
};

/// How to retry an operation that may fail for a while.
struct AWSDL_EXPORT RetryPolicy {
  int max_attempts = 3;  // the first one included
  Backoff backoff;       // full jitter, 1 s doubling up to 20 s
  /// Whether a failure is worth another attempt; default: Error::retryable. Cancellation
  /// is never retried.
  std::function<bool(const Error&)> retryable;
  /// No attempt starts, and no wait begins that would end, past this.
  Deadline deadline;
  CancellationToken cancel;
  std::string what;  // "pushing layer 2", for messages
};

/// Calls `attempt(n)` (n from 1) until it succeeds, fails in a way `retryable` rejects,
/// max_attempts have been made, the deadline leaves no time for the next wait, or `cancel`
/// fires. The error is the last failure with a note saying how many attempts were made;
/// kCancelled "Cancelled" when cancelled; kTimeout "DeadlineExceeded" when the deadline
/// passed before an attempt could start.
AWSDL_EXPORT Status retry(const Runtime& runtime, const RetryPolicy& policy,
                          const std::function<Status(int attempt)>& attempt);

/// The same for an attempt that returns a value.
template <typename F, typename R = std::invoke_result_t<F&, int>>
  requires(!std::is_same_v<R, Status>)
R retry(const Runtime& runtime, const RetryPolicy& policy, F&& attempt) {
  std::optional<typename R::value_type> out;
  Status s = retry(runtime, policy, std::function<Status(int)>([&](int n) -> Status {
                     R r = attempt(n);
                     if (!r) return std::move(r).error();
                     out.emplace(std::move(*r));
                     return {};
                   }));
  if (!s) return std::move(s).error();
  return std::move(*out);
}

enum class PollVerdict { kPending, kDone, kFailed };

/// One look at what is being waited for.
struct AWSDL_EXPORT PollState {
  PollVerdict verdict = PollVerdict::kPending;
  std::string state;  // what was seen ("2/3 running"), for progress and errors

  static PollState pending(std::string state = {}) { return {PollVerdict::kPending, std::move(state)}; }
  static PollState done(std::string state = {}) { return {PollVerdict::kDone, std::move(state)}; }
  /// A state it cannot leave: the wait ends with kService "WaiterFailure".
  static PollState failed(std::string state = {}) { return {PollVerdict::kFailed, std::move(state)}; }
};

struct AWSDL_EXPORT PollOptions {
  /// The delay between polls: grows 1.5x per poll up to four times the first, no jitter.
  Backoff delay = Backoff::polling(std::chrono::seconds(5));
  /// 0: as many as the deadline allows (at most a million).
  int max_polls = 0;
  Deadline deadline;
  CancellationToken cancel;
  std::string what;  // "InstanceRunning", "following job 7", for messages
  /// After each poll (next_delay is 0 on the last report).
  std::function<void(const WaitProgress&)> on_progress;
  /// The errors to end with instead of the defaults: kTimeout "WaiterTimeout" naming the
  /// last state seen, kCancelled "Cancelled".
  std::function<Error(const std::string& last_state)> timeout_error;
  std::function<Error()> cancelled_error;
};

/// Polls until `poll` says kDone (ok) or kFailed (kService "WaiterFailure" naming the
/// state), waiting the growing delay between polls, each wait cut to the deadline. An error
/// from `poll` ends the wait with that error (a poll that tolerates some failures returns
/// pending for them). Out of polls or past the deadline: kTimeout "WaiterTimeout" with the
/// last state; cancelled: kCancelled "Cancelled".
AWSDL_EXPORT Status poll_until(const Runtime& runtime, const PollOptions& options,
                               const std::function<Result<PollState>(int poll)>& poll);

}  // namespace awsdl
