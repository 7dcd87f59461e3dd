#include <gtest/gtest.h>

#include "awsdl/mpi/hostfile.hpp"
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

// What reaches libssh, an MPI hostfile or a remote shell must be a host, a user and a port:
// nothing a shell or ssh would read as code or as an option.
TEST(SshTarget, RefusesHostileHostsAndUsers) {
  for (const char* bad : {"a;b", "node1;reboot", "$(id)", "`id`", "-oProxyCommand=x", "-h", "u@-oProxyCommand=x",
                          "a|b", "a&b", "a>b", "a'b", "a\"b", "a\\b", "a*", "h?", "a=b", "{a,b}", "~x", "!x",
                          "h-", "a..b", ".a", "a_b", "999.1.1.1", "10", "1.2.3", "01.2.3.4", "[10.0.0.1]:22",
                          "[node1]", "[::g]", "::1:", "fe80::1%", "fe80::1%a;b", "h\x01", "h\xc3\xa9",
                          "-u@host", "u;x@host", "u$(id)@host", "u x@host", "u@v@host", "u:x@host", "u/x@host",
                          "host:-22", "host:+22", "host: 22"}) {
    auto r = parse_target(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().kind, awsdl::ErrorKind::kInvalidArgument) << bad;
    EXPECT_EQ(r.error().code, "InvalidHost") << bad;
  }
  std::string long_label(64, 'a'), long_name;
  for (int i = 0; i < 64; ++i) long_name += "abc.";
  EXPECT_FALSE(parse_target(long_label).ok());
  EXPECT_FALSE(parse_target(long_name + "x").ok());
  EXPECT_FALSE(parse_target(std::string(256, 'u') + "@host").ok());
}

// Found by fuzzing: the IPv6 check handed the address to inet_pton as a C string, so a NUL
// ended it early and whatever followed was let through into the host.
TEST(SshTarget, RefusesANulInsideAnIpv6Address) {
  using namespace std::string_literals;
  for (const std::string& bad : {"fe80::7\0ro]:22"s, "fe80::1\0;reboot"s, "u@fe80::1\0x"s, "[::1\0x]:22"s,
                                "fe80::1\0%eth0"s, "::1\0"s}) {
    auto r = parse_target(bad);
    EXPECT_FALSE(r.ok()) << "accepted a host with a NUL (" << bad.size() << " bytes)";
    if (!r.ok()) {
      EXPECT_EQ(r.error().code, "InvalidHost");
    }
    EXPECT_FALSE(awsdl::ssh::check_host(bad).ok());
  }
  auto hosts = awsdl::mpi::parse_hosts("a fe80::1\0x b"s);
  EXPECT_FALSE(hosts.ok()) << "an MPI host list took a host with a NUL";
}

TEST(SshTarget, TakesRealNamesAddressesAndUsers) {
  const std::string longest_label(63, 'a');
  for (const std::string ok : {"ip-10-0-1-17.ec2.internal", "Node-1", "a.b.example.com.", "127.0.0.1",
                               "255.255.255.255", "2001:db8::1", "[2001:db8::1]:2222", "fe80::1%eth0",
                               "[fe80::1%eth0]:22", "x", "ec2-user@10.0.0.5", "_svc@h", "first.last@h",
                               "user-1@h:65535", longest_label.c_str()}) {
    auto r = parse_target(ok);
    EXPECT_TRUE(r.ok()) << ok << ": " << (r.ok() ? "" : r.error().message);
  }
  EXPECT_TRUE(awsdl::ssh::check_host("10.0.0.1").ok());
  EXPECT_EQ(awsdl::ssh::check_host("a;b").error().code, "InvalidHost");
  EXPECT_TRUE(awsdl::ssh::check_user("ubuntu").ok());
  EXPECT_EQ(awsdl::ssh::check_user("-oX").error().code, "InvalidUser");
  EXPECT_EQ(awsdl::ssh::check_user("").error().code, "InvalidUser");
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
