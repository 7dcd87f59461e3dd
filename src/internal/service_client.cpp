#include "internal/service_client.hpp"

#include <atomic>
#include <chrono>

#include "awsdl/auth/sigv4.hpp"
#include "internal/error_parser.hpp"
#include "core/retry_engine.hpp"
#include "internal/json_protocol.hpp"

namespace awsdl::internal {
namespace {

std::string join_path(const std::string& prefix, const std::string& path) {
  if (prefix.empty()) return path.empty() ? "/" : path;
  if (path.empty() || path == "/") return prefix;
  return prefix + path;
}

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

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
  req.scheme = ep.scheme;
  if (!op.bucket.empty() && info_.is_s3()) {
    BucketAddress a = s3_bucket_address(ep, op.bucket, config_.s3_force_path_style);
    req.host = a.endpoint.host;
    req.path = join_path(a.path_prefix, req.path);
  } else {
    req.host = ep.host;
    req.path = join_path(ep.base_path, req.path);
  }
  const http::Headers base_headers = req.headers;
  if (op.sign && !config_.credentials)
    return Error::make(ErrorKind::kCredentials, "NoCredentials",
                       what + ": no credentials configured (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a profile)");

  RetryContext ctx;
  ctx.options = config_.retry;
  ctx.runtime = config_.runtime;
  ctx.quota = config_.retry_quota;
  ctx.skew = skew_;
  ctx.deadline = op.options.deadline;
  if (config_.timeouts.call.count() > 0)
    ctx.deadline = ctx.deadline.min(Deadline::after(config_.timeouts.call, *config_.runtime.clock));
  ctx.attempt_timeout = config_.timeouts.attempt;
  ctx.cancel = op.options.cancel;
  ctx.logger = config_.logger;
  ctx.what = what;
  ctx.idempotent = is_idempotent(op);

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
      auto creds = config_.credentials->get();
      if (!creds) {
        Error e = std::move(creds).error();
        if (e.kind == ErrorKind::kNotFound) {
          e.kind = ErrorKind::kCredentials;
          // The default chain's message already opens with it.
          if (e.message.rfind("no credentials found", 0) != 0) e.message = "no credentials found: " + e.message;
        }
        e.retryable = false;
        return AttemptResult::failure(std::move(e));
      }
      auth::SigningParams params;
      params.region = ep.signing_region;
      params.service = info_.signing_name;
      params.time = info.signing_time;
      params.double_uri_encode = !info_.is_s3();
      params.normalize_path = !info_.is_s3();
      params.payload_hash = op.payload_hash;
      params.add_content_sha256_header = info_.is_s3();
      params.key_cache = config_.signing_keys.get();
      auto signed_req = auth::sign_request(req, *creds, params);
      if (!signed_req) return AttemptResult::failure(std::move(signed_req).error());
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
    if (!result) {
      Error e = std::move(result).error();
      if (e.message.find(what) == std::string::npos) e.message = what + ": " + e.message;
      return AttemptResult::failure(std::move(e));
    }
    http::Response resp = std::move(*result);
    if (resp.status < 200 || resp.status >= 300) {
      Error e = parse_error_response(resp, info_.protocol);
      return AttemptResult::failure(std::move(e), std::move(resp));
    }
    if (op.check) {
      if (auto e = op.check(resp)) return AttemptResult::failure(std::move(*e), std::move(resp));
    }
    return AttemptResult::success(std::move(resp));
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
    if (!doc) {
      Error e = std::move(doc).error();
      e.message += "; the answer was probably cut off";
      e.http_status = r.status;
      e.retryable = true;
      return e;
    }
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
    if (!doc) {
      Error e = std::move(doc).error();
      e.message += "; the answer was probably cut off";
      e.http_status = r.status;
      e.retryable = true;
      return e;
    }
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
