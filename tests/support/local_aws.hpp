#pragma once
// What the tests give a program or a Config that talks to a local AWS endpoint (the sandbox,
// moto, a hostile server): the documentation's example keys and region, and nothing of the
// test's own environment. Shared by support/sandbox.hpp, support/moto.hpp and the CLI tests.

#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "awsdl/auth/credentials.hpp"
#include "awsdl/config.hpp"
#include "awsdl/core/runtime.hpp"
#include "awsdl/http/transport.hpp"

namespace awsdl::testsupport {

// The documentation's example keys, and the account and region the local servers answer for.
inline constexpr const char* kExampleAccessKeyId = "AKIDEXAMPLE";
inline constexpr const char* kExampleSecretAccessKey = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
inline constexpr const char* kExampleAccount = "123456789012";
inline constexpr const char* kExampleRegion = "us-east-1";

/// An example program's environment: PATH, HOME=`home` with no ~/.aws below it (the config
/// and credential files it names do not exist), no instance metadata, the example keys and
/// region. The caller adds an endpoint.
inline std::map<std::string, std::string> example_cli_env(const std::string& home) {
  return {{"PATH", "/usr/bin:/bin"},
          {"HOME", home},
          {"AWS_CONFIG_FILE", home + "/no-config"},
          {"AWS_SHARED_CREDENTIALS_FILE", home + "/no-credentials"},
          {"AWS_EC2_METADATA_DISABLED", "true"},
          {"AWS_ACCESS_KEY_ID", kExampleAccessKeyId},
          {"AWS_SECRET_ACCESS_KEY", kExampleSecretAccessKey},
          {"AWS_REGION", kExampleRegion}};
}

/// A Config for a local endpoint: the example region, `credentials` as static ones,
/// `endpoint` as endpoint_url, path-style S3, the system runtime and `transport`.
inline Config local_config(const std::string& endpoint, std::shared_ptr<http::Transport> transport,
                           auth::Credentials credentials) {
  Config c;
  c.region = kExampleRegion;
  c.credentials = auth::static_provider(std::move(credentials));
  c.transport = std::move(transport);
  c.endpoint_url = endpoint;
  c.s3_force_path_style = true;
  c.runtime = Runtime::system();
  return c;
}

/// The port a server wrote to `port_file`; 0 when the file holds none.
inline int read_port_file(const std::string& port_file) {
  std::ifstream in(port_file);
  int port = 0;
  if (!(in >> port) || port <= 0 || port > 65535) return 0;
  return port;
}

}  // namespace awsdl::testsupport
