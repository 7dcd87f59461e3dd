// awsdl-sagemaker stage: files and directories -> one tar object under a channel's S3
// prefix, streamed (the stager); prints the --input flag that hands it to `train`.
#include <cstdio>
#include <regex>

#include <awsdl/s3/uri.hpp>
#include <awsdl/stage/stager.hpp>

#include "cli.hpp"
#include "command.hpp"
#include "interrupt.hpp"
#include "sm_cli.hpp"

namespace {

awsdl_cli::Parser parser() {
  awsdl_cli::Parser p("awsdl-sagemaker stage", "stream files and directories into a training channel's S3 prefix");
  p.usage("awsdl-sagemaker stage [options] PATH... s3://BUCKET/PREFIX/")
      .flag({"channel", "NAME", "channel name: the tar goes to PREFIX/NAME/ (default train)"})
      .flag({"name", "FILE", "object name under the channel prefix (default data.tar)"})
      .flag({"concurrency", "N", "parts uploaded in parallel (default 8)"})
      .aws_flags()
      .example("awsdl-sagemaker stage --channel train data/coco s3://team-bucket/maskrcnn/")
      .example("awsdl-sagemaker stage --channel weights --name r50.tar weights/R50.npz s3://team-bucket/maskrcnn/");
  return p;
}

int run(const std::vector<std::string>& argv) {
  auto opening = awsdl_cli::open_command(parser(), argv);
  if (opening.exit) return *opening.exit;
  const awsdl_cli::Args& args = opening.args;
  const auto& pos = args.positionals();
  if (pos.size() < 2 || !args.rest().empty())
    return awsdl_cli::report(awsdl::Error::invalid_argument(
        "Usage", "stage takes one or more paths and then the destination s3://bucket/prefix/ (see --help)"));
  const bool json = opening.json;
  const std::string channel = args.get_or("channel", "train");
  static const std::regex channel_re(R"([A-Za-z0-9\.\-_]{1,64})");
  if (!std::regex_match(channel, channel_re))
    return awsdl_cli::report(awsdl::Error::invalid_argument("BadFlag", "--channel '" + channel + "' is not a channel name"));
  const std::string name = args.get_or("name", "data.tar");
  if (name.empty() || name.find('/') != std::string::npos)
    return awsdl_cli::report(awsdl::Error::invalid_argument("BadFlag", "--name is an object name without '/'"));
  auto dest = awsdl::s3::S3Uri::parse(pos.back());
  if (!dest) return awsdl_cli::report(dest.error());
  std::string prefix = dest->key;
  if (!prefix.empty() && prefix.back() != '/') prefix += '/';
  awsdl::stage::StageOptions options;
  auto concurrency = awsdl_cli::whole_flag(args, "concurrency", options.concurrency, 1, 256);
  if (!concurrency) return awsdl_cli::report(concurrency.error());
  options.concurrency = static_cast<int>(*concurrency);
  auto config = awsdl_cli::config_from(args);
  if (!config) return awsdl_cli::report(config.error());
  const std::string channel_uri = "s3://" + dest->bucket + "/" + prefix + channel + "/";
  std::vector<std::string> paths(pos.begin(), pos.end() - 1);
  // Ctrl-C or SIGTERM: the stage stops, its multipart upload is aborted, and that is said.
  const std::string destination = channel_uri + name;
  options.call.cancel = awsdl_cli::install_interrupt_handler();
  awsdl_cli::set_interrupt_notes(
      "interrupted: stopping and aborting the upload to " + destination + " (interrupt again to quit at once)",
      "interrupted again: quitting before the cleanup finished. A multipart upload of " + destination +
          " may be left (S3 bills its parts until it is removed): remove it with `aws s3api list-multipart-uploads` "
          "and `abort-multipart-upload`, or stage again.");
  auto r = awsdl::stage::Stager(*config).stage(paths, destination, options);
  if (!r && awsdl_cli::interrupt_signal() != 0) {
    std::fprintf(stderr, "interrupted: %s\n", r.error().message.c_str());
    awsdl_cli::end_interrupted();
  }
  if (!r) return awsdl_cli::report(r.error());
  if (json)
    std::printf("{\"uri\":\"%s\",\"channel\":\"%s\",\"channel_uri\":\"%s\",\"files\":%llu,\"archive_bytes\":%llu,"
                "\"crc64nvme\":\"%s\",\"sha256\":\"%s\"}\n",
                awsdl_cli::json_escape(channel_uri + name).c_str(), awsdl_cli::json_escape(channel).c_str(),
                awsdl_cli::json_escape(channel_uri).c_str(), static_cast<unsigned long long>(r->files),
                static_cast<unsigned long long>(r->archive_bytes), r->archive_crc64nvme.c_str(), r->archive_sha256.c_str());
  else
    std::printf("staged %llu files (%llu bytes) into %s%s\ntrain with: --input %s=%s\n",
                static_cast<unsigned long long>(r->files), static_cast<unsigned long long>(r->archive_bytes),
                channel_uri.c_str(), name.c_str(), channel.c_str(), channel_uri.c_str());
  return awsdl_cli::kExitOk;
}

const awsdl_cli::RegisterCommand kRegister({"stage", "stream data into a training channel's S3 prefix", run});

}  // namespace
