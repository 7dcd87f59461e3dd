#pragma once
// Turns a failed libcurl transfer into an Error a caller (and the retry loop) can act on.

#include <string>

#include <curl/curl.h>

#include "awsdl/core/error.hpp"
#include "awsdl/http/message.hpp"

namespace awsdl::internal {

struct CurlFailure {
  CURLcode code = CURLE_OK;
  std::string detail;          // curl's error buffer, may be empty
  bool connected = false;      // whether a connection was established (or reused)
  bool in_headers = false;     // failed before the response headers were complete
  long proxy_status = 0;       // CURLINFO_HTTP_CONNECTCODE
};

/// The message names the method, host and path only (never query or headers).
Error curl_error(const http::Request& request, const CurlFailure& failure);

}  // namespace awsdl::internal
