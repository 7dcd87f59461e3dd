// VmSpec from vm.ini (the INI reader's verbatim dialect: shell commands keep their quotes and
// '#', indented lines continue a value) or from code, held to one table of rules: the file, the
// overrides and check() of a spec built in code all go through the same setters.
#include "awsdl/vm/spec.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <optional>

#include "awsdl/config.hpp"
#include "awsdl/core/text_file.hpp"
#include "cluster/spec_rules.hpp"
#include "util/ini.hpp"

namespace awsdl::vm {

namespace {

namespace rules = internal::spec_rules;

using Problem = std::optional<std::string>;

struct Rule {
  std::string key;  // "vm.count"
  std::function<Problem(VmSpec&, const std::string&)> set;
  std::function<std::string(const VmSpec&)> get;  // the value as the file would hold it (check())
  bool multi_line = false;                        // the value may span lines (commands)
};

const VmSpec kDefaults{};

bool all_of(const std::string& s, const std::function<bool(char)>& ok) {
  return std::all_of(s.begin(), s.end(), [&](char c) { return ok(c); });
}
bool digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }

Problem whole_number(const std::string& v, int lo, int hi, int& out, int fallback) {
  if (v.empty()) {
    out = fallback;
    return std::nullopt;
  }
  if (!all_of(v, digit) || v.size() > 9 || std::stoi(v) < lo || std::stoi(v) > hi)
    return "must be a whole number from " + std::to_string(lo) + " to " + std::to_string(hi) + ", not '" + v + "'";
  out = std::stoi(v);
  return std::nullopt;
}

Problem seconds(const std::string& v, int& out, int fallback) { return whole_number(v, 1, 30 * 86400, out, fallback); }

Problem one_line_text(const std::string& v, std::string& out, std::size_t max = 1024) {
  if (v.size() > max) return "longer than " + std::to_string(max) + " characters";
  for (char c : v)
    if (static_cast<unsigned char>(c) < 0x20) return "control characters are not allowed";
  out = v;
  return std::nullopt;
}

std::string expand_home(const std::string& path) {
  if (path == "~" || path.compare(0, 2, "~/") == 0) {
    const char* home = std::getenv("HOME");
    if (home && *home) return std::string(home) + path.substr(1);
  }
  return path;
}

const char* address_name(AddressChoice a) {
  switch (a) {
    case AddressChoice::kPublic: return "public";
    case AddressChoice::kPrivate: return "private";
    case AddressChoice::kAuto: break;
  }
  return "auto";
}

std::string joined(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

// [vm] name, region, count and the image.
void add_vm_rules(std::vector<Rule>& r) {
  r.push_back({"vm.name",
               [](VmSpec& c, const std::string& v) -> Problem {
                 bool ok = !v.empty() && v.size() <= 63 && std::isalnum(static_cast<unsigned char>(v[0])) &&
                           all_of(v, [](char ch) {
                             return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' || ch == '.';
                           });
                 if (!ok)
                   return "must be 1 to 63 letters, digits, '.', '_' or '-', starting with a letter or digit, not '" +
                          v + "'";
                 c.name = v;
                 return std::nullopt;
               },
               [](const VmSpec& c) { return c.name; }});
  r.push_back({"vm.region",
               [](VmSpec& c, const std::string& v) -> Problem {
                 if (!v.empty() && !valid_region_name(v)) return "'" + v + "' is not a region name (like us-east-1)";
                 c.region = v;
                 return std::nullopt;
               },
               [](const VmSpec& c) { return c.region; }});
  r.push_back({"vm.count", [](VmSpec& c, const std::string& v) { return whole_number(v, 1, 1000, c.count, kDefaults.count); },
               [](const VmSpec& c) { return std::to_string(c.count); }});
  r.push_back({"vm.instance_type",
               [](VmSpec& c, const std::string& v) -> Problem {
                 if (!v.empty() && !rules::instance_type(v).empty())
                   return "'" + v + "' is not an instance type (like p3.2xlarge)";
                 c.instance_type = v;
                 return std::nullopt;
               },
               [](const VmSpec& c) { return c.instance_type; }});
  r.push_back({"vm.ami_id",
               [](VmSpec& c, const std::string& v) -> Problem {
                 if (!v.empty() && !rules::ami_id(v).empty())
                   return "'" + v + "' is not an image id (ami- and 8 or 17 hex digits)";
                 c.ami_id = v;
                 return std::nullopt;
               },
               [](const VmSpec& c) { return c.ami_id; }});
  r.push_back({"vm.ami_name", [](VmSpec& c, const std::string& v) { return one_line_text(v, c.ami_name, 128); },
               [](const VmSpec& c) { return c.ami_name; }});
  r.push_back({"vm.ami_owner",
               [](VmSpec& c, const std::string& v) -> Problem {
                 if (v.empty()) {
                   c.ami_owner = kDefaults.ami_owner;
                   return std::nullopt;
                 }
                 bool account = v.size() == 12 && all_of(v, digit);
                 if (!account && v != "amazon" && v != "self" && v != "aws-marketplace")
                   return "must be amazon, self, aws-marketplace or a 12-digit account id, not '" + v + "'";
                 c.ami_owner = v;
                 return std::nullopt;
               },
               [](const VmSpec& c) { return c.ami_owner; }});
}

// [vm] where the instances go and which key pair they accept.
void add_placement_rules(std::vector<Rule>& r) {
  r.push_back({"vm.subnet",
               [](VmSpec& c, const std::string& v) -> Problem {
                 if (!v.empty() && !rules::subnet_id(v).empty())
                   return "'" + v + "' is not a subnet id (subnet- and 8 or 17 hex digits)";
                 c.subnet = v;
                 return std::nullopt;
               },
               [](const VmSpec& c) { return c.subnet; }});
  r.push_back({"vm.security_groups",
               [](VmSpec& c, const std::string& v) -> Problem {
                 std::vector<std::string> ids;
                 std::string cur;
                 for (std::size_t i = 0; i <= v.size(); ++i) {
                   if (i == v.size() || v[i] == ',' || v[i] == ' ') {
                     if (!cur.empty() && !rules::security_group_id(cur).empty())
                       return "'" + cur + "' is not a security group id (sg- and 8 or 17 hex digits)";
                     if (!cur.empty()) ids.push_back(cur);
                     cur.clear();
                   } else {
                     cur += v[i];
                   }
                 }
                 c.security_groups = ids;
                 return std::nullopt;
               },
               [](const VmSpec& c) { return joined(c.security_groups, ","); }});
  r.push_back({"vm.key_name",
               [](VmSpec& c, const std::string& v) -> Problem {
                 if (auto bad = rules::key_name(v); !bad.empty()) return bad;
                 c.key_name = v;
                 return std::nullopt;
               },
               [](const VmSpec& c) { return c.key_name; }});
}

void add_ssh_rules(std::vector<Rule>& r) {
  r.push_back({"ssh.user",
               [](VmSpec& c, const std::string& v) -> Problem {
                 if (v.empty()) {
                   c.user = kDefaults.user;
                   return std::nullopt;
                 }
                 if (!rules::user_name(v).empty()) return "'" + v + "' is not a user name";
                 c.user = v;
                 return std::nullopt;
               },
               [](const VmSpec& c) { return c.user; }});
  r.push_back({"ssh.key_path",
               [](VmSpec& c, const std::string& v) -> Problem {
                 std::string p;
                 if (auto bad = one_line_text(v, p, 4096)) return bad;
                 c.key_path = expand_home(p);
                 return std::nullopt;
               },
               [](const VmSpec& c) { return c.key_path; }});
  r.push_back({"ssh.known_hosts",
               [](VmSpec& c, const std::string& v) -> Problem {
                 std::string p;
                 if (auto bad = one_line_text(v, p, 4096)) return bad;
                 c.known_hosts = expand_home(p);
                 return std::nullopt;
               },
               [](const VmSpec& c) { return c.known_hosts; }});
  r.push_back({"ssh.address",
               [](VmSpec& c, const std::string& v) -> Problem {
                 if (v.empty() || v == "auto") c.address = AddressChoice::kAuto;
                 else if (v == "public") c.address = AddressChoice::kPublic;
                 else if (v == "private") c.address = AddressChoice::kPrivate;
                 else return "must be auto, public or private, not '" + v + "'";
                 return std::nullopt;
               },
               [](const VmSpec& c) { return std::string(address_name(c.address)); }});
  r.push_back({"ssh.connect_timeout",
               [](VmSpec& c, const std::string& v) { return seconds(v, c.connect_timeout, kDefaults.connect_timeout); },
               [](const VmSpec& c) { return std::to_string(c.connect_timeout); }});
  r.push_back({"ssh.boot_timeout",
               [](VmSpec& c, const std::string& v) { return seconds(v, c.boot_timeout, kDefaults.boot_timeout); },
               [](const VmSpec& c) { return std::to_string(c.boot_timeout); }});
}

void add_setup_and_run_rules(std::vector<Rule>& r) {
  // setup.commands is read apart (command1, command2, ... or "commands ="): no setter.
  r.push_back({"setup.commands", nullptr, nullptr, true});
  r.push_back({"setup.timeout",
               [](VmSpec& c, const std::string& v) { return seconds(v, c.setup_timeout, kDefaults.setup_timeout); },
               [](const VmSpec& c) { return std::to_string(c.setup_timeout); }});
  r.push_back({"run.command",
               [](VmSpec& c, const std::string& v) -> Problem {
                 if (v.size() > 65536) return "longer than 64 KiB";
                 c.run_command = v;
                 return std::nullopt;
               },
               [](const VmSpec& c) { return c.run_command; }, true});
  r.push_back({"run.workdir", [](VmSpec& c, const std::string& v) { return one_line_text(v, c.workdir); },
               [](const VmSpec& c) { return c.workdir; }});
  r.push_back({"run.log_dir",
               [](VmSpec& c, const std::string& v) -> Problem {
                 if (v.empty()) {
                   c.log_dir = kDefaults.log_dir;
                   return std::nullopt;
                 }
                 if (v[0] != '/') return "must be an absolute path, not '" + v + "'";
                 return one_line_text(v, c.log_dir);
               },
               [](const VmSpec& c) { return c.log_dir; }});
  r.push_back({"run.timeout", [](VmSpec& c, const std::string& v) { return seconds(v, c.run_timeout, kDefaults.run_timeout); },
               [](const VmSpec& c) { return std::to_string(c.run_timeout); }});
}

const std::vector<Rule>& all_rules() {
  static const std::vector<Rule> r = [] {
    std::vector<Rule> out;
    add_vm_rules(out);
    add_placement_rules(out);
    add_ssh_rules(out);
    add_setup_and_run_rules(out);
    return out;
  }();
  return r;
}

const Rule* find_rule(const std::string& key) {
  for (const auto& r : all_rules())
    if (r.key == key) return &r;
  return nullptr;
}

std::string section_of(const std::string& key) { return key.substr(0, key.find('.')); }
std::string name_of(const std::string& key) { return key.substr(key.find('.') + 1); }
// "[vm] count"
std::string file_key(const std::string& key) {
  if (key == "setup.commands") return "[setup] command1";  // the first of the list
  return "[" + section_of(key) + "] " + name_of(key);
}

// Keys that look like credentials are refused by name, whatever the section: a config file
// gets copied, committed and shared, and the instances must never receive keys either.
bool credential_key(std::string key) {
  for (auto& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const char* word : {"secret", "password", "token", "access_key", "accesskey", "credential"})
    if (key.find(word) != std::string::npos) return true;
  return false;
}

// Values that carry AWS credentials: a command exporting them would copy them onto every
// instance, where the instance role belongs instead.
bool carries_credentials(const std::string& value) {
  std::string v;
  for (char c : value) v += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (const char* word : {"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ACCESS_KEY_ID"})
    if (v.find(word) != std::string::npos) return true;
  // An access key id: AKIA or ASIA and 16 more upper-case letters or digits.
  for (std::size_t i = 0; i + 20 <= value.size(); ++i) {
    if (value.compare(i, 4, "AKIA") != 0 && value.compare(i, 4, "ASIA") != 0) continue;
    if (all_of(value.substr(i + 4, 16),
               [](char c) { return std::isupper(static_cast<unsigned char>(c)) || digit(c); }))
      return true;
  }
  return false;
}

const char* kNoCredentials =
    "credentials do not belong in the config file or on the instances (the file gets copied, committed and "
    "shared; give the instances an IAM instance profile instead); take them only from the standard chain: "
    "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, a profile (~/.aws/credentials), SSO or an instance role";

std::string known_keys(const std::string& section) {
  std::string out;
  for (const auto& r : all_rules())
    if (section_of(r.key) == section) out += (out.empty() ? "" : ", ") + name_of(r.key);
  if (section == "setup") out += ", command1, command2, ...";
  return out;
}

// "quoted" or 'quoted' one-line values lose their quotes; commands keep theirs (the shell
// needs them).
std::string unquote(const std::string& v) {
  if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front())
    return v.substr(1, v.size() - 2);
  return v;
}

// "command12" -> 12
std::optional<int> command_number(const std::string& key) {
  if (key.size() <= 7 || key.compare(0, 7, "command") != 0) return std::nullopt;
  std::string n = key.substr(7);
  if (n.size() > 6 || !all_of(n, digit)) return std::nullopt;
  return std::stoi(n);
}

Error bad(const std::string& message) { return Error::invalid_argument("BadConfig", message); }

// Where each key's value came from: "file:line: [section] key" or an override's source.
using Origins = std::map<std::string, std::string>;

const internal::IniOptions kDialect{.verbatim_values = true, .continuation_lines = true};

// The setup commands: "commands =" (one per line) or command1, command2, ... in number order.
Status read_setup_commands(VmSpec& c, const internal::IniFile& file, const internal::IniSection& s) {
  auto at = [&](int line) { return file.where(line) + ": "; };
  std::vector<std::string> listed;
  std::map<int, std::pair<std::string, int>> numbered;  // N -> (command, line)
  int listed_line = 0;
  for (const auto& e : s.entries) {
    const std::string where = at(e.line) + "[setup] " + e.key + ": ";
    if (e.key == "commands") {
      listed_line = e.line;
      std::string line;
      for (std::size_t i = 0; i <= e.value.size(); ++i) {
        if (i == e.value.size() || e.value[i] == '\n') {
          if (!line.empty()) listed.push_back(line);
          line.clear();
        } else {
          line += e.value[i];
        }
      }
    } else if (auto n = command_number(e.key)) {
      if (auto it = numbered.find(*n); it != numbered.end())
        return bad(where + "same number as the command at line " + std::to_string(it->second.second));
      if (e.value.find('\n') != std::string::npos)
        return bad(where + "one command per key (indented lines belong to 'commands =')");
      numbered[*n] = {e.value, e.line};
    }
  }
  if (!listed.empty() && !numbered.empty())
    return bad(at(listed_line) + "[setup] give either 'commands =' (one per line) or command1, command2, ..., not both");
  c.setup_commands = listed;
  for (const auto& [n, cmd] : numbered)
    if (!cmd.first.empty()) c.setup_commands.push_back(cmd.first);
  return {};
}

Status read_file_into(VmSpec& c, const internal::IniFile& file, Origins& origin) {
  auto at = [&](int line) { return file.where(line) + ": "; };
  for (const auto& s : file.sections)
    for (const auto& e : s.entries)
      if (credential_key(e.key) || carries_credentials(e.value))
        return bad(at(e.line) + "[" + s.name + "] " + e.key + ": " + kNoCredentials);
  for (const auto& s : file.sections)
    if (s.name != "vm" && s.name != "ssh" && s.name != "setup" && s.name != "run")
      return bad(at(s.line) + "unknown section [" + s.name + "] (known: [vm], [ssh], [setup], [run])");
  if (!file.find("vm"))
    return bad(file.source + ": no [vm] section (it names the deployment and its instances; see examples/vm/vm.ini)");

  for (const auto& s : file.sections) {
    for (const auto& e : s.entries) {
      if (s.name == "setup" && (e.key == "commands" || command_number(e.key))) continue;
      const std::string where = at(e.line) + "[" + s.name + "] " + e.key + ": ";
      const Rule* rule = find_rule(s.name + "." + e.key);
      if (!rule || !rule->set)
        return bad(at(e.line) + "unknown key '" + e.key + "' in [" + s.name + "] (known: " + known_keys(s.name) + ")");
      if (!rule->multi_line && e.value.find('\n') != std::string::npos)
        return bad(where + "a single line is expected (indented lines continue a value)");
      if (auto problem = rule->set(c, rule->multi_line ? e.value : unquote(e.value))) return bad(where + *problem);
      origin[rule->key] = at(e.line) + "[" + s.name + "] " + e.key;
    }
    if (s.name == "setup") AWSDL_TRY(read_setup_commands(c, file, s));
  }
  return {};
}

Status apply_overrides(VmSpec& c, const std::vector<VmOverride>& overrides, Origins& origin) {
  for (const auto& o : overrides) {
    if (o.values.empty()) continue;
    const std::string source = o.source.empty() ? "override of " + o.key : o.source;
    const Rule* rule = find_rule(o.key);
    if (!rule) return bad(source + ": '" + o.key + "' is not a key of the deployment file");
    for (const auto& v : o.values)
      if (carries_credentials(v)) return bad(source + ": " + kNoCredentials);
    if (o.key == "setup.commands") {
      c.setup_commands.clear();
      for (const auto& v : o.values) {
        if (v.empty()) return bad(source + ": empty command");
        c.setup_commands.push_back(v);
      }
      continue;
    }
    if (auto problem = rule->set(c, o.values.back())) return bad(source + ": " + *problem);
    // An image given by an override replaces the file's, whichever way the file named it.
    if (o.key == "vm.ami_id" && !c.ami_id.empty()) c.ami_name.clear(), origin.erase("vm.ami_name");
    if (o.key == "vm.ami_name" && !c.ami_name.empty()) c.ami_id.clear(), origin.erase("vm.ami_id");
    origin[o.key] = source;
  }
  return {};
}

// What `needs` requires, and one image at most. `origin` names where values came from.
Status check_needs(const VmSpec& c, const VmNeeds& needs, Origins& origin, const VmLoadOptions& options) {
  if (!c.ami_id.empty() && !c.ami_name.empty())
    return bad(origin["vm.ami_id"] + " and " + origin["vm.ami_name"] + " are both set: give one image, by id or by name");
  auto missing = [&](const std::string& key, const std::string& why) {
    std::string alt = options.alternative ? options.alternative(key) : std::string();
    std::string where = (c.source.empty() ? "" : c.source + ": ") + file_key(key) + " is required";
    if (!alt.empty()) where += " (or " + alt + ")";
    return bad(where + ": " + why);
  };
  if (c.name.empty()) return missing("vm.name", "it names the deployment and tags its instances");
  if (needs.launch) {
    if (c.instance_type.empty()) return missing("vm.instance_type", "what to launch");
    if (c.ami_id.empty() && c.ami_name.empty())
      return missing("vm.ami_id", "the image to launch, by id (ami_id) or by name (ami_name)");
    if (c.key_name.empty()) return missing("vm.key_name", "the key pair the instances accept for SSH");
  }
  if (needs.setup && c.setup_commands.empty()) return missing("setup.commands", "installing runs the setup commands");
  if (needs.run && c.run_command.empty()) return missing("run.command", "the computation to run");
  if (needs.ssh && !c.key_path.empty()) {
    struct stat st {};
    std::string problem;
    if (::stat(c.key_path.c_str(), &st) != 0 || ::access(c.key_path.c_str(), R_OK) != 0)
      problem = "cannot read key file " + c.key_path + ": " + std::strerror(errno);
    else if (!S_ISREG(st.st_mode))
      problem = "key file " + c.key_path + " is not a regular file";
    if (!problem.empty()) {
      std::string where = origin.count("ssh.key_path") ? origin["ssh.key_path"] : std::string("[ssh] key_path");
      return bad(where + ": " + problem);
    }
  }
  return {};
}

Result<VmSpec> finish_loading(VmSpec c, Origins& origin, const VmLoadOptions& options) {
  AWSDL_TRY(apply_overrides(c, options.overrides, origin));
  AWSDL_TRY(check_needs(c, options.needs, origin, options));
  return c;
}

}  // namespace

