#include "internal/retry_loop.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>

#include "internal/http_date.hpp"

namespace awsdl::internal {
namespace {

constexpr std::array<std::string_view, 14> kThrottlingCodes = {
    "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
    "TooManyRequestsException", "ProvisionedThroughputExceededException", "TransactionInProgressException",
    "RequestLimitExceeded", "BandwidthLimitExceeded", "LimitExceededException", "RequestThrottled", "SlowDown",
    "PriorRequestNotComplete", "EC2ThrottledException"};

constexpr std::array<std::string_view, 5> kTransientCodes = {
    "RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete", "InternalError", "ServiceUnavailable"};

constexpr std::array<std::string_view, 6> kClockSkewCodes = {"RequestTimeTooSkewed", "RequestExpired",
                                                             "InvalidSignatureException", "SignatureDoesNotMatch",
                                                             "RequestInTheFuture", "AuthFailure"};

template <std::size_t N>
bool contains(const std::array<std::string_view, N>& list, std::string_view code) {
  return std::find(list.begin(), list.end(), code) != list.end();
}

std::string attempts_phrase(int n) { return std::to_string(n) + (n == 1 ? " attempt" : " attempts"); }

Error with_note(Error e, const std::string& note) {
  e.message += e.message.empty() ? note : " (" + note + ")";
  return e;
}

// x-amz-retry-after, in milliseconds; ignored when absurd.
std::optional<Millis> retry_after(const std::optional<http::Response>& r) {
  if (!r) return std::nullopt;
  auto h = r->headers.get("x-amz-retry-after");
  if (!h || h->empty()) return std::nullopt;
  std::string v(*h);
  char* end = nullptr;
  long long ms = std::strtoll(v.c_str(), &end, 10);
  if (end == v.c_str() || *end != '\0' || ms < 0 || ms > 3600 * 1000) return std::nullopt;
  return Millis(ms);
}

}  // namespace

bool is_throttling_code(std::string_view code) { return contains(kThrottlingCodes, code); }
bool is_transient_code(std::string_view code) { return contains(kTransientCodes, code); }
bool is_transient_status(int status) { return status == 500 || status == 502 || status == 503 || status == 504; }
bool is_clock_skew_code(std::string_view code) { return contains(kClockSkewCodes, code); }

RetryKind classify_error(const Error& e) {
  switch (e.kind) {
    case ErrorKind::kNetwork:
      // The transport says which network failures will happen again the same way (a
      // certificate that does not verify, an unreadable CA bundle).
      return e.retryable ? RetryKind::kTransient : RetryKind::kNone;
    case ErrorKind::kTimeout:
      return RetryKind::kTimeout;
    case ErrorKind::kService:
      if (is_throttling_code(e.code)) return RetryKind::kThrottling;
      if (is_transient_code(e.code) || is_transient_status(e.http_status)) return RetryKind::kTransient;
      return RetryKind::kNone;
    case ErrorKind::kCancelled:
    case ErrorKind::kInvalidArgument:
    case ErrorKind::kCredentials:
      return RetryKind::kNone;
    default:
      return e.retryable ? RetryKind::kTransient : RetryKind::kNone;
  }
}

Millis backoff_delay(int retry, const RetryOptions& options, Random& random) {
  double base = static_cast<double>(options.base_delay.count());
  double cap = static_cast<double>(options.max_backoff.count());
  double ceiling = std::min(cap, base * std::ldexp(1.0, std::clamp(retry, 0, 62)));
  double r = std::clamp(random.uniform(), 0.0, 1.0);
  return Millis(static_cast<Millis::rep>(std::floor(r * ceiling)));
}

Result<http::Response> run_with_retries(const RetryContext& ctx, const AttemptFn& attempt_fn,
                                        const PrepareRetryFn& prepare_retry) {
  Clock& clock = *ctx.runtime.clock;
  const int max_attempts = std::max(1, ctx.options.max_attempts);
  int acquired = 0;  // tokens taken for the retry in flight; refunded when it succeeds
  bool skew_corrected = false;
  std::optional<Error> last;

  auto finish = [&](Error e, const std::string& note) -> Error {
    return note.empty() ? std::move(e) : with_note(std::move(e), note);
  };

  auto deadline_passed = [&](int made) {
    Error e = Error::make(ErrorKind::kTimeout, "DeadlineExceeded", ctx.what + ": the call's deadline passed", true);
    if (last) e.message += " after " + attempts_phrase(made) + " (last error: " + last->to_string() + ")";
    return e;
  };

  for (int n = 1;; ++n) {
    if (ctx.cancel.cancelled()) {
      Error e = Error::make(ErrorKind::kCancelled, "Cancelled", ctx.what + " was cancelled");
      if (last) e.message += " after " + attempts_phrase(n - 1) + " (last error: " + last->to_string() + ")";
      return e;
    }
    if (ctx.deadline.expired(clock)) return deadline_passed(n - 1);
    if (n > 1 && prepare_retry && !prepare_retry()) {
      return finish(std::move(*last), "not retried: the request body cannot be rewound, after " + attempts_phrase(n - 1));
    }

    AttemptInfo info;
    info.number = n;
    info.signing_time = ctx.skew ? ctx.skew->now(clock) : clock.wall_now();
    Millis timeout = ctx.attempt_timeout;
    if (ctx.deadline.at) {
      // Checked again here: getting the request ready may itself have used the time left.
      // No attempt starts at or past the deadline.
      Millis left = ctx.deadline.remaining(clock, Millis(0));
      if (left.count() <= 0) return deadline_passed(n - 1);
      timeout = timeout.count() > 0 ? std::min(timeout, left) : left;
    }
    info.timeout = timeout;

    AttemptResult r = attempt_fn(info);
    if (!r.error) {
      if (ctx.quota) ctx.quota->release(acquired > 0 ? acquired : ctx.options.success_refund);
      if (r.response) return std::move(*r.response);
      return Error::make(ErrorKind::kInternal, "NoResponse", ctx.what + ": an attempt succeeded without a response");
    }
    Error err = std::move(*r.error);
    if (err.kind == ErrorKind::kCancelled) return err;

    // Our clock is off: learn the offset from the server's Date and re-sign at once.
    // Counts as an attempt but costs no backoff and no quota: the next one will succeed.
    if (ctx.skew && r.response && is_clock_skew_code(err.code) && !skew_corrected) {
      if (auto date_header = r.response->headers.get("Date")) {
        if (auto server = parse_http_date(*date_header)) {
          auto diff = std::chrono::duration_cast<Millis>(*server - info.signing_time);
          if (std::chrono::abs(diff) > kClockSkewThreshold) {
            auto offset = std::chrono::duration_cast<Millis>(*server - clock.wall_now());
            ctx.skew->set(offset);
            skew_corrected = true;
            ctx.logger.log(LogLevel::kInfo, ctx.what + ": " + err.code + ": local clock is off by " +
                                                std::to_string(offset.count() / 1000) +
                                                " s from the server's; re-signing with the corrected time");
            if (n < max_attempts) {
              last = std::move(err);
              continue;
            }
            err.retryable = true;
            return finish(std::move(err), "clock corrected, but no attempts left after " + attempts_phrase(n));
          }
        }
      }
    }

    RetryKind kind = classify_error(err);
    if (kind == RetryKind::kNone) {
      err.retryable = false;
      return finish(std::move(err), n > 1 ? "after " + attempts_phrase(n) : "");
    }
    err.retryable = true;
    if (n >= max_attempts) return finish(std::move(err), "gave up after " + attempts_phrase(n));

    int cost = kind == RetryKind::kTimeout ? ctx.options.timeout_retry_cost : ctx.options.retry_cost;
    if (ctx.quota && !ctx.quota->acquire(cost))
      return finish(std::move(err), "not retried: the client's retry quota is exhausted; " + attempts_phrase(n) + " made");
    acquired = ctx.quota ? cost : 0;

    Millis delay = backoff_delay(n - 1, ctx.options, *ctx.runtime.random);
    if (auto floor = retry_after(r.response)) delay = std::max(delay, *floor);
    if (ctx.deadline.at && delay >= ctx.deadline.remaining(clock, Millis(0))) {
      if (ctx.quota) ctx.quota->release(cost);
      return finish(std::move(err), "not retried: the deadline leaves no time for another attempt; " +
                                        attempts_phrase(n) + " made");
    }
    ctx.logger.log(LogLevel::kDebug, ctx.what + " attempt " + std::to_string(n) + " failed (" + err.code +
                                         "); retrying in " + std::to_string(delay.count()) + " ms");
    if (!ctx.runtime.sleeper->sleep_for(delay, ctx.cancel)) {
      if (ctx.quota) ctx.quota->release(cost);
      return Error::make(ErrorKind::kCancelled, "Cancelled",
                         ctx.what + " was cancelled while waiting to retry after " + attempts_phrase(n) +
                             " (last error: " + err.to_string() + ")");
    }
    last = std::move(err);
  }
}

}  // namespace awsdl::internal
