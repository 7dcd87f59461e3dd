// The retry and poll toolkit (awsdl/core/retry.hpp) on a ManualClock and fixed random
// sources: policy, full jitter bounds, growth and cap, deadline, cancellation, polling until a
// condition, and polling that runs out with the last state in the error.
#include "awsdl/core/retry.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <vector>

#include "core/retry_engine.hpp"

namespace awsdl {
namespace {

using namespace std::chrono_literals;

// Returns the given values in turn (the last one repeated).
class SequenceRandom final : public Random {
 public:
  explicit SequenceRandom(std::vector<double> v) : values_(std::move(v)) {}
  double uniform() override { return values_[std::min(next_++, values_.size() - 1)]; }

 private:
  std::vector<double> values_;
  std::size_t next_ = 0;
};

// A sleeper that records every wait and moves the manual clock by it.
struct RecordingSleeper final : Sleeper {
  explicit RecordingSleeper(std::shared_ptr<ManualClock> c) : clock(std::move(c)) {}
  bool sleep_for(Millis d, const CancellationToken& cancel) override {
    waits.push_back(d);
    return clock->sleep_for(d, cancel);
  }
  std::shared_ptr<ManualClock> clock;
  std::vector<Millis> waits;
};

struct Rig {
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>();
  std::shared_ptr<RecordingSleeper> sleeper = std::make_shared<RecordingSleeper>(clock);
  Runtime runtime;
  explicit Rig(double random = 0.5) : runtime{clock, sleeper, std::make_shared<FixedRandom>(random)} {}
};

Error transient(const std::string& code = "Busy") { return Error::make(ErrorKind::kService, code, "try later", true); }

TEST(Backoff, GrowsByItsFactorUpToTheCap) {
  FixedRandom unused;
  DelaySequence polling(Backoff::polling(1001ms));  // 1.5x, at most 4x, rounded down each step
  std::vector<Millis> got;
  for (int i = 0; i < 7; ++i) got.push_back(polling.next(unused));
  EXPECT_EQ(got, (std::vector<Millis>{1001ms, 1501ms, 2251ms, 3376ms, 4004ms, 4004ms, 4004ms}));

  DelaySequence doubling(Backoff{100ms, 2.0, 1000ms, false});
  got.clear();
  for (int i = 0; i < 6; ++i) got.push_back(doubling.next(unused));
  EXPECT_EQ(got, (std::vector<Millis>{100ms, 200ms, 400ms, 800ms, 1000ms, 1000ms}));

  // A growth below 1 would shrink the wait: it stays put instead; a cap below the first wait wins.
  DelaySequence flat(Backoff{50ms, 0.5, 20s, false});
  EXPECT_EQ(flat.next(unused), 50ms);
  EXPECT_EQ(flat.next(unused), 50ms);
  DelaySequence capped(Backoff{5s, 2.0, 2s, false});
  EXPECT_EQ(capped.next(unused), 2s);
}

TEST(Backoff, FullJitterStaysWithinZeroAndTheCeiling) {
  const Backoff standard = Backoff::standard(RetryOptions{});  // 1 s doubling, 20 s cap
  for (double r : {0.0, 0.25, 0.5, 0.999999, 1.0}) {
    FixedRandom random(r);
    DelaySequence d(standard);
    for (int retry = 0; retry < 10; ++retry) {
      Millis ceiling = d.ceiling();
      EXPECT_EQ(ceiling, std::min<Millis>(20s, Millis(1000LL << retry))) << retry;
      Millis wait = d.next(random);
      EXPECT_GE(wait, 0ms);
      EXPECT_LE(wait, ceiling);
      EXPECT_EQ(wait, Millis(static_cast<Millis::rep>(r * static_cast<double>(ceiling.count())))) << r << " " << retry;
    }
  }
  // A random source out of range is clamped, never a negative or oversized wait.
  FixedRandom wild(7.0);
  EXPECT_EQ(DelaySequence(standard).next(wild), 1s);
  FixedRandom negative(-3.0);
  EXPECT_EQ(DelaySequence(standard).next(negative), 0ms);
}

TEST(Retry, SucceedsAfterTransientFailuresWaitingTheBackoff) {
  Rig rig(0.5);
  int calls = 0;
  auto r = retry(rig.runtime, RetryPolicy{.max_attempts = 4, .what = "thing"}, [&](int attempt) -> Result<int> {
    EXPECT_EQ(attempt, ++calls);
    if (attempt < 3) return transient();
    return 42;
  });
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(*r, 42);
  EXPECT_EQ(calls, 3);
  // Full jitter at 0.5: half of 1 s, then half of 2 s.
  EXPECT_EQ(rig.sleeper->waits, (std::vector<Millis>{500ms, 1000ms}));
}

TEST(Retry, StopsAtMaxAttemptsWithTheLastErrorAndTheCount) {
  Rig rig;
  int calls = 0;
  Status s = retry(rig.runtime, RetryPolicy{.max_attempts = 3, .what = "thing"}, [&](int) -> Status {
    ++calls;
    return transient("Busy" + std::to_string(calls));
  });
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(s.error().code, "Busy3");
  EXPECT_NE(s.error().message.find("gave up after 3 attempts"), std::string::npos) << s.error().message;
  EXPECT_EQ(rig.sleeper->waits.size(), 2u);
}

TEST(Retry, ThePolicyDecidesWhatIsWorthAnotherAttempt) {
  Rig rig;
  int calls = 0;
  // Not retryable by default: one attempt.
  Status once = retry(rig.runtime, RetryPolicy{.what = "thing"}, [&](int) -> Status {
    ++calls;
    return Error::make(ErrorKind::kService, "Denied", "no");
  });
  ASSERT_FALSE(once.ok());
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(once.error().message, "no");
  EXPECT_TRUE(rig.sleeper->waits.empty());

  // The policy's predicate wins over Error::retryable.
  calls = 0;
  RetryPolicy p{.max_attempts = 5, .what = "thing"};
  p.retryable = [](const Error& e) { return e.code == "InUse"; };
  Status s = retry(rig.runtime, p, [&](int n) -> Status {
    ++calls;
    return n < 3 ? Error::make(ErrorKind::kService, "InUse", "busy") : transient("Other");
  });
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(s.error().code, "Other");
  EXPECT_NE(s.error().message.find("after 3 attempts"), std::string::npos) << s.error().message;
}

TEST(Retry, NoWaitRunsPastTheDeadlineAndNoAttemptStartsAfterIt) {
  Rig rig(0.999);
  int calls = 0;
  RetryPolicy p{.max_attempts = 10, .what = "thing"};
  p.deadline = Deadline::after(2500ms, *rig.clock);
  Status s = retry(rig.runtime, p, [&](int) -> Status {
    ++calls;
    return transient();
  });
  ASSERT_FALSE(s.ok());
  // 999 ms fits; 1998 ms more would end at 2997 ms, past the deadline.
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(rig.sleeper->waits, (std::vector<Millis>{999ms}));
  EXPECT_NE(s.error().message.find("deadline leaves no time"), std::string::npos) << s.error().message;

  // An attempt that itself uses up the time: the next one never starts.
  Rig slow(0.0);
  calls = 0;
  RetryPolicy q{.max_attempts = 10, .what = "slow thing"};
  q.deadline = Deadline::after(1s, *slow.clock);
  Status t = retry(slow.runtime, q, [&](int) -> Status {
    ++calls;
    slow.clock->advance(1500ms);
    return transient();
  });
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(t.error().code, "Busy");
  EXPECT_NE(t.error().message.find("deadline leaves no time"), std::string::npos) << t.error().message;

  // Past the deadline already: no attempt at all.
  calls = 0;
  q.deadline = Deadline{slow.clock->steady_now()};
  Status u = retry(slow.runtime, q, [&](int) -> Status {
    ++calls;
    return {};
  });
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(u.error().kind, ErrorKind::kTimeout);
  EXPECT_EQ(u.error().code, "DeadlineExceeded");
}

TEST(Retry, CancellationBeforeAndDuringTheWait) {
  Rig rig;
  CancellationSource before;
  before.cancel();
  int calls = 0;
  RetryPolicy p{.what = "thing"};
  p.cancel = before.token();
  Status s = retry(rig.runtime, p, [&](int) -> Status {
    ++calls;
    return {};
  });
  EXPECT_EQ(s.error().kind, ErrorKind::kCancelled);
  EXPECT_EQ(calls, 0);

  CancellationSource during;
  p.cancel = during.token();
  Status t = retry(rig.runtime, p, [&](int) -> Status {
    ++calls;
    during.cancel();
    return transient();
  });
  EXPECT_EQ(t.error().kind, ErrorKind::kCancelled);
  EXPECT_NE(t.error().message.find("while waiting to retry"), std::string::npos) << t.error().message;
  EXPECT_EQ(calls, 1);

  // A cancellation from the attempt itself is never retried.
  calls = 0;
  Status u = retry(rig.runtime, RetryPolicy{.max_attempts = 5, .what = "thing"}, [&](int) -> Status {
    ++calls;
    return Error::make(ErrorKind::kCancelled, "Cancelled", "stopped", true);
  });
  EXPECT_EQ(u.error().kind, ErrorKind::kCancelled);
  EXPECT_EQ(calls, 1);
}

TEST(Retry, EngineQuotaAndImmediateRetries) {
  Rig rig(0.5);
  internal::RetrySpec spec;
  spec.policy = RetryPolicy{.max_attempts = 4, .what = "thing"};
  spec.quota = std::make_shared<RetryQuota>(12);
  spec.success_refund = 1;
  spec.decide = [](Error& e, int) {
    if (e.code == "Skew") return internal::RetryDecision::now();
    return internal::RetryDecision::again(5, e.code == "Slow" ? 3000ms : 0ms);
  };
  std::vector<std::string> script = {"Skew", "Slow", "Busy"};
  Status s = internal::run_retry_spec(rig.runtime, spec, [&](int n) -> Status {
    if (n <= static_cast<int>(script.size())) return transient(script[n - 1]);
    return {};
  });
  ASSERT_TRUE(s.ok()) << s.error().to_string();
  // No wait after the skew; the floor after Slow; the backoff keeps growing across them.
  EXPECT_EQ(rig.sleeper->waits, (std::vector<Millis>{3000ms, 2000ms}));
  EXPECT_EQ(spec.quota->available(), 12 - 5 - 5 + 5);  // the last retry's tokens come back

  // Out of tokens: stopped with a note, tokens never go negative.
  Status t = internal::run_retry_spec(rig.runtime, spec, [&](int) -> Status { return transient("Busy"); });
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().message.find("retry quota is exhausted"), std::string::npos) << t.error().message;
  EXPECT_EQ(spec.quota->available(), 2);
}

TEST(RetryQuota, SizedOnceByItsFirstUser) {
  RetryQuota q;
  q.size_once(10);
  q.size_once(500);
  EXPECT_EQ(q.capacity(), 10);
  EXPECT_TRUE(q.acquire(10));
  EXPECT_FALSE(q.acquire(1));
  q.release(100);
  EXPECT_EQ(q.available(), 10);
  RetryQuota fixed(7);
  fixed.size_once(500);
  EXPECT_EQ(fixed.capacity(), 7);
}

TEST(PollUntil, PollsUntilTheConditionWithAGrowingDelay) {
  Rig rig;
  std::vector<WaitProgress> seen;
  PollOptions o{.delay = Backoff::polling(2s), .what = "job 7"};
  o.on_progress = [&](const WaitProgress& p) { seen.push_back(p); };
  int polls = 0;
  Status s = poll_until(rig.runtime, o, [&](int n) -> Result<PollState> {
    EXPECT_EQ(n, ++polls);
    return n < 6 ? PollState::pending("step " + std::to_string(n)) : PollState::done("finished");
  });
  ASSERT_TRUE(s.ok()) << s.error().to_string();
  EXPECT_EQ(polls, 6);
  EXPECT_EQ(rig.sleeper->waits, (std::vector<Millis>{2s, 3s, 4500ms, 6750ms, 8s}));
  ASSERT_EQ(seen.size(), 6u);
  EXPECT_EQ(seen[0].state, "step 1");
  EXPECT_EQ(seen[0].next_delay, 2s);
  EXPECT_EQ(seen[5].state, "finished");
  EXPECT_EQ(seen[5].next_delay, 0ms);
}

TEST(PollUntil, RunningOutNamesTheLastStateSeen) {
  Rig rig;
  PollOptions o{.delay = Backoff::polling(1s), .max_polls = 4, .what = "InstanceRunning"};
  int polls = 0;
  Status s = poll_until(rig.runtime, o, [&](int n) -> Result<PollState> {
    ++polls;
    return PollState::pending("pending " + std::to_string(n) + "/3");
  });
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(polls, 4);
  EXPECT_EQ(s.error().kind, ErrorKind::kTimeout);
  EXPECT_EQ(s.error().code, "WaiterTimeout");
  EXPECT_NE(s.error().message.find("last state: pending 4/3"), std::string::npos) << s.error().message;
  EXPECT_EQ(rig.sleeper->waits.size(), 3u);  // no wait after the last poll

  // The deadline: each wait is cut to it, and the error still names the last state.
  Rig late;
  PollOptions d{.delay = Backoff::polling(10s), .what = "StackCreateComplete"};
  d.deadline = Deadline::after(25s, *late.clock);
  Status t = poll_until(late.runtime, d, [&](int n) -> Result<PollState> {
    return PollState::pending("CREATE_IN_PROGRESS " + std::to_string(n));
  });
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().code, "WaiterTimeout");
  EXPECT_NE(t.error().message.find("deadline passed after 2 attempts; last state: CREATE_IN_PROGRESS 2"),
            std::string::npos)
      << t.error().message;
  EXPECT_EQ(late.sleeper->waits, (std::vector<Millis>{10s, 15s}));
  EXPECT_EQ(late.clock->total_slept(), 25s);
}

