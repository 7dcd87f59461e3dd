#include <gtest/gtest.h>

#include "awsdl/ssh/target.hpp"

namespace {

using awsdl::ssh::parse_host_list;
using awsdl::ssh::parse_target;
using awsdl::ssh::Target;

TEST(SshTarget, ParsesTheUsualForms) {
  EXPECT_EQ(*parse_target("node1"), (Target{"", "node1", 0}));
  EXPECT_EQ(*parse_target("ubuntu@10.0.0.5"), (Target{"ubuntu", "10.0.0.5", 0}));
  EXPECT_EQ(*parse_target("ubuntu@10.0.0.5:2222"), (Target{"ubuntu", "10.0.0.5", 2222}));
  EXPECT_EQ(*parse_target("[::1]:22"), (Target{"", "::1", 22}));
  EXPECT_EQ(*parse_target("root@[fe80::1]"), (Target{"root", "fe80::1", 0}));
  EXPECT_EQ(*parse_target("fe80::1"), (Target{"", "fe80::1", 0}));
}

TEST(SshTarget, RejectsBadInput) {
  for (const char* bad : {"", "@host", "user@", "host:", "host:0", "host:70000", "host:22x", "[::1", "[::1]x",
                          "ho st", "a/b"}) {
    auto r = parse_target(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().kind, awsdl::ErrorKind::kInvalidArgument) << bad;
  }
}

TEST(SshTarget, PrintsBack) {
  for (const char* s : {"node1", "u@h:2", "u@[::1]:22", "[fe80::1]"}) EXPECT_EQ(parse_target(s)->to_string(), s);
}

TEST(SshHostList, CommasSpacesNewlinesCommentsAndHostfiles) {
  EXPECT_EQ(parse_host_list("a,b c\n\nd # comment\n# all comment\ne\t,f"),
            (std::vector<std::string>{"a", "b", "c", "d", "e", "f"}));
  EXPECT_EQ(parse_host_list("n1 slots=8\nn2 slots=8 max_slots=8\n"), (std::vector<std::string>{"n1", "n2"}));
  EXPECT_EQ(parse_host_list("a:2222,a"), (std::vector<std::string>{"a:2222", "a"}));
  EXPECT_TRUE(parse_host_list("  \n# x\n").empty());
}

}  // namespace
