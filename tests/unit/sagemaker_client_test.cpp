// SageMakerClient on a fake transport: validate() refuses what the service would (and what
// it would accept but is a mistake, like an image without a tag) before any call; the
// CreateTrainingJob body; every setting decoded back from DescribeTrainingJob; the paginator;
// the waiter's transitions, FailureReason and bounds on a manual clock.
#include "awsdl/sagemaker/sagemaker.hpp"
#include "awsdl/sagemaker/follow.hpp"

#include <gtest/gtest.h>

#include "util/json.hpp"
#include "sagemaker/training_job_json.hpp"
#include "support/fake_harness.hpp"

namespace awsdl {
namespace {

using namespace std::chrono_literals;
namespace sm = sagemaker;

struct Harness : testsupport::FakeHarness {
  Harness() : FakeHarness("us-west-2") {}
};

sm::TrainingJobRequest minimal() {
  sm::TrainingJobRequest r;
  r.name = "maskrcnn-1";
  r.image = "123456789012.dkr.ecr.us-west-2.amazonaws.com/maskrcnn:v1";
  r.role_arn = "arn:aws:iam::123456789012:role/SageMakerRole";
  r.channels = {{.name = "train", .s3_uri = "s3://team-bucket/coco/train/"}};
  r.output_path = "s3://team-bucket/output/";
  return r;
}

sm::TrainingJobRequest everything() {
  auto r = minimal();
  r.instance_type = "ml.p4d.24xlarge";
  r.instance_count = 4;
  r.volume_size_gb = 500;
  r.volume_kms_key = "alias/volumes";
  r.max_runtime_seconds = 7200;
  r.input_mode = sm::InputMode::kPipe;
  r.channels.push_back({.name = "val",
                        .s3_uri = "s3://team-bucket/coco/val/",
                        .distribution = sm::S3DataDistribution::kShardedByS3Key,
                        .input_mode = sm::InputMode::kFastFile,
                        .content_type = "application/x-tar",
                        .compression = "Gzip"});
  r.output_kms_key = "alias/output";
  r.hyperparameters = {{"epochs", "24"}, {"lr", "0.02"}};
  r.metric_definitions = {{"loss", "loss=([0-9.]+)"}, {"mAP", "mAP: ([0-9.]+)"}};
  r.environment = {{"NCCL_DEBUG", "INFO"}};
  r.mpi = sm::MpiSettings{.processes_per_host = 8, .custom_mpi_options = "-x NCCL_DEBUG=INFO --mca btl_tcp_if_exclude lo"};
  r.spot = true;
  r.max_wait_seconds = 14400;
  r.checkpoint_s3_uri = "s3://team-bucket/checkpoints/maskrcnn-1/";
  r.checkpoint_local_path = "/opt/ml/checkpoints";
  r.subnets = {"subnet-0a1b2c3d"};
  r.security_group_ids = {"sg-0a1b2c3d"};
  r.network_isolation = true;
  r.inter_container_traffic_encryption = true;
  r.max_retry_attempts = 2;
  r.tags = {{"project", "maskrcnn"}};
  return r;
}

TEST(SageMakerValidate, RefusesBadInputNamingTheField) {
  EXPECT_TRUE(sm::validate(minimal()).ok());
  EXPECT_TRUE(sm::validate(everything()).ok()) << sm::validate(everything()).error().message;
  auto refused = [](auto mutate, const std::string& needle) {
    auto r = minimal();
    mutate(r);
    auto s = sm::validate(r);
    if (s.ok()) return ::testing::AssertionFailure() << "accepted (" << needle << ")";
    if (s.error().kind != ErrorKind::kInvalidArgument || s.error().message.find(needle) == std::string::npos)
      return ::testing::AssertionFailure() << s.error().message;
    return ::testing::AssertionSuccess();
  };
  EXPECT_TRUE(refused([](auto& r) { r.image = "123456789012.dkr.ecr.us-west-2.amazonaws.com/maskrcnn"; }, "no tag or digest"));
  EXPECT_TRUE(refused([](auto& r) { r.image = "127.0.0.1:5000/maskrcnn"; }, "no tag or digest"));
  EXPECT_TRUE(refused([](auto& r) { r.image = "maskrcnn@sha256:abc"; }, "malformed digest"));
  EXPECT_TRUE(refused([](auto& r) { r.image = "Mask/RCNN:v1"; }, "repository path"));
  EXPECT_TRUE(refused([](auto& r) { r.instance_type = "p3.16xlarge"; }, "instance type"));
  EXPECT_TRUE(refused([](auto& r) { r.instance_type = "ml.p3"; }, "instance type"));
  EXPECT_TRUE(refused([](auto& r) { r.instance_count = 0; }, "instance count"));
  EXPECT_TRUE(refused([](auto& r) { r.volume_size_gb = 0; }, "volume size"));
  EXPECT_TRUE(refused([](auto& r) { r.channels[0].s3_uri = "s3:/team-bucket/x"; }, "input channel train"));
  EXPECT_TRUE(refused([](auto& r) { r.channels[0].s3_uri = "https://team-bucket/x"; }, "input channel train"));
  EXPECT_TRUE(refused([](auto& r) { r.channels.push_back(r.channels[0]); }, "appears twice"));
  EXPECT_TRUE(refused([](auto& r) { r.output_path = "team-bucket/out"; }, "output path"));
  EXPECT_TRUE(refused([](auto& r) { r.name = "-leading"; }, "name"));
  EXPECT_TRUE(refused([](auto& r) { r.name = std::string(64, 'a'); }, "name"));
  EXPECT_TRUE(refused([](auto& r) { r.role_arn = "SageMakerRole"; }, "role"));
  EXPECT_TRUE(refused([](auto& r) { r.spot = true; }, "max wait"));
  EXPECT_TRUE(refused([](auto& r) { r.spot = true; r.max_wait_seconds = 60; r.max_runtime_seconds = 120; }, "max wait"));
  EXPECT_TRUE(refused([](auto& r) { r.max_wait_seconds = 60; }, "max wait"));
  EXPECT_TRUE(refused([](auto& r) { r.checkpoint_s3_uri = "s3://"; }, "checkpoint"));
  EXPECT_TRUE(refused([](auto& r) { r.mpi = sm::MpiSettings{.processes_per_host = 0}; }, "MPI"));
  EXPECT_TRUE(refused([](auto& r) { r.mpi = sm::MpiSettings{}; r.hyperparameters["sagemaker_mpi_enabled"] = "false"; },
                      "sagemaker_mpi_enabled"));
  EXPECT_TRUE(refused([](auto& r) { r.metric_definitions = {{"loss", "loss=([0-9"}}; }, "regular expression"));
  EXPECT_TRUE(refused([](auto& r) { r.environment["1BAD"] = "x"; }, "environment"));
  EXPECT_TRUE(refused([](auto& r) { r.subnets = {"subnet-1"}; }, "VPC"));
  EXPECT_TRUE(refused([](auto& r) { r.hyperparameters["k"] = std::string(2501, 'x'); }, "2500"));
}

// Names and instance types are checked with std::regex, whose executor recurses once per
// character a repetition consumes: a long input must be refused by its length first, not
// overflow the stack (a job name of 'a', 100,000 '-' and 'b' did, exit 139).
TEST(SageMakerValidate, LongNamesAreRefusedNotACrash) {
  const std::string long_name = "a" + std::string(100000, '-') + "b";
  auto r = minimal();
  r.name = long_name;
  auto named = sm::validate(r);
  ASSERT_FALSE(named.ok());
  EXPECT_EQ(named.error().kind, ErrorKind::kInvalidArgument);
  r = minimal();
  r.instance_type = "ml." + std::string(100000, 'p') + ".xlarge";
  auto typed = sm::validate(r);
  ASSERT_FALSE(typed.ok());
  EXPECT_NE(typed.error().message.find("instance type"), std::string::npos);

  Harness h;
  sm::SageMakerClient client(h.config);
  auto described = client.describe_training_job(long_name);
  ASSERT_FALSE(described.ok());
  EXPECT_EQ(described.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_FALSE(client.stop_training_job(long_name).ok());
  EXPECT_EQ(h.transport->request_count(), 0u);
}

TEST(SageMakerClient, CreateSendsEverySettingAndNothingWhenInvalid) {
  Harness h;
  h.transport->push(200, R"({"TrainingJobArn":"arn:aws:sagemaker:us-west-2:123456789012:training-job/maskrcnn-1"})");
  sm::SageMakerClient client(h.config);
  auto bad = minimal();
  bad.instance_count = 0;
  EXPECT_EQ(client.create_training_job(bad).error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(h.transport->request_count(), 0u);

  auto arn = client.create_training_job(everything());
  ASSERT_TRUE(arn.ok()) << arn.error().to_string();
  EXPECT_EQ(*arn, "arn:aws:sagemaker:us-west-2:123456789012:training-job/maskrcnn-1");
  auto req = h.last();
  EXPECT_EQ(req.url(), "https://api.sagemaker.us-west-2.amazonaws.com/");
  EXPECT_EQ(req.headers.get("X-Amz-Target"), "SageMaker.CreateTrainingJob");
  EXPECT_EQ(
      req.body,
      R"j({"TrainingJobName":"maskrcnn-1","HyperParameters":{"epochs":"24","lr":"0.02","sagemaker_mpi_custom_mpi_options":)j"
      R"j("-x NCCL_DEBUG=INFO --mca btl_tcp_if_exclude lo","sagemaker_mpi_enabled":"true",)j"
      R"j("sagemaker_mpi_num_of_processes_per_host":"8"},"AlgorithmSpecification":{"TrainingImage":)j"
      R"j("123456789012.dkr.ecr.us-west-2.amazonaws.com/maskrcnn:v1","TrainingInputMode":"Pipe","MetricDefinitions":)j"
      R"j([{"Name":"loss","Regex":"loss=([0-9.]+)"},{"Name":"mAP","Regex":"mAP: ([0-9.]+)"}]},"RoleArn":)j"
      R"j("arn:aws:iam::123456789012:role/SageMakerRole","InputDataConfig":[{"ChannelName":"train","DataSource":)j"
      R"j({"S3DataSource":{"S3DataType":"S3Prefix","S3Uri":"s3://team-bucket/coco/train/","S3DataDistributionType":)j"
      R"j("FullyReplicated"}}},{"ChannelName":"val","DataSource":{"S3DataSource":{"S3DataType":"S3Prefix","S3Uri":)j"
      R"j("s3://team-bucket/coco/val/","S3DataDistributionType":"ShardedByS3Key"}},"ContentType":"application/x-tar",)j"
      R"j("CompressionType":"Gzip","InputMode":"FastFile"}],"OutputDataConfig":{"KmsKeyId":"alias/output",)j"
      R"j("S3OutputPath":"s3://team-bucket/output/"},"ResourceConfig":{"InstanceType":"ml.p4d.24xlarge",)j"
      R"j("InstanceCount":4,"VolumeSizeInGB":500,"VolumeKmsKeyId":"alias/volumes"},"VpcConfig":{"SecurityGroupIds":)j"
      R"j(["sg-0a1b2c3d"],"Subnets":["subnet-0a1b2c3d"]},"StoppingCondition":{"MaxRuntimeInSeconds":7200,)j"
      R"j("MaxWaitTimeInSeconds":14400},"Tags":[{"Key":"project","Value":"maskrcnn"}],"EnableNetworkIsolation":true,)j"
      R"j("EnableInterContainerTrafficEncryption":true,"EnableManagedSpotTraining":true,"CheckpointConfig":)j"
      R"j({"S3Uri":"s3://team-bucket/checkpoints/maskrcnn-1/","LocalPath":"/opt/ml/checkpoints"},"Environment":)j"
      R"j({"NCCL_DEBUG":"INFO"},"RetryStrategy":{"MaximumRetryAttempts":2}})j");
}

TEST(SageMakerClient, DescribeDecodesEverySettingBack) {
  // The service echoes the request's members; decoding them gives back the request (tags
  // aside, which DescribeTrainingJob does not return).
  auto want = everything();
  auto body = internal::create_training_job_body(want);
  auto doc = internal::JsonDocument::parse(body);
  ASSERT_TRUE(doc.ok());
  std::string answer = body.substr(0, body.size() - 1) +
                       R"(,"TrainingJobArn":"arn:aws:sagemaker:us-west-2:123456789012:training-job/maskrcnn-1",)"
                       R"("TrainingJobStatus":"Failed","SecondaryStatus":"Failed","FailureReason":"AlgorithmError: boom",)"
                       R"("ModelArtifacts":{"S3ModelArtifacts":"s3://team-bucket/output/maskrcnn-1/output/model.tar.gz"},)"
                       R"("CreationTime":1.7E9,"SecondaryStatusTransitions":[{"Status":"Starting","StartTime":1.7E9,)"
                       R"("EndTime":1.70000001E9,"StatusMessage":"Preparing the instances for training"},)"
                       R"({"Status":"Failed","StartTime":1.70000001E9,"StatusMessage":"Training job failed"}],)"
                       R"("TrainingTimeInSeconds":10,"BillableTimeInSeconds":5})";
  Harness h;
  h.transport->push(200, answer);
  auto job = sm::SageMakerClient(h.config).describe_training_job("maskrcnn-1");
  ASSERT_TRUE(job.ok()) << job.error().to_string();
  want.tags.clear();
  EXPECT_TRUE(job->settings == want);
  EXPECT_EQ(job->settings.hyperparameters.size(), 2u);  // the MPI keys went back into mpi
  ASSERT_TRUE(job->settings.mpi.has_value());
  EXPECT_EQ(job->settings.mpi->processes_per_host, 8);
  EXPECT_EQ(job->status, "Failed");
  EXPECT_EQ(job->failure_reason, "AlgorithmError: boom");
  EXPECT_TRUE(job->terminal());
  ASSERT_EQ(job->transitions.size(), 2u);
  EXPECT_EQ(job->transitions[0].message, "Preparing the instances for training");
  EXPECT_TRUE(job->transitions[0].end_time.has_value());
  EXPECT_FALSE(job->transitions[1].end_time.has_value());
  EXPECT_EQ(job->billable_time_seconds, 5);
  EXPECT_EQ(h.last().body, R"({"TrainingJobName":"maskrcnn-1"})");
}

TEST(SageMakerClient, ResourceInUseFromOurOwnLostAttemptIsTheJob) {
  auto want = minimal();
  auto body = internal::create_training_job_body(want);
  auto describe = [&](const std::string& created) {
    return body.substr(0, body.size() - 1) + R"(,"TrainingJobArn":"arn:aws:sagemaker:us-west-2:123456789012:training-job/maskrcnn-1",)" +
           R"("TrainingJobStatus":"InProgress","SecondaryStatus":"Starting","CreationTime":)" + created + "}";
  };
  const std::string in_use = R"({"__type":"ResourceInUse","message":"Training job names must be unique"})";
  Harness h;  // the manual clock is at 1700000000
  h.transport->push(400, in_use);
  h.transport->push(200, describe("1699999990"));
  auto arn = sm::SageMakerClient(h.config).create_training_job(want);
  ASSERT_TRUE(arn.ok()) << arn.error().to_string();
  EXPECT_EQ(*arn, "arn:aws:sagemaker:us-west-2:123456789012:training-job/maskrcnn-1");

  Harness old;  // the same settings, but made an hour ago: a real conflict
  old.transport->push(400, in_use);
  old.transport->push(200, describe("1699996400"));
  EXPECT_EQ(sm::SageMakerClient(old.config).create_training_job(want).error().code, "ResourceInUse");

  Harness other;  // made now, with other settings
  other.transport->push(400, in_use);
  other.transport->push(200, describe("1700000000"));
  auto changed = want;
  changed.volume_size_gb = 31;
  EXPECT_EQ(sm::SageMakerClient(other.config).create_training_job(changed).error().code, "ResourceInUse");
}

TEST(SageMakerClient, ListFollowsNextTokenUpToMaxItems) {
  Harness h;
  h.transport->push(200, R"({"TrainingJobSummaries":[{"TrainingJobName":"a","TrainingJobArn":"arn:a","CreationTime":1.7E9,"TrainingJobStatus":"Completed"},)"
                         R"({"TrainingJobName":"b","TrainingJobArn":"arn:b","CreationTime":1.7E9,"TrainingJobStatus":"InProgress"}],"NextToken":"t2"})");
  h.transport->push(200, R"({"TrainingJobSummaries":[{"TrainingJobName":"c","TrainingJobArn":"arn:c","CreationTime":1.7E9,"TrainingJobStatus":"Failed"}]})");
  sm::SageMakerClient client(h.config);
  auto all = client.list_training_jobs({.name_contains = "mask", .sort_by = "Name", .sort_order = "Ascending", .page_size = 2});
  ASSERT_TRUE(all.ok()) << all.error().to_string();
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[2].name, "c");
  EXPECT_EQ((*all)[1].status, "InProgress");
  auto reqs = h.transport->requests();
  EXPECT_EQ(reqs[0].body, R"({"MaxResults":2,"NameContains":"mask","SortBy":"Name","SortOrder":"Ascending"})");
  EXPECT_EQ(reqs[1].body, R"({"NextToken":"t2","MaxResults":2,"NameContains":"mask","SortBy":"Name","SortOrder":"Ascending"})");

  Harness one;
  one.transport->push(200, R"({"TrainingJobSummaries":[{"TrainingJobName":"a","TrainingJobArn":"arn:a","CreationTime":1,"TrainingJobStatus":"Completed"}],"NextToken":"t2"})");
  auto first = sm::SageMakerClient(one.config).list_training_jobs({.max_items = 1});
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->size(), 1u);
  EXPECT_EQ(one.transport->request_count(), 1u);
}

std::string describe_answer(const std::string& status, const std::vector<std::pair<std::string, std::string>>& transitions,
                            const std::string& reason = {}) {
  std::string t;
  for (std::size_t i = 0; i < transitions.size(); ++i)
    t += std::string(i ? "," : "") + R"({"Status":")" + transitions[i].first + R"(","StartTime":)" + std::to_string(1700000000 + i) +
         R"(,"StatusMessage":")" + transitions[i].second + "\"}";
  return R"({"TrainingJobName":"maskrcnn-1","TrainingJobArn":"arn:x","TrainingJobStatus":")" + status +
         R"(","SecondaryStatus":")" + transitions.back().first + R"(","CreationTime":1.7E9,)" +
         (reason.empty() ? "" : R"("FailureReason":")" + reason + "\",") + R"("SecondaryStatusTransitions":[)" + t + "]}";
}

