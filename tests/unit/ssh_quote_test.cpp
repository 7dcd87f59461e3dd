// Quoting is checked by a real shell: what shell_join produces, /bin/sh and bash must split
// back into exactly the original arguments.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <string>
#include <vector>

#include "awsdl/ssh/quote.hpp"

namespace {

using awsdl::ssh::shell_join;
using awsdl::ssh::shell_quote;

const std::vector<std::string> kNasty = {
    "plain", "with space", "it's", "\"double\"", "$HOME", "$(echo pwned)", "`id`", "a\nb", "tab\there",
    "back\\slash", "*", "?", "~", "~/x", "a=b", "--flag=value with spaces", "", "'", "''", "!", "#hash", ";",
    "&&", "|", "<in", ">out", "{a,b}", "[x]", "\x01\x7f", "ünïcödé", "trailing\\", "-", "--",
};

// Runs `shell -c 'printf "%s\0" <joined>'` and splits stdout on NULs.
std::vector<std::string> split_by_shell(const std::string& shell, const std::vector<std::string>& argv) {
  std::string script = "printf '%s\\0' " + shell_join(argv);
  std::string cmd = shell + " -c " + shell_quote(script);
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return {"popen failed"};
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int status = ::pclose(p);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << cmd;
  std::vector<std::string> args;
  std::size_t start = 0;
  for (std::size_t i = 0; i < out.size(); ++i)
    if (out[i] == '\0') {
      args.push_back(out.substr(start, i - start));
      start = i + 1;
    }
  return args;
}

TEST(ShellQuote, SafeWordsStayBare) {
  EXPECT_EQ(shell_quote("abc-1.2/x:y@z,w%+"), "abc-1.2/x:y@z,w%+");
  EXPECT_EQ(shell_quote(""), "''");
  EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
  EXPECT_EQ(shell_quote("a=b"), "'a=b'");  // never an assignment when first on a line
  EXPECT_EQ(shell_quote("~"), "'~'");
}

TEST(ShellQuote, RoundTripsThroughSh) {
  EXPECT_EQ(split_by_shell("/bin/sh", kNasty), kNasty);
}

TEST(ShellQuote, RoundTripsThroughBash) {
  EXPECT_EQ(split_by_shell("/bin/bash", kNasty), kNasty);
}

TEST(ShellQuote, RoundTripsTwoLevelsDeep) {
  // A command that is itself passed as one argument to another shell (ssh host sh -c '...').
  std::vector<std::string> inner = {"printf", "%s\\0", "x y", "$z", "'q'", "l1\nl2"};
  std::vector<std::string> outer = {"/bin/sh", "-c", shell_join(inner)};
  std::string script = shell_join(outer);
  FILE* p = ::popen(("/bin/sh -c " + shell_quote(script)).c_str(), "r");
  ASSERT_TRUE(p);
  std::string out;
  char buf[256];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ::pclose(p);
  const char expected[] = "x y\0$z\0'q'\0l1\nl2\0";
  EXPECT_EQ(out, std::string(expected, sizeof expected - 1));
}

TEST(ShellQuote, EnvNames) {
  EXPECT_TRUE(awsdl::ssh::valid_env_name("PATH"));
  EXPECT_TRUE(awsdl::ssh::valid_env_name("_x1"));
  EXPECT_FALSE(awsdl::ssh::valid_env_name("1X"));
  EXPECT_FALSE(awsdl::ssh::valid_env_name(""));
  EXPECT_FALSE(awsdl::ssh::valid_env_name("A-B"));
  EXPECT_FALSE(awsdl::ssh::valid_env_name("A B"));
  EXPECT_FALSE(awsdl::ssh::valid_env_name("A=B"));
}

}  // namespace
