// The shared config and credentials files: parsing as botocore does, merging, errors.

#include <gtest/gtest.h>

#include "auth/profile_files.hpp"
#include "awsdl/auth/credentials.hpp"
#include "support/scoped_env.hpp"

namespace {

using awsdl::ErrorKind;
using awsdl::auth::ProfileOptions;
using awsdl::auth::ProfileSet;
using awsdl::testsupport::ScopedEnv;
using awsdl::testsupport::TempDir;

constexpr const char* kKeyId = "AKIAIOSFODNN7EXAMPLE";
constexpr const char* kSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

class ProfileFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir.ok());
    env.clear_prefix("AWS_");
    env.set("HOME", dir.path().string());  // so ~/.aws of whoever runs the tests is never read
  }
  ProfileOptions files(const std::string& config, const std::string& credentials) {
    ProfileOptions o;
    o.config_file = dir.write("config", config);
    o.credentials_file = dir.write("credentials", credentials);
    return o;
  }
  std::string value(const ProfileSet& set, const std::string& profile, const std::string& key) {
    const auto* p = set.find(profile);
    if (p == nullptr) return "<no profile " + profile + ">";
    return p->get(key).value_or("<unset>");
  }

  ScopedEnv env;
  TempDir dir;
};

TEST_F(ProfileFilesTest, MergesBothFilesWithCredentialsWinning) {
  auto opts = files(
      "[default]\n"
      "region = us-west-2\n"
      "output = json\n"
      "[profile dev]\n"
      "region = eu-west-1\n"
      "aws_access_key_id = FROMCONFIG\n",
      std::string("[default]\n"
                  "aws_access_key_id = ") + kKeyId + "\n" +
          "aws_secret_access_key = " + kSecret + "\n"
          "[dev]\n"
          "aws_access_key_id = AKIDEXAMPLE\n"
          "region = ap-southeast-2\n");
  auto set = ProfileSet::load(opts);
  ASSERT_TRUE(set.ok()) << set.error().to_string();
  EXPECT_EQ(value(*set, "default", "region"), "us-west-2");
  EXPECT_EQ(value(*set, "default", "output"), "json");
  EXPECT_EQ(value(*set, "default", "aws_access_key_id"), kKeyId);
  EXPECT_EQ(value(*set, "default", "aws_secret_access_key"), kSecret);
  // Same key in both files: the credentials file wins.
  EXPECT_EQ(value(*set, "dev", "aws_access_key_id"), "AKIDEXAMPLE");
  EXPECT_EQ(value(*set, "dev", "region"), "ap-southeast-2");
  EXPECT_EQ(set->profiles.size(), 2u);
}

TEST_F(ProfileFilesTest, ConfigNeedsProfilePrefixCredentialsDoNot) {
  auto opts = files(
      "[profile dev]\nregion = eu-west-1\n"
      "[plain]\nregion = us-east-2\n"
      "[sso-session corp]\nsso_region = us-east-1\n"
      "[services local]\ns3 =\n  endpoint_url = http://127.0.0.1:9000\n"
      "[profile   'quoted name']\nregion = eu-north-1\n"
      "[profile two words]\nregion = eu-south-1\n"
      "[profilex]\nregion = sa-east-1\n"
      "[profile default]\nregion = ca-central-1\n",
      "[profile odd]\naws_access_key_id = AKIDEXAMPLE\n"
      "[ci]\naws_access_key_id = AKIDEXAMPLE\n");
  auto set = ProfileSet::load(opts);
  ASSERT_TRUE(set.ok()) << set.error().to_string();
  EXPECT_EQ(value(*set, "dev", "region"), "eu-west-1");
  EXPECT_EQ(set->find("plain"), nullptr) << "[plain] in config is not a profile";
  EXPECT_EQ(set->find("corp"), nullptr);
  EXPECT_EQ(set->find("sso-session corp"), nullptr);
  EXPECT_EQ(set->find("local"), nullptr);
  EXPECT_EQ(set->find("x"), nullptr);
  EXPECT_EQ(value(*set, "quoted name", "region"), "eu-north-1");
  EXPECT_EQ(set->find("two words"), nullptr);
  EXPECT_EQ(set->find("two"), nullptr);
  EXPECT_EQ(value(*set, "default", "region"), "ca-central-1") << "[profile default] is the default profile";
  // In the credentials file the section name is the profile name, whatever it looks like.
  EXPECT_EQ(value(*set, "profile odd", "aws_access_key_id"), "AKIDEXAMPLE");
  EXPECT_EQ(set->find("odd"), nullptr);
  EXPECT_EQ(value(*set, "ci", "aws_access_key_id"), "AKIDEXAMPLE");
}