VmNeeds needs_of_launch() { return {.launch = true, .ssh = true}; }
VmNeeds needs_of_install() { return {.setup = true, .ssh = true}; }
VmNeeds needs_of_run() { return {.run = true, .ssh = true}; }
VmNeeds needs_of_terminate() { return {.ssh = true}; }

const std::vector<VmKey>& vm_ini_keys() {
  static const std::vector<VmKey> keys = [] {
    std::vector<VmKey> k;
    for (const auto& r : all_rules()) k.push_back({r.key, r.key == "setup.commands"});
    return k;
  }();
  return keys;
}

Result<VmSpec> parse_vm_spec(std::string_view text, std::string_view source_name, const VmLoadOptions& options) {
  auto file = internal::parse_ini(text, std::string(source_name), kDialect);
  if (!file) return bad(file.error().message);
  VmSpec c;
  c.source = std::string(source_name);
  Origins origin;
  AWSDL_TRY(read_file_into(c, *file, origin));
  return finish_loading(std::move(c), origin, options);
}

Result<VmSpec> load_vm_spec(const std::string& path, const VmLoadOptions& options) {
  VmSpec c;
  Origins origin;
  if (!path.empty()) {
    // Bounded (1 MiB, a regular file or a pipe): a directory or /dev/zero is an error. A file
    // that cannot be read is a usage error like a bad value: kInvalidArgument.
    auto text = read_config_file(path);
    if (!text) return bad("cannot read config file: " + text.error().message);
    return parse_vm_spec(*text, path, options);
  }
  return finish_loading(std::move(c), origin, options);
}

