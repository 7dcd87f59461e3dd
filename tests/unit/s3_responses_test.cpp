// S3's answers as recorded from the service (namespaces, url-encoded listings, errors
// inside a 200) read into the public types.
#include <gtest/gtest.h>

#include "protocol/error_parser.hpp"
#include "s3/responses.hpp"

namespace awsdl::internal::s3 {
namespace {

using awsdl::s3::ChecksumAlgorithm;

TEST(S3Responses, ListObjectsV2WithUrlEncodingAndPrefixes) {
  const char* body = R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix>a%2F</Prefix>
<KeyCount>3</KeyCount><MaxKeys>2</MaxKeys><Delimiter>%2F</Delimiter><IsTruncated>true</IsTruncated>
<Contents><Key>a/x%20y%2Bz</Key><LastModified>2023-11-14T22:13:20.000Z</LastModified><ETag>"abc"</ETag>
<Size>12345678901</Size><StorageClass>STANDARD</StorageClass></Contents>
<Contents><Key>a/tab%09key</Key><LastModified>2023-11-14T22:13:20.000Z</LastModified><ETag>"d-2"</ETag>
<Size>0</Size><StorageClass>STANDARD_IA</StorageClass></Contents>
<CommonPrefixes><Prefix>a/sub%2F</Prefix></CommonPrefixes>
<EncodingType>url</EncodingType><NextContinuationToken>tok+/=</NextContinuationToken></ListBucketResult>)";
  auto page = parse_list_objects_v2(body);
  ASSERT_TRUE(page) << page.error().to_string();
  ASSERT_EQ(page->objects.size(), 2u);
  EXPECT_EQ(page->objects[0].key, "a/x y+z");
  EXPECT_EQ(page->objects[0].size, 12345678901ull);
  EXPECT_EQ(page->objects[0].etag, "\"abc\"");
  EXPECT_TRUE(page->objects[0].last_modified.has_value());
  EXPECT_EQ(page->objects[1].key, "a/tab\tkey");
  EXPECT_EQ(page->objects[1].storage_class, "STANDARD_IA");
  EXPECT_EQ(page->common_prefixes, std::vector<std::string>{"a/sub/"});
  EXPECT_TRUE(page->is_truncated);
  EXPECT_EQ(page->next_continuation_token, "tok+/=");  // tokens are opaque: not decoded
  EXPECT_EQ(page->key_count, 3);
}

TEST(S3Responses, ListingWithoutEncodingIsTakenLiterally) {
  auto page = parse_list_objects_v2(
      "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>a%20b+c</Key><Size>1</Size></Contents>"
      "</ListBucketResult>");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->objects[0].key, "a%20b+c");
  auto bad = parse_list_objects_v2("<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>");
  ASSERT_FALSE(bad);  // truncated without a token would loop forever
  // The root's name is not checked (botocore does not; emulators differ), an <Error> is an error.
  auto other = parse_list_objects_v2("<Other/>");
  ASSERT_TRUE(other);
  EXPECT_TRUE(other->objects.empty());
  auto error = parse_list_objects_v2("<Error><Code>InternalError</Code><Message>m</Message></Error>");
  ASSERT_FALSE(error);
  EXPECT_EQ(error.error().kind, ErrorKind::kService);
  EXPECT_EQ(error.error().code, "InternalError");
  EXPECT_FALSE(parse_list_objects_v2("<ListBucketResult><Contents><Key>cut off"));
}

TEST(S3Responses, MultipartDocuments) {
  auto init = parse_initiate_multipart(
      R"(<InitiateMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>b</Bucket>)"
      R"(<Key>k/1</Key><UploadId>VXBsb2FkIElE</UploadId></InitiateMultipartUploadResult>)");
  ASSERT_TRUE(init);
  EXPECT_EQ(init->upload_id, "VXBsb2FkIElE");
  EXPECT_EQ(init->key, "k/1");
  EXPECT_FALSE(parse_initiate_multipart("<InitiateMultipartUploadResult><Bucket>b</Bucket></InitiateMultipartUploadResult>"));

  auto parts = parse_list_parts(
      R"(<ListPartsResult><Bucket>b</Bucket><Key>k</Key><UploadId>u</UploadId><PartNumberMarker>0</PartNumberMarker>)"
      R"(<NextPartNumberMarker>2</NextPartNumberMarker><MaxParts>2</MaxParts><IsTruncated>true</IsTruncated>)"
      R"(<Part><PartNumber>1</PartNumber><LastModified>2023-01-01T00:00:00.000Z</LastModified><ETag>"e1"</ETag>)"
      R"(<Size>5242880</Size><ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part>)"
      R"(<Part><PartNumber>2</PartNumber><ETag>"e2"</ETag><Size>7</Size></Part>)"
      R"(<ChecksumAlgorithm>CRC32</ChecksumAlgorithm></ListPartsResult>)");
  ASSERT_TRUE(parts) << parts.error().to_string();
  ASSERT_EQ(parts->parts.size(), 2u);
  EXPECT_EQ(parts->parts[0].size, 5242880u);
  EXPECT_EQ(parts->parts[0].checksum, "AAAAAA==");
  EXPECT_EQ(parts->parts[1].etag, "\"e2\"");
  EXPECT_EQ(parts->next_part_number_marker, 2);
  EXPECT_EQ(parts->checksum, ChecksumAlgorithm::kCrc32);

  auto ups = parse_list_multipart_uploads(
      R"(<ListMultipartUploadsResult><Bucket>b</Bucket><IsTruncated>false</IsTruncated>)"
      R"(<Upload><Key>a</Key><UploadId>u1</UploadId><Initiated>2023-01-01T00:00:00.000Z</Initiated>)"
      R"(<StorageClass>STANDARD</StorageClass></Upload><Upload><Key>b</Key><UploadId>u2</UploadId>)"
      R"(<ChecksumAlgorithm>SHA256</ChecksumAlgorithm></Upload></ListMultipartUploadsResult>)");
  ASSERT_TRUE(ups);
  ASSERT_EQ(ups->uploads.size(), 2u);
  EXPECT_EQ(ups->uploads[0].bucket, "b");
  EXPECT_TRUE(ups->uploads[0].initiated.has_value());
  EXPECT_EQ(ups->uploads[1].checksum, ChecksumAlgorithm::kSha256);

  auto done = parse_complete_multipart(
      R"(<CompleteMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Location>http://h/b/k</Location>)"
      R"(<Bucket>b</Bucket><Key>k</Key><ETag>"3858f62230ac3c915f300c664312c11f-9"</ETag>)"
      R"(<ChecksumCRC32>abcd-9</ChecksumCRC32></CompleteMultipartUploadResult>)");
  ASSERT_TRUE(done);
  EXPECT_EQ(done->etag, "\"3858f62230ac3c915f300c664312c11f-9\"");
  EXPECT_EQ(done->checksum, "abcd-9");
}

