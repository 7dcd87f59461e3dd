#pragma once
// Endpoint overrides from the environment: AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE>.

#include <map>
#include <string>

#include "awsdl/core/result.hpp"

namespace awsdl::internal {

struct EndpointOverrides {
  std::string endpoint_url;                              // AWS_ENDPOINT_URL
  std::map<std::string, std::string> service_endpoints;  // "STS" -> AWS_ENDPOINT_URL_STS, ...
};

/// Every AWS_ENDPOINT_URL* variable (the suffix is the key), or nothing when
/// AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true.
EndpointOverrides endpoint_overrides_from_environment();

/// An endpoint must be an absolute http(s) URL; `origin` says where it came from in the error.
Status check_endpoint_url(const std::string& url, const std::string& origin);

}  // namespace awsdl::internal
