// Every S3Client operation against the sandbox (which checks each signature with botocore
// and each request against botocore's model).

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <chrono>
#include <random>
#include <string>

#include "awsdl/s3/client.hpp"
#include "awsdl/s3/uri.hpp"
#include "util/crypto.hpp"
#include "support/byte_source.hpp"
#include "support/sandbox.hpp"

namespace {

using namespace awsdl;
using namespace awsdl::s3;

using testsupport::random_bytes;

std::string md5_etag(std::string_view data) { return "\"" + internal::hex_encode(internal::md5(data)) + "\""; }

class S3ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(sandbox.ok()) << sandbox.error();
    ASSERT_TRUE(sandbox.clear_faults());
    config = sandbox.config();
    config.retry.base_delay = Millis(20);
    bucket = "s3c-" + std::to_string(std::random_device{}() % 100000000);
    ASSERT_TRUE(client().create_bucket({bucket}));
  }
  void TearDown() override { (void)sandbox.clear_faults(); }

  S3Client client() const { return S3Client(config); }

  testsupport::Sandbox sandbox;
  Config config;
  std::string bucket;
};

TEST_F(S3ClientTest, BucketsCreateHeadListDelete) {
  S3Client s3 = client();
  auto head = s3.head_bucket(bucket);
  ASSERT_TRUE(head) << head.error().to_string();
  EXPECT_EQ(head->region, "us-east-1");
  auto list = s3.list_buckets();
  ASSERT_TRUE(list) << list.error().to_string();
  bool found = false;
  for (const auto& b : *list) found = found || (b.name == bucket && b.creation_date.has_value());
  EXPECT_TRUE(found);

  ASSERT_TRUE(s3.put_object({.bucket = bucket, .key = "k", .body = "x"}));
  auto del = s3.delete_bucket(bucket);
  ASSERT_FALSE(del);
  EXPECT_EQ(del.error().code, "BucketNotEmpty");
  ASSERT_TRUE(s3.delete_object(bucket, "k"));
  ASSERT_TRUE(s3.delete_bucket(bucket));
  auto gone = s3.head_bucket(bucket);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, "NotFound");
  EXPECT_EQ(gone.error().http_status, 404);
  EXPECT_FALSE(gone.error().retryable);
}

TEST_F(S3ClientTest, CreateBucketOutsideUsEast1SendsLocationConstraint) {
  Config eu = config;
  eu.region = "eu-west-1";
  S3Client s3(eu);
  std::string name = bucket + "-eu";
  ASSERT_TRUE(s3.create_bucket({name}));
  auto head = s3.head_bucket(name);
  ASSERT_TRUE(head) << head.error().to_string();
  EXPECT_EQ(head->region, "eu-west-1");
  auto again = s3.create_bucket({name});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, "BucketAlreadyOwnedByYou");
  // A us-east-1 client names the bucket's region in its error.
  auto wrong = client().put_object({.bucket = name, .key = "k", .body = "x"});
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, "AuthorizationHeaderMalformed");
  auto bad = client().create_bucket({.bucket = bucket + "-x", .region = "mars-1"});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, "InvalidLocationConstraint");
  auto invalid = client().create_bucket({"Not_A_Bucket"});
  ASSERT_FALSE(invalid);
  EXPECT_EQ(invalid.error().kind, ErrorKind::kInvalidArgument);
}