TEST(S3Responses, ErrorInsideA200IsFound) {
  http::Response ok;
  ok.status = 200;
  ok.body = "<CompleteMultipartUploadResult><ETag>\"x\"</ETag></CompleteMultipartUploadResult>";
  EXPECT_FALSE(s3_error_in_200(ok).has_value());

  http::Response failed;
  failed.status = 200;
  failed.headers.set("x-amz-request-id", "REQ1");
  failed.body =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\n  \n<Error><Code>InternalError</Code>"
      "<Message>We encountered an internal error. Please try again.</Message><RequestId>REQ1</RequestId></Error>";
  auto e = s3_error_in_200(failed);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->code, "InternalError");
  EXPECT_EQ(e->request_id, "REQ1");
  EXPECT_TRUE(e->retryable);
  // And the parser refuses to read it as a result.
  EXPECT_FALSE(parse_complete_multipart(failed.body));

  http::Response empty;
  empty.status = 200;
  auto cut = s3_error_in_200(empty);
  ASSERT_TRUE(cut.has_value());
  EXPECT_TRUE(cut->retryable);
}

TEST(S3Responses, CopyAndDeleteResults) {
  auto copy = parse_copy_object(
      R"(<CopyObjectResult><LastModified>2009-10-12T17:50:30.000Z</LastModified><ETag>"9b2cf535f27731c974343645a3985328"</ETag></CopyObjectResult>)");
  ASSERT_TRUE(copy);
  EXPECT_EQ(copy->etag, "\"9b2cf535f27731c974343645a3985328\"");
  auto del = parse_delete_objects(
      R"(<DeleteResult><Deleted><Key>a</Key></Deleted><Error><Key>b</Key><Code>AccessDenied</Code><Message>no</Message></Error></DeleteResult>)");
  ASSERT_TRUE(del);
  EXPECT_EQ(del->deleted, std::vector<std::string>{"a"});
  ASSERT_EQ(del->errors.size(), 1u);
  EXPECT_EQ(del->errors[0].code, "AccessDenied");
  auto buckets = parse_list_buckets(
      R"(<ListAllMyBucketsResult><Owner><ID>x</ID></Owner><Buckets><Bucket><Name>one</Name><CreationDate>2019-12-11T23:32:47.000Z</CreationDate></Bucket><Bucket><Name>two</Name></Bucket></Buckets></ListAllMyBucketsResult>)");
  ASSERT_TRUE(buckets);
  ASSERT_EQ(buckets->size(), 2u);
  EXPECT_EQ((*buckets)[1].name, "two");
}

TEST(S3Responses, ObjectHeadersAndContentRange) {
  http::Response r;
  r.status = 206;
  r.headers.set("Content-Length", "100");
  r.headers.set("Content-Range", "bytes 100-199/5000");
  r.headers.set("ETag", "\"e\"");
  r.headers.set("Last-Modified", "Tue, 14 Nov 2023 22:13:20 GMT");
  r.headers.set("x-amz-meta-Owner", "me");
  r.headers.set("x-amz-checksum-crc32c", "yZRlqg==");
  r.headers.set("x-amz-storage-class", "GLACIER_IR");
  r.headers.set("x-amz-mp-parts-count", "3");
  auto info = parse_object_info(r);
  EXPECT_EQ(info.content_length, 100u);
  EXPECT_EQ(info.object_size, 5000u);
  EXPECT_EQ(info.metadata.at("owner"), "me");
  EXPECT_EQ(info.checksums.at(ChecksumAlgorithm::kCrc32c), "yZRlqg==");
  EXPECT_EQ(info.parts_count, 3);
  EXPECT_TRUE(info.last_modified.has_value());
  EXPECT_FALSE(parse_content_range("bytes 5-4/10"));
  EXPECT_FALSE(parse_content_range("bytes 0-9/5"));
  EXPECT_FALSE(parse_content_range("items 0-9/10"));
  auto star = parse_content_range("bytes 0-9/*");
  ASSERT_TRUE(star);
  EXPECT_FALSE(star->total.has_value());
}

}  // namespace
}  // namespace awsdl::internal::s3
