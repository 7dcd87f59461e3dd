// S3Client on a fake transport: addressing, payload signing, request bodies, presigned
// URLs and errors inside a 200.
#include <gtest/gtest.h>

#include "awsdl/s3/client.hpp"
#include "awsdl/testing/fake_transport.hpp"
#include "support/fake_harness.hpp"
#include "util/crc64nvme.hpp"
#include "util/crypto.hpp"

namespace awsdl::s3 {
namespace {

struct Harness : testsupport::FakeHarness {
  Harness() : FakeHarness("us-west-2") {}
};

std::string header(const http::Request& r, std::string_view name) {
  auto v = r.headers.get(name);
  return v ? std::string(*v) : std::string();
}

TEST(S3ClientWire, VirtualHostedOnAwsPathStyleWhenForcedOrForIpEndpoints) {
  Harness h;
  h.transport->push(200, "", {});
  ASSERT_TRUE(S3Client(h.config).delete_object("my-bucket", "a b/c.txt"));
  EXPECT_EQ(h.last().scheme, "https");
  EXPECT_EQ(h.last().host, "my-bucket.s3.us-west-2.amazonaws.com");
  EXPECT_EQ(h.last().path, "/a%20b/c.txt");

  h.config.s3_force_path_style = true;
  h.transport->push(204);
  ASSERT_TRUE(S3Client(h.config).delete_object("my-bucket", "a b/c.txt"));
  EXPECT_EQ(h.last().host, "s3.us-west-2.amazonaws.com");
  EXPECT_EQ(h.last().path, "/my-bucket/a%20b/c.txt");

  h.config.s3_force_path_style = false;
  h.config.endpoint_url = "http://127.0.0.1:9000";
  h.transport->push(204);
  ASSERT_TRUE(S3Client(h.config).delete_object("my-bucket", "k"));
  EXPECT_EQ(h.last().host, "127.0.0.1:9000");
  EXPECT_EQ(h.last().path, "/my-bucket/k");

  // Dotted names do not fit TLS wildcard certificates: path style.
  h.config.endpoint_url.clear();
  h.transport->push(204);
  ASSERT_TRUE(S3Client(h.config).delete_object("my.dotted.bucket", "k"));
  EXPECT_EQ(h.last().host, "s3.us-west-2.amazonaws.com");
  EXPECT_EQ(h.last().path, "/my.dotted.bucket/k");
}

TEST(S3ClientWire, PayloadIsUnsignedOverHttpsAndHashedOverHttp) {
  Harness h;
  h.transport->push(200, "", [] {
    http::Headers hd;
    hd.set("ETag", "\"e\"");
    return hd;
  }());
  ASSERT_TRUE(S3Client(h.config).upload_part(
      {.bucket = "b1b", .key = "k", .upload_id = "u", .part_number = 7, .body = "part bytes"}));
  auto r = h.last();
  EXPECT_EQ(header(r, "x-amz-content-sha256"), "UNSIGNED-PAYLOAD");
  EXPECT_EQ(r.query, "partNumber=7&uploadId=u");
  EXPECT_EQ(r.body, "part bytes");  // the fake reads the streamed body

  h.config.endpoint_url = "http://127.0.0.1:9000";
  h.transport->push(200, "", [] {
    http::Headers hd;
    hd.set("ETag", "\"e\"");
    return hd;
  }());
  auto part = S3Client(h.config).upload_part({.bucket = "b1b", .key = "k", .upload_id = "u", .part_number = 1,
                                              .body = "part bytes", .checksum = ChecksumAlgorithm::kCrc32});
  ASSERT_TRUE(part) << part.error().to_string();
  r = h.last();
  EXPECT_EQ(header(r, "x-amz-content-sha256"), internal::sha256_hex("part bytes"));
  EXPECT_EQ(header(r, "x-amz-checksum-crc32"), internal::crc32_base64("part bytes"));
  EXPECT_EQ(part->checksum, internal::crc32_base64("part bytes"));
  EXPECT_EQ(part->size, 10u);

  S3Options forced;
  forced.payload_signing = PayloadSigning::kUnsigned;
  h.transport->push(200);
  ASSERT_TRUE(S3Client(h.config, forced).put_object({.bucket = "b1b", .key = "k", .body = "x"}));
  EXPECT_EQ(header(h.last(), "x-amz-content-sha256"), "UNSIGNED-PAYLOAD");
}

TEST(S3ClientWire, Crc64NvmeIsAFullObjectChecksumWithUnsignedPayloadOverHttps) {
  Harness h;
  auto etag = [] {
    http::Headers hd;
    hd.set("ETag", "\"e\"");
    return hd;
  };
  h.transport->push(200,
                    "<InitiateMultipartUploadResult><Bucket>b1b</Bucket><Key>k</Key><UploadId>u</UploadId>"
                    "</InitiateMultipartUploadResult>");
  auto upload = S3Client(h.config).create_multipart_upload(
      {.bucket = "b1b", .key = "k", .checksum = ChecksumAlgorithm::kCrc64Nvme});
  ASSERT_TRUE(upload) << upload.error().to_string();
  EXPECT_EQ(header(h.last(), "x-amz-checksum-algorithm"), "CRC64NVME");
  EXPECT_EQ(header(h.last(), "x-amz-checksum-type"), "FULL_OBJECT");

  // Each part: its CRC as the checksum header, and no SHA-256 pass (https: UNSIGNED-PAYLOAD).
  const std::string a(300000, 'a'), b = "the last part";
  std::vector<CompletedPart> parts;
  int n = 0;
  for (const std::string* body : {&a, &b}) {
    h.transport->push(200, "", etag());
    auto part = S3Client(h.config).upload_part({.bucket = "b1b", .key = "k", .upload_id = "u", .part_number = ++n,
                                                .body = *body, .checksum = ChecksumAlgorithm::kCrc64Nvme});
    ASSERT_TRUE(part) << part.error().to_string();
    EXPECT_EQ(header(h.last(), "x-amz-content-sha256"), "UNSIGNED-PAYLOAD");
    EXPECT_EQ(header(h.last(), "x-amz-checksum-crc64nvme"), internal::crc64nvme_base64(internal::crc64nvme(*body)));
    EXPECT_EQ(part->checksum, header(h.last(), "x-amz-checksum-crc64nvme"));
    parts.push_back(*part);
  }

  // Completion: the whole object's CRC, combined from the parts' without their bytes.
  h.transport->push(200, "<CompleteMultipartUploadResult><ETag>\"x-2\"</ETag></CompleteMultipartUploadResult>");
  auto done = S3Client(h.config).complete_multipart_upload(*upload, parts);
  ASSERT_TRUE(done) << done.error().to_string();
  const std::string whole = internal::crc64nvme_base64(internal::crc64nvme(a + b));
  EXPECT_EQ(header(h.last(), "x-amz-checksum-crc64nvme"), whole);
  EXPECT_EQ(header(h.last(), "x-amz-checksum-type"), "FULL_OBJECT");
  EXPECT_NE(h.last().body.find("<ChecksumCRC64NVME>" + parts[0].checksum + "</ChecksumCRC64NVME>"), std::string::npos)
      << h.last().body;
  EXPECT_EQ(done->checksum, whole) << "the value S3 checked, when its answer does not say it";

  // A part without a CRC and size cannot be combined: refused before any request.
  parts[1].checksum.clear();
  const auto sent = h.transport->requests().size();
  auto refused = S3Client(h.config).complete_multipart_upload(*upload, parts);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "MissingPartChecksum");
  EXPECT_EQ(h.transport->requests().size(), sent);
}

TEST(S3ClientWire, Sha256ChecksumAndSignedPayloadAreOneDigest) {
  Harness h;
  EXPECT_FALSE(S3Client(h.config).signs_payloads());  // https: UNSIGNED-PAYLOAD
  h.config.endpoint_url = "http://127.0.0.1:9000";
  EXPECT_TRUE(S3Client(h.config).signs_payloads());
  S3Options forced;
  forced.payload_signing = PayloadSigning::kUnsigned;
  EXPECT_FALSE(S3Client(h.config, forced).signs_payloads());

  const std::string body(100000, 'q');
  for (bool sign : {true, false}) {
    SCOPED_TRACE(sign ? "signed" : "unsigned");
    h.transport->push(200, "", [] {
      http::Headers hd;
      hd.set("ETag", "\"e\"");
      return hd;
    }());
    auto part = S3Client(h.config, sign ? S3Options{} : forced)
                    .upload_part({.bucket = "b1b", .key = "k", .upload_id = "u", .part_number = 2, .body = body,
                                  .checksum = ChecksumAlgorithm::kSha256});
    ASSERT_TRUE(part) << part.error().to_string();
    auto r = h.last();
    EXPECT_EQ(header(r, "x-amz-content-sha256"), sign ? internal::sha256_hex(body) : "UNSIGNED-PAYLOAD");
    EXPECT_EQ(header(r, "x-amz-checksum-sha256"), internal::base64_encode(internal::sha256(body)));
    EXPECT_EQ(part->checksum, internal::base64_encode(internal::sha256(body)));
  }
}

TEST(S3ClientWire, CompleteMultipartSendsPartsAndRetriesAnErrorInside200) {
  Harness h;
  const char* error_in_200 =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\n<Error><Code>InternalError</Code><Message>try again</Message>"
      "<RequestId>R1</RequestId></Error>";
  const char* ok =
      "<CompleteMultipartUploadResult><Location>l</Location><Bucket>b1b</Bucket><Key>k</Key>"
      "<ETag>\"abc-2\"</ETag></CompleteMultipartUploadResult>";
  h.transport->push(200, error_in_200);
  h.transport->push(200, ok);
  MultipartUpload up{.bucket = "b1b", .key = "k", .upload_id = "U1", .checksum = ChecksumAlgorithm::kCrc32};
  std::vector<CompletedPart> parts = {{.part_number = 1, .etag = "\"e1\"", .checksum = "c1"},
                                      {.part_number = 2, .etag = "\"e2\"", .checksum = "c2"}};
  auto done = S3Client(h.config).complete_multipart_upload(up, parts);
  ASSERT_TRUE(done) << done.error().to_string();
  EXPECT_EQ(done->etag, "\"abc-2\"");
  ASSERT_EQ(h.transport->request_count(), 2u);
  auto r = h.last();
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.query, "uploadId=U1");
  EXPECT_NE(r.body.find("<Part><PartNumber>1</PartNumber><ETag>&quot;e1&quot;</ETag><ChecksumCRC32>c1</ChecksumCRC32></Part>"),
            std::string::npos)
      << r.body;