TEST_F(S3ClientTest, PutGetHeadWithMetadataSseStorageClassAndChecksums) {
  S3Client s3 = client();
  std::string body = random_bytes(100000, 1);
  PutObjectRequest put{.bucket = bucket, .key = "dir/a b+c&d=e.bin", .body = body};
  put.attributes.content_type = "application/x-tar";
  put.attributes.metadata = {{"owner", "trainer"}, {"run", "42"}};
  put.attributes.storage_class = "STANDARD_IA";
  put.attributes.server_side_encryption = "aws:kms";
  put.attributes.sse_kms_key_id = "arn:aws:kms:us-east-1:123456789012:key/k1";
  put.checksum = ChecksumAlgorithm::kCrc32;
  put.content_md5 = true;
  auto r = s3.put_object(put);
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->etag, md5_etag(body));
  EXPECT_EQ(r->checksum, internal::crc32_base64(body));
  EXPECT_EQ(r->server_side_encryption, "aws:kms");

  auto got = s3.get_object({.bucket = bucket, .key = put.key});
  ASSERT_TRUE(got) << got.error().to_string();
  EXPECT_EQ(got->body, body);
  EXPECT_EQ(got->info.etag, r->etag);
  EXPECT_EQ(got->info.content_type, "application/x-tar");
  EXPECT_EQ(got->info.metadata.at("owner"), "trainer");
  EXPECT_EQ(got->info.storage_class, "STANDARD_IA");
  EXPECT_EQ(got->info.server_side_encryption, "aws:kms");
  EXPECT_EQ(got->info.sse_kms_key_id, "arn:aws:kms:us-east-1:123456789012:key/k1");
  EXPECT_EQ(got->info.checksums.at(ChecksumAlgorithm::kCrc32), internal::crc32_base64(body));

  auto head = s3.head_object({.bucket = bucket, .key = put.key});
  ASSERT_TRUE(head) << head.error().to_string();
  EXPECT_EQ(head->content_length, body.size());
  EXPECT_EQ(head->metadata.at("run"), "42");
  auto missing = s3.head_object({.bucket = bucket, .key = "nope"});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, "NotFound");
  auto missing_get = s3.get_object({.bucket = bucket, .key = "nope"});
  ASSERT_FALSE(missing_get);
  EXPECT_EQ(missing_get.error().code, "NoSuchKey");

  for (auto alg : {ChecksumAlgorithm::kCrc32c, ChecksumAlgorithm::kSha256}) {
    auto p = s3.put_object({.bucket = bucket, .key = std::string("c-") + to_string(alg), .body = body, .checksum = alg});
    ASSERT_TRUE(p) << p.error().to_string();
    auto g = s3.get_object({.bucket = bucket, .key = std::string("c-") + to_string(alg)});
    ASSERT_TRUE(g) << g.error().to_string();
    EXPECT_EQ(g->info.checksums.count(alg), 1u);
  }
}

TEST_F(S3ClientTest, StreamedPutAndRangedStreamedGet) {
  S3Client s3 = client();
  std::string body = random_bytes(3 * 1024 * 1024 + 11, 2);
  std::size_t pos = 0;
  PutObjectRequest put{.bucket = bucket, .key = "streamed"};
  put.body_source = [&](char* buf, std::size_t len) -> Result<std::size_t> {
    std::size_t n = std::min(len, body.size() - pos);
    std::memcpy(buf, body.data() + pos, n);
    pos += n;
    return n;
  };
  put.content_length = body.size();
  put.rewind_body = [&] {
    pos = 0;
    return true;
  };
  auto r = s3.put_object(put);
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->etag, md5_etag(body));

  std::string got;
  ObjectSink sink{[&](std::string_view c) -> Result<void> {
                    got.append(c);
                    return {};
                  },
                  [&] {
                    got.clear();
                    return true;
                  }};
  auto info = s3.get_object({.bucket = bucket, .key = "streamed", .range = ByteRange{1000, 1999}}, sink);
  ASSERT_TRUE(info) << info.error().to_string();
  EXPECT_EQ(got, body.substr(1000, 1000));
  EXPECT_EQ(info->content_range, "bytes 1000-1999/" + std::to_string(body.size()));
  EXPECT_EQ(info->object_size, body.size());
  got.clear();
  info = s3.get_object({.bucket = bucket, .key = "streamed", .range = ByteRange{body.size() - 5, std::nullopt}}, sink);
  ASSERT_TRUE(info) << info.error().to_string();
  EXPECT_EQ(got, body.substr(body.size() - 5));
  auto bad = s3.get_object({.bucket = bucket, .key = "streamed", .range = ByteRange{body.size(), std::nullopt}});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, "InvalidRange");
  EXPECT_EQ(bad.error().http_status, 416);
}

