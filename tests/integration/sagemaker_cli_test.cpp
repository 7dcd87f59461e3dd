// `awsdl-sagemaker` run as a program against the sandbox (and a local docker-registry behind
// its ECR): bad input refused with exit 2 before any request, train --wait following status
// and logs to the end, a failed job's reason and exit 1, a config file with flags winning,
// push-image through ECR's token, stop, logs, stage, JSON output and --help.
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <regex>
#include <string>
#include <thread>

#include <signal.h>

#include "awsdl/ecr/ecr.hpp"
#include "awsdl/s3/client.hpp"
#include "support/image_builder.hpp"
#include "support/registry_server.hpp"
#include "support/run_process.hpp"
#include "support/sandbox.hpp"

namespace {

using namespace awsdl;
using testsupport::RegistryServer;
using testsupport::Sandbox;
namespace fs = std::filesystem;

const std::string kBinary = std::string(AWSDL_BINARY_DIR) + "/examples/sagemaker/awsdl-sagemaker";
const std::string kRole = "arn:aws:iam::123456789012:role/SageMakerRole";

class SageMakerCliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/awsdl-smcli-XXXXXX";
    tmp_ = ::mkdtemp(tmpl);
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    fs::remove_all(tmp_, ec);
  }
  void SetUp() override {
    ASSERT_TRUE(sandbox.ok()) << sandbox.error();
    ASSERT_TRUE(fs::exists(kBinary)) << kBinary << " is not built";
    ASSERT_TRUE(sandbox.reset());
    ASSERT_TRUE(sandbox.control("POST", "/_sandbox/services/sagemaker/config",
                                R"({"step_seconds":0.15,"training_seconds":0.8,"line_seconds":0.05})")
                    .ok());
  }

  // Nothing from the test's own environment leaks in: no ~/.aws, no IMDS.
  std::map<std::string, std::string> env() const { return Sandbox::cli_env(tmp_); }
  testsupport::ProcessResult cli(std::vector<std::string> args) const {
    args.push_back("--endpoint-url");
    args.push_back(sandbox.endpoint());
    return testsupport::run_process(kBinary, args, env(), std::chrono::seconds(60));
  }
  static std::vector<std::string> train_args(const std::string& name) {
    return {"train", "--job-name", name, "--image", "train:v1", "--role", kRole, "--input",
            "train=s3://team-bucket/coco/train/", "--output-path", "s3://team-bucket/output/"};
  }
  std::size_t request_count() const {
    auto log = sandbox.requests();
    EXPECT_TRUE(log.ok());
    return log.ok() ? log->size() : 999;
  }

  Sandbox sandbox;
  static std::string tmp_;
};

std::string SageMakerCliTest::tmp_;

