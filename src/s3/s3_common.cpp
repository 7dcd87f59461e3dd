#include <cctype>

#include "awsdl/auth/sigv4.hpp"
#include "awsdl/s3/types.hpp"
#include "util/crc64nvme.hpp"
#include "util/crypto.hpp"
#include "s3/s3_internal.hpp"

namespace awsdl::s3 {

const char* to_string(ChecksumAlgorithm algorithm) {
  switch (algorithm) {
    case ChecksumAlgorithm::kCrc32: return "CRC32";
    case ChecksumAlgorithm::kCrc32c: return "CRC32C";
    case ChecksumAlgorithm::kSha256: return "SHA256";
    case ChecksumAlgorithm::kCrc64Nvme: return "CRC64NVME";
    case ChecksumAlgorithm::kNone: break;
  }
  return "";
}

std::string ByteRange::header() const {
  return "bytes=" + std::to_string(first) + "-" + (last ? std::to_string(*last) : std::string());
}

}  // namespace awsdl::s3

namespace awsdl::internal::s3 {

using awsdl::s3::ChecksumAlgorithm;

bool sign_payloads(const ServiceClient& client, awsdl::s3::PayloadSigning mode) {
  switch (mode) {
    case awsdl::s3::PayloadSigning::kSigned: return true;
    case awsdl::s3::PayloadSigning::kUnsigned: return false;
    case awsdl::s3::PayloadSigning::kAuto: break;
  }
  auto ep = client.endpoint();
  return !ep || ep->scheme != "https";
}

std::string checksum_header(ChecksumAlgorithm algorithm) {
  switch (algorithm) {
    case ChecksumAlgorithm::kCrc32: return "x-amz-checksum-crc32";
    case ChecksumAlgorithm::kCrc32c: return "x-amz-checksum-crc32c";
    case ChecksumAlgorithm::kSha256: return "x-amz-checksum-sha256";
    case ChecksumAlgorithm::kCrc64Nvme: return "x-amz-checksum-crc64nvme";
    case ChecksumAlgorithm::kNone: break;
  }
  return {};
}

std::optional<ChecksumAlgorithm> parse_checksum_algorithm(std::string_view name) {
  std::string up;
  for (char c : name) up += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (up == "CRC32") return ChecksumAlgorithm::kCrc32;
  if (up == "CRC32C") return ChecksumAlgorithm::kCrc32c;
  if (up == "SHA256") return ChecksumAlgorithm::kSha256;
  if (up == "CRC64NVME") return ChecksumAlgorithm::kCrc64Nvme;
  return std::nullopt;
}

std::string compute_checksum(ChecksumAlgorithm algorithm, std::string_view data) {
  RunningChecksum c(algorithm);
  c.update(data);
  return c.finish_base64();
}

BodyDigests digest_body(ChecksumAlgorithm algorithm, bool sign, std::string_view data) {
  BodyDigests out;
  if (sign && algorithm == ChecksumAlgorithm::kSha256) {
    const Sha256Digest digest = sha256(data);
    out.payload_hash = hex_encode(as_chars(digest));
    out.checksum = base64_encode(digest);
    return out;
  }
  if (!sign) {
    out.payload_hash = std::string(awsdl::auth::kUnsignedPayload);
    if (algorithm != ChecksumAlgorithm::kNone) out.checksum = compute_checksum(algorithm, data);
    return out;
  }
  // Small enough to stay in L1/L2 between the two.
  constexpr std::size_t kPiece = 64 * 1024;
  RunningChecksum c(algorithm);
  Sha256 sha;
  for (std::size_t at = 0; at < data.size(); at += kPiece) {
    const std::string_view piece = data.substr(at, kPiece);
    c.update(piece);
    sha.update(piece);
  }
  out.payload_hash = sha.finish_hex();
  if (algorithm != ChecksumAlgorithm::kNone) out.checksum = c.finish_base64();
  return out;
}

bool checksum_covers_object(ChecksumAlgorithm algorithm, std::string_view value, std::string_view checksum_type,
                            std::string_view etag) {
  // A CRC64NVME value that is not 8 bytes is not one (moto without awscrt answers CRC32's
  // 4 bytes under that name): not compared.
  if (algorithm == ChecksumAlgorithm::kCrc64Nvme && !parse_crc64nvme_base64(value)) return false;
  if (checksum_type == "COMPOSITE") return false;
  if (checksum_type == "FULL_OBJECT") return true;
  if (value.find('-') != std::string_view::npos) return false;
  // A multipart ETag is the parts' MD5s' MD5 followed by "-<parts>".
  while (!etag.empty() && etag.back() == '"') etag.remove_suffix(1);
  auto dash = etag.rfind('-');
  if (dash == std::string_view::npos || dash + 1 == etag.size()) return true;
  for (char c : etag.substr(dash + 1))
    if (c < '0' || c > '9') return true;
  return false;
}

bool checksum_covers_object(ChecksumAlgorithm algorithm, std::string_view value, const http::Response& response) {
  return checksum_covers_object(algorithm, value, header_text(response, "x-amz-checksum-type").value_or(""),
                                header_text(response, "ETag").value_or(""));
}

RunningChecksum::RunningChecksum(ChecksumAlgorithm algorithm) : algorithm_(algorithm) {}

void RunningChecksum::update(std::string_view data) {
  switch (algorithm_) {
    case ChecksumAlgorithm::kCrc32: crc_ = crc32(data, crc_); break;
    case ChecksumAlgorithm::kCrc32c: crc_ = crc32c(data, crc_); break;
    case ChecksumAlgorithm::kSha256: sha_.update(data); break;
    case ChecksumAlgorithm::kCrc64Nvme: crc64_ = crc64nvme(data, crc64_); break;
    case ChecksumAlgorithm::kNone: break;
  }
}

std::string RunningChecksum::finish_base64() {
  switch (algorithm_) {
    case ChecksumAlgorithm::kCrc32:
    case ChecksumAlgorithm::kCrc32c: return checksum_base64(crc_);
    case ChecksumAlgorithm::kSha256: return base64_encode(sha_.finish());
    case ChecksumAlgorithm::kCrc64Nvme: return crc64nvme_base64(crc64_);
    case ChecksumAlgorithm::kNone: break;
  }
  return {};
}

void apply_attributes(RestRequest& r, const awsdl::s3::ObjectAttributes& a) {
  r.optional_header("Content-Type", a.content_type);
  r.optional_header("Cache-Control", a.cache_control);
  r.optional_header("Content-Disposition", a.content_disposition);
  r.optional_header("Content-Encoding", a.content_encoding);
  r.metadata(a.metadata);
  r.optional_header("x-amz-storage-class", a.storage_class);
  r.optional_header("x-amz-server-side-encryption", a.server_side_encryption);
  r.optional_header("x-amz-server-side-encryption-aws-kms-key-id", a.sse_kms_key_id);
}

Status check_bucket_key(std::string_view bucket, std::string_view key) {
  if (bucket.empty()) return Error::invalid_argument("MissingParameter", "Bucket must not be empty");
  if (key.empty()) return Error::invalid_argument("MissingParameter", "Key must not be empty");
  if (key.size() > 1024)
    return Error::invalid_argument("KeyTooLong", "an S3 key is at most 1024 bytes, not " + std::to_string(key.size()));
  return {};
}

Error name_head_error(Error e) {
  if (e.kind != ErrorKind::kService || e.code.rfind("Http", 0) != 0) return e;
  switch (e.http_status) {
    case 301: e.code = "PermanentRedirect"; break;
    case 400: e.code = "BadRequest"; break;
    case 403: e.code = "Forbidden"; break;
    case 404: e.code = "NotFound"; break;
    case 412: e.code = "PreconditionFailed"; break;
    default: break;
  }
  return e;
}

OperationRequest s3_operation(std::string operation, const std::string& bucket, const CallOptions& options) {
  OperationRequest op;
  op.operation = std::move(operation);
  op.bucket = bucket;
  op.options = options;
  return op;
}

}  // namespace awsdl::internal::s3
