#include "awsdl/core/log.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

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

}  // namespace
