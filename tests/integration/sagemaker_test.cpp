// SageMaker training jobs against the sandbox, whose jobs move through their secondary
// statuses on a fast clock: every setting round-trips through DescribeTrainingJob, the
// waiter reports each transition, an injected failure surfaces its FailureReason, a stop
// ends Stopped, and ListTrainingJobs pages.
#include <gtest/gtest.h>

#include <set>

#include "awsdl/sagemaker/sagemaker.hpp"
#include "support/sandbox.hpp"

using namespace awsdl;
using awsdl::testsupport::Sandbox;
namespace sm = awsdl::sagemaker;

namespace {

class SageMakerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(sandbox_.ok()) << sandbox_.error();
    ASSERT_TRUE(sandbox_.reset());
    ASSERT_TRUE(sandbox_.control("POST", "/_sandbox/services/sagemaker/config",
                                 R"({"step_seconds":0.15,"training_seconds":0.6,"line_seconds":0.1})")
                    .ok());
  }

  static sm::TrainingJobRequest job(const std::string& name) {
    sm::TrainingJobRequest r;
    r.name = name;
    r.image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/maskrcnn:v1";
    r.role_arn = "arn:aws:iam::123456789012:role/SageMakerRole";
    r.channels = {{.name = "train", .s3_uri = "s3://team-bucket/coco/train/"}};
    r.output_path = "s3://team-bucket/output/";
    return r;
  }
  static WaitOptions fast() {
    WaitOptions w;
    w.delay = Millis(100);
    w.max_delay = Millis(100);
    w.max_attempts = 200;
    return w;
  }

  Sandbox sandbox_;
};

TEST_F(SageMakerTest, EverySettingRoundTripsThroughDescribe) {
  auto r = job("maskrcnn-all-settings");
  r.instance_type = "ml.p4d.24xlarge";
  r.instance_count = 2;
  r.volume_size_gb = 200;
  r.volume_kms_key = "alias/volumes";
  r.max_runtime_seconds = 7200;
  r.input_mode = sm::InputMode::kFastFile;
  r.channels.push_back({.name = "val",
                        .s3_uri = "s3://team-bucket/coco/val/",
                        .distribution = sm::S3DataDistribution::kShardedByS3Key,
                        .input_mode = sm::InputMode::kPipe,
                        .content_type = "application/x-tar",
                        .compression = "Gzip"});
  r.output_kms_key = "alias/output";
  r.hyperparameters = {{"epochs", "24"}, {"lr", "0.02"}, {"json", R"({"a": [1, 2]})"}};
  r.metric_definitions = {{"loss", "loss=([0-9.]+)"}, {"mAP", "mAP: ([0-9.]+)"}};
  r.environment = {{"NCCL_DEBUG", "INFO"}, {"HOROVOD_FUSION_THRESHOLD", "67108864"}};
  r.mpi = sm::MpiSettings{.processes_per_host = 8, .custom_mpi_options = "-x NCCL_DEBUG=INFO --mca btl_tcp_if_exclude lo,docker0"};
  r.spot = true;
  r.max_wait_seconds = 14400;
  r.checkpoint_s3_uri = "s3://team-bucket/checkpoints/maskrcnn/";
  r.checkpoint_local_path = "/opt/ml/checkpoints";
  r.subnets = {"subnet-0a1b2c3d4e5f60718"};
  r.security_group_ids = {"sg-0a1b2c3d4e5f60718"};
  r.network_isolation = true;
  r.inter_container_traffic_encryption = true;
  r.max_retry_attempts = 3;
  r.tags = {{"project", "maskrcnn"}};

  sm::SageMakerClient client(sandbox_.config());
  auto arn = client.create_training_job(r);
  ASSERT_TRUE(arn.ok()) << arn.error().to_string();
  EXPECT_EQ(*arn, "arn:aws:sagemaker:us-east-1:123456789012:training-job/maskrcnn-all-settings");
  auto d = client.describe_training_job(r.name);
  ASSERT_TRUE(d.ok()) << d.error().to_string();
  auto want = r;
  want.tags.clear();  // not part of DescribeTrainingJob
  EXPECT_TRUE(d->settings == want);
  EXPECT_EQ(d->settings.hyperparameters, r.hyperparameters);
  EXPECT_EQ(d->settings.channels, r.channels);
  EXPECT_EQ(d->settings.mpi, r.mpi);
  EXPECT_EQ(d->settings.max_wait_seconds, r.max_wait_seconds);
  EXPECT_EQ(d->model_artifacts, "s3://team-bucket/output/maskrcnn-all-settings/output/model.tar.gz");
  EXPECT_TRUE(d->creation_time.has_value());

  // The same name again with other settings: the service refuses it.
  auto changed = r;
  changed.volume_size_gb = 100;
  auto dup = client.create_training_job(changed);
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code, "ResourceInUse");
}