TEST_F(S3ClientTest, TruncatedGetIsDetectedAndRetried) {
  S3Client s3 = client();
  std::string body = random_bytes(200000, 3);
  ASSERT_TRUE(s3.put_object({.bucket = bucket, .key = "t", .body = body}));
  ASSERT_TRUE(sandbox.set_faults(R"([{"service":"s3","operation":"GetObject","kind":"truncate","count":1}])"));
  auto log_start = sandbox.requests();
  ASSERT_TRUE(log_start);
  std::int64_t since = log_start->empty() ? 0 : log_start->back().id;
  auto got = s3.get_object({.bucket = bucket, .key = "t"});
  ASSERT_TRUE(got) << got.error().to_string();
  EXPECT_EQ(got->body, body);
  auto log = sandbox.requests(since);
  ASSERT_TRUE(log);
  int gets = 0, truncated = 0;
  for (const auto& e : *log)
    if (e.operation == "GetObject") {
      ++gets;
      truncated += e.fault == "truncate";
    }
  EXPECT_EQ(gets, 2);
  EXPECT_EQ(truncated, 1);

  // Without retries, the truncation is reported.
  Config once = config;
  once.retry.max_attempts = 1;
  ASSERT_TRUE(sandbox.set_faults(R"([{"service":"s3","operation":"GetObject","kind":"truncate","count":1}])"));
  auto cut = S3Client(once).get_object({.bucket = bucket, .key = "t"});
  ASSERT_FALSE(cut);
  EXPECT_TRUE(cut.error().retryable) << cut.error().to_string();
}

TEST_F(S3ClientTest, DeleteObjectsCopyObjectAndErrorInside200) {
  S3Client s3 = client();
  for (const char* k : {"a", "b", "c"}) ASSERT_TRUE(s3.put_object({.bucket = bucket, .key = k, .body = k}));
  auto del = s3.delete_objects(bucket, {"a", "b"});
  ASSERT_TRUE(del) << del.error().to_string();
  EXPECT_EQ(del->deleted.size(), 2u);
  auto all = s3.list_all_objects(bucket, "");
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].key, "c");

  CopyObjectRequest copy{.source_bucket = bucket, .source_key = "c", .bucket = bucket, .key = "copy of c"};
  copy.replace_metadata = true;
  copy.attributes.metadata = {{"copied", "yes"}};
  auto c = s3.copy_object(copy);
  ASSERT_TRUE(c) << c.error().to_string();
  EXPECT_EQ(c->etag, md5_etag("c"));
  auto head = s3.head_object({.bucket = bucket, .key = "copy of c"});
  ASSERT_TRUE(head);
  EXPECT_EQ(head->metadata.at("copied"), "yes");

  // S3 can fail a copy after answering 200: the error inside is found and retried.
  ASSERT_TRUE(sandbox.control("POST", "/_sandbox/services/s3/error_in_200",
                              R"({"operation":"CopyObject","code":"InternalError","count":1})"));
  copy.key = "second copy";
  auto c2 = s3.copy_object(copy);
  ASSERT_TRUE(c2) << c2.error().to_string();
  auto log = sandbox.requests();
  ASSERT_TRUE(log);
  int copies = 0;
  for (const auto& e : *log) copies += e.operation == "CopyObject";
  EXPECT_GE(copies, 3);  // the first copy, then the failed-in-200 one and its retry

  // With no retries left, the error inside the 200 is what the caller sees.
  Config once = config;
  once.retry.max_attempts = 1;
  ASSERT_TRUE(sandbox.control("POST", "/_sandbox/services/s3/error_in_200",
                              R"({"operation":"CopyObject","code":"InternalError","count":1})"));
  copy.key = "third copy";
  auto c3 = S3Client(once).copy_object(copy);
  ASSERT_FALSE(c3);
  EXPECT_EQ(c3.error().code, "InternalError");
  EXPECT_EQ(c3.error().http_status, 200);
}