TEST(SageMakerWaiter, ReportsEachTransitionOnceAndSucceedsOnCompleted) {
  Harness h;
  h.transport->push(200, describe_answer("InProgress", {{"Starting", "Preparing"}}));
  h.transport->push(200, describe_answer("InProgress", {{"Starting", "Preparing"}, {"Training", "Downloading image"}}));
  h.transport->push(200, describe_answer("InProgress", {{"Starting", "Preparing"}, {"Training", "Training in progress"}}));
  h.transport->push(200, describe_answer("Completed", {{"Starting", "Preparing"}, {"Training", "Training in progress"},
                                                       {"Completed", "Training job completed"}}));
  std::vector<std::string> seen;
  std::vector<WaitProgress> progress;
  WaitOptions w;
  w.delay = 10s;
  w.on_progress = [&](const WaitProgress& p) { progress.push_back(p); };
  auto job = sm::SageMakerClient(h.config).wait_until_completed_or_stopped(
      "maskrcnn-1", w, [&](const sm::SecondaryStatusTransition& t) { seen.push_back(t.status + ":" + t.message); });
  ASSERT_TRUE(job.ok()) << job.error().to_string();
  EXPECT_EQ(job->status, "Completed");
  EXPECT_EQ(seen, (std::vector<std::string>{"Starting:Preparing", "Training:Downloading image",
                                            "Training:Training in progress", "Completed:Training job completed"}));
  ASSERT_EQ(progress.size(), 4u);
  EXPECT_EQ(progress[1].state, "InProgress/Training: Downloading image");
  EXPECT_EQ(progress[0].max_attempts, 180);
  EXPECT_EQ(h.clock->total_slept(), 10s + 15s + 22500ms);  // 1.5x backoff, capped at 4x
}

