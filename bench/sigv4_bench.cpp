// SigV4 signing costs: a header signature of a typical EC2 query request with a warm
// signing-key cache, a presigned S3 URL, S3 streaming chunk signatures (payload hashing
// included) and the key derivation the cache saves. bench/compare_sigv4.py runs this and
// botocore in the same run.

#include <benchmark/benchmark.h>

#include <chrono>
#include <string>
#include <vector>

#include "auth/signing_key_cache.hpp"
#include "awsdl/auth/sigv4.hpp"

namespace {

using namespace awsdl;

auth::Credentials credentials() {
  auth::Credentials c;
  c.access_key_id = "AKIDEXAMPLE";
  c.secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
  return c;
}

const WallTime kTime = WallTime(std::chrono::seconds(1700000000));

// What the EC2 client sends: a form-encoded POST to the regional endpoint.
http::Request ec2_request() {
  http::Request r;
  r.method = "POST";
  r.host = "ec2.us-east-1.amazonaws.com";
  r.path = "/";
  r.headers.add("Content-Type", "application/x-www-form-urlencoded; charset=utf-8");
  r.body = "Action=DescribeInstances&Version=2016-11-15&Filter.1.Name=instance-state-name&Filter.1.Value.1=running";
  return r;
}

// The signing-key cache a Config gives its clients (Config::signing_keys).
auth::SigningKeyCache* key_cache() {
  static const auto cache = auth::make_signing_key_cache();
  return cache.get();
}

auth::SigningParams ec2_params() {
  auth::SigningParams p;
  p.key_cache = key_cache();
  p.region = "us-east-1";
  p.service = "ec2";
  p.time = kTime;
  return p;
}

// Each iteration signs a freshly built request, as every API call does. The requests are
// copied from a template in batches, outside the timed region.
void BM_HeaderSignatureEc2(benchmark::State& state) {
  const auto creds = credentials();
  const auto p = ec2_params();
  const http::Request tmpl = ec2_request();
  {
    http::Request warm = tmpl;  // warms the signing-key cache
    if (!auth::sign_request(warm, creds, p).ok()) state.SkipWithError("signing failed");
  }
  constexpr std::size_t kBatch = 1024;
  std::vector<http::Request> batch;
  std::size_t next = kBatch;
  for (auto _ : state) {
    if (next == kBatch) {
      state.PauseTiming();
      batch.assign(kBatch, tmpl);
      next = 0;
      state.ResumeTiming();
    }
    auto res = auth::sign_request(batch[next++], creds, p);
    benchmark::DoNotOptimize(res);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HeaderSignatureEc2);

// The same request signed again and again, as a retry does: the signer first removes the
// previous Authorization and X-Amz-Date headers.
void BM_HeaderResignatureEc2(benchmark::State& state) {
  const auto creds = credentials();
  const auto p = ec2_params();
  http::Request r = ec2_request();
  if (!auth::sign_request(r, creds, p).ok()) state.SkipWithError("signing failed");
  for (auto _ : state) {
    auto res = auth::sign_request(r, creds, p);
    benchmark::DoNotOptimize(res);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HeaderResignatureEc2);

void BM_PresignS3Get(benchmark::State& state) {
  const auto creds = credentials();
  auth::SigningParams p;
  p.region = "us-east-1";
  p.service = "s3";
  p.time = kTime;
  p.double_uri_encode = false;
  p.normalize_path = false;
  p.key_cache = key_cache();
  http::Request r;
  r.method = "GET";
  r.host = "examplebucket.s3.us-east-1.amazonaws.com";
  r.path = "/datasets/coco/train2017.tar";
  if (!auth::presign(r, creds, p, std::chrono::hours(1)).ok()) state.SkipWithError("presign failed");
  for (auto _ : state) {
    r.query.clear();
    auto url = auth::presign(r, creds, p, std::chrono::hours(1));
    benchmark::DoNotOptimize(url);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PresignS3Get);

auth::SigningParams s3_params() {
  auth::SigningParams p;
  p.region = "us-east-1";
  p.service = "s3";
  p.time = kTime;
  p.double_uri_encode = false;
  p.normalize_path = false;
  return p;
}

// One 64 KiB chunk per iteration: SHA-256 of the chunk, then the chained HMAC.
void BM_ChunkSignature64KiB(benchmark::State& state) {
  const std::string chunk(64 * 1024, 'a');
  auth::ChunkSigner signer(credentials(), s3_params(), std::string(64, '0'));
  for (auto _ : state) {
    auto sig = signer.sign_chunk(chunk);
    benchmark::DoNotOptimize(sig);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(chunk.size()));
}
BENCHMARK(BM_ChunkSignature64KiB);

// The same, producing the framed bytes that go on the wire (one copy of the chunk more).
void BM_ChunkFrame64KiB(benchmark::State& state) {
  const std::string chunk(64 * 1024, 'a');
  auth::ChunkSigner signer(credentials(), s3_params(), std::string(64, '0'));
  for (auto _ : state) {
    auto frame = signer.frame_chunk(chunk);
    benchmark::DoNotOptimize(frame);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(chunk.size()));
}
BENCHMARK(BM_ChunkFrame64KiB);

// What a cache miss costs on top of a signature.
void BM_DeriveSigningKey(benchmark::State& state) {
  for (auto _ : state) {
    auto key = internal::derive_signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20231114", "us-east-1", "ec2");
    benchmark::DoNotOptimize(key);
  }
}
BENCHMARK(BM_DeriveSigningKey);

}  // namespace

BENCHMARK_MAIN();
