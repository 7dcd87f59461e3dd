// The deployment handle, and what every operation shares: its tagged instances, their SSH
// addresses, reaching them (waiting for sshd on new instances), progress and output lines.
#include <sys/stat.h>

#include <algorithm>

#include "awsdl/core/retry.hpp"
#include "vm/vm_internal.hpp"

namespace awsdl::vm {


Deployment::Deployment(Config config, VmSpec spec)
    : impl_(std::make_shared<Impl>(std::move(config), std::move(spec))) {}
Deployment::~Deployment() = default;
Deployment::Deployment(const Deployment&) = default;
Deployment& Deployment::operator=(const Deployment&) = default;

const VmSpec& Deployment::spec() const { return impl_->s.spec; }
const Config& Deployment::config() const { return impl_->s.config; }

Result<std::vector<ec2::Instance>> Deployment::instances(bool include_terminated) const {
  AWSDL_TRY(validate(impl_->s.spec));
  return internal::vm::tagged_instances(impl_->s, include_terminated);
}

std::size_t SetupReport::failed() const {
  return static_cast<std::size_t>(std::count_if(hosts.begin(), hosts.end(), [](const auto& h) { return !h.ok(); }));
}

std::size_t RunReport::failed() const {
  if (detached) return 0;
  return static_cast<std::size_t>(std::count_if(hosts.begin(), hosts.end(), [](const auto& h) { return !h.ok(); }));
}

std::string ssh_address(const VmSpec& spec, const ec2::Instance& i) {
  if (spec.address == AddressChoice::kPrivate) return i.private_ip;
  if (spec.address == AddressChoice::kPublic) return i.public_ip;
  return i.public_ip.empty() ? i.private_ip : i.public_ip;
}

std::optional<ssh::RemoteJob> recorded_job(const ec2::Instance& i, const std::string& address) {
  std::string tag = i.tag(kJobTag);
  auto space = tag.find(' ');
  if (space == std::string::npos || space == 0 || space > 9) return std::nullopt;
  ssh::RemoteJob job;
  job.host = address;
  job.id = tag.substr(space + 1);
  for (std::size_t k = 0; k < space; ++k)
    if (tag[k] < '0' || tag[k] > '9') return std::nullopt;
  job.pgid = std::stoi(tag.substr(0, space));
  return job;
}

}  // namespace awsdl::vm

namespace awsdl::internal::vm {

using awsdl::vm::VmSpec;

namespace {
Config with_region(Config c, const VmSpec& s) {
  if (!s.region.empty()) c.region = s.region;
  return c;
}
}  // namespace

State::State(Config c, VmSpec s) : config(with_region(std::move(c), s)), spec(std::move(s)), ec2(config) {}

Result<std::vector<ec2::Instance>> tagged_instances(const State& d, bool include_terminated) {
  ec2::DescribeInstancesRequest req;
  req.filters.push_back({std::string("tag:") + awsdl::vm::kDeploymentTag, {d.spec.name}});
  if (!include_terminated)
    req.filters.push_back({"instance-state-name", {"pending", "running", "shutting-down", "stopping", "stopped"}});
  AWSDL_ASSIGN_OR_RETURN(auto found, d.ec2.list_instances(req));
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.instance_id < b.instance_id; });
  return found;
}

void emit(const StepOptions& o, const std::string& message, awsdl::vm::VmEventKind kind) {
  if (o.on_event) o.on_event(awsdl::vm::VmEvent{kind, message, {}});
}

Error suggest(Error e, const char* action, const std::string& name) {
  if (!e.next_step(action)) e.with_next_step(action, name);
  return e;
}

std::string describe_host(const ec2::Instance& i, const std::string& address) {
  return i.instance_id + " (" + (address.empty() ? "no address" : address) + ")";
}