TEST(SageMakerWaiter, FailedJobEndsWithItsReason) {
  Harness h;
  h.transport->push(200, describe_answer("InProgress", {{"Training", "Training in progress"}}));
  h.transport->push(200, describe_answer("Failed", {{"Training", "Training in progress"}, {"Failed", "Training job failed"}},
                                         "AlgorithmError: CUDA out of memory"));
  WaitOptions w;
  w.delay = 1s;
  auto job = sm::SageMakerClient(h.config).wait_until_completed_or_stopped("maskrcnn-1", w);
  ASSERT_FALSE(job.ok());
  EXPECT_EQ(job.error().code, "WaiterFailure");
  EXPECT_NE(job.error().message.find("AlgorithmError: CUDA out of memory"), std::string::npos) << job.error().message;

  Harness missing;
  missing.transport->push(400, R"({"__type":"ValidationException","message":"Requested resource not found."})");
  auto gone = sm::SageMakerClient(missing.config).wait_until_completed_or_stopped("maskrcnn-1", w);
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().code, "WaiterFailure");

  Harness slow;
  slow.always_answer(describe_answer("InProgress", {{"Training", "Training in progress"}}));
  WaitOptions bounded;
  bounded.delay = 1s;
  bounded.max_attempts = 5;
  auto timeout = sm::SageMakerClient(slow.config).wait_until_completed_or_stopped("maskrcnn-1", bounded);
  ASSERT_FALSE(timeout.ok());
  EXPECT_EQ(timeout.error().code, "WaiterTimeout");
  EXPECT_EQ(slow.transport->request_count(), 5u);
}

