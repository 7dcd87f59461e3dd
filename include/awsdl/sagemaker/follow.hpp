#pragma once
// Following a training job the way `--wait` does: its status (secondary status transitions
// as they happen) and its CloudWatch logs (every host's stream in
// /aws/sagemaker/TrainingJobs), until the job ends, then a last read of the logs so that
// nothing written at the end is missed.

#include <functional>
#include <string>

#include "awsdl/core/options.hpp"
#include "awsdl/core/result.hpp"
#include "awsdl/core/runtime.hpp"
#include "awsdl/logs/logs.hpp"
#include "awsdl/sagemaker/sagemaker.hpp"

namespace awsdl::sagemaker {

inline constexpr const char* kTrainingJobLogGroup = "/aws/sagemaker/TrainingJobs";

struct AWSDL_EXPORT FollowJobOptions {
  std::function<void(const logs::LogEvent&)> on_log;
  TransitionCallback on_transition;
  Millis poll_interval{std::chrono::seconds(5)};
  bool logs = true;  // false: status only
  int log_page_size = 0;
  Deadline deadline;
  CancellationToken cancel;
};

/// Returns the job once it is Completed, Failed or Stopped (a Failed job is a value here,
/// with its failure_reason: the caller decides what failure means). Errors: describe or
/// logs calls failing, kTimeout "WaiterTimeout" at the deadline, kCancelled.
AWSDL_EXPORT Result<TrainingJob> follow_training_job(const SageMakerClient& sagemaker, const logs::LogsClient& logs,
                                                     const std::string& job_name, const Runtime& runtime,
                                                     const FollowJobOptions& options = {});

}  // namespace awsdl::sagemaker
