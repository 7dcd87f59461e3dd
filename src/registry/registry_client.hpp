#pragma once
// One registry, one repository: requests with authentication (Basic, or a Bearer token
// fetched from the realm the registry names), bounded retries, and upload Locations.

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "awsdl/config.hpp"
#include "awsdl/core/retry.hpp"
#include "awsdl/http/transport.hpp"
#include "awsdl/registry/push.hpp"

namespace awsdl::internal {

class RegistryClient {
 public:
  /// Transport, retries and runtime from `config` (a curl transport when it has none).
  RegistryClient(const registry::PushOptions& options, const Config& config);

  /// Checks the address and the scheme rules, probes /v2/ and settles the auth scheme.
  Result<void> connect();

  /// A request to this registry for `path` (e.g. "/v2/<repo>/blobs/<digest>").
  http::Request make(std::string method, std::string path, std::string query = {}) const;
  /// A request to an upload Location (relative, or absolute on an allowed origin).
  Result<http::Request> at_location(std::string method, std::string_view location) const;

  /// Sends with auth; retries network errors, 429 and 5xx when the body can be resent.
  Result<http::Response> send(http::Request request, const http::SendOptions& options = {});
  /// Sends once (streamed bodies that cannot be rewound); still renews a stale token first.
  Result<http::Response> send_once(http::Request request, const http::SendOptions& options = {});

  /// An Error from a registry answer: its errors[0].code / message when it sent some.
  Error error_from(const http::Response& response, std::string_view what) const;

  const std::string& repository() const { return repository_; }
  const registry::PushOptions& options() const { return options_; }
  bool retryable_status(int status) const { return status == 429 || status >= 500; }
  /// The retry policy for `what` (a request, a whole blob upload): Config::retry's attempts
  /// and backoff, the push's cancellation.
  RetryPolicy retry_policy(std::string what) const;
  const Runtime& runtime() const { return runtime_; }

 private:
  Result<void> fetch_token(const std::string& challenge);
  void authorize(http::Request& request) const;
  Result<http::Response> send_authed(http::Request& request, const http::SendOptions& options);
  /// Sends `request` (made again by `resend` before each retry; false: it cannot be) until
  /// the answer is not a 429 / 5xx or a retryable failure, or the attempts run out; the last
  /// answer either way.
  Result<http::Response> send_with_retries(const std::string& what, const std::function<bool()>& resend,
                                           const std::function<Result<http::Response>()>& once);

  registry::PushOptions options_;
  std::shared_ptr<http::Transport> transport_;
  RetryOptions retry_;
  Runtime runtime_;
  std::string scheme_;
  std::string repository_;
  mutable std::mutex mu_;
  std::string authorization_;  // the header value; never logged
  bool bearer_ = false;
  std::string bearer_challenge_;
};

/// Whether `host` (host[:port], brackets allowed) is a loopback address or localhost.
bool is_loopback_host(std::string_view host);

}  // namespace awsdl::internal
