#pragma once
// The INI dialect of vm.ini, read with line numbers so that every complaint can say
// "file:line". Values are kept verbatim (shell commands need their quotes and '#'), and an
// indented line continues the value above it, as Python's configparser does.

#include <string>
#include <vector>

#include <awsdl/core/result.hpp>

namespace awsdl_vm {

struct IniEntry {
  std::string section;
  std::string key;
  std::string value;  // continuation lines joined with '\n'
  int line = 0;       // where the key is
};

struct IniSection {
  std::string name;
  int line = 0;
};

struct IniDocument {
  std::string path;
  std::vector<IniSection> sections;  // in file order
  std::vector<IniEntry> entries;     // in file order
};

/// Syntax only (which sections and keys mean something is vm_config's job). Errors are
/// kInvalidArgument "BadConfig" with "path:line: what".
awsdl::Result<IniDocument> parse_ini(const std::string& text, const std::string& path);

/// Reads and parses a file; an unreadable file is kInvalidArgument too: a configuration
/// that cannot be read is a usage error.
awsdl::Result<IniDocument> read_ini(const std::string& path);

}  // namespace awsdl_vm
