// botocore's TrainingJobCompletedOrStopped waiter (Completed / Stopped: success; Failed or
// ValidationException: failure), reporting secondary status transitions as they appear
// and putting FailureReason in the error a failed job ends with.
#include "awsdl/sagemaker/sagemaker.hpp"
#include "protocol/service_client.hpp"
#include "protocol/waiter.hpp"
#include "util/transition_tracker.hpp"

namespace awsdl::sagemaker {

using internal::PollState;
using internal::PollVerdict;

Result<TrainingJob> SageMakerClient::wait_until_completed_or_stopped(const std::string& name,
                                                                     const WaitOptions& options,
                                                                     const TransitionCallback& on_transition) const {
  TrainingJob last;
  bool failed = false;
  internal::TransitionTracker<sagemaker::SecondaryStatusTransition> tracker;
  auto status = internal::run_waiter(
      {"TrainingJobCompletedOrStopped", Millis(120000), 180}, options, client_->config().runtime,
      [&](const CallOptions& call) -> Result<PollState> {
        auto job = describe_training_job(name, call);
        if (!job) {
          if (job.error().code == "ValidationException")
            return PollState{PollVerdict::kFailed, "ValidationException: " + job.error().message};
          return std::move(job).error();
        }
        last = std::move(job).value();
        if (on_transition) tracker.update(last.transitions, on_transition);
        std::string state = last.status + "/" + last.secondary_status;
        if (!last.transitions.empty() && !last.transitions.back().message.empty())
          state += ": " + last.transitions.back().message;
        if (last.status == "Completed" || last.status == "Stopped") return PollState{PollVerdict::kDone, state};
        if (last.status == "Failed") {
          failed = true;
          return PollState{PollVerdict::kFailed, "Failed: " + last.failure_reason};
        }
        return PollState{PollVerdict::kPending, state};
      });
  if (status) return last;
  Error e = std::move(status).error();
  if (failed) e.message = "training job " + name + " failed: " + last.failure_reason;
  return e;
}

}  // namespace awsdl::sagemaker