TEST(PollUntil, AFailedStateAnErrorOrCancellationEndsTheWait) {
  Rig rig;
  PollOptions o{.delay = Backoff::polling(1s), .what = "JobDone"};
  Status failed = poll_until(rig.runtime, o, [](int n) -> Result<PollState> {
    return n < 2 ? PollState::pending("InProgress") : PollState::failed("Failed: out of memory");
  });
  EXPECT_EQ(failed.error().kind, ErrorKind::kService);
  EXPECT_EQ(failed.error().code, "WaiterFailure");
  EXPECT_NE(failed.error().message.find("Failed: out of memory"), std::string::npos);

  Status broken = poll_until(rig.runtime, o, [](int) -> Result<PollState> {
    return Error::make(ErrorKind::kService, "AccessDenied", "not yours");
  });
  EXPECT_EQ(broken.error().code, "AccessDenied");

  CancellationSource cancel;
  o.cancel = cancel.token();
  int polls = 0;
  Status stopped = poll_until(rig.runtime, o, [&](int) -> Result<PollState> {
    if (++polls == 3) cancel.cancel();
    return PollState::pending();
  });
  EXPECT_EQ(stopped.error().kind, ErrorKind::kCancelled);
  EXPECT_EQ(polls, 3);

  // The caller's own errors for the timeout and the cancellation.
  CancellationSource now;
  now.cancel();
  PollOptions own{.delay = Backoff::polling(1s), .max_polls = 1, .what = "x"};
  own.timeout_error = [](const std::string& last) { return Error::make(ErrorKind::kTimeout, "MyTimeout", last); };
  own.cancelled_error = [] { return Error::make(ErrorKind::kCancelled, "MyCancel", "mine"); };
  EXPECT_EQ(poll_until(rig.runtime, own, [](int) -> Result<PollState> { return PollState::pending("s1"); }).error().message,
            "s1");
  own.cancel = now.token();
  EXPECT_EQ(poll_until(rig.runtime, own, [](int) -> Result<PollState> { return PollState::pending(); }).error().code,
            "MyCancel");
}

TEST(PollUntil, RandomIsNeverUsedWithoutJitterAndARuntimeMayLackParts) {
  // A Runtime with only a clock and a sleeper: the missing random source comes from the system.
  auto clock = std::make_shared<ManualClock>();
  Runtime partial{clock, clock, nullptr};
  int polls = 0;
  Status s = poll_until(partial, PollOptions{.delay = Backoff::polling(1s), .what = "x"}, [&](int) -> Result<PollState> {
    return ++polls < 3 ? PollState::pending() : PollState::done();
  });
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(clock->total_slept(), 2500ms);
}

}  // namespace
}  // namespace awsdl
