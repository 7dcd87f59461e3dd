#include "protocol/retry_loop.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>

#include "core/retry_engine.hpp"
#include "util/http_date.hpp"

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

bool outcome_unknown(const Error& e) {
  switch (e.kind) {
    case ErrorKind::kNetwork:
      // Nothing was sent when the connection could not be made.
      return !(e.code == "ConnectionError" || e.code == "DnsError" || e.code == "ProxyError" || e.code == "TlsError" ||
               e.code == "TlsVerificationFailed");
    case ErrorKind::kTimeout:
      return e.code != "ConnectTimeout";
    case ErrorKind::kParse:
      // An answer that could not be read: the service did answer, with something.
      return e.http_status == 0 || (e.http_status >= 200 && e.http_status < 300);
    default:
      return false;
  }
}

Millis backoff_delay(int retry, const RetryOptions& options, Random& random) {
  DelaySequence delays(Backoff::standard(options));
  for (int i = 0; i < std::clamp(retry, 0, 64); ++i) (void)delays.next(random);
  return delays.next(random);
}

Result<http::Response> run_with_retries(const RetryContext& ctx, const AttemptFn& attempt_fn,
                                        const PrepareRetryFn& prepare_retry) {
  const Runtime runtime = complete_runtime(ctx.runtime);
  Clock& clock = *runtime.clock;
  bool skew_corrected = false;
  std::optional<http::Response> answer;        // the last attempt's HTTP answer, if any
  std::optional<http::Response> success;
  WallTime signed_at{};                         // the time the last attempt was signed with

  RetrySpec spec;
  spec.policy.max_attempts = std::max(1, ctx.options.max_attempts);
  spec.policy.backoff = Backoff::standard(ctx.options);
  spec.policy.deadline = ctx.deadline;
  spec.policy.cancel = ctx.cancel;
  spec.policy.what = ctx.what;
  spec.quota = ctx.quota;
  spec.success_refund = ctx.options.success_refund;
  spec.logger = ctx.logger;
  if (prepare_retry) {
    spec.prepare = [&]() -> std::optional<std::string> {
      if (prepare_retry()) return std::nullopt;
      return std::string("not retried: the request body cannot be rewound");
    };
  }
  const int max_attempts = spec.policy.max_attempts;

  spec.decide = [&](Error& err, int n) -> RetryDecision {
    // Our clock is off: learn the offset from the server's Date and re-sign at once.
    // Counts as an attempt but costs no backoff and no quota: the next one will succeed.
    if (ctx.skew && answer && is_clock_skew_code(err.code) && !skew_corrected) {
      if (auto date_header = answer->headers.get("Date")) {
        if (auto server = parse_http_date(*date_header)) {
          auto diff = std::chrono::duration_cast<Millis>(*server - signed_at);
          if (std::chrono::abs(diff) > kClockSkewThreshold) {
            auto offset = std::chrono::duration_cast<Millis>(*server - clock.wall_now());
            ctx.skew->set(offset);
            skew_corrected = true;
            ctx.logger.log(LogLevel::kInfo, ctx.what + ": " + err.code + ": local clock is off by " +
                                                std::to_string(offset.count() / 1000) +
                                                " s from the server's; re-signing with the corrected time");
            err.retryable = true;
            if (n < max_attempts) return RetryDecision::now();
            return RetryDecision::stop("clock corrected, but no attempts left after " + attempts_phrase(n));
          }
        }
      }
    }

    RetryKind kind = classify_error(err);
    if (kind == RetryKind::kNone && err.kind == ErrorKind::kService &&
        std::find(ctx.retry_codes.begin(), ctx.retry_codes.end(), err.code) != ctx.retry_codes.end())
      kind = RetryKind::kTransient;
    if (kind == RetryKind::kNone) {
      err.retryable = false;
      return RetryDecision::stop(n > 1 ? "after " + attempts_phrase(n) : "");
    }
    if (!ctx.idempotent && outcome_unknown(err)) {
      // The service may have acted on it: another attempt could do it twice.
      err.retryable = false;
      return RetryDecision::stop("not retried: the request may have reached the service, and " + ctx.what +
                                 " is not safe to repeat" + (n > 1 ? "; " + attempts_phrase(n) + " made" : ""));
    }
    err.retryable = true;
    int cost = kind == RetryKind::kTimeout ? ctx.options.timeout_retry_cost : ctx.options.retry_cost;
    return RetryDecision::again(cost, retry_after(answer).value_or(Millis(0)));
  };

  auto attempt = [&](int n) -> Status {
    AttemptInfo info;
    info.number = n;
    info.signing_time = ctx.skew ? ctx.skew->now(clock) : clock.wall_now();
    signed_at = info.signing_time;
    Millis timeout = ctx.attempt_timeout;
    if (ctx.deadline.at) {
      // The loop starts no attempt at or past the deadline; this one gets what is left.
      Millis left = std::max(Millis(1), ctx.deadline.remaining(clock, Millis(0)));
      timeout = timeout.count() > 0 ? std::min(timeout, left) : left;
    }
    info.timeout = timeout;
    AttemptResult r = attempt_fn(info);
    answer = std::move(r.response);
    if (!r.error) {
      if (!answer)
        return Error::make(ErrorKind::kInternal, "NoResponse", ctx.what + ": an attempt succeeded without a response");
      success = std::move(answer);
      answer.reset();
      return {};
    }
    return std::move(*r.error);
  };

  AWSDL_TRY(run_retry_spec(runtime, spec, attempt));
  return std::move(*success);
}

}  // namespace awsdl::internal
