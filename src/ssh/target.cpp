#include "awsdl/ssh/target.hpp"

#include <charconv>

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
}  // namespace

Result<Target> parse_target(std::string_view text) {
  Target t;
  std::string_view rest = text;
  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    t.user = std::string(rest.substr(0, at));
    if (t.user.empty()) return bad(text, "empty user name");
    rest = rest.substr(at + 1);
  }
  std::string_view port;
  if (!rest.empty() && rest.front() == '[') {
    auto close = rest.find(']');
    if (close == std::string_view::npos) return bad(text, "unclosed '['");
    t.host = std::string(rest.substr(1, close - 1));
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
  if (t.host.empty()) return bad(text, "empty host name");
  for (char c : t.host)
    if (static_cast<unsigned char>(c) <= ' ' || c == '/' || c == '@' || c == '[' || c == ']')
      return bad(text, "invalid character in host name");
  for (char c : t.user)
    if (static_cast<unsigned char>(c) <= ' ' || c == ':' || c == '/')
      return bad(text, "invalid character in user name");
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
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t eol = text.find('\n', i);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(i, eol - i);
    i = eol + 1;
    if (auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    std::size_t j = 0;
    while (j < line.size()) {
      while (j < line.size() && (line[j] == ' ' || line[j] == '\t' || line[j] == ',' || line[j] == '\r')) ++j;
      std::size_t start = j;
      while (j < line.size() && !(line[j] == ' ' || line[j] == '\t' || line[j] == ',' || line[j] == '\r')) ++j;
      if (j == start) continue;
      std::string_view word = line.substr(start, j - start);
      if (word.rfind("slots=", 0) == 0 || word.rfind("max_slots=", 0) == 0 || word.rfind("max-slots=", 0) == 0)
        continue;  // Open MPI hostfile attributes
      out.emplace_back(word);
    }
  }
  return out;
}

}  // namespace awsdl::ssh
