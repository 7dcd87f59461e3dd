#include "awsdl/core/log.hpp"

#include <cstdio>
#include <mutex>
#include <initializer_list>
#include <set>
#include <string_view>
#include <vector>

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

// Redaction is a hand-written scanner, not std::regex: libstdc++'s regex executor recurses
// once per character a repetition consumes, so a long value after "Authorization:" (which
// any server or command line can put into an error) overflowed the stack. Every pass below is
// linear in the text. Each pass is what the regular expression in its comment did with
// regex_replace(text, re, "$1[redacted]") (ECMAScript, icase), so behaviour did not change
// when the scanner replaced them; tests/unit/core_log_test.cpp checks the two agree.

constexpr std::string_view kRedacted = "[redacted]";

// \s of the classic locale.
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }
char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// The length of the lower-case `word` when the text at `i` spells it in any case, else 0.
std::size_t word_at(std::string_view text, std::size_t i, std::string_view word) {
  if (text.size() - i < word.size()) return 0;
  for (std::size_t k = 0; k < word.size(); ++k)
    if (lower(text[i + k]) != word[k]) return 0;
  return word.size();
}

// The end of the first of `words` spelled at `i`, or npos. No word in one list is a prefix of
// another, so at most one can match: the regex alternation's order does not matter.
std::size_t any_word_at(std::string_view text, std::size_t i, std::initializer_list<std::string_view> words) {
  for (auto w : words)
    if (auto n = word_at(text, i, w)) return i + n;
  return std::string_view::npos;
}

std::size_t skip_spaces(std::string_view text, std::size_t i) {
  while (i < text.size() && is_space(text[i])) ++i;
  return i;
}

constexpr std::size_t npos = std::string_view::npos;

// One pass: at each position, `prefix` gives the end of what is kept ($1) when a secret form
// starts there, and `value` the end of the secret (npos: no match after all). The scan resumes
// after the secret, as regex_replace does.
template <typename Prefix, typename Value>
std::string redact_pass(std::string_view text, Prefix prefix, Value value) {
  std::string out;
  std::size_t copied = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t keep = prefix(text, i);
    std::size_t end = keep == npos ? npos : value(text, keep);
    if (end == npos) {
      ++i;
      continue;
    }
    if (out.empty()) out.reserve(text.size());
    out.append(text.substr(copied, keep - copied));
    out.append(kRedacted);
    copied = i = end;
  }
  if (copied == 0) return std::string(text);
  out.append(text.substr(copied));
  return out;
}

// Values: the rest of the line; one or more characters not in `stop` (npos when none).
std::size_t to_line_end(std::string_view text, std::size_t i) {
  while (i < text.size() && text[i] != '\r' && text[i] != '\n') ++i;
  return i;
}
std::size_t nonempty_run(std::string_view text, std::size_t i, bool (*stop)(char)) {
  std::size_t start = i;
  while (i < text.size() && !stop(text[i])) ++i;
  return i == start ? npos : i;
}
// Values: up to the next `c`, or the end of the text.
auto up_to(char c) {
  return [c](std::string_view text, std::size_t i) {
    auto at = text.find(c, i);
    return at == npos ? text.size() : at;
  };
}

// Prefixes: `open`, one of `words`, `close` at `i` ("<SessionToken>", "\"Token\""); the end of
// `close`, or npos.
std::size_t enclosed_word_at(std::string_view text, std::size_t i, char open,
                             std::initializer_list<std::string_view> words, char close) {
  if (text[i] != open) return npos;
  auto k = any_word_at(text, i + 1, words);
  if (k == npos || k == text.size() || text[k] != close) return npos;
  return k + 1;
}
// Prefixes: after a word that ends at `k` (npos: no word), spaces, `sep`, spaces; their end,
// or npos when `sep` is not there.
std::size_t past_separator(std::string_view text, std::size_t k, char sep) {
  if (k == npos) return npos;
  k = skip_spaces(text, k);
  if (k == text.size() || text[k] != sep) return npos;
  return skip_spaces(text, k + 1);
}

