// awsdl-whoami: prints the identity behind the credentials in use, as
// `aws sts get-caller-identity` does.
#include <awsdl/awsdl.hpp>

#include <cstdio>
#include <string>
#include <vector>

#include "cli.hpp"
#include "docs.hpp"
#include "program.hpp"

namespace {

awsdl_cli::Parser parser() {
  awsdl_cli::Parser p("awsdl-whoami", "print the AWS account, ARN and user id of the credentials in use");
  p.usage("awsdl-whoami [--region REGION] [--profile NAME] [--endpoint-url URL] [--output json|text]")
      .aws_flags("json")
      .flag({"debug", "", "log every HTTP attempt (method, host, status, time) on stderr"})
      .example("awsdl-whoami")
      .example("awsdl-whoami --profile dev --output text")
      .example("AWS_REGION=eu-west-1 awsdl-whoami")
      .example("awsdl-whoami --endpoint-url http://127.0.0.1:4566   # a local endpoint")
      .note("Output (json, the default, as the AWS CLI prints it):\n"
            "  {\n      \"UserId\": \"AIDA...\",\n      \"Account\": \"123456789012\",\n"
            "      \"Arn\": \"arn:aws:iam::123456789012:user/name\"\n  }\n"
            "With --output text: ACCOUNT<TAB>ARN<TAB>USERID.\n")
      .note("Exit status: 0 ok, 1 the call failed, 2 bad arguments or configuration.\n"
            "Run 'awsdl-whoami --version' for its version and the versions of the libraries it runs with.\n");
  return p;
}

}  // namespace

int main(int argc, char** argv) {
  const awsdl_cli::Program program{.name = "awsdl-whoami",
                                   .summary = "print the AWS account, ARN and user id of the credentials in use",
                                   .usage = "[FLAGS...]",
                                   .root = parser};
  if (auto done = awsdl_cli::program_option(argc, argv, program)) return *done;
  auto p = parser();
  auto args = p.parse(std::vector<std::string>(argv + 1, argv + argc));
  if (!args) return awsdl_cli::report(args.error());
  if (args->help()) {
    std::fputs(p.help_text().c_str(), stdout);
    return awsdl_cli::kExitOk;
  }
  if (!args->positionals().empty() || !args->rest().empty())
    return awsdl_cli::report(awsdl::Error::invalid_argument(
        "UnexpectedArgument", "awsdl-whoami takes no arguments besides flags (see awsdl-whoami --help)"));

  // The AWS CLI prints JSON unless told otherwise; so does this.
  auto json = awsdl_cli::json_output(*args, "json");
  if (!json) return awsdl_cli::report(json.error());

  auto config = awsdl_cli::config_from(*args);
  if (!config) return awsdl_cli::report(config.error(), "configuration");
  if (args->has("debug")) config->logger = awsdl::Logger{awsdl::stderr_log_sink(), awsdl::LogLevel::kDebug};

  awsdl::sts::StsClient sts(*config);
  auto id = sts.get_caller_identity();
  if (!id) return awsdl_cli::report(id.error(), "sts get-caller-identity");

  if (!*json) {
    // The AWS CLI's text output: the values in key order (Account, Arn, UserId), tab-separated.
    std::printf("%s\t%s\t%s\n", id->account.c_str(), id->arn.c_str(), id->user_id.c_str());
  } else {
    std::printf("{\n    \"UserId\": \"%s\",\n    \"Account\": \"%s\",\n    \"Arn\": \"%s\"\n}\n",
                awsdl_cli::json_escape(id->user_id).c_str(), awsdl_cli::json_escape(id->account).c_str(),
                awsdl_cli::json_escape(id->arn).c_str());
  }
  return std::fflush(stdout) == 0 ? awsdl_cli::kExitOk : awsdl_cli::kExitFailed;
}
