// awsdl-cluster preflight: the checks create runs before anything is made (types offered in
// the zones, the vCPU quota beside what already runs, the image's architecture, the key pair,
// the staging bucket, file systems, reservations), printed as a report; a refusal ends with
// the error and its next steps, as create would print it.
#include <cstdio>
#include <string>

#include <awsdl/cluster/lifecycle.hpp>
#include <awsdl/cluster/preflight.hpp>

#include "cli.hpp"
#include "cluster_cli.hpp"
#include "command.hpp"

namespace {

using namespace awsdl_cluster;

awsdl_cli::Parser parser() {
  awsdl_cli::Parser p("awsdl-cluster preflight", "check that a cluster can be created, creating nothing");
  p.usage("awsdl-cluster preflight --config FILE [--KEY VALUE...]");
  p.usage("awsdl-cluster preflight --name NAME --key-name KEY --ssh-cidr CIDR [--KEY VALUE...]");
  add_cluster_flags(p);
  p.example("awsdl-cluster preflight --config cluster.ini");
  p.example("awsdl-cluster preflight --config cluster.ini --workers 16 --output json");
  p.note("Makes only read calls, each once. Exit 0: create would get past its checks; 1: refused\n"
         "(the reasons and what to do follow); 2: bad flags or file.\n");
  return p;
}

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

void print_text(const awsdl::cluster::PreflightReport& r) {
  std::printf("region %s, candidate zones: %s\n", r.region.c_str(), r.zones.empty() ? "-" : join(r.zones, ", ").c_str());
  for (const auto& t : r.types)
    std::printf("type   %s: %d vCPUs, %d GPUs, %s%s\n", t.instance_type.c_str(), t.vcpus, t.gpus,
                t.architectures.empty() ? "arch unknown" : join(t.architectures, "/").c_str(),
                t.efa_supported ? ", EFA" : "");
  for (const auto& q : r.quotas)
    std::printf("quota  %s (%s %s): %.0f vCPUs, %d in use, %d needed\n", q.quota_code.c_str(), q.family.c_str(),
                q.market.c_str(), q.quota_vcpus, q.running_vcpus, q.needed_vcpus);
  for (const auto& c : r.checks) {
    std::printf("%-8s %-15s %s -> %s\n", awsdl::cluster::to_string(c.verdict), c.name.c_str(), c.asked.c_str(),
                c.found.c_str());
    if (c.verdict == awsdl::cluster::CheckVerdict::kWarn || c.verdict == awsdl::cluster::CheckVerdict::kSkipped)
      std::printf("         %s\n", c.message.c_str());
  }
  std::printf("%d AWS calls\n", r.api_calls);
}

void print_json(const awsdl::cluster::PreflightReport& r) {
  using awsdl_cli::json_escape;
  std::string out = "{\"region\":\"" + json_escape(r.region) + "\",\"ok\":" + (r.ok() ? "true" : "false") +
                    ",\"api_calls\":" + std::to_string(r.api_calls) + ",\"efa\":" + (r.efa ? "true" : "false") +
                    ",\"image_id\":\"" + json_escape(r.image_id) + "\",\"zones\":[";
  for (std::size_t i = 0; i < r.zones.size(); ++i) out += (i ? ",\"" : "\"") + json_escape(r.zones[i]) + "\"";
  out += "],\"checks\":[";
  for (std::size_t i = 0; i < r.checks.size(); ++i) {
    const auto& c = r.checks[i];
    out += std::string(i ? "," : "") + "{\"name\":\"" + json_escape(c.name) + "\",\"verdict\":\"" +
           awsdl::cluster::to_string(c.verdict) + "\",\"asked\":\"" + json_escape(c.asked) + "\",\"found\":\"" +
           json_escape(c.found) + "\",\"code\":\"" + json_escape(c.code) + "\",\"message\":\"" + json_escape(c.message) +
           "\"}";
  }
  out += "],\"quotas\":[";
  for (std::size_t i = 0; i < r.quotas.size(); ++i) {
    const auto& q = r.quotas[i];
    out += std::string(i ? "," : "") + "{\"quota_code\":\"" + json_escape(q.quota_code) + "\",\"family\":\"" +
           json_escape(q.family) + "\",\"market\":\"" + json_escape(q.market) + "\",\"value\":" +
           std::to_string(static_cast<long long>(q.quota_vcpus)) + ",\"running_vcpus\":" +
           std::to_string(q.running_vcpus) + ",\"needed_vcpus\":" + std::to_string(q.needed_vcpus) + "}";
  }
  out += "]}";
  std::printf("%s\n", out.c_str());
}

int run(const std::vector<std::string>& argv) {
  auto opening = open_cluster_command(parser(), argv);
  if (opening.exit) return *opening.exit;
  const awsdl_cli::Args& args = opening.args;
  // No SSH here: a key file that cannot be read is for create to refuse.
  auto target = target_from(args, true, KeyCheck::kWarn);
  if (!target) return awsdl_cli::report(target.error());
  auto cfg = awsdl_cli::config_from(args);
  if (!cfg) return awsdl_cli::report(cfg.error());
  awsdl::cluster::Clusters clusters(*cfg);
  auto report = clusters.preflight(target->spec);
  if (!report) return awsdl_cli::report(report.error());
  if (opening.json) print_json(*report);
  else print_text(*report);
  if (auto s = report->status(); !s) return awsdl_cli::report(s.error(), "preflight");
  return awsdl_cli::kExitOk;
}

const awsdl_cli::RegisterCommand kRegister({"preflight", "check quotas, offerings, image, key, bucket before a create",
                                            run});

}  // namespace
