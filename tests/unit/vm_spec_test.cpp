// awsdl::vm's spec: read from vm.ini text (values as written, continuation lines, the two
// forms of the setup list), overridden the way a program's flags do, built in code and
// checked by the same rules; every error names the file and line (or the override's source)
// and the key.
#include "awsdl/vm/spec.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

namespace awsdl::vm {
namespace {

const char* kFull =
    "# a deployment\n"
    "[vm]\n"
    "name = sweep-1\n"
    "region = eu-west-1\n"
    "count = 3\n"
    "instance_type = g5.xlarge\n"
    "ami_name = \"Deep Learning AMI (Ubuntu 22.04) *\"\n"
    "ami_owner = self\n"
    "subnet = subnet-0123abcd\n"
    "security_groups = sg-0123abcd, sg-0123456789abcdef0\n"
    "key_name = team\n"
    "\n"
    "[ssh]\n"
    "user = root\n"
    "known_hosts = /tmp/kh\n"
    "address = private\n"
    "connect_timeout = 5\n"
    "\n"
    "[setup]\n"
    "command10 = echo ten\n"
    "command2 = echo 'two' # not a comment\n"
    "timeout = 60\n"
    "\n"
    "[run]\n"
    "command = python3 train.py \\\n"
    "    --shard \"$AWSDL_VM_INDEX\"\n"
    "log_dir = /var/tmp\n";

std::string error_of(std::string_view text, const VmLoadOptions& options = {}) {
  auto r = parse_vm_spec(text, "vm.ini", options);
  EXPECT_FALSE(r.ok());
  if (r.ok()) return {};
  EXPECT_EQ(r.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(r.error().code, "BadConfig");
  return r.error().message;
}

TEST(VmSpec, FromIniText) {
  auto r = parse_vm_spec(kFull, "vm.ini");
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  const VmSpec& s = *r;
  EXPECT_EQ(s.source, "vm.ini");
  EXPECT_EQ(s.name, "sweep-1");
  EXPECT_EQ(s.region, "eu-west-1");
  EXPECT_EQ(s.count, 3);
  EXPECT_EQ(s.instance_type, "g5.xlarge");
  EXPECT_EQ(s.ami_name, "Deep Learning AMI (Ubuntu 22.04) *");  // one-line values lose their quotes
  EXPECT_EQ(s.ami_owner, "self");
  EXPECT_EQ(s.subnet, "subnet-0123abcd");
  EXPECT_EQ(s.security_groups, (std::vector<std::string>{"sg-0123abcd", "sg-0123456789abcdef0"}));
  EXPECT_EQ(s.key_name, "team");
  EXPECT_EQ(s.user, "root");
  EXPECT_EQ(s.known_hosts, "/tmp/kh");
  EXPECT_EQ(known_hosts_path(s), "/tmp/kh");
  EXPECT_EQ(s.address, AddressChoice::kPrivate);
  EXPECT_EQ(s.connect_timeout, 5);
  EXPECT_EQ(s.boot_timeout, 300);  // the default
  // Numbered commands run in number order; commands keep their quotes and '#'.
  EXPECT_EQ(s.setup_commands, (std::vector<std::string>{"echo 'two' # not a comment", "echo ten"}));
  EXPECT_EQ(s.setup_timeout, 60);
  EXPECT_EQ(s.run_command, "python3 train.py \\\n--shard \"$AWSDL_VM_INDEX\"");
  EXPECT_EQ(s.log_dir, "/var/tmp");
  EXPECT_TRUE(check(s, {.launch = true, .setup = true, .run = true}).empty());

  // The other form of the list: one key, one command per indented line, comments skipped.
  auto listed = parse_vm_spec("[vm]\nname = a\n[setup]\ncommands =\n  apt-get update\n  # skipped\n  make\n", "vm.ini");
  ASSERT_TRUE(listed.ok()) << listed.error().to_string();
  EXPECT_EQ(listed->setup_commands, (std::vector<std::string>{"apt-get update", "make"}));
  EXPECT_TRUE(listed->known_hosts.empty());
  const char* home = std::getenv("HOME");
  if (home && *home) {
    EXPECT_EQ(known_hosts_path(*listed), std::string(home) + "/.awsdl/vm/a.known_hosts");
  }
}

TEST(VmSpec, OverridesWinAndNameTheirSource) {
  VmLoadOptions o;
  o.overrides = {{"vm.count", {"7"}, "--count"},
                 {"vm.ami_id", {"ami-0123456789abcdef0"}, "--ami-id"},  // replaces the file's ami_name
                 {"setup.commands", {"make", "make install"}, "--setup-command"},
                 {"vm.region", {}, "--region"}};  // no value: not an override
  auto r = parse_vm_spec(kFull, "vm.ini", o);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->count, 7);
  EXPECT_EQ(r->ami_id, "ami-0123456789abcdef0");
  EXPECT_TRUE(r->ami_name.empty());
  EXPECT_EQ(r->setup_commands, (std::vector<std::string>{"make", "make install"}));
  EXPECT_EQ(r->region, "eu-west-1");

  o.overrides = {{"vm.count", {"2", "abc"}, "--count"}};  // the last value wins
  EXPECT_EQ(error_of(kFull, o), "--count: must be a whole number from 1 to 1000, not 'abc'");
  o.overrides = {{"run.command", {"AWS_SECRET_ACCESS_KEY=x python3 t.py"}, "--run-command"}};
  EXPECT_EQ(error_of(kFull, o).rfind("--run-command: credentials do not belong", 0), 0u);
  o.overrides = {{"vm.colour", {"blue"}, "--colour"}};
  EXPECT_EQ(error_of(kFull, o), "--colour: 'vm.colour' is not a key of the deployment file");

  // Every key a program may override is one the file may hold.
  for (const auto& key : vm_ini_keys()) EXPECT_NE(key.key.find('.'), std::string::npos) << key.key;
  auto list = std::find_if(vm_ini_keys().begin(), vm_ini_keys().end(), [](const VmKey& k) { return k.list; });
  ASSERT_NE(list, vm_ini_keys().end());
  EXPECT_EQ(list->key, "setup.commands");
}

TEST(VmSpec, ErrorsNameTheFileLineAndKey) {
  EXPECT_EQ(error_of("[vm]\nname = a\n[extra]\n"), "vm.ini:3: unknown section [extra] (known: [vm], [ssh], [setup], [run])");
  EXPECT_EQ(error_of("[vm]\nname = a\ncolour = blue\n").rfind("vm.ini:3: unknown key 'colour' in [vm] (known: name, ", 0),
            0u);
  EXPECT_EQ(error_of("[vm]\nname = a\ncount = -1\n"), "vm.ini:3: [vm] count: must be a whole number from 1 to 1000, not '-1'");
  EXPECT_EQ(error_of("[vm]\nname = a\ninstance_type = t3micro\n"),
            "vm.ini:3: [vm] instance_type: 't3micro' is not an instance type (like p3.2xlarge)");
  EXPECT_EQ(error_of("[vm]\nname = a\nsubnet = sub-1\n"),
            "vm.ini:3: [vm] subnet: 'sub-1' is not a subnet id (subnet- and 8 or 17 hex digits)");
  EXPECT_EQ(error_of("[vm]\nname = a\nsecurity_groups = sg-0123abcd,default\n"),
            "vm.ini:3: [vm] security_groups: 'default' is not a security group id (sg- and 8 or 17 hex digits)");
  EXPECT_EQ(error_of("[vm]\nname = a\ncount = 1\n  2\n"),
            "vm.ini:3: [vm] count: a single line is expected (indented lines continue a value)");
  EXPECT_EQ(error_of("[vm]\nname = a\n[setup]\ncommand1 = a\ncommand01 = b\n"),
            "vm.ini:5: [setup] command01: same number as the command at line 4");
  EXPECT_EQ(error_of("[vm]\nname = a\n[setup]\ncommands =\n  a\ncommand1 = b\n"),
            "vm.ini:4: [setup] give either 'commands =' (one per line) or command1, command2, ..., not both");
  EXPECT_EQ(error_of("[ssh]\nuser = root\n"),
            "vm.ini: no [vm] section (it names the deployment and its instances; see examples/vm/vm.ini)");
  EXPECT_EQ(error_of("[vm]\nname = a\nthis is not ini\n"), "vm.ini:3: expected key = value, [section] or a comment");
  EXPECT_EQ(error_of("[vm]\nname = a\nami_id = ami-0123abcd\nami_name = x\n"),
            "vm.ini:3: [vm] ami_id and vm.ini:4: [vm] ami_name are both set: give one image, by id or by name");
  // Credentials: refused by key name, and in any value, before anything else is read.
  EXPECT_EQ(error_of("[vm]\nname = a\ncount = x\n[ssh]\naws_secret_access_key = abc\n")
                .rfind("vm.ini:5: [ssh] aws_secret_access_key: credentials do not belong in the config file", 0),
            0u);
  EXPECT_EQ(error_of("[vm]\nname = a\n[setup]\ncommand1 = echo AKIAIOSFODNN7EXAMPLE\n")
                .rfind("vm.ini:4: [setup] command1: credentials do not belong", 0),
            0u);

  // What an operation needs: named in the file, and how else to give it when the caller says.
  const std::string text = "[vm]\nname = a\n";
  VmLoadOptions launch{.needs = needs_of_launch()};
  EXPECT_EQ(error_of(text, launch), "vm.ini: [vm] instance_type is required: what to launch");
  launch.alternative = [](std::string_view key) { return "--" + std::string(key.substr(key.find('.') + 1)); };
  EXPECT_EQ(error_of(text, launch), "vm.ini: [vm] instance_type is required (or --instance_type): what to launch");
  EXPECT_EQ(error_of(text, {.needs = needs_of_install()}),
            "vm.ini: [setup] command1 is required: installing runs the setup commands");
  EXPECT_EQ(error_of(text, {.needs = needs_of_run()}), "vm.ini: [run] command is required: the computation to run");
  EXPECT_EQ(error_of("[vm]\nname = a\n[ssh]\nkey_path = /nonexistent/key\n", {.needs = needs_of_terminate()})
                .rfind("vm.ini:4: [ssh] key_path: cannot read key file /nonexistent/key: ", 0),
            0u);
  EXPECT_TRUE(parse_vm_spec("[vm]\nname = a\n[ssh]\nkey_path = /nonexistent/key\n", "vm.ini").ok())
      << "the key file is checked only when SSH is needed";

  auto unreadable = load_vm_spec("/nonexistent/vm.ini");
  ASSERT_FALSE(unreadable.ok());
  EXPECT_EQ(unreadable.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(unreadable.error().message.rfind("cannot read config file: ", 0), 0u) << unreadable.error().message;
}

TEST(VmSpec, FromCodeUnderTheSameRules) {
  VmSpec s;
  s.name = "from-code";
  s.instance_type = "p3.2xlarge";
  s.ami_id = "ami-0123456789abcdef0";
  s.key_name = "team";
  s.setup_commands = {"make"};
  s.run_command = "./train";
  EXPECT_TRUE(check(s, {.launch = true, .setup = true, .run = true}).empty());
  EXPECT_TRUE(validate(s, needs_of_launch()).ok());

  VmSpec bad = s;
  bad.count = 0;
  bad.subnet = "subnet-xyz";
  bad.security_groups = {"sg-0123abcd", "web"};
  bad.log_dir = "relative";
  bad.setup_commands = {"make", "", "export AWS_SESSION_TOKEN=x"};
  auto problems = check(bad);
  std::vector<std::string> keys;
  for (const auto& p : problems) keys.push_back(p.key);
  EXPECT_EQ(keys, (std::vector<std::string>{"vm.count", "vm.subnet", "vm.security_groups", "run.log_dir",
                                            "setup.commands", "setup.commands"}));
  EXPECT_EQ(problems[0].message, "must be a whole number from 1 to 1000, not '0'");
  auto v = validate(bad);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().code, "BadConfig");
  EXPECT_EQ(v.error().message, "[vm] count: must be a whole number from 1 to 1000, not '0'");

  VmSpec incomplete;
  incomplete.name = "x";
  auto missing = validate(incomplete, needs_of_launch());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message, "[vm] instance_type is required: what to launch");
  VmSpec two_images = s;
  two_images.ami_name = "DLAMI *";
  auto both = validate(two_images);
  ASSERT_FALSE(both.ok());
  EXPECT_EQ(both.error().message, "[vm] ami_id and [vm] ami_name are both set: give one image, by id or by name");
  VmSpec nameless = s;
  nameless.name.clear();
  EXPECT_FALSE(validate(nameless).ok());
  VmSpec newline = s;
  newline.key_name = "a\nb";
  ASSERT_EQ(check(newline).size(), 1u);
  EXPECT_EQ(check(newline)[0].key, "vm.key_name");
}

}  // namespace
}  // namespace awsdl::vm
