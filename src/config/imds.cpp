// IMDSv2: a session token, then the instance role's name and credentials, or the region.
// Off EC2 the endpoint does not answer: each request is short and tried once by default,
// so the default chain gives up in well under a second.

#include <algorithm>
#include <cctype>
#include <optional>
#include <string_view>

#include <fmt/format.h>

#include "auth/provider_support.hpp"
#include "awsdl/auth/credentials.hpp"
#include "awsdl/core/log.hpp"
#include "awsdl/core/retry.hpp"
#include "protocol/endpoint.hpp"
#include "util/json.hpp"

namespace awsdl::auth {

namespace {

constexpr const char* kDefaultEndpoint = "http://169.254.169.254";
constexpr const char* kDefaultIpv6Endpoint = "http://[fd00:ec2::254]";
constexpr const char* kTokenTtlHeader = "X-aws-ec2-metadata-token-ttl-seconds";
constexpr const char* kTokenHeader = "X-aws-ec2-metadata-token";
constexpr const char* kTokenTtl = "21600";

Error imds_error(ErrorKind kind, std::string code, std::string message, int status = 0) {
  auto e = Error::make(kind, std::move(code), std::move(message));
  e.http_status = status;
  return e;
}

class ImdsClient {
 public:
  ImdsClient(ImdsOptions options, std::shared_ptr<http::Transport> transport, Runtime runtime = {})
      : options_(std::move(options)), transport_(std::move(transport)), runtime_(std::move(runtime)) {}

  /// kNotFound when IMDS is disabled or the endpoint is not there.
  Status open() {
    if (internal::env_true("AWS_EC2_METADATA_DISABLED"))
      return internal::credentials_not_configured("IMDS: disabled by AWS_EC2_METADATA_DISABLED");
    if (!transport_)
      return internal::credentials_error("NoTransport", "IMDS: no HTTP transport");
    std::string endpoint = options_.endpoint;
    if (endpoint.empty()) endpoint = internal::env_value("AWS_EC2_METADATA_SERVICE_ENDPOINT").value_or("");
    if (endpoint.empty()) {
      auto mode = internal::env_value("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE").value_or("IPv4");
      endpoint = (mode == "IPv6" || mode == "ipv6") ? kDefaultIpv6Endpoint : kDefaultEndpoint;
    }
    endpoint_ = endpoint;
    auto parsed = internal::parse_endpoint_url(endpoint);
    if (!parsed) {
      auto e = std::move(parsed).error();
      e.message = "IMDS endpoint: " + e.message;
      return e;
    }
    scheme_ = parsed->scheme;
    host_ = parsed->host;
    base_path_ = parsed->base_path;
    return {};
  }

  Status fetch_token() {
    http::Request req = request("PUT", "/latest/api/token");
    req.headers.set(kTokenTtlHeader, kTokenTtl);
    AWSDL_ASSIGN_OR_RETURN(auto resp, send(req));
    if (resp.status == 200) {
      token_ = resp.body;
      while (!token_.empty() && (token_.back() == '\n' || token_.back() == '\r')) token_.pop_back();
      register_secret(token_);
      if (!token_.empty()) return {};
      return imds_error(ErrorKind::kParse, "ImdsError", "IMDS answered the token request with an empty token", 200);
    }
    if (resp.status == 403 || resp.status == 404 || resp.status == 405)
      return imds_error(ErrorKind::kNotFound, "ImdsUnavailable",
                        fmt::format("IMDS at {} refused a session token (HTTP {}): IMDSv2 is off or the "
                                    "metadata endpoint is disabled for this instance",
                                    endpoint_, resp.status),
                        resp.status);
    return imds_error(ErrorKind::kCredentials, "ImdsError",
                      fmt::format("IMDS at {} answered the token request with HTTP {}", endpoint_, resp.status),
                      resp.status);
  }

