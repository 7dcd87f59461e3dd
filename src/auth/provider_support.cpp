#include "auth/provider_support.hpp"

#include <pwd.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <vector>

#include <fmt/format.h>

#include "awsdl/core/log.hpp"

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

std::string expand_home(const std::string& path) {
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

namespace {

bool read_digits(std::string_view s, std::size_t& pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  pos += n;
  out = v;
  return true;
}

bool expect(std::string_view s, std::size_t& pos, char c) {
  if (pos >= s.size() || s[pos] != c) return false;
  ++pos;
  return true;
}

}  // namespace

Result<WallTime> parse_timestamp(std::string_view text) {
  auto bad = [&] {
    return Error::make(ErrorKind::kParse, "InvalidTimestamp",
                       fmt::format("expected an ISO 8601 timestamp such as 2024-01-02T03:04:05Z, got '{}'",
                                   text.substr(0, 40)));
  };
  std::size_t pos = 0;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!read_digits(text, pos, 4, year) || !expect(text, pos, '-') || !read_digits(text, pos, 2, month) ||
      !expect(text, pos, '-') || !read_digits(text, pos, 2, day))
    return bad();
  if (pos >= text.size() || (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' ')) return bad();
  ++pos;
  if (!read_digits(text, pos, 2, hour) || !expect(text, pos, ':') || !read_digits(text, pos, 2, minute) ||
      !expect(text, pos, ':') || !read_digits(text, pos, 2, second))
    return bad();
  std::chrono::nanoseconds fraction{0};
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    long long scale = 100000000;
    std::size_t start = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      fraction += std::chrono::nanoseconds((text[pos] - '0') * scale);
      scale /= 10;
      ++pos;
    }
    if (pos == start) return bad();
  }
  std::chrono::minutes offset{0};
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int sign = text[pos] == '-' ? -1 : 1;
    ++pos;
    int oh = 0, om = 0;
    if (!read_digits(text, pos, 2, oh)) return bad();
    if (pos < text.size() && text[pos] == ':') ++pos;
    if (!read_digits(text, pos, 2, om)) return bad();
    offset = std::chrono::minutes(sign * (oh * 60 + om));
  } else {
    return bad();
  }
  if (pos != text.size()) return bad();
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 60) return bad();
  std::chrono::year_month_day ymd{std::chrono::year(year), std::chrono::month(static_cast<unsigned>(month)),
                                  std::chrono::day(static_cast<unsigned>(day))};
  if (!ymd.ok()) return bad();
  auto tp = std::chrono::sys_days(ymd) + std::chrono::hours(hour) + std::chrono::minutes(minute) +
            std::chrono::seconds(second) - offset;
  return WallTime(std::chrono::time_point_cast<WallTime::duration>(tp) +
                  std::chrono::duration_cast<WallTime::duration>(fraction));
}

std::string format_timestamp(WallTime time) {
  auto secs = std::chrono::floor<std::chrono::seconds>(time);
  auto days = std::chrono::floor<std::chrono::days>(secs);
  std::chrono::year_month_day ymd{days};
  std::chrono::hh_mm_ss hms{secs - days};
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), hms.hours().count(),
                     hms.minutes().count(), hms.seconds().count());
}

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
