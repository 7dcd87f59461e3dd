// Links against the installed awsdl and makes a call that needs no network.
#include <awsdl/awsdl.hpp>

#include <cstdio>

int main() {
  auto creds = awsdl::auth::static_provider({.access_key_id = "AKIDEXAMPLE",
                                              .secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"});
  auto got = creds->get();
  if (!got) return 1;
  awsdl::Result<int> bad = awsdl::Error::invalid_argument("Demo", "a value-or-error");
  const awsdl::VersionInfo v = awsdl::version();
  if (v.version.empty() || v.curl.empty() || v.openssl.empty() || v.libssh.empty()) return 1;
  std::printf("consumer ok: key %s, error \"%s\", valid region %d, awsdl %s with libcurl %s\n",
              got->access_key_id.c_str(), bad.error().to_string().c_str(),
              awsdl::valid_region_name("eu-west-1") ? 1 : 0, v.version.c_str(), v.curl.c_str());
  return bad.ok() ? 1 : 0;
}
