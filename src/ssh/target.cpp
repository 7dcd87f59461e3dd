#include "awsdl/ssh/target.hpp"

#include <arpa/inet.h>

#include <charconv>

#include "ssh/host_list.hpp"

namespace awsdl::ssh {

std::string Target::to_string() const {
  std::string s;
  if (!user.empty()) s += user + "@";
  bool v6 = host.find(':') != std::string::npos;
  s += v6 ? "[" + host + "]" : host;
  if (port) s += ":" + std::to_string(port);
  return s;
}

namespace {

Error bad(std::string_view text, const std::string& why) {
  return Error::invalid_argument("InvalidHost", "'" + std::string(text) + "' is not a host: " + why);
}

bool alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

// Empty when `host` (no brackets) is a DNS name, an IPv4 address or an IPv6 address (with a
// zone after '%'), else what it is not.
std::string host_problem(std::string_view host) {
  if (host.empty()) return "empty host name";
  if (host.find(':') != std::string_view::npos) {
    std::string_view addr = host, zone;
    if (auto pct = host.find('%'); pct != std::string_view::npos) {
      addr = host.substr(0, pct);
      zone = host.substr(pct + 1);
      if (zone.empty()) return "empty IPv6 zone after '%'";
      for (char c : zone)
        if (!alnum(c) && c != '_' && c != '.' && c != '-') return "invalid character in the IPv6 zone";
    }
    // Nothing but letters, digits, ':' and '.' reaches inet_pton (which checks the rest): it
    // reads a C string, so a NUL would end the address there and let what follows through.
    for (char c : addr)
      if (!alnum(c) && c != ':' && c != '.') return "not an IPv6 address";
    in6_addr a6{};
    if (addr.size() >= INET6_ADDRSTRLEN || ::inet_pton(AF_INET6, std::string(addr).c_str(), &a6) != 1)
      return "not an IPv6 address";
    return {};
  }
  std::string_view name = host;
  if (name.back() == '.') name.remove_suffix(1);  // a fully qualified "host.example.com."
  if (name.empty() || name.size() > 253) return "a host name is 1 to 253 characters";
  bool numeric = true;
  for (std::size_t at = 0; at <= name.size();) {
    auto dot = name.find('.', at);
    if (dot == std::string_view::npos) dot = name.size();
    std::string_view label = name.substr(at, dot - at);
    if (label.empty() || label.size() > 63) return "a host name is dot-separated labels of 1 to 63 characters";
    if (label.front() == '-' || label.back() == '-') return "a label of a host name may not start or end with '-'";
    for (char c : label) {
      if (!alnum(c) && c != '-') return "invalid character in host name (letters, digits, '-' and '.' only)";
      if (c < '0' || c > '9') numeric = false;
    }
    at = dot + 1;
  }
  // All digits and dots: resolvers take it as an address (even "10" or "10.1"), so it must be one.
  in_addr a4{};
  if (numeric && ::inet_pton(AF_INET, std::string(name).c_str(), &a4) != 1) return "not an IPv4 address";
  return {};
}

// Empty when `user` is a POSIX user name (the portable filename characters, no leading '-').
std::string user_problem(std::string_view user) {
  if (user.empty() || user.size() > 255) return "a user name is 1 to 255 characters";
  if (user.front() == '-') return "a user name may not start with '-'";
  for (char c : user)
    if (!alnum(c) && c != '_' && c != '.' && c != '-') return "a user name holds letters, digits, '.', '_' and '-' only";
  return {};
}

}  // namespace

Status check_host(std::string_view host) {
  if (auto why = host_problem(host); !why.empty()) return bad(host, why);
  return {};
}

Status check_user(std::string_view user) {
  if (auto why = user_problem(user); !why.empty())
    return Error::invalid_argument("InvalidUser", "'" + std::string(user) + "' is not a user name: " + why);
  return {};
}

Result<Target> parse_target(std::string_view text) {
  Target t;
  std::string_view rest = text;
  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    t.user = std::string(rest.substr(0, at));
    if (t.user.empty()) return bad(text, "empty user name");
    if (auto why = user_problem(t.user); !why.empty()) return bad(text, why);
    rest = rest.substr(at + 1);
  }
  std::string_view port;
  if (!rest.empty() && rest.front() == '[') {
    auto close = rest.find(']');
    if (close == std::string_view::npos) return bad(text, "unclosed '['");
    t.host = std::string(rest.substr(1, close - 1));
    if (t.host.find(':') == std::string::npos) return bad(text, "only an IPv6 address goes in brackets");
    std::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad(text, "unexpected text after ']'");
      port = after.substr(1);
      if (port.empty()) return bad(text, "empty port");
    }
  } else {
    auto colon = rest.find(':');
    if (colon != std::string_view::npos && rest.find(':', colon + 1) != std::string_view::npos) {
      t.host = std::string(rest);  // a bare IPv6 address
    } else if (colon != std::string_view::npos) {
      t.host = std::string(rest.substr(0, colon));
      port = rest.substr(colon + 1);
      if (port.empty()) return bad(text, "empty port");
    } else {
      t.host = std::string(rest);
    }
  }
  if (auto why = host_problem(t.host); !why.empty()) return bad(text, why);
  if (!port.empty()) {
    int p = 0;
    auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (ec != std::errc() || ptr != port.data() + port.size() || p < 1 || p > 65535)
      return bad(text, "port must be 1-65535");
    t.port = p;
  }
  return t;
}

std::vector<std::string> parse_host_list(std::string_view text) {
  std::vector<std::string> out;
  for (const auto& word : internal::host_list_words(text))
    if (word.kind == internal::HostListWord::Kind::kHost) out.emplace_back(word.text);  // attributes dropped
  return out;
}

}  // namespace awsdl::ssh
