#include <algorithm>

#include "awsdl/core/retry.hpp"
#include "awsdl/sagemaker/follow.hpp"
#include "util/transition_tracker.hpp"

namespace awsdl::sagemaker {

Result<TrainingJob> follow_training_job(const SageMakerClient& sagemaker, const logs::LogsClient& logs,
                                        const std::string& job_name, const Runtime& runtime,
                                        const FollowJobOptions& options) {
  logs::LogFollower follower(logs, {.log_group = kTrainingJobLogGroup,
                                    .stream_prefix = job_name + "/",
                                    .page_size = options.log_page_size});
  internal::TransitionTracker<sagemaker::SecondaryStatusTransition> tracker;
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
  PollOptions poll;
  poll.delay = Backoff{interval, 1.0, interval, false};  // the caller's interval, as it is
  // Bounded: a job runs at most 28 days of max runtime plus waiting; beyond that many polls
  // something is wrong with the clock or the service.
  poll.max_polls = static_cast<int>(std::clamp<long long>((28LL * 24 * 3600 * 1000) / interval.count(), 1, 1000000));
  poll.deadline = options.deadline;
  poll.cancel = options.cancel;
  poll.what = "following " + job_name;

  std::optional<TrainingJob> job;
  AWSDL_TRY(poll_until(runtime, poll, [&](int) -> Result<PollState> {
    // Status first, then logs: when the status says the job ended, the logs read after it
    // include everything the job wrote.
    AWSDL_ASSIGN_OR_RETURN(job, sagemaker.describe_training_job(job_name, call));
    if (options.on_transition) tracker.update(job->transitions, options.on_transition);
    AWSDL_TRY(drain());
    std::string state = job->status + "/" + job->secondary_status;
    return job->terminal() ? PollState::done(std::move(state)) : PollState::pending(std::move(state));
  }));
  return std::move(*job);
}

}  // namespace awsdl::sagemaker
