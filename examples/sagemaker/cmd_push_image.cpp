// awsdl-sagemaker push-image: a `docker save` tarball (or OCI layout) to ECR without a
// Docker engine: ensure the repository, get a token, push. Any other OCI registry with
// --registry (and --username / --password-stdin).
#include <cstdio>
#include <iostream>
#include <mutex>

#include <awsdl/ecr/ecr.hpp>
#include <awsdl/registry/push.hpp>

#include "cli.hpp"
#include "command.hpp"
#include "interrupt.hpp"
#include "sm_cli.hpp"

namespace {

awsdl_cli::Parser parser() {
  awsdl_cli::Parser p("awsdl-sagemaker push-image", "push a docker-save tarball or OCI layout to ECR (no Docker needed)");
  p.usage("awsdl-sagemaker push-image [options] TARBALL --repository NAME --tag TAG")
      .flag({"repository", "NAME", "repository (created in ECR when missing)"})
      .flag({"tag", "TAG", "tag to push (default latest)"})
      .flag({"registry", "HOST[:PORT]", "push to this OCI registry instead of ECR"})
      .flag({"insecure", "", "with --registry: plain HTTP (loopback registries only)"})
      .flag({"username", "USER", "with --registry: user name"})
      .flag({"password-stdin", "", "with --registry: read the password from standard input"})
      .flag({"parallel", "N", "blobs uploaded in parallel (default 4)"})
      .flag({"quiet", "", "no progress lines"})
      .aws_flags()
      .example("awsdl-sagemaker push-image maskrcnn.tar --repository maskrcnn --tag v1")
      .example("echo \"$PASSWORD\" | awsdl-sagemaker push-image image.tar --registry 127.0.0.1:5000 --insecure \\\n"
               "      --username pusher --password-stdin --repository team/train --tag v1");
  return p;
}

int run(const std::vector<std::string>& argv) {
  auto opening = awsdl_cli::open_command(parser(), argv);
  if (opening.exit) return *opening.exit;
  const awsdl_cli::Args& args = opening.args;
  if (args.positionals().size() != 1 || !args.rest().empty() || !args.has("repository"))
    return awsdl_cli::report(awsdl::Error::invalid_argument(
        "Usage", "push-image takes one TARBALL and --repository NAME (see --help)"));
  const bool json = opening.json;
  const std::string repository = *args.get("repository");
  awsdl::registry::PushOptions push;
  push.repository = repository;
  push.tag = args.get_or("tag", "latest");
  auto parallel = awsdl_cli::whole_flag(args, "parallel", static_cast<long long>(push.parallel_uploads), 1, 64);
  if (!parallel) return awsdl_cli::report(parallel.error());
  push.parallel_uploads = static_cast<std::size_t>(*parallel);
  std::string image_uri;
  awsdl::Config push_config;  // a registry outside AWS: the default transport and retries
  if (auto registry = args.get("registry")) {
    push.registry = *registry;
    push.insecure = args.has("insecure");
    if (args.has("password-stdin")) {
      std::string password;
      std::getline(std::cin, password);
      push.credentials = awsdl::registry::RegistryCredentials{args.get_or("username", ""), password};
    } else if (args.has("username")) {
      return awsdl_cli::report(awsdl::Error::invalid_argument("Usage", "--username goes with --password-stdin"));
    }
    image_uri = push.registry + "/" + repository + ":" + push.tag;
  } else {
    if (args.has("insecure") || args.has("username") || args.has("password-stdin"))
      return awsdl_cli::report(awsdl::Error::invalid_argument(
          "Usage", "--insecure, --username and --password-stdin go with --registry (ECR gives its own token)"));
    if (auto why = awsdl::ecr::repository_name_problem(repository); !why.empty())
      return awsdl_cli::report(awsdl::Error::invalid_argument("BadFlag", "--repository: " + why));
    auto config = awsdl_cli::config_from(args);
    if (!config) return awsdl_cli::report(config.error());
    awsdl::ecr::EcrClient ecr(*config);
    auto repo = ecr.ensure_repository({.repository_name = repository});
    if (!repo) return awsdl_cli::report(repo.error(), "ensuring ECR repository " + repository);
    if (repo->created) std::fprintf(stderr, "created ECR repository %s\n", repo->repository.uri.c_str());
    auto auth = ecr.get_authorization_token();
    if (!auth) return awsdl_cli::report(auth.error(), "getting an ECR authorization token");
    push.registry = auth->registry_host();
    push.insecure = auth->plain_http();
    push.credentials = awsdl::registry::RegistryCredentials{auth->username, auth->password};
    image_uri = repo->repository.uri + ":" + push.tag;
    push_config = *config;  // the same transport and retries as the ECR calls
  }
  std::mutex mu;
  if (!args.has("quiet"))
    push.on_event = [&](const awsdl::registry::PushEvent& e) {
      using K = awsdl::registry::PushEvent::Kind;
      std::lock_guard<std::mutex> lock(mu);
      if (e.kind == K::kBlobSkipped) std::fprintf(stderr, "exists   %s\n", e.digest.c_str());
      if (e.kind == K::kBlobDone) std::fprintf(stderr, "pushed   %s (%llu bytes)\n", e.digest.c_str(),
                                              static_cast<unsigned long long>(e.bytes));
    };
  // Ctrl-C or SIGTERM: the push stops; no tag is written, and that is said.
  push.cancel = awsdl_cli::install_interrupt_handler();
  awsdl_cli::set_interrupt_notes("interrupted: stopping the push of " + image_uri + " (interrupt again to quit at once)",
                                 "interrupted again: quitting. " + image_uri +
                                     " was not tagged; blobs already uploaded stay in the registry and the next push "
                                     "reuses them.");
  auto r = awsdl::registry::push_image(push_config, args.positionals()[0], push);
  if (!r && awsdl_cli::interrupt_signal() != 0) {
    std::fprintf(stderr, "interrupted: %s: %s was not tagged; blobs already uploaded stay in the registry and the "
                         "next push reuses them\n",
                 r.error().message.c_str(), image_uri.c_str());
    awsdl_cli::end_interrupted();
  }
  if (!r) return awsdl_cli::report(r.error(), "pushing " + args.positionals()[0]);
  if (json)
    std::printf("{\"image\":\"%s\",\"digest\":\"%s\",\"media_type\":\"%s\",\"blobs_uploaded\":%zu,"
                "\"blobs_skipped\":%zu,\"bytes_uploaded\":%llu}\n",
                awsdl_cli::json_escape(image_uri).c_str(), r->manifest_digest.c_str(),
                awsdl_cli::json_escape(r->manifest_media_type).c_str(), r->blobs_uploaded, r->blobs_skipped,
                static_cast<unsigned long long>(r->bytes_uploaded));
  else
    std::printf("pushed %s\ndigest %s (%zu blobs uploaded, %zu already there, %llu bytes)\n", image_uri.c_str(),
                r->manifest_digest.c_str(), r->blobs_uploaded, r->blobs_skipped,
                static_cast<unsigned long long>(r->bytes_uploaded));
  return awsdl_cli::kExitOk;
}

const awsdl_cli::RegisterCommand kRegister({"push-image", "push a docker-save tarball to ECR, no Docker engine", run});

}  // namespace