  /// GET with the token; `what` names the resource in errors.
  Result<http::Response> get(const std::string& path, const std::string& what) {
    http::Request req = request("GET", path);
    req.headers.set(kTokenHeader, token_);
    AWSDL_ASSIGN_OR_RETURN(auto resp, send(req));
    if (resp.status == 200) return resp;
    if (resp.status == 401)
      return imds_error(ErrorKind::kCredentials, "ImdsUnauthorized",
                        fmt::format("IMDS at {} rejected the session token when reading {} (HTTP 401)", endpoint_, what),
                        401);
    if (resp.status == 404)
      return imds_error(ErrorKind::kNotFound, "ImdsNotFound",
                        fmt::format("IMDS at {} has no {} (HTTP 404)", endpoint_, what), 404);
    return imds_error(ErrorKind::kCredentials, "ImdsError",
                      fmt::format("IMDS at {} answered HTTP {} when reading {}", endpoint_, resp.status, what),
                      resp.status);
  }

  const std::string& endpoint() const { return endpoint_; }

 private:
  http::Request request(const std::string& method, const std::string& path) const {
    http::Request req;
    req.method = method;
    req.scheme = scheme_;
    req.host = host_;
    req.path = base_path_ + path;
    return req;
  }

  // Network failures and 5xx are tried again up to `attempts` times, at once (the toolkit's
  // retry: each request is short); off EC2 a timeout or refused connection means "not
  // here", hence kNotFound.
  Result<http::Response> send(const http::Request& req) {
    http::SendOptions opts;
    opts.attempt_timeout = options_.timeout;
    RetryPolicy policy;
    policy.max_attempts = std::max(1, options_.attempts);
    policy.backoff = Backoff{Millis(0), 1.0, Millis(0), false};
    policy.retryable = [](const Error&) { return true; };
    policy.what = "IMDS at " + endpoint_;
    auto sent = retry(runtime_, policy, [&](int) -> Result<http::Response> {
      auto r = transport_->send(req, opts);
      if (!r.ok() || r->status < 500) return r;
      Error e = imds_error(ErrorKind::kCredentials, "ImdsError",
                           fmt::format("IMDS at {} answered HTTP {}", endpoint_, r->status), r->status);
      e.retryable = true;
      return e;
    });
    if (sent) return sent;
    Error last = std::move(sent).error();
    if (last.kind == ErrorKind::kNetwork || last.kind == ErrorKind::kTimeout) {
      return imds_error(ErrorKind::kNotFound, "ImdsUnavailable",
                        fmt::format("IMDS at {} did not answer ({}{}): not running on EC2?", endpoint_,
                                    last.kind == ErrorKind::kTimeout ? "timed out" : "unreachable",
                                    last.kind == ErrorKind::kTimeout
                                        ? fmt::format(" after {} ms", options_.timeout.count())
                                        : std::string()));
    }
    return last;
  }