TEST_F(SageMakerCliTest, BadInputIsRefusedBeforeAnyCall) {
  struct Case {
    std::vector<std::string> extra;
    std::string needle;
  };
  std::vector<Case> cases = {
      {{"--instance-type", "p3.16xlarge"}, "instance type"},
      {{"--instance-type", "ml.p3"}, "instance type"},
      {{"--instance-count", "0"}, "instance count"},
      {{"--instance-count", "-1"}, "--instance-count"},
      {{"--input", "val=s3:/team-bucket/val/"}, "input channel val"},
      {{"--input", "val=team-bucket/val/"}, "input channel val"},
      {{"--output-path", "s3://"}, "output path"},
      {{"--image", "train"}, "no tag or digest"},
      {{"--image", "123456789012.dkr.ecr.us-east-1.amazonaws.com/train"}, "no tag or digest"},
      {{"--image", "127.0.0.1:5000/train"}, "no tag or digest"},
      {{"--spot"}, "max wait"},
      {{"--input", "no-equals-sign"}, "NAME=VALUE"},
      {{"--distribution", "val=ShardedByS3Key"}, "no --input has"},
      {{"--input-mode", "Stream"}, "File, Pipe or FastFile"},
      {{"--output", "yaml"}, "yaml"},
      {{"--wait", "--poll-interval", "0x10"}, "--poll-interval: must be a number of seconds"},  // not 16 s
      {{"--wait", "--poll-interval", "1e1"}, "--poll-interval: must be a number of seconds"},
      {{"--wait", "--poll-interval", "2,5"}, "--poll-interval: must be a number of seconds"},
  };
  ASSERT_TRUE(sandbox.clear_requests());
  for (const auto& c : cases) {
    auto args = train_args("bad-input");
    if (c.extra[0] == "--image" || c.extra[0] == "--output-path") {  // replace the good value
      auto it = std::find(args.begin(), args.end(), c.extra[0]);
      args.erase(it, it + 2);
    }
    args.insert(args.end(), c.extra.begin(), c.extra.end());
    auto r = cli(args);
    EXPECT_EQ(r.exit_code, 2) << c.needle << "\n" << r.out << r.err;
    EXPECT_NE(r.err.find(c.needle), std::string::npos) << c.needle << "\n" << r.err;
  }
  auto missing = cli({"train", "--job-name", "x", "--image", "train:v1"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("--role"), std::string::npos) << missing.err;
  EXPECT_EQ(request_count(), 0u);  // not one request reached the sandbox
}

// host -> line numbers printed, in order
std::map<std::string, std::vector<int>> printed_lines(const std::string& out) {
  static const std::regex line_re(R"(\[(algo-[0-9]+)-[0-9]+\] algo-[0-9]+: line ([0-9]+):.*)");
  std::map<std::string, std::vector<int>> hosts;
  std::istringstream in(out);
  std::string line;
  std::smatch m;
  while (std::getline(in, line))
    if (std::regex_match(line, m, line_re)) hosts[m[1]].push_back(std::stoi(m[2]));
  return hosts;
}

TEST_F(SageMakerCliTest, TrainWaitFollowsStatusAndLogsToCompletion) {
  auto args = train_args("cli-complete");
  for (std::string a : {"--instance-count", "2", "--mpi-processes-per-host", "8", "--mpi-options", "-x NCCL_DEBUG=INFO",
                        "--hyperparameter", "epochs=3", "--metric", "loss=loss=([0-9.]+)", "--wait", "--poll-interval",
                        "0.2"})
    args.push_back(a);
  auto r = cli(args);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  for (const char* s : {"status: Starting", "status: Downloading", "status: Training", "status: Uploading", "status: Completed"})
    EXPECT_NE(r.err.find(s), std::string::npos) << s << "\n" << r.err;
  EXPECT_NE(r.out.find("training job cli-complete completed; model: s3://team-bucket/output/cli-complete/output/model.tar.gz"),
            std::string::npos)
      << r.out;
  auto hosts = printed_lines(r.out);
  ASSERT_EQ(hosts.size(), 2u) << r.out;
  for (const auto& [host, numbers] : hosts) {
    ASSERT_GE(numbers.size(), 10u) << host;
    for (std::size_t i = 0; i < numbers.size(); ++i) ASSERT_EQ(numbers[i], static_cast<int>(i)) << host << "\n" << r.out;
  }
  EXPECT_NE(r.out.find("algo-1: training complete"), std::string::npos);
  EXPECT_NE(r.out.find("algo-2: training complete"), std::string::npos);

  // The short image name became this account's ECR (STS GetCallerIdentity); describe as JSON.
  auto d = cli({"describe", "cli-complete", "--output", "json"});
  ASSERT_EQ(d.exit_code, 0) << d.err;
  rapidjson::Document doc;
  doc.Parse(d.out.c_str());
  ASSERT_FALSE(doc.HasParseError()) << d.out;
  EXPECT_STREQ(doc["status"].GetString(), "Completed");
  EXPECT_STREQ(doc["image"].GetString(), "123456789012.dkr.ecr.us-east-1.amazonaws.com/train:v1");
  EXPECT_STREQ(doc["instance_type"].GetString(), "ml.p3.16xlarge");  // the notebook's defaults
  EXPECT_EQ(doc["volume_size_gb"].GetInt(), 30);
  EXPECT_STREQ(doc["input_mode"].GetString(), "File");
  EXPECT_STREQ(doc["inputs"][0]["distribution"].GetString(), "FullyReplicated");
  EXPECT_EQ(doc["mpi"]["processes_per_host"].GetInt(), 8);
  EXPECT_STREQ(doc["mpi"]["custom_mpi_options"].GetString(), "-x NCCL_DEBUG=INFO");
  EXPECT_STREQ(doc["metrics"]["loss"].GetString(), "loss=([0-9.]+)");
  EXPECT_EQ(doc["transitions"].Size(), 5u);

  // `logs` afterwards prints the same lines again, once each.
  auto l = cli({"logs", "cli-complete"});
  ASSERT_EQ(l.exit_code, 0) << l.err;
  EXPECT_EQ(printed_lines(l.out), hosts);
}

TEST_F(SageMakerCliTest, LogsFollowReadsARunningJobToTheEnd) {
  auto t = cli(train_args("cli-follow"));
  ASSERT_EQ(t.exit_code, 0) << t.err;
  auto f = cli({"logs", "--follow", "--poll-interval", "0.15", "cli-follow"});
  ASSERT_EQ(f.exit_code, 0) << f.err;
  EXPECT_NE(f.err.find("training job cli-follow: Completed"), std::string::npos) << f.err;
  auto hosts = printed_lines(f.out);
  ASSERT_EQ(hosts.size(), 1u) << f.out;
  const auto& numbers = hosts.begin()->second;
  ASSERT_GE(numbers.size(), 10u);
  for (std::size_t i = 0; i < numbers.size(); ++i) ASSERT_EQ(numbers[i], static_cast<int>(i)) << f.out;
  EXPECT_NE(f.out.find("algo-1: training complete"), std::string::npos) << f.out;
  EXPECT_EQ(cli({"logs", "bad_name!"}).exit_code, 2);
}

TEST_F(SageMakerCliTest, FailedJobExitsOneWithItsReason) {
  ASSERT_TRUE(sandbox.control("POST", "/_sandbox/services/sagemaker/fail",
                              R"({"job":"cli-fail","reason":"AlgorithmError: loss is NaN at step 300"})")
                  .ok());
  auto args = train_args("cli-fail");
  for (std::string a : {"--wait", "--poll-interval", "0.2", "--output", "json"}) args.push_back(a);
  auto r = cli(args);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("error: training job cli-fail failed: AlgorithmError: loss is NaN at step 300"), std::string::npos)
      << r.err;
  // JSON mode: stdout is exactly one document; the logs went to stderr.
  rapidjson::Document doc;
  doc.Parse(r.out.c_str());
  ASSERT_FALSE(doc.HasParseError()) << r.out;
  EXPECT_STREQ(doc["status"].GetString(), "Failed");
  EXPECT_STREQ(doc["failure_reason"].GetString(), "AlgorithmError: loss is NaN at step 300");
  EXPECT_NE(r.err.find("algo-1: AlgorithmError: loss is NaN at step 300"), std::string::npos) << r.err;

  auto d = cli({"describe", "cli-fail"});
  ASSERT_EQ(d.exit_code, 0);
  EXPECT_NE(d.out.find("failure reason    AlgorithmError: loss is NaN at step 300"), std::string::npos) << d.out;
  auto unknown = cli({"describe", "no-such-job"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("Requested resource not found"), std::string::npos) << unknown.err;
}

TEST_F(SageMakerCliTest, ConfigFileWithFlagsWinning) {
  const std::string conf = tmp_ + "/job.conf";
  std::ofstream(conf) << "# maskrcnn defaults\n"
                         "image = 123456789012.dkr.ecr.us-east-1.amazonaws.com/maskrcnn:v2\n"
                         "role = " << kRole << "\n"
                         "instance-type = ml.g5.12xlarge\n"
                         "instance-count = 4\n"
                         "volume-size = 100\n"
                         "max-run = 3600\n"
                         "input = train=s3://team-bucket/coco/train/\n"
                         "input = val=s3://team-bucket/coco/val/\n"
                         "distribution = train=ShardedByS3Key\n"
                         "input-mode = FastFile\n"
                         "output-path = s3://team-bucket/output/\n"
                         "hyperparameter = epochs=24\n"
                         "env = NCCL_DEBUG=INFO\n"
                         "spot\n"
                         "max-wait = 7200\n"
                         "checkpoint-s3-uri = s3://team-bucket/checkpoints/\n"
                         "network-isolation\n";
  auto r = cli({"train", "--config", conf, "--job-name", "cli-config", "--instance-count", "2", "--hyperparameter",
                "lr=0.01", "--output", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto d = cli({"describe", "cli-config", "--output", "json"});
  ASSERT_EQ(d.exit_code, 0) << d.err;
  rapidjson::Document doc;
  doc.Parse(d.out.c_str());
  ASSERT_FALSE(doc.HasParseError()) << d.out;
  EXPECT_STREQ(doc["instance_type"].GetString(), "ml.g5.12xlarge");
  EXPECT_EQ(doc["instance_count"].GetInt(), 2);  // the command line won
  EXPECT_EQ(doc["volume_size_gb"].GetInt(), 100);
  EXPECT_EQ(doc["max_runtime_seconds"].GetInt(), 3600);
  EXPECT_STREQ(doc["input_mode"].GetString(), "FastFile");
  ASSERT_EQ(doc["inputs"].Size(), 2u);
  EXPECT_STREQ(doc["inputs"][0]["distribution"].GetString(), "ShardedByS3Key");
  EXPECT_STREQ(doc["hyperparameters"]["epochs"].GetString(), "24");
  EXPECT_STREQ(doc["hyperparameters"]["lr"].GetString(), "0.01");
  EXPECT_STREQ(doc["environment"]["NCCL_DEBUG"].GetString(), "INFO");
  EXPECT_TRUE(doc["spot"].GetBool());
  EXPECT_EQ(doc["max_wait_seconds"].GetInt(), 7200);

  auto missing = cli({"train", "--config", tmp_ + "/nope.conf"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("cannot read the config file"), std::string::npos) << missing.err;
}

TEST_F(SageMakerCliTest, StopLogsAndHelp) {
  ASSERT_TRUE(sandbox.control("POST", "/_sandbox/services/sagemaker/config", R"({"training_seconds":60})").ok());
  auto t = cli(train_args("cli-stop"));
  ASSERT_EQ(t.exit_code, 0) << t.err;
  EXPECT_NE(t.out.find("arn:aws:sagemaker:us-east-1:123456789012:training-job/cli-stop"), std::string::npos) << t.out;
  ::usleep(700 * 1000);  // into the Training status: some lines written
  auto s = cli({"stop", "cli-stop", "--wait", "--poll-interval", "0.1"});
  ASSERT_EQ(s.exit_code, 0) << s.err;
  EXPECT_NE(s.out.find("training job cli-stop: Stopped"), std::string::npos) << s.out;
  auto l = cli({"logs", "cli-stop", "--output", "json"});
  ASSERT_EQ(l.exit_code, 0) << l.err;
  EXPECT_NE(l.out.find(R"("message":"algo-1: line 0: epoch 0 step 0 loss=1.0000")"), std::string::npos) << l.out;
  EXPECT_NE(l.out.find("received SIGTERM, stopping"), std::string::npos) << l.out;
  auto again = cli({"stop", "cli-stop"});
  EXPECT_EQ(again.exit_code, 1);

  auto help = cli({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  for (const char* c : {"stage", "push-image", "train", "describe", "logs", "stop", "dashboard"})
    EXPECT_NE(help.out.find(std::string("  ") + c + " "), std::string::npos) << c << "\n" << help.out;
  auto train_help = cli({"train", "--help"});
  EXPECT_EQ(train_help.exit_code, 0);
  EXPECT_NE(train_help.out.find("--mpi-processes-per-host"), std::string::npos);
  EXPECT_NE(train_help.out.find("awsdl-sagemaker train --job-name maskrcnn-1"), std::string::npos) << train_help.out;
  EXPECT_EQ(cli({"frobnicate"}).exit_code, 2);
  EXPECT_EQ(cli({"describe"}).exit_code, 2);
}

TEST_F(SageMakerCliTest, HelpNotesRepeatableFlagsOnce) {
  for (const char* c : {"stage", "push-image", "train", "describe", "logs", "stop", "dashboard"}) {
    auto help = cli({c, "--help"});
    EXPECT_EQ(help.exit_code, 0) << c;
    EXPECT_EQ(help.out.find("(repeatable) (repeatable)"), std::string::npos) << c << "\n" << help.out;
    EXPECT_EQ(help.out.find("repeatable, "), std::string::npos) << c << "\n" << help.out;
  }
  auto train = cli({"train", "--help"});
  EXPECT_NE(train.out.find("input channel from an S3 prefix (repeatable)\n"), std::string::npos) << train.out;
  EXPECT_NE(train.out.find("VPC subnet (with --security-group) (repeatable)\n"), std::string::npos) << train.out;
}

TEST_F(SageMakerCliTest, PushImageThroughEcrAndStageIntoAChannel) {
  RegistryServer registry;
  ASSERT_TRUE(registry.ok()) << registry.error();
  ASSERT_TRUE(sandbox.control("POST", "/_sandbox/services/ecr/registry",
                              R"({"endpoint":"http://)" + registry.host() + R"(","username":")" + RegistryServer::kUser +
                                  R"(","password":")" + RegistryServer::kPassword + "\"}")
                  .ok());
  auto image = testsupport::make_image({testsupport::make_layer_tar(21, 2, 64 * 1024), testsupport::make_layer_tar(22, 1, 32 * 1024)});
  testsupport::write_docker_save(image, tmp_ + "/image.tar", "maskrcnn:v1");

  auto first = cli({"push-image", tmp_ + "/image.tar", "--repository", "maskrcnn", "--tag", "v1"});
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  EXPECT_NE(first.out.find("pushed " + registry.host() + "/maskrcnn:v1"), std::string::npos) << first.out;
  EXPECT_NE(first.out.find("3 blobs uploaded, 0 already there"), std::string::npos) << first.out;
  EXPECT_NE(first.err.find("created ECR repository"), std::string::npos) << first.err;
  EXPECT_EQ(first.err.find(RegistryServer::kPassword), std::string::npos);
  auto second = cli({"push-image", tmp_ + "/image.tar", "--repository", "maskrcnn", "--tag", "v1", "--output", "json"});
  ASSERT_EQ(second.exit_code, 0) << second.out << second.err;
  EXPECT_NE(second.out.find(R"("blobs_uploaded":0,"blobs_skipped":3,"bytes_uploaded":0)"), std::string::npos) << second.out;
  EXPECT_EQ(registry.count_requests("POST", "/v2/maskrcnn/blobs/uploads/"), 3);
  auto images = ecr::EcrClient(sandbox.config()).describe_images("maskrcnn");
  ASSERT_TRUE(images.ok()) << images.error().to_string();
  ASSERT_EQ(images->size(), 1u);
  EXPECT_EQ((*images)[0].tags, std::vector<std::string>{"v1"});

  auto bad_repo = cli({"push-image", tmp_ + "/image.tar", "--repository", "MaskRCNN"});
  EXPECT_EQ(bad_repo.exit_code, 2) << bad_repo.err;

  // stage: into PREFIX/<channel>/data.tar, and the --input flag to use is printed.
  const std::string bucket = "smcli-" + std::to_string(std::random_device{}() % 100000000);
  ASSERT_TRUE(s3::S3Client(sandbox.config()).create_bucket({bucket}));
  fs::create_directories(tmp_ + "/data/images");
  std::ofstream(tmp_ + "/data/images/a.txt") << "alpha\n";
  std::ofstream(tmp_ + "/data/labels.json") << "{}\n";
  auto st = cli({"stage", "--channel", "train", tmp_ + "/data", "s3://" + bucket + "/maskrcnn"});
  ASSERT_EQ(st.exit_code, 0) << st.out << st.err;
  EXPECT_NE(st.out.find("staged 2 files"), std::string::npos) << st.out;
  EXPECT_NE(st.out.find("train with: --input train=s3://" + bucket + "/maskrcnn/train/"), std::string::npos) << st.out;
  auto head = s3::S3Client(sandbox.config()).head_object({.bucket = bucket, .key = "maskrcnn/train/data.tar"});
  EXPECT_TRUE(head.ok()) << head.error().to_string();
  EXPECT_EQ(cli({"stage", tmp_ + "/data", "s3:/" + bucket}).exit_code, 2);
}

TEST_F(SageMakerCliTest, InterruptedStageAbortsItsUploadAndSaysSo) {
  const std::string bucket = "smcli-int-" + std::to_string(std::random_device{}() % 100000000);
  ASSERT_TRUE(s3::S3Client(sandbox.config()).create_bucket({bucket}));
  fs::create_directories(tmp_ + "/big");
  {
    std::ofstream out(tmp_ + "/big/data.bin", std::ios::binary);
    std::mt19937 rng(5);
    std::string chunk(1 << 20, '\0');
    for (int i = 0; i < 40; ++i) {
      for (auto& c : chunk) c = static_cast<char>(rng() & 0xff);
      out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    }
  }
  // Scoped to the other example key, which this run of the program signs with.
  ASSERT_TRUE(sandbox.set_faults(std::string(R"([{"service":"s3","operation":"UploadPart","kind":"delay","delay_ms":400,)") +
                                 R"("count":null,"access_key_id":")" + Sandbox::kOtherAccessKeyId + R"("}])"));
  auto e = env();
  e["AWS_ACCESS_KEY_ID"] = Sandbox::kOtherAccessKeyId;
  e["AWS_SECRET_ACCESS_KEY"] = Sandbox::kOtherSecretAccessKey;
  s3::S3Client client(sandbox.config());
  std::atomic<pid_t> pid{0};
  std::atomic<bool> done{false};
  std::thread watcher([&] {
    for (int i = 0; i < 1500 && !done; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      if (pid == 0) continue;
      auto uploads = client.list_multipart_uploads({.bucket = bucket});
      if (!uploads || uploads->uploads.empty()) continue;
      auto parts = client.list_parts(uploads->uploads.front());
      if (!parts || parts->parts.empty()) continue;
      ::kill(pid, SIGINT);
      return;
    }
  });
  auto r = testsupport::run_process(
      kBinary, {"stage", "--concurrency", "1", tmp_ + "/big", "s3://" + bucket + "/p/", "--endpoint-url", sandbox.endpoint()},
      e, std::chrono::seconds(60), {}, [&](pid_t p) { pid = p; });
  done = true;
  watcher.join();
  ASSERT_TRUE(sandbox.clear_faults());
  EXPECT_EQ(r.term_signal, SIGINT) << "exit " << r.exit_code << "\n" << r.err;
  EXPECT_NE(r.err.find("the multipart upload was aborted"), std::string::npos) << r.err;
  auto uploads = client.list_multipart_uploads({.bucket = bucket});
  ASSERT_TRUE(uploads);
  EXPECT_TRUE(uploads->uploads.empty());
  auto objects = client.list_all_objects(bucket, "");
  ASSERT_TRUE(objects);
  EXPECT_TRUE(objects->empty());
}

}  // namespace
