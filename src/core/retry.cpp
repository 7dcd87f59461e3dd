// The retry and poll loops every other loop in the library (and the example programs) goes
// through; see awsdl/core/retry.hpp and core/retry_engine.hpp.
#include "awsdl/core/retry.hpp"

#include <algorithm>
#include <cmath>

#include "core/retry_engine.hpp"

namespace awsdl {

namespace {

Millis non_negative(Millis d) { return d.count() < 0 ? Millis(0) : d; }

// A bound on every loop that has no limit of its own but a deadline (or none).
constexpr int kMaxPolls = 1000000;

}  // namespace

Backoff Backoff::standard(const RetryOptions& options) {
  return Backoff{options.base_delay, 2.0, options.max_backoff, true};
}

Backoff Backoff::polling(Millis first, std::optional<Millis> cap, double growth) {
  first = non_negative(first);
  return Backoff{first, growth, std::max(first, cap.value_or(first * 4)), false};
}

DelaySequence::DelaySequence(const Backoff& backoff)
    : backoff_(backoff), ceiling_(std::min(non_negative(backoff.first), non_negative(backoff.cap))) {}

Millis DelaySequence::next(Random& random) {
  const Millis current = ceiling_;
  Millis wait = current;
  if (backoff_.full_jitter) {
    double r = std::clamp(random.uniform(), 0.0, 1.0);
    wait = Millis(static_cast<Millis::rep>(std::floor(r * static_cast<double>(current.count()))));
  }
  const double cap = static_cast<double>(non_negative(backoff_.cap).count());
  const double grown = std::floor(static_cast<double>(current.count()) * std::max(1.0, backoff_.growth));
  ceiling_ = Millis(static_cast<Millis::rep>(std::min(cap, grown)));
  return wait;
}

RetryQuota::RetryQuota(int capacity) : sized_(true), capacity_(std::max(0, capacity)), available_(capacity_) {}

void RetryQuota::size_once(int capacity) {
  std::lock_guard lock(mu_);
  if (sized_) return;
  sized_ = true;
  capacity_ = available_ = std::max(0, capacity);
}

bool RetryQuota::acquire(int cost) {
  std::lock_guard lock(mu_);
  if (cost > available_) return false;
  available_ -= std::max(0, cost);
  return true;
}

void RetryQuota::release(int amount) {
  std::lock_guard lock(mu_);
  available_ = std::min(capacity_, available_ + std::max(0, amount));
}

int RetryQuota::available() const {
  std::lock_guard lock(mu_);
  return available_;
}

int RetryQuota::capacity() const {
  std::lock_guard lock(mu_);
  return capacity_;
}

Status retry(const Runtime& runtime, const RetryPolicy& policy, const std::function<Status(int attempt)>& attempt) {
  internal::RetrySpec spec;
  spec.policy = policy;
  return internal::run_retry_spec(runtime, spec, attempt);
}

Status poll_until(const Runtime& rt, const PollOptions& options,
                  const std::function<Result<PollState>(int poll)>& poll) {
  const Runtime runtime = internal::complete_runtime(rt);
  Clock& clock = *runtime.clock;
  const int limit = options.max_polls > 0 ? options.max_polls : kMaxPolls;
  const int reported_max = options.max_polls > 0 ? options.max_polls : 0;
  DelaySequence delays(options.delay);
  std::string last_state;

  auto cancelled = [&]() -> Error {
    if (options.cancelled_error) return options.cancelled_error();
    return Error::make(ErrorKind::kCancelled, "Cancelled", options.what + ": cancelled");
  };
  auto timed_out = [&](const std::string& why) -> Error {
    if (options.timeout_error) return options.timeout_error(last_state);
    return Error::make(ErrorKind::kTimeout, "WaiterTimeout", options.what + ": " + why + "; last state: " + last_state);
  };

  for (int n = 1; n <= limit; ++n) {
    if (options.cancel.cancelled()) return cancelled();
    auto outcome = poll(n);
    if (!outcome) return std::move(outcome).error();
    last_state = outcome->state;
    const bool last = n == limit;
    Millis next(0);
    if (outcome->verdict == PollVerdict::kPending && !last) {
      next = delays.next(*runtime.random);
      if (options.deadline.at) next = std::min(next, options.deadline.remaining(clock, Millis(0)));
    }
    if (options.on_progress) options.on_progress({n, reported_max, last_state, next});
    if (outcome->verdict == PollVerdict::kDone) return {};
    if (outcome->verdict == PollVerdict::kFailed)
      return Error::make(ErrorKind::kService, "WaiterFailure",
                         options.what + ": reached a state it cannot leave: " + last_state);
    if (last) break;
    const std::string passed = "deadline passed after " + internal::attempts_phrase(n);
    if (options.deadline.expired(clock)) return timed_out(passed);
    if (!runtime.sleeper->sleep_for(next, options.cancel)) return cancelled();
    if (options.deadline.expired(clock)) return timed_out(passed);
  }
  return timed_out("gave up after " + internal::attempts_phrase(limit));
}

namespace internal {

std::string attempts_phrase(int n) { return std::to_string(n) + (n == 1 ? " attempt" : " attempts"); }

Runtime complete_runtime(Runtime runtime) {
  if (runtime.clock && runtime.sleeper && runtime.random) return runtime;
  Runtime sys = Runtime::system();
  if (!runtime.clock) runtime.clock = sys.clock;
  if (!runtime.sleeper) runtime.sleeper = sys.sleeper;
  if (!runtime.random) runtime.random = sys.random;
  return runtime;
}

namespace {

Error with_note(Error e, const std::string& note) {
  if (note.empty()) return e;
  e.message += e.message.empty() ? note : " (" + note + ")";
  return e;
}

}  // namespace

Status run_retry_spec(const Runtime& rt, const RetrySpec& spec, const std::function<Status(int attempt)>& attempt) {
  const Runtime runtime = complete_runtime(rt);
  Clock& clock = *runtime.clock;
  const RetryPolicy& policy = spec.policy;
  const int max_attempts = std::max(1, policy.max_attempts);
  DelaySequence delays(policy.backoff);
  int acquired = 0;  // tokens taken for the retry in flight; refunded when it succeeds
  std::optional<Error> last;

  auto deadline_passed = [&](int made) {
    Error e = Error::make(ErrorKind::kTimeout, "DeadlineExceeded", policy.what + ": the deadline passed", true);
    if (last) e.message += " after " + attempts_phrase(made) + " (last error: " + last->to_string() + ")";
    return e;
  };

  auto decide = [&](Error& err, int n) -> RetryDecision {
    if (spec.decide) return spec.decide(err, n);
    bool again = policy.retryable ? policy.retryable(err) : err.retryable;
    if (!again) return RetryDecision::stop(n > 1 ? "after " + attempts_phrase(n) : "");
    return RetryDecision::again();
  };

  for (int n = 1; n <= max_attempts; ++n) {
    if (policy.cancel.cancelled()) {
      Error e = Error::make(ErrorKind::kCancelled, "Cancelled", policy.what + " was cancelled");
      if (last) e.message += " after " + attempts_phrase(n - 1) + " (last error: " + last->to_string() + ")";
      return e;
    }
    if (policy.deadline.expired(clock)) return deadline_passed(n - 1);
    if (n > 1 && spec.prepare) {
      if (auto note = spec.prepare()) return with_note(std::move(*last), *note);
      // Checked again: getting ready may itself have used the time left. No attempt starts
      // at or past the deadline.
      if (policy.deadline.expired(clock)) return deadline_passed(n - 1);
    }

    Status r = attempt(n);
    if (r) {
      if (spec.quota) spec.quota->release(acquired > 0 ? acquired : spec.success_refund);
      return r;
    }
    Error err = std::move(r).error();
    if (err.kind == ErrorKind::kCancelled) return err;

    RetryDecision d = decide(err, n);
    if (d.kind == RetryDecision::Kind::kStop) return with_note(std::move(err), d.note);
    if (n >= max_attempts) return with_note(std::move(err), "gave up after " + attempts_phrase(n));
    if (d.kind == RetryDecision::Kind::kRetryNow) {
      (void)delays.next(*runtime.random);  // the next wait grows all the same
      last = std::move(err);
      continue;
    }

    if (spec.quota && !spec.quota->acquire(d.cost))
      return with_note(std::move(err),
                       "not retried: the client's retry quota is exhausted; " + attempts_phrase(n) + " made");
    acquired = spec.quota ? d.cost : 0;

    Millis delay = std::max(delays.next(*runtime.random), d.floor);
    if (policy.deadline.at && delay >= policy.deadline.remaining(clock, Millis(0))) {
      if (spec.quota) spec.quota->release(acquired);
      return with_note(std::move(err), "not retried: the deadline leaves no time for another attempt; " +
                                           attempts_phrase(n) + " made");
    }
    spec.logger.log(LogLevel::kDebug, policy.what + " attempt " + std::to_string(n) + " failed (" + err.code +
                                          "); retrying in " + std::to_string(delay.count()) + " ms");
    if (!runtime.sleeper->sleep_for(delay, policy.cancel)) {
      if (spec.quota) spec.quota->release(acquired);
      return Error::make(ErrorKind::kCancelled, "Cancelled",
                         policy.what + " was cancelled while waiting to retry after " + attempts_phrase(n) +
                             " (last error: " + err.to_string() + ")");
    }
    last = std::move(err);
  }
  // Not reached: the last attempt returns above.
  return last ? with_note(std::move(*last), "gave up after " + attempts_phrase(max_attempts))
              : Error::make(ErrorKind::kInternal, "RetryLoop", policy.what + ": no attempt was made");
}

}  // namespace internal

}  // namespace awsdl
