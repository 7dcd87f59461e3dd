// awsdl-sagemaker against moto: train (the request moto stored is the one the flags describe,
// as boto3 reads it back), describe (what the program prints is what moto answers), logs and
// train --wait (every host's CloudWatch lines, in order), stop.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "support/moto.hpp"
#include "support/run_process.hpp"
#include "support/tar_test_support.hpp"

namespace {

using awsdl::testsupport::Moto;
namespace fs = std::filesystem;

const std::string kBinary = std::string(AWSDL_BINARY_DIR) + "/examples/sagemaker/awsdl-sagemaker";
const std::string kRole = "arn:aws:iam::123456789012:role/SageMakerRole";
const std::string kLogGroup = "/aws/sagemaker/TrainingJobs";

rapidjson::Document parse(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse(text.c_str());
  return doc;
}

class SageMakerConformance : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(moto.ok()) << moto.error();
    ASSERT_TRUE(fs::exists(kBinary)) << kBinary << " is not built";
    ASSERT_TRUE(moto.reset());
  }

  awsdl::testsupport::ProcessResult cli(const std::vector<std::string>& args) const {
    return awsdl::testsupport::run_process(kBinary, args, moto.cli_env(tmp.path().string()), std::chrono::seconds(60));
  }
  static std::vector<std::string> train_args(const std::string& name) {
    return {"train", "--job-name", name, "--image", "train:v1", "--role", kRole,
            "--input", "train=s3://team-bucket/coco/train/", "--input", "val=s3://team-bucket/coco/val/",
            "--distribution", "train=ShardedByS3Key", "--output-path", "s3://team-bucket/output/",
            "--instance-type", "ml.g5.12xlarge", "--instance-count", "2", "--volume-size", "50", "--max-run", "7200",
            "--hyperparameter", "epochs=3", "--metric", "loss=loss=([0-9.]+)", "--mpi-processes-per-host", "4"};
  }

  // What SageMaker's hosts write: `lines` lines per host in streams JOB/algo-N-<epoch>, the
  // hosts' lines interleaved in time. moto's SageMaker runs nothing and writes no log, so the
  // test writes them with boto3.
  void write_logs(const std::string& job, int hosts, int lines) {
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch()).count();
    std::string calls = R"([["logs","create_log_group",{"logGroupName":")" + kLogGroup + R"("}])";
    for (int h = 1; h <= hosts; ++h) {
      const std::string stream = job + "/algo-" + std::to_string(h) + "-1700000000";
      calls += R"(,["logs","create_log_stream",{"logGroupName":")" + kLogGroup + R"(","logStreamName":")" + stream + "\"}]";
      std::string events;
      for (int i = 0; i < lines; ++i)
        events += std::string(i ? "," : "") + R"({"timestamp":)" + std::to_string(now - 60000 + i * 10 + h) +
                  R"(,"message":"algo-)" + std::to_string(h) + ": line " + std::to_string(i) + "\"}";
      calls += R"(,["logs","put_log_events",{"logGroupName":")" + kLogGroup + R"(","logStreamName":")" + stream +
               R"(","logEvents":[)" + events + "]}]";
    }
    calls += "]";
    auto done = moto.call("-", "-", calls);
    ASSERT_TRUE(done.ok()) << done.error().to_string();
    for (const auto& r : (**done).GetArray()) {
      // The group exists after the first job's logs: that is fine.
      if (r.HasMember("error")) {
        ASSERT_STREQ(r["error"]["code"].GetString(), "ResourceAlreadyExistsException");
      }
    }
  }

  // The lines `out` printed for `host` ("[algo-1-...] algo-1: line 3"), as line numbers.
  static std::vector<int> lines_of(const std::string& out, int host) {
    std::vector<int> numbers;
    const std::string prefix = "[algo-" + std::to_string(host) + "-1700000000] algo-" + std::to_string(host) + ": line ";
    for (auto at = out.find(prefix); at != std::string::npos; at = out.find(prefix, at + 1))
      numbers.push_back(std::stoi(out.substr(at + prefix.size())));
    return numbers;
  }

  Moto moto;
  awsdl::testing_support::ScratchDir tmp;
};

