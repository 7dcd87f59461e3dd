#include "config/sts_support.hpp"

#include <fmt/format.h>

#include "auth/provider_support.hpp"
#include "config/endpoint_overrides.hpp"

namespace awsdl::internal {

Result<Config> sts_config(std::optional<auth::Credentials> source, std::shared_ptr<http::Transport> transport,
                          Runtime runtime, std::string region) {
  Config c;
  c.region = region.empty() ? "us-east-1" : std::move(region);
  if (!valid_region_name(c.region))
    return Error::invalid_argument("InvalidRegion",
                                   fmt::format("'{}' is not a valid region name for STS", c.region.substr(0, 64)));
  c.credentials = source ? auth::static_provider(std::move(*source))
                         : auth::static_provider(auth::Credentials{});  // unsigned calls only
  c.transport = std::move(transport);
  if (runtime.clock) c.runtime = std::move(runtime);
  auto endpoints = endpoint_overrides_from_environment();
  c.endpoint_url = std::move(endpoints.endpoint_url);
  if (auto it = endpoints.service_endpoints.find("STS"); it != endpoints.service_endpoints.end())
    c.service_endpoints["STS"] = it->second;
  if (!c.endpoint_url.empty()) AWSDL_TRY(check_endpoint_url(c.endpoint_url, "AWS_ENDPOINT_URL"));
  for (const auto& [service, url] : c.service_endpoints) AWSDL_TRY(check_endpoint_url(url, "AWS_ENDPOINT_URL_" + service));
  return c;
}

std::string default_role_session_name(Runtime& runtime) {
  auto now = runtime.clock ? runtime.clock->wall_now() : Runtime::system().clock->wall_now();
  return fmt::format("awsdl-session-{}",
                     std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count());
}

Error sts_failure(Error error, const std::string& context) {
  error.message = context + ": " + (error.message.empty() ? error.code : error.message);
  return error;
}

}  // namespace awsdl::internal
