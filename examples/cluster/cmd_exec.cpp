// awsdl-cluster exec: run a command on many hosts over SSH, as pdsh does.
#include <cstdio>
#include <mutex>

#include <awsdl/core/text_file.hpp>
#include <awsdl/ssh/fanout.hpp>
#include <awsdl/ssh/fold.hpp>
#include <awsdl/ssh/target.hpp>

#include <awsdl/cluster/lifecycle.hpp>

#include "cli.hpp"
#include "cluster_cli.hpp"
#include "command.hpp"

namespace {

awsdl_cli::Parser parser() {
  awsdl_cli::Parser p("awsdl-cluster exec", "run a command on every host over SSH");
  p.usage("awsdl-cluster exec --hosts H1,H2,...|@FILE [FLAGS...] -- COMMAND [ARGS...]")
      .usage("awsdl-cluster exec --name NAME | --config FILE [FLAGS...] -- COMMAND [ARGS...]")
      .flag({"config", "FILE", "a cluster's INI file: run on its nodes, through its master"})
      .flag({"name", "NAME", "a cluster's name: run on its nodes, through its master"})
      .flag({"key-path", "KEY", "with --name: the private key for the cluster's key pair"})
      .flag({"state-dir", "DIR", "with --name/--config: the cluster's local files (default ~/.awsdl/NAME)"})
      .flag({"hosts", "LIST|@FILE", "hosts ([user@]host[:port]) separated by commas, or @FILE with one per line", true})
      .flag({"user", "USER", "remote user for hosts that name none (default: $USER)"})
      .flag({"identity", "KEY", "private key file to offer (default: the agent, then ~/.ssh/id_*)", true})
      .flag({"no-agent", "", "do not offer the keys of the agent at SSH_AUTH_SOCK"})
      .flag({"forward-agent", "", "let the remote command use the local agent"})
      .flag({"jump", "HOST", "reach every host through this jump host ([user@]host[:port]), as ProxyJump"})
      .flag({"fanout", "N", "hosts worked on at once (default 64)"})
      .flag({"known-hosts", "FILE", "known_hosts file (default ~/.ssh/known_hosts)"})
      .flag({"host-key-policy", "POLICY", "accept-new (default), strict, or insecure-accept-any"})
      .flag({"connect-timeout", "SECONDS", "per host: connect, handshake and authentication (default 10)"})
      .flag({"timeout", "SECONDS", "per host: the command (default: none)"})
      .flag({"fold", "", "gather the output and print identical outputs once, with their hosts (dshbak -c)"})
      .flag({"fail-fast", "", "stop at the first host that fails"})
      .example("awsdl-cluster exec --hosts 10.0.1.5,10.0.1.6 --user ubuntu -- nvidia-smi -L")
      .example("awsdl-cluster exec --hosts @workers --jump ubuntu@203.0.113.10 --fold -- 'df -h /mnt/efs'")
      .example("awsdl-cluster exec --hosts @workers --timeout 30 -- uptime")
      .example("awsdl-cluster exec --name maskrcnn --fold -- nvidia-smi -L");
  p.aws_flags();
  return p;
}

awsdl::Result<std::vector<std::string>> read_hosts(const std::vector<std::string>& values) {
  std::vector<std::string> hosts;
  for (const auto& v : values) {
    std::string text = v;
    if (!v.empty() && v[0] == '@') {
      // Bounded: a host list is a few KB; @/dev/zero or @DIR is an error, not an endless read.
      auto file = awsdl::read_config_file(v.substr(1));
      if (!file) {
        awsdl::Error e = std::move(file).error();
        e.message = "--hosts " + v + ": " + e.message;
        return e;
      }
      text = std::move(*file);
    }
    for (auto& h : awsdl::ssh::parse_host_list(text)) hosts.push_back(std::move(h));
  }
  if (hosts.empty()) return awsdl::Error::invalid_argument("NoHosts", "--hosts named no host");
  return hosts;
}

int run(const std::vector<std::string>& argv) {
  auto opening = awsdl_cli::open_command(parser(), argv);
  if (opening.exit) return *opening.exit;
  const awsdl_cli::Args& args = opening.args;
  if (!args.positionals().empty())
    return awsdl_cli::report(awsdl::Error::invalid_argument(
        "UnexpectedArgument", "unexpected '" + args.positionals()[0] + "': put the command after --"));
  if (args.rest().empty())
    return awsdl_cli::report(awsdl::Error::invalid_argument("NoCommand", "no command: put it after --"));
  bool cluster = args.has("name") || args.has("config");
  if (cluster == args.has("hosts"))
    return awsdl_cli::report(awsdl::Error::invalid_argument("NoHosts", "give either --hosts or a cluster (--name or --config)"));
  awsdl::ssh::FanOutOptions fo;
  auto& so = fo.session;
  awsdl::Result<std::vector<std::string>> hosts = std::vector<std::string>{};
  if (cluster) {
    // The cluster's nodes, the master first, every one reached through the master.
    auto target = awsdl_cluster::target_from(args, false);
    if (!target) return awsdl_cli::report(target.error());
    auto cfg = awsdl_cli::config_from(args);
    if (!cfg) return awsdl_cli::report(cfg.error());
    auto c = awsdl::cluster::Clusters(*cfg).describe(target->spec.name);
    if (!c) return awsdl_cli::report(c.error());
    auto access = awsdl_cluster::node_access(*target, *c);
    if (!access) return awsdl_cli::report(access.error());
    hosts = access->hosts;
    fo = access->options;
  } else {
    hosts = read_hosts(args.all("hosts"));
    if (!hosts) return awsdl_cli::report(hosts.error());
    so.user = args.get_or("user", "");
    so.use_agent = !args.has("no-agent");
    so.jump = args.get_or("jump", "");
    so.known_hosts = args.get_or("known-hosts", "");
  }
  if (args.has("identity")) so.identity_files = args.all("identity");
  if (args.has("no-agent")) so.use_agent = false;
  so.forward_agent = args.has("forward-agent");
  if (args.has("jump")) so.jump = *args.get("jump");
  if (args.has("known-hosts")) so.known_hosts = *args.get("known-hosts");
  // Every host (and the jump host and user) is checked before any connection is made: one
  // that is not a host is a usage error (exit 2), not a failure of that host (exit 1).
  for (const auto& h : *hosts)
    if (auto t = awsdl::ssh::parse_target(h); !t) return awsdl_cli::report(t.error(), "--hosts");
  if (!so.jump.empty())
    if (auto t = awsdl::ssh::parse_target(so.jump); !t) return awsdl_cli::report(t.error(), "--jump");
  if (!so.user.empty())
    if (auto u = awsdl::ssh::check_user(so.user); !u) return awsdl_cli::report(u.error(), "--user");
  std::string policy = args.get_or("host-key-policy", "accept-new");
  if (policy == "accept-new") so.host_key_policy = awsdl::ssh::HostKeyPolicy::kAcceptNew;
  else if (policy == "strict") so.host_key_policy = awsdl::ssh::HostKeyPolicy::kStrict;
  else if (policy == "insecure-accept-any") so.host_key_policy = awsdl::ssh::HostKeyPolicy::kInsecureAcceptAny;
  else
    return awsdl_cli::report(awsdl::Error::invalid_argument(
        "BadFlag", "--host-key-policy must be accept-new, strict or insecure-accept-any, not '" + policy + "'"));
  constexpr long long kMax = 1000000000;
  auto fanout = awsdl_cli::whole_flag(args, "fanout", 64, 1, kMax);
  auto connect_timeout = awsdl_cli::whole_flag(args, "connect-timeout", 10, 1, kMax);
  auto timeout = awsdl_cli::whole_flag(args, "timeout", 0, 1, kMax);
  for (auto* r : {&fanout, &connect_timeout, &timeout})
    if (!*r) return awsdl_cli::report(r->error());
  fo.concurrency = static_cast<std::size_t>(*fanout);
  so.connect_timeout = std::chrono::seconds(*connect_timeout);
  so.command_timeout = std::chrono::seconds(*timeout);
  fo.keep_sessions = false;  // one command, then done

  // As ssh and pdsh do, the words after -- are joined with spaces for the remote shell.
  std::string command;
  for (const auto& w : args.rest()) command += (command.empty() ? "" : " ") + w;

  bool fold = args.has("fold");
  awsdl::ssh::RunOptions ro;
  ro.fail_fast = args.has("fail-fast");
  if (!fold) {
    ro.capture = false;
    ro.on_line = [](const std::string& host, awsdl::ssh::Stream s, std::string_view line) {
      std::FILE* out = s == awsdl::ssh::Stream::kStderr ? stderr : stdout;
      std::fprintf(out, "%s: %.*s\n", host.c_str(), static_cast<int>(line.size()), line.data());
      std::fflush(out);
    };
  }
  awsdl::ssh::FanOut fan(*hosts, fo);
  auto result = fan.run(command, ro);

  std::vector<std::string> failed;
  for (const auto& h : result.hosts) {
    if (h.ok()) continue;
    failed.push_back(h.host);
    if (fold) continue;  // the folded output says it
    if (h.error) std::fprintf(stderr, "%s: awsdl: %s\n", h.host.c_str(), h.error->to_string().c_str());
    else if (!h.exit_signal.empty()) std::fprintf(stderr, "%s: awsdl: killed by signal %s\n", h.host.c_str(), h.exit_signal.c_str());
    else std::fprintf(stderr, "%s: awsdl: exit status %d\n", h.host.c_str(), h.exit_status);
  }
  if (fold) std::fputs(awsdl::ssh::format_folded(awsdl::ssh::fold(result)).c_str(), stdout);
  std::fflush(stdout);
  if (!failed.empty()) {
    std::fprintf(stderr, "awsdl-cluster exec: %zu of %zu hosts failed: %s\n", failed.size(), result.hosts.size(),
                 awsdl::ssh::compress_hosts(failed).c_str());
    return awsdl_cli::kExitFailed;
  }
  return awsdl_cli::kExitOk;
}

const awsdl_cli::RegisterCommand kRegister({"exec", "run a command on many hosts over SSH (pdsh style)", run});

}  // namespace
