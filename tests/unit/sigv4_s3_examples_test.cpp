// The worked examples of the Amazon S3 API reference (tests/data/s3-sigv4-examples.json):
// a streaming (aws-chunked) PUT with its seed and chunk signatures, and a presigned GET.
// Signatures are compared without printing them.

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <chrono>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "awsdl/auth/sigv4.hpp"

namespace awsdl::auth {
namespace {

rapidjson::Document load_examples() {
  std::ifstream in(std::string(AWSDL_TEST_DATA_DIR) + "/s3-sigv4-examples.json", std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  rapidjson::Document doc;
  doc.Parse(ss.str().c_str());
  EXPECT_FALSE(doc.HasParseError());
  EXPECT_TRUE(doc.IsObject());
  return doc;
}

WallTime parse_timestamp(const std::string& iso) {  // "2013-05-24T00:00:00Z"
  using namespace std::chrono;
  const sys_days date{year{std::stoi(iso.substr(0, 4))} / month{static_cast<unsigned>(std::stoi(iso.substr(5, 2)))} /
                      day{static_cast<unsigned>(std::stoi(iso.substr(8, 2)))}};
  return WallTime(date) + hours(std::stoi(iso.substr(11, 2))) + minutes(std::stoi(iso.substr(14, 2))) +
         seconds(std::stoi(iso.substr(17, 2)));
}

Credentials credentials(const rapidjson::Document& doc) {
  Credentials c;
  c.access_key_id = doc["credentials"]["access_key_id"].GetString();
  c.secret_access_key = doc["credentials"]["secret_access_key"].GetString();
  return c;
}

// S3: the path is signed as sent, neither normalised nor encoded again.
SigningParams s3_params(const rapidjson::Document& doc) {
  SigningParams p;
  p.region = doc["region"].GetString();
  p.service = doc["service"].GetString();
  p.time = parse_timestamp(doc["timestamp"].GetString());
  p.double_uri_encode = false;
  p.normalize_path = false;
  return p;
}

// Every example in the file has a test here; a new one must get one too.
TEST(S3Examples, EveryExampleIsCovered) {
  const auto doc = load_examples();
  const std::set<std::string> known = {"_about", "credentials", "region", "service", "timestamp", "streaming_put",
                                       "presigned_get"};
  for (auto it = doc.MemberBegin(); it != doc.MemberEnd(); ++it)
    EXPECT_TRUE(known.count(it->name.GetString())) << "untested example: " << it->name.GetString();
}

TEST(S3Examples, StreamingPutSeedAndChunkSignatures) {
  const auto doc = load_examples();
  const auto& ex = doc["streaming_put"];
  http::Request request;
  request.method = ex["method"].GetString();
  request.host = ex["host"].GetString();
  request.path = ex["path"].GetString();
  for (auto it = ex["headers"].MemberBegin(); it != ex["headers"].MemberEnd(); ++it)
    request.headers.add(it->name.GetString(), it->value.GetString());

  SigningParams params = s3_params(doc);
  params.payload_hash = std::string(kStreamingPayload);
  params.add_content_sha256_header = true;
  auto seed = sign_request(request, credentials(doc), params);
  ASSERT_TRUE(seed.ok()) << seed.error().to_string();
  EXPECT_EQ(seed->signed_headers,
            "content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;"
            "x-amz-storage-class");
  EXPECT_EQ(request.headers.get("x-amz-content-sha256").value_or(""), kStreamingPayload);
  EXPECT_EQ(request.headers.get("x-amz-date").value_or(""), "20130524T000000Z");
  EXPECT_TRUE(seed->signature == ex["seed_signature"].GetString()) << "seed signature differs (not printed)";

  // 66560 bytes of 'a' in chunks of 65536, 1024 and the final empty chunk.
  const auto& sizes = ex["chunk_sizes"];
  const auto& want = ex["chunk_signatures"];
  ASSERT_EQ(sizes.Size(), want.Size());
  std::uint64_t payload = 0;
  for (const auto& s : sizes.GetArray()) payload += s.GetUint64();
  EXPECT_EQ(std::to_string(payload), request.headers.get("x-amz-decoded-content-length").value_or(""));

  ChunkSigner signer(credentials(doc), params, seed->signature);
  ChunkSigner framer(credentials(doc), params, seed->signature);
  std::uint64_t framed_total = 0;
  for (rapidjson::SizeType i = 0; i < sizes.Size(); ++i) {
    const std::string chunk(sizes[i].GetUint64(), 'a');
    const std::string sig = signer.sign_chunk(chunk);
    EXPECT_TRUE(sig == want[i].GetString()) << "chunk " << i << " signature differs (not printed)";
    const std::string frame = framer.frame_chunk(chunk);
    std::ostringstream header;
    header << std::hex << chunk.size() << ";chunk-signature=" << want[i].GetString() << "\r\n";
    EXPECT_TRUE(frame == header.str() + chunk + "\r\n") << "chunk " << i << " frame differs";
    framed_total += frame.size();
  }
  // The Content-Length of the encoded body, as the example's header says.
  EXPECT_EQ(std::to_string(framed_total), request.headers.get("content-length").value_or(""));
  EXPECT_EQ(ChunkSigner::encoded_length(payload, 65536), framed_total);
}

TEST(S3Examples, PresignedGet) {
  const auto doc = load_examples();
  const auto& ex = doc["presigned_get"];
  const std::string url = ex["url"].GetString();
  const std::size_t host_start = url.find("://") + 3;
  const std::size_t path_start = url.find('/', host_start);
  http::Request request;
  request.method = ex["method"].GetString();
  request.scheme = url.substr(0, host_start - 3);
  request.host = url.substr(host_start, path_start - host_start);
  request.path = url.substr(path_start);

  SigningResult details;
  auto signed_url = presign(request, credentials(doc), s3_params(doc),
                            std::chrono::seconds(ex["expires_seconds"].GetInt64()), &details);
  ASSERT_TRUE(signed_url.ok()) << signed_url.error().to_string();
  EXPECT_EQ(details.canonical_request,
            "GET\n/test.txt\n"
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2F"
            "aws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host\n"
            "host:examplebucket.s3.amazonaws.com\n\nhost\nUNSIGNED-PAYLOAD");
  EXPECT_EQ(sha256_hex(details.canonical_request), ex["canonical_request_sha256"].GetString());
  EXPECT_TRUE(details.signature == ex["signature"].GetString()) << "signature differs (not printed)";
  const std::string prefix =
      url + "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2F"
            "aws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=";
  EXPECT_TRUE(signed_url.value() == prefix + ex["signature"].GetString()) << "presigned URL differs (not printed)";
}

}  // namespace
}  // namespace awsdl::auth
