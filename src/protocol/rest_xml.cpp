#include "protocol/rest_xml.hpp"

#include <cctype>
#include <cstdlib>

#include "util/http_date.hpp"
#include "protocol/query_serializer.hpp"

namespace awsdl::internal {

std::string encode_label(std::string_view value, bool greedy) {
  if (!greedy) return query_encode(value);
  std::string out;
  std::size_t start = 0;
  while (true) {
    auto slash = value.find('/', start);
    out += query_encode(value.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) break;
    out += '/';
    start = slash + 1;
  }
  return out;
}

Result<std::string> expand_uri_template(std::string_view t, const std::map<std::string, std::string>& labels) {
  std::string out;
  std::size_t i = 0;
  while (i < t.size()) {
    if (t[i] != '{') {
      out += t[i++];
      continue;
    }
    auto close = t.find('}', i);
    if (close == std::string_view::npos)
      return Error::make(ErrorKind::kInternal, "BadUriTemplate", "unterminated label in URI template " + std::string(t));
    std::string name(t.substr(i + 1, close - i - 1));
    bool greedy = !name.empty() && name.back() == '+';
    if (greedy) name.pop_back();
    auto it = labels.find(name);
    if (it == labels.end() || it->second.empty())
      return Error::invalid_argument("MissingParameter", name + " must not be empty");
    out += encode_label(it->second, greedy);
    i = close + 1;
  }
  return out;
}

RestRequest& RestRequest::label(std::string name, std::string value) {
  labels_[std::move(name)] = std::move(value);
  return *this;
}

RestRequest& RestRequest::query(std::string name, std::string value) {
  query_.emplace_back(std::move(name), std::move(value));
  return *this;
}

RestRequest& RestRequest::optional_query(std::string name, const std::string& value) {
  if (!value.empty()) query(std::move(name), value);
  return *this;
}

RestRequest& RestRequest::header(std::string name, std::string value) {
  headers_.set(std::move(name), std::move(value));
  return *this;
}

RestRequest& RestRequest::optional_header(std::string name, const std::string& value) {
  if (!value.empty()) header(std::move(name), value);
  return *this;
}

RestRequest& RestRequest::header_time(std::string name, WallTime value) {
  return header(std::move(name), format_http_date(value));
}

RestRequest& RestRequest::metadata(const std::map<std::string, std::string>& entries) {
  for (const auto& [k, v] : entries) header("x-amz-meta-" + k, v);
  return *this;
}

RestRequest& RestRequest::body(std::string data, std::string content_type) {
  body_ = std::move(data);
  if (!content_type.empty()) headers_.set("Content-Type", std::move(content_type));
  return *this;
}

Result<http::Request> RestRequest::to_http() const {
  AWSDL_ASSIGN_OR_RETURN(std::string uri, expand_uri_template(template_, labels_));
  http::Request r;
  r.method = method_;
  std::string query;
  if (auto q = uri.find('?'); q != std::string::npos) {
    query = uri.substr(q + 1);
    uri.resize(q);
  }
  r.path = uri.empty() ? "/" : uri;
  for (const auto& [k, v] : query_) {
    if (!query.empty()) query += '&';
    query += query_encode(k) + "=" + query_encode(v);
  }
  r.query = std::move(query);
  r.headers = headers_;
  r.body = body_;
  return r;
}

std::optional<std::string> header_text(const http::Response& r, std::string_view name) {
  auto v = r.headers.get(name);
  if (!v) return std::nullopt;
  return std::string(*v);
}

std::optional<long long> header_int(const http::Response& r, std::string_view name) {
  auto v = header_text(r, name);
  if (!v || v->empty()) return std::nullopt;
  char* end = nullptr;
  long long n = std::strtoll(v->c_str(), &end, 10);
  if (*end != '\0') return std::nullopt;
  return n;
}

std::optional<WallTime> header_time(const http::Response& r, std::string_view name) {
  auto v = r.headers.get(name);
  if (!v) return std::nullopt;
  return parse_http_date(*v);
}

std::map<std::string, std::string> response_metadata(const http::Response& r) {
  std::map<std::string, std::string> out;
  constexpr std::string_view prefix = "x-amz-meta-";
  for (const auto& [k, v] : r.headers) {
    if (k.size() <= prefix.size()) continue;
    std::string lower;
    for (char c : k) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower.compare(0, prefix.size(), prefix) == 0) out[lower.substr(prefix.size())] = v;
  }
  return out;
}

}  // namespace awsdl::internal
