#include "protocol/query_serializer.hpp"

#include <cctype>

#include "util/http_date.hpp"

namespace awsdl::internal {

std::string query_encode(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string o;
  o.reserve(s.size() + s.size() / 4);
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      o += ch;
    } else {
      o += '%';
      o += hex[c >> 4];
      o += hex[c & 0xF];
    }
  }
  return o;
}

std::string ec2_query_name(std::string_view member_name, std::string_view location_name, std::string_view query_name) {
  if (!query_name.empty()) return std::string(query_name);
  if (!location_name.empty()) {
    std::string n(location_name);
    n[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(n[0])));
    return n;
  }
  return std::string(member_name);
}

std::string QueryScope::full(std::string_view name) const {
  if (prefix_.empty()) return std::string(name);
  return prefix_ + "." + std::string(name);
}

std::string QueryScope::list_prefix(std::string_view name, const QueryListStyle& style) const {
  if (flavor_ == QueryFlavor::kEc2 || style.flattened) return full(name);
  return full(name) + "." + style.member_name;
}

QueryScope& QueryScope::empty_list(std::string_view name) {
  if (flavor_ == QueryFlavor::kQuery) params_->emplace_back(full(name), "");
  return *this;
}

QueryScope& QueryScope::add(std::string_view name, std::string_view value) {
  params_->emplace_back(full(name), std::string(value));
  return *this;
}

QueryScope& QueryScope::add(std::string_view name, std::int64_t value) { return add(name, std::to_string(value)); }

QueryScope& QueryScope::add(std::string_view name, bool value) { return add(name, std::string_view(value ? "true" : "false")); }

QueryScope& QueryScope::add_time(std::string_view name, WallTime value) { return add(name, format_iso8601(value)); }

QueryScope& QueryScope::add_optional(std::string_view name, std::string_view value) {
  if (!value.empty()) add(name, value);
  return *this;
}

QueryScope& QueryScope::add_list(std::string_view name, const std::vector<std::string>& values, const QueryListStyle& style) {
  if (values.empty()) return empty_list(name);
  std::string prefix = list_prefix(name, style);
  for (std::size_t i = 0; i < values.size(); ++i) params_->emplace_back(prefix + "." + std::to_string(i + 1), values[i]);
  return *this;
}

QueryScope& QueryScope::add_map(std::string_view name, const std::vector<std::pair<std::string, std::string>>& entries,
                                const QueryMapStyle& style) {
  if (entries.empty()) return *this;
  std::string prefix = style.flattened ? full(name) : full(name) + ".entry";
  for (std::size_t i = 0; i < entries.size(); ++i) {
    std::string p = prefix + "." + std::to_string(i + 1) + ".";
    params_->emplace_back(p + style.key_name, entries[i].first);
    params_->emplace_back(p + style.value_name, entries[i].second);
  }
  return *this;
}

QueryScope& QueryScope::add_map(std::string_view name, const std::map<std::string, std::string>& entries,
                                const QueryMapStyle& style) {
  return add_map(name, std::vector<std::pair<std::string, std::string>>(entries.begin(), entries.end()), style);
}

QueryRequest::QueryRequest(std::string action, std::string version, QueryFlavor flavor)
    : QueryScope(&stored_params, "", flavor), action_(std::move(action)), version_(std::move(version)) {}

QueryRequest::QueryRequest(const QueryRequest& o)
    : detail::QueryStorage(o), QueryScope(o), action_(o.action_), version_(o.version_) {
  rebind(&stored_params);
}

QueryRequest::QueryRequest(QueryRequest&& o) noexcept
    : detail::QueryStorage(std::move(o)), QueryScope(o), action_(std::move(o.action_)), version_(std::move(o.version_)) {
  rebind(&stored_params);
}

QueryRequest& QueryRequest::operator=(const QueryRequest& o) {
  if (this != &o) {
    stored_params = o.stored_params;
    QueryScope::operator=(o);
    rebind(&stored_params);
    action_ = o.action_;
    version_ = o.version_;
  }
  return *this;
}

QueryRequest& QueryRequest::operator=(QueryRequest&& o) noexcept {
  if (this != &o) {
    stored_params = std::move(o.stored_params);
    QueryScope::operator=(o);
    rebind(&stored_params);
    action_ = std::move(o.action_);
    version_ = std::move(o.version_);
  }
  return *this;
}

std::optional<std::string> QueryRequest::get(std::string_view name) const {
  if (name == "Action") return action_;
  if (name == "Version") return version_;
  for (const auto& [k, v] : stored_params)
    if (k == name) return v;
  return std::nullopt;
}

std::string QueryRequest::body() const {
  std::string b = "Action=" + query_encode(action_) + "&Version=" + query_encode(version_);
  for (const auto& [k, v] : stored_params) {
    b += '&';
    b += query_encode(k);
    b += '=';
    b += query_encode(v);
  }
  return b;
}

http::Request QueryRequest::to_http() const {
  http::Request r;
  r.method = "POST";
  r.path = "/";
  r.body = body();
  r.headers.set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8");
  return r;
}

}  // namespace awsdl::internal