  ImdsOptions options_;
  std::shared_ptr<http::Transport> transport_;
  Runtime runtime_;
  std::string endpoint_, scheme_, host_, base_path_, token_;
};

bool valid_role_name(const std::string& role) {
  if (role.empty() || role.size() > 128) return false;
  for (unsigned char c : role)
    if (!std::isalnum(c) && std::string_view("+=,.@_-").find(static_cast<char>(c)) == std::string_view::npos)
      return false;
  return true;
}

Result<Credentials> parse_role_credentials(const std::string& body, const std::string& role, WallTime now) {
  auto bad = [&](const std::string& why) {
    return imds_error(ErrorKind::kParse, "ImdsMalformedCredentials",
                      fmt::format("IMDS credentials for role {}: {}", role, why), 200);
  };
  auto doc = internal::JsonDocument::parse(body, "IMDS credentials");  // depth-limited
  if (!doc || !doc->root().IsObject()) return bad("the answer is not a JSON object");
  auto str = [&](const char* name) { return internal::json_string(doc->root(), name); };
  if (auto code = str("Code"); code && *code != "Success")
    return imds_error(ErrorKind::kCredentials, "ImdsError",
                      fmt::format("IMDS credentials for role {} are not available: Code {}", role, code->substr(0, 64)),
                      200);
  Credentials c;
  c.access_key_id = str("AccessKeyId").value_or("");
  c.secret_access_key = str("SecretAccessKey").value_or("");
  c.session_token = str("Token").value_or("");
  internal::register_credentials_secrets(c);
  if (c.access_key_id.empty() || c.secret_access_key.empty()) return bad("no AccessKeyId or SecretAccessKey");
  if (auto exp = str("Expiration")) {
    auto t = internal::parse_timestamp(*exp);
    if (!t) return bad("Expiration is not an ISO 8601 timestamp");
    c.expiration = *t;
  }
  c.source = "imds:" + role;
  return internal::usable_credentials(std::move(c), now);
}

class ImdsProvider final : public CredentialsProvider {
 public:
  ImdsProvider(ImdsOptions options, std::shared_ptr<http::Transport> transport, Runtime runtime)
      : options_(std::move(options)), transport_(std::move(transport)), runtime_(std::move(runtime)) {
    if (!runtime_.clock) runtime_ = Runtime::system();
  }

  Result<Credentials> get() override {
    ImdsClient imds(options_, transport_, runtime_);
    AWSDL_TRY(imds.open());
    AWSDL_TRY(imds.fetch_token());
    const std::string base = "/latest/meta-data/iam/security-credentials/";
    auto roles = imds.get(base, "IAM role");
    if (!roles) {
      auto e = std::move(roles).error();
      if (e.kind == ErrorKind::kNotFound)
        e.message = fmt::format("IMDS at {}: no IAM role is attached to this instance", imds.endpoint());
      return e;
    }
    auto body = std::string_view(roles->body);
    auto role = std::string(body.substr(0, body.find_first_of("\r\n")));
    while (!role.empty() && role.back() == ' ') role.pop_back();
    if (role.empty())
      return internal::credentials_not_configured(
          fmt::format("IMDS at {}: no IAM role is attached to this instance", imds.endpoint()));
    if (!valid_role_name(role))
      return imds_error(ErrorKind::kParse, "ImdsMalformedCredentials",
                        fmt::format("IMDS at {} named an IAM role that is not a valid role name", imds.endpoint()));
    auto creds = imds.get(base + role, "credentials for role " + role);
    if (!creds) {
      auto e = std::move(creds).error();
      if (e.kind == ErrorKind::kNotFound) e.kind = ErrorKind::kCredentials;  // the role was listed a moment ago
      return e;
    }
    return parse_role_credentials(creds->body, role, runtime_.clock->wall_now());
  }

 private:
  ImdsOptions options_;
  std::shared_ptr<http::Transport> transport_;
  Runtime runtime_;
};

}  // namespace

CredentialsProviderPtr imds_provider(ImdsOptions options, std::shared_ptr<http::Transport> transport,
                                     Runtime runtime) {
  return std::make_shared<ImdsProvider>(std::move(options), std::move(transport), std::move(runtime));
}

Result<std::string> imds_region(ImdsOptions options, std::shared_ptr<http::Transport> transport) {
  ImdsClient imds(std::move(options), std::move(transport));
  AWSDL_TRY(imds.open());
  AWSDL_TRY(imds.fetch_token());
  AWSDL_ASSIGN_OR_RETURN(auto resp, imds.get("/latest/meta-data/placement/region", "region"));
  auto region = resp.body;
  while (!region.empty() && std::isspace(static_cast<unsigned char>(region.back()))) region.pop_back();
  if (region.empty())
    return imds_error(ErrorKind::kParse, "ImdsError", fmt::format("IMDS at {} answered an empty region", imds.endpoint()),
                      200);
  return region;
}

}  // namespace awsdl::auth
