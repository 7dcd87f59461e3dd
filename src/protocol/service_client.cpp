#include "protocol/service_client.hpp"

#include <atomic>
#include <chrono>

#include "awsdl/auth/sigv4.hpp"
#include "protocol/error_parser.hpp"
#include "core/retry_engine.hpp"
#include "protocol/json_protocol.hpp"

namespace awsdl::internal {
namespace {

std::string join_path(const std::string& prefix, const std::string& path) {
  if (prefix.empty()) return path.empty() ? "/" : path;
  if (path.empty() || path == "/") return prefix;
  return prefix + path;
}

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// The request's host and path on the endpoint; an S3 bucket virtual-hosted or path-style as
// the endpoint and the configuration allow.
void address(http::Request& req, const Endpoint& ep, const ServiceInfo& service, const Config& config,
             const std::string& bucket) {
  req.scheme = ep.scheme;
  if (!bucket.empty() && service.is_s3()) {
    BucketAddress a = s3_bucket_address(ep, bucket, config.s3_force_path_style);
    req.host = a.endpoint.host;
    req.path = join_path(a.path_prefix, req.path);
  } else {
    req.host = ep.host;
    req.path = join_path(ep.base_path, req.path);
  }
}

RetryContext retry_context(const Config& config, const std::shared_ptr<ClockSkew>& skew, const CallOptions& options,
                           const std::string& what) {
  RetryContext ctx;
  ctx.options = config.retry;
  ctx.runtime = config.runtime;
  ctx.quota = config.retry_quota;
  ctx.skew = skew;
  ctx.deadline = options.deadline;
  if (config.timeouts.call.count() > 0)
    ctx.deadline = ctx.deadline.min(Deadline::after(config.timeouts.call, *config.runtime.clock));
  ctx.attempt_timeout = config.timeouts.attempt;
  ctx.cancel = options.cancel;
  ctx.logger = config.logger;
  ctx.what = what;
  return ctx;
}

// Signs `req` for one attempt with the credentials as they are now. A provider that finds
// none is a kCredentials error, never retried.
Status sign_attempt(http::Request& req, const Config& config, const ServiceInfo& service, const Endpoint& ep,
                    const OperationRequest& op, WallTime signing_time) {
  auto creds = config.credentials->get();
  if (!creds) {
    Error e = std::move(creds).error();
    if (e.kind == ErrorKind::kNotFound) {
      e.kind = ErrorKind::kCredentials;
      // The default chain's message already opens with it.
      if (e.message.rfind("no credentials found", 0) != 0) e.message = "no credentials found: " + e.message;
    }
    e.retryable = false;
    return e;
  }
  auth::SigningParams params;
  params.region = ep.signing_region;
  params.service = service.signing_name;
  params.time = signing_time;
  params.double_uri_encode = !service.is_s3();
  params.normalize_path = !service.is_s3();
  params.payload_hash = op.payload_hash;
  params.add_content_sha256_header = service.is_s3();
  params.key_cache = config.signing_keys.get();
  auto signed_req = auth::sign_request(req, *creds, params);
  if (!signed_req) return std::move(signed_req).error();
  return {};
}

// What one attempt's answer is: the transport's failure (named for the operation), the
// service's error for a non-2xx status, what the operation's check finds in a 2xx, or success.
AttemptResult classify(Result<http::Response> result, const OperationRequest& op, const ServiceInfo& service,
                       const std::string& what) {
  if (!result) {
    Error e = std::move(result).error();
    if (e.message.find(what) == std::string::npos) e.message = what + ": " + e.message;
    return AttemptResult::failure(std::move(e));
  }
  http::Response resp = std::move(*result);
  if (resp.status < 200 || resp.status >= 300) {
    Error e = parse_error_response(resp, service.protocol);
    return AttemptResult::failure(std::move(e), std::move(resp));
  }
  if (op.check) {
    if (auto e = op.check(resp)) return AttemptResult::failure(std::move(*e), std::move(resp));
  }
  return AttemptResult::success(std::move(resp));
}

// A 2xx answer whose document does not parse: most likely cut off, so worth another attempt.
Error cut_off(Error e, int status) {
  e.message += "; the answer was probably cut off";
  e.http_status = status;
  e.retryable = true;
  return e;
}

}  // namespace

bool is_idempotent(const OperationRequest& op) {
  switch (op.idempotency) {
    case Idempotency::kIdempotent: return true;
    case Idempotency::kNotIdempotent: return false;
    case Idempotency::kByRule: break;
  }
  const std::string& m = op.http.method;
  if (m == "GET" || m == "HEAD" || m == "PUT" || m == "DELETE" || m == "OPTIONS") return true;
  for (std::string_view prefix : {"Describe", "Get", "List", "Head", "Filter", "Search", "Validate", "BatchCheck",
                                  "BatchGet", "Delete"})
    if (starts_with(op.operation, prefix)) return true;
  return false;
}

ServiceClient::ServiceClient(Config config, ServiceInfo info, std::string endpoint_override)
    : config_(std::move(config)),
      info_(std::move(info)),
      endpoint_override_(std::move(endpoint_override)),
      skew_(std::make_shared<ClockSkew>()) {
  // The Config's quota, shared with its copies; a Config that has none gets one of its own.
  if (config_.retry_quota) config_.retry_quota->size_once(config_.retry.quota_capacity);
  else config_.retry_quota = std::make_shared<RetryQuota>(config_.retry.quota_capacity);
  config_.runtime = complete_runtime(std::move(config_.runtime));
}

Result<Endpoint> ServiceClient::endpoint() const { return resolve_endpoint(info_, config_, endpoint_override_); }

Result<http::Response> ServiceClient::send(OperationRequest op) const {
  const std::string what = info_.env_name + " " + op.operation;
  if (!config_.transport)
    return Error::invalid_argument("NoTransport", what + ": the configuration has no HTTP transport");
  AWSDL_ASSIGN_OR_RETURN(Endpoint ep, endpoint());

  http::Request req = std::move(op.http);
  address(req, ep, info_, config_, op.bucket);
  const http::Headers base_headers = req.headers;
  if (op.sign && !config_.credentials)
    return Error::make(ErrorKind::kCredentials, "NoCredentials",
                       what + ": no credentials configured (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a profile)");
  RetryContext ctx = retry_context(config_, skew_, op.options, what);
  ctx.idempotent = is_idempotent(op);
  ctx.retry_codes = op.retry_codes;

  auto delivered = std::make_shared<std::atomic<std::uint64_t>>(0);
  http::SendOptions send_options;
  send_options.cancel = op.options.cancel;
  send_options.progress = op.progress;
  send_options.max_body_bytes = op.max_body_bytes;
  send_options.min_bytes_per_second = op.min_bytes_per_second;
  if (op.sink) {
    send_options.sink = [sink = op.sink, delivered](std::string_view chunk) -> Result<void> {
      delivered->fetch_add(chunk.size());
      return sink(chunk);
    };
  }

  auto attempt = [&](const AttemptInfo& info) -> AttemptResult {
    req.headers = base_headers;
    if (op.sign) {
      if (auto signed_ok = sign_attempt(req, config_, info_, ep, op, info.signing_time); !signed_ok)
        return AttemptResult::failure(std::move(signed_ok).error());
    }
    send_options.attempt_timeout = info.timeout;
    auto* clock = config_.runtime.clock.get();
    auto start = clock->steady_now();
    auto result = config_.transport->send(req, send_options);
    auto ms = std::chrono::duration_cast<Millis>(clock->steady_now() - start).count();
    if (config_.logger.enabled(LogLevel::kDebug)) {
      std::string line = what + " attempt " + std::to_string(info.number) + ": " + req.method + " " + req.host + req.path +
                         " -> " + (result ? std::to_string(result->status) : "failed (" + result.error().code + ")") +
                         " in " + std::to_string(ms) + " ms";
      config_.logger.log(LogLevel::kDebug, line);
    }
    return classify(std::move(result), op, info_, what);
  };

  auto prepare_retry = [&]() -> bool {
    if (delivered->load() > 0) {
      if (!op.rewind_sink || !op.rewind_sink()) return false;
      delivered->store(0);
    }
    if (req.body_source) return req.rewind_body && req.rewind_body();
    return true;
  };

  return run_with_retries(ctx, attempt, prepare_retry);
}

Result<XmlDocument> ServiceClient::call_query(const QueryRequest& request, const CallOptions& options, bool sign,
                                              Idempotency idempotency) const {
  OperationRequest op;
  op.operation = request.action();
  op.http = request.to_http();
  op.sign = sign;
  op.options = options;
  op.idempotency = idempotency;
  // The service does a request with a client token once, however often it is sent.
  if (idempotency == Idempotency::kByRule && (request.get("ClientToken") || request.get("ClientRequestToken")))
    op.idempotency = Idempotency::kIdempotent;
  std::optional<XmlDocument> parsed;
  op.check = [&parsed](const http::Response& r) -> std::optional<Error> {
    auto doc = XmlDocument::parse(r.body);
    if (!doc) return cut_off(std::move(doc).error(), r.status);
    // An error document with a 2xx is an error like any other, retried as classified
    // (a 200 <ErrorResponse> with InternalError is worth another attempt).
    if (auto e = xml_error_document(*doc, r.status)) return e;
    parsed = std::move(*doc);
    return std::nullopt;
  };
  AWSDL_TRY(send(std::move(op)));
  return std::move(*parsed);
}

Result<JsonDocument> ServiceClient::call_json(std::string_view operation, std::string body, const CallOptions& options,
                                              Idempotency idempotency) const {
  OperationRequest op;
  op.operation = std::string(operation);
  op.http = json_request(info_, operation, std::move(body));
  op.options = options;
  op.idempotency = idempotency;
  std::optional<JsonDocument> parsed;
  op.check = [&parsed](const http::Response& r) -> std::optional<Error> {
    auto doc = JsonDocument::parse(r.body.empty() ? std::string_view("{}") : std::string_view(r.body));
    if (!doc) return cut_off(std::move(doc).error(), r.status);
    parsed = std::move(*doc);
    return std::nullopt;
  };
  AWSDL_TRY(send(std::move(op)));
  return std::move(*parsed);
}

Result<http::Response> ServiceClient::call_rest(const RestRequest& request, OperationRequest op) const {
  AWSDL_ASSIGN_OR_RETURN(http::Request http, request.to_http());
  http.body_source = std::move(op.http.body_source);
  http.body_length = op.http.body_length;
  http.rewind_body = std::move(op.http.rewind_body);
  op.http = std::move(http);
  return send(std::move(op));
}

Result<pugi::xml_node> query_result(const XmlDocument& doc, std::string_view action) {
  AWSDL_ASSIGN_OR_RETURN(pugi::xml_node root, xml_answer_root(doc, action));
  const std::string element = std::string(action) + "Result";
  if (auto result = xml_child(root, element)) return result;
  return Error::make(ErrorKind::kParse, "UnexpectedResponse",
                     std::string(action) + ": the answer (<" + doc.root_name() + ">) has no <" + element +
                         "> element: check that the endpoint speaks this AWS API");
}

}  // namespace awsdl::internal
