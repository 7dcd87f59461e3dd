// awsdl-vm launch / status / terminate against moto's EC2: the image found by name, the
// instances launched, tagged and terminated are what boto3 reads from moto, and what the
// program prints agrees with it.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "support/moto.hpp"
#include "support/run_process.hpp"
#include "support/tar_test_support.hpp"

namespace {

using awsdl::testsupport::Moto;
namespace fs = std::filesystem;

const std::string kBinary = std::string(AWSDL_BINARY_DIR) + "/examples/vm/awsdl-vm";

rapidjson::Document parse(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse(text.c_str());
  return doc;
}

bool contains(const std::string& haystack, const std::string& needle) { return haystack.find(needle) != std::string::npos; }

class VmConformance : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(moto.ok()) << moto.error();
    ASSERT_TRUE(fs::exists(kBinary)) << kBinary << " is not built";
    ASSERT_TRUE(moto.reset());
    name = "motovm-" + std::to_string(std::random_device{}() % 1000000);
    auto key = moto.call("ec2", "create_key_pair", R"({"KeyName":")" + name + R"(-key"})");
    ASSERT_TRUE(key.ok()) << key.error().to_string();
    ASSERT_TRUE((**key).HasMember("ok")) << "boto3 create_key_pair failed";
    const std::string d = tmp.path().string();
    awsdl::testing_support::write_file(tmp / "key", "not used: launch, status and terminate make no SSH connection\n", 0600);
    awsdl::testing_support::write_file(tmp / "vm.ini",
                                       "[vm]\n"
                                       "name = " + name + "\n"
                                       "count = 2\n"
                                       "instance_type = g5.xlarge\n"
                                       "ami_name = Deep Learning AMI Amazon Linux*\n"
                                       "ami_owner = amazon\n"
                                       "key_name = " + name + "-key\n"
                                       "\n[ssh]\nuser = ec2-user\nkey_path = " + d + "/key\nknown_hosts = " + d +
                                           "/known_hosts\n"
                                       "\n[setup]\ncommand1 = true\n"
                                       "\n[run]\ncommand = true\nlog_dir = /tmp\n");
  }

  awsdl::testsupport::ProcessResult cli(std::vector<std::string> args) const {
    args.insert(args.begin() + 1, {"--config", (tmp / "vm.ini").string()});
    args.insert(args.end(), {"--poll-interval", "0.2"});
    return awsdl::testsupport::run_process(kBinary, args, moto.cli_env(tmp.path().string()), std::chrono::seconds(60));
  }

  // The deployment's instances as boto3 reads them from moto: id -> the instance's JSON.
  std::map<std::string, std::string> instances(rapidjson::Document& holder) const {
    std::map<std::string, std::string> out;
    auto got = moto.call("ec2", "describe_instances",
                         R"({"Filters":[{"Name":"tag:awsdl:vm","Values":[")" + name + R"("]}]})");
    EXPECT_TRUE(got.ok()) << got.error().to_string();
    if (!got.ok() || !(**got).HasMember("ok")) return out;
    holder.CopyFrom(**got, holder.GetAllocator());
    for (const auto& r : holder["ok"]["Reservations"].GetArray())
      for (const auto& i : r["Instances"].GetArray()) out[i["InstanceId"].GetString()] = i["State"]["Name"].GetString();
    return out;
  }

  static std::string tag(const rapidjson::Value& instance, const std::string& key) {
    if (!instance.HasMember("Tags")) return "";
    for (const auto& t : instance["Tags"].GetArray())
      if (key == t["Key"].GetString()) return t["Value"].GetString();
    return "";
  }

  Moto moto;
  awsdl::testing_support::ScratchDir tmp;
  std::string name;
};