TEST(SageMakerFollow, PollsAtTheIntervalUntilTheJobEndsThenReadsTheLogsOnceMore) {
  Harness h;
  std::vector<std::string> describes = {
      describe_answer("InProgress", {{"Starting", "Preparing"}}),
      describe_answer("InProgress", {{"Starting", "Preparing"}, {"Training", "Training in progress"}}),
      describe_answer("Completed", {{"Starting", "Preparing"}, {"Training", "Training in progress"},
                                    {"Completed", "Training job completed"}})};
  std::size_t next = 0;
  int log_reads = 0;
  h.transport->set_handler([&](const http::Request& r) -> Result<http::Response> {
    http::Response resp;
    resp.status = 200;
    if (r.headers.get("X-Amz-Target") == "SageMaker.DescribeTrainingJob") {
      resp.body = describes[std::min(next++, describes.size() - 1)];
    } else {
      ++log_reads;  // no streams yet
      resp.body = R"({"logStreams":[]})";
    }
    return resp;
  });
  std::vector<std::string> seen;
  sm::FollowJobOptions o;
  o.poll_interval = 5s;
  o.on_transition = [&](const sm::SecondaryStatusTransition& t) { seen.push_back(t.status); };
  auto job = sm::follow_training_job(sm::SageMakerClient(h.config), logs::LogsClient(h.config), "maskrcnn-1",
                                     h.config.runtime, o);
  ASSERT_TRUE(job.ok()) << job.error().to_string();
  EXPECT_EQ(job->status, "Completed");
  EXPECT_EQ(next, 3u);
  EXPECT_EQ(log_reads, 3);  // after each status, the last one after the job ended
  EXPECT_EQ(seen, (std::vector<std::string>{"Starting", "Training", "Completed"}));
  EXPECT_EQ(h.clock->total_slept(), 10s);  // a fixed interval, not growing
}

