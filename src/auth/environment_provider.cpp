// Credentials from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN and
// AWS_CREDENTIAL_EXPIRATION, read on every call so a changed environment is noticed.

#include "awsdl/auth/credentials.hpp"

#include "auth/provider_support.hpp"

namespace awsdl::auth {

namespace {

class EnvironmentProvider final : public CredentialsProvider {
 public:
  Result<Credentials> get() override {
    auto id = internal::env_value("AWS_ACCESS_KEY_ID");
    auto secret = internal::env_value("AWS_SECRET_ACCESS_KEY");
    if (!id && !secret) return internal::credentials_not_configured("environment: AWS_ACCESS_KEY_ID is not set");
    if (!id || !secret)
      return internal::credentials_error(
          "IncompleteCredentials",
          std::string("the environment has ") + (id ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY") +
              " but not " + (id ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID") + "; set both or neither");
    Credentials c;
    c.access_key_id = *id;
    c.secret_access_key = *secret;
    // AWS_SECURITY_TOKEN is the name older tools still export.
    if (auto token = internal::env_value("AWS_SESSION_TOKEN")) {
      c.session_token = *token;
    } else if (auto legacy = internal::env_value("AWS_SECURITY_TOKEN")) {
      c.session_token = *legacy;
    }
    c.source = "environment";
    internal::register_credentials_secrets(c);
    if (auto exp = internal::env_value("AWS_CREDENTIAL_EXPIRATION")) {
      auto t = internal::parse_timestamp(*exp);
      if (!t)
        return internal::credentials_error("InvalidCredentialExpiration",
                                           "AWS_CREDENTIAL_EXPIRATION: " + t.error().message);
      c.expiration = *t;
    }
    return internal::usable_credentials(std::move(c), Runtime::system().clock->wall_now());
  }
};

}  // namespace

CredentialsProviderPtr environment_provider() { return std::make_shared<EnvironmentProvider>(); }

}  // namespace awsdl::auth
