#pragma once
// Everything a client sends goes through one Transport; tests replace it per client.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "awsdl/core/result.hpp"
#include "awsdl/core/runtime.hpp"
#include "awsdl/http/message.hpp"

namespace awsdl::http {

/// Per-request knobs.
struct AWSDL_EXPORT SendOptions {
  /// The whole attempt (connect, send, receive) must finish within this; 0 = no limit.
  Millis attempt_timeout{0};
  /// When set, a 2xx response body is streamed here instead of into Response::body.
  /// Non-2xx bodies always land in Response::body so that errors can be parsed.
  BodySink sink;
  CancellationToken cancel;
  /// Called as bytes move: (bytes sent so far, bytes received so far).
  std::function<void(std::uint64_t sent, std::uint64_t received)> progress;
  /// Largest 2xx body held in Response::body for this request (a ranged read: the range's
  /// length); 0 = TransportOptions::max_body_bytes. Not applied to a body given to `sink`.
  std::uint64_t max_body_bytes = 0;
  /// Overrides TransportOptions::min_bytes_per_second for this request; 0 turns the minimum
  /// off, for answers a service trickles on purpose (S3 CompleteMultipartUpload and
  /// CopyObject keep the connection alive with a space now and then while they work).
  std::optional<std::uint64_t> min_bytes_per_second;
};

/// Transport-wide settings.
struct AWSDL_EXPORT TransportOptions {
  Millis connect_timeout{std::chrono::seconds(10)};
  /// Abort when no byte moved for this long; 0 = never.
  Millis stall_timeout{std::chrono::seconds(30)};
  /// Abort (kTimeout "StallTimeout", retryable) when, while a body is moving (the request's
  /// going out, or the answer's coming in), fewer than min_bytes_per_second moved over a
  /// window of min_rate_window: a trickle of a byte a second never trips stall_timeout.
  /// Waiting for the answer to begin is not measured (stall_timeout covers it). 1 KiB/s
  /// over 30 s by default; 0 = no minimum rate.
  std::uint64_t min_bytes_per_second = 1024;
  Millis min_rate_window{std::chrono::seconds(30)};
  bool verify_tls = true;
  std::string ca_bundle;  // a PEM file; empty = system default (Config: AWS_CA_BUNDLE, profile ca_bundle)
  /// Proxies come from the standard environment (https_proxy, http_proxy, no_proxy)
  /// unless this is false.
  bool proxy_from_environment = true;
  std::size_t max_connections = 64;
  std::string user_agent = "awsdl/0.1";
  /// Largest response header block accepted.
  std::size_t max_header_bytes = 64 * 1024;
  /// Largest response body held in memory (Response::body): a longer one fails the request
  /// with kParse "ResponseTooLarge" as soon as it is announced or exceeded, instead of
  /// growing until a timeout. 16 MiB, well above any API answer the library reads; 0 = no
  /// limit. A 2xx body streamed to SendOptions::sink is not limited.
  std::uint64_t max_body_bytes = 16ull << 20;
};

class AWSDL_EXPORT Transport {
 public:
  virtual ~Transport();
  /// Sends one request and returns the response, whatever its status. Errors are only for
  /// failures to get a complete answer: network (retryable unless it would fail the same way
  /// again, as a certificate that does not verify), timeout, cancelled, a sink error, a body
  /// shorter than its Content-Length.
  virtual Result<Response> send(const Request& request, const SendOptions& options) = 0;
};

/// The libcurl transport: connections reused across calls and threads, TLS verified.
AWSDL_EXPORT std::shared_ptr<Transport> make_curl_transport(TransportOptions options = {});

}  // namespace awsdl::http