TEST(SageMakerFollow, TheDeadlineEndsTheFollowWithTheLastStatusAndCancellationStopsIt) {
  Harness h;
  h.transport->set_handler([](const http::Request&) -> Result<http::Response> {
    http::Response r;
    r.status = 200;
    r.body = describe_answer("InProgress", {{"Training", "Training in progress"}});
    return r;
  });
  sm::FollowJobOptions o;
  o.poll_interval = 5s;
  o.logs = false;
  o.deadline = Deadline::after(12s, *h.clock);
  auto job = sm::follow_training_job(sm::SageMakerClient(h.config), logs::LogsClient(h.config), "maskrcnn-1",
                                     h.config.runtime, o);
  ASSERT_FALSE(job.ok());
  EXPECT_EQ(job.error().code, "WaiterTimeout");
  EXPECT_NE(job.error().message.find("InProgress/Training"), std::string::npos) << job.error().message;
  EXPECT_EQ(h.transport->request_count(), 3u);
  EXPECT_EQ(h.clock->total_slept(), 12s);  // 5 s, 5 s, then what was left

  CancellationSource cancel;
  cancel.cancel();
  o.deadline = {};
  o.cancel = cancel.token();
  auto stopped = sm::follow_training_job(sm::SageMakerClient(h.config), logs::LogsClient(h.config), "maskrcnn-1",
                                         h.config.runtime, o);
  ASSERT_FALSE(stopped.ok());
  EXPECT_EQ(stopped.error().kind, ErrorKind::kCancelled);
  EXPECT_EQ(h.transport->request_count(), 3u);
}

}  // namespace
}  // namespace awsdl
