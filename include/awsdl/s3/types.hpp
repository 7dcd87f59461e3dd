#pragma once
// Requests and results of the S3 operations (awsdl/s3/client.hpp).

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "awsdl/core/runtime.hpp"
#include "awsdl/export.hpp"
#include "awsdl/http/message.hpp"

namespace awsdl::s3 {

/// Additional checksums S3 computes and verifies (x-amz-checksum-*). kCrc64Nvme (CRC-64/NVME)
/// is a full-object checksum even for multipart uploads: S3 checks the whole object's value at
/// CompleteMultipartUpload; the others keep a checksum of the parts' checksums ("...-N").
enum class ChecksumAlgorithm { kNone, kCrc32, kCrc32c, kSha256, kCrc64Nvme };

/// "CRC32", "CRC32C", "SHA256", "CRC64NVME" ("" for kNone).
AWSDL_EXPORT const char* to_string(ChecksumAlgorithm algorithm);

/// How request bodies are covered by the signature.
enum class PayloadSigning {
  /// As the AWS SDKs do: SHA-256 of the body over http (nothing else protects it), the
  /// UNSIGNED-PAYLOAD marker over https (TLS does, and a checksum header can be added).
  kAuto,
  kSigned,
  kUnsigned,
};

/// What is stored with a new object: content headers, user metadata, storage class and
/// server-side encryption. Empty fields are not sent (S3's defaults apply).
struct AWSDL_EXPORT ObjectAttributes {
  std::string content_type;
  std::string cache_control;
  std::string content_disposition;
  std::string content_encoding;
  /// User metadata, sent as x-amz-meta-<key> (S3 lower-cases the keys).
  std::map<std::string, std::string> metadata;
  std::string storage_class;           // "STANDARD", "STANDARD_IA", "INTELLIGENT_TIERING", ...
  std::string server_side_encryption;  // "AES256", "aws:kms"
  std::string sse_kms_key_id;          // with aws:kms
};

/// An object's properties as HEAD / GET report them.
struct AWSDL_EXPORT ObjectInfo {
  std::uint64_t content_length = 0;     // bytes in this answer (the range for a ranged GET)
  std::uint64_t object_size = 0;        // the whole object (from Content-Range when ranged)
  std::string etag;                     // with its quotes, as S3 sends it
  std::optional<WallTime> last_modified;
  std::string content_type;
  std::string content_range;            // "bytes 0-99/1000" for a ranged GET
  std::map<std::string, std::string> metadata;
  std::string storage_class;            // empty means STANDARD
  std::string server_side_encryption;
  std::string sse_kms_key_id;
  std::string version_id;
  std::optional<int> parts_count;       // x-amz-mp-parts-count (GET/HEAD with a part number)
  /// Checksums S3 returned (x-amz-checksum-*): algorithm -> value ("...-N" for a
  /// multipart object's checksum of checksums).
  std::map<ChecksumAlgorithm, std::string> checksums;
  /// x-amz-checksum-type: "FULL_OBJECT", "COMPOSITE", or empty when the answer did not say.
  std::string checksum_type;
};

struct AWSDL_EXPORT PutObjectRequest {
  std::string bucket;
  std::string key;
  /// The body: in memory, or streamed from `body_source` of `content_length` bytes (with
  /// `rewind_body` so that a failed attempt can be retried).
  std::string body;
  http::BodySource body_source;
  std::uint64_t content_length = 0;
  std::function<bool()> rewind_body;
  ObjectAttributes attributes;
  /// A checksum header computed over the body and verified by S3 (in-memory bodies only).
  ChecksumAlgorithm checksum = ChecksumAlgorithm::kNone;
  /// Send Content-MD5 as well (in-memory bodies only).
  bool content_md5 = false;
};

struct AWSDL_EXPORT PutObjectResult {
  std::string etag;
  std::string version_id;
  std::string checksum;                 // the value of the requested checksum, when S3 echoed it
  std::string server_side_encryption;
};

/// A byte range, both ends inclusive; `last` absent means to the end of the object.
struct AWSDL_EXPORT ByteRange {
  std::uint64_t first = 0;
  std::optional<std::uint64_t> last;
  /// "bytes=first-last".
  std::string header() const;
};

struct AWSDL_EXPORT GetObjectRequest {
  std::string bucket;
  std::string key;
  std::optional<ByteRange> range;
  std::optional<int> part_number;
  std::string if_match;        // fail with PreconditionFailed unless the ETag matches
  std::string if_none_match;
  std::string version_id;
  /// Ask S3 for the object's checksum (x-amz-checksum-mode: ENABLED) and verify the bytes
  /// against it when it covers exactly what was received (a whole object that was not
  /// uploaded in parts): a mismatch is the error "ChecksumMismatch".
  bool verify_checksum = true;
  /// The in-memory GET only: the largest body accepted (kParse "ResponseTooLarge" beyond);
  /// 0 = the range's length for a bounded range, else the transport's limit for an answer
  /// held in memory (http::TransportOptions::max_body_bytes, 16 MiB by default).
  std::uint64_t max_bytes = 0;
};

struct AWSDL_EXPORT GetObjectResult {
  ObjectInfo info;
  std::string body;
};

struct AWSDL_EXPORT HeadObjectRequest {
  std::string bucket;
  std::string key;
  std::optional<int> part_number;
  std::string version_id;
  bool checksum_mode = true;  // ask for the stored checksums
};

struct AWSDL_EXPORT CopyObjectRequest {
  std::string source_bucket;
  std::string source_key;
  std::string bucket;
  std::string key;
  /// Replace the metadata and content headers with `attributes` (else they are copied;
  /// storage class and encryption in `attributes` apply either way).
  bool replace_metadata = false;
  ObjectAttributes attributes;
  std::string source_if_match;
};

struct AWSDL_EXPORT CopyObjectResult {
  std::string etag;
  std::optional<WallTime> last_modified;
  std::string version_id;
};

struct AWSDL_EXPORT DeleteObjectsResult {
  std::vector<std::string> deleted;
  struct Failure {
    std::string key;
    std::string code;
    std::string message;
  };
  std::vector<Failure> errors;
};

struct AWSDL_EXPORT ListObjectsRequest {
  std::string bucket;
  std::string prefix;
  std::string delimiter;
  std::string start_after;
  std::string continuation_token;
  int max_keys = 1000;  // per page, 1..1000
};

struct AWSDL_EXPORT ObjectSummary {
  std::string key;
  std::uint64_t size = 0;
  std::string etag;
  std::optional<WallTime> last_modified;
  std::string storage_class;
};

struct AWSDL_EXPORT ListObjectsPage {
  std::vector<ObjectSummary> objects;
  std::vector<std::string> common_prefixes;
  bool is_truncated = false;
  std::string next_continuation_token;
  int key_count = 0;
};

struct AWSDL_EXPORT BucketInfo {
  std::string name;
  std::optional<WallTime> creation_date;
};

struct AWSDL_EXPORT CreateBucketRequest {
  std::string bucket;
  /// Empty: the client's region (no LocationConstraint is sent for us-east-1, as S3 wants).
  std::string region;
};

struct AWSDL_EXPORT HeadBucketResult {
  std::string region;  // x-amz-bucket-region
};

// ---- multipart

struct AWSDL_EXPORT CreateMultipartUploadRequest {
  std::string bucket;
  std::string key;
  ObjectAttributes attributes;
  /// Every part must then carry this checksum, and S3 keeps a checksum of checksums; with
  /// kCrc64Nvme (x-amz-checksum-type FULL_OBJECT) the whole object's CRC instead, which
  /// CompleteMultipartUpload sends and S3 checks before it accepts the object.
  ChecksumAlgorithm checksum = ChecksumAlgorithm::kNone;
};

struct AWSDL_EXPORT MultipartUpload {
  std::string bucket;
  std::string key;
  std::string upload_id;
  ChecksumAlgorithm checksum = ChecksumAlgorithm::kNone;
  /// kCrc64Nvme: the whole object's value CompleteMultipartUpload sends (base64, as the
  /// header). Empty: combined from the parts' values and sizes, which then all must be known.
  std::string full_object_checksum;
  std::optional<WallTime> initiated;   // from ListMultipartUploads
  std::string storage_class;
};

struct AWSDL_EXPORT UploadPartRequest {
  std::string bucket;
  std::string key;
  std::string upload_id;
  int part_number = 1;  // 1..10000
  /// The part's bytes; the caller keeps them alive until the call returns (no copy is made).
  std::string_view body;
  ChecksumAlgorithm checksum = ChecksumAlgorithm::kNone;
  bool content_md5 = false;
};

/// A part as UploadPart returned it and CompleteMultipartUpload wants it.
struct AWSDL_EXPORT CompletedPart {
  int part_number = 0;
  std::string etag;
  std::string checksum;        // of the upload's checksum algorithm, when it has one
  std::uint64_t size = 0;      // bytes (from ListParts, or what was sent)
  std::optional<WallTime> last_modified;
};

struct AWSDL_EXPORT CompleteMultipartUploadResult {
  std::string location;
  std::string bucket;
  std::string key;
  std::string etag;
  std::string checksum;  // the checksum of checksums ("...-N"), or kCrc64Nvme's whole-object value
  std::string version_id;
};

struct AWSDL_EXPORT ListPartsPage {
  std::vector<CompletedPart> parts;
  bool is_truncated = false;
  int next_part_number_marker = 0;
  ChecksumAlgorithm checksum = ChecksumAlgorithm::kNone;
};

struct AWSDL_EXPORT ListMultipartUploadsRequest {
  std::string bucket;
  std::string prefix;
  std::string key_marker;
  std::string upload_id_marker;
  int max_uploads = 1000;
};

struct AWSDL_EXPORT ListMultipartUploadsPage {
  std::vector<MultipartUpload> uploads;
  bool is_truncated = false;
  std::string next_key_marker;
  std::string next_upload_id_marker;
};

}  // namespace awsdl::s3
