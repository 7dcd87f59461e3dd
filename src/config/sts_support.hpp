#pragma once
// The STS client the credential providers use to assume roles.

#include <memory>
#include <optional>
#include <string>

#include "awsdl/auth/credentials.hpp"
#include "awsdl/config.hpp"

namespace awsdl::internal {

/// A Config for StsClient: `source` as static credentials (none for the unsigned
/// web-identity call), the same transport and runtime, `region` (us-east-1 when empty) and the
/// STS endpoint overrides from the environment (AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL).
/// Fails on an invalid region name or endpoint URL.
Result<Config> sts_config(std::optional<auth::Credentials> source, std::shared_ptr<http::Transport> transport,
                  Runtime runtime, std::string region);

/// "awsdl-session-<unix seconds>", as botocore names its sessions.
std::string default_role_session_name(Runtime& runtime);

/// Puts `context` ("assuming role arn:... for profile dev") in front of an STS error,
/// keeping its code, status and request id.
Error sts_failure(Error error, const std::string& context);

}  // namespace awsdl::internal
