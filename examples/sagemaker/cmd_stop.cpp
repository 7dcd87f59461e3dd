// awsdl-sagemaker stop: stop a training job; --wait until it has stopped.
#include <cstdio>

#include <awsdl/sagemaker/sagemaker.hpp>

#include "cli.hpp"
#include "command.hpp"
#include "sm_cli.hpp"

namespace {

awsdl_cli::Parser parser() {
  awsdl_cli::Parser p("awsdl-sagemaker stop", "stop a training job");
  p.usage("awsdl-sagemaker stop [options] JOB_NAME")
      .flag({"wait", "", "wait until the job has stopped (or ended otherwise)"})
      .flag({"poll-interval", "SECONDS", "with --wait: seconds between polls (default 5)"})
      .aws_flags()
      .example("awsdl-sagemaker stop maskrcnn-1 --wait");
  return p;
}

int run(const std::vector<std::string>& argv) {
  auto opening = awsdl_cli::open_command(parser(), argv);
  if (opening.exit) return *opening.exit;
  const awsdl_cli::Args& args = opening.args;
  if (args.positionals().size() != 1 || !args.rest().empty())
    return awsdl_cli::report(awsdl::Error::invalid_argument("Usage", "stop takes one job name (see --help)"));
  const bool json = opening.json;
  auto poll = awsdl_cli::seconds_flag(args, "poll-interval", std::chrono::seconds(5), 0.001, 3600);
  if (!poll) return awsdl_cli::report(poll.error());
  const awsdl::Millis interval = *poll;
  auto config = awsdl_cli::config_from(args);
  if (!config) return awsdl_cli::report(config.error());
  const std::string& name = args.positionals()[0];
  awsdl::sagemaker::SageMakerClient sagemaker(*config);
  if (auto s = sagemaker.stop_training_job(name); !s) return awsdl_cli::report(s.error(), "stopping training job " + name);
  std::string status = "Stopping";
  if (args.has("wait")) {
    awsdl::WaitOptions wait;
    wait.delay = interval;
    wait.max_delay = interval;
    wait.max_attempts = 100000;
    auto job = sagemaker.wait_until_completed_or_stopped(name, wait);
    if (!job) return awsdl_cli::report(job.error(), "waiting for training job " + name);
    status = job->status;
  }
  if (json)
    std::printf("{\"name\":\"%s\",\"status\":\"%s\"}\n", awsdl_cli::json_escape(name).c_str(), status.c_str());
  else
    std::printf("training job %s: %s\n", name.c_str(), status.c_str());
  return awsdl_cli::kExitOk;
}

const awsdl_cli::RegisterCommand kRegister({"stop", "stop a training job", run});

}  // namespace
