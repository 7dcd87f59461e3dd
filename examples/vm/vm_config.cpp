#include "vm_config.hpp"

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

#include <awsdl/config.hpp>

#include "ini_reader.hpp"

namespace awsdl_vm {

namespace {

using Problem = std::optional<std::string>;
using Setter = std::function<Problem(VmConfig&, const std::string&)>;

struct KeyRule {
  KeyDef def;
  Setter set;
  bool multi_line = false;  // the value may span lines (commands)
};

const VmConfig kDefaults{};

bool all_of(const std::string& s, const std::function<bool(char)>& ok) {
  return std::all_of(s.begin(), s.end(), [&](char c) { return ok(c); });
}
bool lower_alnum(char c) {
  return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c));
}
bool hex(char c) { return std::isdigit(static_cast<unsigned char>(c)) || (c >= 'a' && c <= 'f'); }

// "ami-" + 8 or 17 hex digits, as EC2 ids are.
bool aws_id(const std::string& v, const std::string& prefix) {
  if (v.compare(0, prefix.size(), prefix) != 0) return false;
  std::string rest = v.substr(prefix.size());
  return (rest.size() == 8 || rest.size() == 17) && all_of(rest, hex);
}

Problem whole_number(const std::string& v, int lo, int hi, int& out, int fallback) {
  if (v.empty()) {
    out = fallback;
    return std::nullopt;
  }
  bool digits = all_of(v, [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; });
  if (!digits || v.size() > 9 || std::stoi(v) < lo || std::stoi(v) > hi)
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

std::vector<KeyRule> make_rules() {
  std::vector<KeyRule> r;
  auto add = [&](std::string section, std::string key, std::string flag, std::string value_name, std::string help,
                 Setter set, bool multi_line = false, bool repeatable = false) {
    r.push_back(
        {{std::move(section), std::move(key), std::move(flag), std::move(value_name), std::move(help), repeatable},
         std::move(set),
         multi_line});
  };
  add("vm", "name", "name", "NAME", "deployment name; every instance is tagged awsdl:vm=NAME",
      [](VmConfig& c, const std::string& v) -> Problem {
        bool ok =
            !v.empty() && v.size() <= 63 && std::isalnum(static_cast<unsigned char>(v[0])) && all_of(v, [](char ch) {
              return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' || ch == '.';
            });
        if (!ok)
          return "must be 1 to 63 letters, digits, '.', '_' or '-', starting with a letter or digit, not '" + v + "'";
        c.name = v;
        return std::nullopt;
      });
  add("vm", "region", "region", "REGION", "", [](VmConfig& c, const std::string& v) -> Problem {
    if (!v.empty() && !awsdl::valid_region_name(v)) return "'" + v + "' is not a region name (like us-east-1)";
    c.region = v;
    return std::nullopt;
  });
  add("vm", "count", "count", "N", "instances to launch (1 to 1000)",
      [](VmConfig& c, const std::string& v) { return whole_number(v, 1, 1000, c.count, kDefaults.count); });
  add("vm", "instance_type", "instance-type", "TYPE", "EC2 instance type (p3.2xlarge, g5.xlarge, ...)",
      [](VmConfig& c, const std::string& v) -> Problem {
        auto dot = v.find('.');
        bool ok = v.empty() || (dot != std::string::npos && dot > 0 && dot + 1 < v.size() && v.size() <= 64 &&
                                all_of(v.substr(0, dot), [](char ch) { return lower_alnum(ch) || ch == '-'; }) &&
                                all_of(v.substr(dot + 1), [](char ch) { return lower_alnum(ch) || ch == '-'; }));
        if (!ok) return "'" + v + "' is not an instance type (like p3.2xlarge)";
        c.instance_type = v;
        return std::nullopt;
      });
  add("vm", "ami_id", "ami-id", "ID", "image id (ami-...); or give ami_name",
      [](VmConfig& c, const std::string& v) -> Problem {
        if (!v.empty() && !aws_id(v, "ami-")) return "'" + v + "' is not an image id (ami- and 8 or 17 hex digits)";
        c.ami_id = v;
        return std::nullopt;
      });
  add("vm", "ami_name", "ami-name", "PATTERN", "image name, wildcards allowed; the newest match is used",
      [](VmConfig& c, const std::string& v) { return one_line_text(v, c.ami_name, 128); });
  add("vm", "ami_owner", "ami-owner", "OWNER", "whose images ami_name may match: amazon (default), self, an account id",
      [](VmConfig& c, const std::string& v) -> Problem {
        if (v.empty()) {
          c.ami_owner = kDefaults.ami_owner;
          return std::nullopt;
        }
        bool account =
            v.size() == 12 && all_of(v, [](char ch) { return std::isdigit(static_cast<unsigned char>(ch)) != 0; });
        if (!account && v != "amazon" && v != "self" && v != "aws-marketplace")
          return "must be amazon, self, aws-marketplace or a 12-digit account id, not '" + v + "'";
        c.ami_owner = v;
        return std::nullopt;
      });
  add("vm", "subnet", "subnet", "ID", "subnet id (default: the default VPC's default subnet)",
      [](VmConfig& c, const std::string& v) -> Problem {
        if (!v.empty() && !aws_id(v, "subnet-"))
          return "'" + v + "' is not a subnet id (subnet- and 8 or 17 hex digits)";
        c.subnet = v;
        return std::nullopt;
      });
  add("vm", "security_groups", "security-groups", "IDS",
      "security group ids, comma-separated (default: the VPC's default group)",
      [](VmConfig& c, const std::string& v) -> Problem {
        std::vector<std::string> ids;
        std::string cur;
        for (std::size_t i = 0; i <= v.size(); ++i) {
          if (i == v.size() || v[i] == ',' || v[i] == ' ') {
            if (!cur.empty() && !aws_id(cur, "sg-"))
              return "'" + cur + "' is not a security group id (sg- and 8 or 17 hex digits)";
            if (!cur.empty()) ids.push_back(cur);
            cur.clear();
          } else {
            cur += v[i];
          }
        }
        c.security_groups = ids;
        return std::nullopt;
      });
  add("vm", "key_name", "key-name", "NAME", "EC2 key pair the instances accept",
      [](VmConfig& c, const std::string& v) { return one_line_text(v, c.key_name, 255); });

  add("ssh", "user", "user", "USER", "login user on the instances (default ubuntu)",
      [](VmConfig& c, const std::string& v) -> Problem {
        if (v.empty()) {
          c.user = kDefaults.user;
          return std::nullopt;
        }
        bool ok = v.size() <= 32 && (std::islower(static_cast<unsigned char>(v[0])) || v[0] == '_') &&
                  all_of(v, [](char ch) { return lower_alnum(ch) || ch == '_' || ch == '-'; });
        if (!ok) return "'" + v + "' is not a user name";
        c.user = v;
        return std::nullopt;
      });
  add("ssh", "key_path", "key-path", "FILE", "private key of key_name (default: the SSH agent and ~/.ssh/id_*)",
      [](VmConfig& c, const std::string& v) -> Problem {
        if (v.empty()) {
          c.key_path.clear();
          return std::nullopt;
        }
        std::string p = expand_home(v);
        c.key_path = p;
        return std::nullopt;
      });
  add("ssh", "known_hosts", "known-hosts", "FILE", "known_hosts file (default ~/.awsdl/vm/NAME.known_hosts)",
      [](VmConfig& c, const std::string& v) -> Problem {
        auto p = one_line_text(v, c.known_hosts);
        if (p) return p;
        c.known_hosts = expand_home(v);
        c.default_known_hosts = v.empty();
        return std::nullopt;
      });
  add("ssh", "address", "address", "auto|public|private", "which address to SSH to (auto: public when there is one)",
      [](VmConfig& c, const std::string& v) -> Problem {
        if (v.empty()) {
          c.address = kDefaults.address;
          return std::nullopt;
        }
        if (v != "auto" && v != "public" && v != "private") return "must be auto, public or private, not '" + v + "'";
        c.address = v;
        return std::nullopt;
      });
  add("ssh", "connect_timeout", "connect-timeout", "SECONDS", "per connection attempt (default 10)",
      [](VmConfig& c, const std::string& v) { return seconds(v, c.connect_timeout, kDefaults.connect_timeout); });
  add("ssh", "boot_timeout", "boot-timeout", "SECONDS", "how long new instances may take to accept SSH (default 300)",
      [](VmConfig& c, const std::string& v) { return seconds(v, c.boot_timeout, kDefaults.boot_timeout); });

  // [setup] command<N> and commands are handled apart (a list); this entry gives the flag.
  add("setup", "command<N>", "setup-command", "CMD", "a setup command (replaces the file's list)", nullptr, true, true);
  add("setup", "timeout", "setup-timeout", "SECONDS", "per setup command and host (default 3600)",
      [](VmConfig& c, const std::string& v) { return seconds(v, c.setup_timeout, kDefaults.setup_timeout); });

  add(
      "run", "command", "run-command", "CMD", "the computation, run on every instance",
      [](VmConfig& c, const std::string& v) -> Problem {
        if (v.size() > 65536) return "longer than 64 KiB";
        c.run_command = v;
        return std::nullopt;
      },
      true);
  add("run", "workdir", "workdir", "DIR", "remote directory the run command starts in (default: the login directory)",
      [](VmConfig& c, const std::string& v) { return one_line_text(v, c.workdir); });
  add("run", "log_dir", "log-dir", "DIR", "remote directory for the run's log and exit status (default /tmp)",
      [](VmConfig& c, const std::string& v) -> Problem {
        if (v.empty()) {
          c.log_dir = kDefaults.log_dir;
          return std::nullopt;
        }
        if (v[0] != '/') return "must be an absolute path, not '" + v + "'";
        return one_line_text(v, c.log_dir);
      });
  add("run", "timeout", "run-timeout", "SECONDS", "how long run waits for the command (default 86400)",
      [](VmConfig& c, const std::string& v) { return seconds(v, c.run_timeout, kDefaults.run_timeout); });
  return r;
}

const std::vector<KeyRule>& rules() {
  static const std::vector<KeyRule> r = make_rules();
  return r;
}

const KeyRule* find_rule(const std::string& section, const std::string& key) {
  for (const auto& r : rules())
    if (r.def.section == section && r.def.key == key) return &r;
  return nullptr;
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
    if (all_of(value.substr(i + 4, 16), [](char c) {
          return std::isupper(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c));
        }))
      return true;
  }
  return false;
}

