#pragma once
// Pushing an image to Amazon ECR in one call: the repository is ensured (created when
// missing), an authorization token fetched, and the image pushed with it, all through the
// caller's Config (credentials, region, endpoint, transport).
//
//   awsdl::registry::PushOptions push{.repository = "maskrcnn", .tag = "v1"};
//   auto r = awsdl::registry::push_image_to_ecr(config, "image.tar", push);
//   // r->image_uri: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/maskrcnn:v1"

#include <functional>
#include <string>

#include "awsdl/config.hpp"
#include "awsdl/core/result.hpp"
#include "awsdl/export.hpp"
#include "awsdl/registry/push.hpp"

namespace awsdl::registry {

/// The ECR repository a push goes to, known before any blob is sent.
struct AWSDL_EXPORT EcrRepositoryReady {
  std::string repository_uri;  // "<registry host>/<repository>"
  std::string image_uri;       // repository_uri + ":" + tag
  bool created = false;        // false: it existed already (its settings are left as they are)
};

struct AWSDL_EXPORT EcrPushResult {
  EcrRepositoryReady repository;
  PushResult push;
  std::string image_uri;  // repository.image_uri
};

/// Pushes `source` (what push_image takes) to the ECR repository `options.repository` of
/// config's account and region: ensures the repository (CreateRepository when missing), gets
/// an authorization token and pushes with it. options.registry, credentials and insecure are
/// set from the token (any given are replaced); the registry's requests go through
/// the Config (transport, retries, runtime) like the ECR calls; options.cancel also stops them.
/// `on_ready` is told about the repository before the push starts.
/// Errors: a repository name ECR refuses: kInvalidArgument before any call; the ECR calls'
/// errors with the step named ("ensuring ECR repository NAME: ...", "getting an ECR
/// authorization token: ..."); push_image's errors as they are.
AWSDL_EXPORT Result<EcrPushResult> push_image_to_ecr(const Config& config, const std::string& source,
                                                     PushOptions options,
                                                     const std::function<void(const EcrRepositoryReady&)>& on_ready = {});

}  // namespace awsdl::registry
