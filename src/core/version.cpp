// The runtime versions come from the libraries themselves: a program built against one libcurl
// and run with another (a security update) reports the one it runs with.
#include "awsdl/version.hpp"

#include <curl/curl.h>
#include <libssh/libssh.h>
#include <openssl/crypto.h>

#include <string_view>

// Written at build time (cmake/AwsdlBuildInfo.cmake): AWSDL_BUILD_VERSION, AWSDL_BUILD_COMMIT.
#include "awsdl_build_info.hpp"

namespace awsdl {

namespace {
// "0.10.5/openssl/zlib" -> "0.10.5": the number before what libssh was built with.
std::string first_field(const char* text, char separator) {
  if (!text) return "unknown";
  std::string_view v(text);
  v = v.substr(0, v.find(separator));
  return v.empty() ? "unknown" : std::string(v);
}
}  // namespace

VersionInfo version() {
  VersionInfo v;
  v.version = AWSDL_BUILD_VERSION;
  v.commit = AWSDL_BUILD_COMMIT;
  const curl_version_info_data* curl = curl_version_info(CURLVERSION_NOW);
  v.curl = first_field(curl ? curl->version : nullptr, ' ');
  // OPENSSL_VERSION_STRING (OpenSSL 3): the bare "3.0.11", without "OpenSSL" and the date.
  v.openssl = first_field(OpenSSL_version(OPENSSL_VERSION_STRING), ' ');
  v.libssh = first_field(ssh_version(0), '/');
  return v;
}

}  // namespace awsdl
