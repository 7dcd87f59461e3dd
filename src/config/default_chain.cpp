// The SDKs' default chain: environment, web identity, the shared files, IMDSv2; cached.

#include "awsdl/auth/credentials.hpp"

namespace awsdl::auth {

CredentialsProviderPtr default_chain(ProfileOptions profile, std::shared_ptr<http::Transport> transport,
                                     Runtime runtime) {
  if (!runtime.clock) runtime = Runtime::system();
  std::vector<CredentialsProviderPtr> providers;
  // As botocore: a profile named by the caller (not by AWS_PROFILE) means "use that
  // profile", so the environment's keys must not win over it.
  if (profile.profile.empty()) providers.push_back(environment_provider());
  providers.push_back(web_identity_provider(transport, runtime));
  providers.push_back(profile_provider(std::move(profile), transport, runtime));
  providers.push_back(imds_provider(ImdsOptions{}, transport, runtime));
  return caching_provider(chain_provider(std::move(providers)), runtime);
}

}  // namespace awsdl::auth
