#include "vm_cli.hpp"

#include <unistd.h>

#include <cstdio>
#include <mutex>

#include "interrupt.hpp"

namespace awsdl_vm {

namespace {

std::mutex& print_mutex() {
  static std::mutex m;
  return m;
}

// One flag per key of vm.ini: its name, value and help. Region's flag is the global --region.
struct KeyFlag {
  const char* key;
  const char* flag;
  const char* value_name;
  const char* help;
};

constexpr KeyFlag kKeyFlags[] = {
    {"vm.name", "name", "NAME", "deployment name; every instance is tagged awsdl:vm=NAME"},
    {"vm.region", "region", "REGION", ""},
    {"vm.count", "count", "N", "instances to launch (1 to 1000)"},
    {"vm.instance_type", "instance-type", "TYPE", "EC2 instance type (p3.2xlarge, g5.xlarge, ...)"},
    {"vm.ami_id", "ami-id", "ID", "image id (ami-...); or give ami_name"},
    {"vm.ami_name", "ami-name", "PATTERN", "image name, wildcards allowed; the newest match is used"},
    {"vm.ami_owner", "ami-owner", "OWNER", "whose images ami_name may match: amazon (default), self, an account id"},
    {"vm.subnet", "subnet", "ID", "subnet id (default: the default VPC's default subnet)"},
    {"vm.security_groups", "security-groups", "IDS", "security group ids, comma-separated (default: the VPC's default group)"},
    {"vm.key_name", "key-name", "NAME", "EC2 key pair the instances accept"},
    {"ssh.user", "user", "USER", "login user on the instances (default ubuntu)"},
    {"ssh.key_path", "key-path", "FILE", "private key of key_name (default: the SSH agent and ~/.ssh/id_*)"},
    {"ssh.known_hosts", "known-hosts", "FILE", "known_hosts file (default ~/.awsdl/vm/NAME.known_hosts)"},
    {"ssh.address", "address", "auto|public|private", "which address to SSH to (auto: public when there is one)"},
    {"ssh.connect_timeout", "connect-timeout", "SECONDS", "per connection attempt (default 10)"},
    {"ssh.boot_timeout", "boot-timeout", "SECONDS", "how long new instances may take to accept SSH (default 300)"},
    {"setup.commands", "setup-command", "CMD", "a setup command (replaces the file's list)"},
    {"setup.timeout", "setup-timeout", "SECONDS", "per setup command and host (default 3600)"},
    {"run.command", "run-command", "CMD", "the computation, run on every instance"},
    {"run.workdir", "workdir", "DIR", "remote directory the run command starts in (default: the login directory)"},
    {"run.log_dir", "log-dir", "DIR", "remote directory for the run's log and exit status (default /tmp)"},
    {"run.timeout", "run-timeout", "SECONDS", "how long run waits for the command (default 86400)"},
};

const KeyFlag* flag_of(std::string_view key) {
  for (const auto& k : kKeyFlags)
    if (key == k.key) return &k;
  return nullptr;
}

// How a required key can be given besides the file.
std::string alternative(std::string_view key) {
  const KeyFlag* k = flag_of(key);
  return k ? std::string("--") + k->flag : std::string();
}

// "[vm] count" / "[setup] command1, command2, ..." for the flags' help.
std::string file_key(const std::string& key) {
  const auto dot = key.find('.');
  std::string name = key == "setup.commands" ? "command1, command2, ..." : key.substr(dot + 1);
  return "[" + key.substr(0, dot) + "] " + name;
}

awsdl_cli::Parser make_parser(const CommandInfo& info) {
  awsdl_cli::Parser p("awsdl-vm " + info.name, info.summary);
  p.usage("awsdl-vm " + info.name + " --config FILE [--KEY VALUE...] [FLAGS...]");
  p.flag({"config", "FILE", "deployment INI file (see examples/vm/vm.ini)"});
  p.aws_flags();
  for (const auto& key : awsdl::vm::vm_ini_keys()) {
    const KeyFlag* k = flag_of(key.key);
    if (!k || key.key == "vm.region") continue;  // the global --region
    p.flag({k->flag, k->value_name, file_key(key.key) + ": " + k->help, key.list});
  }
  p.flag({"poll-interval", "SECONDS", "first delay between state polls; grows to 4x (default 2)"});
  p.flag({"wait-timeout", "SECONDS", "how long to wait for instances to be running or terminated (default 900)"});
  if (info.yes_flag) p.flag({"yes", "", "terminate without asking (required when standard input is not a terminal)"});
  if (info.detach_flag) p.flag({"detach", "", "start the command and return; terminate stops it later"});
  if (info.grace_flag)
    p.flag({"grace", "SECONDS", "stopping a run: SIGTERM, then SIGKILL after this long (default 10)"});
  for (const auto& e : info.examples) p.example(e);
  p.note("Every key of the INI file has a flag (above); a flag wins over the file. Configuration\n"
         "and flag errors name the file and line (or the flag) and exit with 2 before any AWS call.\n"
         "Credentials come only from the standard chain (environment, --profile, SSO, instance\n"
         "role), never from the config file. Exit codes: 0 ok, 1 failed, 2 usage.\n");
  if (!info.notes.empty()) p.note(info.notes);
  return p;
}

// "awsdl-vm" and how this run named the deployment, for the next steps' command lines.
std::string g_config_path;
std::string g_name;
std::string g_region;  // when it did not come from the file

std::string command_for(const std::string& subcommand) {
  std::string s = "awsdl-vm " + subcommand;
  s += g_config_path.empty() ? " --name " + g_name : " --config " + g_config_path;
  if (!g_region.empty()) s += " --region " + g_region;
  return s;
}

// Host output as "host: line" (commands as "host: $ command"), serialized across the
// fan-out's threads; stderr lines go to stderr.
void print_output(const awsdl::vm::HostOutput& o) {
  std::lock_guard<std::mutex> lock(print_mutex());
  std::FILE* f = o.stream == awsdl::ssh::Stream::kStderr ? stderr : stdout;
  std::fprintf(f, "%s: %s%s\n", o.address.c_str(), o.command ? "$ " : "", o.line.c_str());
  std::fflush(f);
}

void print_event(const awsdl::vm::VmEvent& e) {
  progress((e.kind == awsdl::vm::VmEventKind::kWarning ? "warning: " : "") + e.message);
}

}  // namespace

std::string step_words(const awsdl::NextStep& step) {
  namespace ns = awsdl::vm::next_step;
  if (step.action == ns::kStatus) return "'" + command_for("status") + "' shows the instances";
  if (step.action == ns::kTerminate) return "'" + command_for("terminate") + " --yes' stops the run and terminates the instances";
  if (step.action == ns::kInstall)
    return "fix the command and run '" + command_for("install-deps") + "' again (commands should be safe to repeat)";
  if (step.action == ns::kCheckImage) return "check [vm] ami_name and ami_owner, or give ami_id";
  return {};
}

void progress(const std::string& line) {
  std::lock_guard<std::mutex> lock(print_mutex());
  std::fprintf(stderr, "awsdl-vm: %s\n", line.c_str());
  std::fflush(stderr);
}

int prepare(const CommandInfo& info, const std::vector<std::string>& argv, Context& ctx) {
  // Every step can be interrupted: the first Ctrl-C stops it (so that `all` can still
  // terminate what it launched), a second one ends the program.
  ctx.options.cancel = awsdl_cli::install_interrupt_handler();
  ctx.prog = "awsdl-vm " + info.name;
  auto opening = awsdl_cli::open_command(make_parser(info), argv);
  if (opening.exit) return *opening.exit;
  const awsdl_cli::Args& args = opening.args;
  if (!args.positionals().empty())
    return awsdl_cli::report(awsdl::Error::invalid_argument(
        "UnexpectedArgument", "unexpected argument '" + args.positionals()[0] + "' (see " + ctx.prog + " --help)"));
  if (!args.rest().empty())
    return awsdl_cli::report(awsdl::Error::invalid_argument(
        "UnexpectedArgument",
        "unexpected '--': commands come from the config file or --setup-command / --run-command"));
  ctx.json = opening.json;
  using std::chrono::seconds;
  auto poll = awsdl_cli::seconds_flag(args, "poll-interval", awsdl::Millis(2000), 0.05, 60);
  if (!poll) return awsdl_cli::report(poll.error());
  auto wait = awsdl_cli::seconds_flag(args, "wait-timeout", seconds(900), 1, 86400);
  if (!wait) return awsdl_cli::report(wait.error());
  auto grace = awsdl_cli::seconds_flag(args, "grace", seconds(10), 0.1, 3600);
  if (!grace) return awsdl_cli::report(grace.error());
  ctx.options.poll_interval = *poll;
  ctx.options.wait_timeout = *wait;
  ctx.options.grace = *grace;
  ctx.options.detach = args.has("detach");
  ctx.options.on_event = print_event;
  // Text: remote output as it comes; JSON: kept in the result, nothing but JSON on stdout.
  if (ctx.json) ctx.options.keep_output = true;
  else ctx.options.on_output = print_output;
  ctx.yes = args.has("yes");
  if (info.yes_flag && !ctx.yes && !::isatty(0))
    return awsdl_cli::report(awsdl::Error::invalid_argument(
        "ConfirmationNeeded",
        ctx.prog + " terminates instances: pass --yes (standard input is not a terminal to ask on)"));

  awsdl::vm::VmLoadOptions load;
  load.needs = info.needs;
  load.alternative = alternative;
  for (const auto& key : awsdl::vm::vm_ini_keys()) {
    const KeyFlag* k = flag_of(key.key);
    if (k && args.has(k->flag)) load.overrides.push_back({key.key, args.all(k->flag), std::string("--") + k->flag});
  }
  const std::string path = args.get_or("config", "");
  auto spec = awsdl::vm::load_vm_spec(path, load);
  if (!spec) {
    std::fprintf(stderr, "error: %s\n", spec.error().message.c_str());
    return awsdl_cli::kExitUsage;
  }

  awsdl::Config::Overrides o;
  o.region = spec->region;  // --region already replaced it (it is one of the keys)
  o.profile = args.get_or("profile", "");
  o.endpoint_url = args.get_or("endpoint-url", "");
  auto cfg = awsdl::Config::from_environment(std::move(o));
  if (!cfg) {
    std::fprintf(stderr, "error: %s\n", cfg.error().to_string().c_str());
    return awsdl_cli::kExitUsage;
  }
  if (cfg->region.empty()) {
    std::fprintf(stderr, "error: no region: set [vm] region, --region, AWS_REGION or the profile's region\n");
    return awsdl_cli::kExitUsage;
  }
  g_config_path = path;
  g_name = spec->name;
  g_region = spec->region.empty() ? cfg->region : std::string();
  ctx.deployment.emplace(std::move(*cfg), std::move(*spec));
  return -1;
}

int finish(const Context& ctx, const StepOutcome& outcome) {
  // A failed step with nothing to show prints nothing: its exit code and stderr say it.
  if (ctx.json && !(outcome.code != 0 && outcome.json == "null")) {
    std::fputs((outcome.json + "\n").c_str(), stdout);
    std::fflush(stdout);
  }
  return outcome.code;
}

std::string command_line(const Context&, const std::string& subcommand) { return command_for(subcommand); }

int fail(const Context& ctx, const std::string& context, const awsdl::Error& error) {
  awsdl::Error shown = error;
  // Within `all`, terminating is the plan already.
  if (ctx.in_all)
    std::erase_if(shown.next_steps, [](const awsdl::NextStep& s) { return s.action == awsdl::vm::next_step::kTerminate; });
  awsdl_cli::report(shown, context);
  return awsdl_cli::kExitFailed;
}

namespace {

// Remote output is whatever bytes the commands printed; JSON must be UTF-8, so a byte that
// does not start a well-formed sequence becomes U+FFFD.
std::string valid_utf8(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    bool ok = len > 0 && i + len <= s.size() && !(len == 2 && c < 0xC2) && !(len == 4 && c > 0xF4);
    for (std::size_t k = 1; ok && k < len; ++k) ok = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
    if (ok && len == 3) {
      const auto c1 = static_cast<unsigned char>(s[i + 1]);
      ok = !(c == 0xE0 && c1 < 0xA0) && !(c == 0xED && c1 >= 0xA0);  // overlong, surrogates
    }
    if (ok && len == 4) {
      const auto c1 = static_cast<unsigned char>(s[i + 1]);
      ok = !(c == 0xF0 && c1 < 0x90) && !(c == 0xF4 && c1 >= 0x90);
    }
    if (ok) {
      out.append(s, i, len);
      i += len;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

}  // namespace

std::string jstr(const std::string& s) { return "\"" + awsdl_cli::json_escape(valid_utf8(s)) + "\""; }

std::string instance_json(const Context& ctx, const awsdl::ec2::Instance& i) {
  auto job = awsdl::vm::recorded_job(i);
  std::string out = "{\"instance_id\":" + jstr(i.instance_id) + ",\"state\":" + jstr(i.state) +
                    ",\"instance_type\":" + jstr(i.instance_type) + ",\"image_id\":" + jstr(i.image_id) +
                    ",\"address\":" + jstr(awsdl::vm::ssh_address(ctx.spec(), i)) + ",\"public_ip\":" + jstr(i.public_ip) +
                    ",\"private_ip\":" + jstr(i.private_ip) + ",\"launch_time\":" + jstr(i.launch_time) + ",\"run\":";
  if (!job)
    out += "null";
  else
    out += "{\"pgid\":" + std::to_string(job->pgid) + ",\"job_id\":" + jstr(job->id) + "}";
  return out + "}";
}

}  // namespace awsdl_vm
