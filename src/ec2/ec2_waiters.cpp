// instance_running / instance_terminated / instance_status_ok, with the acceptors of
// botocore's ec2 waiters-2.json (pathAll over an empty list is not a match, as in JMESPath
// waiters).
#include <map>

#include "ec2/ec2_internal.hpp"
#include "protocol/service_client.hpp"
#include "protocol/waiter.hpp"

namespace awsdl::ec2 {

using internal::PollState;
using internal::PollVerdict;

namespace {

std::string summarize(const std::vector<std::string>& states) {
  std::map<std::string, int> counts;
  for (const auto& s : states) ++counts[s];
  std::string out;
  for (const auto& [state, n] : counts) out += (out.empty() ? "" : ", ") + std::to_string(n) + " " + state;
  return out.empty() ? "no instances seen" : out;
}

struct Acceptors {
  std::string success;                 // pathAll
  std::vector<std::string> failure;    // pathAny
  bool retry_on_not_found = false;
};

PollState judge(const std::vector<std::string>& states, const std::vector<std::string>& ids, const Acceptors& a) {
  PollState o;
  o.state = summarize(states);
  bool all = !states.empty();
  for (const auto& s : states) all = all && s == a.success;
  if (all) {
    o.verdict = PollVerdict::kDone;
    return o;
  }
  for (std::size_t i = 0; i < states.size(); ++i)
    for (const auto& f : a.failure)
      if (states[i] == f) {
        o.verdict = PollVerdict::kFailed;
        o.state += " (" + (i < ids.size() ? ids[i] : std::string("an instance")) + " is " + f + ")";
        return o;
      }
  o.verdict = PollVerdict::kPending;
  return o;
}

}  // namespace

namespace {

Result<std::vector<Instance>> wait_instances(const Ec2Client& ec2, const internal::ServiceClient& client,
                                             const std::vector<std::string>& ids, const WaitOptions& options,
                                             const char* name, const Acceptors& acceptors) {
  if (ids.empty()) return Error::invalid_argument("MissingParameter", std::string(name) + ": no instance ids given");
  std::vector<Instance> last;
  auto status = internal::run_waiter(
      {name, Millis(15000), 40}, options, client.config().runtime,
      [&](const CallOptions& call) -> Result<PollState> {
        DescribeInstancesRequest req;
        req.instance_ids = ids;
        auto found = ec2.list_instances(req, call);
        if (!found) {
          if (acceptors.retry_on_not_found && found.error().code == "InvalidInstanceID.NotFound")
            return PollState{PollVerdict::kPending, "not visible yet (InvalidInstanceID.NotFound)"};
          return std::move(found).error();
        }
        last = std::move(*found);
        std::vector<std::string> states, seen_ids;
        for (const auto& i : last) {
          states.push_back(i.state);
          seen_ids.push_back(i.instance_id);
        }
        return judge(states, seen_ids, acceptors);
      });
  if (!status) return std::move(status).error();
  return last;
}

}  // namespace

Result<std::vector<Instance>> Ec2Client::wait_until_running(const std::vector<std::string>& ids,
                                                            const WaitOptions& options) const {
  return wait_instances(*this, *client_, ids, options, "InstanceRunning",
                        {"running", {"shutting-down", "terminated", "stopping"}, true});
}

Result<std::vector<Instance>> Ec2Client::wait_until_terminated(const std::vector<std::string>& ids,
                                                               const WaitOptions& options) const {
  return wait_instances(*this, *client_, ids, options, "InstanceTerminated", {"terminated", {"pending", "stopping"}, false});
}

Result<std::vector<InstanceStatus>> Ec2Client::wait_until_status_ok(const std::vector<std::string>& ids,
                                                                    const WaitOptions& options) const {
  if (ids.empty()) return Error::invalid_argument("MissingParameter", "InstanceStatusOk: no instance ids given");
  std::vector<InstanceStatus> last;
  auto status = internal::run_waiter(
      {"InstanceStatusOk", Millis(15000), 40}, options, client_->config().runtime,
      [&](const CallOptions& call) -> Result<PollState> {
        auto found = describe_instance_status(ids, false, call);
        if (!found) {
          if (found.error().code == "InvalidInstanceID.NotFound")
            return PollState{PollVerdict::kPending, "not visible yet (InvalidInstanceID.NotFound)"};
          return std::move(found).error();
        }
        last = std::move(*found);
        std::vector<std::string> states, seen;
        for (const auto& s : last) {
          states.push_back(s.instance_status);
          seen.push_back(s.instance_id);
        }
        return judge(states, seen, {"ok", {}, true});
      });
  if (!status) return std::move(status).error();
  return last;
}

}  // namespace awsdl::ec2
