#include "util/ini.hpp"

#include "awsdl/core/text_file.hpp"

namespace awsdl::internal {

namespace {

bool space(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (space(s.front()) || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (space(s.back()) || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Text after a closing quote may only be blank or a comment.
bool only_comment(std::string_view rest) {
  rest = trim(rest);
  return rest.empty() || rest.front() == '#' || rest.front() == ';';
}

// Parses the value part of "key = value". Returns false with `why` set on a malformed value.
bool parse_value(std::string_view raw, std::string& out, std::string& why) {
  std::string_view v = trim(raw);
  if (!v.empty() && v.front() == '"') {
    out.clear();
    for (std::size_t i = 1; i < v.size(); ++i) {
      char c = v[i];
      if (c == '"') {
        if (!only_comment(v.substr(i + 1))) {
          why = "unexpected text after the closing quote";
          return false;
        }
        return true;
      }
      if (c == '\\') {
        if (++i == v.size()) break;
        switch (v[i]) {
          case '"': out += '"'; break;
          case '\\': out += '\\'; break;
          case 'n': out += '\n'; break;
          case 't': out += '\t'; break;
          default:
            why = std::string("unknown escape \\") + v[i] + " in a quoted value (use \\\\ for a backslash)";
            return false;
        }
        continue;
      }
      out += c;
    }
    why = "unterminated quoted value (missing closing \")";
    return false;
  }
  if (!v.empty() && v.front() == '\'') {
    auto close = v.find('\'', 1);
    if (close == std::string_view::npos) {
      why = "unterminated quoted value (missing closing ')";
      return false;
    }
    if (!only_comment(v.substr(close + 1))) {
      why = "unexpected text after the closing quote";
      return false;
    }
    out.assign(v.substr(1, close - 1));
    return true;
  }
  // Unquoted: an inline comment starts at whitespace followed by # or ;.
  for (std::size_t i = 1; i < v.size(); ++i) {
    if ((v[i] == '#' || v[i] == ';') && space(v[i - 1])) {
      v = trim(v.substr(0, i));
      break;
    }
  }
  out.assign(v);
  return true;
}

Error syntax(const std::string& source, int line, const std::string& message) {
  return Error::make(ErrorKind::kParse, "IniSyntax", source + ":" + std::to_string(line) + ": " + message);
}

}  // namespace

namespace {

// By the index when it is complete, else (a section or file built by hand) by a search.
template <typename T, typename Name>
const T* lookup(const std::vector<T>& items, const std::map<std::string, std::size_t, std::less<>>& index,
                std::string_view name, Name item_name) {
  if (index.size() == items.size()) {
    auto it = index.find(name);
    return it == index.end() || it->second >= items.size() ? nullptr : &items[it->second];
  }
  for (const auto& item : items)
    if (item_name(item) == name) return &item;
  return nullptr;
}

}  // namespace

const IniEntry* IniSection::find(std::string_view key) const {
  return lookup(entries, index, key, [](const IniEntry& e) -> const std::string& { return e.key; });
}

const IniSection* IniFile::find(std::string_view name) const {
  return lookup(sections, index, name, [](const IniSection& s) -> const std::string& { return s.name; });
}

Result<IniFile> parse_ini(std::string_view text, std::string source, const IniOptions& options) {
  IniFile file;
  file.source = std::move(source);
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  IniSection* section = nullptr;
  IniEntry* continued = nullptr;  // the value an indented line would continue
  int line_no = 0;
  while (!text.empty() || line_no == 0) {
    ++line_no;
    auto nl = text.find('\n');
    std::string_view raw = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    std::string_view line = trim(raw);
    if (line.empty()) continued = nullptr;
    if (line.empty() || line.front() == '#' || line.front() == ';') {
      if (text.empty()) break;
      continue;
    }
    if (options.continuation_lines && space(raw.front())) {
      if (!continued)
        return syntax(file.source, line_no, "indented line outside a value (continuation lines follow a key)");
      continued->value += (continued->value.empty() ? "" : "\n") + std::string(line);
      if (text.empty()) break;
      continue;
    }
    continued = nullptr;
    if (line.front() == '[') {
      auto close = line.find(']');
      if (close == std::string_view::npos) return syntax(file.source, line_no, "missing ']' after the section name");
      if (!only_comment(line.substr(close + 1)))
        return syntax(file.source, line_no, "unexpected text after the section header");
      std::string name(trim(line.substr(1, close - 1)));
      if (name.empty()) return syntax(file.source, line_no, "empty section name");
      if (const IniSection* prev = file.find(name))
        return syntax(file.source, line_no,
                      "section [" + name + "] appears again (first at line " + std::to_string(prev->line) + ")");
      file.index.emplace(name, file.sections.size());
      file.sections.push_back(IniSection{name, line_no, {}, {}});
      section = &file.sections.back();
    } else {
      auto sep = line.find_first_of(options.verbatim_values ? "=" : "=:");
      if (sep == std::string_view::npos)
        return syntax(file.source, line_no,
                      options.verbatim_values ? "expected key = value, [section] or a comment"
                                              : "expected 'key = value', '[section]' or a comment");
      std::string key(trim(line.substr(0, sep)));
      if (key.empty()) return syntax(file.source, line_no, "missing key before '" + std::string(1, line[sep]) + "'");
      for (char c : key)
        if (space(c) || c == '[' || c == ']' || c == '"' || c == '\'')
          return syntax(file.source, line_no, "malformed key '" + key + "'");
      if (!section)
        return syntax(file.source, line_no, "key '" + key + "' is outside any section (add a [section] line above it)");
      if (const IniEntry* prev = section->find(key))
        return syntax(file.source, line_no,
                      "key '" + key + "' appears again in [" + section->name + "] (first at line " +
                          std::to_string(prev->line) + ")");
      std::string value, why;
      if (options.verbatim_values)
        value.assign(trim(line.substr(sep + 1)));
      else if (!parse_value(line.substr(sep + 1), value, why))
        return syntax(file.source, line_no, why);
      section->index.emplace(key, section->entries.size());
      section->entries.push_back(IniEntry{std::move(key), std::move(value), line_no});
      continued = &section->entries.back();
    }
    if (text.empty()) break;
  }
  return file;
}

Result<IniFile> read_ini_file(const std::string& path, const IniOptions& options) {
  AWSDL_ASSIGN_OR_RETURN(std::string text, read_config_file(path));
  return parse_ini(text, path, options);
}

}  // namespace awsdl::internal
