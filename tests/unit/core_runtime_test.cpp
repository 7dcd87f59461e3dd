#include "awsdl/core/runtime.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace {

using namespace std::chrono_literals;

TEST(ManualClock, SleepAdvancesInsteadOfWaiting) {
  awsdl::ManualClock clock;
  auto w0 = clock.wall_now();
  auto s0 = clock.steady_now();
  EXPECT_TRUE(clock.sleep_for(20s, {}));
  EXPECT_EQ(clock.wall_now() - w0, 20s);
  EXPECT_EQ(clock.steady_now() - s0, 20s);
  EXPECT_EQ(clock.total_slept(), 20s);
  clock.advance(1s);
  EXPECT_EQ(clock.total_slept(), 20s);
  EXPECT_EQ(clock.steady_now() - s0, 21s);
}

TEST(Deadline, ExpiresAndReportsRemaining) {
  awsdl::ManualClock clock;
  auto d = awsdl::Deadline::after(5s, clock);
  EXPECT_FALSE(d.expired(clock));
  EXPECT_EQ(d.remaining(clock, 99s), 5s);
  clock.advance(6s);
  EXPECT_TRUE(d.expired(clock));
  EXPECT_EQ(d.remaining(clock, 99s), 0ms);
  EXPECT_EQ(awsdl::Deadline::none().remaining(clock, 99s), 99s);
  EXPECT_FALSE(awsdl::Deadline::none().expired(clock));
}

TEST(Deadline, MinPicksTheEarlier) {
  awsdl::ManualClock clock;
  auto a = awsdl::Deadline::after(5s, clock);
  auto b = awsdl::Deadline::after(3s, clock);
  EXPECT_EQ(*a.min(b).at, *b.at);
  EXPECT_EQ(*awsdl::Deadline::none().min(a).at, *a.at);
  EXPECT_EQ(*a.min(awsdl::Deadline::none()).at, *a.at);
}

TEST(Cancellation, TokenSeesCancel) {
  awsdl::CancellationSource src;
  auto tok = src.token();
  EXPECT_FALSE(tok.cancelled());
  src.cancel();
  EXPECT_TRUE(tok.cancelled());
  EXPECT_FALSE(awsdl::CancellationToken{}.cancelled());
  awsdl::ManualClock clock;
  EXPECT_FALSE(clock.sleep_for(1s, tok));
}

TEST(SystemRuntime, SleeperWakesOnCancel) {
  auto rt = awsdl::Runtime::system();
  awsdl::CancellationSource src;
  std::thread t([&] {
    std::this_thread::sleep_for(50ms);
    src.cancel();
  });
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(rt.sleeper->sleep_for(10s, src.token()));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  t.join();
  double u = rt.random->uniform();
  EXPECT_GE(u, 0.0);
  EXPECT_LT(u, 1.0);
}

}  // namespace
