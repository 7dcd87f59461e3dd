#include "vm_context.hpp"

#include "interrupt.hpp"
#include <awsdl/core/retry.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>

namespace awsdl_vm {

namespace {

std::mutex& print_mutex() {
  static std::mutex m;
  return m;
}

awsdl_cli::Parser make_parser(const CommandInfo& info) {
  awsdl_cli::Parser p("awsdl-vm " + info.name, info.summary);
  p.usage("awsdl-vm " + info.name + " --config FILE [--KEY VALUE...] [FLAGS...]");
  p.flag({"config", "FILE", "deployment INI file (see examples/vm/vm.ini)"});
  p.aws_flags();
  for (const auto& k : vm_keys()) {
    if (k.flag == "region") continue;  // the global --region
    std::string key = k.key == "command<N>" ? "command1, command2, ..." : k.key;
    p.flag({k.flag, k.value_name, "[" + k.section + "] " + key + ": " + k.help, k.repeatable});
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

}  // namespace

awsdl::CancellationToken interrupt_token() { return awsdl_cli::install_interrupt_handler(); }

void progress(const std::string& line) {
  std::lock_guard<std::mutex> lock(print_mutex());
  std::fprintf(stderr, "awsdl-vm: %s\n", line.c_str());
  std::fflush(stderr);
}

int prepare(const CommandInfo& info, const std::vector<std::string>& argv, Context& ctx) {
  // Every step can be interrupted: the first Ctrl-C stops it (so that `all` can still
  // terminate what it launched), a second one ends the program.
  interrupt_token();
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
  ctx.poll = *poll;
  ctx.wait_timeout = *wait;
  ctx.grace = *grace;
  ctx.yes = args.has("yes");
  ctx.detach = args.has("detach");
  if (info.yes_flag && !ctx.yes && !::isatty(0))
    return awsdl_cli::report(awsdl::Error::invalid_argument(
        "ConfirmationNeeded",
        ctx.prog + " terminates instances: pass --yes (standard input is not a terminal to ask on)"));

  std::vector<KeyOverride> overrides;
  for (const auto& k : vm_keys())
    if (args.has(k.flag)) overrides.push_back({&k, args.all(k.flag)});
  auto vm = load_vm_config(args.get_or("config", ""), overrides, info.needs);
  if (!vm) {
    std::fprintf(stderr, "error: %s\n", vm.error().message.c_str());
    return awsdl_cli::kExitUsage;
  }
  ctx.vm = std::move(*vm);

  awsdl::Config::Overrides o;
  o.region = ctx.vm.region;  // --region already replaced it (it is one of the keys)
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
  ctx.aws = std::move(*cfg);
  ctx.ec2 = std::make_shared<awsdl::ec2::Ec2Client>(ctx.aws);
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

awsdl::Result<std::vector<awsdl::ec2::Instance>> tagged_instances(const Context& ctx, bool include_terminated) {
  awsdl::ec2::DescribeInstancesRequest req;
  req.filters.push_back({std::string("tag:") + kDeploymentTag, {ctx.vm.name}});
  if (!include_terminated)
    req.filters.push_back({"instance-state-name", {"pending", "running", "shutting-down", "stopping", "stopped"}});
  AWSDL_ASSIGN_OR_RETURN(auto found, ctx.ec2->list_instances(req));
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.instance_id < b.instance_id; });
  return found;
}

std::string ssh_address(const Context& ctx, const awsdl::ec2::Instance& i) {
  if (ctx.vm.address == "private") return i.private_ip;
  if (ctx.vm.address == "public") return i.public_ip;
  return i.public_ip.empty() ? i.private_ip : i.public_ip;
}

std::optional<awsdl::ssh::RemoteJob> recorded_job(const awsdl::ec2::Instance& i, const std::string& address) {
  std::string tag = i.tag(kJobTag);
  auto space = tag.find(' ');
  if (space == std::string::npos) return std::nullopt;
  awsdl::ssh::RemoteJob job;
  job.host = address;
  job.id = tag.substr(space + 1);
  try {
    job.pgid = std::stoi(tag.substr(0, space));
  } catch (const std::exception&) {
    return std::nullopt;
  }
  return job;
}

std::string describe_host(const awsdl::ec2::Instance& i, const std::string& address) {
  return i.instance_id + " (" + (address.empty() ? "no address" : address) + ")";
}

awsdl::ssh::FanOutOptions fanout_options(const Context& ctx) {
  awsdl::ssh::FanOutOptions fo;
  auto& so = fo.session;
  so.user = ctx.vm.user;
  if (!ctx.vm.key_path.empty()) so.identity_files = {ctx.vm.key_path};
  // With a key named, the agent's keys would only use up the server's MaxAuthTries first.
  so.use_agent = ctx.vm.key_path.empty();
  so.known_hosts = ctx.vm.known_hosts;
  // New instances have new host keys: recorded on first contact, refused if they change.
  so.host_key_policy = awsdl::ssh::HostKeyPolicy::kAcceptNew;
  so.connect_timeout = std::chrono::seconds(ctx.vm.connect_timeout);
  return fo;
}

awsdl::Status wait_for_ssh(const Context& ctx, awsdl::ssh::FanOut& fan, const std::vector<std::string>& labels) {
  // libssh records new host keys but does not make the directory of the known_hosts file.
  auto slash = ctx.vm.known_hosts.rfind('/');
  if (slash != std::string::npos && slash > 0) {
    std::string dir = ctx.vm.known_hosts.substr(0, slash);
    for (std::size_t i = 1; i <= dir.size(); ++i)
      if (i == dir.size() || dir[i] == '/') ::mkdir(dir.substr(0, i).c_str(), 0700);
  }
  // The toolkit's poll on the Config's runtime: 1 s, doubling up to 10 s, until every host
  // answers, one refuses in a way booting does not explain, or the boot timeout passes.
  std::string list;  // the hosts still waited for, as of the last poll
  awsdl::PollOptions po;
  po.delay = awsdl::Backoff::polling(awsdl::Millis(1000), awsdl::Millis(10000), 2.0);
  po.deadline = awsdl::Deadline::after(std::chrono::seconds(ctx.vm.boot_timeout), *ctx.aws.runtime.clock);
  po.cancel = interrupt_token();
  po.what = "waiting for SSH";
  po.on_progress = [&](const awsdl::WaitProgress& p) {
    if (p.next_delay.count() > 0)
      progress("waiting for SSH on " + list + " (" + p.state + "), attempt " + std::to_string(p.attempt));
  };
  po.timeout_error = [&](const std::string& last_reason) {
    return awsdl::Error::make(awsdl::ErrorKind::kTimeout, "SshNotReady",
                              "no SSH on " + list + " within the boot timeout (" +
                                  std::to_string(ctx.vm.boot_timeout) + " s; " + last_reason +
                                  "); check that the security group lets SSH in from here, and [ssh] address");
  };
  po.cancelled_error = [&] {
    return awsdl::Error::make(awsdl::ErrorKind::kCancelled, "Interrupted",
                              "interrupted while waiting for SSH" + (list.empty() ? std::string() : " on " + list));
  };
  return awsdl::poll_until(ctx.aws.runtime, po, [&](int) -> awsdl::Result<awsdl::PollState> {
    auto result = fan.connect();
    std::vector<std::string> waiting;
    std::string last_reason;
    for (std::size_t i = 0; i < result.hosts.size(); ++i) {
      const auto& h = result.hosts[i];
      if (!h.error) continue;
      const std::string& who = i < labels.size() ? labels[i] : h.host;
      bool booting = h.error->kind == awsdl::ErrorKind::kNetwork || h.error->kind == awsdl::ErrorKind::kTimeout;
      if (!booting) {
        awsdl::Error e = *h.error;
        e.message = who + ": " + e.message;
        return e;
      }
      waiting.push_back(who);
      last_reason = h.error->code.empty() ? h.error->message : h.error->code;
    }
    if (waiting.empty()) return awsdl::PollState::done();
    list.clear();
    for (const auto& w : waiting) list += (list.empty() ? "" : ", ") + w;
    return awsdl::PollState::pending(last_reason);
  });
}

awsdl::Result<Fleet> reach_fleet(const Context& ctx) {
  AWSDL_ASSIGN_OR_RETURN(auto found, tagged_instances(ctx, false));
  Fleet fleet;
  std::string others;
  for (auto& i : found) {
    if (i.state == "running")
      fleet.instances.push_back(std::move(i));
    else
      others += (others.empty() ? "" : ", ") + i.instance_id + " (" + i.state + ")";
  }
  if (fleet.instances.empty())
    return awsdl::Error::make(awsdl::ErrorKind::kNotFound, "NoRunningInstances",
                              "no running instance carries " + std::string(kDeploymentTag) + "=" + ctx.vm.name +
                                  (others.empty() ? "" : " (" + others + ")") + ": launch them first");
  if (!others.empty()) progress("not running, left out: " + others);
  for (const auto& i : fleet.instances) {
    std::string a = ssh_address(ctx, i);
    if (a.empty())
      return awsdl::Error::invalid_argument(
          "NoAddress", i.instance_id + " has no " + (ctx.vm.address == "auto" ? std::string() : ctx.vm.address + " ") +
                           "address to SSH to (see [ssh] address)");
    fleet.addresses.push_back(a);
    fleet.labels.push_back(describe_host(i, a));
  }
  fleet.fan = std::make_unique<awsdl::ssh::FanOut>(fleet.addresses, fanout_options(ctx));
  if (auto st = wait_for_ssh(ctx, *fleet.fan, fleet.labels); !st) return st.error();
  return fleet;
}

std::map<std::string, std::string> remote_env(const Context& ctx, const std::vector<awsdl::ec2::Instance>& all,
                                              std::size_t index) {
  std::string hosts;
  for (const auto& i : all) hosts += (hosts.empty() ? "" : " ") + i.private_ip;
  return {{"AWSDL_VM_NAME", ctx.vm.name},
          {"AWSDL_VM_INDEX", std::to_string(index)},
          {"AWSDL_VM_COUNT", std::to_string(all.size())},
          {"AWSDL_VM_INSTANCE_ID", all[index].instance_id},
          {"AWSDL_VM_HOSTS", hosts}};
}

awsdl::WaitOptions wait_options(const Context& ctx, const std::string& what, const awsdl::CancellationToken& cancel) {
  awsdl::WaitOptions w;
  w.delay = ctx.poll;
  w.max_delay = std::max(ctx.poll * 4, std::min<awsdl::Millis>(awsdl::Millis(15000), ctx.poll * 8));
  w.max_attempts = 100000;  // the deadline is what bounds the wait
  w.deadline = awsdl::Deadline::after(ctx.wait_timeout, *ctx.aws.runtime.clock);
  w.cancel = cancel;
  w.on_progress = [what](const awsdl::WaitProgress& p) {
    progress("waiting for " + what + ": " + p.state + " (poll " + std::to_string(p.attempt) + ")");
  };
  return w;
}

std::string command_line(const Context& ctx, const std::string& subcommand) {
  std::string s = "awsdl-vm " + subcommand;
  s += ctx.vm.source.empty() ? " --name " + ctx.vm.name : " --config " + ctx.vm.source;
  if (!ctx.aws.region.empty() && ctx.vm.region.empty()) s += " --region " + ctx.aws.region;
  return s;
}

int fail(const std::string& context, const awsdl::Error& error, const std::string& next_step) {
  awsdl_cli::report(error, context);
  if (!next_step.empty()) {
    std::fprintf(stderr, "next: %s\n", next_step.c_str());
    std::fflush(stderr);
  }
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
  auto job = recorded_job(i, "");
  std::string out = "{\"instance_id\":" + jstr(i.instance_id) + ",\"state\":" + jstr(i.state) +
                    ",\"instance_type\":" + jstr(i.instance_type) + ",\"image_id\":" + jstr(i.image_id) +
                    ",\"address\":" + jstr(ssh_address(ctx, i)) + ",\"public_ip\":" + jstr(i.public_ip) +
                    ",\"private_ip\":" + jstr(i.private_ip) + ",\"launch_time\":" + jstr(i.launch_time) + ",\"run\":";
  if (!job)
    out += "null";
  else
    out += "{\"pgid\":" + std::to_string(job->pgid) + ",\"job_id\":" + jstr(job->id) + "}";
  return out + "}";
}

HostLines::HostLines(std::string host, bool echo, bool keep) : host_(std::move(host)), echo_(echo), keep_(keep) {}

void HostLines::emit(awsdl::ssh::Stream stream, const std::string& line) {
  if (keep_) kept_ += line + "\n";
  if (!echo_) return;
  std::lock_guard<std::mutex> lock(print_mutex());
  std::FILE* f = stream == awsdl::ssh::Stream::kStderr ? stderr : stdout;
  std::fprintf(f, "%s: %s\n", host_.c_str(), line.c_str());
  std::fflush(f);
}

void HostLines::feed(awsdl::ssh::Stream stream, std::string_view chunk) {
  std::string& buf = stream == awsdl::ssh::Stream::kStderr ? err_ : out_;
  buf.append(chunk.data(), chunk.size());
  std::size_t nl;
  while ((nl = buf.find('\n')) != std::string::npos) {
    emit(stream, buf.substr(0, nl));
    buf.erase(0, nl + 1);
  }
}

void HostLines::flush() {
  if (!out_.empty()) emit(awsdl::ssh::Stream::kStdout, out_);
  if (!err_.empty()) emit(awsdl::ssh::Stream::kStderr, err_);
  out_.clear();
  err_.clear();
}

void HostLines::note(const std::string& line) { emit(awsdl::ssh::Stream::kStdout, line); }

}  // namespace awsdl_vm
