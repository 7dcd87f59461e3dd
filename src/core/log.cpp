#include "awsdl/core/log.hpp"

#include <cstdio>
#include <mutex>
#include <regex>
#include <set>

namespace awsdl {

const char* to_string(LogLevel level) {
  switch (level) {
    case LogLevel::kTrace: return "TRACE";
    case LogLevel::kDebug: return "DEBUG";
    case LogLevel::kInfo: return "INFO";
    case LogLevel::kWarn: return "WARN";
    case LogLevel::kError: return "ERROR";
    case LogLevel::kOff: return "OFF";
  }
  return "?";
}

LogSink stderr_log_sink() {
  return [](LogLevel level, std::string_view line) {
    std::fprintf(stderr, "awsdl %s: %.*s\n", to_string(level), static_cast<int>(line.size()), line.data());
  };
}

namespace {

std::mutex& secrets_mu() {
  static std::mutex mu;
  return mu;
}
std::set<std::string>& secrets() {
  static std::set<std::string> s;
  return s;
}

struct Rule {
  std::regex re;
  const char* replacement;
};

const std::vector<Rule>& rules() {
  static const std::vector<Rule> r = [] {
    auto icase = std::regex::ECMAScript | std::regex::icase;
    std::vector<Rule> v;
    // Header form: "Authorization: AWS4-HMAC-SHA256 ...", "X-Amz-Security-Token: ...".
    v.push_back({std::regex(R"re(((?:authorization|x-amz-security-token|proxy-authorization)\s*:\s*)[^\r\n]*)re", icase), "$1[redacted]"});
    // Query / key=value form: X-Amz-Signature=..., X-Amz-Security-Token=..., Signature=...,
    // aws_secret_access_key = ..., aws_session_token = ...
    v.push_back({std::regex(R"re(((?:x-amz-signature|x-amz-security-token|x-amz-credential-secret|signature|aws_secret_access_key|aws_session_token|aws_security_token|secret_access_key|password)\s*=\s*)[^&\s,;"']+)re", icase), "$1[redacted]"});
    // JSON form: "SecretAccessKey": "...", "SessionToken": "...", "Token": "...", "password": "..."
    v.push_back({std::regex(R"re(("(?:secretaccesskey|sessiontoken|token|password|authorizationtoken|secret_access_key|session_token)"\s*:\s*")[^"]*)re", icase), "$1[redacted]"});
    // XML form: <SecretAccessKey>...</SecretAccessKey>, <SessionToken>...</SessionToken>
    v.push_back({std::regex(R"re((<(SecretAccessKey|SessionToken|AuthorizationToken)>)[^<]*)re", icase), "$1[redacted]"});
    return v;
  }();
  return r;
}

}  // namespace

void register_secret(std::string_view secret) {
  if (secret.size() < 8) return;
  std::lock_guard lock(secrets_mu());
  secrets().emplace(secret);
}

std::string redact(std::string_view text) {
  std::string out(text);
  {
    std::lock_guard lock(secrets_mu());
    for (const auto& s : secrets()) {
      for (auto pos = out.find(s); pos != std::string::npos; pos = out.find(s, pos)) {
        out.replace(pos, s.size(), "[redacted]");
        pos += 10;
      }
    }
  }
  for (const auto& rule : rules()) out = std::regex_replace(out, rule.re, rule.replacement);
  return out;
}

void Logger::log(LogLevel l, std::string_view line) const {
  if (!enabled(l)) return;
  sink(l, redact(line));
}

}  // namespace awsdl
