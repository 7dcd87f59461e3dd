// awsdl-cluster gc: list what interrupted or failed runs left behind (failed cluster stacks,
// old multipart uploads under the staging bucket, file systems of deleted clusters with
// --file-systems, local state directories of deleted clusters), then remove it.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <awsdl/cluster/gc.hpp>

#include "cli.hpp"
#include "cluster_cli.hpp"
#include "command.hpp"

namespace {

using namespace awsdl_cluster;

awsdl_cli::Parser parser() {
  awsdl_cli::Parser p("awsdl-cluster gc", "list and remove what failed or interrupted runs left behind");
  p.usage("awsdl-cluster gc [--dry-run] [--older-than 24h] [--bucket B [--prefix P]] [--file-systems] "
          "[--state-root DIR] [--yes]");
  p.flag({"dry-run", "", "list only; change nothing"});
  p.flag({"yes", "", "do not ask for confirmation"});
  p.flag({"older-than", "AGE", "multipart uploads initiated longer ago than this are leftovers: N, Ns, Nm, Nh or Nd "
                               "(default 24h)"});
  p.flag({"bucket", "BUCKET", "the staging bucket whose multipart uploads are looked at"});
  p.flag({"prefix", "PREFIX", "only uploads of keys under this prefix (needs --bucket)"});
  p.flag({"file-systems", "", "also EFS and FSx file systems tagged awsdl:cluster whose cluster no longer exists"});
  p.flag({"state-root", "DIR", "where the clusters' local state directories are (default ~/.awsdl)"});
  add_wait_flag(p);
  p.aws_flags();
  p.example("awsdl-cluster gc --dry-run --bucket team-bucket");
  p.example("awsdl-cluster gc --bucket team-bucket --prefix datasets/ --older-than 2h --yes");
  p.note("Only stacks carrying the awsdl:cluster tag (in a *_FAILED or ROLLBACK_COMPLETE status), uploads under\n"
         "the given bucket and prefix, file systems tagged awsdl:cluster and directories of the state root that\n"
         "hold a cluster's files (hostfile, known_hosts) are ever listed; a live cluster's never are. Clusters are\n"
         "looked up in the configured region only: a state directory of a cluster in another region looks stale.\n");
  return p;
}

// "24h" -> 86400 s. A number with an optional unit s, m, h or d; more than 0, at most 10 years.
awsdl::Result<std::chrono::seconds> parse_age(const std::string& v) {
  auto bad = [&v] {
    return awsdl::Error::invalid_argument(
        "InvalidOlderThan", "--older-than: must be a whole number above 0 with an optional unit s, m, h or d "
                            "(e.g. 24h), not '" + v + "'");
  };
  std::size_t digits = 0;
  while (digits < v.size() && v[digits] >= '0' && v[digits] <= '9') ++digits;
  if (digits == 0 || digits > 9 || v.size() > digits + 1) return bad();
  long long n = std::stoll(v.substr(0, digits));
  long long unit = 1;
  if (v.size() > digits) {
    switch (v[digits]) {
      case 's': unit = 1; break;
      case 'm': unit = 60; break;
      case 'h': unit = 3600; break;
      case 'd': unit = 86400; break;
      default: return bad();
    }
  }
  if (n <= 0 || n * unit > 10LL * 366 * 86400) return bad();
  return std::chrono::seconds(n * unit);
}

std::string human_age(const std::optional<std::chrono::seconds>& age) {
  if (!age) return "?";
  long long s = age->count();
  if (s < 0) s = 0;
  if (s < 120) return std::to_string(s) + "s";
  if (s < 2 * 3600) return std::to_string(s / 60) + "m";
  if (s < 2 * 86400) return std::to_string(s / 3600) + "h";
  return std::to_string(s / 86400) + "d";
}

std::string shown_id(const awsdl::cluster::Leftover& l) {
  if (l.kind == awsdl::cluster::LeftoverKind::kUpload) return "s3://" + l.bucket + "/" + l.id;
  return l.id;
}

std::string report_json(const awsdl::cluster::GcReport& r, bool removed) {
  std::string out = "{\"leftovers\":[";
  for (std::size_t i = 0; i < r.items.size(); ++i) {
    const auto& l = r.items[i];
    if (i) out += ",";
    out += "{\"kind\":\"" + std::string(awsdl::cluster::to_string(l.kind)) + "\",\"id\":\"" +
           awsdl_cli::json_escape(l.id) + "\",\"handle\":\"" + awsdl_cli::json_escape(l.handle) + "\",\"bucket\":\"" +
           awsdl_cli::json_escape(l.bucket) + "\",\"cluster\":\"" + awsdl_cli::json_escape(l.cluster) +
           "\",\"age_seconds\":" + (l.age ? std::to_string(l.age->count()) : "null") + ",\"reason\":\"" +
           awsdl_cli::json_escape(l.reason) + "\"}";
  }
  return out + "],\"removed\":" + (removed ? "true" : "false") + "}\n";
}

int run(const std::vector<std::string>& argv) {
  auto opening = open_cluster_command(parser(), argv);
  if (opening.exit) return *opening.exit;
  const awsdl_cli::Args& args = opening.args;
  const bool json = opening.json;
  awsdl::cluster::GcOptions o;
  if (auto v = args.get("older-than")) {
    auto age = parse_age(*v);
    if (!age) return awsdl_cli::report(age.error());
    o.older_than = *age;
  }
  o.bucket = args.get_or("bucket", "");
  o.prefix = args.get_or("prefix", "");
  if (!o.prefix.empty() && o.bucket.empty())
    return awsdl_cli::report(awsdl::Error::invalid_argument("Usage", "--prefix needs --bucket"));
  o.file_systems = args.has("file-systems");
  o.state_root = args.get_or("state-root", "~/.awsdl");
  if (o.state_root.empty())
    return awsdl_cli::report(awsdl::Error::invalid_argument("Usage", "--state-root: a directory is needed"));
  auto poll = poll_interval_from(args);
  if (!poll) return awsdl_cli::report(poll.error());
  o.poll_interval = *poll;
  const bool dry_run = args.has("dry-run");
  if (!dry_run && !args.has("yes") && !::isatty(STDIN_FILENO)) {
    std::fprintf(stderr, "error: gc deletes what it finds: add --yes (or --dry-run to only list)\n");
    return awsdl_cli::kExitUsage;
  }

  auto cfg = awsdl_cli::config_from(args);
  if (!cfg) return awsdl_cli::report(cfg.error());
  auto report = awsdl::cluster::find_leftovers(*cfg, o);
  if (!report) return awsdl_cli::report(report.error());

  std::FILE* out = json ? stderr : stdout;
  if (report->items.empty()) {
    if (json) std::printf("%s", report_json(*report, false).c_str());
    else std::printf("nothing left behind in %s\n", cfg->region.c_str());
    return awsdl_cli::kExitOk;
  }
  std::fprintf(out, "%zu leftover%s in %s:\n", report->items.size(), report->items.size() == 1 ? "" : "s",
               cfg->region.c_str());
  for (const auto& l : report->items)
    std::fprintf(out, "  %-9s %5s  %s: %s\n", awsdl::cluster::to_string(l.kind), human_age(l.age).c_str(),
                 shown_id(l).c_str(), l.reason.c_str());
  if (dry_run) {
    if (json) std::printf("%s", report_json(*report, false).c_str());
    else std::printf("dry run: nothing was removed\n");
    return awsdl_cli::kExitOk;
  }
  if (!args.has("yes") && !confirm("Remove these " + std::to_string(report->items.size()) + " leftovers?")) {
    std::fprintf(stderr, "nothing removed\n");
    return awsdl_cli::kExitUsage;
  }
  EventPrinter printer(out);
  o.on_event = [&printer](const awsdl::cluster::ClusterEvent& e) { printer(e); };
  o.cancel = install_interrupt_handler();
  auto removed = awsdl::cluster::remove_leftovers(*cfg, *report, o);
  if (!removed) return awsdl_cli::report(removed.error());
  if (json) std::printf("%s", report_json(*report, true).c_str());
  else std::printf("removed %zu leftover%s\n", report->items.size(), report->items.size() == 1 ? "" : "s");
  return awsdl_cli::kExitOk;
}

const awsdl_cli::RegisterCommand kRegister({"gc", "list and remove what failed or interrupted runs left", run});

}  // namespace
