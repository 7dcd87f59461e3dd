// awsdl-cluster unstage: a tar object in S3 -> a directory, streamed and verified; here, or on
// a cluster's master (onto its shared file system) straight from S3.
#include <cstdio>

#include <awsdl/cluster/lifecycle.hpp>
#include <awsdl/ssh/fanout.hpp>
#include <awsdl/stage/stager.hpp>

#include "cli.hpp"
#include "cluster_cli.hpp"
#include "command.hpp"
#include "interrupt.hpp"
#include "stage_cli.hpp"

namespace {

awsdl_cli::Parser parser() {
  awsdl_cli::Parser p("awsdl-cluster unstage", "extract a staged tar object from S3 into a directory");
  p.usage("awsdl-cluster unstage [options] s3://BUCKET/KEY.tar DIR")
      .usage("awsdl-cluster unstage --on-master --name NAME | --config FILE [options] s3://BUCKET/KEY.tar DIR")
      .flag({"on-master", "", "extract on the cluster's master instead (DIR is a path there, e.g. on the shared file "
                              "system): it downloads straight from S3 with a URL signed here, valid 12 hours; "
                              "it needs curl"})
      .flag({"part-size", "SIZE", "size of each ranged GET, e.g. 16MiB (default 16MiB)"})
      .flag({"concurrency", "N", "ranged GETs in parallel (default 8)"})
      .flag({"no-verify", "", "extract an archive that has no manifest (not written by stage); still extracted safely"})
      .flag({"quiet", "", "no progress display"});
  awsdl_cluster::add_cluster_flags(p);
  p.example("awsdl-cluster unstage s3://team-bucket/coco.tar /efs/data")
      .example("awsdl-cluster unstage --on-master --name maskrcnn s3://team-bucket/coco.tar /efs/data")
      .example("awsdl-cluster unstage --concurrency 16 --part-size 32MiB s3://team-bucket/imagenet.tar /scratch/imagenet")
      .example("awsdl-cluster unstage --no-verify s3://team-bucket/made-by-gnu-tar.tar ./out");
  return p;
}

int run(const std::vector<std::string>& argv) {
  auto opening = awsdl_cli::open_command(parser(), argv);
  if (opening.exit) return *opening.exit;
  const awsdl_cli::Args& args = opening.args;
  const auto& pos = args.positionals();
  if (pos.size() != 2 || !args.rest().empty())
    return awsdl_cli::report(awsdl::Error::invalid_argument(
        "Usage", "unstage takes the source s3://bucket/key.tar and a target directory (see --help)"));
  const bool json = opening.json;

  awsdl::stage::UnstageOptions options;
  if (auto v = args.get("part-size")) {
    auto size = awsdl_cluster::parse_size("part-size", *v);
    if (!size) return awsdl_cli::report(size.error());
    options.part_size = *size;
  }
  auto concurrency = awsdl_cli::whole_flag(args, "concurrency", options.concurrency, 1, 256);
  if (!concurrency) return awsdl_cli::report(concurrency.error());
  options.concurrency = static_cast<int>(*concurrency);
  options.require_manifest = !args.has("no-verify");
  const bool on_master = args.has("on-master");
  std::optional<awsdl_cluster::Target> target;
  if (on_master) {
    auto t = awsdl_cluster::target_from(args, false);
    if (!t) return awsdl_cli::report(t.error());
    target = std::move(t).value();
  } else if (args.has("name") || args.has("config")) {
    return awsdl_cli::report(awsdl::Error::invalid_argument(
        "Usage", "--name and --config pick the cluster for --on-master; without it unstage extracts here"));
  }
  auto config = awsdl_cli::config_from(args);
  if (!config) return awsdl_cli::report(config.error());

  awsdl_cluster::ProgressDisplay display(on_master ? "unstaging on the master" : "unstaging");
  if (!args.has("quiet"))
    options.on_progress = [&](const awsdl::stage::UnstageProgress& p) { display.update(p.bytes_done, p.bytes_total); };
  options.call.cancel = awsdl_cluster::install_interrupt_handler();
  awsdl_cli::set_interrupt_notes(
      "interrupted: stopping; what was extracted is removed, " + pos[1] + " stays as it was (interrupt again to quit at once)",
      "interrupted again: quitting before the cleanup finished. A staging directory .awsdl-unstage-* may be left in " +
          pos[1] + (on_master ? " on the master" : "") + ": the next unstage into it removes it.");
  awsdl::stage::Stager stager(*config);
  std::optional<awsdl::Result<awsdl::stage::UnstageResult>> result;
  std::string host;  // empty: here
  if (on_master) {
    awsdl::cluster::Clusters clusters(*config);
    auto c = clusters.describe(target->spec.name);
    if (!c) return awsdl_cli::report(c.error());
    auto access = awsdl_cluster::node_access(*target, *c);
    if (!access) return awsdl_cli::report(access.error());
    host = access->master;
    awsdl::ssh::FanOut fan({access->master}, access->options);
    auto connected = fan.for_each([&](awsdl::ssh::Session& master, std::size_t) -> awsdl::Status {
      result = stager.unstage_on(master, pos[0], pos[1], options);
      return {};
    });
    if (!connected[0]) return awsdl_cli::report(connected[0].error(), "connecting to the master");
  } else {
    result = stager.unstage(pos[0], pos[1], options);
  }
  display.finish();
  const auto& r = *result;
  if (!r && awsdl_cli::interrupt_signal() != 0) {
    std::fprintf(stderr, "interrupted: %s\n", r.error().message.c_str());
    awsdl_cli::end_interrupted();
  }
  if (!r) return awsdl_cli::report(r.error());

  const double secs = static_cast<double>(r->duration.count()) / 1000.0;
  if (json) {
    std::printf(
        "{\"host\":%s,\"directory\":\"%s\",\"files\":%llu,\"entries\":%llu,\"file_bytes\":%llu,\"archive_bytes\":%llu,"
        "\"crc64nvme\":\"%s\",\"sha256\":\"%s\",\"compression\":\"%s\",\"verified\":%s,\"seconds\":%.3f}\n",
        host.empty() ? "null" : ("\"" + awsdl_cli::json_escape(host) + "\"").c_str(), awsdl_cli::json_escape(pos[1]).c_str(),
        static_cast<unsigned long long>(r->files),
        static_cast<unsigned long long>(r->entries), static_cast<unsigned long long>(r->file_bytes),
        static_cast<unsigned long long>(r->archive_bytes), r->archive_crc64nvme.c_str(), r->archive_sha256.c_str(),
        awsdl::stage::to_string(r->compression), r->manifest_verified ? "true" : "false", secs);
  } else {
    std::printf("unstaged %llu files (%s) into %s in %.1f s, %s\ncrc64nvme %s\n",
                static_cast<unsigned long long>(r->files),
                awsdl_cluster::human_bytes(static_cast<double>(r->file_bytes)).c_str(),
                (host.empty() ? pos[1] : host + ":" + pos[1]).c_str(), secs,
                r->manifest_verified ? "manifest verified" : "NOT verified (no manifest)", r->archive_crc64nvme.c_str());
    if (!r->archive_sha256.empty()) std::printf("sha256 %s\n", r->archive_sha256.c_str());
  }
  return awsdl_cli::kExitOk;
}

const awsdl_cli::RegisterCommand kRegister({"unstage", "extract a staged tar object from S3 into a directory", run});

}  // namespace
