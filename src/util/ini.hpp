#pragma once
// A generic INI reader that remembers where everything came from, so that callers can
// report "file:line: problem". Syntax:
//   [section]                  section names: anything but ']' (trimmed)
//   key = value                or "key: value"; keys are trimmed, case-sensitive
//   key = "quoted # value"     double quotes: \" \\ \n \t escapes; single quotes: literal
//   # comment / ; comment      whole-line comments; " #" or " ;" starts an inline comment
//                              in an unquoted value
// A UTF-8 byte order mark and CRLF line ends are accepted. Keys outside a section, repeated
// sections, repeated keys within a section and malformed lines are errors (kParse).
// IniOptions selects the dialect of files that hold shell commands (awsdl-vm's vm.ini):
// values as written and indented continuation lines.

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "awsdl/core/result.hpp"

namespace awsdl::internal {

struct IniEntry {
  std::string key;
  std::string value;
  int line = 0;
};

struct IniSection {
  std::string name;
  int line = 0;
  std::vector<IniEntry> entries;
  /// key -> its position in `entries`, kept by parse_ini (find() is O(log n); a file of
  /// 200,000 keys took 25 s to check for repeats with a linear search).
  std::map<std::string, std::size_t, std::less<>> index;

  const IniEntry* find(std::string_view key) const;
};

struct IniFile {
  std::string source;  // the file name (or what the text was called), for messages
  std::vector<IniSection> sections;
  /// section name -> its position in `sections`, kept by parse_ini.
  std::map<std::string, std::size_t, std::less<>> index;

  const IniSection* find(std::string_view name) const;
  /// "source:line"
  std::string where(int line) const { return source + ":" + std::to_string(line); }
};

struct IniOptions {
  /// Values are taken as written (trimmed): quotes stay, no escapes, no inline comments (a
  /// '#' inside a shell command is part of it), and only '=' separates key and value.
  bool verbatim_values = false;
  /// An indented line right after a key (or after a line continuing it) continues that value,
  /// joined with '\n', as Python's configparser does; a blank line ends the value, a comment
  /// line does not. An indented line anywhere else is an error.
  bool continuation_lines = false;
};

/// Parses `text`; `source` names it in errors ("cluster.ini:7: ...").
Result<IniFile> parse_ini(std::string_view text, std::string source, const IniOptions& options = {});

/// Reads (with read_config_file: at most 1 MiB, a regular file or a pipe) and parses a file:
/// kNotFound when it does not exist, kInvalidArgument for a directory, a device or a file
/// over the cap, kIo when unreadable.
Result<IniFile> read_ini_file(const std::string& path, const IniOptions& options = {});

}  // namespace awsdl::internal
