// Standard retry mode through the ServiceClient, on a fake transport, a manual clock and a
// fixed random source: every test runs instantly and sees exactly what slept.
#include "protocol/retry_loop.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <vector>

#include "awsdl/auth/credentials.hpp"
#include "awsdl/auth/sigv4.hpp"
#include "awsdl/testing/fake_transport.hpp"
#include "util/http_date.hpp"
#include "protocol/service_client.hpp"

namespace awsdl::internal {
namespace {

using namespace std::chrono_literals;

constexpr const char* kOkBody =
    "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult>"
    "<Arn>arn:aws:iam::123456789012:user/Alice</Arn><UserId>AIDAEXAMPLE</UserId><Account>123456789012</Account>"
    "</GetCallerIdentityResult><ResponseMetadata><RequestId>r-ok</RequestId></ResponseMetadata></GetCallerIdentityResponse>";

std::string query_error(const std::string& code, const std::string& message = "nope") {
  return "<ErrorResponse><Error><Type>Sender</Type><Code>" + code + "</Code><Message>" + message +
         "</Message></Error><RequestId>r-err</RequestId></ErrorResponse>";
}

ServiceInfo sts_info() {
  ServiceInfo s;
  s.endpoint_prefix = "sts";
  s.signing_name = "sts";
  s.env_name = "STS";
  s.api_version = "2011-06-15";
  return s;
}

struct Harness {
  std::shared_ptr<testing::FakeTransport> transport = std::make_shared<testing::FakeTransport>();
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>();
  Config config;