  // Out of retries: the error inside the 200 is the answer.
  h.config.retry.max_attempts = 1;
  h.transport->push(200, error_in_200);
  auto failed = S3Client(h.config).complete_multipart_upload(up, parts);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, "InternalError");
  EXPECT_EQ(failed.error().request_id, "R1");
}

TEST(S3ClientWire, HeadErrorsAreNamedAndChecksumMismatchIsCaught) {
  Harness h;
  h.transport->push(404);
  auto head = S3Client(h.config).head_object({.bucket = "b1b", .key = "k"});
  ASSERT_FALSE(head);
  EXPECT_EQ(head.error().code, "NotFound");

  http::Headers hd;
  hd.set("Content-Length", "5");
  hd.set("x-amz-checksum-crc32", internal::crc32_base64("other"));
  h.config.retry.max_attempts = 1;
  h.transport->push(200, "hello", hd);
  auto got = S3Client(h.config).get_object({.bucket = "b1b", .key = "k"});
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, "ChecksumMismatch");
  EXPECT_EQ(header(h.last(), "x-amz-checksum-mode"), "ENABLED");

  hd.set("x-amz-checksum-crc32", internal::crc32_base64("hello"));
  h.transport->push(200, "hello", hd);
  ASSERT_TRUE(S3Client(h.config).get_object({.bucket = "b1b", .key = "k"}));
  // A multipart object's checksum of checksums is not compared with the bytes.
  hd.set("x-amz-checksum-crc32", "AAAAAA==-3");
  h.transport->push(200, "hello", hd);
  ASSERT_TRUE(S3Client(h.config).get_object({.bucket = "b1b", .key = "k"}));
}

