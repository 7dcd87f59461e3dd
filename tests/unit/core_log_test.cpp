#include "awsdl/core/log.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "awsdl/core/error.hpp"

namespace {

constexpr const char* kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

bool leaks(const std::string& s, const std::string& what) { return s.find(what) != std::string::npos; }

TEST(Redact, AuthorizationHeader) {
  auto out = awsdl::redact(
      "Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, "
      "SignedHeaders=host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7\nnext");
  EXPECT_FALSE(leaks(out, "5d672d79")) << out;
  EXPECT_TRUE(leaks(out, "Authorization: [redacted]"));
  EXPECT_TRUE(leaks(out, "next"));
}

TEST(Redact, PresignedQueryAndToken) {
  auto out = awsdl::redact(
      "https://b.s3.amazonaws.com/k?X-Amz-Security-Token=FQoGZXIvYXdzEXAMPLETOKEN&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404&x=1");
  EXPECT_FALSE(leaks(out, "FQoGZXIv"));
  EXPECT_FALSE(leaks(out, "aeeed9bb"));
  EXPECT_TRUE(leaks(out, "x=1"));
}

TEST(Redact, KeyValueJsonAndXmlForms) {
  EXPECT_FALSE(leaks(awsdl::redact(std::string("aws_secret_access_key = ") + kSecret), "EXAMPLEKEY"));
  EXPECT_FALSE(leaks(awsdl::redact(std::string(R"({"SecretAccessKey": ")") + kSecret + "\"}"), "EXAMPLEKEY"));
  EXPECT_FALSE(leaks(awsdl::redact(std::string("<SecretAccessKey>") + kSecret + "</SecretAccessKey>"), "EXAMPLEKEY"));
  EXPECT_FALSE(leaks(awsdl::redact(R"({"SessionToken":"IQoJb3JpZ2luX2VjEXAMPLE"})"), "IQoJb3J"));
  EXPECT_FALSE(leaks(awsdl::redact("<SessionToken>IQoJb3JpZ2luX2VjEXAMPLE</SessionToken>"), "IQoJb3J"));
}

TEST(Redact, RegisteredSecretsAnywhere) {
  awsdl::register_secret("a-password-123456");
  auto out = awsdl::redact("login with a-password-123456 failed; again a-password-123456");
  EXPECT_FALSE(leaks(out, "a-password-123456")) << out;
  awsdl::register_secret("short");  // too short to register: would mask ordinary words
  EXPECT_TRUE(leaks(awsdl::redact("a short word"), "short"));
}

TEST(Redact, LeavesOrdinaryTextAlone) {
  std::string text = "DescribeInstances returned 3 instances in us-east-1 (request id 1234)";
  EXPECT_EQ(awsdl::redact(text), text);
}

TEST(Logger, FiltersByLevelAndRedacts) {
  std::vector<std::string> lines;
  awsdl::Logger logger{[&](awsdl::LogLevel, std::string_view l) { lines.emplace_back(l); }, awsdl::LogLevel::kInfo};
  logger.log(awsdl::LogLevel::kDebug, "dropped");
  logger.log(awsdl::LogLevel::kWarn, std::string("aws_secret_access_key=") + kSecret);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_FALSE(leaks(lines[0], "EXAMPLEKEY"));

  awsdl::Logger off;
  EXPECT_FALSE(off.enabled(awsdl::LogLevel::kError));
  off.log(awsdl::LogLevel::kError, "nowhere");  // must not crash
}


// ---------------------------------------------------------------- long and hostile input
// redact() runs on every Error::to_string(), so whatever a server or a command line puts in an
// error reaches it. It must be linear and must not recurse per character (libstdc++'s
// std::regex does, and overflowed the stack at ~30 KB after "Authorization:").

namespace long_input {

const std::size_t kMiB = std::size_t{1} << 20;

TEST(RedactLongInput, MegabyteAfterEachForm) {
  const std::string a(kMiB, 'A');
  struct Case {
    std::string prefix, suffix, expect_start;
  } cases[] = {
      {"Authorization: ", "\nnext", "Authorization: [redacted]\nnext"},
      {"x Signature=", "&y=1", "x Signature=[redacted]&y=1"},
      {"?X-Amz-Signature=", "", "?X-Amz-Signature=[redacted]"},
      {R"({"SessionToken": ")", R"("})", R"({"SessionToken": "[redacted]"})"},
      {"<SecretAccessKey>", "</SecretAccessKey>", "<SecretAccessKey>[redacted]</SecretAccessKey>"},
      {"SecretAccessKey: ", " end", "SecretAccessKey: [redacted] end"},
  };
  for (const auto& c : cases) {
    auto out = awsdl::redact(c.prefix + a + c.suffix);
    EXPECT_EQ(out, c.expect_start) << c.prefix;
  }
}

TEST(RedactLongInput, MegabyteOfOrdinaryAndNearMissText) {
  // No secret form at all: returned unchanged.
  std::string plain(kMiB, 'x');
  EXPECT_EQ(awsdl::redact(plain), plain);
  // A keyword followed by a megabyte of blanks and no separator: unchanged.
  std::string spaced = "authorization" + std::string(kMiB, ' ') + "no colon";
  EXPECT_EQ(awsdl::redact(spaced), spaced);
  // A megabyte made of keywords: every one is looked at, none matches a form.
  std::string words;
  while (words.size() < kMiB) words += "signature password token ";
  EXPECT_EQ(awsdl::redact(words), words);
  // Many short secrets: each one masked, in linear time.
  std::string many;
  while (many.size() < kMiB) many += "Signature=abcdef&";
  auto out = awsdl::redact(many);
  EXPECT_EQ(out.find("abcdef"), std::string::npos);
  EXPECT_NE(out.find("Signature=[redacted]&Signature=[redacted]&"), std::string::npos);
}

TEST(RedactLongInput, RegisteredSecretInAMegabyte) {
  const std::string secret = "registered-secret-for-long-input-0123456789";
  awsdl::register_secret(secret);
  // A text of near misses (the secret's first 20 characters, over and over), then the secret.
  std::string text;
  while (text.size() < kMiB) text += secret.substr(0, 20);
  text += secret + " tail";
  auto out = awsdl::redact(text);
  EXPECT_EQ(out.find(secret), std::string::npos);
  EXPECT_EQ(out.size(), text.size() - secret.size() + std::string("[redacted]").size());
  EXPECT_NE(out.find("[redacted] tail"), std::string::npos);
}

TEST(RedactLongInput, ErrorToStringWithAHugeCode) {
  // What a hostile server's 500 <Code>Signature=AAAA...</Code> becomes.
  awsdl::Error e = awsdl::Error::make(awsdl::ErrorKind::kService, "Signature=" + std::string(100000, 'A'), "boom");
  e.http_status = 500;
  auto s = e.to_string();
  EXPECT_EQ(s, "Signature=[redacted] (HTTP 500): boom");
}

// The regular expressions redact() used before it became a scanner, plus the key: value form
// added for credential_process output. The scanner must give exactly their answers: they are
// run here on short inputs only, where std::regex is safe.
std::string reference(std::string text) {
  auto icase = std::regex::ECMAScript | std::regex::icase;
  static const std::pair<std::regex, const char*> rules[] = {
      {std::regex(R"re(((?:authorization|x-amz-security-token|proxy-authorization)\s*:\s*)[^\r\n]*)re", icase),
       "$1[redacted]"},
      {std::regex(
           R"re(((?:x-amz-signature|x-amz-security-token|x-amz-credential-secret|signature|aws_secret_access_key|aws_session_token|aws_security_token|secret_access_key|password)\s*=\s*)[^&\s,;"']+)re",
           icase),
       "$1[redacted]"},
      {std::regex(
           R"re(("(?:secretaccesskey|sessiontoken|token|password|authorizationtoken|secret_access_key|session_token)"\s*:\s*")[^"]*)re",
           icase),
       "$1[redacted]"},
      {std::regex(R"re((<(SecretAccessKey|SessionToken|AuthorizationToken)>)[^<]*)re", icase), "$1[redacted]"},
      {std::regex(R"re(((?:secretaccesskey|secret_access_key|sessiontoken|session_token)['"]?\s*[:=]\s*['"]?)[^\s,;"'&<>]+)re",
                  icase),
       "$1[redacted]"},
  };
  for (const auto& [re, replacement] : rules) text = std::regex_replace(text, re, replacement);
  return text;
}

