#pragma once
// Amazon SageMaker training jobs: create one with the settings the reference notebook uses
// (every one overridable), describe, stop, list, and wait for it. Names follow botocore's
// sagemaker model.
//
//   awsdl::sagemaker::TrainingJobRequest job{.name = "maskrcnn-1",
//       .image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/maskrcnn:v1",
//       .role_arn = "arn:aws:iam::123456789012:role/SageMakerRole",
//       .channels = {{.name = "train", .s3_uri = "s3://team-bucket/coco/"}},
//       .output_path = "s3://team-bucket/output/"};
//   job.mpi = awsdl::sagemaker::MpiSettings{.processes_per_host = 8};
//   auto arn = sm.create_training_job(job);

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "awsdl/config.hpp"
#include "awsdl/core/options.hpp"
#include "awsdl/core/result.hpp"
#include "awsdl/core/runtime.hpp"
#include "awsdl/core/wait.hpp"

namespace awsdl {
/// What a service client stands on (signing, retries, endpoints): opaque here.
class ServiceClient;
}  // namespace awsdl

namespace awsdl::sagemaker {

enum class InputMode { kFile, kPipe, kFastFile };
enum class S3DataDistribution { kFullyReplicated, kShardedByS3Key };
enum class S3DataType { kS3Prefix, kManifestFile, kAugmentedManifestFile };

AWSDL_EXPORT const char* to_string(InputMode mode);
AWSDL_EXPORT const char* to_string(S3DataDistribution distribution);
AWSDL_EXPORT const char* to_string(S3DataType type);
/// "File", "Pipe", "FastFile" (as the API spells them); kInvalidArgument otherwise.
AWSDL_EXPORT Result<InputMode> parse_input_mode(const std::string& text);
/// "FullyReplicated", "ShardedByS3Key".
AWSDL_EXPORT Result<S3DataDistribution> parse_distribution(const std::string& text);

/// An input channel: an S3 prefix mounted at /opt/ml/input/data/<name>.
struct AWSDL_EXPORT Channel {
  std::string name;    // "train"
  std::string s3_uri;  // "s3://bucket/prefix/"
  S3DataType data_type = S3DataType::kS3Prefix;
  S3DataDistribution distribution = S3DataDistribution::kFullyReplicated;
  std::optional<InputMode> input_mode;  // default: the job's
  std::string content_type;
  std::string compression;  // "None" or "Gzip"; empty: not sent

  bool operator==(const Channel&) const = default;
};

struct AWSDL_EXPORT MetricDefinition {
  std::string name;   // "loss"
  std::string regex;  // "loss=([0-9\\.]+)"

  bool operator==(const MetricDefinition&) const = default;
};

/// Horovod / Open MPI on every instance, as the SageMaker Python SDK's `distribution={"mpi":
/// ...}` sends it: hyperparameters sagemaker_mpi_enabled, sagemaker_mpi_num_of_processes_per_host
/// and sagemaker_mpi_custom_mpi_options (decoded back into this on describe).
struct AWSDL_EXPORT MpiSettings {
  int processes_per_host = 1;
  std::string custom_mpi_options;  // "-x NCCL_DEBUG=INFO --mca btl_tcp_if_exclude lo,docker0"

  bool operator==(const MpiSettings&) const = default;
};

struct AWSDL_EXPORT JobTag {
  std::string key;
  std::string value;

  bool operator==(const JobTag&) const = default;
};

/// Everything CreateTrainingJob takes that the workflow needs. Defaults are the reference
/// notebook's (SageMaker Python SDK): ml.p3.16xlarge, 1 instance, 30 GB, 24 h, File mode,
/// FullyReplicated channels.
struct AWSDL_EXPORT TrainingJobRequest {
  std::string name;      // 1-63 letters, digits, hyphens; starts with a letter or digit
  std::string image;     // "registry/repository:tag" or "registry/repository@sha256:..."
  std::string role_arn;  // "arn:aws:iam::123456789012:role/..."
  std::string instance_type = "ml.p3.16xlarge";
  int instance_count = 1;
  int volume_size_gb = 30;
  std::string volume_kms_key;
  int max_runtime_seconds = 24 * 60 * 60;
  InputMode input_mode = InputMode::kFile;
  std::vector<Channel> channels;
  std::string output_path;  // "s3://bucket/prefix/"
  std::string output_kms_key;
  std::map<std::string, std::string> hyperparameters;
  std::vector<MetricDefinition> metric_definitions;
  std::map<std::string, std::string> environment;
  std::optional<MpiSettings> mpi;
  /// Managed spot training: max_wait_seconds (>= max_runtime_seconds) is then required.
  bool spot = false;
  std::optional<int> max_wait_seconds;
  std::string checkpoint_s3_uri;  // where /opt/ml/checkpoints is synced (spot resumes from it)
  std::string checkpoint_local_path;
  std::vector<std::string> subnets;
  std::vector<std::string> security_group_ids;
  bool network_isolation = false;
  bool inter_container_traffic_encryption = false;
  std::optional<int> max_retry_attempts;  // RetryStrategy
  std::vector<JobTag> tags;               // sent on create; not part of DescribeTrainingJob