// What the answer says about the checksum decides whether it is compared with the bytes:
// COMPOSITE never, FULL_OBJECT always; without the header, a bare value on an object whose
// ETag shows parts may be a checksum of checksums (moto's HeadObject sends one so).
TEST(S3ClientWire, ChecksumTypeDecidesWhatIsCompared) {
  Harness h;
  h.config.retry.max_attempts = 1;
  auto get = [&](const char* type, const char* etag, const std::string& value) {
    http::Headers hd;
    hd.set("Content-Length", "5");
    hd.set("x-amz-checksum-sha256", value);
    if (*etag) hd.set("ETag", etag);
    if (*type) hd.set("x-amz-checksum-type", type);
    h.transport->push(200, "hello", hd);
    return S3Client(h.config).get_object({.bucket = "b1b", .key = "k"});
  };
  const std::string other = internal::base64_encode(internal::sha256("other"));
  const std::string hello = internal::base64_encode(internal::sha256("hello"));
  EXPECT_TRUE(get("COMPOSITE", "\"5d41402abc4b2a76b9719d911017c592\"", other));
  EXPECT_TRUE(get("", "\"9b2cf535f27731c974343645a3985328-3\"", other));
  auto full = get("FULL_OBJECT", "\"9b2cf535f27731c974343645a3985328-3\"", other);
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error().code, "ChecksumMismatch");
  auto single = get("", "\"5d41402abc4b2a76b9719d911017c592\"", other);
  ASSERT_FALSE(single);
  EXPECT_EQ(single.error().code, "ChecksumMismatch");
  EXPECT_TRUE(get("", "\"5d41402abc4b2a76b9719d911017c592\"", hello));

  http::Headers hd;
  hd.set("Content-Length", "5");
  hd.set("ETag", "\"9b2cf535f27731c974343645a3985328-3\"");
  hd.set("x-amz-checksum-type", "COMPOSITE");
  h.transport->push(200, "", hd);
  auto head = S3Client(h.config).head_object({.bucket = "b1b", .key = "k"});
  ASSERT_TRUE(head) << head.error().to_string();
  EXPECT_EQ(head->checksum_type, "COMPOSITE");
}

