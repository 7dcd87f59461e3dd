// The suite's error log reaches the example programs only through the test-built hook
// (tests/support/error_log_preload.cpp): the shipped program and libawsdl ignore
// AWSDL_ERROR_LOG, the preloaded hook feeds it, and in a process without libawsdl the hook
// does nothing.

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>

#include "support/error_log_writer.hpp"
#include "support/run_process.hpp"
#include "support/scoped_env.hpp"

namespace {

namespace fs = std::filesystem;
using awsdl::testsupport::run_process;
using awsdl::testsupport::TempDir;

const std::string kWhoami = std::string(AWSDL_BINARY_DIR) + "/examples/whoami/awsdl-whoami";

std::string preload_hook() {
  const char* hook = std::getenv(awsdl::testsupport::kErrorLogPreloadVariable);
  return hook ? hook : "";
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class ErrorLogHookTest : public ::testing::Test {
 protected:
  void SetUp() override {
    hook = preload_hook();
    ASSERT_FALSE(hook.empty()) << awsdl::testsupport::kErrorLogPreloadVariable << " is not set (ctest sets it)";
    ASSERT_TRUE(fs::exists(hook)) << hook << " is not built";
  }
  // A program's environment with its own error log (not the suite's): nothing else of ours.
  std::map<std::string, std::string> env(const std::string& region) const {
    const std::string home = tmp.path().string();
    return {{"PATH", "/usr/bin:/bin"},
            {"HOME", home},
            {"AWS_CONFIG_FILE", home + "/no-config"},
            {"AWS_SHARED_CREDENTIALS_FILE", home + "/no-credentials"},
            {"AWS_EC2_METADATA_DISABLED", "true"},
            {"AWS_REGION", region},
            {awsdl::testsupport::kErrorLogVariable, log().string()}};
  }
  fs::path log() const { return tmp.path() / "errors.log"; }

  std::string hook;
  TempDir tmp;
};

TEST_F(ErrorLogHookTest, TheShippedProgramIgnoresTheVariableAndTheTestHookFeedsTheLog) {
  if (!fs::exists(kWhoami)) GTEST_SKIP() << kWhoami << " is not built (AWSDL_BUILD_EXAMPLES=OFF)";
  // An invalid region fails in Config::from_environment, with the value in the message.
  const std::string marker = "HookMarker" + std::to_string(::getpid());

  auto plain = run_process(kWhoami, {}, env(marker));
  ASSERT_NE(plain.exit_code, 0) << plain.out;
  ASSERT_NE(plain.err.find(marker), std::string::npos) << "the program did not fail on the region: " << plain.err;
  EXPECT_FALSE(fs::exists(log())) << "the shipped program wrote the error log itself:\n" << slurp(log());

  auto e = env(marker);
  e["LD_PRELOAD"] = hook;
  auto hooked = run_process(kWhoami, {}, e);
  EXPECT_EQ(hooked.exit_code, plain.exit_code) << hooked.err;
  EXPECT_EQ(hooked.err, plain.err) << "the hook changed what the program says";
  ASSERT_TRUE(fs::exists(log())) << "the preloaded hook recorded nothing";
  const std::string text = slurp(log());
  bool found = false;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);)
    found = found || (line.rfind("InvalidRegion\t0\t", 0) == 0 && line.find(marker) != std::string::npos);
  EXPECT_TRUE(found) << "no InvalidRegion line naming " << marker << " in:\n" << text;
}

TEST_F(ErrorLogHookTest, InAProcessWithoutTheLibraryTheHookDoesNothing) {
  auto e = env("us-east-1");
  e["LD_PRELOAD"] = hook;
  auto r = run_process("/bin/sh", {"-c", "echo preloaded; exit 3"}, e);
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_EQ(r.out, "preloaded\n");
  EXPECT_EQ(r.err, "");
  EXPECT_FALSE(fs::exists(log()));
}

}  // namespace