  explicit Harness(double random = 0.5) {
    config.region = "us-east-1";
    config.transport = transport;
    config.credentials = auth::static_provider(
        {.access_key_id = "AKIDEXAMPLE", .secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"});
    config.runtime = Runtime{clock, clock, std::make_shared<FixedRandom>(random)};
  }
  ServiceClient client() const { return ServiceClient(config, sts_info()); }
  Result<XmlDocument> call(const ServiceClient& c, const CallOptions& o = {}) const {
    return c.call_query(QueryRequest{"GetCallerIdentity", "2011-06-15"}, o);
  }
  static int quota(const ServiceClient& c) { return c.config().retry_quota->available(); }
};

TEST(RetryLoop, BackoffIsFullJitterCapped) {
  RetryOptions o;
  FixedRandom hi(0.999999), lo(0.0), mid(0.5);
  for (int retry = 0; retry < 12; ++retry) {
    auto ceiling = std::min<Millis::rep>(20000, 1000LL << retry);
    EXPECT_LE(backoff_delay(retry, o, hi).count(), ceiling);
    EXPECT_GE(backoff_delay(retry, o, hi).count(), ceiling - 1);
    EXPECT_EQ(backoff_delay(retry, o, lo).count(), 0);
    EXPECT_EQ(backoff_delay(retry, o, mid).count(), ceiling / 2);
  }
  EXPECT_EQ(backoff_delay(100, o, hi).count(), 19999);
}

TEST(RetryLoop, Classification) {
  for (auto c : {"Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
                 "TooManyRequestsException", "ProvisionedThroughputExceededException", "TransactionInProgressException",
                 "RequestLimitExceeded", "BandwidthLimitExceeded", "LimitExceededException", "RequestThrottled",
                 "SlowDown", "PriorRequestNotComplete", "EC2ThrottledException"})
    EXPECT_TRUE(is_throttling_code(c)) << c;
  for (auto c : {"RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete", "InternalError", "ServiceUnavailable"})
    EXPECT_TRUE(is_transient_code(c)) << c;
  for (int s : {500, 502, 503, 504}) EXPECT_TRUE(is_transient_status(s));
  EXPECT_FALSE(is_transient_status(501));
  Error e = Error::make(ErrorKind::kService, "ValidationError", "bad");
  e.http_status = 400;
  EXPECT_EQ(classify_error(e), RetryKind::kNone);
  e.http_status = 502;
  EXPECT_EQ(classify_error(e), RetryKind::kTransient);
  EXPECT_EQ(classify_error(Error::make(ErrorKind::kNetwork, "ConnectionReset", "x", true)), RetryKind::kTransient);
  // A network failure the transport knows to be permanent (a certificate that does not verify).
  EXPECT_EQ(classify_error(Error::make(ErrorKind::kNetwork, "TlsVerificationFailed", "x", false)), RetryKind::kNone);
  EXPECT_EQ(classify_error(Error::make(ErrorKind::kTimeout, "AttemptTimeout", "x")), RetryKind::kTimeout);
  EXPECT_EQ(classify_error(Error::make(ErrorKind::kCancelled, "Cancelled", "x")), RetryKind::kNone);
  EXPECT_EQ(classify_error(Error::make(ErrorKind::kParse, "MalformedXml", "x", true)), RetryKind::kTransient);
  EXPECT_EQ(classify_error(Error::make(ErrorKind::kParse, "MalformedXml", "x", false)), RetryKind::kNone);
}

TEST(RetryLoop, ThrottledTwiceThenSuccess) {
  Harness h(0.5);
  h.transport->push(400, query_error("Throttling", "Rate exceeded"));
  h.transport->push(400, query_error("Throttling", "Rate exceeded"));
  h.transport->push(200, kOkBody);
  auto c = h.client();
  auto r = h.call(c);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(h.transport->request_count(), 3u);
  // Full jitter with uniform() = 0.5: 0.5 * 1000 ms, then 0.5 * 2000 ms.
  EXPECT_EQ(h.clock->total_slept(), 1500ms);
  // The last retry's cost is refunded on success: 500 - 5 - 5 + 5.
  EXPECT_EQ(h.quota(c), 495);
}

TEST(RetryLoop, BackoffStaysWithinFullJitterBounds) {
  Harness h(0.999);
  h.transport->push(400, query_error("ThrottlingException"));
  h.transport->push(400, query_error("ThrottlingException"));
  h.transport->push(200, kOkBody);
  auto c = h.client();
  ASSERT_TRUE(h.call(c).ok());
  EXPECT_LE(h.clock->total_slept(), 1000ms + 2000ms);
  EXPECT_GE(h.clock->total_slept(), 2990ms);
}

TEST(RetryLoop, Persistent503FailsAfterExactlyThreeAttempts) {
  Harness h;
  h.transport->set_handler([](const http::Request&) -> Result<http::Response> {
    http::Response r;
    r.status = 503;
    r.body = query_error("ServiceUnavailable", "Service is unavailable");
    return r;
  });
  auto c = h.client();
  auto r = h.call(c);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(h.transport->request_count(), 3u);
  EXPECT_EQ(r.error().code, "ServiceUnavailable");
  EXPECT_EQ(r.error().http_status, 503);
  EXPECT_TRUE(r.error().retryable);
  EXPECT_NE(r.error().message.find("gave up after 3 attempts"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().to_string().find("3 attempts"), std::string::npos);
}

TEST(RetryLoop, MaxAttemptsIsConfigurable) {
  Harness h;
  h.config.retry.max_attempts = 5;
  h.transport->set_handler([](const http::Request&) -> Result<http::Response> {
    http::Response r;
    r.status = 500;
    return r;
  });
  auto c = h.client();
  auto r = h.call(c);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(h.transport->request_count(), 5u);
  EXPECT_NE(r.error().message.find("5 attempts"), std::string::npos);
}

TEST(RetryLoop, QuotaExhaustionStopsRetrying) {
  Harness h;
  h.config.retry.quota_capacity = 10;
  h.transport->set_handler([](const http::Request&) -> Result<http::Response> {
    http::Response r;
    r.status = 500;
    r.body = query_error("InternalError");
    return r;
  });
  auto c = h.client();
  auto first = h.call(c);  // 3 attempts, 2 retries: 10 tokens spent
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(h.transport->request_count(), 3u);
  EXPECT_EQ(h.quota(c), 0);
  auto second = h.call(c);  // no tokens: one attempt only
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(h.transport->request_count(), 4u);
  EXPECT_TRUE(second.error().retryable);
  EXPECT_NE(second.error().message.find("retry quota is exhausted"), std::string::npos) << second.error().message;

  // A success without retry gives one token back.
  h.transport->set_handler([](const http::Request&) -> Result<http::Response> {
    http::Response r;
    r.status = 200;
    r.body = kOkBody;
    return r;
  });
  ASSERT_TRUE(h.call(c).ok());
  EXPECT_EQ(h.quota(c), 1);
}

TEST(RetryLoop, QuotaIsSharedByCopiesOfTheConfig) {
  Harness h;
  h.transport->push(500, query_error("InternalError"));
  h.transport->push(200, kOkBody);
  auto c1 = h.client();
  ASSERT_TRUE(h.call(c1).ok());
  // Copies of a Config share its quota: the client spent and refunded the harness config's own.
  ASSERT_TRUE(c1.config().retry_quota == h.config.retry_quota);
  EXPECT_EQ(h.config.retry_quota->available(), 500);
  Config shared = h.config;
  shared.retry_quota = std::make_shared<RetryQuota>(500);
  ServiceClient a(shared, sts_info()), b(shared, sts_info());
  h.transport->push(500, query_error("InternalError"));
  h.transport->push(200, kOkBody);
  ASSERT_TRUE(h.call(a).ok());
  EXPECT_EQ(b.config().retry_quota->available(), 500);  // 5 taken, 5 refunded
  h.transport->push_error(Error::make(ErrorKind::kTimeout, "AttemptTimeout", "timed out"));
  h.transport->push_error(Error::make(ErrorKind::kTimeout, "AttemptTimeout", "timed out"));
  h.transport->push_error(Error::make(ErrorKind::kTimeout, "AttemptTimeout", "timed out"));
  auto r = h.call(a);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kTimeout);
  EXPECT_EQ(b.config().retry_quota->available(), 480);  // two timeout retries at 10 each
}

TEST(RetryLoop, RetryAfterHeaderIsTheDelayFloor) {
  Harness h(0.1);
  http::Headers headers;
  headers.add("x-amz-retry-after", "7000");
  h.transport->push(503, query_error("ServiceUnavailable"), headers);
  h.transport->push(200, kOkBody);
  auto c = h.client();
  ASSERT_TRUE(h.call(c).ok());
  EXPECT_EQ(h.clock->total_slept(), 7000ms);

  // Below the jittered delay it changes nothing.
  Harness g(0.5);
  http::Headers small;
  small.add("x-amz-retry-after", "10");
  g.transport->push(503, query_error("ServiceUnavailable"), small);
  g.transport->push(200, kOkBody);
  auto d = g.client();
  ASSERT_TRUE(g.call(d).ok());
  EXPECT_EQ(g.clock->total_slept(), 500ms);
}

TEST(RetryLoop, ClockSkewIsCorrectedAndResignedAtOnce) {
  Harness h;
  WallTime local = h.clock->wall_now();
  WallTime server = local + 2h;
  http::Headers headers;
  headers.add("Date", format_http_date(server));
  h.transport->push(400, query_error("SignatureDoesNotMatch", "Signature expired"), headers);
  h.transport->push(200, kOkBody);
  auto c = h.client();
  auto r = h.call(c);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  auto reqs = h.transport->requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].headers.get("X-Amz-Date"), "20231114T221320Z");
  EXPECT_EQ(reqs[1].headers.get("X-Amz-Date"), "20231115T001320Z");  // two hours later: the server's time
  EXPECT_NE(reqs[0].headers.get("Authorization"), reqs[1].headers.get("Authorization"));
  EXPECT_EQ(h.clock->total_slept(), 0ms);
  EXPECT_EQ(h.quota(c), 500 - 0);  // 1 refunded onto a full bucket stays at capacity
  EXPECT_EQ(c.skew().offset(), 2h);

