#include <algorithm>

#include "awsdl/sagemaker/follow.hpp"
#include "sagemaker/transition_tracker.hpp"

namespace awsdl::sagemaker {

Result<TrainingJob> follow_training_job(const SageMakerClient& sagemaker, const logs::LogsClient& logs,
                                        const std::string& job_name, const Runtime& runtime,
                                        const FollowJobOptions& options) {
  logs::LogFollower follower(logs, {.log_group = kTrainingJobLogGroup,
                                    .stream_prefix = job_name + "/",
                                    .page_size = options.log_page_size});
  internal::TransitionTracker tracker;
  CallOptions call;
  call.deadline = options.deadline;
  call.cancel = options.cancel;
  auto drain = [&]() -> Status {
    if (!options.logs) return {};
    AWSDL_ASSIGN_OR_RETURN(auto events, follower.poll(call));
    if (options.on_log)
      for (const auto& e : events) options.on_log(e);
    return {};
  };
  const Millis interval = std::max(Millis(1), options.poll_interval);
  // Bounded: a job runs at most 28 days of max runtime plus waiting; beyond that many polls
  // something is wrong with the clock or the service.
  const long max_polls = std::max<long>(1, (28L * 24 * 3600 * 1000) / interval.count());
  for (long i = 0; i < max_polls; ++i) {
    if (options.cancel.cancelled()) return Error::make(ErrorKind::kCancelled, "Cancelled", "following " + job_name + ": cancelled");
    // Status first, then logs: when the status says the job ended, the logs read after it
    // include everything the job wrote.
    AWSDL_ASSIGN_OR_RETURN(auto job, sagemaker.describe_training_job(job_name, call));
    if (options.on_transition) tracker.update(job.transitions, options.on_transition);
    AWSDL_TRY(drain());
    if (job.terminal()) return job;
    if (options.deadline.expired(*runtime.clock))
      return Error::make(ErrorKind::kTimeout, "WaiterTimeout",
                         "following " + job_name + ": deadline passed; last status " + job.status + "/" +
                             job.secondary_status);
    Millis next = interval;
    if (options.deadline.at) next = std::min(next, options.deadline.remaining(*runtime.clock, interval));
    if (!runtime.sleeper->sleep_for(next, options.cancel))
      return Error::make(ErrorKind::kCancelled, "Cancelled", "following " + job_name + ": cancelled");
  }
  return Error::make(ErrorKind::kTimeout, "WaiterTimeout", "following " + job_name + ": gave up polling");
}

}  // namespace awsdl::sagemaker
