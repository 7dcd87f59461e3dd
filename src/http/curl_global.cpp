#include "http/curl_global.hpp"

#include <curl/curl.h>

namespace awsdl::internal {

bool ensure_curl_global_init() {
  // A function-local static is initialised once even when many threads race here, which is
  // what curl_global_init needs. There is deliberately no curl_global_cleanup: transports
  // may outlive static destructors of the host program, and the process exit frees it all.
  static const bool ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  return ok;
}

}  // namespace awsdl::internal
