#pragma once
// The state of one libcurl transfer and the C callbacks that feed it: request body out,
// response headers and body in, progress and cancellation.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include <curl/curl.h>

#include "awsdl/core/error.hpp"
#include "awsdl/http/transport.hpp"

namespace awsdl::internal {

struct CurlTransfer {
  CurlTransfer(const http::Request& req, const http::SendOptions& opts, std::size_t max_header_bytes,
               std::uint64_t max_body_bytes)
      : request(req), options(opts), max_header_bytes(max_header_bytes), max_body_bytes(max_body_bytes) {}

  const http::Request& request;
  const http::SendOptions& options;
  std::size_t max_header_bytes;
  std::uint64_t max_body_bytes;  // the transport's limit for a body held in memory; 0 = none
  /// Length announced for a streamed body (from body_length or a Content-Length header).
  std::optional<std::uint64_t> upload_length;

  http::Response response;
  /// Set by a callback that aborted the transfer: cancellation, a sink or source error,
  /// oversized headers. Wins over whatever curl reports afterwards.
  std::optional<Error> abort_error;

  std::size_t header_block_bytes = 0;
  bool headers_complete = false;  // the final (non-1xx) header block has ended
  bool connected = false;         // a connection was made or reused and the request is going out
  /// When a byte last moved (or the request started going out), for the stall check.
  std::chrono::steady_clock::time_point last_activity{};
  std::uint64_t body_offset = 0;  // bytes of the request body handed to curl so far
  std::uint64_t reported_sent = 0;      // bytes curl sent so far (request body)
  std::uint64_t reported_received = 0;  // bytes curl received so far (answer body)
  bool progress_reported = false;
  bool body_source_done = false;        // a streamed body of unknown length has ended

  /// Whether the request's body is still going out.
  bool uploading() const;

  /// Registers the callbacks below on `easy`, with this transfer as their user data.
  void install(CURL* easy);

  static std::size_t header_cb(char* data, std::size_t size, std::size_t n, void* self);
  static std::size_t write_cb(char* data, std::size_t size, std::size_t n, void* self);
  static std::size_t read_cb(char* buf, std::size_t size, std::size_t n, void* self);
  static int seek_cb(void* self, curl_off_t offset, int origin);
  static int prereq_cb(void* self, char*, char*, int, int);
  static int xferinfo_cb(void* self, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow);

 private:
  std::size_t on_header(std::string_view line);
  std::size_t on_body(std::string_view chunk);
  std::size_t on_read(char* buf, std::size_t len);
  int on_seek(curl_off_t offset, int origin);
  int on_progress(std::uint64_t sent, std::uint64_t received);
  bool check_cancel();
  /// Whether the body of the current answer goes to the sink rather than into memory.
  bool to_sink() const { return options.sink && response.status / 100 == 2; }
  /// The limit for the body of the current answer held in memory (0 = none).
  std::uint64_t body_limit() const;
  void body_too_large(std::uint64_t limit, std::optional<std::uint64_t> announced);
  std::optional<std::uint64_t> content_length() const;
  void touch() { last_activity = std::chrono::steady_clock::now(); }
};

/// "GET example.com/path": what an error message may say about a request. Never the query
/// (presigned URLs carry signatures there) and never a header.
std::string describe_request(const http::Request& request);

}  // namespace awsdl::internal
