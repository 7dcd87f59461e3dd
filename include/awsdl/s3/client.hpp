#pragma once
// Amazon S3: buckets, objects, listings, multipart uploads and presigned URLs.
//
//   awsdl::s3::S3Client s3(config);
//   auto put = s3.put_object({.bucket = "b", .key = "k", .body = "hello"});
//   auto got = s3.get_object({.bucket = "b", .key = "k"});          // body in memory
//   s3.get_object({.bucket = "b", .key = "k", .range = ByteRange{0, 99}}, sink);  // streamed
//
// Addressing: virtual-hosted ("bucket.s3.region.amazonaws.com") by default; path style
// ("host/bucket/key") when Config::s3_force_path_style is set, the bucket name is not a DNS
// label, or a custom endpoint is an IP address or localhost.
//
// Payloads: see PayloadSigning. Every call goes through the client's retry loop (standard
// mode); the operations that can fail inside a 200 (CompleteMultipartUpload, CopyObject)
// detect that and retry it like any other transient error.

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "awsdl/config.hpp"
#include "awsdl/core/options.hpp"
#include "awsdl/core/result.hpp"
#include "awsdl/http/message.hpp"
#include "awsdl/s3/types.hpp"

namespace awsdl {
/// What a service client stands on (signing, retries, endpoints): opaque here.
class ServiceClient;
}  // namespace awsdl

namespace awsdl::s3 {

struct AWSDL_EXPORT S3Options {
  PayloadSigning payload_signing = PayloadSigning::kAuto;
  /// Overrides Config's endpoints for S3 only ("http://127.0.0.1:9000").
  std::string endpoint_url;
};

/// Receives a GET body; `rewind` (optional) lets a failed attempt start over: it must
/// forget what it received and return true.
struct AWSDL_EXPORT ObjectSink {
  http::BodySink write;
  std::function<bool()> rewind;
};

class ObjectPaginator;

class AWSDL_EXPORT S3Client {
 public:
  explicit S3Client(Config config, S3Options options = {});

  const Config& config() const;
  const S3Options& options() const { return options_; }
  /// Whether request bodies are SHA-256 signed (PayloadSigning resolved against the
  /// endpoint: kAuto signs over http only). When they are, ChecksumAlgorithm::kSha256
  /// costs nothing more: the one digest is both the signed payload hash and the checksum.
  bool signs_payloads() const;

  // ---- buckets
  Status create_bucket(const CreateBucketRequest& request, const CallOptions& options = {}) const;
  /// kService "NotFound"/404 when the bucket does not exist (a HEAD answer has no body).
  Result<HeadBucketResult> head_bucket(const std::string& bucket, const CallOptions& options = {}) const;
  Status delete_bucket(const std::string& bucket, const CallOptions& options = {}) const;
  Result<std::vector<BucketInfo>> list_buckets(const CallOptions& options = {}) const;

  // ---- objects
  Result<PutObjectResult> put_object(const PutObjectRequest& request, const CallOptions& options = {}) const;
  /// The body in memory: at most GetObjectRequest::max_bytes, by default the bounded range
  /// asked for, else the transport's http::TransportOptions::max_body_bytes (16 MiB by
  /// default); beyond it kParse "ResponseTooLarge" (stream bigger objects, or raise
  /// max_bytes). A server that ignores the range (a 200 with the whole object, more bytes
  /// than asked) is kParse "RangeIgnored".
  Result<GetObjectResult> get_object(const GetObjectRequest& request, const CallOptions& options = {}) const;
  /// The body streamed to `sink` (the returned info has no body). Without sink.rewind a
  /// failure after bytes were delivered is returned, not retried. A bounded range never
  /// delivers more than its length ("RangeIgnored" instead).
  Result<ObjectInfo> get_object(const GetObjectRequest& request, const ObjectSink& sink,
                                const CallOptions& options = {}) const;
  Result<ObjectInfo> head_object(const HeadObjectRequest& request, const CallOptions& options = {}) const;
  Status delete_object(const std::string& bucket, const std::string& key, const CallOptions& options = {}) const;
  /// Up to 1000 keys per call (more are sent in batches of 1000).
  Result<DeleteObjectsResult> delete_objects(const std::string& bucket, const std::vector<std::string>& keys,
                                             const CallOptions& options = {}) const;
  Result<CopyObjectResult> copy_object(const CopyObjectRequest& request, const CallOptions& options = {}) const;

  // ---- listings
  Result<ListObjectsPage> list_objects_v2(const ListObjectsRequest& request, const CallOptions& options = {}) const;
  /// Follows continuation tokens page by page.
  ObjectPaginator list_objects_pages(ListObjectsRequest request, CallOptions options = {}) const;
  /// Every object under `prefix`, all pages (at most `limit` objects; more is an error).
  Result<std::vector<ObjectSummary>> list_all_objects(const std::string& bucket, const std::string& prefix,
                                                      std::size_t limit = 10'000'000,
                                                      const CallOptions& options = {}) const;

  // ---- multipart
  Result<MultipartUpload> create_multipart_upload(const CreateMultipartUploadRequest& request,
                                                  const CallOptions& options = {}) const;
  Result<CompletedPart> upload_part(const UploadPartRequest& request, const CallOptions& options = {}) const;
  /// `parts` in ascending part-number order. An error S3 reports inside the 200 is returned
  /// (and retried while retryable).
  Result<CompleteMultipartUploadResult> complete_multipart_upload(const MultipartUpload& upload,
                                                                  const std::vector<CompletedPart>& parts,
                                                                  const CallOptions& options = {}) const;
  Status abort_multipart_upload(const MultipartUpload& upload, const CallOptions& options = {}) const;
  Result<ListPartsPage> list_parts(const MultipartUpload& upload, int part_number_marker = 0, int max_parts = 1000,
                                   const CallOptions& options = {}) const;
  /// Every part, all pages.
  Result<std::vector<CompletedPart>> list_all_parts(const MultipartUpload& upload,
                                                    const CallOptions& options = {}) const;
  Result<ListMultipartUploadsPage> list_multipart_uploads(const ListMultipartUploadsRequest& request,
                                                          const CallOptions& options = {}) const;

  // ---- presigned URLs (signed now, with the client's credentials; nothing is sent)
  Result<std::string> presign_get(const std::string& bucket, const std::string& key, std::chrono::seconds expires) const;
  /// `content_type`, when given, is signed: the upload must send exactly that Content-Type.
  Result<std::string> presign_put(const std::string& bucket, const std::string& key, std::chrono::seconds expires,
                                  const std::string& content_type = {}) const;
  /// The object's plain URL, path style on the configured endpoint (what CloudFormation's
  /// TemplateURL takes for a template in a bucket). Nothing is signed or sent.
  Result<std::string> object_url(const std::string& bucket, const std::string& key) const;

 private:
  std::shared_ptr<ServiceClient> client_;
  S3Options options_;
};

/// ListObjectsV2 page by page:  while (p.has_more()) { auto page = p.next(); ... }
class AWSDL_EXPORT ObjectPaginator {
 public:
  ObjectPaginator(S3Client client, ListObjectsRequest request, CallOptions options);
  bool has_more() const { return !done_; }
  /// The next page; after an error has_more() is false.
  Result<ListObjectsPage> next();
  int pages() const { return pages_; }

 private:
  S3Client client_;
  ListObjectsRequest request_;
  CallOptions options_;
  bool done_ = false;
  int pages_ = 0;
};

}  // namespace awsdl::s3
