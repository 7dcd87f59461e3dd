#include "awsdl/core/result.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "core/error_observer.hpp"

namespace {

using awsdl::Error;
using awsdl::ErrorKind;
using awsdl::Result;

Result<int> parse_positive(int v) {
  if (v <= 0) return Error::invalid_argument("NotPositive", "value must be positive, got " + std::to_string(v));
  return v;
}

Result<int> doubled(int v) {
  AWSDL_ASSIGN_OR_RETURN(int x, parse_positive(v));
  return 2 * x;
}

awsdl::Status check(int v) {
  AWSDL_TRY(parse_positive(v));
  return {};
}

TEST(Result, HoldsValueOrError) {
  auto ok = parse_positive(3);
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(static_cast<bool>(ok));
  EXPECT_EQ(*ok, 3);
  EXPECT_EQ(ok.value_or(7), 3);

  auto bad = parse_positive(-1);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(bad.error().code, "NotPositive");
  EXPECT_EQ(bad.value_or(7), 7);
}

TEST(Result, PropagatesThroughMacros) {
  EXPECT_EQ(doubled(4).value(), 8);
  EXPECT_EQ(doubled(0).error().code, "NotPositive");
  EXPECT_TRUE(check(1).ok());
  EXPECT_EQ(check(-5).error().code, "NotPositive");
}

TEST(Result, MoveOnlyValues) {
  Result<std::unique_ptr<int>> r = std::make_unique<int>(5);
  ASSERT_TRUE(r.ok());
  auto p = std::move(r).value();
  EXPECT_EQ(*p, 5);
}

TEST(Result, ConvertingConstructor) {
  Result<std::string> r = "text";
  EXPECT_EQ(*r, "text");
}

TEST(ResultDeathTest, ValueOnErrorAbortsWithTheError) {
  auto bad = parse_positive(-2);
  EXPECT_DEATH((void)bad.value(), "NotPositive");
  Result<void> s = Error::make(ErrorKind::kIo, "DiskFull", "no space");
  EXPECT_DEATH(s.value(), "DiskFull");
}

TEST(ResultDeathTest, ErrorOnValueAborts) {
  auto ok = parse_positive(2);
  EXPECT_DEATH((void)ok.error(), "holding a value");
}

TEST(Error, ToStringNamesEverythingUseful) {
  Error e;
  e.kind = ErrorKind::kService;
  e.code = "ThrottlingException";
  e.message = "Rate exceeded";
  e.http_status = 400;
  e.request_id = "req-123";
  e.retryable = true;
  EXPECT_EQ(e.to_string(), "ThrottlingException (HTTP 400): Rate exceeded [request id req-123] (retryable)");

  Error local = Error::make(ErrorKind::kTimeout, "", "no answer in 3 s");
  EXPECT_EQ(local.to_string(), "timeout: no answer in 3 s");
}

TEST(Error, CarriesNextStepsAsFactsOutsideItsMessage) {
  Error e = Error::make(ErrorKind::kService, "ClusterExists", "cluster c1 already exists: remove it first")
                .with_next_step("cluster.describe", "c1")
                .with_next_step("cluster.remove", "c1")
                .with_next_step("cluster.remove", "c1");  // the same step once
  ASSERT_EQ(e.next_steps.size(), 2u);
  EXPECT_EQ(e.next_steps[0], (awsdl::NextStep{"cluster.describe", "c1"}));
  EXPECT_EQ(e.next_steps[1], (awsdl::NextStep{"cluster.remove", "c1"}));
  ASSERT_NE(e.next_step("cluster.remove"), nullptr);
  EXPECT_EQ(e.next_step("cluster.remove")->detail, "c1");
  EXPECT_EQ(e.next_step("cluster.resume"), nullptr);
  // The one-line form stays the message: the steps are for programs to put in their words.
  EXPECT_EQ(e.to_string(), "ClusterExists: cluster c1 already exists: remove it first");
  // They travel with the error through a Result and a copy.
  Result<int> r = e;
  Error copy = r.error();
  EXPECT_EQ(copy.next_steps, e.next_steps);
  Error plain = Error::invalid_argument("X", "y");
  EXPECT_TRUE(plain.next_steps.empty());
  plain.with_next_step("config.region");
  EXPECT_EQ(plain.next_steps, (std::vector<awsdl::NextStep>{{"config.region", ""}}));
}

TEST(Error, ToStringRedacts) {
  Error e = Error::make(ErrorKind::kService, "Oops",
                        "request GET /?X-Amz-Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef failed");
  EXPECT_EQ(e.to_string().find("0123456789abcdef"), std::string::npos);
  EXPECT_NE(e.to_string().find("[redacted]"), std::string::npos);
}

}  // namespace

namespace {

std::vector<std::string>* observed = nullptr;
void remember(const awsdl::Error& error) noexcept {
  if (observed) observed->push_back(error.code + ": " + error.message);
}

// The library's only hook: it hands every error a Result is made from to the observer
// installed (the suite's error log installs one), and to nothing when none is.
TEST(ErrorObserver, GetsEveryErrorAResultIsMadeFromAndNothingElse) {
  std::vector<std::string> got;
  observed = &got;
  const auto previous = awsdl_exchange_error_observer(&remember);
  {
    awsdl::Result<int> value = 7;
    awsdl::Result<int> failed = awsdl::Error::make(awsdl::ErrorKind::kIo, "First", "one");
    const awsdl::Error copy = awsdl::Error::make(awsdl::ErrorKind::kService, "Second", "two");
    awsdl::Status status = copy;
    awsdl::Status fine;
    EXPECT_EQ(doubled(-4).error().code, "NotPositive");  // made once, then passed on by AWSDL_TRY
    (void)value;
    (void)failed;
    (void)status;
    (void)fine;
  }
  EXPECT_EQ(awsdl_exchange_error_observer(nullptr), &remember);
  awsdl::Result<int> unobserved = awsdl::Error::make(awsdl::ErrorKind::kIo, "Third", "three");
  (void)unobserved;
  EXPECT_EQ(awsdl_exchange_error_observer(previous), nullptr);
  observed = nullptr;
  ASSERT_GE(got.size(), 3u);
  EXPECT_EQ(got[0], "First: one");
  EXPECT_EQ(got[1], "Second: two");
  for (std::size_t i = 2; i < got.size(); ++i)
    EXPECT_EQ(got[i], "NotPositive: value must be positive, got -4") << i;
  for (const auto& line : got) EXPECT_EQ(line.find("Third"), std::string::npos);
}

// The suite-wide secret scan relies on every error reaching AWSDL_ERROR_LOG, through the hook
// the test executables link (tests/support/error_log_hook.cpp).
TEST(ErrorObserver, RecordsErrorsWhenAsked) {
  const char* path = std::getenv("AWSDL_ERROR_LOG");
  if (!path) GTEST_SKIP() << "AWSDL_ERROR_LOG is not set (ctest sets it)";
  std::string marker = "observer-marker-" + std::to_string(::getpid());
  awsdl::Result<int> r = awsdl::Error::make(awsdl::ErrorKind::kIo, "Marker", marker + "\nsecond line");
  ASSERT_FALSE(r.ok());
  std::ifstream in(path);
  std::string line;
  bool found = false;
  while (std::getline(in, line)) found = found || line == "Marker\t0\t" + marker + " second line\t";
  EXPECT_TRUE(found) << "no line for " << marker << " in " << path;
}

}  // namespace
