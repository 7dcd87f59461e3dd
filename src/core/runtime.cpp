#include "awsdl/core/runtime.hpp"

#include <condition_variable>
#include <random>
#include <thread>

namespace awsdl {

Clock::~Clock() = default;
Sleeper::~Sleeper() = default;
Random::~Random() = default;

Millis Deadline::remaining(Clock& clock, Millis fallback) const {
  if (!at) return fallback;
  auto left = std::chrono::duration_cast<Millis>(*at - clock.steady_now());
  return left.count() < 0 ? Millis(0) : left;
}

Deadline Deadline::min(const Deadline& other) const {
  if (!at) return other;
  if (!other.at) return *this;
  return Deadline{std::min(*at, *other.at)};
}

namespace {

class SystemClock final : public Clock {
 public:
  WallTime wall_now() override { return std::chrono::system_clock::now(); }
  SteadyTime steady_now() override { return std::chrono::steady_clock::now(); }
};

// Sleeps in short slices so cancellation is noticed within 50 ms.
class SystemSleeper final : public Sleeper {
 public:
  bool sleep_for(Millis d, const CancellationToken& cancel) override {
    auto end = std::chrono::steady_clock::now() + d;
    while (true) {
      if (cancel.cancelled()) return false;
      auto now = std::chrono::steady_clock::now();
      if (now >= end) return true;
      std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(end - now, Millis(50)));
    }
  }
};

class SystemRandom final : public Random {
 public:
  SystemRandom() : gen_(std::random_device{}()) {}
  double uniform() override {
    std::lock_guard lock(mu_);
    return std::uniform_real_distribution<double>(0.0, 1.0)(gen_);
  }

 private:
  std::mutex mu_;
  std::mt19937_64 gen_;
};

}  // namespace

Runtime Runtime::system() {
  static const Runtime rt{std::make_shared<SystemClock>(), std::make_shared<SystemSleeper>(),
                          std::make_shared<SystemRandom>()};
  return rt;
}

ManualClock::ManualClock(WallTime start) : wall_(start), steady_(SteadyTime(std::chrono::hours(1))) {}

WallTime ManualClock::wall_now() {
  std::lock_guard lock(mu_);
  return wall_;
}

SteadyTime ManualClock::steady_now() {
  std::lock_guard lock(mu_);
  return steady_;
}

bool ManualClock::sleep_for(Millis d, const CancellationToken& cancel) {
  if (cancel.cancelled()) return false;
  std::lock_guard lock(mu_);
  wall_ += d;
  steady_ += d;
  slept_ += d;
  return true;
}

void ManualClock::advance(Millis d) {
  std::lock_guard lock(mu_);
  wall_ += d;
  steady_ += d;
}

Millis ManualClock::total_slept() const {
  std::lock_guard lock(mu_);
  return slept_;
}

}  // namespace awsdl
