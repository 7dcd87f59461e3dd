// awsdl-cluster template: print the CloudFormation template of a cluster described in an INI
// file, with any key overridden by a flag. No AWS call is made.
#include <cstdio>
#include <string>
#include <vector>

#include <awsdl/cluster/spec.hpp>
#include <awsdl/cluster/template.hpp>

#include "cli.hpp"
#include "cluster_cli.hpp"
#include "command.hpp"

namespace {

using awsdl_cluster::flag_for;

awsdl_cli::Parser parser() {
  awsdl_cli::Parser p("awsdl-cluster template", "print the CloudFormation template of a cluster (no AWS call)");
  p.usage("awsdl-cluster template --config FILE [--KEY VALUE...] [--pretty] [--out FILE]");
  p.usage("awsdl-cluster template --name NAME --key-name KEY --ssh-cidr CIDR [--KEY VALUE...]");
  p.flag({"config", "FILE", "cluster INI file (see examples/cluster/cluster.ini)"});
  p.flag({"pretty", "", "indent the JSON (default: compact, as sent to CloudFormation)"});
  p.flag({"out", "FILE", "write the template to FILE instead of standard output"});
  for (const auto& key : awsdl::cluster::cluster_ini_keys()) {
    auto dot = key.find('.');
    p.flag({flag_for(key), "VALUE", "overrides [" + key.substr(0, dot) + "] " + key.substr(dot + 1)});
  }
  p.example("awsdl-cluster template --config cluster.ini");
  p.example("awsdl-cluster template --config cluster.ini --workers 8 --instance-type p4d.24xlarge --pretty");
  p.example("awsdl-cluster template --config cluster.ini --efs-id fs-0123456789abcdef0 --out stack.json");
  p.note("Every key of the INI file has a flag of the same name with '-' for '_'; a flag wins\n"
         "over the file. Errors name the file and line (or the flag); exit code 2.\n");
  return p;
}

int run(const std::vector<std::string>& argv) {
  auto opening = awsdl_cluster::open_cluster_command(parser(), argv);
  if (opening.exit) return *opening.exit;
  const awsdl_cli::Args& args = opening.args;

  std::vector<awsdl::cluster::SpecOverride> overrides;
  for (const auto& key : awsdl::cluster::cluster_ini_keys()) {
    std::string flag = flag_for(key);
    if (auto v = args.get(flag)) overrides.push_back({key, *v, "--" + flag});
  }
  auto spec = args.get("config") ? awsdl::cluster::load_cluster_spec(*args.get("config"), overrides)
                                  : awsdl::cluster::cluster_spec_from_overrides(overrides);
  if (!spec) {
    // A bad or missing configuration is a usage error, whatever its kind.
    std::fprintf(stderr, "error: %s\n", spec.error().message.c_str());
    return awsdl_cli::kExitUsage;
  }
  auto tpl = awsdl::cluster::build_template(*spec, {.pretty = args.has("pretty")});
  if (!tpl) return awsdl_cli::report(tpl.error());

  if (auto out = args.get("out")) {
    std::FILE* f = std::fopen(out->c_str(), "wb");
    bool written = f && std::fwrite(tpl->body.data(), 1, tpl->body.size(), f) == tpl->body.size();
    if (f && std::fclose(f) != 0) written = false;
    if (!written) {
      std::fprintf(stderr, "error: cannot write %s\n", out->c_str());
      return awsdl_cli::kExitFailed;
    }
  } else {
    std::fwrite(tpl->body.data(), 1, tpl->body.size(), stdout);
    if (!args.has("pretty")) std::fputc('\n', stdout);
  }
  // The size CloudFormation will see is the compact one.
  std::size_t sent = tpl->size();
  if (args.has("pretty")) {
    auto compact = awsdl::cluster::build_template(*spec);
    if (compact) sent = compact->size();
  }
  std::fprintf(stderr, "awsdl-cluster: template %zu bytes compact%s\n", sent,
               awsdl::cluster::template_needs_s3(sent)
                   ? " (over 51,200: it must be uploaded to S3 and passed as TemplateURL)"
                   : "");
  return awsdl_cli::kExitOk;
}

const awsdl_cli::RegisterCommand kRegister{
    {"template", "print the CloudFormation template of a cluster (no AWS call)", run}};

}  // namespace
