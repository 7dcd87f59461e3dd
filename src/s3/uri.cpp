#include "awsdl/s3/uri.hpp"

#include <algorithm>
#include <cctype>

namespace awsdl::s3 {
namespace {

Error uri_error(std::string_view text, const std::string& why) {
  std::string shown(text.substr(0, 200));
  return Error::invalid_argument("InvalidS3Uri", "'" + shown + "' is not an S3 URI: " + why);
}

bool looks_like_ipv4(std::string_view s) {
  int dots = 0;
  for (char c : s) {
    if (c == '.') ++dots;
    else if (c < '0' || c > '9') return false;
  }
  return dots == 3;
}

}  // namespace

std::string bucket_name_problem(std::string_view b) {
  if (b.size() < 3 || b.size() > 63) return "a bucket name has 3 to 63 characters";
  for (char c : b)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-'))
      return std::string("a bucket name holds only lower-case letters, digits, '.' and '-' (found '") + c + "')";
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(b.front()) || !alnum(b.back())) return "a bucket name starts and ends with a letter or digit";
  if (b.find("..") != std::string_view::npos) return "a bucket name has no two adjacent dots";
  if (looks_like_ipv4(b)) return "a bucket name is not an IP address";
  return {};
}

Result<S3Uri> S3Uri::parse(std::string_view text) {
  constexpr std::string_view scheme = "s3://";
  if (text.size() < scheme.size() || !std::equal(scheme.begin(), scheme.end(), text.begin(), [](char a, char b) {
        return a == std::tolower(static_cast<unsigned char>(b));
      })) {
    if (text.find("://") != std::string_view::npos) return uri_error(text, "the scheme must be s3://");
    return uri_error(text, "it must start with s3:// (as in s3://bucket/key)");
  }
  auto rest = text.substr(scheme.size());
  auto slash = rest.find('/');
  S3Uri u;
  u.bucket = std::string(rest.substr(0, slash));
  if (slash != std::string_view::npos) u.key = std::string(rest.substr(slash + 1));
  if (u.bucket.empty()) return uri_error(text, "the bucket name is empty");
  if (auto why = bucket_name_problem(u.bucket); !why.empty()) return uri_error(text, why);
  if (u.key.size() > 1024) return uri_error(text, "the key is longer than 1024 bytes");
  return u;
}

std::string S3Uri::to_string() const { return "s3://" + bucket + (key.empty() ? "" : "/" + key); }

}  // namespace awsdl::s3
