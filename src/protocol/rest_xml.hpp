#pragma once
// The `rest-xml` protocol (S3): URI templates with labels ("{Bucket}") and greedy labels
// ("{Key+}", slashes kept), query parameters, headers, and XML bodies.
//
//   RestRequest r{"PUT", "/{Key+}?partNumber={PartNumber}"};   // bucket goes in the host
//   r.label("Key", key).label("PartNumber", "3").query("uploadId", id);
//   r.header("Content-MD5", md5).body(std::move(data));
//   AWSDL_ASSIGN_OR_RETURN(http::Request http, r.to_http());

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "awsdl/core/result.hpp"
#include "awsdl/core/runtime.hpp"
#include "awsdl/http/message.hpp"

namespace awsdl::internal {

/// Percent-encodes a label value: everything but unreserved characters, and '/' kept when
/// `greedy`.
std::string encode_label(std::string_view value, bool greedy);

/// Expands "{Name}" and "{Name+}" in `uri_template` (path and query part alike). A missing or
/// empty label is kInvalidArgument naming it.
Result<std::string> expand_uri_template(std::string_view uri_template, const std::map<std::string, std::string>& labels);

class RestRequest {
 public:
  RestRequest(std::string method, std::string uri_template)
      : method_(std::move(method)), template_(std::move(uri_template)) {}

  RestRequest& label(std::string name, std::string value);
  /// Query parameters are sent in the order added, each name and value percent-encoded.
  RestRequest& query(std::string name, std::string value);
  RestRequest& optional_query(std::string name, const std::string& value);
  template <typename T>
  RestRequest& optional_query(std::string name, const std::optional<T>& value) {
    if (value) query(std::move(name), to_text(*value));
    return *this;
  }
  RestRequest& header(std::string name, std::string value);
  RestRequest& optional_header(std::string name, const std::string& value);
  /// RFC 7231 date, as headers carry timestamps.
  RestRequest& header_time(std::string name, WallTime value);
  /// x-amz-meta-<key> for each entry.
  RestRequest& metadata(const std::map<std::string, std::string>& entries);
  RestRequest& body(std::string data, std::string content_type = {});

  /// The request with path (relative to the endpoint / bucket), query, headers and body.
  Result<http::Request> to_http() const;

 private:
  static std::string to_text(const std::string& s) { return s; }
  static std::string to_text(long long v) { return std::to_string(v); }
  static std::string to_text(int v) { return std::to_string(v); }
  static std::string to_text(bool v) { return v ? "true" : "false"; }

  std::string method_, template_;
  std::map<std::string, std::string> labels_;
  std::vector<std::pair<std::string, std::string>> query_;
  http::Headers headers_;
  std::string body_;
};

/// Response helpers: a header as text, integer or date.
std::optional<std::string> header_text(const http::Response& r, std::string_view name);
std::optional<long long> header_int(const http::Response& r, std::string_view name);
std::optional<WallTime> header_time(const http::Response& r, std::string_view name);
/// x-amz-meta-* headers, prefix stripped, keys lower-cased.
std::map<std::string, std::string> response_metadata(const http::Response& r);

}  // namespace awsdl::internal