TEST(RedactLongInput, SameAnswersAsTheRegularExpressions) {
  const char* pieces[] = {
      "Authorization", "authorization", "PROXY-Authorization", "proxy-", "X-Amz-Security-Token", "x-amz-signature",
      "X-Amz-Credential-Secret", "Signature", "signature", "chunk-", "aws_secret_access_key", "AWS_SESSION_TOKEN",
      "aws_security_token", "secret_access_key", "Password", "SecretAccessKey", "sessiontoken", "Session_Token",
      "token", "AuthorizationToken", "<", ">", "</", "\"", "'", ":", "=", " ", "  ", "\t", "\n", "\r\n", "\v", "&",
      ",", ";", "/", "+", "abc", "XYZ", "0123", "[redacted]", "\xC3\xA9", "<SecretAccessKey>", "<sessiontoken>",
      "\"token\"", "\"Password\"", "=\"", ": \"",
  };
  const std::size_t n = sizeof(pieces) / sizeof(pieces[0]);
  std::uint64_t state = 12345;
  auto next = [&state] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<std::size_t>(state >> 33);
  };
  for (int round = 0; round < 10000; ++round) {
    std::string text;
    std::size_t len = 1 + next() % 14;
    for (std::size_t i = 0; i < len; ++i) text += pieces[next() % n];
    ASSERT_EQ(awsdl::redact(text), reference(text)) << "input: " << text;
  }
}

}  // namespace long_input

}  // namespace
