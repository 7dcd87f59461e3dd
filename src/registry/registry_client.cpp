#include "registry/registry_client.hpp"

#include <cctype>
#include <map>
#include <optional>

#include "core/retry_engine.hpp"
#include "util/crypto.hpp"
#include "util/json.hpp"

namespace awsdl::internal {
namespace {

std::string host_only(std::string_view host) {
  if (!host.empty() && host[0] == '[') {
    auto close = host.find(']');
    return std::string(host.substr(1, close == std::string_view::npos ? host.size() - 1 : close - 1));
  }
  auto colon = host.rfind(':');
  if (colon != std::string_view::npos && host.find(':') == colon) return std::string(host.substr(0, colon));
  return std::string(host);
}

// WWW-Authenticate: Bearer realm="...",service="...",scope="..."
std::map<std::string, std::string> parse_challenge(std::string_view v, std::string& scheme) {
  std::map<std::string, std::string> out;
  auto sp = v.find(' ');
  scheme = std::string(v.substr(0, sp));
  for (auto& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (sp == std::string_view::npos) return out;
  std::size_t i = sp + 1;
  while (i < v.size()) {
    while (i < v.size() && (v[i] == ' ' || v[i] == ',')) ++i;
    auto eq = v.find('=', i);
    if (eq == std::string_view::npos) break;
    std::string key(v.substr(i, eq - i));
    std::string val;
    i = eq + 1;
    if (i < v.size() && v[i] == '"') {
      ++i;
      while (i < v.size() && v[i] != '"') {
        if (v[i] == '\\' && i + 1 < v.size()) ++i;
        val.push_back(v[i++]);
      }
      ++i;
    } else {
      while (i < v.size() && v[i] != ',') val.push_back(v[i++]);
    }
    out[key] = val;
  }
  return out;
}

std::string url_encode(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') out.push_back(static_cast<char>(c));
    else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

struct Url {
  std::string scheme, host, path, query;
};

std::optional<Url> parse_url(std::string_view u) {
  Url r;
  auto p = u.find("://");
  if (p == std::string_view::npos) return std::nullopt;
  r.scheme = std::string(u.substr(0, p));
  u.remove_prefix(p + 3);
  auto slash = u.find_first_of("/?");
  r.host = std::string(u.substr(0, slash));
  u = slash == std::string_view::npos ? std::string_view() : u.substr(slash);
  auto q = u.find('?');
  r.path = std::string(u.substr(0, q));
  if (r.path.empty()) r.path = "/";
  if (q != std::string_view::npos) r.query = std::string(u.substr(q + 1));
  if (r.host.empty()) return std::nullopt;
  return r;
}

}  // namespace

bool is_loopback_host(std::string_view host) {
  std::string h = host_only(host);
  if (h == "localhost" || h == "::1") return true;
  if (h.rfind("127.", 0) != 0) return false;
  for (char c : h)
    if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '.')) return false;
  return true;
}

RegistryClient::RegistryClient(const registry::PushOptions& options, const Config& config)
    : options_(options),
      transport_(config.transport),
      retry_(config.retry),
      runtime_(complete_runtime(config.runtime)),
      repository_(options.repository) {
  if (!transport_) {
    http::TransportOptions topts;
    topts.ca_bundle = config.ca_bundle;
    transport_ = http::make_curl_transport(std::move(topts));
  }
  scheme_ = options.insecure ? "http" : "https";
}

RetryPolicy RegistryClient::retry_policy(std::string what) const {
  RetryPolicy p;
  p.max_attempts = std::max(1, retry_.max_attempts);
  p.backoff = Backoff::standard(retry_);
  p.cancel = options_.cancel;
  p.what = std::move(what);
  return p;
}

Result<http::Response> RegistryClient::send_with_retries(const std::string& what, const std::function<bool()>& resend,
                                                         const std::function<Result<http::Response>()>& once) {
  std::optional<Result<http::Response>> last;
  Status done = retry(runtime_, retry_policy(what), [&](int attempt) -> Status {
    if (attempt > 1 && resend && !resend()) return Error::make(ErrorKind::kInternal, "NotResent", what);
    last = once();
    bool again = *last ? retryable_status((*last)->status) : last->error().retryable;
    if (again) return Error::make(ErrorKind::kService, "RetryableAnswer", what, true);
    return {};
  });
  // Cancelled (or past a deadline) before an attempt or while waiting for the next: that,
  // rather than the answer before it.
  if (!last || (!done && (done.error().kind == ErrorKind::kCancelled || done.error().kind == ErrorKind::kTimeout)))
    return std::move(done).error();
  return std::move(*last);
}

http::Request RegistryClient::make(std::string method, std::string path, std::string query) const {
  http::Request r;
  r.method = std::move(method);
  r.scheme = scheme_;
  r.host = options_.registry;
  r.path = std::move(path);
  r.query = std::move(query);
  return r;
}

Result<http::Request> RegistryClient::at_location(std::string method, std::string_view location) const {
  if (location.empty())
    return Error::make(ErrorKind::kParse, "RegistryProtocolError", "the registry gave no upload Location");
  http::Request r = make(std::move(method), "/");
  if (location[0] == '/') {
    auto q = location.find('?');
    r.path = std::string(location.substr(0, q));
    if (q != std::string_view::npos) r.query = std::string(location.substr(q + 1));
    return r;
  }
  auto u = parse_url(location);
  if (!u) return Error::make(ErrorKind::kParse, "RegistryProtocolError", "the registry gave a malformed upload Location");
  // Uploads may go to another host (a storage front end), but never over plain HTTP to a
  // non-loopback address.
  if (u->scheme != "https" && !(u->scheme == "http" && is_loopback_host(u->host)))
    return Error::make(ErrorKind::kInvalidArgument, "InsecureLocation",
                       "the registry redirected an upload to plain HTTP on " + u->host + "; refused");
  r.scheme = u->scheme;
  r.host = u->host;
  r.path = u->path;
  r.query = u->query;
  return r;
}

void RegistryClient::authorize(http::Request& request) const {
  std::lock_guard<std::mutex> lock(mu_);
  // Credentials go only to the registry's own origin, never to an upload redirect target.
  if (!authorization_.empty() && request.host == options_.registry) request.headers.set("Authorization", authorization_);
}

Result<void> RegistryClient::fetch_token(const std::string& challenge) {
  std::string scheme;
  auto params = parse_challenge(challenge, scheme);
  auto realm = parse_url(params["realm"]);
  if (!realm) return Error::make(ErrorKind::kParse, "RegistryProtocolError", "the registry's Bearer challenge has no usable realm");
  if (realm->scheme != "https" && !(realm->scheme == "http" && is_loopback_host(realm->host)))
    return Error::make(ErrorKind::kInvalidArgument, "InsecureRealm", "the token realm " + realm->host + " is plain HTTP; refused");
  http::Request r;
  r.method = "GET";
  r.scheme = realm->scheme;
  r.host = realm->host;
  r.path = realm->path;
  std::string q = realm->query;
  auto add = [&](std::string_view k, std::string_view v) {
    if (!q.empty()) q += "&";
    q += std::string(k) + "=" + url_encode(v);
  };
  if (!params["service"].empty()) add("service", params["service"]);
  add("scope", "repository:" + repository_ + ":pull,push");
  r.query = q;
  if (options_.credentials) {
    r.headers.set("Authorization",
                  "Basic " + base64_encode(options_.credentials->username + ":" + options_.credentials->password));
  }
  auto resp = send_with_retries("registry token request", nullptr,
                                [&] { return transport_->send(r, http::SendOptions{.cancel = options_.cancel}); });
  if (!resp) return std::move(resp).error();
  if (resp->status == 401 || resp->status == 403)
    return Error::make(ErrorKind::kCredentials, "RegistryAuthFailed",
                       "the token service of " + options_.registry + " rejected the credentials" +
                           (options_.credentials ? " of user '" + options_.credentials->username + "'" : std::string(" (none given)")));
  if (resp->status != 200) return error_from(*resp, "token request");
  AWSDL_ASSIGN_OR_RETURN(auto doc, JsonDocument::parse(resp->body, "token response"));
  std::string token = json_string_or(doc.root(), "token");
  if (token.empty()) token = json_string_or(doc.root(), "access_token");
  if (token.empty()) return Error::make(ErrorKind::kParse, "RegistryProtocolError", "the token response holds no token");
  std::lock_guard<std::mutex> lock(mu_);
  authorization_ = "Bearer " + token;
  bearer_ = true;
  bearer_challenge_ = challenge;
  return {};
}

Result<void> RegistryClient::connect() {
  if (options_.registry.empty() || options_.registry.find_first_of("/ @?#") != std::string::npos)
    return Error::invalid_argument("InvalidRegistry", "registry must be HOST[:PORT], got '" + options_.registry + "'");
  if (options_.insecure && !is_loopback_host(options_.registry))
    return Error::invalid_argument("InsecureNotAllowed",
                                   "plain HTTP (insecure) is only allowed for loopback registries, not " + options_.registry);
  auto r = make("GET", "/v2/");
  AWSDL_ASSIGN_OR_RETURN(auto resp, send(r));
  if (resp.status == 200) return {};
  if (resp.status != 401) return error_from(resp, "registry probe (GET /v2/)");
  std::string challenge(resp.headers.get("WWW-Authenticate").value_or(""));
  std::string scheme;
  parse_challenge(challenge, scheme);
  if (scheme == "bearer") return fetch_token(challenge);
  if (!options_.credentials)
    return Error::make(ErrorKind::kCredentials, "RegistryAuthRequired", options_.registry + " requires credentials");
  {
    std::lock_guard<std::mutex> lock(mu_);
    authorization_ = "Basic " + base64_encode(options_.credentials->username + ":" + options_.credentials->password);
  }
  r = make("GET", "/v2/");
  AWSDL_ASSIGN_OR_RETURN(resp, send(r));
  if (resp.status == 401 || resp.status == 403)
    return Error::make(ErrorKind::kCredentials, "RegistryAuthFailed",
                       options_.registry + " rejected the credentials of user '" + options_.credentials->username + "'");
  if (resp.status != 200) return error_from(resp, "registry probe (GET /v2/)");
  return {};
}

Result<http::Response> RegistryClient::send_authed(http::Request& request, const http::SendOptions& options) {
  authorize(request);
  AWSDL_ASSIGN_OR_RETURN(auto resp, transport_->send(request, options));
  bool bearer = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    bearer = bearer_;
  }
  // An expired Bearer token: renew once and resend (bodies are small or rewindable here).
  if (resp.status == 401 && bearer && request.host == options_.registry &&
      (!request.body_source || request.rewind_body)) {
    std::string challenge(resp.headers.get("WWW-Authenticate").value_or(""));
    if (challenge.empty()) {
      std::lock_guard<std::mutex> lock(mu_);
      challenge = bearer_challenge_;
    }
    AWSDL_TRY(fetch_token(challenge));
    if (request.body_source && !request.rewind_body()) return resp;
    authorize(request);
    return transport_->send(request, options);
  }
  return resp;
}

