// Config::from_environment: region, credentials and endpoints the way the AWS CLI finds them.

#include "awsdl/config.hpp"

#include <charconv>

#include <fmt/format.h>

#include "auth/profile_files.hpp"
#include "auth/provider_support.hpp"
#include "config/endpoint_overrides.hpp"

namespace awsdl {

namespace {

struct Setting {
  std::string value;
  std::string origin;  // for errors: where the value came from
};

std::optional<Setting> first_setting(const std::string& override_value, const char* override_name,
                                     std::initializer_list<const char*> env_names,
                                     const auth::ProfileSet::Profile* profile, const char* profile_key) {
  if (!override_value.empty()) return Setting{override_value, override_name};
  for (const char* name : env_names)
    if (auto v = internal::env_value(name)) return Setting{*v, name};
  if (profile && profile_key)
    if (auto v = profile->get(profile_key); v && !v->empty())
      return Setting{*v, fmt::format("profile '{}' ({})", profile->name, profile_key)};
  return std::nullopt;
}

Result<int> max_attempts_setting(const auth::ProfileSet::Profile* profile, int fallback) {
  auto s = first_setting("", "", {"AWS_MAX_ATTEMPTS"}, profile, "max_attempts");
  if (!s) return fallback;
  int n = 0;
  auto [end, ec] = std::from_chars(s->value.data(), s->value.data() + s->value.size(), n);
  if (ec != std::errc() || end != s->value.data() + s->value.size() || n < 1 || n > 100)
    return Error::invalid_argument("InvalidMaxAttempts",
                                   fmt::format("{}: max attempts must be a whole number from 1 to 100", s->origin));
  return n;
}

}  // namespace

Result<Config> Config::from_environment(Overrides overrides) {
  auth::ProfileOptions popts{overrides.profile, overrides.credentials_file, overrides.config_file};
  AWSDL_ASSIGN_OR_RETURN(auto profiles, auth::ProfileSet::load(popts));
  Config c;
  c.profile = auth::ProfileSet::active_profile(popts);
  const auth::ProfileSet::Profile* profile = profiles.find(c.profile);
  if (profile == nullptr && internal::profile_explicitly_selected(popts))
    return Error::make(ErrorKind::kNotFound, "ProfileNotFound",
                       fmt::format("profile '{}' is not in {} or {}", c.profile, internal::config_file_path(popts),
                                   internal::credentials_file_path(popts)));

  // As the AWS CLI: AWS_CA_BUNDLE, else the profile's ca_bundle (an empty value is unset).
  if (auto ca = first_setting("", "", {"AWS_CA_BUNDLE"}, profile, "ca_bundle"); ca && !ca->value.empty())
    c.ca_bundle = internal::expand_tilde(ca->value);
  if (overrides.transport) {
    c.transport = overrides.transport;
  } else {
    http::TransportOptions topts;
    topts.ca_bundle = c.ca_bundle;
    c.transport = http::make_curl_transport(std::move(topts));
  }

  auto region = first_setting(overrides.region, "the region override", {"AWS_REGION", "AWS_DEFAULT_REGION"},
                              profile, "region");
  if (!region && overrides.use_imds_region) {
    // The one network call a constructor makes, and only when nothing else names a region.
    if (auto r = auth::imds_region(auth::ImdsOptions{}, c.transport)) region = Setting{*r, "IMDS"};
  }
  if (region) {
    if (!valid_region_name(region->value))
      return Error::invalid_argument(
          "InvalidRegion", fmt::format("{}: '{}' is not a valid region name (expected something like us-east-1)",
                                       region->origin, region->value.substr(0, 64)));
    c.region = region->value;
  }

  bool ignore_configured = internal::env_true("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS") ||
                           (profile && internal::is_true(profile->get("ignore_configured_endpoint_urls").value_or("")));
  if (!overrides.endpoint_url.empty()) {
    // The caller's endpoint wins over every configured one, per-service ones included.
    AWSDL_TRY(internal::check_endpoint_url(overrides.endpoint_url, "the endpoint URL override"));
    c.endpoint_url = overrides.endpoint_url;
  } else if (!ignore_configured) {
    auto env = internal::endpoint_overrides_from_environment();
    for (const auto& [service, url] : env.service_endpoints)
      AWSDL_TRY(internal::check_endpoint_url(url, "AWS_ENDPOINT_URL_" + service));
    c.service_endpoints = std::move(env.service_endpoints);
    if (!env.endpoint_url.empty()) {
      AWSDL_TRY(internal::check_endpoint_url(env.endpoint_url, "AWS_ENDPOINT_URL"));
      c.endpoint_url = std::move(env.endpoint_url);
    } else if (profile) {
      if (auto url = profile->get("endpoint_url"); url && !url->empty()) {
        AWSDL_TRY(internal::check_endpoint_url(*url, fmt::format("profile '{}' (endpoint_url)", profile->name)));
        c.endpoint_url = *url;
      }
    }
  }

  if (profile && profile->get("s3.addressing_style").value_or("") == "path") c.s3_force_path_style = true;
  AWSDL_ASSIGN_OR_RETURN(c.retry.max_attempts, max_attempts_setting(profile, c.retry.max_attempts));

  // Lazy: the chain looks for credentials on the first signed call, not here.
  c.credentials = overrides.credentials ? overrides.credentials : auth::default_chain(popts, c.transport, c.runtime);
  return c;
}

Result<Config> Config::from_environment() { return from_environment(Overrides{}); }

}  // namespace awsdl
