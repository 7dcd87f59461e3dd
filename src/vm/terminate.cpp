// terminate: stop what run started (by the process group recorded on each instance), then
// terminate every instance carrying the deployment's tag and wait until they are gone.
#include <unistd.h>

#include "vm/vm_internal.hpp"

namespace awsdl::vm {

namespace {

using internal::vm::emit;

// Stops the recorded runs; failures only warn: terminating the instance ends the run anyway.
std::vector<StoppedRun> stop_runs(const VmSpec& vm, const StepOptions& o, const std::vector<ec2::Instance>& instances) {
  std::vector<ssh::RemoteJob> jobs;
  std::vector<std::string> hosts;
  std::vector<StoppedRun> out;
  for (const auto& i : instances) {
    std::string address = ssh_address(vm, i);
    auto job = recorded_job(i, address);
    if (i.state != "running" || !job || address.empty()) continue;
    jobs.push_back(*job);
    hosts.push_back(address);
    out.push_back({i.instance_id, internal::vm::describe_host(i, address), 0, false, std::nullopt});
  }
  if (jobs.empty()) return out;
  emit(o, "stopping the run on " + std::to_string(jobs.size()) + " host(s)");
  ssh::FanOut fan(hosts, internal::vm::fanout_options(vm));
  auto results = fan.stop(jobs, o.grace);
  for (std::size_t k = 0; k < jobs.size(); ++k) {
    auto& s = out[k];
    const auto& r = results[k];
    if (r) {
      s.processes = r->processes;
      s.killed = r->killed;
      if (r->processes == 0)
        emit(o, "the run on " + s.label + " had already ended");
      else
        emit(o, "stopped the run on " + s.label + ": " + std::to_string(r->processes) + " process(es)" +
                    (r->killed ? ", some only by SIGKILL" : ""));
    } else {
      s.error = r.error();
      emit(o, "could not stop the run on " + s.label + " (" + r.error().to_string() + "); terminating the instance ends it",
           VmEventKind::kWarning);
    }
  }
  return out;
}

}  // namespace

Result<TerminateReport> Deployment::terminate(const StepOptions& o) {
  const VmSpec& vm = impl_->s.spec;
  AWSDL_TRY(validate(vm, needs_of_terminate()));
  TerminateReport report;
  AWSDL_ASSIGN_OR_RETURN(auto found, internal::vm::tagged_instances(impl_->s, false));
  // The host keys belong to instances that are going away; a later instance reusing an
  // address must not be refused for a changed key.
  auto forget_host_keys = [&] {
    if (vm.known_hosts.empty()) ::unlink(known_hosts_path(vm).c_str());
  };
  if (found.empty()) {
    forget_host_keys();
    return report;
  }
  if (o.confirm && !o.confirm(found))
    return Error::make(ErrorKind::kCancelled, "NotConfirmed", "not terminated: the termination was not confirmed");
  std::vector<std::string> ids;
  std::string id_list;
  for (const auto& i : found) {
    ids.push_back(i.instance_id);
    id_list += (id_list.empty() ? "" : " ") + i.instance_id;
  }
  report.runs_stopped = stop_runs(vm, o, found);

  emit(o, "terminating " + id_list);
  auto changes = impl_->s.ec2.terminate_instances(ids);
  if (!changes) {
    Error e = std::move(changes).error();
    e.message = "TerminateInstances: " + e.message + " (safe to repeat)";
    return internal::vm::suggest(std::move(e), next_step::kTerminate, vm.name);
  }
  // Not cancellable: a caller that terminates after an interrupted step must finish this.
  auto gone = impl_->s.ec2.wait_until_terminated(ids, internal::vm::wait_options(impl_->s, o, "terminated", CancellationToken{}));
  if (!gone) {
    Error e = std::move(gone).error();
    e.message = "waiting for the instances to terminate: " + e.message;
    return internal::vm::suggest(std::move(e), next_step::kStatus, vm.name);
  }
  forget_host_keys();
  report.terminated = ids;
  return report;
}

}  // namespace awsdl::vm