  // Copies of the client share the offset: the next call signs with the corrected time.
  ServiceClient copy = c;
  h.transport->push(200, kOkBody);
  ASSERT_TRUE(h.call(copy).ok());
  EXPECT_EQ(h.transport->requests().back().headers.get("X-Amz-Date"), "20231115T001320Z");
}

TEST(RetryLoop, ClockSkewCodesWithoutSkewAreNotRetried) {
  Harness h;
  http::Headers headers;
  headers.add("Date", format_http_date(h.clock->wall_now() + 30s));
  h.transport->push(403, query_error("SignatureDoesNotMatch", "The request signature we calculated does not match"),
                    headers);
  auto c = h.client();
  auto r = h.call(c);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "SignatureDoesNotMatch");
  EXPECT_FALSE(r.error().retryable);
  EXPECT_EQ(h.transport->request_count(), 1u);
  EXPECT_EQ(c.skew().offset(), 0ms);
}

TEST(RetryLoop, RequestTimeTooSkewedInThePast) {
  Harness h;
  http::Headers headers;
  headers.add("Date", format_http_date(h.clock->wall_now() - 15min));
  h.transport->push(403, "<Error><Code>RequestTimeTooSkewed</Code><Message>too skewed</Message></Error>", headers);
  h.transport->push(200, kOkBody);
  auto c = h.client();
  ASSERT_TRUE(h.call(c).ok());
  EXPECT_EQ(c.skew().offset(), -15min);
  EXPECT_EQ(h.transport->requests()[1].headers.get("X-Amz-Date"), "20231114T215820Z");
}

TEST(RetryLoop, DeadlineStopsRetries) {
  Harness h(0.999);
  h.transport->set_handler([](const http::Request&) -> Result<http::Response> {
    http::Response r;
    r.status = 503;
    return r;
  });
  auto c = h.client();
  CallOptions o;
  o.deadline = Deadline::after(1500ms, *h.clock);
  auto r = h.call(c, o);
  ASSERT_FALSE(r.ok());
  // First backoff 999 ms fits; the second (1998 ms) would overrun the deadline.
  EXPECT_EQ(h.transport->request_count(), 2u);
  EXPECT_NE(r.error().message.find("deadline"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("2 attempts"), std::string::npos) << r.error().message;
  EXPECT_TRUE(r.error().retryable);
  EXPECT_EQ(h.clock->total_slept(), 999ms);

  // TimeoutOptions::call is a deadline too.
  Harness g(0.999);
  g.config.timeouts.call = 500ms;
  g.transport->set_handler([](const http::Request&) -> Result<http::Response> {
    http::Response r;
    r.status = 503;
    return r;
  });
  auto d = g.client();
  ASSERT_FALSE(g.call(d).ok());
  EXPECT_EQ(g.transport->request_count(), 1u);
}

TEST(RetryLoop, ExpiredDeadlineMakesNoCall) {
  Harness h;
  auto c = h.client();
  CallOptions o;
  o.deadline = Deadline{h.clock->steady_now()};
  auto r = h.call(c, o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kTimeout);
  EXPECT_EQ(h.transport->request_count(), 0u);
}

TEST(RetryLoop, AttemptTimeoutIsBoundedByTheDeadline) {
  Harness h;
  h.config.timeouts.attempt = 120s;
  auto c = h.client();
  CallOptions o;
  o.deadline = Deadline::after(3s, *h.clock);
  // The fake transport does not see SendOptions, so observe through a wrapping transport.
  struct Spy final : http::Transport {
    Millis seen{0};
    Result<http::Response> send(const http::Request&, const http::SendOptions& opts) override {
      seen = opts.attempt_timeout;
      http::Response r;
      r.status = 200;
      r.body = kOkBody;
      return r;
    }
  };
  auto spy = std::make_shared<Spy>();
  h.config.transport = spy;
  auto c2 = h.client();
  ASSERT_TRUE(h.call(c2, o).ok());
  EXPECT_EQ(spy->seen, 3s);
  ASSERT_TRUE(h.call(c2).ok());
  EXPECT_EQ(spy->seen, 120s);
}

// A transport whose every attempt uses all the time it is given, then times out.
struct SlowTransport final : http::Transport {
  explicit SlowTransport(std::shared_ptr<ManualClock> c) : clock(std::move(c)) {}
  Result<http::Response> send(const http::Request&, const http::SendOptions& opts) override {
    timeouts.push_back(opts.attempt_timeout);
    clock->advance(opts.attempt_timeout);
    return Error::make(ErrorKind::kTimeout, "Timeout", "the attempt timed out", true);
  }
  std::shared_ptr<ManualClock> clock;
  std::vector<Millis> timeouts;
};

TEST(RetryLoop, EveryCallHasAFiniteDeadlineByDefault) {
  Harness h;  // backoffs of 0.5 x the ceiling: 500, 1000, 2000, 4000 ms
  h.config.retry.max_attempts = 50;
  auto slow = std::make_shared<SlowTransport>(h.clock);
  h.config.transport = slow;
  auto c = h.client();
  const auto start = h.clock->steady_now();
  auto r = h.call(c);
  ASSERT_FALSE(r.ok());
  // 10 minutes for the whole call: four full attempts of 120 s and their backoff, then a
  // fifth cut to what is left, and no attempt or sleep after that.
  EXPECT_EQ(slow->timeouts, (std::vector<Millis>{120s, 120s, 120s, 120s, 112500ms}));
  EXPECT_EQ(h.clock->steady_now() - start, 600s);
  EXPECT_NE(r.error().message.find("deadline"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("5 attempts"), std::string::npos) << r.error().message;
}

TEST(RetryLoop, NoAttemptStartsOnceTheDeadlineHasPassed) {
  auto clock = std::make_shared<ManualClock>();
  RetryContext ctx;
  ctx.options.max_attempts = 5;
  ctx.runtime = Runtime{clock, clock, std::make_shared<FixedRandom>(0.0)};  // no backoff
  ctx.deadline = Deadline::after(1000ms, *clock);
  ctx.what = "TEST Op";
  int attempts = 0;
  auto attempt = [&](const AttemptInfo&) -> AttemptResult {
    ++attempts;
    return AttemptResult::failure(Error::make(ErrorKind::kNetwork, "ConnectionReset", "reset", true));
  };
  // Getting the request ready again (rewinding a body) takes the rest of the time.
  auto prepare = [&] {
    clock->advance(2000ms);
    return true;
  };
  auto r = run_with_retries(ctx, attempt, prepare);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(attempts, 1);
  EXPECT_EQ(r.error().code, "DeadlineExceeded") << r.error().to_string();
  EXPECT_NE(r.error().message.find("1 attempt"), std::string::npos) << r.error().message;
}

TEST(RetryLoop, CancellationBeforeAndDuringBackoff) {
  Harness h;
  auto c = h.client();
  CancellationSource source;
  source.cancel();
  CallOptions o;
  o.cancel = source.token();
  auto r = h.call(c, o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kCancelled);
  EXPECT_EQ(h.transport->request_count(), 0u);

  CancellationSource during;
  h.transport->set_handler([&during](const http::Request&) -> Result<http::Response> {
    during.cancel();  // the caller gives up while the first attempt is in flight
    http::Response resp;
    resp.status = 503;
    return resp;
  });
  CallOptions o2;
  o2.cancel = during.token();
  auto r2 = h.call(c, o2);
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.error().kind, ErrorKind::kCancelled);
  EXPECT_EQ(h.transport->request_count(), 1u);
  EXPECT_EQ(h.quota(c), 500) << "tokens taken for a retry that never happened are returned";
}

TEST(RetryLoop, NonRetryable400IsNotRetried) {
  Harness h;
  h.transport->push(400, query_error("ValidationError", "1 validation error detected"));
  auto c = h.client();
  auto r = h.call(c);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(h.transport->request_count(), 1u);
  EXPECT_EQ(r.error().code, "ValidationError");
  EXPECT_EQ(r.error().message, "1 validation error detected");
  EXPECT_EQ(r.error().request_id, "r-err");
  EXPECT_FALSE(r.error().retryable);
  EXPECT_EQ(h.clock->total_slept(), 0ms);
}

TEST(RetryLoop, NetworkErrorIsRetried) {
  Harness h;
  h.transport->push_error(Error::make(ErrorKind::kNetwork, "ConnectionReset", "connection reset by peer", true));
  h.transport->push(200, kOkBody);
  auto c = h.client();
  auto r = h.call(c);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(h.transport->request_count(), 2u);
}

TEST(RetryLoop, PermanentNetworkErrorIsNotRetried) {
  Harness h;
  h.transport->push_error(Error::make(ErrorKind::kNetwork, "TlsVerificationFailed", "self-signed certificate", false));
  h.transport->push(200, kOkBody);
  auto c = h.client();
  auto r = h.call(c);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(h.transport->request_count(), 1u);
  EXPECT_EQ(r.error().code, "TlsVerificationFailed");
  EXPECT_FALSE(r.error().retryable);
  EXPECT_EQ(h.clock->total_slept(), 0ms);
}

TEST(RetryLoop, TruncatedSuccessBodyIsRetried) {
  Harness h;
  std::string cut(kOkBody);
  cut.resize(cut.size() / 2);
  h.transport->push(200, cut);
  h.transport->push(200, kOkBody);
  auto c = h.client();
  auto r = h.call(c);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(h.transport->request_count(), 2u);
  auto result = query_result(*r, "GetCallerIdentity");
  ASSERT_TRUE(result.ok()) << result.error().to_string();
  EXPECT_EQ(xml_text(*result, "Account"), "123456789012");
}

// An error document that came with a 200 goes through the same retry decisions as one that
// came with its own status: a transient code is retried, an access error is not.
TEST(RetryLoop, ErrorDocumentIn200IsRetriedAsClassified) {
  const std::string internal_error =
      "<ErrorResponse><Error><Type>Receiver</Type><Code>InternalError</Code><Message>try again</Message></Error>"
      "<RequestId>R1</RequestId></ErrorResponse>";
  Harness h;
  h.transport->push(200, internal_error);
  h.transport->push(200, kOkBody);
  auto c = h.client();
  auto r = h.call(c);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(h.transport->request_count(), 2u);

  Harness d;
  d.transport->push(200, "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>no</Message>"
                         "</Error><RequestId>R2</RequestId></ErrorResponse>");
  auto dc = d.client();
  auto denied = d.call(dc);
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.error().code, "AccessDenied");
  EXPECT_EQ(denied.error().request_id, "R2");
  EXPECT_EQ(d.transport->request_count(), 1u);
}

TEST(RetryLoop, StreamedBodyWithoutRewindIsNotRetried) {
  Harness h;
  h.transport->push(503, "");
  auto c = h.client();
  auto make_op = [](std::shared_ptr<std::size_t> pos, bool rewindable) {
    OperationRequest op;
    op.operation = "Upload";
    op.http.method = "PUT";
    op.http.path = "/";
    auto data = std::make_shared<std::string>("streamed payload");
    op.http.body_length = data->size();
    op.http.body_source = [data, pos](char* buf, std::size_t len) -> Result<std::size_t> {
      std::size_t n = std::min(len, data->size() - *pos);
      std::copy_n(data->data() + *pos, n, buf);
      *pos += n;
      return n;
    };
    if (rewindable) op.http.rewind_body = [pos] { *pos = 0; return true; };
    op.payload_hash = std::string(auth::kUnsignedPayload);
    return op;
  };
  auto r = c.send(make_op(std::make_shared<std::size_t>(0), false));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(h.transport->request_count(), 1u);
  EXPECT_EQ(r.error().http_status, 503);
  EXPECT_NE(r.error().message.find("cannot be rewound"), std::string::npos) << r.error().message;

  h.transport->push(503, "");
  h.transport->push(200, "ok");
  auto rewound = c.send(make_op(std::make_shared<std::size_t>(0), true));
  ASSERT_TRUE(rewound.ok()) << rewound.error().to_string();
  auto reqs = h.transport->requests();
  ASSERT_EQ(reqs.size(), 3u);  // 1 for the first call, 2 for the rewindable one
  EXPECT_EQ(reqs[1].body, "streamed payload");
  EXPECT_EQ(reqs[2].body, "streamed payload");
}

TEST(RetryLoop, MissingCredentialsAndBadRegionFailBeforeAnyCall) {
  Harness h;
  h.config.credentials = nullptr;
  auto c = h.client();
  auto r = h.call(c);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kCredentials);

