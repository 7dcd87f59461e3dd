#include "auth/provider_support.hpp"

#include <pwd.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <vector>

#include <fmt/format.h>

#include "awsdl/core/log.hpp"
#include "util/http_date.hpp"

namespace awsdl::internal {

std::optional<std::string> env_value(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::string(v);
}

bool is_true(std::string_view value) {
  while (!value.empty() && std::isspace(static_cast<unsigned char>(value.front()))) value.remove_prefix(1);
  while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back()))) value.remove_suffix(1);
  if (value.size() != 4) return false;
  std::string lower;
  for (char c : value) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower == "true";
}

bool env_true(const char* name) {
  auto v = env_value(name);
  return v && is_true(*v);
}

std::string expand_tilde(const std::string& path) {
  if (path.empty() || path[0] != '~') return path;
  if (path.size() > 1 && path[1] != '/') return path;  // "~user/..." is left to the shell
  std::string home;
  if (auto h = env_value("HOME")) {
    home = *h;
  } else {
    struct passwd pw {};
    struct passwd* found = nullptr;
    std::vector<char> buf(16384);
    if (getpwuid_r(getuid(), &pw, buf.data(), buf.size(), &found) == 0 && found != nullptr && found->pw_dir)
      home = found->pw_dir;
  }
  if (home.empty()) return path;
  return home + path.substr(1);
}

Result<WallTime> parse_timestamp(std::string_view text) {
  if (auto t = parse_iso8601(text)) return *t;
  return Error::make(ErrorKind::kParse, "InvalidTimestamp",
                     fmt::format("expected an ISO 8601 timestamp such as 2024-01-02T03:04:05Z, got '{}'",
                                 text.substr(0, 40)));
}

std::string format_timestamp(WallTime time) { return format_iso8601(time); }

void register_credentials_secrets(const auth::Credentials& credentials) {
  register_secret(credentials.secret_access_key);
  register_secret(credentials.session_token);
}

Result<auth::Credentials> usable_credentials(auth::Credentials credentials, WallTime now) {
  register_credentials_secrets(credentials);
  if (credentials.expired(now)) {
    return credentials_error(
        "ExpiredToken", fmt::format("the credentials from {} expired at {}; renew them (for example log in again "
                                    "or refresh the credential source)",
                                    credentials.source.empty() ? std::string("the provider") : credentials.source,
                                    format_timestamp(*credentials.expiration)));
  }
  return credentials;
}

Error credentials_not_configured(std::string message) {
  return Error::make(ErrorKind::kNotFound, "NoCredentials", std::move(message));
}

Error credentials_error(std::string code, std::string message) {
  return Error::make(ErrorKind::kCredentials, std::move(code), std::move(message));
}

}  // namespace awsdl::internal
