#pragma once
// The clock, sleeper and random source every timed thing goes through, so that tests can
// replace them and run instantly.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>

#include "awsdl/export.hpp"

namespace awsdl {

using WallTime = std::chrono::system_clock::time_point;
using SteadyTime = std::chrono::steady_clock::time_point;
using Millis = std::chrono::milliseconds;

class AWSDL_EXPORT Clock {
 public:
  virtual ~Clock();
  virtual WallTime wall_now() = 0;      // for signatures and expiry
  virtual SteadyTime steady_now() = 0;  // for deadlines and backoff
};

class CancellationToken;

class AWSDL_EXPORT Sleeper {
 public:
  virtual ~Sleeper();
  /// Sleeps for `d` or until `cancel` fires; returns false when cancelled.
  virtual bool sleep_for(Millis d, const CancellationToken& cancel) = 0;
};

class AWSDL_EXPORT Random {
 public:
  virtual ~Random();
  virtual double uniform() = 0;  // in [0, 1)
};

/// A cancellation flag shared by a source and its tokens. Cheap to copy.
class AWSDL_EXPORT CancellationToken {
 public:
  CancellationToken() = default;  // a token that is never cancelled
  bool cancelled() const noexcept { return flag_ && flag_->load(std::memory_order_acquire); }

 private:
  friend class CancellationSource;
  explicit CancellationToken(std::shared_ptr<std::atomic<bool>> f) : flag_(std::move(f)) {}
  std::shared_ptr<std::atomic<bool>> flag_;
};

class AWSDL_EXPORT CancellationSource {
 public:
  CancellationSource() : flag_(std::make_shared<std::atomic<bool>>(false)) {}
  CancellationToken token() const { return CancellationToken(flag_); }
  void cancel() noexcept { flag_->store(true, std::memory_order_release); }
  bool cancelled() const noexcept { return flag_->load(std::memory_order_acquire); }

 private:
  std::shared_ptr<std::atomic<bool>> flag_;
};

/// An absolute point on the steady clock after which work must stop; none by default.
struct AWSDL_EXPORT Deadline {
  std::optional<SteadyTime> at;

  static Deadline none() { return {}; }
  static Deadline after(Millis d, Clock& clock) { return Deadline{clock.steady_now() + d}; }
  bool expired(Clock& clock) const { return at && clock.steady_now() >= *at; }
  /// Time left, or `fallback` when there is no deadline. Never negative.
  Millis remaining(Clock& clock, Millis fallback) const;
  /// The earlier of the two.
  Deadline min(const Deadline& other) const;
};

/// The injectable trio. Copies share the same objects.
struct AWSDL_EXPORT Runtime {
  std::shared_ptr<Clock> clock;
  std::shared_ptr<Sleeper> sleeper;
  std::shared_ptr<Random> random;

  /// Real time, real sleeping (interruptible by cancellation), a seeded PRNG.
  static Runtime system();
};

/// A clock that moves only when told to, with a sleeper that advances it instead of
/// sleeping. For tests.
class AWSDL_EXPORT ManualClock final : public Clock, public Sleeper {
 public:
  explicit ManualClock(WallTime start = WallTime(std::chrono::seconds(1700000000)));
  WallTime wall_now() override;
  SteadyTime steady_now() override;
  bool sleep_for(Millis d, const CancellationToken& cancel) override;
  void advance(Millis d);
  Millis total_slept() const;

 private:
  mutable std::mutex mu_;
  WallTime wall_;
  SteadyTime steady_;
  Millis slept_{0};
};

/// A random source that returns a fixed sequence (cycled). For tests.
class AWSDL_EXPORT FixedRandom final : public Random {
 public:
  explicit FixedRandom(double value = 0.5) : value_(value) {}
  double uniform() override { return value_; }

 private:
  double value_;
};

}  // namespace awsdl
