// awsdl-cluster ssh: a shell (or one command) on the master, or on a worker through the master,
// with the cluster's user, key and known_hosts: the ssh command line people would otherwise
// put together from the `create` output. OpenSSH's ssh(1) runs it (this program becomes it),
// so that the terminal, the escape characters and the agent behave as they always do.
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <awsdl/cluster/lifecycle.hpp>
#include <awsdl/ssh/quote.hpp>
#include <awsdl/ssh/target.hpp>

#include "cli.hpp"
#include "cluster_cli.hpp"
#include "command.hpp"

namespace {

using namespace awsdl_cluster;

awsdl_cli::Parser parser() {
  awsdl_cli::Parser p("awsdl-cluster ssh", "open a shell on the master or a worker, or run one command there");
  p.usage("awsdl-cluster ssh --name NAME | --config FILE [WORKER] [-- COMMAND [ARGS...]]");
  add_cluster_flags(p);
  p.flag({"print", "", "print the ssh command line instead of running it"});
  p.example("awsdl-cluster ssh --name maskrcnn");
  p.example("awsdl-cluster ssh --name maskrcnn 2                      # the second worker, through the master");
  p.example("awsdl-cluster ssh --name maskrcnn deeplearning-worker1 -- nvidia-smi -L");
  p.example("awsdl-cluster ssh --config cluster.ini -- df -h /mnt/efs");
  p.note("WORKER is a worker's number (1 is the first, as in the workers file), its name there\n"
         "(deeplearning-worker1), its address or its instance id; without it, the master.\n"
         "It runs OpenSSH's ssh with the cluster's user, key ([ssh] key_path, --key-path) and\n"
         "known_hosts (in the state directory, new hosts accepted, changed keys refused). With a\n"
         "command, the exit status is the command's (255: ssh could not connect).\n");
  return p;
}

// For ssh's ProxyCommand, which ssh expands ('%h') and then runs with /bin/sh -c.
std::string proxy_word(const std::string& arg) {
  std::string quoted = awsdl::ssh::shell_quote(arg), out;
  for (char c : quoted) out += c == '%' ? std::string("%%") : std::string(1, c);
  return out;
}

// The worker WORKER names, as "user@address".
awsdl::Result<std::string> worker_host(const awsdl::cluster::ClusterInfo& info, const std::string& user,
                                       const std::string& which) {
  std::vector<awsdl::cluster::Node> workers;
  for (const auto& n : info.nodes)
    if (n.role == awsdl::cluster::NodeRole::kWorker && n.state == "running") workers.push_back(n);
  std::string number = which;
  if (number.rfind("deeplearning-worker", 0) == 0) number = number.substr(std::strlen("deeplearning-worker"));
  const bool digits = !number.empty() && number.size() < 6 &&
                      number.find_first_not_of("0123456789") == std::string::npos;
  for (std::size_t i = 0; i < workers.size(); ++i) {
    const auto& w = workers[i];
    if ((digits && std::stoul(number) == i + 1) || which == w.private_ip || which == w.public_ip ||
        which == w.instance_id)
      return user + "@" + (w.private_ip.empty() ? w.public_ip : w.private_ip);
  }
  std::string known;
  for (std::size_t i = 0; i < workers.size(); ++i)
    known += (known.empty() ? "" : ", ") + std::to_string(i + 1) + " (" + workers[i].private_ip + ")";
  return awsdl::Error::invalid_argument(
      "NoSuchWorker", "cluster " + info.name + " has no running worker '" + which + "'" +
                          (known.empty() ? " (it has no running worker)" : "; its workers: " + known));
}

int run(const std::vector<std::string>& argv) {
  auto opening = awsdl_cli::open_command(parser(), argv);
  if (opening.exit) return *opening.exit;
  const awsdl_cli::Args& args = opening.args;
  if (args.positionals().size() > 1)
    return awsdl_cli::report(awsdl::Error::invalid_argument(
        "UnexpectedArgument", "unexpected '" + args.positionals()[1] + "': one WORKER at most; put a command after --"));
  auto target = target_from(args, false);
  if (!target) return awsdl_cli::report(target.error());
  auto cfg = awsdl_cli::config_from(args);
  if (!cfg) return awsdl_cli::report(cfg.error());
  auto c = awsdl::cluster::Clusters(*cfg).describe(target->spec.name);
  if (!c) return awsdl_cli::report(c.error());
  auto access = node_access(*target, *c);
  if (!access) return awsdl_cli::report(access.error());
  const auto& so = access->options.session;

  // Options for every hop: the cluster's key alone (not whatever the agent holds), its own
  // known_hosts, accept-new as `exec` and `health` use, the same connect timeout.
  std::vector<std::string> common;
  for (const auto& key : so.identity_files) {
    common.insert(common.end(), {"-i", key});
  }
  if (!so.identity_files.empty()) common.insert(common.end(), {"-o", "IdentitiesOnly=yes"});
  common.insert(common.end(), {"-o", "UserKnownHostsFile=" + so.known_hosts, "-o", "StrictHostKeyChecking=accept-new",
                               "-o", "ConnectTimeout=" + std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                                                            so.connect_timeout).count())});
  std::vector<std::string> ssh{"ssh"};
  ssh.insert(ssh.end(), common.begin(), common.end());
  std::string destination = so.jump;  // the master, at the address reachable from here
  if (!args.positionals().empty()) {
    auto worker = worker_host(*c, target->spec.ssh.user, args.positionals()[0]);
    if (!worker) return awsdl_cli::report(worker.error());
    destination = *worker;
    // Through the master, as ssh -J does, but with this key and known_hosts for that hop too
    // (options on ssh's command line do not reach a -J hop).
    std::string proxy = "ssh";
    for (const auto& a : common) proxy += " " + proxy_word(a);
    proxy += " -W %h:%p -- " + proxy_word(so.jump);
    ssh.insert(ssh.end(), {"-o", "ProxyCommand=" + proxy});
  }
  // Checked as exec checks its hosts: nothing that is not a host reaches ssh's command line.
  if (auto t = awsdl::ssh::parse_target(destination); !t) return awsdl_cli::report(t.error());
  if (auto t = awsdl::ssh::parse_target(so.jump); !t) return awsdl_cli::report(t.error());
  ssh.push_back("--");
  ssh.push_back(destination);
  // As ssh does, the words after -- are joined with spaces for the remote shell.
  for (const auto& w : args.rest()) ssh.push_back(w);

  if (args.has("print")) {
    std::printf("%s\n", awsdl::ssh::shell_join(ssh).c_str());
    return std::fflush(stdout) == 0 ? awsdl_cli::kExitOk : awsdl_cli::kExitFailed;
  }
  std::fflush(stdout);
  std::fflush(stderr);
  std::vector<char*> cargv;
  for (auto& a : ssh) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  ::execvp("ssh", cargv.data());
  const int e = errno;
  return awsdl_cli::report(awsdl::Error::make(
      awsdl::ErrorKind::kNotFound, "SshNotFound",
      std::string("cannot run ssh (") + std::strerror(e) +
          "): install the OpenSSH client (Debian: openssh-client), or run `awsdl-cluster ssh --print ...` "
          "for the command line to use with another client"));
}

const awsdl_cli::RegisterCommand kRegister({"ssh", "a shell or one command on the master or a worker", run});

}  // namespace