TEST_F(ProfileFilesTest, CommentsWhitespaceAndCase) {
  auto opts = files(
      "\xEF\xBB\xBF# a comment before any section\r\n"
      "; another\r\n"
      "\r\n"
      "[default]   # trailing text after the header\r\n"
      "  # an indented comment\r\n"
      "\tRegion\t=\tus-east-2  \r\n"
      "OUTPUT=text\r\n"
      "cli_pager:   less\r\n"
      "note = keep # this: botocore does not strip inline comments\r\n"
      "empty =\r\n"
      "\r\n"
      "[profile spaced]  \r\n"
      "region = eu-central-1\r\n",
      "");
  auto set = ProfileSet::load(opts);
  ASSERT_TRUE(set.ok()) << set.error().to_string();
  EXPECT_EQ(value(*set, "default", "region"), "us-east-2");
  EXPECT_EQ(value(*set, "default", "REGION"), "us-east-2") << "keys are case-insensitive";
  EXPECT_EQ(value(*set, "default", "output"), "text");
  EXPECT_EQ(value(*set, "default", "cli_pager"), "less");
  EXPECT_EQ(value(*set, "default", "note"), "keep # this: botocore does not strip inline comments");
  EXPECT_EQ(value(*set, "default", "empty"), "");
  EXPECT_EQ(value(*set, "spaced", "region"), "eu-central-1");
  EXPECT_EQ(set->find("Default"), nullptr) << "profile names are case-sensitive";
}

TEST_F(ProfileFilesTest, NestedSectionsAndContinuationLines) {
  auto opts = files(
      "[default]\n"
      "s3 =\n"
      "  max_concurrent_requests = 20\n"
      "\n"
      "  # a comment inside the block\n"
      "  Addressing_Style = path\n"
      "region = us-west-1\n"
      "multi = first\n"
      "   second\n"
      "   third\n"
      "after = x\n",
      "");
  auto set = ProfileSet::load(opts);
  ASSERT_TRUE(set.ok()) << set.error().to_string();
  EXPECT_EQ(value(*set, "default", "s3.max_concurrent_requests"), "20");
  EXPECT_EQ(value(*set, "default", "s3.addressing_style"), "path");
  EXPECT_EQ(value(*set, "default", "s3"), "<unset>") << "a nested block is stored as dotted keys";
  EXPECT_EQ(value(*set, "default", "region"), "us-west-1");
  EXPECT_EQ(value(*set, "default", "multi"), "first\nsecond\nthird");
  EXPECT_EQ(value(*set, "default", "after"), "x");
}

TEST_F(ProfileFilesTest, RepeatedSectionsMergeLaterKeysWin) {
  auto opts = files("[profile a]\nregion = us-east-1\noutput = json\n[profile b]\nregion = eu-west-1\n"
                    "[profile a]\nregion = us-west-2\n",
                    "");
  auto set = ProfileSet::load(opts);
  ASSERT_TRUE(set.ok()) << set.error().to_string();
  EXPECT_EQ(value(*set, "a", "region"), "us-west-2");
  EXPECT_EQ(value(*set, "a", "output"), "json");
  EXPECT_EQ(value(*set, "b", "region"), "eu-west-1");
}

TEST_F(ProfileFilesTest, MissingFilesAreAnEmptySet) {
  ProfileOptions o;
  o.config_file = dir.file("no-such-config");
  o.credentials_file = dir.file("no-such-dir/credentials");
  auto set = ProfileSet::load(o);
  ASSERT_TRUE(set.ok()) << set.error().to_string();
  EXPECT_TRUE(set->profiles.empty());

  // With nothing given and HOME pointing at an empty directory, the defaults are missing too.
  auto defaults = ProfileSet::load(ProfileOptions{});
  ASSERT_TRUE(defaults.ok()) << defaults.error().to_string();
  EXPECT_TRUE(defaults->profiles.empty());
}

