#include "awsdl/mpi/launch.hpp"

#include <unistd.h>

#include "awsdl/ssh/quote.hpp"
#include "awsdl/ssh/target.hpp"

namespace awsdl::mpi {

namespace {

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

Status check_hosts(const std::vector<Host>& hosts) {
  for (const auto& h : hosts) {
    if (h.name.empty()) return Error::invalid_argument("InvalidHost", "a host has an empty name");
    AWSDL_TRY(ssh::check_host(h.name));  // mpirun hands it to ssh: never an option or two words
    if (h.slots < 1) return Error::invalid_argument("InvalidSlots", h.name + " has " + std::to_string(h.slots) + " slots");
  }
  return {};
}

}  // namespace

std::vector<std::pair<std::string, std::string>> efa_environment() {
  return {{"FI_PROVIDER", "efa"}, {"FI_EFA_USE_DEVICE_RDMA", "1"}, {"RDMAV_FORK_SAFE", "1"}};
}

Result<std::vector<std::string>> mpirun_command(const MpirunOptions& o, const std::vector<std::string>& program) {
  if (program.empty()) return Error::invalid_argument("NoProgram", "no program to launch");
  AWSDL_TRY(check_hosts(o.hosts));
  int np = o.np > 0 ? o.np : total_slots(o.hosts);
  if (np < 1) return Error::invalid_argument("NoHosts", "mpirun needs hosts (with slots) or an explicit np");
  if (o.hostfile.empty() && o.hosts.empty())
    return Error::invalid_argument("NoHosts", "mpirun needs a hostfile or hosts");
  std::vector<std::string> a{o.mpirun, "-np", std::to_string(np)};
  if (o.allow_run_as_root.value_or(::geteuid() == 0)) a.push_back("--allow-run-as-root");
  if (!o.hostfile.empty()) {
    a.insert(a.end(), {"--hostfile", o.hostfile});
  } else {
    AWSDL_ASSIGN_OR_RETURN(std::string list, hostfile(o.hosts, Format::kHorovod));
    a.insert(a.end(), {"-H", list});
  }
  if (o.horovod) a.insert(a.end(), {"-bind-to", "none", "-map-by", "slot", "-mca", "pml", "ob1", "-mca", "btl", "^openib"});
  if (!o.tcp_include.empty()) {
    std::string list = join(o.tcp_include, ",");
    a.insert(a.end(), {"-mca", "btl_tcp_if_include", list, "-mca", "oob_tcp_if_include", list});
  } else if (!o.tcp_exclude.empty()) {
    std::string list = join(o.tcp_exclude, ",");
    a.insert(a.end(), {"-mca", "btl_tcp_if_exclude", list, "-mca", "oob_tcp_if_exclude", list});
  }
  if (!o.rsh_agent.empty()) a.insert(a.end(), {"-mca", "plm_rsh_agent", o.rsh_agent});
  if (!o.rsh_args.empty()) a.insert(a.end(), {"-mca", "plm_rsh_args", o.rsh_args});
  for (const auto& [k, v] : o.mca) a.insert(a.end(), {"-mca", k, v});
  for (const auto& name : o.export_vars) {
    if (!ssh::valid_env_name(name)) return Error::invalid_argument("InvalidEnvName", "'" + name + "' is not a variable name");
    a.insert(a.end(), {"-x", name});
  }
  for (const auto& [k, v] : o.env) {
    if (!ssh::valid_env_name(k)) return Error::invalid_argument("InvalidEnvName", "'" + k + "' is not a variable name");
    a.insert(a.end(), {"-x", k + "=" + v});
  }
  if (!o.output_filename.empty()) a.insert(a.end(), {"--output-filename", o.output_filename});
  a.insert(a.end(), o.extra_args.begin(), o.extra_args.end());
  a.insert(a.end(), program.begin(), program.end());
  return a;
}

Result<std::vector<std::string>> horovodrun_command(const HorovodrunOptions& o, const std::vector<std::string>& program) {
  if (program.empty()) return Error::invalid_argument("NoProgram", "no program to launch");
  AWSDL_TRY(check_hosts(o.hosts));
  int np = o.np > 0 ? o.np : total_slots(o.hosts);
  if (np < 1) return Error::invalid_argument("NoHosts", "horovodrun needs hosts (with slots) or an explicit np");
  if (o.hostfile.empty() && o.hosts.empty())
    return Error::invalid_argument("NoHosts", "horovodrun needs a hostfile or hosts");
  std::vector<std::string> a{o.horovodrun, "-np", std::to_string(np)};
  if (!o.hostfile.empty()) {
    a.insert(a.end(), {"--hostfile", o.hostfile});
  } else {
    AWSDL_ASSIGN_OR_RETURN(std::string list, hostfile(o.hosts, Format::kHorovod));
    a.insert(a.end(), {"-H", list});
  }
  if (o.ssh_port > 0) a.insert(a.end(), {"-p", std::to_string(o.ssh_port)});
  if (!o.ssh_identity_file.empty()) a.insert(a.end(), {"--ssh-identity-file", o.ssh_identity_file});
  if (!o.network_interface.empty()) a.insert(a.end(), {"--network-interface", o.network_interface});
  if (!o.output_filename.empty()) a.insert(a.end(), {"--output-filename", o.output_filename});
  a.insert(a.end(), o.extra_args.begin(), o.extra_args.end());
  a.insert(a.end(), program.begin(), program.end());
  return a;
}

Result<std::vector<HostScript>> tf_ps_scripts(const std::vector<Host>& hosts, const std::vector<std::string>& program,
                                              const TfPsOptions& o) {
  if (program.empty()) return Error::invalid_argument("NoProgram", "no program to launch");
  if (hosts.empty()) return Error::invalid_argument("NoHosts", "no hosts");
  AWSDL_TRY(check_hosts(hosts));
  for (const auto& [k, v] : o.env)
    if (!ssh::valid_env_name(k)) return Error::invalid_argument("InvalidEnvName", "'" + k + "' is not a variable name");
  std::vector<std::string> ps, workers;
  for (const auto& h : hosts) {
    ps.push_back(h.name + ":" + std::to_string(o.ps_port));
    for (int g = 0; g < h.slots; ++g) workers.push_back(h.name + ":" + std::to_string(o.worker_base_port + g));
  }
  const std::string ps_hosts = join(ps, ","), worker_hosts = join(workers, ",");
  const std::string cmd = ssh::shell_join(program);
  const std::string lists = " --ps_hosts=" + ssh::shell_quote(ps_hosts) + " --worker_hosts=" + ssh::shell_quote(worker_hosts);
  std::vector<HostScript> out;
  int worker_index = 0;
  for (std::size_t i = 0; i < hosts.size(); ++i) {
    const Host& h = hosts[i];
    std::string s = "#!/bin/sh\n# Generated by libawsdl: TensorFlow parameter server and workers on " + h.name + ".\n";
    s += "mkdir -p " + ssh::shell_quote(o.log_dir) + "\n";
    for (const auto& [k, v] : o.env) s += "export " + k + "=" + ssh::shell_quote(v) + "\n";
    // The parameter server needs no GPU.
    s += "CUDA_VISIBLE_DEVICES= " + cmd + " --job_name=ps --task_index=" + std::to_string(i) + lists + " > " +
         ssh::shell_quote(o.log_dir + "/ps" + std::to_string(i) + ".log") + " 2>&1 &\n";
    for (int g = 0; g < h.slots; ++g, ++worker_index) {
      s += "CUDA_VISIBLE_DEVICES=" + std::to_string(g) + " " + cmd + " --job_name=worker --task_index=" +
           std::to_string(worker_index) + lists + " > " +
           ssh::shell_quote(o.log_dir + "/worker" + std::to_string(worker_index) + ".log") + " 2>&1 &\n";
    }
    s += "wait\n";
    out.push_back({h.name, std::move(s)});
  }
  return out;
}

}  // namespace awsdl::mpi
