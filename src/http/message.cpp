#include "awsdl/http/message.hpp"

#include <algorithm>

#include "awsdl/http/transport.hpp"

namespace awsdl::http {

Transport::~Transport() = default;

namespace {
// Header names are ASCII; std::tolower would consult the locale on every character.
constexpr char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return ascii_lower(x) == ascii_lower(y); });
}
}  // namespace

std::optional<std::string_view> Headers::get(std::string_view name) const {
  for (const auto& [k, v] : entries_)
    if (iequals(k, name)) return std::string_view(v);
  return std::nullopt;
}

void Headers::set(std::string name, std::string value) {
  remove(name);
  entries_.emplace_back(std::move(name), std::move(value));
}

void Headers::add(std::string name, std::string value) { entries_.emplace_back(std::move(name), std::move(value)); }

void Headers::remove(std::string_view name) {
  std::erase_if(entries_, [&](const Entry& e) { return iequals(e.first, name); });
}

std::string Request::url() const {
  std::string u = scheme + "://" + host + (path.empty() ? "/" : path);
  if (!query.empty()) u += "?" + query;
  return u;
}

std::string Request::host_name() const {
  if (!host.empty() && host.front() == '[') {  // [::1]:8080
    auto close = host.find(']');
    return close == std::string::npos ? host : host.substr(0, close + 1);
  }
  auto colon = host.rfind(':');
  return colon == std::string::npos ? host : host.substr(0, colon);
}

}  // namespace awsdl::http
