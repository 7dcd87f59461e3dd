#pragma once
// Small pieces every credentials provider needs: environment lookups, expiry checks,
// timestamps, and the errors that say "nothing configured here" or "these expired".

#include <optional>
#include <string>
#include <string_view>

#include "awsdl/auth/credentials.hpp"
#include "awsdl/core/result.hpp"
#include "awsdl/core/runtime.hpp"

namespace awsdl::internal {

/// The variable's value, or nullopt when it is unset or empty (the SDKs treat both alike).
std::optional<std::string> env_value(const char* name);

/// Whether the variable is set to "true" (any case), as the SDKs read boolean settings.
bool env_true(const char* name);
bool is_true(std::string_view value);

/// "~/x" with $HOME (or the password database) expanded; other paths unchanged.
std::string expand_tilde(const std::string& path);

/// RFC 3339 / ISO 8601 timestamps as AWS writes them: "2024-01-02T03:04:05Z",
/// with optional fractional seconds and a "Z" or "+hh:mm" offset.
Result<WallTime> parse_timestamp(std::string_view text);
std::string format_timestamp(WallTime time);

/// Registers the secret parts of `credentials` for log redaction.
void register_credentials_secrets(const auth::Credentials& credentials);

/// `credentials` if they are usable at `now`; an ExpiredToken kCredentials error otherwise.
/// Registers their secrets either way.
Result<auth::Credentials> usable_credentials(auth::Credentials credentials, WallTime now);

/// kNotFound: the provider has nothing configured; a chain moves on to the next one.
Error credentials_not_configured(std::string message);

/// kCredentials: the provider is configured but failed; a chain stops here.
Error credentials_error(std::string code, std::string message);

}  // namespace awsdl::internal