  Harness g;
  g.config.region = "Not A Region";
  auto d = g.client();
  auto bad = g.call(d);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(bad.error().code, "InvalidRegion");
  EXPECT_EQ(g.transport->request_count(), 0u);
  EXPECT_EQ(h.transport->request_count(), 0u);
}

TEST(RetryLoop, FailingProviderIsACredentialsError) {
  struct Failing final : auth::CredentialsProvider {
    Result<auth::Credentials> get() override {
      return Error::make(ErrorKind::kNotFound, "NoCredentials", "nothing in the chain");
    }
  };
  Harness h;
  h.config.credentials = std::make_shared<Failing>();
  auto c = h.client();
  auto r = h.call(c);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kCredentials);
  EXPECT_EQ(h.transport->request_count(), 0u);
}

TEST(RetryLoop, LogsEachAttemptWithoutSecrets) {
  Harness h;
  std::vector<std::string> lines;
  h.config.logger.level = LogLevel::kDebug;
  h.config.logger.sink = [&lines](LogLevel, std::string_view line) { lines.emplace_back(line); };
  h.transport->push(503, "");
  h.transport->push(200, kOkBody);
  auto c = h.client();
  ASSERT_TRUE(h.call(c).ok());
  ASSERT_GE(lines.size(), 2u);
  std::string all;
  for (const auto& l : lines) all += l + "\n";
  EXPECT_NE(all.find("STS GetCallerIdentity attempt 1: POST sts.us-east-1.amazonaws.com/ -> 503"), std::string::npos) << all;
  EXPECT_NE(all.find("attempt 2: POST sts.us-east-1.amazonaws.com/ -> 200"), std::string::npos) << all;
  EXPECT_EQ(all.find("Authorization"), std::string::npos);
  EXPECT_EQ(all.find("Signature="), std::string::npos);
  EXPECT_EQ(all.find("wJalrXUtnFEMI"), std::string::npos);
}

