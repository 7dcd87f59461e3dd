#pragma once
// Credentials and the providers that find them, in the AWS SDKs' order.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "awsdl/core/result.hpp"
#include "awsdl/core/runtime.hpp"
#include "awsdl/http/transport.hpp"

namespace awsdl::auth {

struct AWSDL_EXPORT Credentials {
  std::string access_key_id;
  std::string secret_access_key;  // never logged, never in an error
  std::string session_token;      // likewise
  std::optional<WallTime> expiration;
  std::string source;             // which provider found them ("environment", "profile:dev", ...)

  bool expired(WallTime now) const { return expiration && now >= *expiration; }
};

class AWSDL_EXPORT CredentialsProvider {
 public:
  virtual ~CredentialsProvider();
  /// Credentials valid now; kCredentials or kNotFound when there are none.
  virtual Result<Credentials> get() = 0;
};

using CredentialsProviderPtr = std::shared_ptr<CredentialsProvider>;

AWSDL_EXPORT CredentialsProviderPtr static_provider(Credentials credentials);

/// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN (and AWS_CREDENTIAL_EXPIRATION).
AWSDL_EXPORT CredentialsProviderPtr environment_provider();

/// Where the shared files are and which profile to use. Empty fields mean "from the
/// environment, then the default": AWS_PROFILE / "default", AWS_SHARED_CREDENTIALS_FILE /
/// ~/.aws/credentials, AWS_CONFIG_FILE / ~/.aws/config.
struct AWSDL_EXPORT ProfileOptions {
  std::string profile;
  std::string credentials_file;
  std::string config_file;
};

/// A parsed view of the shared config and credentials files (config's "[profile x]" and
/// credentials' "[x]" sections merged, credentials winning).
struct AWSDL_EXPORT ProfileSet {
  struct Profile {
    std::string name;
    std::vector<std::pair<std::string, std::string>> values;  // keys lower-cased
    std::optional<std::string> get(const std::string& key) const;
  };
  std::vector<Profile> profiles;
  const Profile* find(const std::string& name) const;

  /// Missing files are fine (an empty set); malformed ones are kParse errors naming file and line.
  static Result<ProfileSet> load(const ProfileOptions& options);
  /// The profile name in force: options.profile, AWS_PROFILE, "default".
  static std::string active_profile(const ProfileOptions& options);
};

/// Static keys, credential_process, role_arn + source_profile (STS AssumeRole),
/// role_arn + web_identity_token_file, from the shared files.
/// `transport` and `runtime` are used for STS calls.
AWSDL_EXPORT CredentialsProviderPtr profile_provider(ProfileOptions options,
                                                     std::shared_ptr<http::Transport> transport,
                                                     Runtime runtime);

/// AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN (+ AWS_ROLE_SESSION_NAME) via STS
/// AssumeRoleWithWebIdentity.
AWSDL_EXPORT CredentialsProviderPtr web_identity_provider(std::shared_ptr<http::Transport> transport,
                                                          Runtime runtime);

struct AWSDL_EXPORT ImdsOptions {
  /// Default http://169.254.169.254; AWS_EC2_METADATA_SERVICE_ENDPOINT overrides.
  std::string endpoint;
  Millis timeout{std::chrono::milliseconds(500)};  // per request: off EC2, give up fast
  int attempts = 1;
};

/// IMDSv2: session token, role name, role credentials. Disabled by AWS_EC2_METADATA_DISABLED=true.
AWSDL_EXPORT CredentialsProviderPtr imds_provider(ImdsOptions options,
                                                  std::shared_ptr<http::Transport> transport,
                                                  Runtime runtime);

/// Region from IMDSv2 (placement/region); kNotFound off EC2.
AWSDL_EXPORT Result<std::string> imds_region(ImdsOptions options, std::shared_ptr<http::Transport> transport);

/// Tries each provider in turn; the first that yields credentials wins and is remembered.
AWSDL_EXPORT CredentialsProviderPtr chain_provider(std::vector<CredentialsProviderPtr> providers);

/// Caches credentials and refreshes them 5 minutes before they expire.
AWSDL_EXPORT CredentialsProviderPtr caching_provider(CredentialsProviderPtr inner, Runtime runtime);

/// The SDKs' default chain: environment, web identity, shared files (profile), IMDSv2;
/// cached.
AWSDL_EXPORT CredentialsProviderPtr default_chain(ProfileOptions profile,
                                                  std::shared_ptr<http::Transport> transport,
                                                  Runtime runtime);

}  // namespace awsdl::auth
