// awsdl-sagemaker logs: a training job's CloudWatch logs, every host's stream; --follow
// keeps reading until the job ends.
#include <cstdio>
#include <regex>

#include <awsdl/logs/logs.hpp>
#include <awsdl/sagemaker/follow.hpp>

#include "cli.hpp"
#include "command.hpp"
#include "sm_cli.hpp"

namespace {

awsdl_cli::Parser parser() {
  awsdl_cli::Parser p("awsdl-sagemaker logs", "print a training job's logs");
  p.usage("awsdl-sagemaker logs [options] JOB_NAME")
      .flag({"follow", "", "keep printing new lines until the job ends"})
      .flag({"poll-interval", "SECONDS", "with --follow: seconds between polls (default 5)"})
      .aws_flags()
      .example("awsdl-sagemaker logs maskrcnn-1")
      .example("awsdl-sagemaker logs --follow maskrcnn-1")
      .example("awsdl-sagemaker logs maskrcnn-1 --output json   # one JSON object per line");
  return p;
}

int run(const std::vector<std::string>& argv) {
  auto opening = awsdl_cli::open_command(parser(), argv);
  if (opening.exit) return *opening.exit;
  const awsdl_cli::Args& args = opening.args;
  if (args.positionals().size() != 1 || !args.rest().empty())
    return awsdl_cli::report(awsdl::Error::invalid_argument("Usage", "logs takes one job name (see --help)"));
  const bool json = opening.json;
  auto poll = awsdl_cli::seconds_flag(args, "poll-interval", std::chrono::seconds(5), 0.001, 3600);
  if (!poll) return awsdl_cli::report(poll.error());
  const awsdl::Millis interval = *poll;
  const std::string& name = args.positionals()[0];
  static const std::regex name_re("[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}");
  if (name.size() > 63 || !std::regex_match(name, name_re))  // the length first: std::regex recurses per character
    return awsdl_cli::report(awsdl::Error::invalid_argument("BadJobName", "'" + name + "' is not a training job name"));
  auto config = awsdl_cli::config_from(args);
  if (!config) return awsdl_cli::report(config.error());
  awsdl::logs::LogsClient logs(*config);
  auto print = [&](const awsdl::logs::LogEvent& e) {
    if (json)
      std::printf("{\"stream\":\"%s\",\"timestamp\":\"%s\",\"message\":\"%s\"}\n",
                  awsdl_cli::json_escape(e.stream).c_str(), awsdl_sagemaker::iso_time_ms(e.timestamp).c_str(),
                  awsdl_cli::json_escape(e.message).c_str());
    else
      std::printf("%s\n", awsdl_sagemaker::log_line(e).c_str());
    std::fflush(stdout);
  };
  if (!args.has("follow")) {
    awsdl::logs::LogFollower follower(logs, {.log_group = awsdl::sagemaker::kTrainingJobLogGroup,
                                             .stream_prefix = name + "/"});
    auto events = follower.poll();
    if (!events) return awsdl_cli::report(events.error(), "reading the logs of " + name);
    for (const auto& e : *events) print(e);
    return awsdl_cli::kExitOk;
  }
  awsdl::sagemaker::FollowJobOptions follow;
  follow.poll_interval = interval;
  follow.on_log = print;
  auto job = awsdl::sagemaker::follow_training_job(awsdl::sagemaker::SageMakerClient(*config), logs, name,
                                                   config->runtime, follow);
  if (!job) return awsdl_cli::report(job.error(), "following training job " + name);
  std::fprintf(stderr, "training job %s: %s%s\n", name.c_str(), job->status.c_str(),
               job->failure_reason.empty() ? "" : (" (" + job->failure_reason + ")").c_str());
  return awsdl_cli::kExitOk;
}

const awsdl_cli::RegisterCommand kRegister({"logs", "print (or --follow) a training job's logs", run});

}  // namespace