TEST_F(S3ClientTest, ListObjectsV2PaginatesWithDelimiterAndOddKeys) {
  S3Client s3 = client();
  std::vector<std::string> keys = {"a/1", "a/2", "a/b/3", "b/4", "c", "d%25", "e f", "g+h", "tab\tkey"};
  for (const auto& k : keys) ASSERT_TRUE(s3.put_object({.bucket = bucket, .key = k, .body = k})) << k;
  auto pages = s3.list_objects_pages({.bucket = bucket, .max_keys = 2});
  std::vector<std::string> seen;
  while (pages.has_more()) {
    auto p = pages.next();
    ASSERT_TRUE(p) << p.error().to_string();
    for (const auto& o : p->objects) seen.push_back(o.key);
  }
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(seen, keys);
  EXPECT_EQ(pages.pages(), 5);

  auto top = s3.list_objects_v2({.bucket = bucket, .delimiter = "/"});
  ASSERT_TRUE(top) << top.error().to_string();
  EXPECT_EQ(top->common_prefixes, (std::vector<std::string>{"a/", "b/"}));
  EXPECT_EQ(top->objects.size(), 5u);
  auto sub = s3.list_objects_v2({.bucket = bucket, .prefix = "a/", .delimiter = "/"});
  ASSERT_TRUE(sub);
  ASSERT_EQ(sub->objects.size(), 2u);
  EXPECT_EQ(sub->objects[0].size, 3u);
  EXPECT_EQ(sub->objects[0].etag, md5_etag("a/1"));
  auto after = s3.list_objects_v2({.bucket = bucket, .start_after = "e f"});
  ASSERT_TRUE(after);
  ASSERT_EQ(after->objects.size(), 2u);
  EXPECT_EQ(after->objects[0].key, "g+h");
}

TEST_F(S3ClientTest, MultipartLifecycle) {
  S3Client s3 = client();
  auto up = s3.create_multipart_upload({.bucket = bucket, .key = "mp", .checksum = ChecksumAlgorithm::kCrc32});
  ASSERT_TRUE(up) << up.error().to_string();
  std::string p1 = random_bytes(5 * 1024 * 1024, 4), p2 = random_bytes(1000, 5);
  auto r1 = s3.upload_part({.bucket = bucket, .key = "mp", .upload_id = up->upload_id, .part_number = 1, .body = p1,
                            .checksum = ChecksumAlgorithm::kCrc32});
  ASSERT_TRUE(r1) << r1.error().to_string();
  auto r2 = s3.upload_part({.bucket = bucket, .key = "mp", .upload_id = up->upload_id, .part_number = 2, .body = p2,
                            .checksum = ChecksumAlgorithm::kCrc32, .content_md5 = true});
  ASSERT_TRUE(r2) << r2.error().to_string();
  EXPECT_EQ(r1->etag, md5_etag(p1));

  auto parts = s3.list_all_parts(*up);
  ASSERT_TRUE(parts) << parts.error().to_string();
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0].size, p1.size());
  EXPECT_EQ((*parts)[1].checksum, internal::crc32_base64(p2));
  auto page = s3.list_parts(*up, 0, 1);
  ASSERT_TRUE(page);
  EXPECT_TRUE(page->is_truncated);
  EXPECT_EQ(page->next_part_number_marker, 1);
  EXPECT_EQ(page->checksum, ChecksumAlgorithm::kCrc32);

  auto uploads = s3.list_multipart_uploads({.bucket = bucket});
  ASSERT_TRUE(uploads) << uploads.error().to_string();
  ASSERT_EQ(uploads->uploads.size(), 1u);
  EXPECT_EQ(uploads->uploads[0].upload_id, up->upload_id);

  // Out of order is refused before anything is sent; a small first part by S3.
  auto disorder = s3.complete_multipart_upload(*up, {*r2, *r1});
  ASSERT_FALSE(disorder);
  EXPECT_EQ(disorder.error().code, "InvalidPartOrder");

  ASSERT_TRUE(sandbox.control("POST", "/_sandbox/services/s3/error_in_200",
                              R"({"operation":"CompleteMultipartUpload","count":1})"));
  auto done = s3.complete_multipart_upload(*up, {*r1, *r2});
  ASSERT_TRUE(done) << done.error().to_string();
  std::string md5s = std::string(internal::as_chars(internal::md5(p1))) + std::string(internal::as_chars(internal::md5(p2)));
  EXPECT_EQ(done->etag, "\"" + internal::hex_encode(internal::md5(md5s)) + "-2\"");
  EXPECT_EQ(done->checksum.substr(done->checksum.size() - 2), "-2");
  auto got = s3.get_object({.bucket = bucket, .key = "mp"});
  ASSERT_TRUE(got) << got.error().to_string();
  EXPECT_TRUE(got->body == p1 + p2);
  auto part2 = s3.get_object({.bucket = bucket, .key = "mp", .part_number = 2});
  ASSERT_TRUE(part2);
  EXPECT_EQ(part2->body, p2);
  EXPECT_EQ(part2->info.parts_count, 2);

  // Abort, and EntityTooSmall for a small part that is not the last.
  auto up2 = s3.create_multipart_upload({.bucket = bucket, .key = "mp2"});
  ASSERT_TRUE(up2);
  auto a = s3.upload_part({.bucket = bucket, .key = "mp2", .upload_id = up2->upload_id, .part_number = 1, .body = p2});
  auto b = s3.upload_part({.bucket = bucket, .key = "mp2", .upload_id = up2->upload_id, .part_number = 2, .body = p2});
  ASSERT_TRUE(a && b);
  auto small = s3.complete_multipart_upload(*up2, {*a, *b});
  ASSERT_FALSE(small);
  EXPECT_EQ(small.error().code, "EntityTooSmall");
  ASSERT_TRUE(s3.abort_multipart_upload(*up2));
  auto gone = s3.list_parts(*up2);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, "NoSuchUpload");
  auto none = s3.list_multipart_uploads({.bucket = bucket});
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->uploads.empty());
}