TEST_F(SageMakerTest, RetryAfterALostAnswerReturnsTheJobItMade) {
  auto config = sandbox_.config();
  config.retry.base_delay = Millis(10);
  sm::SageMakerClient client(config);
  // The first attempt is executed, then its connection is reset before the answer.
  ASSERT_TRUE(sandbox_.set_faults(R"([{"service":"sagemaker","operation":"CreateTrainingJob","kind":"reset","when":"after","count":1}])"));
  auto arn = client.create_training_job(job("lost-answer"));
  ASSERT_TRUE(arn.ok()) << arn.error().to_string();
  EXPECT_EQ(*arn, "arn:aws:sagemaker:us-east-1:123456789012:training-job/lost-answer");
  auto log = sandbox_.requests();
  ASSERT_TRUE(log.ok());
  int creates = 0;
  for (const auto& r : *log) creates += r.operation == "CreateTrainingJob";
  EXPECT_EQ(creates, 2);  // really retried
  auto listed = client.list_training_jobs({.name_contains = "lost-answer"});
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 1u);

  // The same name with other settings is a real conflict.
  auto other = job("lost-answer");
  other.instance_count = 3;
  auto conflict = client.create_training_job(other);
  ASSERT_FALSE(conflict.ok());
  EXPECT_EQ(conflict.error().code, "ResourceInUse");
}

TEST_F(SageMakerTest, WaiterReportsTransitionsThenCompletes) {
  sm::SageMakerClient client(sandbox_.config());
  ASSERT_TRUE(client.create_training_job(job("wait-complete")).ok());
  std::vector<std::string> seen;
  int progress = 0;
  auto w = fast();
  w.on_progress = [&](const WaitProgress&) { ++progress; };
  auto done = client.wait_until_completed_or_stopped(
      "wait-complete", w, [&](const sm::SecondaryStatusTransition& t) { seen.push_back(t.status); });
  ASSERT_TRUE(done.ok()) << done.error().to_string();
  EXPECT_EQ(done->status, "Completed");
  EXPECT_EQ(seen, (std::vector<std::string>{"Starting", "Downloading", "Training", "Uploading", "Completed"}));
  EXPECT_GE(progress, 3);  // it really polled while the job ran
  ASSERT_EQ(done->transitions.size(), 5u);
  for (std::size_t i = 0; i + 1 < done->transitions.size(); ++i)
    EXPECT_EQ(done->transitions[i].end_time, done->transitions[i + 1].start_time) << i;
  EXPECT_TRUE(done->training_end_time.has_value());
  EXPECT_GE(done->training_time_seconds, 1);
}