TEST(S3ClientWire, PresignedUrlShape) {
  Harness h;
  auto url = S3Client(h.config).presign_get("my-bucket", "dir/a b.txt", std::chrono::seconds(600));
  ASSERT_TRUE(url) << url.error().to_string();
  EXPECT_EQ(url->rfind("https://my-bucket.s3.us-west-2.amazonaws.com/dir/a%20b.txt?", 0), 0u) << *url;
  for (const char* part : {"X-Amz-Algorithm=AWS4-HMAC-SHA256", "X-Amz-Credential=AKIDEXAMPLE%2F20231114%2Fus-west-2%2Fs3%2Faws4_request",
                           "X-Amz-Date=20231114T221320Z", "X-Amz-Expires=600", "X-Amz-SignedHeaders=host",
                           "X-Amz-Signature="})
    EXPECT_NE(url->find(part), std::string::npos) << part << " in " << *url;
  EXPECT_EQ(h.transport->request_count(), 0u);  // nothing sent

  auto put = S3Client(h.config).presign_put("my-bucket", "k", std::chrono::seconds(60), "application/x-tar");
  ASSERT_TRUE(put);
  EXPECT_NE(put->find("X-Amz-SignedHeaders=content-type%3Bhost"), std::string::npos) << *put;
  EXPECT_FALSE(S3Client(h.config).presign_get("my-bucket", "k", std::chrono::seconds(8 * 24 * 3600)));
}

}  // namespace
}  // namespace awsdl::s3

namespace awsdl::s3 {
namespace {

// The SendOptions each request went out with.
struct OptionsSpy final : http::Transport {
  std::vector<std::pair<std::string, http::SendOptions>> seen;
  Result<http::Response> send(const http::Request& r, const http::SendOptions& opts) override {
    seen.emplace_back(r.method + " " + r.query, opts);
    http::Response resp;
    resp.status = 200;
    resp.body = "<CompleteMultipartUploadResult><ETag>\"e\"</ETag></CompleteMultipartUploadResult>";
    resp.headers.add("ETag", "\"p\"");
    return resp;
  }
};

TEST(S3ClientWire, AnswersS3TricklesOnPurposeAreExemptFromTheMinimumRate) {
  Harness h;
  auto spy = std::make_shared<OptionsSpy>();
  h.config.transport = spy;
  S3Client s3(h.config);
  MultipartUpload up{.bucket = "b", .key = "k", .upload_id = "u"};
  ASSERT_TRUE(s3.upload_part({.bucket = "b", .key = "k", .upload_id = "u", .part_number = 1, .body = "data"}).ok());
  ASSERT_TRUE(s3.complete_multipart_upload(up, {{.part_number = 1, .etag = "\"p\""}}).ok());
  ASSERT_EQ(spy->seen.size(), 2u);
  EXPECT_FALSE(spy->seen[0].second.min_bytes_per_second.has_value()) << spy->seen[0].first;  // UploadPart: the transport's
  ASSERT_TRUE(spy->seen[1].second.min_bytes_per_second.has_value()) << spy->seen[1].first;
  EXPECT_EQ(*spy->seen[1].second.min_bytes_per_second, 0u);
}

}  // namespace
}  // namespace awsdl::s3