TEST_F(ProfileFilesTest, MalformedLineNamesFileAndLineButNotTheSecret) {
  // Line 7 is a secret pasted without its key.
  std::string credentials = std::string("[default]\n") + "aws_access_key_id = " + kKeyId + "\n" +
                            "aws_secret_access_key = " + kSecret + "\n" +
                            "\n"
                            "[other]\n"
                            "# the next line is broken\n" +
                            kSecret + "\n";
  auto opts = files("[default]\nregion = us-east-1\n", credentials);
  auto set = ProfileSet::load(opts);
  ASSERT_FALSE(set.ok());
  const auto& e = set.error();
  EXPECT_EQ(e.kind, ErrorKind::kParse);
  EXPECT_NE(e.message.find(opts.credentials_file), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("line 7: expected 'key = value'"), std::string::npos) << e.message;
  EXPECT_EQ(e.to_string().find("wJalrXUtnFEMI"), std::string::npos) << "the secret leaked into the error";
  EXPECT_EQ(e.to_string().find("EXAMPLEKEY"), std::string::npos);
}

TEST_F(ProfileFilesTest, OtherMalformedShapes) {
  struct Case {
    const char* text;
    const char* expected;
  } cases[] = {
      {"region = us-east-1\n[default]\n", "line 1: expected a '[section]' header"},
      {"[default]\nregion = us-east-1\n[profile broken\nx = y\n", "line 3: expected ']'"},
      {"[default]\n[]\n", "line 2: empty section name"},
      {"[default]\n= value\n", "line 2: expected 'key = value'"},
      {"[default]\ns3 =\n  max_concurrent_requests 20\n", "line 3: expected 'key = value' in the nested block"},
  };
  for (const auto& c : cases) {
    auto opts = files(c.text, "");
    auto set = ProfileSet::load(opts);
    ASSERT_FALSE(set.ok()) << c.text;
    EXPECT_EQ(set.error().kind, ErrorKind::kParse);
    EXPECT_NE(set.error().message.find(opts.config_file), std::string::npos) << set.error().message;
    EXPECT_NE(set.error().message.find(c.expected), std::string::npos) << set.error().message;
  }
}

TEST_F(ProfileFilesTest, UnreadableFileIsAnIoError) {
  std::filesystem::create_directories(dir.path() / "adir");
  ProfileOptions o;
  o.config_file = (dir.path() / "adir").string();
  o.credentials_file = dir.file("none");
  auto set = ProfileSet::load(o);
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.error().kind, ErrorKind::kIo);
  EXPECT_NE(set.error().message.find("adir"), std::string::npos);
}

TEST_F(ProfileFilesTest, FileLocationsFromEnvironmentAndHome) {
  dir.write(".aws/config", "[profile home]\nregion = us-east-1\n");
  dir.write(".aws/credentials", "[home]\naws_access_key_id = AKIDEXAMPLE\n");
  auto set = ProfileSet::load(ProfileOptions{});
  ASSERT_TRUE(set.ok()) << set.error().to_string();
  EXPECT_EQ(value(*set, "home", "region"), "us-east-1");
  EXPECT_EQ(value(*set, "home", "aws_access_key_id"), "AKIDEXAMPLE");

  auto cfg = dir.write("elsewhere/cfg", "[profile env]\nregion = eu-west-3\n");
  dir.write("elsewhere/creds", "[env]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n");
  env.set("AWS_CONFIG_FILE", cfg);
  env.set("AWS_SHARED_CREDENTIALS_FILE", "~/elsewhere/creds");  // "~" is expanded
  set = ProfileSet::load(ProfileOptions{});
  ASSERT_TRUE(set.ok()) << set.error().to_string();
  EXPECT_EQ(set->find("home"), nullptr);
  EXPECT_EQ(value(*set, "env", "region"), "eu-west-3");
  EXPECT_EQ(value(*set, "env", "aws_access_key_id"), "AKIAIOSFODNN7EXAMPLE");

  // Options win over the environment.
  ProfileOptions o;
  o.config_file = dir.file(".aws/config");
  o.credentials_file = dir.file(".aws/credentials");
  set = ProfileSet::load(o);
  ASSERT_TRUE(set.ok());
  EXPECT_NE(set->find("home"), nullptr);
  EXPECT_EQ(set->find("env"), nullptr);
}

TEST_F(ProfileFilesTest, ActiveProfileSelection) {
  EXPECT_EQ(ProfileSet::active_profile({}), "default");
  EXPECT_FALSE(awsdl::internal::profile_explicitly_selected({}));
  env.set("AWS_PROFILE", "dev");
  EXPECT_EQ(ProfileSet::active_profile({}), "dev");
  EXPECT_TRUE(awsdl::internal::profile_explicitly_selected({}));
  ProfileOptions o;
  o.profile = "ci";
  EXPECT_EQ(ProfileSet::active_profile(o), "ci");
  env.set("AWS_PROFILE", "");  // empty counts as unset, as in the SDKs
  EXPECT_EQ(ProfileSet::active_profile({}), "default");
}

}  // namespace
