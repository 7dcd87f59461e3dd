#pragma once
// STS AssumeRoleWithWebIdentity from a token file, shared by the environment-driven provider
// and profiles with web_identity_token_file.

#include <chrono>
#include <memory>
#include <string>

#include "awsdl/auth/credentials.hpp"
#include "awsdl/core/result.hpp"
#include "awsdl/core/runtime.hpp"

namespace awsdl::internal {

struct WebIdentitySettings {
  std::string token_file;
  std::string role_arn;
  std::string session_name;  // empty: awsdl-session-<time>
  std::string region;        // for STS; empty: us-east-1
  std::chrono::seconds duration{3600};
  std::string source;        // for errors and Credentials::source
};

/// Reads the token (again on every call: it rotates) and exchanges it for role credentials.
Result<auth::Credentials> web_identity_credentials(const WebIdentitySettings& settings,
                                                   std::shared_ptr<http::Transport> transport, Runtime runtime);

}  // namespace awsdl::internal