std::vector<VmProblem> check(const VmSpec& spec, const VmNeeds& needs) {
  std::vector<VmProblem> out;
  for (const auto& r : all_rules()) {
    if (!r.set) continue;
    VmSpec scratch;
    const std::string value = r.get(spec);
    if (!r.multi_line && value.find('\n') != std::string::npos)
      out.push_back({r.key, "a single line is expected"});
    else if (auto problem = r.set(scratch, value))
      out.push_back({r.key, *problem});
    else if (carries_credentials(value))
      out.push_back({r.key, kNoCredentials});
  }
  for (const auto& cmd : spec.setup_commands) {
    if (cmd.empty()) out.push_back({"setup.commands", "empty command"});
    else if (carries_credentials(cmd)) out.push_back({"setup.commands", kNoCredentials});
  }
  Origins origin{{"vm.ami_id", "[vm] ami_id"}, {"vm.ami_name", "[vm] ami_name"}};
  VmSpec named = spec;
  named.source.clear();
  if (auto st = check_needs(named, needs, origin, {}); !st) out.push_back({"", st.error().message});
  return out;
}

Status validate(const VmSpec& spec, const VmNeeds& needs) {
  auto problems = check(spec, needs);
  if (problems.empty()) return {};
  const auto& p = problems.front();
  return bad(p.key.empty() ? p.message : file_key(p.key) + ": " + p.message);
}

std::string known_hosts_path(const VmSpec& spec) {
  if (!spec.known_hosts.empty()) return spec.known_hosts;
  return expand_home("~/.awsdl/vm/" + spec.name + ".known_hosts");
}

}  // namespace awsdl::vm