TEST_F(SageMakerConformance, TrainDescribeAndLogs) {
  auto train = cli(train_args("moto-train"));
  ASSERT_EQ(train.exit_code, 0) << train.out << train.err;
  EXPECT_EQ(train.out, "created training job moto-train\narn:aws:sagemaker:us-east-1:123456789012:training-job/moto-train\n");

  // What moto stored, read by boto3: the request the flags describe.
  auto stored = moto.call("sagemaker", "describe_training_job", R"({"TrainingJobName":"moto-train"})");
  ASSERT_TRUE(stored.ok()) << stored.error().to_string();
  ASSERT_TRUE((**stored).HasMember("ok")) << "boto3 describe_training_job failed";
  const auto& job = (**stored)["ok"];
  // A short image name is this account's ECR (the account from STS GetCallerIdentity).
  EXPECT_STREQ(job["AlgorithmSpecification"]["TrainingImage"].GetString(),
               "123456789012.dkr.ecr.us-east-1.amazonaws.com/train:v1");
  EXPECT_STREQ(job["AlgorithmSpecification"]["TrainingInputMode"].GetString(), "File");
  EXPECT_EQ(job["RoleArn"].GetString(), kRole);
  EXPECT_STREQ(job["ResourceConfig"]["InstanceType"].GetString(), "ml.g5.12xlarge");
  EXPECT_EQ(job["ResourceConfig"]["InstanceCount"].GetInt(), 2);
  EXPECT_EQ(job["ResourceConfig"]["VolumeSizeInGB"].GetInt(), 50);
  EXPECT_EQ(job["StoppingCondition"]["MaxRuntimeInSeconds"].GetInt(), 7200);
  EXPECT_STREQ(job["OutputDataConfig"]["S3OutputPath"].GetString(), "s3://team-bucket/output/");
  ASSERT_EQ(job["InputDataConfig"].Size(), 2u);
  EXPECT_STREQ(job["InputDataConfig"][0]["ChannelName"].GetString(), "train");
  EXPECT_STREQ(job["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"].GetString(),
               "s3://team-bucket/coco/train/");
  EXPECT_STREQ(job["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3DataDistributionType"].GetString(),
               "ShardedByS3Key");
  EXPECT_STREQ(job["InputDataConfig"][1]["ChannelName"].GetString(), "val");
  EXPECT_STREQ(job["HyperParameters"]["epochs"].GetString(), "3");

  // describe prints what moto answers.
  auto d = cli({"describe", "moto-train", "--output", "json"});
  ASSERT_EQ(d.exit_code, 0) << d.err;
  auto doc = parse(d.out);
  ASSERT_FALSE(doc.HasParseError()) << d.out;
  EXPECT_EQ(doc["status"].GetString(), std::string(job["TrainingJobStatus"].GetString()));
  EXPECT_EQ(doc["arn"].GetString(), std::string(job["TrainingJobArn"].GetString()));
  EXPECT_EQ(doc["image"].GetString(), std::string(job["AlgorithmSpecification"]["TrainingImage"].GetString()));
  EXPECT_STREQ(doc["instance_type"].GetString(), "ml.g5.12xlarge");
  EXPECT_EQ(doc["instance_count"].GetInt(), 2);
  EXPECT_EQ(doc["volume_size_gb"].GetInt(), 50);
  EXPECT_EQ(doc["max_runtime_seconds"].GetInt(), 7200);
  ASSERT_EQ(doc["inputs"].Size(), 2u);
  EXPECT_STREQ(doc["inputs"][0]["distribution"].GetString(), "ShardedByS3Key");
  EXPECT_STREQ(doc["inputs"][1]["s3_uri"].GetString(), "s3://team-bucket/coco/val/");
  EXPECT_STREQ(doc["hyperparameters"]["epochs"].GetString(), "3");
  EXPECT_EQ(doc["mpi"]["processes_per_host"].GetInt(), 4);
  EXPECT_EQ(doc["model_artifacts"].GetString(), std::string(job["ModelArtifacts"]["S3ModelArtifacts"].GetString()));
  EXPECT_EQ(doc["transitions"].Size(), job["SecondaryStatusTransitions"].Size());
  if (auto gap = moto.gap("sagemaker_metric_definitions")) {
    std::cout << "[ moto gap ] " << *gap << ": the job's metric definitions are not compared\n";
  } else {
    EXPECT_STREQ(doc["metrics"]["loss"].GetString(), "loss=([0-9.]+)");
  }

  // logs: every host's lines, each once, in order.
  write_logs("moto-train", 2, 12);
  auto l = cli({"logs", "moto-train"});
  ASSERT_EQ(l.exit_code, 0) << l.err;
  for (int host : {1, 2}) {
    auto numbers = lines_of(l.out, host);
    ASSERT_EQ(numbers.size(), 12u) << l.out;
    for (int i = 0; i < 12; ++i) EXPECT_EQ(numbers[static_cast<std::size_t>(i)], i) << l.out;
  }
  auto lj = cli({"logs", "moto-train", "--output", "json"});
  ASSERT_EQ(lj.exit_code, 0) << lj.err;
  EXPECT_NE(lj.out.find(R"({"stream":"moto-train/algo-2-1700000000",)"), std::string::npos) << lj.out;
  EXPECT_NE(lj.out.find(R"("message":"algo-1: line 11"})"), std::string::npos) << lj.out;
}

TEST_F(SageMakerConformance, TrainWaitFollowsTheJobAndItsLogs) {
  write_logs("moto-wait", 1, 5);
  auto args = train_args("moto-wait");
  for (std::string a : {"--wait", "--poll-interval", "0.2"}) args.push_back(a);
  auto r = cli(args);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("training job moto-wait completed; model: s3://team-bucket/output/moto-wait/output/model.tar.gz"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(lines_of(r.out, 1), (std::vector<int>{0, 1, 2, 3, 4})) << r.out;
}

TEST_F(SageMakerConformance, Stop) {
  if (auto gap = moto.gap("sagemaker_stop_training_job")) GTEST_SKIP() << *gap;
  auto t = cli(train_args("moto-stop"));
  ASSERT_EQ(t.exit_code, 0) << t.err;
  auto s = cli({"stop", "moto-stop", "--wait", "--poll-interval", "0.2", "--output", "json"});
  // moto's jobs complete at once: stopping one either stops it or, as AWS does for a job that
  // has ended, is refused with a ValidationException naming it.
  if (s.exit_code == 0) {
    auto doc = parse(s.out);
    ASSERT_FALSE(doc.HasParseError()) << s.out;
    const std::string status = doc["status"].GetString();
    EXPECT_TRUE(status == "Stopped" || status == "Completed") << s.out;
  } else {
    EXPECT_EQ(s.exit_code, 1) << s.err;
    EXPECT_NE(s.err.find("ValidationException"), std::string::npos) << s.err;
    EXPECT_NE(s.err.find("moto-stop"), std::string::npos) << s.err;
  }
}

}  // namespace
