// awsdl-sagemaker train: a training job from flags (or a config file), checked before any
// call; --wait follows its status and logs to the end.
#include <cstdio>

#include <awsdl/logs/logs.hpp>
#include <awsdl/sagemaker/follow.hpp>
#include <awsdl/sagemaker/sagemaker.hpp>
#include <awsdl/sts/sts.hpp>

#include "cli.hpp"
#include "command.hpp"
#include "sm_cli.hpp"

namespace {

namespace sm = awsdl::sagemaker;
using awsdl::Error;

awsdl_cli::Parser parser() {
  awsdl_cli::Parser p("awsdl-sagemaker train", "create a SageMaker training job (and follow it with --wait)");
  p.usage("awsdl-sagemaker train --job-name NAME --image IMAGE:TAG --role ROLE_ARN --input NAME=s3://... "
          "--output-path s3://... [options]")
      .flag({"config", "FILE", "read flags from FILE ('name = value' lines); flags on the command line win"})
      .flag({"job-name", "NAME", "training job name (1-63 letters, digits, hyphens)"})
      .flag({"image", "IMAGE", "training image with a tag or digest; a bare REPOSITORY:TAG means this account's ECR"})
      .flag({"role", "ARN", "IAM role SageMaker assumes (arn:aws:iam::ACCOUNT:role/NAME)"})
      .flag({"instance-type", "TYPE", "instance type (default ml.p3.16xlarge)"})
      .flag({"instance-count", "N", "instances (default 1)"})
      .flag({"volume-size", "GB", "EBS volume per instance in GB (default 30)"})
      .flag({"volume-kms-key", "KEY", "KMS key for the volumes"})
      .flag({"max-run", "SECONDS", "maximum runtime (default 86400)"})
      .flag({"input", "NAME=S3URI", "input channel from an S3 prefix", true})
      .flag({"input-mode", "MODE", "File (default), Pipe or FastFile"})
      .flag({"distribution", "NAME=KIND", "channel distribution: FullyReplicated (default) or ShardedByS3Key", true})
      .flag({"output-path", "S3URI", "where the model artifacts go"})
      .flag({"output-kms-key", "KEY", "KMS key for the output"})
      .flag({"hyperparameter", "K=V", "hyperparameter", true})
      .flag({"metric", "NAME=REGEX", "metric definition read from the logs", true})
      .flag({"env", "K=V", "environment variable in the container", true})
      .flag({"mpi-processes-per-host", "N", "run with MPI (Horovod), N processes on each instance"})
      .flag({"mpi-options", "OPTIONS", "extra mpirun options (with --mpi-processes-per-host)"})
      .flag({"spot", "", "managed spot training (needs --max-wait)"})
      .flag({"max-wait", "SECONDS", "spot: longest wait for capacity plus runtime (>= --max-run)"})
      .flag({"checkpoint-s3-uri", "S3URI", "where /opt/ml/checkpoints is synced"})
      .flag({"checkpoint-local-path", "PATH", "checkpoint directory in the container"})
      .flag({"subnet", "ID", "VPC subnet (with --security-group)", true})
      .flag({"security-group", "ID", "VPC security group", true})
      .flag({"network-isolation", "", "no network access from the container"})
      .flag({"encrypt-inter-container", "", "encrypt traffic between instances"})
      .flag({"max-retry-attempts", "N", "retry the job on internal errors (1-30)"})
      .flag({"tag", "K=V", "job tag", true})
      .flag({"wait", "", "follow the status and the logs until the job ends"})
      .flag({"no-logs", "", "with --wait: status only"})
      .flag({"poll-interval", "SECONDS", "with --wait: seconds between polls (default 5)"})
      .aws_flags()
      .example("awsdl-sagemaker train --job-name maskrcnn-1 --image maskrcnn:v1 \\\n"
               "      --role arn:aws:iam::123456789012:role/SageMakerRole --instance-count 4 \\\n"
               "      --input train=s3://team-bucket/coco/train/ --input val=s3://team-bucket/coco/val/ \\\n"
               "      --output-path s3://team-bucket/output/ --hyperparameter epochs=24 \\\n"
               "      --metric 'loss=loss=([0-9.]+)' --mpi-processes-per-host 8 --wait")
      .example("awsdl-sagemaker train --config maskrcnn.conf --job-name maskrcnn-2 --spot --max-wait 172800 \\\n"
               "      --checkpoint-s3-uri s3://team-bucket/checkpoints/maskrcnn-2/");
  return p;
}

awsdl::Result<sm::TrainingJobRequest> request_from(const awsdl_cli::Args& a) {
  sm::TrainingJobRequest r;
  r.name = a.get_or("job-name", "");
  r.image = a.get_or("image", "");
  r.role_arn = a.get_or("role", "");
  if (r.name.empty() || r.image.empty() || r.role_arn.empty() || !a.has("output-path"))
    return Error::invalid_argument("Usage", "train needs --job-name, --image, --role and --output-path (see --help)");
  r.instance_type = a.get_or("instance-type", r.instance_type);
  auto number = [&](const char* flag, long long lo, long long hi, auto& out) -> awsdl::Status {
    if (a.has(flag)) {
      AWSDL_ASSIGN_OR_RETURN(auto n, awsdl_cli::whole_flag(a, flag, 0, lo, hi));
      out = static_cast<std::remove_reference_t<decltype(out)>>(n);
    }
    return {};
  };
  // Zero passes the parse so that validate() explains the rule with the others.
  AWSDL_TRY(number("instance-count", 0, 100000, r.instance_count));
  AWSDL_TRY(number("volume-size", 0, 16384, r.volume_size_gb));
  AWSDL_TRY(number("max-run", 0, 2419200, r.max_runtime_seconds));
  r.volume_kms_key = a.get_or("volume-kms-key", "");
  if (auto v = a.get("input-mode")) {
    AWSDL_ASSIGN_OR_RETURN(r.input_mode, sm::parse_input_mode(*v));
  }
  for (const auto& in : a.all("input")) {
    AWSDL_ASSIGN_OR_RETURN(auto kv, awsdl_sagemaker::split_kv("input", in));
    r.channels.push_back({.name = kv.first, .s3_uri = kv.second});
  }
  for (const auto& d : a.all("distribution")) {
    AWSDL_ASSIGN_OR_RETURN(auto kv, awsdl_sagemaker::split_kv("distribution", d));
    AWSDL_ASSIGN_OR_RETURN(auto dist, sm::parse_distribution(kv.second));
    bool found = false;
    for (auto& c : r.channels)
      if (c.name == kv.first) c.distribution = dist, found = true;
    if (!found) return Error::invalid_argument("BadFlag", "--distribution names channel '" + kv.first + "' that no --input has");
  }
  r.output_path = a.get_or("output-path", "");
  r.output_kms_key = a.get_or("output-kms-key", "");
  for (const auto& h : a.all("hyperparameter")) {
    AWSDL_ASSIGN_OR_RETURN(auto kv, awsdl_sagemaker::split_kv("hyperparameter", h));
    r.hyperparameters[kv.first] = kv.second;
  }
  for (const auto& m : a.all("metric")) {
    AWSDL_ASSIGN_OR_RETURN(auto kv, awsdl_sagemaker::split_kv("metric", m));
    r.metric_definitions.push_back({kv.first, kv.second});
  }
  for (const auto& e : a.all("env")) {
    AWSDL_ASSIGN_OR_RETURN(auto kv, awsdl_sagemaker::split_kv("env", e));
    r.environment[kv.first] = kv.second;
  }
  if (a.has("mpi-processes-per-host")) {
    sm::MpiSettings mpi;
    AWSDL_TRY(number("mpi-processes-per-host", 1, 1024, mpi.processes_per_host));
    mpi.custom_mpi_options = a.get_or("mpi-options", "");
    r.mpi = mpi;
  } else if (a.has("mpi-options")) {
    return Error::invalid_argument("BadFlag", "--mpi-options goes with --mpi-processes-per-host");
  }
  r.spot = a.has("spot");
  if (a.has("max-wait")) {
    int w = 0;
    AWSDL_TRY(number("max-wait", 1, 2419200, w));
    r.max_wait_seconds = w;
  }
  r.checkpoint_s3_uri = a.get_or("checkpoint-s3-uri", "");
  r.checkpoint_local_path = a.get_or("checkpoint-local-path", "");
  r.subnets = a.all("subnet");
  r.security_group_ids = a.all("security-group");
  r.network_isolation = a.has("network-isolation");
  r.inter_container_traffic_encryption = a.has("encrypt-inter-container");
  if (a.has("max-retry-attempts")) {
    int n = 0;
    AWSDL_TRY(number("max-retry-attempts", 1, 30, n));
    r.max_retry_attempts = n;
  }
  for (const auto& t : a.all("tag")) {
    AWSDL_ASSIGN_OR_RETURN(auto kv, awsdl_sagemaker::split_kv("tag", t));
    r.tags.push_back({kv.first, kv.second});
  }
  return r;
}

// A first component without a dot or a port is a repository in this account's ECR.
bool needs_registry(const std::string& image) {
  auto slash = image.find('/');
  std::string first = slash == std::string::npos ? std::string() : image.substr(0, slash);
  return first.empty() ? true : (first.find('.') == std::string::npos && first.find(':') == std::string::npos &&
                                 first != "localhost");
}

int run(const std::vector<std::string>& raw) {
  auto argv = awsdl_sagemaker::expand_config_file(
      raw, {"input", "distribution", "hyperparameter", "metric", "env", "subnet", "security-group", "tag"});
  if (!argv) return awsdl_cli::report(argv.error());
  auto opening = awsdl_cli::open_command(parser(), *argv);
  if (opening.exit) return *opening.exit;
  const awsdl_cli::Args& args = opening.args;
  if (!args.positionals().empty() || !args.rest().empty())
    return awsdl_cli::report(Error::invalid_argument("Usage", "train takes only flags (see --help)"));
  const bool json = opening.json;
  auto request = request_from(args);
  if (!request) return awsdl_cli::report(request.error());
  auto poll = awsdl_cli::seconds_flag(args, "poll-interval", std::chrono::seconds(5), 0.001, 3600);
  if (!poll) return awsdl_cli::report(poll.error());
  const awsdl::Millis interval = *poll;
  // Everything is checked before the first call, the short image form included.
  if (auto ok = sm::validate(*request); !ok) return awsdl_cli::report(ok.error());
  auto config = awsdl_cli::config_from(args);
  if (!config) return awsdl_cli::report(config.error());

  if (needs_registry(request->image)) {
    auto me = awsdl::sts::StsClient(*config).get_caller_identity();
    if (!me) return awsdl_cli::report(me.error(), "looking up the account for the image URI");
    request->image = me->account + ".dkr.ecr." + config->region + ".amazonaws.com/" + request->image;
  }
  sm::SageMakerClient sagemaker(*config);
  auto arn = sagemaker.create_training_job(*request);
  if (!arn) return awsdl_cli::report(arn.error(), "creating training job " + request->name);
  if (!args.has("wait")) {
    if (json)
      std::printf("{\"name\":\"%s\",\"arn\":\"%s\"}\n", awsdl_cli::json_escape(request->name).c_str(),
                  awsdl_cli::json_escape(*arn).c_str());
    else
      std::printf("created training job %s\n%s\n", request->name.c_str(), arn->c_str());
    return awsdl_cli::kExitOk;
  }
  std::fprintf(stderr, "created training job %s (%s)\n", request->name.c_str(), arn->c_str());
  // With JSON on stdout, the logs go to stderr so that stdout stays one document.
  std::FILE* log_out = json ? stderr : stdout;
  sm::FollowJobOptions follow;
  follow.poll_interval = interval;
  follow.logs = !args.has("no-logs");
  follow.on_log = [&](const awsdl::logs::LogEvent& e) {
    std::fprintf(log_out, "%s\n", awsdl_sagemaker::log_line(e).c_str());
    std::fflush(log_out);
  };
  follow.on_transition = [](const sm::SecondaryStatusTransition& t) {
    std::fprintf(stderr, "status: %s\n", awsdl_sagemaker::transition_line(t).c_str());
  };
  auto job = sm::follow_training_job(sagemaker, awsdl::logs::LogsClient(*config), request->name, config->runtime, follow);
  if (!job) return awsdl_cli::report(job.error(), "following training job " + request->name);
  if (json) std::printf("%s\n", awsdl_sagemaker::job_json(*job).c_str());
  if (job->status == "Completed") {
    if (!json)
      std::printf("training job %s completed; model: %s\n", job->name.c_str(), job->model_artifacts.c_str());
    return awsdl_cli::kExitOk;
  }
  if (job->status == "Failed")
    std::fprintf(stderr, "error: training job %s failed: %s\n", job->name.c_str(), job->failure_reason.c_str());
  else
    std::fprintf(stderr, "error: training job %s was stopped before it completed\n", job->name.c_str());
  return awsdl_cli::kExitFailed;
}

const awsdl_cli::RegisterCommand kRegister({"train", "create a training job; --wait follows status and logs", run});

}  // namespace
