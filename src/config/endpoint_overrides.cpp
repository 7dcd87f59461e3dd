#include "config/endpoint_overrides.hpp"

#include <string_view>

#include <fmt/format.h>

#include "auth/provider_support.hpp"
#include "protocol/endpoint.hpp"

extern char** environ;

namespace awsdl::internal {

EndpointOverrides endpoint_overrides_from_environment() {
  EndpointOverrides o;
  if (env_true("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")) return o;
  constexpr std::string_view kPrefix = "AWS_ENDPOINT_URL";
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry(*e);
    auto eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    auto name = entry.substr(0, eq);
    auto value = entry.substr(eq + 1);
    if (value.empty() || name.substr(0, kPrefix.size()) != kPrefix) continue;
    if (name.size() == kPrefix.size()) {
      o.endpoint_url = std::string(value);
    } else if (name[kPrefix.size()] == '_' && name.size() > kPrefix.size() + 1) {
      o.service_endpoints[std::string(name.substr(kPrefix.size() + 1))] = std::string(value);
    }
  }
  return o;
}

Status check_endpoint_url(const std::string& url, const std::string& origin) {
  auto parsed = parse_endpoint_url(url);
  if (parsed) return {};
  auto e = std::move(parsed).error();
  e.message = origin + ": " + e.message;
  return e;
}

}  // namespace awsdl::internal
