// awsdl-cluster hostfile: print a hostfile for Open MPI, MPICH or Horovod.
#include <cstdio>

#include <awsdl/core/text_file.hpp>
#include <awsdl/mpi/hostfile.hpp>

#include <awsdl/cluster/lifecycle.hpp>

#include "cli.hpp"
#include "cluster_cli.hpp"
#include "command.hpp"

namespace {

awsdl_cli::Parser parser() {
  awsdl_cli::Parser p("awsdl-cluster hostfile", "print an MPI hostfile");
  p.usage("awsdl-cluster hostfile --hosts H1,H2,...|@FILE [--slots N] [--format openmpi|mpich|horovod|plain]")
      .flag({"hosts", "LIST|@FILE", "hosts separated by commas, or @FILE (a host per line; 'host slots=N' and 'host:N' keep their own count)", true})
      .flag({"slots", "N", "slots (processes, usually GPUs) per host that names none (default 1)"})
      .flag({"format", "FORMAT", "openmpi ('host slots=N', default), mpich ('host:N'), horovod ('h1:N,h2:N' for -H), plain"})
      .usage("awsdl-cluster hostfile --name NAME | --config FILE [--format ...]   # a cluster's running nodes")
      .example("awsdl-cluster hostfile --name maskrcnn --format horovod")
      .example("awsdl-cluster hostfile --hosts 10.0.1.5,10.0.1.6 --slots 8 > hostfile")
      .example("horovodrun -np 16 -H $(awsdl-cluster hostfile --hosts @workers --slots 8 --format horovod) python train.py");
  awsdl_cluster::add_cluster_flags(p);
  return p;
}

int run(const std::vector<std::string>& argv) {
  auto opening = awsdl_cli::open_command(parser(), argv);
  if (opening.exit) return *opening.exit;
  const awsdl_cli::Args& args = opening.args;
  if (!args.positionals().empty() || !args.rest().empty())
    return awsdl_cli::report(awsdl::Error::invalid_argument("UnexpectedArgument", "hostfile takes flags only"));
  bool cluster = args.has("name") || args.has("config");
  if (cluster == args.has("hosts"))
    return awsdl_cli::report(awsdl::Error::invalid_argument("NoHosts", "give either --hosts or a cluster (--name or --config)"));
  auto format = awsdl::mpi::parse_format(args.get_or("format", "openmpi"));
  if (!format) return awsdl_cli::report(format.error());
  auto parsed_slots = awsdl_cli::whole_flag(args, "slots", 1, 1, 1000000);
  if (!parsed_slots) return awsdl_cli::report(parsed_slots.error());
  const int slots = static_cast<int>(*parsed_slots);
  std::vector<awsdl::mpi::Host> hosts;
  if (cluster) {
    auto target = awsdl_cluster::target_from(args, false);
    if (!target) return awsdl_cli::report(target.error());
    auto cfg = awsdl_cli::config_from(args);
    if (!cfg) return awsdl_cli::report(cfg.error());
    auto c = awsdl::cluster::Clusters(*cfg).describe(target->spec.name);
    if (!c) return awsdl_cli::report(c.error());
    for (const auto& n : c->nodes)
      if (n.state == "running")
        hosts.push_back({n.private_ip.empty() ? n.public_ip : n.private_ip,
                         args.has("slots") ? slots : awsdl_cluster::slots_for(*target, n)});
    if (hosts.empty()) return awsdl_cli::report(awsdl::Error::make(awsdl::ErrorKind::kNotFound, "NoNodes", "cluster " + c->name + " has no running node"));
  }
  for (const auto& v : args.all("hosts")) {
    std::string text = v;
    if (!v.empty() && v[0] == '@') {
      // Bounded: @/dev/zero or @DIR is an error, not an endless read.
      auto file = awsdl::read_config_file(v.substr(1));
      if (!file) return awsdl_cli::report(file.error(), v);
      text = std::move(*file);
    }
    auto parsed = awsdl::mpi::parse_hosts(text, slots);
    if (!parsed) return awsdl_cli::report(parsed.error(), v);
    hosts.insert(hosts.end(), parsed->begin(), parsed->end());
  }
  auto out = awsdl::mpi::hostfile(hosts, *format);
  if (!out) return awsdl_cli::report(out.error());
  if (*format == awsdl::mpi::Format::kHorovod) *out += "\n";
  std::fputs(out->c_str(), stdout);
  return awsdl_cli::kExitOk;
}

const awsdl_cli::RegisterCommand kRegister({"hostfile", "print an MPI hostfile (Open MPI, MPICH, Horovod)", run});

}  // namespace
