#pragma once
// The sandbox AWS endpoint (tests/sandbox/) from an integration test's point of view: where
// it listens, a Config that talks to it, and its control API (reset, faults, request log).
//
//   awsdl::testsupport::Sandbox sandbox;
//   ASSERT_TRUE(sandbox.ok()) << sandbox.error();
//   ASSERT_TRUE(sandbox.reset());
//   ASSERT_TRUE(sandbox.set_faults(R"([{"service":"sts","operation":"GetCallerIdentity",
//                                       "kind":"error","code":"Throttling","status":400,"count":2}])"));
//   awsdl::sts::Client sts(sandbox.config());
//   ...
//   auto log = sandbox.requests();   // [{service, operation, status, error_code, ...}]
//
// The ctest fixture starts one sandbox for all integration tests and names its port file in
// AWSDL_SANDBOX_PORT_FILE. The sandbox is shared: reset() and faults affect every client of
// it, so tests that use them must not run concurrently with other sandbox tests (or must
// scope their faults with "access_key_id").
//
// Sandbox::tls() is a second sandbox serving HTTPS only (ctl.py start --tls, the ctest fixture
// "sandbox_tls", state in AWSDL_SANDBOX_TLS_STATE): its certificate comes from a CA made for
// the run (ca_file()); config() trusts that CA (Config::ca_bundle and the transport's), and
// endpoint() is https://127.0.0.1:PORT. A test file that says `Sandbox::tls(` gets that
// fixture instead of the plain one.

#include <rapidjson/document.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "awsdl/auth/credentials.hpp"
#include "awsdl/config.hpp"
#include "awsdl/core/error.hpp"
#include "awsdl/core/result.hpp"
#include "awsdl/core/runtime.hpp"
#include "awsdl/http/message.hpp"
#include "awsdl/http/transport.hpp"
#include "support/error_log_env.hpp"
#include "support/local_aws.hpp"

namespace awsdl::testsupport {

/// One entry of the sandbox's request log (GET /_sandbox/requests).
struct SandboxRequest {
  std::int64_t id = 0;
  std::string service;
  std::string operation;
  std::string method;
  std::string path;
  int status = 0;          // 0 when the connection was reset on purpose
  std::string error_code;  // empty on success
  std::string access_key_id;
  std::string fault;       // the fault kind applied, if any
};

class Sandbox {
 public:
  static constexpr const char* kAccessKeyId = kExampleAccessKeyId;
  static constexpr const char* kSecretAccessKey = kExampleSecretAccessKey;
  static constexpr const char* kOtherAccessKeyId = "AKIAIOSFODNN7EXAMPLE";
  static constexpr const char* kOtherSecretAccessKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
  static constexpr const char* kAccount = kExampleAccount;
  static constexpr const char* kRegion = kExampleRegion;

  /// Reads the port from $AWSDL_SANDBOX_PORT_FILE (or `port_file` when given).
  explicit Sandbox(std::string port_file = {}) {
    if (port_file.empty()) {
      const char* env = std::getenv("AWSDL_SANDBOX_PORT_FILE");
      if (env == nullptr || *env == '\0') {
        error_ = "AWSDL_SANDBOX_PORT_FILE is not set (run through ctest, which starts the sandbox fixture)";
        return;
      }
      port_file = env;
    }
    port_ = read_port_file(port_file);
    if (port_ == 0) {
      error_ = "cannot read a port from " + port_file + " (is the sandbox running?)";
      return;
    }
    transport_ = http::make_curl_transport();
  }

  /// The HTTPS sandbox whose state directory is $AWSDL_SANDBOX_TLS_STATE (or `state_dir`).
  static Sandbox tls(std::string state_dir = {}) {
    if (state_dir.empty()) {
      const char* env = std::getenv("AWSDL_SANDBOX_TLS_STATE");
      if (env == nullptr || *env == '\0') {
        Sandbox none(Unstarted{});
        none.error_ = "AWSDL_SANDBOX_TLS_STATE is not set (run through ctest, which starts the sandbox_tls fixture)";
        return none;
      }
      state_dir = env;
    }
    Sandbox s(state_dir + "/sandbox.port");
    if (!s.ok()) return s;
    s.scheme_ = "https";
    s.ca_file_ = state_dir + "/tls/ca.pem";
    if (!std::ifstream(s.ca_file_)) {
      s.port_ = 0;
      s.error_ = "no CA file " + s.ca_file_ + " (was the sandbox started with --tls?)";
      return s;
    }
    http::TransportOptions topts;
    topts.ca_bundle = s.ca_file_;
    s.transport_ = http::make_curl_transport(std::move(topts));
    return s;
  }

  bool ok() const { return port_ != 0; }
  const std::string& error() const { return error_; }
  int port() const { return port_; }
  std::string host_port() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string endpoint() const { return scheme_ + "://" + host_port(); }
  bool is_tls() const { return scheme_ == "https"; }
  /// The PEM file of the CA that signed a TLS sandbox's certificate; empty for plain HTTP.
  const std::string& ca_file() const { return ca_file_; }

