#include "s3/responses.hpp"

#include <cctype>
#include <charconv>

#include "protocol/error_parser.hpp"
#include "util/http_date.hpp"
#include "protocol/rest_xml.hpp"
#include "util/xml.hpp"
#include "s3/s3_internal.hpp"

namespace awsdl::internal::s3 {
namespace {

using awsdl::s3::ChecksumAlgorithm;

std::optional<std::uint64_t> to_u64(std::string_view s) {
  std::uint64_t v = 0;
  if (s.empty()) return std::nullopt;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<WallTime> iso_time(pugi::xml_node n, std::string_view path) {
  auto t = xml_find_text(n, path);
  if (!t) return std::nullopt;
  return parse_iso8601(*t);
}

// The answer's document. S3 names its root <OperationResult>, but the name is not checked:
// botocore ignores it, and emulators differ (moto answers <CompleteMultipartUploadResponse>
// and <ListPartsResponse>). An <Error> document is an error, whatever the status it came with.
Result<XmlDocument> parse_answer(std::string_view body, std::string_view operation) {
  AWSDL_ASSIGN_OR_RETURN(XmlDocument doc, XmlDocument::parse(body, operation));
  AWSDL_TRY(xml_answer_root(doc, operation));
  return doc;
}

constexpr std::pair<ChecksumAlgorithm, const char*> kChecksumElements[] = {
    {ChecksumAlgorithm::kCrc32, "ChecksumCRC32"},
    {ChecksumAlgorithm::kCrc32c, "ChecksumCRC32C"},
    {ChecksumAlgorithm::kSha256, "ChecksumSHA256"},
    {ChecksumAlgorithm::kCrc64Nvme, "ChecksumCRC64NVME"},
};

std::string any_checksum(pugi::xml_node n) {
  for (const auto& [alg, name] : kChecksumElements)
    if (auto v = xml_find_text(n, name)) return *v;
  return {};
}

int to_int(std::optional<long long> v) { return v ? static_cast<int>(*v) : 0; }

}  // namespace

std::string url_decode(std::string_view t) {
  std::string out;
  out.reserve(t.size());
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (t[i] == '%' && i + 2 < t.size() && hex(t[i + 1]) >= 0 && hex(t[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex(t[i + 1]) * 16 + hex(t[i + 2])));
      i += 2;
    } else if (t[i] == '+') {
      out.push_back(' ');  // S3 encodes spaces in listings as '+' (form encoding)
    } else {
      out.push_back(t[i]);
    }
  }
  return out;
}

std::optional<ContentRange> parse_content_range(std::string_view v) {
  constexpr std::string_view unit = "bytes ";
  if (v.substr(0, unit.size()) != unit) return std::nullopt;
  v.remove_prefix(unit.size());
  auto dash = v.find('-'), slash = v.find('/');
  if (dash == std::string_view::npos || slash == std::string_view::npos || slash < dash) return std::nullopt;
  ContentRange r;
  auto first = to_u64(v.substr(0, dash)), last = to_u64(v.substr(dash + 1, slash - dash - 1));
  if (!first || !last || *last < *first) return std::nullopt;
  r.first = *first;
  r.last = *last;
  auto total = v.substr(slash + 1);
  if (total != "*") {
    auto t = to_u64(total);
    if (!t || *t <= r.last) return std::nullopt;
    r.total = t;
  }
  return r;
}

awsdl::s3::ObjectInfo parse_object_info(const http::Response& r) {
  awsdl::s3::ObjectInfo info;
  if (auto n = header_text(r, "Content-Length")) info.content_length = to_u64(*n).value_or(0);
  info.object_size = info.content_length;
  if (auto cr = header_text(r, "Content-Range")) {
    info.content_range = *cr;
    if (auto parsed = parse_content_range(*cr); parsed && parsed->total) info.object_size = *parsed->total;
  }
  info.etag = header_text(r, "ETag").value_or("");
  info.last_modified = header_time(r, "Last-Modified");
  info.content_type = header_text(r, "Content-Type").value_or("");
  info.metadata = response_metadata(r);
  info.storage_class = header_text(r, "x-amz-storage-class").value_or("");
  info.server_side_encryption = header_text(r, "x-amz-server-side-encryption").value_or("");
  info.sse_kms_key_id = header_text(r, "x-amz-server-side-encryption-aws-kms-key-id").value_or("");
  info.version_id = header_text(r, "x-amz-version-id").value_or("");
  if (auto pc = header_int(r, "x-amz-mp-parts-count")) info.parts_count = static_cast<int>(*pc);
  for (auto alg : kChecksumAlgorithms)
    if (auto v = header_text(r, checksum_header(alg)); v && !v->empty()) info.checksums[alg] = *v;
  info.checksum_type = header_text(r, "x-amz-checksum-type").value_or("");
  return info;
}

Result<awsdl::s3::ListObjectsPage> parse_list_objects_v2(std::string_view body) {
  AWSDL_ASSIGN_OR_RETURN(XmlDocument doc, parse_answer(body, "ListObjectsV2"));
  auto root = doc.root();
  bool url = xml_text(root, "EncodingType") == "url";
  auto dec = [url](std::string s) { return url ? url_decode(s) : s; };
  awsdl::s3::ListObjectsPage page;
  page.is_truncated = xml_bool(root, "IsTruncated").value_or(false);
  page.next_continuation_token = xml_text(root, "NextContinuationToken");
  page.key_count = to_int(xml_int(root, "KeyCount"));
  for (auto c : xml_children(root, "Contents")) {
    awsdl::s3::ObjectSummary o;
    AWSDL_ASSIGN_OR_RETURN(std::string key, xml_required_text(c, "Key"));
    o.key = dec(std::move(key));
    o.size = static_cast<std::uint64_t>(xml_int(c, "Size").value_or(0));
    o.etag = xml_text(c, "ETag");
    o.last_modified = iso_time(c, "LastModified");
    o.storage_class = xml_text(c, "StorageClass");
    page.objects.push_back(std::move(o));
  }
  for (auto p : xml_children(root, "CommonPrefixes")) page.common_prefixes.push_back(dec(xml_text(p, "Prefix")));
  if (page.is_truncated && page.next_continuation_token.empty())
    return Error::make(ErrorKind::kParse, "MissingContinuationToken",
                       "ListObjectsV2: a truncated page without a NextContinuationToken");
  return page;
}

Result<std::vector<awsdl::s3::BucketInfo>> parse_list_buckets(std::string_view body) {
  AWSDL_ASSIGN_OR_RETURN(XmlDocument doc, parse_answer(body, "ListBuckets"));
  std::vector<awsdl::s3::BucketInfo> out;
  for (auto b : xml_list(doc.root(), "Buckets", "Bucket")) {
    awsdl::s3::BucketInfo info;
    info.name = xml_text(b, "Name");
    info.creation_date = iso_time(b, "CreationDate");
    out.push_back(std::move(info));
  }
  return out;
}

Result<awsdl::s3::MultipartUpload> parse_initiate_multipart(std::string_view body) {
  AWSDL_ASSIGN_OR_RETURN(XmlDocument doc, parse_answer(body, "CreateMultipartUpload"));
  awsdl::s3::MultipartUpload u;
  u.bucket = xml_text(doc.root(), "Bucket");
  u.key = xml_text(doc.root(), "Key");
  AWSDL_ASSIGN_OR_RETURN(u.upload_id, xml_required_text(doc.root(), "UploadId"));
  if (u.upload_id.empty())
    return Error::make(ErrorKind::kParse, "MissingElement", "CreateMultipartUpload: empty UploadId");
  return u;
}

Result<awsdl::s3::CompleteMultipartUploadResult> parse_complete_multipart(std::string_view body) {
  AWSDL_ASSIGN_OR_RETURN(XmlDocument doc, parse_answer(body, "CompleteMultipartUpload"));
  awsdl::s3::CompleteMultipartUploadResult r;
  auto root = doc.root();
  r.location = xml_text(root, "Location");
  r.bucket = xml_text(root, "Bucket");
  r.key = xml_text(root, "Key");
  AWSDL_ASSIGN_OR_RETURN(r.etag, xml_required_text(root, "ETag"));
  r.checksum = any_checksum(root);
  return r;
}

Result<awsdl::s3::ListPartsPage> parse_list_parts(std::string_view body) {
  AWSDL_ASSIGN_OR_RETURN(XmlDocument doc, parse_answer(body, "ListParts"));
  auto root = doc.root();
  awsdl::s3::ListPartsPage page;
  page.is_truncated = xml_bool(root, "IsTruncated").value_or(false);
  page.next_part_number_marker = to_int(xml_int(root, "NextPartNumberMarker"));
  if (auto alg = xml_find_text(root, "ChecksumAlgorithm"))
    page.checksum = parse_checksum_algorithm(*alg).value_or(ChecksumAlgorithm::kNone);
  for (auto p : xml_children(root, "Part")) {
    awsdl::s3::CompletedPart part;
    part.part_number = to_int(xml_int(p, "PartNumber"));
    part.etag = xml_text(p, "ETag");
    part.size = static_cast<std::uint64_t>(xml_int(p, "Size").value_or(0));
    part.last_modified = iso_time(p, "LastModified");
    part.checksum = any_checksum(p);
    if (part.part_number <= 0)
      return Error::make(ErrorKind::kParse, "MissingElement", "ListParts: a part without a PartNumber");
    page.parts.push_back(std::move(part));
  }
  if (page.is_truncated && page.next_part_number_marker <= 0)
    return Error::make(ErrorKind::kParse, "MissingElement", "ListParts: a truncated page without NextPartNumberMarker");
  return page;
}

Result<awsdl::s3::ListMultipartUploadsPage> parse_list_multipart_uploads(std::string_view body) {
  AWSDL_ASSIGN_OR_RETURN(XmlDocument doc, parse_answer(body, "ListMultipartUploads"));
  auto root = doc.root();
  awsdl::s3::ListMultipartUploadsPage page;
  page.is_truncated = xml_bool(root, "IsTruncated").value_or(false);
  page.next_key_marker = xml_text(root, "NextKeyMarker");
  page.next_upload_id_marker = xml_text(root, "NextUploadIdMarker");
  std::string bucket = xml_text(root, "Bucket");
  for (auto u : xml_children(root, "Upload")) {
    awsdl::s3::MultipartUpload up;
    up.bucket = bucket;
    up.key = xml_text(u, "Key");
    up.upload_id = xml_text(u, "UploadId");
    up.initiated = iso_time(u, "Initiated");
    up.storage_class = xml_text(u, "StorageClass");
    if (auto alg = xml_find_text(u, "ChecksumAlgorithm"))
      up.checksum = parse_checksum_algorithm(*alg).value_or(ChecksumAlgorithm::kNone);
    page.uploads.push_back(std::move(up));
  }
  return page;
}

Result<awsdl::s3::CopyObjectResult> parse_copy_object(std::string_view body) {
  AWSDL_ASSIGN_OR_RETURN(XmlDocument doc, parse_answer(body, "CopyObject"));
  awsdl::s3::CopyObjectResult r;
  AWSDL_ASSIGN_OR_RETURN(r.etag, xml_required_text(doc.root(), "ETag"));
  r.last_modified = iso_time(doc.root(), "LastModified");
  return r;
}

Result<awsdl::s3::DeleteObjectsResult> parse_delete_objects(std::string_view body) {
  AWSDL_ASSIGN_OR_RETURN(XmlDocument doc, parse_answer(body, "DeleteObjects"));
  awsdl::s3::DeleteObjectsResult r;
  for (auto d : xml_children(doc.root(), "Deleted")) r.deleted.push_back(xml_text(d, "Key"));
  for (auto e : xml_children(doc.root(), "Error"))
    r.errors.push_back({xml_text(e, "Key"), xml_text(e, "Code"), xml_text(e, "Message")});
  return r;
}

}  // namespace awsdl::internal::s3
