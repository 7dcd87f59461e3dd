#pragma once
// A runtime clock for tests against real servers (the sandbox, sshd): the wall time is the real
// one, so that signatures are accepted; the steady time starts at one second, far from the
// real steady clock (time since boot), so that code comparing one with the other shows; it
// moves only when advanced or slept on (sleeping advances it instead of sleeping).

#include <chrono>
#include <memory>
#include <mutex>

#include "awsdl/config.hpp"
#include "awsdl/core/runtime.hpp"

namespace awsdl::testsupport {

class ServerTestClock final : public Clock, public Sleeper {
 public:
  WallTime wall_now() override { return std::chrono::system_clock::now(); }
  SteadyTime steady_now() override {
    std::lock_guard lock(mu_);
    return SteadyTime(std::chrono::seconds(1)) + moved_;
  }
  bool sleep_for(Millis d, const CancellationToken& cancel) override {
    if (cancel.cancelled()) return false;
    std::lock_guard lock(mu_);
    moved_ += d;
    slept_ += d;
    return true;
  }
  void advance(Millis d) {
    std::lock_guard lock(mu_);
    moved_ += d;
  }
  /// Everything it moved: advanced plus slept.
  Millis moved() const {
    std::lock_guard lock(mu_);
    return moved_;
  }

  /// `config` with this clock (and sleeper) as its runtime's.
  static std::shared_ptr<ServerTestClock> install(Config& config) {
    auto clock = std::make_shared<ServerTestClock>();
    config.runtime.clock = clock;
    config.runtime.sleeper = clock;
    return clock;
  }

 private:
  mutable std::mutex mu_;
  Millis moved_{0};
  Millis slept_{0};
};

}  // namespace awsdl::testsupport