const char* kNoCredentials =
    "credentials do not belong in the config file or on the instances (the file gets copied, committed and "
    "shared; give the instances an IAM instance profile instead); awsdl-vm takes them only from the standard "
    "chain: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, --profile (~/.aws/credentials), SSO or an instance role";

std::string known_keys(const std::string& section) {
  std::string out;
  for (const auto& r : rules())
    if (r.def.section == section) out += (out.empty() ? "" : ", ") + r.def.key;
  if (section == "setup") out += ", commands";
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
  if (n.size() > 6 || !all_of(n, [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }))
    return std::nullopt;
  return std::stoi(n);
}

awsdl::Error bad(const std::string& message) { return awsdl::Error::invalid_argument("BadConfig", message); }

awsdl::Status read_file_into(VmConfig& c, const std::string& path, std::map<std::string, std::string>& origin) {
  AWSDL_ASSIGN_OR_RETURN(IniDocument doc, read_ini(path));
  auto at = [&](int line) { return path + ":" + std::to_string(line) + ": "; };
  for (const auto& e : doc.entries)
    if (credential_key(e.key) || carries_credentials(e.value))
      return bad(at(e.line) + "[" + e.section + "] " + e.key + ": " + kNoCredentials);
  for (const auto& s : doc.sections)
    if (s.name != "vm" && s.name != "ssh" && s.name != "setup" && s.name != "run")
      return bad(at(s.line) + "unknown section [" + s.name + "] (known: [vm], [ssh], [setup], [run])");
  if (std::none_of(doc.sections.begin(), doc.sections.end(), [](const IniSection& s) { return s.name == "vm"; }))
    return bad(path + ": no [vm] section (it names the deployment and its instances; see examples/vm/vm.ini)");

  std::vector<std::string> listed;                      // [setup] commands
  std::map<int, std::pair<std::string, int>> numbered;  // N -> (command, line)
  int listed_line = 0;
  for (const auto& e : doc.entries) {
    const std::string where = at(e.line) + "[" + e.section + "] " + e.key + ": ";
    if (e.section == "setup" && (e.key == "commands" || command_number(e.key))) {
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
      } else {
        int n = *command_number(e.key);
        if (auto it = numbered.find(n); it != numbered.end())
          return bad(where + "same number as the command at line " + std::to_string(it->second.second));
        if (e.value.find('\n') != std::string::npos)
          return bad(where + "one command per key (indented lines belong to 'commands =')");
        numbered[n] = {e.value, e.line};
      }
      continue;
    }
    const KeyRule* rule = find_rule(e.section, e.key);
    if (!rule || !rule->set)
      return bad(at(e.line) + "unknown key '" + e.key + "' in [" + e.section + "] (known: " + known_keys(e.section) +
                 ")");
    if (!rule->multi_line && e.value.find('\n') != std::string::npos)
      return bad(where + "a single line is expected (indented lines continue a value)");
    if (auto problem = rule->set(c, rule->multi_line ? e.value : unquote(e.value))) return bad(where + *problem);
    origin[e.key] = at(e.line) + "[" + e.section + "] " + e.key;
  }
  if (!listed.empty() && !numbered.empty())
    return bad(at(listed_line) +
               "[setup] give either 'commands =' (one per line) or command1, command2, ..., not both");
  c.setup_commands = listed;
  for (const auto& [n, cmd] : numbered)
    if (!cmd.first.empty()) c.setup_commands.push_back(cmd.first);
  return {};
}

}  // namespace