  /// The environment for an example program run against the sandbox: the example static keys
  /// and region, nothing of the test's own (no ~/.aws below `home`, no IMDS), and the suite's
  /// error log hook so the program's errors are scanned for secrets too.
  static std::map<std::string, std::string> cli_env(const std::string& home) {
    std::map<std::string, std::string> env = example_cli_env(home);
    testsupport::add_error_log_hook(env);
    return env;
  }

  /// Region us-east-1, the example static keys, endpoint_url set to the sandbox, the system
  /// runtime and a curl transport (shared by every Config this object hands out; for a TLS
  /// sandbox it trusts ca_file(), and so does Config::ca_bundle).
  Config config() const { return config(kAccessKeyId, kSecretAccessKey); }

  Config config(std::string access_key_id, std::string secret_access_key, std::string session_token = {}) const {
    auth::Credentials creds;
    creds.access_key_id = std::move(access_key_id);
    creds.secret_access_key = std::move(secret_access_key);
    creds.session_token = std::move(session_token);
    creds.source = "sandbox";
    Config c = local_config(endpoint(), transport_, std::move(creds));
    c.ca_bundle = ca_file_;
    return c;
  }

  /// Drops all service state, faults and the request log.
  Status reset() const { return expect_ok(control("POST", "/_sandbox/reset", "")); }

  /// Adds fault rules: a JSON list (or one object) as described in tests/sandbox/README.md.
  Status set_faults(const std::string& json_rules) const {
    return expect_ok(control("POST", "/_sandbox/faults", json_rules));
  }
  Status clear_faults() const { return expect_ok(control("DELETE", "/_sandbox/faults", "")); }
  Status clear_requests() const { return expect_ok(control("DELETE", "/_sandbox/requests", "")); }

  /// The request log, oldest first; `since` keeps only entries with a larger id.
  Result<std::vector<SandboxRequest>> requests(std::int64_t since = 0) const {
    auto body = control("GET", "/_sandbox/requests?since=" + std::to_string(since), "");
    if (!body) return body.error();
    rapidjson::Document doc;
    doc.Parse(body->data(), body->size());
    if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("requests") || !doc["requests"].IsArray()) {
      return Error::make(ErrorKind::kParse, "SandboxLog", "unexpected /_sandbox/requests answer");
    }
    std::vector<SandboxRequest> out;
    for (const auto& e : doc["requests"].GetArray()) {
      if (!e.IsObject()) continue;
      SandboxRequest r;
      r.id = int_field(e, "id");
      r.service = string_field(e, "service");
      r.operation = string_field(e, "operation");
      r.method = string_field(e, "method");
      r.path = string_field(e, "path");
      r.status = static_cast<int>(int_field(e, "status"));
      r.error_code = string_field(e, "error_code");
      r.access_key_id = string_field(e, "access_key_id");
      r.fault = string_field(e, "fault");
      out.push_back(std::move(r));
    }
    return out;
  }

  /// Any control call: returns the JSON body of a 2xx answer.
  Result<std::string> control(const std::string& method, const std::string& path_and_query,
                              const std::string& body) const {
    if (!ok()) return Error::make(ErrorKind::kNotFound, "NoSandbox", error_);
    http::Request req;
    req.method = method;
    req.scheme = scheme_;
    req.host = host_port();
    auto q = path_and_query.find('?');
    req.path = path_and_query.substr(0, q);
    if (q != std::string::npos) req.query = path_and_query.substr(q + 1);
    req.body = body;
    if (!body.empty()) req.headers.set("Content-Type", "application/json");
    http::SendOptions opts;
    opts.attempt_timeout = Millis(10000);
    auto resp = transport_->send(req, opts);
    if (!resp) return resp.error();
    if (resp->status / 100 != 2) {
      Error e = Error::make(ErrorKind::kService, "SandboxControl",
                            method + " " + req.path + " answered " + std::to_string(resp->status) + ": " + resp->body);
      e.http_status = resp->status;
      return e;
    }
    return std::move(resp->body);
  }

 private:
  struct Unstarted {};
  explicit Sandbox(Unstarted) {}

  static Status expect_ok(Result<std::string> r) {
    if (!r) return r.error();
    return {};
  }
  static std::string string_field(const rapidjson::Value& v, const char* name) {
    auto it = v.FindMember(name);
    return it != v.MemberEnd() && it->value.IsString() ? std::string(it->value.GetString(), it->value.GetStringLength())
                                                       : std::string();
  }
  static std::int64_t int_field(const rapidjson::Value& v, const char* name) {
    auto it = v.FindMember(name);
    return it != v.MemberEnd() && it->value.IsInt64() ? it->value.GetInt64() : 0;
  }

  int port_ = 0;
  std::string error_;
  std::string scheme_ = "http";
  std::string ca_file_;
  std::shared_ptr<http::Transport> transport_;
};

}  // namespace awsdl::testsupport
