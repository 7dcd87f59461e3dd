#include "protocol/endpoint.hpp"

#include <algorithm>
#include <cctype>

namespace awsdl::internal {
namespace {

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

std::string lower(std::string_view s) {
  std::string o(s);
  for (auto& c : o) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return o;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool is_ipv4(std::string_view s) {
  int parts = 0;
  while (true) {
    auto dot = s.find('.');
    auto part = s.substr(0, dot);
    if (!all_digits(part) || part.size() > 3 || std::stoi(std::string(part)) > 255) return false;
    ++parts;
    if (dot == std::string_view::npos) break;
    s.remove_prefix(dot + 1);
  }
  return parts == 4;
}

Error endpoint_error(std::string_view url, std::string why) {
  return Error::invalid_argument("InvalidEndpoint", "endpoint URL '" + std::string(url) + "' " + why);
}

}  // namespace

std::string Endpoint::host_name() const {
  if (!host.empty() && host.front() == '[') {
    auto close = host.find(']');
    return close == std::string::npos ? host : host.substr(0, close + 1);
  }
  auto colon = host.rfind(':');
  return colon == std::string::npos ? host : host.substr(0, colon);
}

Partition partition_for(std::string_view region) {
  if (starts_with(region, "cn-")) return {"aws-cn", "amazonaws.com.cn", "cn-north-1"};
  if (starts_with(region, "us-gov-")) return {"aws-us-gov", "amazonaws.com", "us-gov-west-1"};
  return {"aws", "amazonaws.com", "us-east-1"};
}

Result<Endpoint> parse_endpoint_url(std::string_view url) {
  Endpoint e;
  e.custom = true;
  auto sep = url.find("://");
  if (sep == std::string_view::npos) return endpoint_error(url, "has no scheme (expected http:// or https://)");
  e.scheme = lower(url.substr(0, sep));
  if (e.scheme != "http" && e.scheme != "https")
    return endpoint_error(url, "has scheme '" + e.scheme + "' (expected http or https)");
  auto rest = url.substr(sep + 3);
  if (rest.find_first_of("?#") != std::string_view::npos) return endpoint_error(url, "must not have a query or fragment");
  auto slash = rest.find('/');
  auto authority = rest.substr(0, slash);
  if (authority.find('@') != std::string_view::npos) return endpoint_error(url, "must not contain user information");
  if (authority.empty()) return endpoint_error(url, "has no host");
  // Port: digits after the last ':' outside brackets.
  std::string_view host_part = authority, port;
  if (authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return endpoint_error(url, "has an unterminated IPv6 address");
    host_part = authority.substr(0, close + 1);
    auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return endpoint_error(url, "has a malformed host");
      port = after.substr(1);
    }
  } else if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host_part = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host_part.empty()) return endpoint_error(url, "has no host");
  for (char c : host_part)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' || c == '[' || c == ']' || c == ':'))
      return endpoint_error(url, "has an invalid character in its host");
  if (!port.empty() || authority.back() == ':') {
    if (!all_digits(port) || port.size() > 5 || std::stoi(std::string(port)) > 65535 || std::stoi(std::string(port)) == 0)
      return endpoint_error(url, "has an invalid port");
  }
  e.host = lower(host_part);
  bool default_port = (e.scheme == "https" && port == "443") || (e.scheme == "http" && port == "80");
  if (!port.empty() && !default_port) e.host += ":" + std::string(port);
  if (slash != std::string_view::npos) {
    std::string path(rest.substr(slash));
    while (!path.empty() && path.back() == '/') path.pop_back();
    e.base_path = path;
  }
  return e;
}

Result<Endpoint> resolve_endpoint(const ServiceInfo& service, const Config& config, std::string_view client_override) {
  std::string region = config.region;
  if (region.empty()) region = service.default_region;
  if (region.empty())
    return Error::invalid_argument("MissingRegion",
                                   "no region configured for " + service.env_name +
                                       ": set AWS_REGION, the profile's region or Config::Overrides::region")
        .with_next_step(next_step::kSetRegion);
  if (!valid_region_name(region))
    return Error::invalid_argument("InvalidRegion", "'" + region + "' is not a valid region name (like us-east-1)");

  std::string_view override_url = client_override;
  if (override_url.empty()) {
    if (auto it = config.service_endpoints.find(service.env_name); it != config.service_endpoints.end())
      override_url = it->second;
  }
  if (override_url.empty()) override_url = config.endpoint_url;
  if (!override_url.empty()) {
    AWSDL_ASSIGN_OR_RETURN(Endpoint e, parse_endpoint_url(override_url));
    e.signing_region = region;
    return e;
  }

  Partition p = partition_for(region);
  Endpoint e;
  if (service.global) {
    e.signing_region = p.global_region;
    if (p.name == "aws") e.host = service.endpoint_prefix + "." + p.dns_suffix;
    else if (p.name == "aws-us-gov") e.host = service.endpoint_prefix + ".us-gov." + p.dns_suffix;
    else e.host = service.endpoint_prefix + "." + p.global_region + "." + p.dns_suffix;
  } else {
    e.signing_region = region;
    e.host = service.endpoint_prefix + "." + region + "." + p.dns_suffix;
  }
  return e;
}

bool virtual_host_compatible_bucket(std::string_view b) {
  if (b.size() < 3 || b.size() > 63) return false;
  if (b.front() == '-' || b.back() == '-') return false;
  return std::all_of(b.begin(), b.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
}

bool is_ip_or_localhost(std::string_view h) {
  std::string host = lower(h);
  if (!host.empty() && host.front() == '[') return true;  // IPv6 literal
  if (host == "localhost" || (host.size() > 10 && host.substr(host.size() - 10) == ".localhost")) return true;
  return is_ipv4(host);
}

BucketAddress s3_bucket_address(const Endpoint& s3, std::string_view bucket, bool force_path_style) {
  BucketAddress a;
  a.endpoint = s3;
  bool path_style = force_path_style || !virtual_host_compatible_bucket(bucket) ||
                    (s3.custom && is_ip_or_localhost(s3.host_name()));
  a.path_style = path_style;
  if (path_style) {
    a.path_prefix = s3.base_path + "/" + std::string(bucket);
  } else {
    a.endpoint.host = std::string(bucket) + "." + s3.host;
    a.path_prefix = s3.base_path;
  }
  return a;
}

}  // namespace awsdl::internal