TEST_F(S3ClientTest, PresignedGetAndPutWorkWithoutCredentials) {
  S3Client s3 = client();
  ASSERT_TRUE(s3.put_object({.bucket = bucket, .key = "shared/file.txt", .body = "presigned body"}));
  auto url = s3.presign_get(bucket, "shared/file.txt", std::chrono::seconds(300));
  ASSERT_TRUE(url) << url.error().to_string();
  EXPECT_NE(url->find("X-Amz-Signature="), std::string::npos);
  auto transport = http::make_curl_transport();
  auto send = [&](const std::string& u, const std::string& method, const std::string& body,
                  const std::string& ctype) {
    http::Request r;
    r.method = method;
    auto rest = u.substr(u.find("://") + 3);
    r.scheme = "http";
    r.host = rest.substr(0, rest.find('/'));
    auto path_query = rest.substr(rest.find('/'));
    r.path = path_query.substr(0, path_query.find('?'));
    r.query = path_query.substr(path_query.find('?') + 1);
    r.body = body;
    if (!ctype.empty()) r.headers.set("Content-Type", ctype);
    return transport->send(r, {});
  };
  auto got = send(*url, "GET", "", "");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status, 200);
  EXPECT_EQ(got->body, "presigned body");

  auto put_url = s3.presign_put(bucket, "shared/upload.bin", std::chrono::seconds(300), "application/octet-stream");
  ASSERT_TRUE(put_url);
  auto put = send(*put_url, "PUT", "uploaded through a URL", "application/octet-stream");
  ASSERT_TRUE(put);
  EXPECT_EQ(put->status, 200) << put->body;
  auto check = s3.get_object({.bucket = bucket, .key = "shared/upload.bin"});
  ASSERT_TRUE(check);
  EXPECT_EQ(check->body, "uploaded through a URL");
  // The signed Content-Type is enforced: another one breaks the signature.
  auto wrong = send(*put_url, "PUT", "x", "text/plain");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 403);
}

}  // namespace
