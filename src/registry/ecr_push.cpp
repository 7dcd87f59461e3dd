// ECR push glue: ensure the repository, get a token, push with it through the Config's transport.
#include "awsdl/registry/ecr_push.hpp"

#include "awsdl/ecr/ecr.hpp"

namespace awsdl::registry {

namespace {
Error in_step(Error e, const std::string& step) {
  e.message = step + ": " + e.message;
  return e;
}
}  // namespace

Result<EcrPushResult> push_image_to_ecr(const Config& config, const std::string& source, PushOptions options,
                                        const std::function<void(const EcrRepositoryReady&)>& on_ready) {
  if (auto why = ecr::repository_name_problem(options.repository); !why.empty())
    return Error::invalid_argument("InvalidRepositoryName", "ECR repository name '" + options.repository + "': " + why);
  ecr::EcrClient client(config);
  const CallOptions call{.cancel = options.cancel};
  auto repo = client.ensure_repository({.repository_name = options.repository}, call);
  if (!repo) return in_step(std::move(repo).error(), "ensuring ECR repository " + options.repository);
  auto auth = client.get_authorization_token({}, call);
  if (!auth) return in_step(std::move(auth).error(), "getting an ECR authorization token");

  EcrPushResult out;
  out.repository.repository_uri = repo->repository.uri;
  out.repository.image_uri = repo->repository.uri + ":" + options.tag;
  out.repository.created = repo->created;
  out.image_uri = out.repository.image_uri;
  options.registry = auth->registry_host();
  options.insecure = auth->plain_http();
  options.credentials = RegistryCredentials{auth->username, auth->password};
  if (on_ready) on_ready(out.repository);
  AWSDL_ASSIGN_OR_RETURN(out.push, push_image(config, source, options));
  return out;
}

}  // namespace awsdl::registry
