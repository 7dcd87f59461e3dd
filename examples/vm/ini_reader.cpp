#include "ini_reader.hpp"

#include <cctype>
#include <map>
#include <sstream>

#include <awsdl/core/text_file.hpp>

namespace awsdl_vm {

namespace {

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return {};
  auto e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

bool valid_name(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.')) return false;
  return true;
}

awsdl::Error bad(const std::string& path, int line, const std::string& what) {
  return awsdl::Error::invalid_argument("BadConfig", path + ":" + std::to_string(line) + ": " + what);
}

}  // namespace

awsdl::Result<IniDocument> parse_ini(const std::string& text, const std::string& path) {
  IniDocument doc;
  doc.path = path;
  std::map<std::string, int> section_lines;
  std::map<std::string, int> key_lines;  // "section\nkey" -> line
  std::string section;
  bool in_value = false;  // the previous line was a key or a continuation of it
  std::istringstream in(text);
  std::string raw;
  int n = 0;
  while (std::getline(in, raw)) {
    ++n;
    if (!raw.empty() && raw.back() == '\r') raw.pop_back();
    std::string line = trim(raw);
    if (line.empty()) {
      in_value = false;
      continue;
    }
    if (line[0] == '#' || line[0] == ';') continue;
    const bool indented = raw[0] == ' ' || raw[0] == '\t';
    if (indented && in_value) {
      auto& v = doc.entries.back().value;
      v += (v.empty() ? "" : "\n") + line;
      continue;
    }
    if (indented) return bad(path, n, "indented line outside a value (continuation lines follow a key)");
    in_value = false;
    if (line[0] == '[') {
      if (line.back() != ']') return bad(path, n, "section header must be [name]");
      std::string name = trim(line.substr(1, line.size() - 2));
      if (!valid_name(name)) return bad(path, n, "bad section name '" + name + "'");
      if (auto it = section_lines.find(name); it != section_lines.end())
        return bad(path, n, "section [" + name + "] repeated (first at line " + std::to_string(it->second) + ")");
      section_lines[name] = n;
      doc.sections.push_back({name, n});
      section = name;
      continue;
    }
    auto eq = line.find('=');
    if (eq == std::string::npos) return bad(path, n, "expected key = value");
    std::string key = trim(line.substr(0, eq));
    if (!valid_name(key)) return bad(path, n, "bad key name '" + key + "'");
    if (section.empty()) return bad(path, n, "key '" + key + "' before any [section]");
    std::string id = section + "\n" + key;
    if (auto it = key_lines.find(id); it != key_lines.end())
      return bad(path, n, "[" + section + "] " + key + " already set at line " + std::to_string(it->second));
    key_lines[id] = n;
    doc.entries.push_back({section, key, trim(line.substr(eq + 1)), n});
    in_value = true;
  }
  return doc;
}

awsdl::Result<IniDocument> read_ini(const std::string& path) {
  // Bounded (1 MiB, a regular file or a pipe): --config /dev/zero or a directory is an error.
  auto text = awsdl::read_config_file(path);
  if (!text) return awsdl::Error::invalid_argument("BadConfig", "cannot read config file: " + text.error().message);
  return parse_ini(*text, path);
}

}  // namespace awsdl_vm
