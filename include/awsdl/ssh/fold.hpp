#pragma once
// Gathered output for people: identical outputs folded together under a compact host
// list, as `dshbak -c` prints them; and pdsh-style "host: line" prefixes.

#include <string>
#include <vector>

#include "awsdl/ssh/fanout.hpp"

namespace awsdl::ssh {

struct AWSDL_EXPORT FoldedOutput {
  std::vector<std::string> hosts;  // in the order they were given
  std::string output;              // stdout then stderr; for a host that failed to run, the error
};

/// Groups hosts whose whole output is byte-for-byte identical; groups ordered by first host.
AWSDL_EXPORT std::vector<FoldedOutput> fold(const FanOutResult& result);

/// "10.0.0.[1-3,7],node[01-02],other": hosts sharing a prefix and differing only in a
/// trailing number are written as ranges (zero padding kept); others are listed as they are.
AWSDL_EXPORT std::string compress_hosts(const std::vector<std::string>& hosts);

/// dshbak -c layout: a dashed header naming the hosts of each group, then its output.
AWSDL_EXPORT std::string format_folded(const std::vector<FoldedOutput>& groups);

/// "host: line" for every line of `text` (a missing final newline is supplied).
AWSDL_EXPORT std::string prefix_lines(const std::string& host, const std::string& text);

}  // namespace awsdl::ssh