ssh::FanOutOptions fanout_options(const VmSpec& spec) {
  ssh::FanOutOptions fo;
  auto& so = fo.session;
  so.user = spec.user;
  if (!spec.key_path.empty()) so.identity_files = {spec.key_path};
  // With a key named, the agent's keys would only use up the server's MaxAuthTries first.
  so.use_agent = spec.key_path.empty();
  so.known_hosts = awsdl::vm::known_hosts_path(spec);
  // New instances have new host keys: recorded on first contact, refused if they change.
  so.host_key_policy = ssh::HostKeyPolicy::kAcceptNew;
  so.connect_timeout = std::chrono::seconds(spec.connect_timeout);
  return fo;
}

namespace {

// Connects to every host, retrying refused and timed-out connections until the boot timeout:
// new instances take a while to start sshd. Other failures (authentication, a changed host
// key) end it at once. The error names the hosts.
Status wait_for_ssh(const State& d, const StepOptions& o, ssh::FanOut& fan,
                    const std::vector<Host>& hosts) {
  const VmSpec& spec = d.spec;
  // libssh records new host keys but does not make the directory of the known_hosts file.
  const std::string known = awsdl::vm::known_hosts_path(spec);
  auto slash = known.rfind('/');
  if (slash != std::string::npos && slash > 0) {
    std::string dir = known.substr(0, slash);
    for (std::size_t i = 1; i <= dir.size(); ++i)
      if (i == dir.size() || dir[i] == '/') ::mkdir(dir.substr(0, i).c_str(), 0700);
  }
  // The toolkit's poll on the Config's runtime: 1 s, doubling up to 10 s.
  std::string list;  // the hosts still waited for, as of the last poll
  PollOptions po;
  po.delay = Backoff::polling(Millis(1000), Millis(10000), 2.0);
  po.deadline = Deadline::after(std::chrono::seconds(spec.boot_timeout), *d.config.runtime.clock);
  po.cancel = o.cancel;
  po.what = "waiting for SSH";
  po.on_progress = [&](const WaitProgress& p) {
    if (p.next_delay.count() > 0)
      emit(o, "waiting for SSH on " + list + " (" + p.state + "), attempt " + std::to_string(p.attempt));
  };
  po.timeout_error = [&](const std::string& last_reason) {
    return Error::make(ErrorKind::kTimeout, "SshNotReady",
                       "no SSH on " + list + " within the boot timeout (" + std::to_string(spec.boot_timeout) +
                           " s; " + last_reason + "); check that the security group lets SSH in from here, and [ssh] address");
  };
  po.cancelled_error = [&] {
    return Error::make(ErrorKind::kCancelled, "Interrupted",
                       "interrupted while waiting for SSH" + (list.empty() ? std::string() : " on " + list));
  };
  return poll_until(d.config.runtime, po, [&](int) -> Result<PollState> {
    auto result = fan.connect();
    std::vector<std::string> waiting;
    std::string last_reason;
    for (std::size_t i = 0; i < result.hosts.size(); ++i) {
      const auto& h = result.hosts[i];
      if (!h.error) continue;
      const std::string& who = i < hosts.size() ? hosts[i].label : h.host;
      bool booting = h.error->kind == ErrorKind::kNetwork || h.error->kind == ErrorKind::kTimeout;
      if (!booting) {
        Error e = *h.error;
        e.message = who + ": " + e.message;
        return e;
      }
      waiting.push_back(who);
      last_reason = h.error->code.empty() ? h.error->message : h.error->code;
    }
    if (waiting.empty()) return PollState::done();
    list.clear();
    for (const auto& w : waiting) list += (list.empty() ? "" : ", ") + w;
    return PollState::pending(last_reason);
  });
}

}  // namespace

