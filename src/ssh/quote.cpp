#include "awsdl/ssh/quote.hpp"

namespace awsdl::ssh {

namespace {
bool bare_safe(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.' || c == '/' || c == ',' || c == ':' || c == '@' || c == '%' || c == '+' ||
         c == '=';
}
}  // namespace

std::string shell_quote(std::string_view arg) {
  if (arg.empty()) return "''";
  bool bare = true;
  for (unsigned char c : arg) bare = bare && bare_safe(c);
  // A leading '=' or '%' is harmless in sh, but '~' expansion and assignments are not, and
  // "a=b" as a first word would be an assignment: quote anything containing '='.
  if (bare && arg.find('=') == std::string_view::npos) return std::string(arg);
  std::string out;
  out.reserve(arg.size() + 2);
  out += '\'';
  for (char c : arg) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  out += '\'';
  return out;
}

std::string shell_join(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    if (!out.empty()) out += ' ';
    out += shell_quote(a);
  }
  return out;
}

bool valid_env_name(std::string_view name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(name[i]);
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

}  // namespace awsdl::ssh