// A write that is not safe to repeat: no client token, not a read, not a delete.
Result<XmlDocument> call_write(const ServiceClient& c, bool client_token = false) {
  QueryRequest q{"CreateThing", "2011-06-15"};
  q.add("Name", "one");
  if (client_token) q.add("ClientToken", "token-1");
  return c.call_query(q);
}

TEST(RetryLoop, AnUnknownOutcomeIsRetriedOnlyWhenIdempotent) {
  // Each failure leaves it unknown whether the service acted: the connection was reset after
  // the request went out, the answer did not come in time, or came cut off.
  const std::vector<Error> unknown = {
      Error::make(ErrorKind::kNetwork, "ConnectionReset", "the connection was closed or reset", true),
      Error::make(ErrorKind::kTimeout, "Timeout", "the attempt timed out", true),
      Error::make(ErrorKind::kTimeout, "StallTimeout", "no data moved within the stall timeout", true),
      Error::make(ErrorKind::kNetwork, "TruncatedResponse", "the body ended early", true),
  };
  for (const auto& failure : unknown) {
    SCOPED_TRACE(failure.code);
    Harness h;
    auto c = h.client();
    h.transport->push_error(failure);
    auto r = call_write(c);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(h.transport->request_count(), 1u);
    EXPECT_EQ(r.error().code, failure.code);
    EXPECT_FALSE(r.error().retryable);
    EXPECT_NE(r.error().message.find("not safe to repeat"), std::string::npos) << r.error().message;
    EXPECT_EQ(h.clock->total_slept(), 0ms);
    EXPECT_EQ(h.quota(c), 500);

    // The same failure on a read, and on a write that carries a client token: retried.
    h.transport->push_error(failure);
    h.transport->push(200, kOkBody);
    ASSERT_TRUE(h.call(c).ok());
    EXPECT_EQ(h.transport->request_count(), 3u);
    h.transport->push_error(failure);
    h.transport->push(200, kOkBody);
    auto tokened = call_write(c, /*client_token=*/true);
    ASSERT_TRUE(tokened.ok()) << tokened.error().to_string();
    EXPECT_EQ(h.transport->request_count(), 5u);
  }

  // A 2xx answer cut off before it could be read: the write happened, so it is not repeated.
  Harness h;
  std::string cut(kOkBody);
  h.transport->push(200, cut.substr(0, cut.size() / 2));
  auto r = call_write(h.client());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(h.transport->request_count(), 1u);
  EXPECT_NE(r.error().message.find("not safe to repeat"), std::string::npos) << r.error().message;
}

