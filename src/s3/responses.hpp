#pragma once
// S3's answers -> the public result types: headers of GET/HEAD, and the XML documents of
// listings, multipart calls, copies and batch deletes. Pure functions, unit-tested on
// recorded answers.

#include <string_view>

#include "awsdl/core/result.hpp"
#include "awsdl/http/message.hpp"
#include "awsdl/s3/types.hpp"

namespace awsdl::internal::s3 {

/// GET / HEAD headers: length, Content-Range (sets object_size), ETag, metadata, checksums...
awsdl::s3::ObjectInfo parse_object_info(const http::Response& response);

Result<awsdl::s3::ListObjectsPage> parse_list_objects_v2(std::string_view body);
Result<std::vector<awsdl::s3::BucketInfo>> parse_list_buckets(std::string_view body);
Result<awsdl::s3::MultipartUpload> parse_initiate_multipart(std::string_view body);
Result<awsdl::s3::CompleteMultipartUploadResult> parse_complete_multipart(std::string_view body);
Result<awsdl::s3::ListPartsPage> parse_list_parts(std::string_view body);
Result<awsdl::s3::ListMultipartUploadsPage> parse_list_multipart_uploads(std::string_view body);
Result<awsdl::s3::CopyObjectResult> parse_copy_object(std::string_view body);
Result<awsdl::s3::DeleteObjectsResult> parse_delete_objects(std::string_view body);

/// "bytes 0-99/1000" -> {0, 99, 1000}; nullopt when malformed. Total may be "*" (-> nullopt).
struct ContentRange {
  std::uint64_t first = 0, last = 0;
  std::optional<std::uint64_t> total;
};
std::optional<ContentRange> parse_content_range(std::string_view value);

/// Percent-decoding of keys in listings sent with encoding-type=url.
std::string url_decode(std::string_view text);

}  // namespace awsdl::internal::s3