  bool operator==(const TrainingJobRequest&) const = default;
};

/// Checks everything that can be checked without a call: name, image reference (a tag or a
/// digest is required), role ARN, instance type format ("ml.<family>.<size>"), counts and
/// sizes, S3 URIs, channel names, hyperparameter limits, spot settings. kInvalidArgument
/// naming the field.
AWSDL_EXPORT Status validate(const TrainingJobRequest& request);

struct AWSDL_EXPORT SecondaryStatusTransition {
  std::string status;  // Starting, Downloading, Training, Uploading, Completed, Failed, ...
  std::optional<WallTime> start_time;
  std::optional<WallTime> end_time;
  std::string message;

  bool operator==(const SecondaryStatusTransition&) const = default;
};

struct AWSDL_EXPORT TrainingJob {
  std::string name;
  std::string arn;
  std::string status;            // InProgress, Completed, Failed, Stopping, Stopped
  std::string secondary_status;  // the last transition's status
  std::string failure_reason;
  std::string model_artifacts;   // s3://.../model.tar.gz
  /// The settings as the service holds them (tags are not part of the answer).
  TrainingJobRequest settings;
  std::optional<WallTime> creation_time;
  std::optional<WallTime> training_start_time;
  std::optional<WallTime> training_end_time;
  std::optional<WallTime> last_modified_time;
  std::vector<SecondaryStatusTransition> transitions;
  std::int64_t training_time_seconds = 0;
  std::int64_t billable_time_seconds = 0;

  bool terminal() const { return status == "Completed" || status == "Failed" || status == "Stopped"; }
};

struct AWSDL_EXPORT TrainingJobSummary {
  std::string name;
  std::string arn;
  std::string status;
  std::optional<WallTime> creation_time;
  std::optional<WallTime> training_end_time;
  std::optional<WallTime> last_modified_time;
};

struct AWSDL_EXPORT ListTrainingJobsRequest {
  std::string name_contains;
  std::string status_equals;  // InProgress, Completed, Failed, Stopping, Stopped
  std::optional<WallTime> creation_time_after;
  std::optional<WallTime> creation_time_before;
  std::string sort_by;     // Name, CreationTime (the service's default), Status
  std::string sort_order;  // Ascending, Descending (default)
  int page_size = 0;       // MaxResults per call, 1-100; 0: the service's default
  std::size_t max_items = 0;  // stop after this many (0: every page)
};

/// What the training-job waiter reports besides WaitProgress: every secondary status
/// transition once, as it appears (and again when its message changes).
using TransitionCallback = std::function<void(const SecondaryStatusTransition&)>;

class AWSDL_EXPORT SageMakerClient {
 public:
  explicit SageMakerClient(Config config);

  /// validate() first (nothing is sent when it fails); returns the job's ARN. A retry that
  /// meets the job its own lost-answer attempt created (same name, same settings, created in
  /// the last 10 minutes) returns that job's ARN; any other job of that name: "ResourceInUse".
  Result<std::string> create_training_job(const TrainingJobRequest& request, const CallOptions& options = {}) const;
  /// An unknown job: kService "ValidationException" ("Requested resource not found.").
  Result<TrainingJob> describe_training_job(const std::string& name, const CallOptions& options = {}) const;
  Status stop_training_job(const std::string& name, const CallOptions& options = {}) const;
  /// Every page (the ListTrainingJobs paginator), up to request.max_items.
  Result<std::vector<TrainingJobSummary>> list_training_jobs(const ListTrainingJobsRequest& request = {},
                                                             const CallOptions& options = {}) const;

  /// botocore's TrainingJobCompletedOrStopped: success on Completed or Stopped; Failed ends
  /// with kService "WaiterFailure" whose message carries the FailureReason. Default delay
  /// 120 s and 180 attempts as in waiters-2.json; `on_transition` sees each secondary status.
  Result<TrainingJob> wait_until_completed_or_stopped(const std::string& name, const WaitOptions& options = {},
                                                      const TransitionCallback& on_transition = {}) const;

 private:
  std::shared_ptr<ServiceClient> client_;
};

}  // namespace awsdl::sagemaker
