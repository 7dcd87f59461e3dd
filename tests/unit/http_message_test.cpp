// Headers keep order and case; lookups ignore case. Request builds the wire URL.

#include <gtest/gtest.h>

#include "awsdl/http/message.hpp"

namespace awsdl::http {
namespace {

std::vector<std::string> names(const Headers& h) {
  std::vector<std::string> out;
  for (const auto& [k, v] : h) out.push_back(k);
  return out;
}

TEST(Headers, GetIgnoresCaseAndKeepsGivenCase) {
  Headers h;
  h.add("X-Amz-Date", "20150830T123600Z");
  EXPECT_EQ(h.get("x-amz-date"), "20150830T123600Z");
  EXPECT_EQ(h.get("X-AMZ-DATE"), "20150830T123600Z");
  EXPECT_TRUE(h.has("x-AmZ-dAtE"));
  EXPECT_FALSE(h.has("x-amz-dat"));
  EXPECT_FALSE(h.get("Date").has_value());
  EXPECT_EQ(h.entries().front().first, "X-Amz-Date");
}

TEST(Headers, GetReturnsFirstOfRepeatedValues) {
  Headers h;
  h.add("My-Header", "one");
  h.add("my-header", "two");
  EXPECT_EQ(h.get("MY-HEADER"), "one");
  EXPECT_EQ(h.entries().size(), 2u);
}

TEST(Headers, AddKeepsInsertionOrder) {
  Headers h;
  h.add("b", "1");
  h.add("A", "2");
  h.add("c", "3");
  h.add("B", "4");
  EXPECT_EQ(names(h), (std::vector<std::string>{"b", "A", "c", "B"}));
}

TEST(Headers, SetReplacesEveryValueWithOneAtTheEnd) {
  Headers h;
  h.add("Host", "a");
  h.add("X-Multi", "1");
  h.add("Other", "o");
  h.add("x-multi", "2");
  h.set("X-MULTI", "only");
  ASSERT_EQ(h.entries().size(), 3u);
  EXPECT_EQ(names(h), (std::vector<std::string>{"Host", "Other", "X-MULTI"}));
  EXPECT_EQ(h.get("x-multi"), "only");
}

TEST(Headers, SetOnNewNameAppends) {
  Headers h;
  h.set("A", "1");
  h.set("B", "2");
  EXPECT_EQ(names(h), (std::vector<std::string>{"A", "B"}));
  h.set("a", "3");
  EXPECT_EQ(names(h), (std::vector<std::string>{"B", "a"}));
  EXPECT_EQ(h.get("A"), "3");
}

TEST(Headers, RemoveDropsEveryMatchAndKeepsTheRestInOrder) {
  Headers h;
  h.add("A", "1");
  h.add("X", "2");
  h.add("B", "3");
  h.add("x", "4");
  h.remove("X");
  EXPECT_EQ(names(h), (std::vector<std::string>{"A", "B"}));
  h.remove("missing");
  EXPECT_EQ(h.entries().size(), 2u);
  h.remove("a");
  h.remove("b");
  EXPECT_TRUE(h.empty());
}

TEST(Headers, EmptyValuesAreValues) {
  Headers h;
  h.add("X-Empty", "");
  ASSERT_TRUE(h.get("x-empty").has_value());
  EXPECT_EQ(*h.get("x-empty"), "");
}

TEST(Request, UrlJoinsSchemeHostPathQuery) {
  Request r;
  r.scheme = "https";
  r.host = "s3.us-east-1.amazonaws.com";
  r.path = "/bucket/key%20with%20space";
  EXPECT_EQ(r.url(), "https://s3.us-east-1.amazonaws.com/bucket/key%20with%20space");
  r.query = "uploads=&prefix=a%2Fb";
  EXPECT_EQ(r.url(), "https://s3.us-east-1.amazonaws.com/bucket/key%20with%20space?uploads=&prefix=a%2Fb");
}

TEST(Request, EmptyPathBecomesSlash) {
  Request r;
  r.scheme = "http";
  r.host = "127.0.0.1:8080";
  r.path = "";
  EXPECT_EQ(r.url(), "http://127.0.0.1:8080/");
}

TEST(Request, DefaultsAreGetHttpsSlash) {
  Request r;
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.scheme, "https");
  EXPECT_EQ(r.path, "/");
  EXPECT_FALSE(r.body_length.has_value());
  EXPECT_FALSE(static_cast<bool>(r.body_source));
}

TEST(Request, HostNameDropsPort) {
  Request r;
  r.host = "example.com";
  EXPECT_EQ(r.host_name(), "example.com");
  r.host = "127.0.0.1:4566";
  EXPECT_EQ(r.host_name(), "127.0.0.1");
  r.host = "[::1]:8080";
  EXPECT_EQ(r.host_name(), "[::1]");
  r.host = "[::1]";
  EXPECT_EQ(r.host_name(), "[::1]");
}

}  // namespace
}  // namespace awsdl::http