Result<http::Response> RegistryClient::send(http::Request request, const http::SendOptions& options) {
  http::SendOptions opts = options;
  opts.cancel = options_.cancel;
  const bool can_resend = !request.body_source || static_cast<bool>(request.rewind_body);
  auto resend = [&] { return can_resend && (!request.body_source || request.rewind_body()); };
  return send_with_retries("registry " + request.method + " " + request.path, resend,
                           [&] { return send_authed(request, opts); });
}

Result<http::Response> RegistryClient::send_once(http::Request request, const http::SendOptions& options) {
  http::SendOptions opts = options;
  opts.cancel = options_.cancel;
  authorize(request);
  AWSDL_ASSIGN_OR_RETURN(auto resp, transport_->send(request, opts));
  bool bearer = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    bearer = bearer_;
  }
  // The body is gone, so it cannot be resent here: renew the token and report a retryable
  // failure, so that the whole blob upload starts over with the new one.
  if (resp.status == 401 && bearer && request.host == options_.registry) {
    std::string challenge(resp.headers.get("WWW-Authenticate").value_or(""));
    if (challenge.empty()) {
      std::lock_guard<std::mutex> lock(mu_);
      challenge = bearer_challenge_;
    }
    AWSDL_TRY(fetch_token(challenge));
    Error e = Error::make(ErrorKind::kCredentials, "RegistryTokenExpired",
                          "the registry token expired during an upload; renewed", true);
    e.http_status = 401;
    return e;
  }
  return resp;
}

Error RegistryClient::error_from(const http::Response& response, std::string_view what) const {
  std::string code = "RegistryError";
  std::string message;
  if (auto doc = JsonDocument::parse(response.body, "registry error")) {
    if (const auto* errors = json_array(doc->root(), "errors"); errors && errors->Size() > 0) {
      code = json_string_or((*errors)[0], "code", code);
      message = json_string_or((*errors)[0], "message");
    }
  }
  ErrorKind kind = ErrorKind::kService;
  if (response.status == 401 || response.status == 403) {
    kind = ErrorKind::kCredentials;
    if (code == "RegistryError") code = "RegistryAuthFailed";
  }
  std::string text = std::string(what) + " on " + options_.registry + "/" + repository_ + " failed";
  if (!message.empty()) text += ": " + message;
  Error e = Error::make(kind, code, text, retryable_status(response.status));
  e.http_status = response.status;
  return e;
}

}  // namespace awsdl::internal
