#include <gtest/gtest.h>

#include "awsdl/ssh/fold.hpp"

namespace {

using namespace awsdl::ssh;

HostResult host(std::string name, std::string out, int status = 0) {
  HostResult h;
  h.host = std::move(name);
  h.out = std::move(out);
  h.exit_status = status;
  return h;
}

TEST(CompressHosts, NumericRangesKeepPaddingAndOrder) {
  EXPECT_EQ(compress_hosts({"10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.7"}), "10.0.0.[1-3,7]");
  EXPECT_EQ(compress_hosts({"node01", "node02", "node03"}), "node[01-03]");
  EXPECT_EQ(compress_hosts({"b1", "a", "b2"}), "b[1-2],a");
  EXPECT_EQ(compress_hosts({"one"}), "one");
  EXPECT_EQ(compress_hosts({"n1.x", "n2.x", "n1.y"}), "n[1-2].x,n1.y");
  EXPECT_EQ(compress_hosts({"n3", "n1", "n3"}), "n[1,3]");
  EXPECT_EQ(compress_hosts({}), "");
}

TEST(Fold, IdenticalOutputsGroupTogether) {
  FanOutResult r;
  r.hosts = {host("n1", "same\n"), host("n2", "other\n"), host("n3", "same\n"), host("n4", "same\n", 3)};
  HostResult down;
  down.host = "n5";
  down.error = awsdl::Error::make(awsdl::ErrorKind::kNetwork, "ConnectFailed", "refused");
  r.hosts.push_back(down);
  auto groups = fold(r);
  ASSERT_EQ(groups.size(), 4u);
  EXPECT_EQ(groups[0].hosts, (std::vector<std::string>{"n1", "n3"}));
  EXPECT_EQ(groups[0].output, "same\n");
  EXPECT_EQ(groups[1].hosts, (std::vector<std::string>{"n2"}));
  EXPECT_EQ(groups[2].output, "same\nawsdl: exit status 3\n");  // a failure never folds with a success
  EXPECT_NE(groups[3].output.find("refused"), std::string::npos);

  std::string text = format_folded(groups);
  EXPECT_EQ(text.substr(0, text.find("other")),
            "----------------\nn[1,3]\n----------------\nsame\n----------------\nn2\n----------------\n");
}

TEST(Fold, PrefixLines) {
  EXPECT_EQ(prefix_lines("h", "a\nb\n"), "h: a\nh: b\n");
  EXPECT_EQ(prefix_lines("h", "a\nb"), "h: a\nh: b\n");
  EXPECT_EQ(prefix_lines("h", ""), "");
}

}  // namespace
