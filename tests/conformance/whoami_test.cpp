// awsdl-whoami against moto's server: what it prints is what STS told boto3.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <filesystem>
#include <string>

#include "support/moto.hpp"
#include "support/run_process.hpp"
#include "support/tar_test_support.hpp"

namespace {

using awsdl::testsupport::Moto;
namespace fs = std::filesystem;

const std::string kBinary = std::string(AWSDL_BINARY_DIR) + "/examples/whoami/awsdl-whoami";

TEST(WhoamiConformance, PrintsTheIdentityStsGivesBoto3) {
  Moto moto;
  ASSERT_TRUE(moto.ok()) << moto.error();
  ASSERT_TRUE(fs::exists(kBinary)) << kBinary << " is not built";
  ASSERT_TRUE(moto.reset());
  awsdl::testing_support::ScratchDir home;

  auto boto = moto.call("sts", "get_caller_identity");
  ASSERT_TRUE(boto.ok()) << boto.error().to_string();
  const auto& truth = (**boto)["ok"];
  ASSERT_TRUE(truth.IsObject()) << "boto3 failed";
  const std::string account = truth["Account"].GetString(), arn = truth["Arn"].GetString(),
                    user = truth["UserId"].GetString();
  EXPECT_EQ(account, Moto::kAccount);

  // JSON, as the AWS CLI prints it.
  auto r = awsdl::testsupport::run_process(kBinary, {}, moto.cli_env(home.path().string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.err.empty()) << r.err;
  rapidjson::Document doc;
  doc.Parse(r.out.c_str());
  ASSERT_FALSE(doc.HasParseError()) << r.out;
  ASSERT_TRUE(doc.IsObject()) << r.out;
  EXPECT_EQ(doc.MemberCount(), 3u) << r.out;
  ASSERT_TRUE(doc.HasMember("Account") && doc.HasMember("Arn") && doc.HasMember("UserId")) << r.out;
  EXPECT_EQ(doc["Account"].GetString(), account);
  EXPECT_EQ(doc["Arn"].GetString(), arn);
  EXPECT_EQ(doc["UserId"].GetString(), user);

  // Text: one tab-separated line, with the endpoint given as a flag instead.
  auto env = moto.cli_env(home.path().string());
  env.erase("AWS_ENDPOINT_URL");
  auto text = awsdl::testsupport::run_process(kBinary, {"--output", "text", "--endpoint-url", moto.endpoint()}, env);
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_EQ(text.out, account + "\t" + arn + "\t" + user + "\n");
}

}  // namespace
