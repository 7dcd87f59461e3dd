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

/// Parses "[user@]host[:port]" and "[user@][v6addr][:port]" (a bare IPv6 address, with no
/// port, is taken too). The host must be a DNS name, an IPv4 address or an IPv6 address, the
/// user a POSIX user name (check_host, check_user), the port 1-65535: anything else
/// (";", "$(", spaces, a leading "-") is kInvalidArgument, so that no hostile text reaches a
/// remote shell, an ssh command line or a hostfile.
AWSDL_EXPORT Result<Target> parse_target(std::string_view text);

/// A host name (letters, digits and '-' in dot-separated labels of 1 to 63 characters, none
/// starting or ending with '-'; all-numeric only as an IPv4 address), an IPv4 address, or an
/// IPv6 address without brackets (a "%zone" may follow). kInvalidArgument ("InvalidHost")
/// saying what is wrong otherwise.
AWSDL_EXPORT Status check_host(std::string_view host);

/// A POSIX user name: letters, digits, '.', '_' and '-', not starting with '-', at most 255.
/// kInvalidArgument ("InvalidUser") otherwise.
AWSDL_EXPORT Status check_user(std::string_view user);

}  // namespace awsdl::ssh

namespace awsdl::ssh {

/// Host names from "--hosts" text or a hosts file: separated by commas, spaces or newlines;
/// '#' starts a comment; Open MPI hostfile attributes ("slots=N", "max_slots=N") are
/// dropped, so an Open MPI hostfile doubles as a host list (":N" stays: it is a port here).
/// Order kept, duplicates kept.
AWSDL_EXPORT std::vector<std::string> parse_host_list(std::string_view text);

}  // namespace awsdl::ssh
