#pragma once
// libcurl's process-wide initialisation, done once whatever thread asks first.

namespace awsdl::internal {

/// Runs curl_global_init exactly once per process; false when it failed.
bool ensure_curl_global_init();

}  // namespace awsdl::internal
