#pragma once
// The pieces of a SigV4 canonical request: URI, query, headers, timestamps. Each appends to
// a caller's buffer so that signing a request allocates little.

#include <cstring>
#include <initializer_list>
#include <string>
#include <string_view>

#include "awsdl/core/runtime.hpp"
#include "awsdl/http/message.hpp"

namespace awsdl::internal::sigv4 {

inline constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

/// Appends every part with one size change (push_back and append each check capacity).
inline void append_all(std::string& out, std::initializer_list<std::string_view> parts) {
  std::size_t n = 0;
  for (auto p : parts) n += p.size();
  const std::size_t at = out.size();
  out.resize(at + n);
  char* d = out.data() + at;
  for (auto p : parts) {
    if (!p.empty()) std::memcpy(d, p.data(), p.size());
    d += p.size();
  }
}

/// "20150830T123600Z" into out[0..16).
void format_amz_date(WallTime time, char out[16]);

/// RFC 3986 percent-encoding with upper-case hex; unreserved characters kept, '/' kept
/// unless `encode_slash`.
void append_uri_encoded(std::string& out, std::string_view s, bool encode_slash);

/// Dot segments resolved and empty segments dropped, as botocore and aws-c-auth do
/// ("/a//b/../c/" -> "/a/c/", "" -> "/").
void append_normalized_path(std::string& out, std::string_view path);

/// The canonical URI of `path` (the path as sent on the wire). Non-S3 services normalise it
/// and encode it once more; S3 uses it as it is.
void append_canonical_uri(std::string& out, std::string_view path, bool double_encode, bool normalize);

/// The canonical query string of a wire query: every key and value percent-decoded and
/// re-encoded, pairs sorted by key, then by value. As in botocore, every '&'-separated piece
/// is a parameter, even an empty one, and '+' is a literal plus.
void append_canonical_query(std::string& out, std::string_view query);

/// Canonical headers ("name:value\n" each, names lower-cased and sorted, values trimmed
/// with inner whitespace runs collapsed, repeated headers joined with ',') and the signed
/// header list ("a;b;c"). Headers proxies and clients rewrite (User-Agent, Expect,
/// X-Amzn-Trace-Id) are left out, as botocore does.
void append_canonical_headers(const http::Headers& headers, std::string& canonical, std::string& signed_names);

/// The value of the first header called `lower_name` (given in lower case), or null. ASCII
/// case folding only, without the locale.
const std::string* find_header(const http::Headers& headers, std::string_view lower_name);

/// The Host header value for `request` when it has none: lower-cased, default port dropped.
std::string host_header_value(const http::Request& request);

/// "<date>/<region>/<service>/aws4_request".
void append_scope(std::string& out, std::string_view date8, std::string_view region, std::string_view service);

}  // namespace awsdl::internal::sigv4
