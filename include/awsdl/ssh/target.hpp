#pragma once
// Where to connect: "host", "user@host", "host:port", "user@[::1]:2222".

#include <string>
#include <string_view>
#include <vector>

#include "awsdl/core/result.hpp"

namespace awsdl::ssh {

struct AWSDL_EXPORT Target {
  std::string user;  // empty: SessionOptions::user
  std::string host;  // name or address, without brackets
  int port = 0;      // 0: SessionOptions::port

  /// "user@host:port" with only the parts that are set; IPv6 addresses in brackets.
  std::string to_string() const;
  bool operator==(const Target&) const = default;
};

/// Parses "[user@]host[:port]" and "[user@][v6addr][:port]". kInvalidArgument on an empty
/// host, a bad port or stray characters.
AWSDL_EXPORT Result<Target> parse_target(std::string_view text);

}  // namespace awsdl::ssh

namespace awsdl::ssh {

/// Host names from "--hosts" text or a hosts file: separated by commas, spaces or newlines;
/// '#' starts a comment; Open MPI hostfile attributes ("slots=N", "max_slots=N") are
/// dropped, so an Open MPI hostfile doubles as a host list (":N" stays: it is a port here).
/// Order kept, duplicates kept.
AWSDL_EXPORT std::vector<std::string> parse_host_list(std::string_view text);

}  // namespace awsdl::ssh
