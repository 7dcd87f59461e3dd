// install: the setup commands on every running instance at once, in order on each; a host
// stops at its first failing command, the others go on.
#include <chrono>
#include <memory>

#include "vm/vm_internal.hpp"

namespace awsdl::vm {

using internal::vm::emit;

Result<SetupReport> Deployment::install(const StepOptions& o) {
  const VmSpec& vm = impl_->s.spec;
  AWSDL_TRY(validate(vm, needs_of_install()));
  AWSDL_ASSIGN_OR_RETURN(auto fleet, internal::vm::reach_fleet(impl_->s, o));
  const auto& cmds = vm.setup_commands;
  const std::size_t n = fleet.hosts.size();
  emit(o, "install-deps: " + std::to_string(cmds.size()) + " command(s) on " + std::to_string(n) + " host(s)");
  SetupReport report;
  report.commands = cmds;
  report.hosts.resize(n);
  std::vector<std::unique_ptr<internal::vm::HostLines>> lines;
  for (std::size_t i = 0; i < n; ++i) {
    report.hosts[i].host = fleet.hosts[i];
    lines.push_back(std::make_unique<internal::vm::HostLines>(o, i, fleet.addresses[i]));
  }

  auto statuses = fleet.fan->for_each([&](ssh::Session& session, std::size_t i) -> Status {
    auto& r = report.hosts[i];
    auto& hl = *lines[i];
    auto& clock = *impl_->s.config.runtime.clock;
    const auto started = clock.steady_now();
    ssh::ExecOptions eo;
    eo.env = internal::vm::remote_env(vm, fleet.hosts, i);
    eo.timeout = std::chrono::seconds(vm.setup_timeout);
    eo.cancel = o.cancel;
    eo.capture = false;
    eo.on_output = [&hl](ssh::Stream s, std::string_view chunk) { hl.feed(s, chunk); };
    for (std::size_t k = 0; k < cmds.size() && r.ok(); ++k) {
      hl.command(cmds[k]);
      auto res = session.exec(cmds[k], eo);
      hl.flush();
      if (!res) {
        r.failed_command = static_cast<int>(k + 1);
        r.error = res.error();
      } else if (!res->ok()) {
        r.failed_command = static_cast<int>(k + 1);
        r.exit_status = res->exit_status;
        r.exit_signal = res->exit_signal;
      } else {
        ++r.commands_done;
      }
    }
    r.seconds = std::chrono::duration<double>(clock.steady_now() - started).count();
    return {};
  });
  for (std::size_t i = 0; i < n; ++i) {
    if (!statuses[i]) report.hosts[i].error = statuses[i].error();
    report.hosts[i].output = lines[i]->kept();
  }
  return report;
}

}  // namespace awsdl::vm
