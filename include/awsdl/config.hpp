#pragma once
// Config: what every service client needs. Cheap to copy; copies share transport,
// credentials, runtime, retry quota and signing key cache.

#include <map>
#include <memory>
#include <string>

#include "awsdl/auth/credentials.hpp"
#include "awsdl/auth/sigv4.hpp"
#include "awsdl/core/log.hpp"
#include "awsdl/core/options.hpp"
#include "awsdl/core/result.hpp"
#include "awsdl/core/retry.hpp"
#include "awsdl/core/runtime.hpp"
#include "awsdl/http/transport.hpp"

namespace awsdl {

struct AWSDL_EXPORT Config {
  std::string region;
  auth::CredentialsProviderPtr credentials;
  std::shared_ptr<http::Transport> transport;
  /// Overrides every service's endpoint ("http://127.0.0.1:4566"); AWS_ENDPOINT_URL.
  std::string endpoint_url;
  /// Per-service overrides keyed by the service's env name ("S3", "STS", "EC2", ...);
  /// AWS_ENDPOINT_URL_<SERVICE>. Win over endpoint_url.
  std::map<std::string, std::string> service_endpoints;
  /// S3 path-style addressing (always used for custom endpoints that are IP addresses).
  bool s3_force_path_style = false;
  RetryOptions retry;
  TimeoutOptions timeouts;
  /// The most pages one listing call (or one S3 ObjectPaginator) follows: a service that
  /// still hands out a next-page token after that many fails the call with kParse
  /// "PaginationLimitExceeded" naming the operation, rather than the list being cut short
  /// silently or the call paging forever. A token handed out twice is kParse
  /// "RepeatedNextToken" at once. 10000 pages: 10 million S3 keys.
  int max_pages = 10000;
  Runtime runtime = Runtime::system();
  Logger logger;
  std::string profile;  // the profile in force, for information
  /// The CA bundle (PEM file) the default transport verifies TLS with: AWS_CA_BUNDLE, else
  /// the profile's `ca_bundle`; empty = the system's CAs. For information: the transport is
  /// made by from_environment (a transport given in Overrides is used as it is).
  std::string ca_bundle;
  /// The standard retry mode's tokens, shared by this Config, its copies and every client
  /// made from any of them (sized by the first client, from retry.quota_capacity). Set a new
  /// one to give a group of clients a quota of their own.
  std::shared_ptr<RetryQuota> retry_quota = std::make_shared<RetryQuota>();
  /// SigV4 signing keys already derived for this configuration's credentials, shared by its
  /// copies (and the clients made from them); a Config made anew starts with an empty one.
  std::shared_ptr<auth::SigningKeyCache> signing_keys = auth::make_signing_key_cache();

  /// What a caller can set before the environment is consulted (flags win over environment).
  struct Overrides {
    std::string region;
    std::string profile;
    std::string endpoint_url;
    std::shared_ptr<http::Transport> transport;       // default: a new curl transport
    auth::CredentialsProviderPtr credentials;         // default: the default chain
    std::string credentials_file;                     // default: env / ~/.aws/credentials
    std::string config_file;                          // default: env / ~/.aws/config
    bool use_imds_region = true;                      // last resort for the region
  };

  /// Region (overrides, AWS_REGION, AWS_DEFAULT_REGION, profile, IMDS), the default
  /// credential chain (lazy: nothing is fetched until the first call), endpoint overrides
  /// (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>, profile `endpoint_url`). Fails on a
  /// malformed config file or an invalid region name.
  static Result<Config> from_environment(Overrides overrides);
  // An overload, not a default argument: a nested struct with member initializers cannot
  // be default-constructed inside its enclosing class's definition.
  static Result<Config> from_environment();
};

/// Next steps (Error::next_steps) about the configuration itself.
namespace next_step {
/// Configure a region (Overrides::region, AWS_REGION, the profile's region); the detail is the
/// region to use when one is known, else empty.
inline constexpr const char* kSetRegion = "config.region";
}  // namespace next_step

/// Whether `region` looks like a region name ("us-east-1", "cn-north-1", "us-gov-west-1").
AWSDL_EXPORT bool valid_region_name(const std::string& region);

}  // namespace awsdl
