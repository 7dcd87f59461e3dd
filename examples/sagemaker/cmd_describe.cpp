// awsdl-sagemaker describe: a training job's status, settings and status transitions.
#include <cstdio>

#include <awsdl/sagemaker/sagemaker.hpp>

#include "cli.hpp"
#include "command.hpp"
#include "sm_cli.hpp"

namespace {

awsdl_cli::Parser parser() {
  awsdl_cli::Parser p("awsdl-sagemaker describe", "show a training job");
  p.usage("awsdl-sagemaker describe [options] JOB_NAME")
      .aws_flags()
      .example("awsdl-sagemaker describe maskrcnn-1")
      .example("awsdl-sagemaker describe maskrcnn-1 --output json");
  return p;
}

int run(const std::vector<std::string>& argv) {
  auto opening = awsdl_cli::open_command(parser(), argv);
  if (opening.exit) return *opening.exit;
  const awsdl_cli::Args& args = opening.args;
  if (args.positionals().size() != 1 || !args.rest().empty())
    return awsdl_cli::report(awsdl::Error::invalid_argument("Usage", "describe takes one job name (see --help)"));
  const bool json = opening.json;
  auto config = awsdl_cli::config_from(args);
  if (!config) return awsdl_cli::report(config.error());
  auto job = awsdl::sagemaker::SageMakerClient(*config).describe_training_job(args.positionals()[0]);
  if (!job) return awsdl_cli::report(job.error(), "describing training job " + args.positionals()[0]);
  std::fputs((json ? awsdl_sagemaker::job_json(*job) + "\n" : awsdl_sagemaker::job_text(*job)).c_str(), stdout);
  return awsdl_cli::kExitOk;
}

const awsdl_cli::RegisterCommand kRegister({"describe", "show a training job's status and settings", run});

}  // namespace