TEST_F(SageMakerTest, InjectedFailureSurfacesItsReason) {
  ASSERT_TRUE(sandbox_.control("POST", "/_sandbox/services/sagemaker/fail",
                               R"({"job":"wait-fail","reason":"AlgorithmError: CUDA out of memory, exit status 1"})")
                  .ok());
  sm::SageMakerClient client(sandbox_.config());
  ASSERT_TRUE(client.create_training_job(job("wait-fail")).ok());
  std::vector<std::string> seen;
  auto done = client.wait_until_completed_or_stopped("wait-fail", fast(),
                                                     [&](const sm::SecondaryStatusTransition& t) { seen.push_back(t.status); });
  ASSERT_FALSE(done.ok());
  EXPECT_EQ(done.error().code, "WaiterFailure");
  EXPECT_NE(done.error().message.find("AlgorithmError: CUDA out of memory, exit status 1"), std::string::npos)
      << done.error().message;
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back(), "Failed");
  EXPECT_EQ(std::count(seen.begin(), seen.end(), "Uploading"), 0);
  auto d = client.describe_training_job("wait-fail");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->status, "Failed");
  EXPECT_EQ(d->failure_reason, "AlgorithmError: CUDA out of memory, exit status 1");
}

TEST_F(SageMakerTest, StopEndsStoppedAndUnknownJobsAreErrors) {
  ASSERT_TRUE(sandbox_.control("POST", "/_sandbox/services/sagemaker/config", R"({"training_seconds":30})").ok());
  sm::SageMakerClient client(sandbox_.config());
  ASSERT_TRUE(client.create_training_job(job("to-stop")).ok());
  ASSERT_TRUE(client.stop_training_job("to-stop").ok());
  auto d = client.describe_training_job("to-stop");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->status, "Stopping");
  auto done = client.wait_until_completed_or_stopped("to-stop", fast());
  ASSERT_TRUE(done.ok()) << done.error().to_string();
  EXPECT_EQ(done->status, "Stopped");
  EXPECT_EQ(done->transitions.back().status, "Stopped");
  auto again = client.stop_training_job("to-stop");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, "ValidationException");

  auto missing = client.describe_training_job("no-such-job");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "ValidationException");
  auto waited = client.wait_until_completed_or_stopped("no-such-job", fast());
  ASSERT_FALSE(waited.ok());
  EXPECT_EQ(waited.error().code, "WaiterFailure");
}

TEST_F(SageMakerTest, ListPagesThroughEveryJob) {
  sm::SageMakerClient client(sandbox_.config());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(client.create_training_job(job("list-" + std::to_string(i))).ok());
  ASSERT_TRUE(client.create_training_job(job("other-job")).ok());
  ASSERT_TRUE(sandbox_.clear_requests());
  auto listed = client.list_training_jobs({.name_contains = "list", .sort_by = "Name", .sort_order = "Ascending", .page_size = 2});
  ASSERT_TRUE(listed.ok()) << listed.error().to_string();
  ASSERT_EQ(listed->size(), 5u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ((*listed)[i].name, "list-" + std::to_string(i));
  auto log = sandbox_.requests();
  ASSERT_TRUE(log.ok());
  EXPECT_EQ(log->size(), 3u);  // 2 + 2 + 1
  auto limited = client.list_training_jobs({.page_size = 2, .max_items = 3});
  ASSERT_TRUE(limited.ok());
  EXPECT_EQ(limited->size(), 3u);
}

TEST_F(SageMakerTest, BadInputIsRefusedBeforeAnyCall) {
  sm::SageMakerClient client(sandbox_.config());
  ASSERT_TRUE(sandbox_.clear_requests());
  auto no_tag = job("bad-1");
  no_tag.image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/maskrcnn";
  auto zero = job("bad-2");
  zero.instance_count = 0;
  auto type = job("bad-3");
  type.instance_type = "p3.16xlarge";
  auto uri = job("bad-4");
  uri.channels[0].s3_uri = "s3//team-bucket/coco";
  for (const auto& r : {no_tag, zero, type, uri}) {
    auto arn = client.create_training_job(r);
    ASSERT_FALSE(arn.ok()) << r.name;
    EXPECT_EQ(arn.error().kind, ErrorKind::kInvalidArgument) << r.name;
  }
  auto log = sandbox_.requests();
  ASSERT_TRUE(log.ok());
  EXPECT_TRUE(log->empty());
}

}  // namespace
