// S3Client construction and the bucket operations.

#include "awsdl/s3/client.hpp"
#include "awsdl/s3/uri.hpp"
#include "protocol/error_parser.hpp"
#include "util/xml.hpp"
#include "s3/responses.hpp"
#include "s3/s3_internal.hpp"

namespace awsdl::s3 {

using internal::RestRequest;
using internal::s3::s3_operation;

S3Client::S3Client(Config config, S3Options options)
    : client_(std::make_shared<ServiceClient>(std::move(config), internal::s3::s3_service(),
                                                        options.endpoint_url)),
      options_(std::move(options)) {}

const Config& S3Client::config() const { return client_->config(); }

bool S3Client::signs_payloads() const { return internal::s3::sign_payloads(*client_, options_.payload_signing); }

Status S3Client::create_bucket(const CreateBucketRequest& request, const CallOptions& options) const {
  if (auto why = bucket_name_problem(request.bucket); !why.empty())
    return Error::invalid_argument("InvalidBucketName", "'" + request.bucket + "': " + why);
  std::string region = request.region.empty() ? client_->config().region : request.region;
  RestRequest r("PUT", "/");
  if (!region.empty() && region != "us-east-1") {
    internal::XmlWriter w;
    w.open("CreateBucketConfiguration", "http://s3.amazonaws.com/doc/2006-03-01/")
        .element("LocationConstraint", region);
    r.body(w.finish(), "application/xml");
  }
  AWSDL_TRY(client_->call_rest(r, s3_operation("CreateBucket", request.bucket, options)));
  return {};
}

Result<HeadBucketResult> S3Client::head_bucket(const std::string& bucket, const CallOptions& options) const {
  if (bucket.empty()) return Error::invalid_argument("MissingParameter", "Bucket must not be empty");
  auto resp = client_->call_rest(RestRequest("HEAD", "/"), s3_operation("HeadBucket", bucket, options));
  if (!resp) return internal::s3::name_head_error(std::move(resp).error());
  HeadBucketResult out;
  out.region = internal::header_text(*resp, "x-amz-bucket-region").value_or("");
  return out;
}

Status S3Client::delete_bucket(const std::string& bucket, const CallOptions& options) const {
  if (bucket.empty()) return Error::invalid_argument("MissingParameter", "Bucket must not be empty");
  AWSDL_TRY(client_->call_rest(RestRequest("DELETE", "/"), s3_operation("DeleteBucket", bucket, options)));
  return {};
}

Result<std::vector<BucketInfo>> S3Client::list_buckets(const CallOptions& options) const {
  internal::OperationRequest op;
  op.operation = "ListBuckets";
  op.options = options;
  AWSDL_ASSIGN_OR_RETURN(http::Response resp, client_->call_rest(RestRequest("GET", "/"), std::move(op)));
  return internal::s3::parse_list_buckets(resp.body);
}

}  // namespace awsdl::s3