TEST_F(VmConformance, LaunchStatusTerminate) {
  // The image the program should pick: the newest of moto's images matching the name.
  auto images = moto.call("ec2", "describe_images",
                          R"({"Owners":["amazon"],"Filters":[{"Name":"name","Values":["Deep Learning AMI Amazon Linux*"]}]})");
  ASSERT_TRUE(images.ok()) << images.error().to_string();
  std::string image, newest;
  for (const auto& i : (**images)["ok"]["Images"].GetArray())
    if (std::string(i["CreationDate"].GetString()) >= newest) {
      newest = i["CreationDate"].GetString();
      image = i["ImageId"].GetString();
    }
  ASSERT_FALSE(image.empty()) << "moto has no Deep Learning AMI";

  auto launched = cli({"launch"});
  ASSERT_EQ(launched.exit_code, 0) << launched.out << launched.err;
  EXPECT_TRUE(contains(launched.err, "image " + image)) << launched.err;
  EXPECT_TRUE(contains(launched.out, "launched 2 instance(s) of " + name + " (g5.xlarge, " + image + ")")) << launched.out;

  rapidjson::Document seen;
  auto found = instances(seen);
  ASSERT_EQ(found.size(), 2u);
  std::set<std::string> tokens;
  std::map<std::string, std::pair<std::string, std::string>> addresses;  // id -> public, private
  for (const auto& r : seen["ok"]["Reservations"].GetArray())
    for (const auto& i : r["Instances"].GetArray()) {
      const std::string id = i["InstanceId"].GetString();
      EXPECT_TRUE(contains(launched.out, id)) << launched.out;
      EXPECT_STREQ(i["State"]["Name"].GetString(), "running");
      EXPECT_STREQ(i["InstanceType"].GetString(), "g5.xlarge");
      EXPECT_EQ(i["ImageId"].GetString(), image);
      EXPECT_EQ(i["KeyName"].GetString(), name + "-key");
      EXPECT_EQ(tag(i, "Name"), "awsdl-vm-" + name);
      tokens.insert(i.HasMember("ClientToken") ? i["ClientToken"].GetString() : "");
      addresses[id] = {i.HasMember("PublicIpAddress") ? i["PublicIpAddress"].GetString() : "",
                       i["PrivateIpAddress"].GetString()};
    }
  // One RunInstances, with an idempotency token.
  ASSERT_EQ(tokens.size(), 1u);
  EXPECT_FALSE(tokens.begin()->empty());

  // A second launch refuses instead of doubling the deployment.
  auto again = cli({"launch"});
  EXPECT_EQ(again.exit_code, 1) << again.out << again.err;
  EXPECT_TRUE(contains(again.err, "already has 2 instance(s)")) << again.err;
  EXPECT_EQ(instances(seen).size(), 2u);

  auto status = cli({"status", "--output", "json"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  auto doc = parse(status.out);
  ASSERT_FALSE(doc.HasParseError()) << status.out;
  EXPECT_EQ(doc["live"].GetInt(), 2);
  ASSERT_EQ(doc["instances"].Size(), 2u);
  for (const auto& i : doc["instances"].GetArray()) {
    const std::string id = i["instance_id"].GetString();
    ASSERT_EQ(addresses.count(id), 1u) << id;
    EXPECT_STREQ(i["state"].GetString(), "running");
    EXPECT_EQ(i["image_id"].GetString(), image);
    EXPECT_EQ(i["public_ip"].GetString(), addresses[id].first);
    EXPECT_EQ(i["private_ip"].GetString(), addresses[id].second);
  }

  auto gone = cli({"terminate", "--yes"});
  ASSERT_EQ(gone.exit_code, 0) << gone.out << gone.err;
  EXPECT_TRUE(contains(gone.out, "terminated 2 instance(s)")) << gone.out;
  for (const auto& [id, state] : instances(seen)) EXPECT_EQ(state, "terminated") << id;

  auto after = cli({"status", "--output", "json"});
  ASSERT_EQ(after.exit_code, 0) << after.err;
  EXPECT_EQ(parse(after.out)["live"].GetInt(), 0) << after.out;
  auto nothing = cli({"terminate", "--yes"});
  EXPECT_EQ(nothing.exit_code, 0) << nothing.err;
  EXPECT_TRUE(contains(nothing.out, "nothing to terminate")) << nothing.out;
}

}  // namespace
