#include <regex>

#include "awsdl/core/log.hpp"
#include "awsdl/ecr/ecr.hpp"
#include "util/crypto.hpp"
#include "util/json.hpp"
#include "protocol/pagination.hpp"
#include "protocol/json_protocol.hpp"
#include "protocol/service_client.hpp"

namespace awsdl::ecr {
namespace {

using internal::JsonValue;
using internal::JsonWriter;

Status check_name(const std::string& name, const char* op) {
  if (auto why = repository_name_problem(name); !why.empty())
    return Error::invalid_argument("InvalidParameterException", std::string(op) + ": " + why);
  return {};
}

Repository parse_repository(const JsonValue& v) {
  Repository r;
  r.arn = internal::json_string_or(v, "repositoryArn");
  r.registry_id = internal::json_string_or(v, "registryId");
  r.name = internal::json_string_or(v, "repositoryName");
  r.uri = internal::json_string_or(v, "repositoryUri");
  r.created_at = internal::json_timestamp(v, "createdAt");
  r.tag_mutability = internal::json_string_or(v, "imageTagMutability");
  if (const auto* s = internal::json_object(v, "imageScanningConfiguration"))
    r.scan_on_push = internal::json_bool(*s, "scanOnPush").value_or(false);
  if (const auto* e = internal::json_object(v, "encryptionConfiguration")) {
    r.encryption_type = internal::json_string_or(*e, "encryptionType");
    r.kms_key = internal::json_string_or(*e, "kmsKey");
  }
  return r;
}

Result<Repository> repository_member(const internal::JsonDocument& doc, const char* op) {
  const auto* repo = internal::json_object(doc.root(), "repository");
  if (repo == nullptr)
    return Error::make(ErrorKind::kParse, "MissingElement", std::string(op) + ": answer has no repository");
  return parse_repository(*repo);
}

void write_image_id(JsonWriter& w, const ImageId& id) {
  w.start_object().optional_field("imageDigest", id.digest).optional_field("imageTag", id.tag).end_object();
}

ImageId parse_image_id(const JsonValue& v) {
  return {internal::json_string_or(v, "imageDigest"), internal::json_string_or(v, "imageTag")};
}

Status check_image_ids(const std::vector<ImageId>& ids, const char* op) {
  for (const auto& id : ids)
    if (id.digest.empty() && id.tag.empty())
      return Error::invalid_argument("InvalidParameterException",
                                     std::string(op) + ": an image id needs a digest or a tag");
  return {};
}

}  // namespace

std::string repository_name_problem(const std::string& name) {
  static const std::regex pattern("(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*");
  if (name.size() < 2 || name.size() > 256) return "a repository name has 2 to 256 characters";
  if (!std::regex_match(name, pattern))
    return "repository name '" + name +
           "' must be lower-case letters, digits and . _ - separators, in /-separated components";
  return {};
}

std::string AuthorizationData::registry_host() const {
  std::string host = proxy_endpoint;
  if (auto p = host.find("://"); p != std::string::npos) host = host.substr(p + 3);
  if (auto slash = host.find('/'); slash != std::string::npos) host.resize(slash);
  return host;
}

bool AuthorizationData::plain_http() const { return proxy_endpoint.rfind("http://", 0) == 0; }

EcrClient::EcrClient(Config config)
    : client_(std::make_shared<ServiceClient>(std::move(config),
                                                        internal::service_info(internal::Service::kEcr))) {}

Result<Repository> EcrClient::create_repository(const CreateRepositoryRequest& request,
                                                const CallOptions& options) const {
  AWSDL_TRY(check_name(request.repository_name, "CreateRepository"));
  if (!request.encryption_type.empty() && request.encryption_type != "AES256" && request.encryption_type != "KMS")
    return Error::invalid_argument("InvalidParameterException", "CreateRepository: encryption type is AES256 or KMS");
  if (!request.kms_key.empty() && request.encryption_type != "KMS")
    return Error::invalid_argument("InvalidParameterException", "CreateRepository: a KMS key needs encryption type KMS");
  JsonWriter w;
  w.start_object().optional_field("registryId", request.registry_id).field("repositoryName", request.repository_name);
  if (!request.tags.empty()) {
    w.key("tags").start_array();
    for (const auto& t : request.tags) w.start_object().field("Key", t.key).field("Value", t.value).end_object();
    w.end_array();
  }
  w.field("imageTagMutability", request.immutable_tags ? "IMMUTABLE" : "MUTABLE");
  if (request.scan_on_push) w.key("imageScanningConfiguration").start_object().field("scanOnPush", true).end_object();
  if (!request.encryption_type.empty()) {
    w.key("encryptionConfiguration").start_object().field("encryptionType", request.encryption_type);
    w.optional_field("kmsKey", request.kms_key).end_object();
  }
  w.end_object();
  AWSDL_ASSIGN_OR_RETURN(auto doc, client_->call_json("CreateRepository", w.str(), options));
  return repository_member(doc, "CreateRepository");
}

Result<std::vector<Repository>> EcrClient::describe_repositories(const std::vector<std::string>& names,
                                                                 const std::string& registry_id,
                                                                 const CallOptions& options) const {
  for (const auto& n : names) AWSDL_TRY(check_name(n, "DescribeRepositories"));
  std::vector<Repository> out;
  internal::PageGuard pages("ECR DescribeRepositories", client_->config().max_pages);
  std::string token;
  for (;;) {
    JsonWriter w;
    w.start_object().optional_field("registryId", registry_id);
    if (!names.empty()) {
      w.key("repositoryNames").start_array();
      for (const auto& n : names) w.value(n);
      w.end_array();
    }
    w.optional_field("nextToken", token).end_object();
    AWSDL_ASSIGN_OR_RETURN(auto doc, client_->call_json("DescribeRepositories", w.str(), options));
    if (const auto* list = internal::json_array(doc.root(), "repositories"))
      for (const auto& r : list->GetArray()) out.push_back(parse_repository(r));
    token = internal::json_string_or(doc.root(), "nextToken");
    AWSDL_ASSIGN_OR_RETURN(bool more, pages.next(token));
    if (!more) return out;
  }
}

Result<Repository> EcrClient::delete_repository(const std::string& name, bool force, const std::string& registry_id,
                                                const CallOptions& options) const {
  AWSDL_TRY(check_name(name, "DeleteRepository"));
  JsonWriter w;
  w.start_object().optional_field("registryId", registry_id).field("repositoryName", name);
  if (force) w.field("force", true);
  w.end_object();
  AWSDL_ASSIGN_OR_RETURN(auto doc, client_->call_json("DeleteRepository", w.str(), options));
  return repository_member(doc, "DeleteRepository");
}

Result<EnsuredRepository> EcrClient::ensure_repository(const CreateRepositoryRequest& request,
                                                       const CallOptions& options) const {
  AWSDL_TRY(check_name(request.repository_name, "EnsureRepository"));
  auto found = describe_repositories({request.repository_name}, request.registry_id, options);
  if (found.ok() && !found->empty()) return EnsuredRepository{found->front(), false};
  if (!found.ok() && found.error().code != "RepositoryNotFoundException") return std::move(found).error();
  auto created = create_repository(request, options);
  if (created.ok()) return EnsuredRepository{std::move(created).value(), true};
  if (created.error().code != "RepositoryAlreadyExistsException") return std::move(created).error();
  // Someone else created it between our two calls: theirs is the one to use.
  AWSDL_ASSIGN_OR_RETURN(auto again, describe_repositories({request.repository_name}, request.registry_id, options));
  if (again.empty())
    return Error::make(ErrorKind::kService, "RepositoryNotFoundException",
                       "EnsureRepository: '" + request.repository_name + "' exists and yet is not described");
  return EnsuredRepository{again.front(), false};
}

Result<AuthorizationData> EcrClient::get_authorization_token(const std::vector<std::string>& registry_ids,
                                                             const CallOptions& options) const {
  JsonWriter w;
  w.start_object();
  if (!registry_ids.empty()) {
    w.key("registryIds").start_array();
    for (const auto& id : registry_ids) w.value(id);
    w.end_array();
  }
  w.end_object();
  AWSDL_ASSIGN_OR_RETURN(auto doc, client_->call_json("GetAuthorizationToken", w.str(), options));
  const auto* list = internal::json_array(doc.root(), "authorizationData");
  if (list == nullptr || list->Empty() || !(*list)[0].IsObject())
    return Error::make(ErrorKind::kParse, "MissingElement", "GetAuthorizationToken: answer has no authorizationData");
  const auto& d = (*list)[0];
  AuthorizationData out;
  out.token = internal::json_string_or(d, "authorizationToken");
  register_secret(out.token);
  out.expires_at = internal::json_timestamp(d, "expiresAt");
  out.proxy_endpoint = internal::json_string_or(d, "proxyEndpoint");
  auto decoded = internal::base64_decode(out.token);
  auto colon = decoded ? decoded->find(':') : std::string::npos;
  if (!decoded || colon == std::string::npos)
    return Error::make(ErrorKind::kParse, "MalformedRegistryToken",
                       "GetAuthorizationToken: the token is not base64 of user:password");
  out.username = decoded->substr(0, colon);
  out.password = decoded->substr(colon + 1);
  register_secret(out.password);
  return out;
}

Result<std::vector<LayerAvailability>> EcrClient::batch_check_layer_availability(
    const std::string& repository, const std::vector<std::string>& digests, const CallOptions& options) const {
  AWSDL_TRY(check_name(repository, "BatchCheckLayerAvailability"));
  if (digests.empty() || digests.size() > 100)
    return Error::invalid_argument("InvalidParameterException", "BatchCheckLayerAvailability: 1 to 100 digests");
  JsonWriter w;
  w.start_object().field("repositoryName", repository).key("layerDigests").start_array();
  for (const auto& d : digests) w.value(d);
  w.end_array().end_object();
  AWSDL_ASSIGN_OR_RETURN(auto doc, client_->call_json("BatchCheckLayerAvailability", w.str(), options));
  std::vector<LayerAvailability> out;
  for (const auto& d : digests) out.push_back({.digest = d});
  auto find = [&](const std::string& digest) -> LayerAvailability* {
    for (auto& l : out)
      if (l.digest == digest) return &l;
    return nullptr;
  };
  if (const auto* layers = internal::json_array(doc.root(), "layers"))
    for (const auto& l : layers->GetArray())
      if (auto* e = find(internal::json_string_or(l, "layerDigest"))) {
        e->available = internal::json_string_or(l, "layerAvailability") == "AVAILABLE";
        e->size = internal::json_int(l, "layerSize").value_or(0);
        e->media_type = internal::json_string_or(l, "mediaType");
      }
  if (const auto* failures = internal::json_array(doc.root(), "failures"))
    for (const auto& f : failures->GetArray())
      if (auto* e = find(internal::json_string_or(f, "layerDigest"))) {
        e->available = false;
        e->failure_code = internal::json_string_or(f, "failureCode");
        e->failure_reason = internal::json_string_or(f, "failureReason");
      }
  return out;
}

Result<std::vector<ImageDetail>> EcrClient::describe_images(const std::string& repository,
                                                            const std::vector<ImageId>& ids, TagStatus tag_status,
                                                            const CallOptions& options) const {
  AWSDL_TRY(check_name(repository, "DescribeImages"));
  AWSDL_TRY(check_image_ids(ids, "DescribeImages"));
  std::vector<ImageDetail> out;
  internal::PageGuard pages("ECR DescribeImages", client_->config().max_pages);
  std::string token;
  for (;;) {
    JsonWriter w;
    w.start_object().field("repositoryName", repository);
    if (!ids.empty()) {
      w.key("imageIds").start_array();
      for (const auto& id : ids) write_image_id(w, id);
      w.end_array();
    }
    w.optional_field("nextToken", token);
    if (tag_status != TagStatus::kAny)
      w.key("filter").start_object().field("tagStatus", tag_status == TagStatus::kTagged ? "TAGGED" : "UNTAGGED").end_object();
    w.end_object();
    AWSDL_ASSIGN_OR_RETURN(auto doc, client_->call_json("DescribeImages", w.str(), options));
    if (const auto* list = internal::json_array(doc.root(), "imageDetails"))
      for (const auto& d : list->GetArray()) {
        ImageDetail i;
        i.registry_id = internal::json_string_or(d, "registryId");
        i.repository_name = internal::json_string_or(d, "repositoryName");
        i.digest = internal::json_string_or(d, "imageDigest");
        if (const auto* tags = internal::json_array(d, "imageTags"))
          for (const auto& t : tags->GetArray())
            if (t.IsString()) i.tags.emplace_back(t.GetString(), t.GetStringLength());
        i.size = internal::json_int(d, "imageSizeInBytes").value_or(0);
        i.pushed_at = internal::json_timestamp(d, "imagePushedAt");
        i.manifest_media_type = internal::json_string_or(d, "imageManifestMediaType");
        i.artifact_media_type = internal::json_string_or(d, "artifactMediaType");
        out.push_back(std::move(i));
      }
    token = internal::json_string_or(doc.root(), "nextToken");
    AWSDL_ASSIGN_OR_RETURN(bool more, pages.next(token));
    if (!more) return out;
  }
}

Result<BatchDeleteImageResult> EcrClient::batch_delete_image(const std::string& repository,
                                                             const std::vector<ImageId>& ids,
                                                             const CallOptions& options) const {
  AWSDL_TRY(check_name(repository, "BatchDeleteImage"));
  if (ids.empty() || ids.size() > 100)
    return Error::invalid_argument("InvalidParameterException", "BatchDeleteImage: 1 to 100 image ids");
  AWSDL_TRY(check_image_ids(ids, "BatchDeleteImage"));
  JsonWriter w;
  w.start_object().field("repositoryName", repository).key("imageIds").start_array();
  for (const auto& id : ids) write_image_id(w, id);
  w.end_array().end_object();
  AWSDL_ASSIGN_OR_RETURN(auto doc, client_->call_json("BatchDeleteImage", w.str(), options));
  BatchDeleteImageResult out;
  if (const auto* list = internal::json_array(doc.root(), "imageIds"))
    for (const auto& i : list->GetArray()) out.deleted.push_back(parse_image_id(i));
  if (const auto* list = internal::json_array(doc.root(), "failures"))
    for (const auto& f : list->GetArray()) {
      ImageFailure e;
      if (const auto* id = internal::json_object(f, "imageId")) e.id = parse_image_id(*id);
      e.code = internal::json_string_or(f, "failureCode");
      e.reason = internal::json_string_or(f, "failureReason");
      out.failures.push_back(std::move(e));
    }
  return out;
}

}  // namespace awsdl::ecr