Result<Fleet> reach_fleet(const State& d, const StepOptions& o) {
  const VmSpec& spec = d.spec;
  AWSDL_ASSIGN_OR_RETURN(auto found, tagged_instances(d, false));
  Fleet fleet;
  std::string others;
  for (auto& i : found) {
    if (i.state == "running")
      fleet.hosts.push_back({std::move(i), {}, {}});
    else
      others += (others.empty() ? "" : ", ") + i.instance_id + " (" + i.state + ")";
  }
  if (fleet.hosts.empty())
    return suggest(Error::make(ErrorKind::kNotFound, "NoRunningInstances",
                               "no running instance carries " + std::string(awsdl::vm::kDeploymentTag) + "=" +
                                   spec.name + (others.empty() ? "" : " (" + others + ")") + ": launch them first"),
                   awsdl::vm::next_step::kStatus, spec.name);
  if (!others.empty()) emit(o, "not running, left out: " + others);
  for (auto& h : fleet.hosts) {
    h.address = awsdl::vm::ssh_address(spec, h.instance);
    if (h.address.empty())
      return Error::invalid_argument(
          "NoAddress", h.instance.instance_id + " has no " +
                           (spec.address == awsdl::vm::AddressChoice::kAuto
                                ? std::string()
                                : std::string(spec.address == awsdl::vm::AddressChoice::kPublic ? "public " : "private ")) +
                           "address to SSH to (see [ssh] address)");
    h.label = describe_host(h.instance, h.address);
    fleet.addresses.push_back(h.address);
  }
  fleet.fan = std::make_unique<ssh::FanOut>(fleet.addresses, fanout_options(spec));
  AWSDL_TRY(wait_for_ssh(d, o, *fleet.fan, fleet.hosts));
  return fleet;
}

std::map<std::string, std::string> remote_env(const VmSpec& spec, const std::vector<Host>& all, std::size_t index) {
  std::string hosts;
  for (const auto& h : all) hosts += (hosts.empty() ? "" : " ") + h.instance.private_ip;
  return {{"AWSDL_VM_NAME", spec.name},
          {"AWSDL_VM_INDEX", std::to_string(index)},
          {"AWSDL_VM_COUNT", std::to_string(all.size())},
          {"AWSDL_VM_INSTANCE_ID", all[index].instance.instance_id},
          {"AWSDL_VM_HOSTS", hosts}};
}

WaitOptions wait_options(const State& d, const StepOptions& o, const std::string& what,
                         const CancellationToken& cancel) {
  WaitOptions w;
  const Millis poll = std::max(Millis(1), o.poll_interval);
  w.delay = poll;
  w.max_delay = std::max(poll * 4, std::min<Millis>(Millis(15000), poll * 8));
  w.max_attempts = 100000;  // the deadline is what bounds the wait
  w.deadline = Deadline::after(o.wait_timeout, *d.config.runtime.clock);
  w.cancel = cancel;
  w.on_progress = [&o, what](const WaitProgress& p) {
    emit(o, "waiting for " + what + ": " + p.state + " (poll " + std::to_string(p.attempt) + ")");
  };
  return w;
}

HostLines::HostLines(const StepOptions& o, std::size_t host, std::string address)
    : o_(o), host_(host), address_(std::move(address)) {}

void HostLines::emit_line(ssh::Stream stream, const std::string& line) {
  if (o_.keep_output) kept_ += line + "\n";
  if (o_.on_output) o_.on_output(awsdl::vm::HostOutput{host_, address_, stream, line, false});
}

void HostLines::command(const std::string& cmd) {
  if (o_.keep_output) kept_ += "$ " + cmd + "\n";
  if (o_.on_output) o_.on_output(awsdl::vm::HostOutput{host_, address_, ssh::Stream::kStdout, cmd, true});
}

void HostLines::feed(ssh::Stream stream, std::string_view chunk) {
  std::string& buf = stream == ssh::Stream::kStderr ? err_ : out_;
  buf.append(chunk.data(), chunk.size());
  std::size_t nl;
  while ((nl = buf.find('\n')) != std::string::npos) {
    emit_line(stream, buf.substr(0, nl));
    buf.erase(0, nl + 1);
  }
}

void HostLines::flush() {
  if (!out_.empty()) emit_line(ssh::Stream::kStdout, out_);
  if (!err_.empty()) emit_line(ssh::Stream::kStderr, err_);
  out_.clear();
  err_.clear();
}

}  // namespace awsdl::internal::vm
