// The one reader of host-list words behind ssh::parse_host_list and mpi::parse_hosts.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ssh/host_list.hpp"

namespace {

using awsdl::internal::host_list_words;
using Kind = awsdl::internal::HostListWord::Kind;

std::vector<std::string> texts(std::string_view text) {
  std::vector<std::string> out;
  for (const auto& w : host_list_words(text)) out.emplace_back(w.text);
  return out;
}

TEST(HostListWords, SplitsOnCommasBlanksAndLinesAndDropsComments) {
  EXPECT_EQ(texts("a,b c\n\nd # comment, e\n# all comment\r\nf\t,g\r\n,,h"),
            (std::vector<std::string>{"a", "b", "c", "d", "f", "g", "h"}));
  EXPECT_TRUE(host_list_words("").empty());
  EXPECT_TRUE(host_list_words(" ,\t\r\n#x\n\n").empty());
  EXPECT_EQ(texts("[::1]:2,::1 a:22#b"), (std::vector<std::string>{"[::1]:2", "::1", "a:22"}));
}

TEST(HostListWords, NamesTheOpenMpiAttributesAndTheirValues) {
  auto words = host_list_words("n1 slots=8 max_slots=9\nn2 max-slots=x slots=");
  ASSERT_EQ(words.size(), 6u);
  EXPECT_EQ(words[0].kind, Kind::kHost);
  EXPECT_EQ(words[0].text, "n1");
  EXPECT_EQ(words[1].kind, Kind::kSlots);
  EXPECT_EQ(words[1].value, "8");
  EXPECT_EQ(words[2].kind, Kind::kMaxSlots);
  EXPECT_EQ(words[2].value, "9");
  EXPECT_EQ(words[3].kind, Kind::kHost);
  EXPECT_EQ(words[4].kind, Kind::kMaxSlots);
  EXPECT_EQ(words[4].value, "x");
  EXPECT_EQ(words[5].kind, Kind::kSlots);
  EXPECT_EQ(words[5].value, "");
  // Only a prefix makes an attribute: these are host entries (the callers refuse them).
  for (auto w : host_list_words("xslots=1 slots max_slots Slots=2"))
    EXPECT_EQ(w.kind, Kind::kHost) << w.text;
}

TEST(HostListWords, EachWordKnowsItsLineWithoutTheComment) {
  auto words = host_list_words("n1 slots=x # eight\r\nn2\n");
  ASSERT_EQ(words.size(), 3u);
  EXPECT_EQ(words[0].line, "n1 slots=x ");
  EXPECT_EQ(words[1].line, "n1 slots=x ");
  EXPECT_EQ(words[2].line, "n2");
}

}  // namespace
