// Stack waiters with botocore's acceptors (pathAll success / pathAny failure over
// Stacks[].StackStatus, ValidationError as failure, or as success when waiting for a
// deletion); a failure names the failed resources and their reasons from the events.
#include <algorithm>

#include "cloudformation/cloudformation_internal.hpp"
#include "protocol/service_client.hpp"
#include "protocol/waiter.hpp"

namespace awsdl::cloudformation {

using internal::PollState;
using internal::PollVerdict;

namespace {

struct StackAcceptors {
  const char* name;
  std::string success;
  std::vector<std::string> failure;
  bool missing_is_success = false;
};

Result<Stack> wait_stack(const CloudFormationClient& cfn, const internal::ServiceClient& client,
                         const std::string& stack_name, const WaitOptions& options, const StackAcceptors& a) {
  AWSDL_TRY(detail::check_stack_name(stack_name, a.name));
  Stack last;
  bool gone = false;
  auto status = internal::run_waiter(
      {a.name, Millis(30000), 120}, options, client.config().runtime, [&](const CallOptions& call) -> Result<PollState> {
        auto stacks = cfn.describe_stacks(stack_name, call);
        if (!stacks) {
          if (stacks.error().code == "ValidationError") {
            gone = true;
            return PollState{a.missing_is_success ? PollVerdict::kDone : PollVerdict::kFailed,
                               "stack does not exist: " + stacks.error().message};
          }
          return std::move(stacks).error();
        }
        if (stacks->empty()) return PollState{PollVerdict::kPending, "no stack in the answer"};
        last = stacks->front();
        std::string state = last.status + (last.status_reason.empty() ? "" : " (" + last.status_reason + ")");
        if (last.status == a.success) return PollState{PollVerdict::kDone, state};
        if (std::find(a.failure.begin(), a.failure.end(), last.status) != a.failure.end())
          return PollState{PollVerdict::kFailed, state};
        return PollState{PollVerdict::kPending, state};
      });
  if (status) return last;
  Error e = std::move(status).error();
  if (e.code == "WaiterFailure" && !gone) {
    CallOptions call;
    call.deadline = options.deadline;
    call.cancel = options.cancel;
    if (auto events = cfn.describe_stack_events(stack_name, 500, call); events.ok()) {
      std::string why = detail::failure_summary(*events);
      if (!why.empty()) e.message += "; failed resources: " + why;
    }
  }
  return e;
}

}  // namespace

Result<Stack> CloudFormationClient::wait_until_create_complete(const std::string& name, const WaitOptions& options) const {
  return wait_stack(*this, *client_, name, options,
                    {"StackCreateComplete", "CREATE_COMPLETE",
                     {"CREATE_FAILED", "DELETE_COMPLETE", "DELETE_FAILED", "ROLLBACK_FAILED", "ROLLBACK_COMPLETE"}});
}

Result<Stack> CloudFormationClient::wait_until_update_complete(const std::string& name, const WaitOptions& options) const {
  return wait_stack(*this, *client_, name, options,
                    {"StackUpdateComplete", "UPDATE_COMPLETE",
                     {"UPDATE_FAILED", "UPDATE_ROLLBACK_FAILED", "UPDATE_ROLLBACK_COMPLETE"}});
}

Status CloudFormationClient::wait_until_delete_complete(const std::string& name, const WaitOptions& options) const {
  auto r = wait_stack(*this, *client_, name, options,
                      {"StackDeleteComplete", "DELETE_COMPLETE",
                       {"DELETE_FAILED", "CREATE_FAILED", "ROLLBACK_FAILED", "UPDATE_ROLLBACK_IN_PROGRESS",
                        "UPDATE_ROLLBACK_FAILED", "UPDATE_ROLLBACK_COMPLETE"},
                       true});
  if (!r) return std::move(r).error();
  return {};
}

}  // namespace awsdl::cloudformation
