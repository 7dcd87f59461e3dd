// awsdl-cluster stage: files and directories -> one tar object in S3, streamed.
#include <cstdio>
#include <mutex>

#include <awsdl/s3/uri.hpp>
#include <awsdl/stage/stager.hpp>

#include "cli.hpp"
#include "command.hpp"
#include "interrupt.hpp"
#include "stage_cli.hpp"

namespace {

awsdl_cli::Parser parser() {
  awsdl_cli::Parser p("awsdl-cluster stage", "stream files and directories into one tar object in S3");
  p.usage("awsdl-cluster stage [options] PATH... s3://BUCKET/KEY.tar")
      .flag({"part-size", "SIZE", "multipart part size, e.g. 16MiB (default 16MiB, at least 5MiB; grown to fit 10,000 parts)"})
      .flag({"concurrency", "N", "parts uploaded in parallel (default 8); memory is about N x part size"})
      .flag({"compress", "none|gzip|zstd", "compress the tar stream (default none: images and weights do not compress)"})
      .flag({"resume", "", "continue an interrupted stage of the same key: parts already uploaded are checked and kept"})
      .flag({"sha256", "", "also the archive's SHA-256 (a second pass; the CRC64NVME S3 checks is always kept)"})
      .flag({"quiet", "", "no progress display"})
      .aws_flags()
      .example("awsdl-cluster stage data/coco weights/R50.npz s3://team-bucket/coco.tar")
      .example("awsdl-cluster stage --part-size 64MiB --concurrency 16 /data/imagenet s3://team-bucket/imagenet.tar")
      .example("awsdl-cluster stage --compress zstd code/ s3://team-bucket/code.tar.zst --endpoint-url http://127.0.0.1:4566");
  return p;
}

int run(const std::vector<std::string>& argv) {
  auto opening = awsdl_cli::open_command(parser(), argv);
  if (opening.exit) return *opening.exit;
  const awsdl_cli::Args& args = opening.args;
  const auto& pos = args.positionals();
  if (pos.size() < 2 || !args.rest().empty())
    return awsdl_cli::report(awsdl::Error::invalid_argument(
        "Usage", "stage takes one or more paths and then the destination s3://bucket/key.tar (see --help)"));
  const bool json = opening.json;

  awsdl::stage::StageOptions options;
  if (auto v = args.get("part-size")) {
    auto size = awsdl_cluster::parse_size("part-size", *v);
    if (!size) return awsdl_cli::report(size.error());
    options.part_size = *size;
  }
  auto concurrency = awsdl_cli::whole_flag(args, "concurrency", options.concurrency, 1, 256);
  if (!concurrency) return awsdl_cli::report(concurrency.error());
  options.concurrency = static_cast<int>(*concurrency);
  if (auto v = args.get("compress")) {
    auto c = awsdl::stage::parse_compression(*v);
    if (!c) return awsdl_cli::report(c.error());
    options.compression = *c;
  }
  options.resume = args.has("resume");
  options.sha256 = args.has("sha256");
  auto config = awsdl_cli::config_from(args);
  if (!config) return awsdl_cli::report(config.error());

  awsdl_cluster::ProgressDisplay display("staging");
  if (!args.has("quiet"))
    options.on_progress = [&](const awsdl::stage::StageProgress& p) {
      display.update(p.input_bytes_done, p.input_bytes_total);
    };
  std::vector<std::string> paths(pos.begin(), pos.end() - 1);
  // Ctrl-C or SIGTERM: the stage stops and keeps its multipart upload for --resume (the
  // stager leaves it in place on cancellation); that is said, with how to drop it instead.
  options.keep_upload_on_cancel = true;
  options.call.cancel = awsdl_cli::install_interrupt_handler();
  std::string drop = "awsdl-cluster gc --bucket BUCKET --prefix KEY --older-than 1s";
  if (auto uri = awsdl::s3::S3Uri::parse(pos.back()); uri.ok())
    drop = "awsdl-cluster gc --bucket " + uri->bucket + " --prefix " + uri->key + " --older-than 1s";
  const std::string kept = "kept: the multipart upload of " + pos.back() +
                           " stays for a resume (S3 bills its parts until it is removed): run the same stage "
                           "again with --resume to finish it, or drop it with `" + drop + "`";
  awsdl_cli::set_interrupt_notes(
      "interrupted: stopping; the multipart upload to " + pos.back() +
          " is kept for --resume (interrupt again to quit at once)",
      "interrupted again: quitting at once. A multipart upload of " + pos.back() +
          " may be left (S3 bills its parts until it is removed): run the same stage again with --resume to "
          "finish it, or drop it with `" + drop + "`.");
  awsdl::stage::Stager stager(*config);
  auto r = stager.stage(paths, pos.back(), options);
  display.finish();
  if (!r) return awsdl_cluster::report_stage_failure(r.error(), pos.back(), kept);

  const double secs = static_cast<double>(r->duration.count()) / 1000.0;
  const std::string where = "s3://" + r->bucket + "/" + r->key;
  if (json) {
    std::printf(
        "{\"uri\":\"%s\",\"manifest\":\"s3://%s/%s\",\"files\":%llu,\"entries\":%llu,\"file_bytes\":%llu,"
        "\"archive_bytes\":%llu,\"crc64nvme\":\"%s\",\"sha256\":\"%s\",\"compression\":\"%s\",\"parts\":%d,\"parts_reused\":%d,"
        "\"part_size\":%llu,\"seconds\":%.3f}\n",
        awsdl_cli::json_escape(where).c_str(), awsdl_cli::json_escape(r->bucket).c_str(),
        awsdl_cli::json_escape(r->manifest_key).c_str(), static_cast<unsigned long long>(r->files),
        static_cast<unsigned long long>(r->entries), static_cast<unsigned long long>(r->file_bytes),
        static_cast<unsigned long long>(r->archive_bytes), r->archive_crc64nvme.c_str(), r->archive_sha256.c_str(),
        awsdl::stage::to_string(r->compression), r->parts, r->parts_reused,
        static_cast<unsigned long long>(r->part_size), secs);
  } else {
    std::printf("staged %llu files (%s) into %s: %s in %d parts, %.1f s\ncrc64nvme %s (checked by S3)\n",
                static_cast<unsigned long long>(r->files),
                awsdl_cluster::human_bytes(static_cast<double>(r->file_bytes)).c_str(), where.c_str(),
                awsdl_cluster::human_bytes(static_cast<double>(r->archive_bytes)).c_str(), r->parts, secs,
                r->archive_crc64nvme.c_str());
    if (!r->archive_sha256.empty()) std::printf("sha256 %s\n", r->archive_sha256.c_str());
    if (!r->resumed_upload_id.empty())
      std::printf("resumed: %d of %d parts were already uploaded\n", r->parts_reused, r->parts);
  }
  return awsdl_cli::kExitOk;
}

const awsdl_cli::RegisterCommand kRegister({"stage", "stream files and directories into one tar object in S3", run});

}  // namespace