std::string expand_home(const std::string& path) {
  if (path == "~" || path.compare(0, 2, "~/") == 0) {
    const char* home = std::getenv("HOME");
    if (home && *home) return std::string(home) + path.substr(1);
  }
  return path;
}

const std::vector<KeyDef>& vm_keys() {
  static const std::vector<KeyDef> keys = [] {
    std::vector<KeyDef> k;
    for (const auto& r : rules()) k.push_back(r.def);
    return k;
  }();
  return keys;
}

awsdl::Result<VmConfig> load_vm_config(const std::string& path, const std::vector<KeyOverride>& overrides,
                                       const Needs& needs) {
  VmConfig c;
  c.source = path;
  std::map<std::string, std::string> origin;  // key -> "file:line: [section] key" or "--flag"
  if (!path.empty()) {
    if (auto st = read_file_into(c, path, origin); !st) return st.error();
  }
  for (const auto& o : overrides) {
    if (o.values.empty()) continue;
    const std::string flag = "--" + o.key->flag;
    for (const auto& v : o.values)
      if (carries_credentials(v)) return bad(flag + ": " + kNoCredentials);
    if (o.key->section == "setup" && o.key->key == "command<N>") {
      c.setup_commands.clear();
      for (const auto& v : o.values) {
        if (v.empty()) return bad(flag + ": empty command");
        c.setup_commands.push_back(v);
      }
      continue;
    }
    const KeyRule* rule = find_rule(o.key->section, o.key->key);
    if (!rule || !rule->set) continue;
    if (auto problem = rule->set(c, o.values.back())) return bad(flag + ": " + *problem);
    // An image given by flag replaces the file's, whichever way the file named it.
    if (o.key->key == "ami_id" && !c.ami_id.empty()) c.ami_name.clear(), origin.erase("ami_name");
    if (o.key->key == "ami_name" && !c.ami_name.empty()) c.ami_id.clear(), origin.erase("ami_id");
    origin[o.key->key] = flag;
  }
  if (!c.ami_id.empty() && !c.ami_name.empty())
    return bad(origin["ami_id"] + " and " + origin["ami_name"] + " are both set: give one image, by id or by name");

  auto missing = [&](const std::string& section, const std::string& key, const std::string& flag,
                     const std::string& why) {
    std::string where =
        path.empty() ? "--" + flag + " is required" : path + ": [" + section + "] " + key + " is required";
    where += path.empty() ? " (or --config FILE with [" + section + "] " + key + ")" : " (or --" + flag + ")";
    return bad(where + ": " + why);
  };
  if (c.name.empty()) return missing("vm", "name", "name", "it names the deployment and tags its instances");
  if (needs.launch) {
    if (c.instance_type.empty()) return missing("vm", "instance_type", "instance-type", "what to launch");
    if (c.ami_id.empty() && c.ami_name.empty())
      return missing("vm", "ami_id", "ami-id", "the image to launch, by id (ami_id) or by name (ami_name)");
    if (c.key_name.empty()) return missing("vm", "key_name", "key-name", "the key pair awsdl-vm logs in with over SSH");
  }
  if (needs.setup && c.setup_commands.empty())
    return missing("setup", "command1", "setup-command", "install-deps runs the setup commands");
  if (needs.run && c.run_command.empty()) return missing("run", "command", "run-command", "the computation to run");
  if (needs.ssh && !c.key_path.empty()) {
    struct stat st {};
    std::string problem;
    if (::stat(c.key_path.c_str(), &st) != 0 || ::access(c.key_path.c_str(), R_OK) != 0)
      problem = "cannot read key file " + c.key_path + ": " + std::strerror(errno);
    else if (!S_ISREG(st.st_mode))
      problem = "key file " + c.key_path + " is not a regular file";
    if (!problem.empty()) return bad(origin["key_path"] + ": " + problem);
  }
  if (c.known_hosts.empty()) {
    c.known_hosts = expand_home("~/.awsdl/vm/" + c.name + ".known_hosts");
    c.default_known_hosts = true;
  }
  return c;
}

}  // namespace awsdl_vm
