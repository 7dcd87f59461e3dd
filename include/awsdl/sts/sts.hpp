#pragma once
// AWS Security Token Service: who am I, and temporary credentials for a role.

#include <chrono>
#include <memory>
#include <string>

#include "awsdl/auth/credentials.hpp"
#include "awsdl/config.hpp"
#include "awsdl/core/options.hpp"
#include "awsdl/core/result.hpp"

namespace awsdl {
/// What a service client stands on (signing, retries, endpoints): opaque here.
class ServiceClient;
}  // namespace awsdl

namespace awsdl::sts {

struct AWSDL_EXPORT CallerIdentity {
  std::string account;
  std::string arn;
  std::string user_id;
};

struct AWSDL_EXPORT AssumeRoleRequest {
  std::string role_arn;
  std::string role_session_name;
  std::chrono::seconds duration{3600};
  std::string external_id;  // optional
  std::string policy;       // optional session policy JSON
};

struct AWSDL_EXPORT AssumeRoleWithWebIdentityRequest {
  std::string role_arn;
  std::string role_session_name;
  std::string web_identity_token;  // never logged
  std::chrono::seconds duration{3600};
};

struct AWSDL_EXPORT AssumedRole {
  auth::Credentials credentials;  // with expiration
  std::string assumed_role_arn;
  std::string assumed_role_id;
};

class AWSDL_EXPORT StsClient {
 public:
  explicit StsClient(Config config);
  Result<CallerIdentity> get_caller_identity(const CallOptions& options = {}) const;
  Result<AssumedRole> assume_role(const AssumeRoleRequest& request, const CallOptions& options = {}) const;
  /// Sent unsigned, as AWS expects.
  Result<AssumedRole> assume_role_with_web_identity(const AssumeRoleWithWebIdentityRequest& request,
                                                    const CallOptions& options = {}) const;

 private:
  std::shared_ptr<ServiceClient> client_;
};

}  // namespace awsdl::sts
