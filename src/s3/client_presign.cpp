// Presigned GET and PUT URLs: signed locally with the client's credentials, nothing sent; and
// an object's plain path-style URL.

#include "awsdl/auth/sigv4.hpp"
#include "awsdl/s3/client.hpp"
#include "protocol/endpoint.hpp"
#include "s3/s3_internal.hpp"

namespace awsdl::s3 {
namespace {

Result<std::string> presign_url(const internal::ServiceClient& client, const char* method, const std::string& bucket,
                                const std::string& key, std::chrono::seconds expires, const std::string& content_type) {
  AWSDL_TRY(internal::s3::check_bucket_key(bucket, key));
  const Config& config = client.config();
  if (!config.credentials)
    return Error::make(ErrorKind::kCredentials, "NoCredentials", "presigning needs credentials");
  AWSDL_ASSIGN_OR_RETURN(internal::Endpoint ep, client.endpoint());
  internal::BucketAddress a = internal::s3_bucket_address(ep, bucket, config.s3_force_path_style);
  http::Request req;
  req.method = method;
  req.scheme = a.endpoint.scheme;
  req.host = a.endpoint.host;
  req.path = a.path_prefix + "/" + internal::encode_label(key, /*greedy=*/true);
  if (!content_type.empty()) req.headers.set("Content-Type", content_type);
  AWSDL_ASSIGN_OR_RETURN(auth::Credentials creds, config.credentials->get());
  auth::SigningParams params;
  params.region = ep.signing_region;
  params.service = "s3";
  params.time = client.skew().now(*config.runtime.clock);
  params.double_uri_encode = false;
  params.normalize_path = false;
  params.payload_hash = std::string(auth::kUnsignedPayload);
  params.key_cache = config.signing_keys.get();
  return auth::presign(req, creds, params, expires);
}

}  // namespace

Result<std::string> S3Client::presign_get(const std::string& bucket, const std::string& key,
                                          std::chrono::seconds expires) const {
  return presign_url(*client_, "GET", bucket, key, expires, {});
}

Result<std::string> S3Client::presign_put(const std::string& bucket, const std::string& key,
                                          std::chrono::seconds expires, const std::string& content_type) const {
  return presign_url(*client_, "PUT", bucket, key, expires, content_type);
}

Result<std::string> S3Client::object_url(const std::string& bucket, const std::string& key) const {
  AWSDL_TRY(internal::s3::check_bucket_key(bucket, key));
  AWSDL_ASSIGN_OR_RETURN(auto ep, internal::resolve_endpoint(internal::s3::s3_service(), client_->config()));
  return ep.url() + "/" + bucket + "/" + internal::encode_label(key, /*greedy=*/true);
}

}  // namespace awsdl::s3
