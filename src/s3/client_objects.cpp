// PutObject, GetObject, HeadObject, DeleteObject, DeleteObjects, CopyObject.

#include <atomic>
#include <memory>

#include "awsdl/auth/sigv4.hpp"
#include "awsdl/s3/client.hpp"
#include "util/crypto.hpp"
#include "protocol/error_parser.hpp"
#include "util/xml.hpp"
#include "s3/responses.hpp"
#include "s3/s3_internal.hpp"

namespace awsdl::s3 {

using internal::RestRequest;
using internal::s3::s3_operation;

namespace {

constexpr std::size_t kHashBuffer = 256 * 1024;

// The full-object checksums a streamed GET keeps while bytes go by, since the response
// headers that say which one S3 has arrive with the result, after the body. CRC32 and
// CRC32C are cheap enough to run both; SHA-256 is only verified for in-memory GETs.
struct StreamVerifier {
  internal::s3::RunningChecksum crc32{ChecksumAlgorithm::kCrc32};
  internal::s3::RunningChecksum crc32c{ChecksumAlgorithm::kCrc32c};
  std::uint64_t bytes = 0;
  void update(std::string_view chunk) {
    crc32.update(chunk);
    crc32c.update(chunk);
    bytes += chunk.size();
  }
  void reset() { *this = StreamVerifier(); }
};

bool whole_object(const GetObjectRequest& r) { return !r.range && !r.part_number; }

Error checksum_mismatch(const GetObjectRequest& r, ChecksumAlgorithm alg, const http::Response& resp) {
  Error e = Error::make(ErrorKind::kService, "ChecksumMismatch",
                        "GetObject s3://" + r.bucket + "/" + r.key + ": the " + to_string(alg) +
                            " checksum of the bytes received does not match the one S3 sent",
                        /*retryable=*/true);
  e.http_status = resp.status;
  e.request_id = internal::request_id_from_headers(resp.headers);
  return e;
}

RestRequest get_request(const GetObjectRequest& request, const char* method) {
  RestRequest r(method, "/{Key+}");
  r.label("Key", request.key);
  if (request.range) r.header("Range", request.range->header());
  if (request.part_number) r.query("partNumber", std::to_string(*request.part_number));
  r.optional_query("versionId", request.version_id);
  r.optional_header("If-Match", request.if_match);
  r.optional_header("If-None-Match", request.if_none_match);
  if (request.verify_checksum && whole_object(request)) r.header("x-amz-checksum-mode", "ENABLED");
  return r;
}

// The bytes a bounded range asks for; nullopt for an open-ended range or none.
std::optional<std::uint64_t> range_length(const GetObjectRequest& r) {
  if (!r.range || !r.range->last || *r.range->last < r.range->first) return std::nullopt;
  return *r.range->last - r.range->first + 1;
}

Error range_ignored(const GetObjectRequest& r, const std::string& what, int status) {
  Error e = Error::make(ErrorKind::kParse, "RangeIgnored",
                        "GetObject s3://" + r.bucket + "/" + r.key + ": asked for " + r.range->header() + " but " + what +
                            ": the server did not honour the Range header");
  e.http_status = status;
  return e;
}

// A ranged GET answered with 200 (the whole object) from an offset other than 0: the bytes
// are not the ones asked for, whatever their number.
std::optional<Error> check_range_status(const GetObjectRequest& r, const http::Response& resp) {
  if (r.range && r.range->first > 0 && resp.status == 200)
    return range_ignored(r, "the answer is the whole object (HTTP 200, not 206)", resp.status);
  return std::nullopt;
}

Error incomplete_body(const std::string& what, std::uint64_t got, std::uint64_t want) {
  return Error::make(ErrorKind::kNetwork, "IncompleteBody",
                     what + ": received " + std::to_string(got) + " of " + std::to_string(want) + " bytes",
                     /*retryable=*/true);
}

}  // namespace

Result<PutObjectResult> S3Client::put_object(const PutObjectRequest& request, const CallOptions& options) const {
  AWSDL_TRY(internal::s3::check_bucket_key(request.bucket, request.key));
  const bool streamed = static_cast<bool>(request.body_source);
  if (streamed && (request.checksum != ChecksumAlgorithm::kNone || request.content_md5))
    return Error::invalid_argument("InvalidArgument",
                                   "PutObject: checksum and Content-MD5 need an in-memory body (use the transfer "
                                   "manager for streams)");
  RestRequest r("PUT", "/{Key+}");
  r.label("Key", request.key);
  internal::s3::apply_attributes(r, request.attributes);
  const bool sign = internal::s3::sign_payloads(*client_, options_.payload_signing);
  std::string checksum;  // what was sent: what S3 verified, when it does not echo it
  std::string payload_hash;
  if (!streamed) {
    auto digests = internal::s3::digest_body(request.checksum, sign, request.body);
    checksum = std::move(digests.checksum);
    payload_hash = std::move(digests.payload_hash);
    if (request.checksum != ChecksumAlgorithm::kNone) r.header(internal::s3::checksum_header(request.checksum), checksum);
    if (request.content_md5) r.header("Content-MD5", internal::md5_base64(request.body));
    r.body(request.body);
  }
  auto op = s3_operation("PutObject", request.bucket, options);
  if (streamed) {
    op.http.body_source = request.body_source;
    op.http.body_length = request.content_length;
    op.http.rewind_body = request.rewind_body;
    op.payload_hash = std::string(auth::kUnsignedPayload);
    if (sign && request.rewind_body) {
      // Hashing needs a pass over the body before sending it.
      internal::Sha256 sha;
      std::string buf(kHashBuffer, '\0');
      std::uint64_t total = 0;
      for (;;) {
        AWSDL_ASSIGN_OR_RETURN(std::size_t n, request.body_source(buf.data(), buf.size()));
        if (n == 0) break;
        sha.update(buf.data(), n);
        total += n;
      }
      if (total != request.content_length)
        return Error::invalid_argument("ContentLengthMismatch", "PutObject: the body has " + std::to_string(total) +
                                                                    " bytes, content_length says " +
                                                                    std::to_string(request.content_length));
      if (!request.rewind_body())
        return Error::make(ErrorKind::kIo, "RewindFailed", "PutObject: the body could not be rewound after hashing");
      op.payload_hash = sha.finish_hex();
    }
  } else {
    op.payload_hash = std::move(payload_hash);
  }
  AWSDL_ASSIGN_OR_RETURN(http::Response resp, client_->call_rest(r, std::move(op)));
  PutObjectResult out;
  out.etag = internal::header_text(resp, "ETag").value_or("");
  out.version_id = internal::header_text(resp, "x-amz-version-id").value_or("");
  out.server_side_encryption = internal::header_text(resp, "x-amz-server-side-encryption").value_or("");
  if (request.checksum != ChecksumAlgorithm::kNone)
    out.checksum = internal::header_text(resp, internal::s3::checksum_header(request.checksum)).value_or(checksum);
  return out;
}

Result<GetObjectResult> S3Client::get_object(const GetObjectRequest& request, const CallOptions& options) const {
  AWSDL_TRY(internal::s3::check_bucket_key(request.bucket, request.key));
  auto op = s3_operation("GetObject", request.bucket, options);
  // A ranged read holds at most the range in memory, even from a server that ignores Range.
  const auto asked = range_length(request);
  if (asked) op.max_body_bytes = *asked;
  if (request.max_bytes > 0) op.max_body_bytes = asked ? std::min(*asked, request.max_bytes) : request.max_bytes;
  // Past the range (not past a smaller max_bytes): the server did not honour it.
  const bool limit_is_range = asked && op.max_body_bytes == *asked;
  op.check = [&request](const http::Response& resp) -> std::optional<Error> {
    if (auto e = check_range_status(request, resp)) return e;
    if (auto n = internal::header_int(resp, "Content-Length"); n && static_cast<std::uint64_t>(*n) != resp.body.size())
      return incomplete_body("GetObject s3://" + request.bucket + "/" + request.key, resp.body.size(),
                             static_cast<std::uint64_t>(*n));
    if (!request.verify_checksum || !whole_object(request)) return std::nullopt;
    for (auto alg : internal::s3::kChecksumAlgorithms) {
      auto v = internal::header_text(resp, internal::s3::checksum_header(alg));
      if (!v || !internal::s3::checksum_covers_object(alg, *v, resp)) continue;
      if (internal::s3::compute_checksum(alg, resp.body) != *v) return checksum_mismatch(request, alg, resp);
    }
    return std::nullopt;
  };
  auto got = client_->call_rest(get_request(request, "GET"), std::move(op));
  if (!got && limit_is_range && got.error().code == "ResponseTooLarge")
    return range_ignored(request, "the server sent more than those " + std::to_string(*asked) + " bytes",
                         got.error().http_status);
  AWSDL_ASSIGN_OR_RETURN(http::Response resp, std::move(got));
  GetObjectResult out;
  out.info = internal::s3::parse_object_info(resp);
  out.body = std::move(resp.body);
  return out;
}

Result<ObjectInfo> S3Client::get_object(const GetObjectRequest& request, const ObjectSink& sink,
                                        const CallOptions& options) const {
  AWSDL_TRY(internal::s3::check_bucket_key(request.bucket, request.key));
  if (!sink.write) return Error::invalid_argument("MissingParameter", "GetObject: the sink has no write function");
  auto op = s3_operation("GetObject", request.bucket, options);
  const bool verify = request.verify_checksum && whole_object(request);
  auto state = std::make_shared<StreamVerifier>();
  const auto asked = range_length(request);
  op.sink = [state, verify, asked, &request, write = sink.write](std::string_view chunk) -> Result<void> {
    // Never more than a bounded range asked for, even from a server that ignores Range.
    if (asked && state->bytes + chunk.size() > *asked)
      return range_ignored(request, "the server sent more than those " + std::to_string(*asked) + " bytes", 0);
    if (verify) state->update(chunk);
    else state->bytes += chunk.size();
    return write(chunk);
  };
  if (sink.rewind) {
    op.rewind_sink = [state, rewind = sink.rewind]() {
      state->reset();
      return rewind();
    };
  }
  op.check = [state, verify, &request](const http::Response& resp) -> std::optional<Error> {
    if (auto e = check_range_status(request, resp)) return e;
    if (auto n = internal::header_int(resp, "Content-Length"); n && static_cast<std::uint64_t>(*n) != state->bytes)
      return incomplete_body("GetObject s3://" + request.bucket + "/" + request.key, state->bytes,
                             static_cast<std::uint64_t>(*n));
    if (!verify) return std::nullopt;
    for (auto* running : {&state->crc32, &state->crc32c}) {
      auto v = internal::header_text(resp, internal::s3::checksum_header(running->algorithm()));
      if (!v || !internal::s3::checksum_covers_object(running->algorithm(), *v, resp)) continue;
      if (running->finish_base64() != *v) return checksum_mismatch(request, running->algorithm(), resp);
    }
    return std::nullopt;
  };
  AWSDL_ASSIGN_OR_RETURN(http::Response resp, client_->call_rest(get_request(request, "GET"), std::move(op)));
  ObjectInfo info = internal::s3::parse_object_info(resp);
  return info;
}

Result<ObjectInfo> S3Client::head_object(const HeadObjectRequest& request, const CallOptions& options) const {
  AWSDL_TRY(internal::s3::check_bucket_key(request.bucket, request.key));
  RestRequest r("HEAD", "/{Key+}");
  r.label("Key", request.key);
  if (request.part_number) r.query("partNumber", std::to_string(*request.part_number));
  r.optional_query("versionId", request.version_id);
  if (request.checksum_mode) r.header("x-amz-checksum-mode", "ENABLED");
  auto resp = client_->call_rest(r, s3_operation("HeadObject", request.bucket, options));
  if (!resp) return internal::s3::name_head_error(std::move(resp).error());
  return internal::s3::parse_object_info(*resp);
}

Status S3Client::delete_object(const std::string& bucket, const std::string& key, const CallOptions& options) const {
  AWSDL_TRY(internal::s3::check_bucket_key(bucket, key));
  RestRequest r("DELETE", "/{Key+}");
  r.label("Key", key);
  AWSDL_TRY(client_->call_rest(r, s3_operation("DeleteObject", bucket, options)));
  return {};
}

Result<DeleteObjectsResult> S3Client::delete_objects(const std::string& bucket, const std::vector<std::string>& keys,
                                                     const CallOptions& options) const {
  if (bucket.empty()) return Error::invalid_argument("MissingParameter", "Bucket must not be empty");
  DeleteObjectsResult all;
  for (std::size_t start = 0; start < keys.size(); start += 1000) {
    internal::XmlWriter w(/*declaration=*/true);
    w.open("Delete", "http://s3.amazonaws.com/doc/2006-03-01/");
    for (std::size_t i = start; i < std::min(keys.size(), start + 1000); ++i) {
      if (keys[i].empty()) return Error::invalid_argument("MissingParameter", "DeleteObjects: an empty key");
      w.open("Object").element("Key", keys[i]).close();
    }
    w.element("Quiet", "false");
    std::string body = w.finish();
    RestRequest r("POST", "/?delete");
    r.header("Content-MD5", internal::md5_base64(body));
    r.body(std::move(body), "application/xml");
    AWSDL_ASSIGN_OR_RETURN(http::Response resp, client_->call_rest(r, s3_operation("DeleteObjects", bucket, options)));
    AWSDL_ASSIGN_OR_RETURN(DeleteObjectsResult page, internal::s3::parse_delete_objects(resp.body));
    all.deleted.insert(all.deleted.end(), page.deleted.begin(), page.deleted.end());
    all.errors.insert(all.errors.end(), page.errors.begin(), page.errors.end());
  }
  return all;
}

Result<CopyObjectResult> S3Client::copy_object(const CopyObjectRequest& request, const CallOptions& options) const {
  AWSDL_TRY(internal::s3::check_bucket_key(request.bucket, request.key));
  AWSDL_TRY(internal::s3::check_bucket_key(request.source_bucket, request.source_key));
  RestRequest r("PUT", "/{Key+}");
  r.label("Key", request.key);
  r.header("x-amz-copy-source",
           internal::encode_label(request.source_bucket, false) + "/" + internal::encode_label(request.source_key, true));
  r.optional_header("x-amz-copy-source-if-match", request.source_if_match);
  if (request.replace_metadata) {
    r.header("x-amz-metadata-directive", "REPLACE");
    internal::s3::apply_attributes(r, request.attributes);
  } else {
    r.optional_header("x-amz-storage-class", request.attributes.storage_class);
    r.optional_header("x-amz-server-side-encryption", request.attributes.server_side_encryption);
    r.optional_header("x-amz-server-side-encryption-aws-kms-key-id", request.attributes.sse_kms_key_id);
  }
  auto op = s3_operation("CopyObject", request.bucket, options);
  op.min_bytes_per_second = 0;  // as CompleteMultipartUpload: spaces while S3 copies
  op.check = [](const http::Response& resp) { return internal::s3_error_in_200(resp); };
  AWSDL_ASSIGN_OR_RETURN(http::Response resp, client_->call_rest(r, std::move(op)));
  AWSDL_ASSIGN_OR_RETURN(CopyObjectResult out, internal::s3::parse_copy_object(resp.body));
  out.version_id = internal::header_text(resp, "x-amz-version-id").value_or("");
  return out;
}

}  // namespace awsdl::s3
