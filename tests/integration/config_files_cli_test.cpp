// The example programs given files that are not small configurations: /dev/zero, a
// directory, a file of megabytes, a configuration of thousands of bad keys. Each is a quick,
// clear error (issue 13 item 18); before, /dev/zero was read until the program was killed
// and a directory was read as an empty file. No AWS call is made: the sandbox is not needed.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "support/local_aws.hpp"
#include "support/run_process.hpp"
#include "support/scoped_env.hpp"

namespace awsdl {
namespace {

using testsupport::ProcessResult;

const std::string kBin = std::string(AWSDL_BINARY_DIR) + "/examples";
const std::string kCluster = kBin + "/cluster/awsdl-cluster";
const std::string kVm = kBin + "/vm/awsdl-vm";
const std::string kSageMaker = kBin + "/sagemaker/awsdl-sagemaker";
const std::string kWhoami = kBin + "/whoami/awsdl-whoami";

bool contains(const std::string& s, const std::string& what) { return s.find(what) != std::string::npos; }

class ConfigFilesCliTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(home.ok()); }

  std::map<std::string, std::string> env() const {
    auto e = testsupport::example_cli_env(home.path().string());
    // Nothing may reach a network: any AWS call goes to a closed port.
    e["AWS_ENDPOINT_URL"] = "http://127.0.0.1:9";
    return e;
  }

  // Under a 2 GiB address-space limit and a 30 s timeout: a program that reads /dev/zero
  // without end fails quickly instead of taking the machine's memory.
  ProcessResult run(const std::string& program, std::vector<std::string> args,
                    std::map<std::string, std::string> extra_env = {}) const {
    auto e = env();
    for (auto& [k, v] : extra_env) {
      if (v.empty()) e.erase(k);  // "" removes a variable
      else e[k] = v;
    }
    std::vector<std::string> sh = {"-c", "ulimit -v 2097152; exec \"$0\" \"$@\"", program};
    sh.insert(sh.end(), args.begin(), args.end());
    return testsupport::run_process("/bin/sh", sh, e, std::chrono::seconds(30));
  }

  static void expect_error(const ProcessResult& r, const std::string& what, const std::string& expected) {
    EXPECT_FALSE(r.timed_out) << what << ": still reading after 30 s";
    EXPECT_GT(r.exit_code, 0) << what << " (-1: killed)\nstderr: " << r.err.substr(0, 2000);
    EXPECT_TRUE(contains(r.err, expected)) << what << ": expected '" << expected << "' in\n" << r.err.substr(0, 2000);
    EXPECT_LT(r.err.size(), 5000u) << what;
  }

  testsupport::TempDir home;
};

TEST_F(ConfigFilesCliTest, HostListsAreBounded) {
  const std::string dir = home.path().string();
  expect_error(run(kCluster, {"exec", "--hosts", "@/dev/zero", "--", "true"}), "exec @/dev/zero", "character device");
  expect_error(run(kCluster, {"exec", "--hosts", "@" + dir, "--", "true"}), "exec @DIR", "is a directory");
  expect_error(run(kCluster, {"exec", "--hosts", "@" + home.write("big", std::string(2 << 20, 'h')), "--", "true"}),
               "exec @2MiB", "larger than 1 MiB");
  expect_error(run(kCluster, {"hostfile", "--hosts", "@/dev/zero"}), "hostfile @/dev/zero", "character device");
  expect_error(run(kCluster, {"hostfile", "--hosts", "@" + dir}), "hostfile @DIR", "is a directory");

  // A host list through a pipe still works.
  auto r = run("/bin/sh", {"-c", "printf 'h1\\nh2:2\\n' | \"$0\" hostfile --hosts @/dev/stdin", kCluster});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "h1")) << r.out;
  EXPECT_TRUE(contains(r.out, "h2")) << r.out;
}

TEST_F(ConfigFilesCliTest, ClusterConfigsAreBounded) {
  const std::string dir = home.path().string();
  expect_error(run(kCluster, {"status", "--config", dir}), "status --config DIR", "is a directory");
  expect_error(run(kCluster, {"status", "--config", "/dev/zero"}), "status --config /dev/zero", "character device");
  expect_error(run(kCluster, {"status", "--config", home.write("big.ini", "[cluster]\n" + std::string(2 << 20, '#'))}),
               "status --config 2MiB", "larger than 1 MiB");

  // 50,000 unknown keys (under 1 MiB): twenty are listed, the rest counted.
  std::string many = "[cluster]\nname = c1\nkey_name = k\n";
  for (int i = 0; i < 50000; ++i) many += "colour" + std::to_string(i) + " = 1\n";
  auto r = run(kCluster, {"status", "--config", home.write("many.ini", many)});
  expect_error(r, "status --config many.ini", "50000 problems in the cluster configuration");
  EXPECT_TRUE(contains(r.err, "many.ini:4: unknown key 'colour0' in [cluster]")) << r.err;
  EXPECT_TRUE(contains(r.err, "and 49980 more")) << r.err;
  EXPECT_EQ(r.exit_code, 2);
}

TEST_F(ConfigFilesCliTest, VmAndSageMakerConfigsAreBounded) {
  const std::string dir = home.path().string();
  expect_error(run(kVm, {"status", "--config", dir}), "vm --config DIR", "is a directory");
  expect_error(run(kVm, {"status", "--config", "/dev/zero"}), "vm --config /dev/zero", "character device");
  expect_error(run(kSageMaker, {"train", "--config", dir}), "sagemaker train --config DIR", "is a directory");
  expect_error(run(kSageMaker, {"train", "--config", "/dev/zero"}), "sagemaker train --config /dev/zero",
               "character device");
}

TEST_F(ConfigFilesCliTest, SharedAwsFilesAreBounded) {
  // The profile chain reads the shared files: /dev/zero and a directory are errors, and
  // /dev/null is an empty file, as botocore reads it.
  for (auto [file, expected] : std::vector<std::pair<std::string, std::string>>{
           {"/dev/zero", "character device"}, {home.path().string(), "is a directory"}}) {
    auto r = run(kWhoami, {}, {{"AWS_CONFIG_FILE", file}, {"AWS_ACCESS_KEY_ID", ""}, {"AWS_SECRET_ACCESS_KEY", ""}});
    expect_error(r, "AWS_CONFIG_FILE=" + file, expected);
  }
  auto null = run(kWhoami, {}, {{"AWS_CONFIG_FILE", "/dev/null"}});
  EXPECT_FALSE(null.timed_out);
  EXPECT_FALSE(contains(null.err, "/dev/null")) << "an empty config file is fine: " << null.err;
}

}  // namespace
}  // namespace awsdl
