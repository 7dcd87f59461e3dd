// awsdl::version(): the project's version, the commit, and the runtime versions of libcurl,
// OpenSSL and libssh, as those libraries report them (here, the ones the headers describe: the
// tests run with the libraries they were built against).
#include <gtest/gtest.h>

#include <curl/curl.h>
#include <libssh/libssh.h>
#include <openssl/opensslv.h>

#include <regex>
#include <string>

#include "awsdl/version.hpp"

namespace {

TEST(VersionTest, TheLibraryAndItsDependenciesVersions) {
  const awsdl::VersionInfo v = awsdl::version();
  EXPECT_TRUE(std::regex_match(v.version, std::regex(R"(\d+\.\d+\.\d+)"))) << v.version;
  EXPECT_TRUE(std::regex_match(v.commit, std::regex(R"(unknown|[0-9a-f]{40}(-dirty)?|[A-Za-z0-9._+-]+)"))) << v.commit;
  EXPECT_FALSE(v.commit.empty());
  EXPECT_EQ(v.curl, LIBCURL_VERSION);
  EXPECT_EQ(v.openssl, OPENSSL_VERSION_STR);
  EXPECT_EQ(v.libssh, std::to_string(LIBSSH_VERSION_MAJOR) + "." + std::to_string(LIBSSH_VERSION_MINOR) + "." +
                          std::to_string(LIBSSH_VERSION_MICRO));
}

TEST(VersionTest, SameAnswerEveryCall) {
  const auto a = awsdl::version(), b = awsdl::version();
  EXPECT_EQ(a.version, b.version);
  EXPECT_EQ(a.commit, b.commit);
  EXPECT_EQ(a.curl + a.openssl + a.libssh, b.curl + b.openssl + b.libssh);
}

}  // namespace