TEST(RetryLoop, AWriteIsRetriedWhenNothingWasSentOrTheServiceAnswered) {
  // Nothing reached the service: safe to send again, whatever the operation.
  for (const auto& failure : {Error::make(ErrorKind::kNetwork, "ConnectionError", "could not connect", true),
                              Error::make(ErrorKind::kNetwork, "DnsError", "could not resolve the host", true),
                              Error::make(ErrorKind::kTimeout, "ConnectTimeout", "connecting timed out", true)}) {
    SCOPED_TRACE(failure.code);
    Harness h;
    h.transport->push_error(failure);
    h.transport->push(200, kOkBody);
    auto r = call_write(h.client());
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_EQ(h.transport->request_count(), 2u);
  }
  // The service answered with a retryable error: it says it did not do it.
  Harness h;
  h.transport->push(503, query_error("ServiceUnavailable"));
  h.transport->push(400, query_error("Throttling"));
  h.transport->push(200, kOkBody);
  ASSERT_TRUE(call_write(h.client()).ok());
  EXPECT_EQ(h.transport->request_count(), 3u);
}

TEST(RetryLoop, IdempotencyPerOperation) {
  auto op = [](std::string method, std::string name, Idempotency i = Idempotency::kByRule) {
    OperationRequest o;
    o.http.method = std::move(method);
    o.operation = std::move(name);
    o.idempotency = i;
    return o;
  };
  // HTTP's idempotent methods: S3 GetObject, HeadObject, PutObject / UploadPart (same key,
  // same bytes), DeleteObject, EFS DeleteFileSystem.
  for (const char* m : {"GET", "HEAD", "PUT", "DELETE"}) EXPECT_TRUE(is_idempotent(op(m, "Anything"))) << m;
  // POST reads and deletes.
  for (const char* name : {"DescribeInstances", "GetCallerIdentity", "ListTrainingJobs", "FilterLogEvents",
                           "BatchCheckLayerAvailability", "ValidateTemplate", "DeleteObjects", "DeleteRepository"})
    EXPECT_TRUE(is_idempotent(op("POST", name))) << name;
  // POST writes without a client token.
  for (const char* name : {"CreateMultipartUpload", "CreateRepository", "CreateSecurityGroup", "ImportKeyPair",
                           "AuthorizeSecurityGroupIngress", "CreateThing"})
    EXPECT_FALSE(is_idempotent(op("POST", name))) << name;
  // Decided for the operation.
  EXPECT_TRUE(is_idempotent(op("POST", "CompleteMultipartUpload", Idempotency::kIdempotent)));
  EXPECT_FALSE(is_idempotent(op("GET", "Odd", Idempotency::kNotIdempotent)));
}

TEST(RetryLoop, QuotaIsSharedByEveryCopyOfAConfig) {
  Harness h;
  h.config.retry.quota_capacity = 20;
  Config first = h.config, second = h.config;  // copies made before any client
  ServiceClient a(first, sts_info()), b(second, sts_info());
  h.transport->push(500, query_error("InternalError"));
  h.transport->push(500, query_error("InternalError"));
  h.transport->push(200, kOkBody);
  ASSERT_TRUE(h.call(a).ok());  // two retries at 5, the last one's 5 refunded
  EXPECT_EQ(h.quota(b), 15);
  EXPECT_EQ(h.config.retry_quota->available(), 15);
  // A Config given a quota of its own keeps it apart.
  Config apart = h.config;
  apart.retry_quota = std::make_shared<RetryQuota>();
  ServiceClient c(apart, sts_info());
  EXPECT_EQ(h.quota(c), 20);
}

}  // namespace
}  // namespace awsdl::internal
