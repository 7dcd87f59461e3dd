// CreateMultipartUpload, UploadPart, CompleteMultipartUpload, AbortMultipartUpload,
// ListParts, ListMultipartUploads.

#include <algorithm>
#include <cstring>
#include <memory>

#include "awsdl/auth/sigv4.hpp"
#include "awsdl/s3/client.hpp"
#include "util/crc64nvme.hpp"
#include "util/crypto.hpp"
#include "protocol/error_parser.hpp"
#include "protocol/pagination.hpp"
#include "util/xml.hpp"
#include "s3/responses.hpp"
#include "s3/s3_internal.hpp"

namespace awsdl::s3 {

using internal::RestRequest;
using internal::s3::s3_operation;

namespace {

Status check_upload(const MultipartUpload& u) {
  AWSDL_TRY(internal::s3::check_bucket_key(u.bucket, u.key));
  if (u.upload_id.empty()) return Error::invalid_argument("MissingParameter", "UploadId must not be empty");
  return {};
}

RestRequest upload_request(const char* method, const MultipartUpload& u) {
  RestRequest r(method, "/{Key+}");
  r.label("Key", u.key);
  return r;
}

}  // namespace

Result<MultipartUpload> S3Client::create_multipart_upload(const CreateMultipartUploadRequest& request,
                                                          const CallOptions& options) const {
  AWSDL_TRY(internal::s3::check_bucket_key(request.bucket, request.key));
  RestRequest r("POST", "/{Key+}?uploads");
  r.label("Key", request.key);
  internal::s3::apply_attributes(r, request.attributes);
  if (request.checksum != ChecksumAlgorithm::kNone) r.header("x-amz-checksum-algorithm", to_string(request.checksum));
  // CRC64NVME exists only as a full-object checksum (S3's default type for it, said anyway).
  if (request.checksum == ChecksumAlgorithm::kCrc64Nvme) r.header("x-amz-checksum-type", "FULL_OBJECT");
  AWSDL_ASSIGN_OR_RETURN(http::Response resp,
                         client_->call_rest(r, s3_operation("CreateMultipartUpload", request.bucket, options)));
  AWSDL_ASSIGN_OR_RETURN(MultipartUpload u, internal::s3::parse_initiate_multipart(resp.body));
  // What we asked for wins over what a server echoes (some do not echo at all).
  u.bucket = request.bucket;
  u.key = request.key;
  u.checksum = request.checksum;
  u.storage_class = request.attributes.storage_class;
  return u;
}

Result<CompletedPart> S3Client::upload_part(const UploadPartRequest& request, const CallOptions& options) const {
  AWSDL_TRY(internal::s3::check_bucket_key(request.bucket, request.key));
  if (request.upload_id.empty()) return Error::invalid_argument("MissingParameter", "UploadId must not be empty");
  if (request.part_number < 1 || request.part_number > 10000)
    return Error::invalid_argument("InvalidPartNumber", "part numbers are 1 to 10000, not " +
                                                            std::to_string(request.part_number));
  RestRequest r("PUT", "/{Key+}");
  r.label("Key", request.key);
  r.query("partNumber", std::to_string(request.part_number));
  r.query("uploadId", request.upload_id);
  const bool sign = internal::s3::sign_payloads(*client_, options_.payload_signing);
  auto [checksum, payload_hash] = internal::s3::digest_body(request.checksum, sign, request.body);
  if (request.checksum != ChecksumAlgorithm::kNone) r.header(internal::s3::checksum_header(request.checksum), checksum);
  if (request.content_md5) r.header("Content-MD5", internal::md5_base64(request.body));

  // The body is read in place from the caller's buffer: no copy of a multi-MiB part.
  auto op = s3_operation("UploadPart", request.bucket, options);
  auto offset = std::make_shared<std::size_t>(0);
  std::string_view body = request.body;
  op.http.body_source = [body, offset](char* buf, std::size_t len) -> Result<std::size_t> {
    std::size_t n = std::min(len, body.size() - *offset);
    std::memcpy(buf, body.data() + *offset, n);
    *offset += n;
    return n;
  };
  op.http.body_length = body.size();
  op.http.rewind_body = [offset] {
    *offset = 0;
    return true;
  };
  op.payload_hash = std::move(payload_hash);
  // The checksum was computed from these bytes: S3 refusing it means they changed on the
  // way, and the same bytes are sent again.
  if (request.checksum != ChecksumAlgorithm::kNone) op.retry_codes = {"BadDigest"};
  AWSDL_ASSIGN_OR_RETURN(http::Response resp, client_->call_rest(r, std::move(op)));
  CompletedPart part;
  part.part_number = request.part_number;
  part.size = body.size();
  part.etag = internal::header_text(resp, "ETag").value_or("");
  if (part.etag.empty())
    return Error::make(ErrorKind::kParse, "MissingETag",
                       "UploadPart " + std::to_string(request.part_number) + ": the answer has no ETag");
  if (request.checksum != ChecksumAlgorithm::kNone)
    part.checksum = internal::header_text(resp, internal::s3::checksum_header(request.checksum)).value_or(checksum);
  return part;
}

Result<CompleteMultipartUploadResult> S3Client::complete_multipart_upload(const MultipartUpload& upload,
                                                                          const std::vector<CompletedPart>& parts,
                                                                          const CallOptions& options) const {
  AWSDL_TRY(check_upload(upload));
  if (parts.empty()) return Error::invalid_argument("MissingParameter", "CompleteMultipartUpload: no parts");
  const char* checksum_element = nullptr;
  switch (upload.checksum) {
    case ChecksumAlgorithm::kCrc32: checksum_element = "ChecksumCRC32"; break;
    case ChecksumAlgorithm::kCrc32c: checksum_element = "ChecksumCRC32C"; break;
    case ChecksumAlgorithm::kSha256: checksum_element = "ChecksumSHA256"; break;
    case ChecksumAlgorithm::kCrc64Nvme: checksum_element = "ChecksumCRC64NVME"; break;
    case ChecksumAlgorithm::kNone: break;
  }
  std::string full_object = upload.full_object_checksum;
  if (upload.checksum == ChecksumAlgorithm::kCrc64Nvme && full_object.empty()) {
    // The whole object's CRC from the parts' CRCs and sizes, in part order, without the bytes.
    std::uint64_t whole = 0;
    for (const auto& p : parts) {
      auto crc = internal::parse_crc64nvme_base64(p.checksum);
      if (!crc || (p.size == 0 && *crc != 0))
        return Error::invalid_argument("MissingPartChecksum",
                                       "CompleteMultipartUpload: part " + std::to_string(p.part_number) +
                                           " has no CRC64NVME value and size to combine into the object's");
      whole = internal::crc64nvme_combine(whole, *crc, p.size);
    }
    full_object = internal::crc64nvme_base64(whole);
  }
  internal::XmlWriter w(/*declaration=*/true);
  w.open("CompleteMultipartUpload", "http://s3.amazonaws.com/doc/2006-03-01/");
  int previous = 0;
  for (const auto& p : parts) {
    if (p.part_number <= previous)
      return Error::invalid_argument("InvalidPartOrder", "CompleteMultipartUpload: parts must be in ascending order");
    previous = p.part_number;
    w.open("Part").element("PartNumber", std::to_string(p.part_number)).element("ETag", p.etag);
    if (checksum_element) w.optional_element(checksum_element, p.checksum);
    w.close();
  }
  RestRequest r = upload_request("POST", upload);
  r.query("uploadId", upload.upload_id);
  if (upload.checksum == ChecksumAlgorithm::kCrc64Nvme) {
    r.header("x-amz-checksum-crc64nvme", full_object);
    r.header("x-amz-checksum-type", "FULL_OBJECT");
  }
  r.body(w.finish(), "application/xml");
  auto op = s3_operation("CompleteMultipartUpload", upload.bucket, options);
  // S3 answers 200 at once and then sends a space now and then until the object is
  // assembled, which can take minutes: not a stalled transfer.
  op.min_bytes_per_second = 0;
  op.check = [](const http::Response& resp) { return internal::s3_error_in_200(resp); };
  // Completing the same upload with the same parts again makes the same object, or meets
  // NoSuchUpload once it is done (the transfer manager checks which).
  op.idempotency = internal::Idempotency::kIdempotent;
  AWSDL_ASSIGN_OR_RETURN(http::Response resp, client_->call_rest(r, std::move(op)));
  AWSDL_ASSIGN_OR_RETURN(CompleteMultipartUploadResult out, internal::s3::parse_complete_multipart(resp.body));
  out.version_id = internal::header_text(resp, "x-amz-version-id").value_or("");
  // The whole-object value S3 checked before it accepted the object, if it did not say it.
  if (out.checksum.empty()) out.checksum = full_object;
  return out;
}

Status S3Client::abort_multipart_upload(const MultipartUpload& upload, const CallOptions& options) const {
  AWSDL_TRY(check_upload(upload));
  RestRequest r = upload_request("DELETE", upload);
  r.query("uploadId", upload.upload_id);
  AWSDL_TRY(client_->call_rest(r, s3_operation("AbortMultipartUpload", upload.bucket, options)));
  return {};
}

Result<ListPartsPage> S3Client::list_parts(const MultipartUpload& upload, int part_number_marker, int max_parts,
                                           const CallOptions& options) const {
  AWSDL_TRY(check_upload(upload));
  RestRequest r = upload_request("GET", upload);
  r.query("uploadId", upload.upload_id);
  if (max_parts != 1000) r.query("max-parts", std::to_string(max_parts));
  if (part_number_marker > 0) r.query("part-number-marker", std::to_string(part_number_marker));
  AWSDL_ASSIGN_OR_RETURN(http::Response resp, client_->call_rest(r, s3_operation("ListParts", upload.bucket, options)));
  return internal::s3::parse_list_parts(resp.body);
}

Result<std::vector<CompletedPart>> S3Client::list_all_parts(const MultipartUpload& upload,
                                                            const CallOptions& options) const {
  std::vector<CompletedPart> out;
  internal::PageGuard pages("S3 ListParts", client_->config().max_pages);
  int marker = 0;
  for (;;) {
    AWSDL_ASSIGN_OR_RETURN(ListPartsPage p, list_parts(upload, marker, 1000, options));
    for (auto& part : p.parts) out.push_back(std::move(part));
    if (!p.is_truncated) return out;
    // Part-number markers only grow: one that does not would list the same parts again.
    if (p.next_part_number_marker <= marker) return internal::repeated_token_error("S3 ListParts", pages.pages() + 1);
    AWSDL_ASSIGN_OR_RETURN(bool more, pages.next(std::to_string(p.next_part_number_marker)));
    if (!more) return out;
    marker = p.next_part_number_marker;
  }
}

Result<ListMultipartUploadsPage> S3Client::list_multipart_uploads(const ListMultipartUploadsRequest& request,
                                                                  const CallOptions& options) const {
  if (request.bucket.empty()) return Error::invalid_argument("MissingParameter", "Bucket must not be empty");
  RestRequest r("GET", "/?uploads");
  r.optional_query("prefix", request.prefix);
  r.optional_query("key-marker", request.key_marker);
  r.optional_query("upload-id-marker", request.upload_id_marker);
  if (request.max_uploads != 1000) r.query("max-uploads", std::to_string(request.max_uploads));
  AWSDL_ASSIGN_OR_RETURN(http::Response resp,
                         client_->call_rest(r, s3_operation("ListMultipartUploads", request.bucket, options)));
  AWSDL_ASSIGN_OR_RETURN(ListMultipartUploadsPage page, internal::s3::parse_list_multipart_uploads(resp.body));
  for (auto& u : page.uploads)
    if (u.bucket.empty()) u.bucket = request.bucket;
  return page;
}

}  // namespace awsdl::s3
