#pragma once
// What the S3 client's source files share: the service description, payload signing,
// checksum headers and the per-call plumbing on top of ServiceClient.

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "awsdl/s3/client.hpp"
#include "awsdl/s3/types.hpp"
#include "util/crypto.hpp"
#include "protocol/rest_xml.hpp"
#include "protocol/service_client.hpp"
#include "protocol/service_info.hpp"

namespace awsdl::internal::s3 {

inline const ServiceInfo& s3_service() { return service_info(Service::kS3); }

/// Whether bodies are SHA-256 signed for this client (kAuto: over http only).
bool sign_payloads(const ServiceClient& client, awsdl::s3::PayloadSigning mode);

/// "x-amz-checksum-crc32" etc. ("" for kNone).
std::string checksum_header(awsdl::s3::ChecksumAlgorithm algorithm);
/// "CRC32" -> kCrc32 (any case); nullopt for algorithms this library does not compute.
std::optional<awsdl::s3::ChecksumAlgorithm> parse_checksum_algorithm(std::string_view name);
/// The base64 value S3 puts in the checksum header, computed over `data`.
std::string compute_checksum(awsdl::s3::ChecksumAlgorithm algorithm, std::string_view data);

/// What a request body needs before it is sent: its checksum header value (base64; empty for
/// kNone) and the payload hash SigV4 signs (the SHA-256 in hex when `sign`, else
/// UNSIGNED-PAYLOAD). One pass over the body: each 64 KiB piece goes through both while it is
/// in the cache, and a SHA-256 checksum is the payload hash itself.
struct BodyDigests {
  std::string checksum;
  std::string payload_hash;
};
BodyDigests digest_body(awsdl::s3::ChecksumAlgorithm algorithm, bool sign, std::string_view data);

/// Whether a checksum S3 sent covers the object's bytes, so that a download can check it.
/// A multipart object's checksum is usually a checksum of the parts' checksums: S3 says so
/// with x-amz-checksum-type COMPOSITE, and older answers with a "-N" suffix. An answer that
/// says neither, for an object whose ETag shows it was uploaded in parts, may be either
/// (moto's HeadObject sends a bare composite value), so it is not trusted.
bool checksum_covers_object(awsdl::s3::ChecksumAlgorithm algorithm, std::string_view value,
                            std::string_view checksum_type, std::string_view etag);
/// The same for a checksum header of a GET or HEAD answer.
bool checksum_covers_object(awsdl::s3::ChecksumAlgorithm algorithm, std::string_view value,
                            const http::Response& response);

/// A checksum computed incrementally over a streamed body.
/// Every algorithm, for the places that look for whichever S3 sent.
inline constexpr awsdl::s3::ChecksumAlgorithm kChecksumAlgorithms[] = {
    awsdl::s3::ChecksumAlgorithm::kCrc32, awsdl::s3::ChecksumAlgorithm::kCrc32c,
    awsdl::s3::ChecksumAlgorithm::kSha256, awsdl::s3::ChecksumAlgorithm::kCrc64Nvme};

class RunningChecksum {
 public:
  explicit RunningChecksum(awsdl::s3::ChecksumAlgorithm algorithm);
  void update(std::string_view data);
  std::string finish_base64();
  awsdl::s3::ChecksumAlgorithm algorithm() const { return algorithm_; }

 private:
  awsdl::s3::ChecksumAlgorithm algorithm_;
  std::uint32_t crc_ = 0;
  std::uint64_t crc64_ = 0;
  Sha256 sha_;
};

/// Content headers, metadata, storage class and SSE of a new object onto a request.
void apply_attributes(RestRequest& r, const awsdl::s3::ObjectAttributes& a);

/// kInvalidArgument unless bucket and key are usable.
Status check_bucket_key(std::string_view bucket, std::string_view key);

/// A HEAD answer has no body, so its error has no code: names it the way the SDKs do
/// ("NotFound" for 404, "Forbidden", "BadRequest", "PermanentRedirect", "PreconditionFailed").
Error name_head_error(Error e);

/// An OperationRequest for `bucket` with the call options set.
OperationRequest s3_operation(std::string operation, const std::string& bucket, const CallOptions& options);

}  // namespace awsdl::internal::s3
