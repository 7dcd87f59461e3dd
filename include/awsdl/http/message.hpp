#pragma once
// HTTP requests and responses as the transport sees them.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "awsdl/core/result.hpp"
#include "awsdl/export.hpp"

namespace awsdl::http {

/// Ordered header list; lookups are case-insensitive; names keep the case they were given.
class AWSDL_EXPORT Headers {
 public:
  using Entry = std::pair<std::string, std::string>;

  /// The first value for `name`, if any.
  std::optional<std::string_view> get(std::string_view name) const;
  bool has(std::string_view name) const { return get(name).has_value(); }
  /// Replaces every value of `name` with one.
  void set(std::string name, std::string value);
  /// Appends a value (repeated headers are allowed).
  void add(std::string name, std::string value);
  void remove(std::string_view name);

  const std::vector<Entry>& entries() const { return entries_; }
  bool empty() const { return entries_.empty(); }
  auto begin() const { return entries_.begin(); }
  auto end() const { return entries_.end(); }

 private:
  std::vector<Entry> entries_;
};

/// Fills `buf` with up to `len` bytes of request body; returns how many (0 at the end).
using BodySource = std::function<Result<std::size_t>(char* buf, std::size_t len)>;

/// Receives a response body chunk by chunk; an error aborts the transfer.
using BodySink = std::function<Result<void>(std::string_view chunk)>;

struct AWSDL_EXPORT Request {
  std::string method = "GET";
  std::string scheme = "https";
  std::string host;         // "example.com" or "127.0.0.1:8080"
  std::string path = "/";   // as sent on the wire (already percent-encoded)
  std::string query;        // as sent on the wire, without '?'
  Headers headers;

  std::string body;                    // used when body_source is empty
  BodySource body_source;              // streamed body
  std::optional<std::uint64_t> body_length;  // length of the streamed body, when known
  /// Rewinds a streamed body so a retry can send it again; empty when it cannot.
  std::function<bool()> rewind_body;

  /// scheme://host/path[?query]
  std::string url() const;
  /// Host without the port.
  std::string host_name() const;
};

struct AWSDL_EXPORT Response {
  int status = 0;
  Headers headers;
  std::string body;  // empty when the body went to a sink
};

}  // namespace awsdl::http