std::string redact_forms(std::string text) {
  // ((?:authorization|x-amz-security-token|proxy-authorization)\s*:\s*)[^\r\n]*
  // The header form: "Authorization: AWS4-HMAC-SHA256 ...", "X-Amz-Security-Token: ...".
  text = redact_pass(
      text,
      [](std::string_view t, std::size_t i) {
        return past_separator(t, any_word_at(t, i, {"authorization", "x-amz-security-token", "proxy-authorization"}),
                              ':');
      },
      to_line_end);

  // ((?:x-amz-signature|x-amz-security-token|x-amz-credential-secret|signature|aws_secret_access_key
  //    |aws_session_token|aws_security_token|secret_access_key|password)\s*=\s*)[^&\s,;"']+
  // The query / key=value form: X-Amz-Signature=..., Signature=..., aws_secret_access_key = ...
  text = redact_pass(
      text,
      [](std::string_view t, std::size_t i) {
        auto k = any_word_at(t, i,
                             {"x-amz-signature", "x-amz-security-token", "x-amz-credential-secret", "signature",
                              "aws_secret_access_key", "aws_session_token", "aws_security_token", "secret_access_key",
                              "password"});
        return past_separator(t, k, '=');
      },
      [](std::string_view t, std::size_t i) {
        return nonempty_run(t, i, [](char c) { return c == '&' || is_space(c) || c == ',' || c == ';' || c == '"' || c == '\''; });
      });

  // ("(?:secretaccesskey|sessiontoken|token|password|authorizationtoken|secret_access_key
  //    |session_token)"\s*:\s*")[^"]*
  // The JSON form: "SecretAccessKey": "...", "Token": "...".
  text = redact_pass(
      text,
      [](std::string_view t, std::size_t i) {
        auto k = past_separator(t,
                                enclosed_word_at(t, i, '"',
                                                 {"secretaccesskey", "sessiontoken", "token", "password",
                                                  "authorizationtoken", "secret_access_key", "session_token"},
                                                 '"'),
                                ':');
        if (k == npos || k == t.size() || t[k] != '"') return npos;
        return k + 1;
      },
      up_to('"'));

  // (<(SecretAccessKey|SessionToken|AuthorizationToken)>)[^<]*
  // The XML form: <SecretAccessKey>...</SecretAccessKey>.
  text = redact_pass(
      text,
      [](std::string_view t, std::size_t i) {
        return enclosed_word_at(t, i, '<', {"secretaccesskey", "sessiontoken", "authorizationtoken"}, '>');
      },
      up_to('<'));

  // ((?:secretaccesskey|secret_access_key|sessiontoken|session_token)['"]?\s*[:=]\s*['"]?)[^\s,;"'&<>]+
  // The "key: value" form programs print (YAML, Python's dict repr, logs):
  // "SecretAccessKey: ...", 'SessionToken': '...', SecretAccessKey=...
  text = redact_pass(
      text,
      [](std::string_view t, std::size_t i) {
        auto k = any_word_at(t, i, {"secretaccesskey", "secret_access_key", "sessiontoken", "session_token"});
        if (k == npos) return npos;
        if (k < t.size() && (t[k] == '"' || t[k] == '\'')) ++k;
        k = skip_spaces(t, k);
        if (k == t.size() || (t[k] != ':' && t[k] != '=')) return npos;
        k = skip_spaces(t, k + 1);
        if (k < t.size() && (t[k] == '"' || t[k] == '\'')) ++k;
        return k;
      },
      [](std::string_view t, std::size_t i) {
        return nonempty_run(t, i, [](char c) {
          return is_space(c) || c == ',' || c == ';' || c == '"' || c == '\'' || c == '&' || c == '<' || c == '>';
        });
      });
  return text;
}

// Every occurrence of `secret` replaced, in time linear in the text (Knuth-Morris-Pratt: a
// text of near misses costs no more than any other).
std::string replace_all(std::string_view text, std::string_view secret) {
  std::vector<std::size_t> fail(secret.size(), 0);
  for (std::size_t i = 1, k = 0; i < secret.size(); ++i) {
    while (k > 0 && secret[i] != secret[k]) k = fail[k - 1];
    if (secret[i] == secret[k]) ++k;
    fail[i] = k;
  }
  std::string out;
  std::size_t copied = 0;
  for (std::size_t i = 0, k = 0; i < text.size(); ++i) {
    while (k > 0 && text[i] != secret[k]) k = fail[k - 1];
    if (text[i] == secret[k]) ++k;
    if (k == secret.size()) {
      std::size_t start = i + 1 - secret.size();
      out.append(text.substr(copied, start - copied));
      out.append(kRedacted);
      copied = i + 1;
      k = 0;  // occurrences do not overlap: the next one starts after this one
    }
  }
  if (copied == 0) return std::string(text);
  out.append(text.substr(copied));
  return out;
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
    for (const auto& s : secrets()) out = replace_all(out, s);
  }
  return redact_forms(std::move(out));
}

void Logger::log(LogLevel l, std::string_view line) const {
  if (!enabled(l)) return;
  sink(l, redact(line));
}

}  // namespace awsdl
