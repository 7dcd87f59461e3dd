#pragma once
// Amazon Elastic Container Registry: the repository a training image goes to, and the
// token that lets an OCI client (awsdl::registry::push_image) push there. Names follow
// botocore's ecr model.
//
//   awsdl::ecr::EcrClient ecr(cfg);
//   auto repo = ecr.ensure_repository({.repository_name = "maskrcnn"});
//   auto auth = ecr.get_authorization_token();
//   awsdl::registry::PushOptions push{.registry = auth->registry_host(),
//                                     .repository = "maskrcnn", .tag = "v1",
//                                     .credentials = {{auth->username, auth->password}}};

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "awsdl/config.hpp"
#include "awsdl/core/options.hpp"
#include "awsdl/core/result.hpp"
#include "awsdl/core/runtime.hpp"

namespace awsdl {
/// What a service client stands on (signing, retries, endpoints): opaque here.
class ServiceClient;
}  // namespace awsdl

namespace awsdl::ecr {

struct AWSDL_EXPORT RepositoryTag {
  std::string key;
  std::string value;
};

struct AWSDL_EXPORT CreateRepositoryRequest {
  std::string repository_name;  // "team/train": lower case, 2-256 characters
  std::string registry_id;      // default: the caller's account
  bool immutable_tags = false;  // imageTagMutability IMMUTABLE
  bool scan_on_push = false;
  std::string encryption_type;  // "AES256" (the service's default) or "KMS"
  std::string kms_key;          // with KMS only
  std::vector<RepositoryTag> tags;
};

struct AWSDL_EXPORT Repository {
  std::string arn;
  std::string registry_id;
  std::string name;
  std::string uri;  // "<registry host>/<name>": what image references start with
  std::optional<WallTime> created_at;
  std::string tag_mutability;  // MUTABLE, IMMUTABLE
  bool scan_on_push = false;
  std::string encryption_type;
  std::string kms_key;
};

struct AWSDL_EXPORT EnsuredRepository {
  Repository repository;
  bool created = false;  // false: it already existed (its settings are left as they are)
};

/// GetAuthorizationToken's answer, decoded. The token and password are registered as
/// secrets (never logged).
struct AWSDL_EXPORT AuthorizationData {
  std::string token;           // base64("AWS:<password>") as the service sent it
  std::string username;        // "AWS" on ECR
  std::string password;
  std::optional<WallTime> expires_at;
  std::string proxy_endpoint;  // "https://<account>.dkr.ecr.<region>.amazonaws.com"

  /// host[:port] of proxy_endpoint, what PushOptions::registry takes.
  std::string registry_host() const;
  /// Whether proxy_endpoint is plain http:// (only a local registry would be).
  bool plain_http() const;
};

struct AWSDL_EXPORT LayerAvailability {
  std::string digest;
  bool available = false;
  std::int64_t size = 0;
  std::string media_type;
  std::string failure_code;  // InvalidLayerDigest, MissingLayerDigest
  std::string failure_reason;
};

/// An image by digest, by tag, or both.
struct AWSDL_EXPORT ImageId {
  std::string digest;
  std::string tag;
};

struct AWSDL_EXPORT ImageDetail {
  std::string registry_id;
  std::string repository_name;
  std::string digest;
  std::vector<std::string> tags;
  std::int64_t size = 0;
  std::optional<WallTime> pushed_at;
  std::string manifest_media_type;
  std::string artifact_media_type;
};

struct AWSDL_EXPORT ImageFailure {
  ImageId id;
  std::string code;  // ImageNotFound, InvalidImageTag, MissingDigestAndTag, ...
  std::string reason;
};

struct AWSDL_EXPORT BatchDeleteImageResult {
  std::vector<ImageId> deleted;
  std::vector<ImageFailure> failures;
};

enum class TagStatus { kAny, kTagged, kUntagged };

/// "team/train" is a valid repository name (the model's pattern and length); else why not.
AWSDL_EXPORT std::string repository_name_problem(const std::string& name);

class AWSDL_EXPORT EcrClient {
 public:
  explicit EcrClient(Config config);

  Result<Repository> create_repository(const CreateRepositoryRequest& request, const CallOptions& options = {}) const;
  /// Every repository (all pages) when `names` is empty. An unknown name: kService
  /// "RepositoryNotFoundException".
  Result<std::vector<Repository>> describe_repositories(const std::vector<std::string>& names = {},
                                                       const std::string& registry_id = {},
                                                       const CallOptions& options = {}) const;
  /// `force`: also delete the images it holds.
  Result<Repository> delete_repository(const std::string& name, bool force = false,
                                       const std::string& registry_id = {}, const CallOptions& options = {}) const;
  /// Describe, create when missing (a concurrent creation by someone else is not an error).
  Result<EnsuredRepository> ensure_repository(const CreateRepositoryRequest& request,
                                              const CallOptions& options = {}) const;
  /// For the caller's registry (or the first of `registry_ids`).
  Result<AuthorizationData> get_authorization_token(const std::vector<std::string>& registry_ids = {},
                                                    const CallOptions& options = {}) const;
  /// One entry per digest, in the order given (available or not, with the failure's code).
  Result<std::vector<LayerAvailability>> batch_check_layer_availability(const std::string& repository,
                                                                       const std::vector<std::string>& digests,
                                                                       const CallOptions& options = {}) const;
  /// Every image (all pages), or those in `ids` (an unknown one: "ImageNotFoundException").
  Result<std::vector<ImageDetail>> describe_images(const std::string& repository, const std::vector<ImageId>& ids = {},
                                                   TagStatus tag_status = TagStatus::kAny,
                                                   const CallOptions& options = {}) const;
  Result<BatchDeleteImageResult> batch_delete_image(const std::string& repository, const std::vector<ImageId>& ids,
                                                    const CallOptions& options = {}) const;

 private:
  std::shared_ptr<ServiceClient> client_;
};

}  // namespace awsdl::ecr
