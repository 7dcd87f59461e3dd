// What each byte of a stage costs in the client's own code, per pass over a 16 MiB part held
// in memory (the stage's part size): the floor under `awsdl-cluster stage`'s CPU per GB.
//   BM_Crc64Nvme       the part's CRC64NVME (Google crcutil), every stage, HTTP or HTTPS
//   BM_Sha256          the part's SHA-256 (OpenSSL), signed payloads over plain HTTP only
//   BM_DigestBodyHttp  both in the one pass UploadPart makes over HTTP (digest_body)
//   BM_Aes256Gcm       AES-256-GCM encryption (OpenSSL EVP), what TLS 1.3 costs per byte sent
//                      with the cipher suite the sandbox and S3 negotiate (TLS_AES_256_GCM_SHA384)
//   BM_Aes128Gcm       the same with AES-128-GCM, for comparison
//   BM_Memcpy          a copy of the part, the peer every pass above is measured against
// The kernel's share (reading the files from the page cache, sending over TCP) is not here:
// `perf record` of a stage shows it (see the README's stage section).
// Bytes/s is of part bytes. Run: build/bench/checksum_bench [--benchmark_repetitions=3]

#include <benchmark/benchmark.h>
#include <openssl/evp.h>

#include <cstring>
#include <memory>
#include <random>
#include <string>

#include "s3/s3_internal.hpp"
#include "util/crc64nvme.hpp"
#include "util/crypto.hpp"

namespace {

using namespace awsdl::internal;

constexpr std::size_t kPart = std::size_t{16} << 20;

const std::string& part() {
  static const std::string data = [] {
    std::string d(kPart, '\0');
    std::mt19937_64 rng(2017);
    for (std::size_t i = 0; i + 8 <= d.size(); i += 8) {
      const std::uint64_t v = rng();
      std::memcpy(d.data() + i, &v, 8);
    }
    return d;
  }();
  return data;
}

void BM_Crc64Nvme(benchmark::State& state) {
  const std::string& d = part();
  for (auto _ : state) benchmark::DoNotOptimize(crc64nvme(d));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * d.size()));
}
BENCHMARK(BM_Crc64Nvme)->Unit(benchmark::kMillisecond);

void BM_Sha256(benchmark::State& state) {
  const std::string& d = part();
  for (auto _ : state) benchmark::DoNotOptimize(sha256(d));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * d.size()));
}
BENCHMARK(BM_Sha256)->Unit(benchmark::kMillisecond);

void BM_DigestBodyHttp(benchmark::State& state) {
  const std::string& d = part();
  for (auto _ : state) benchmark::DoNotOptimize(s3::digest_body(awsdl::s3::ChecksumAlgorithm::kCrc64Nvme, true, d));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * d.size()));
}
BENCHMARK(BM_DigestBodyHttp)->Unit(benchmark::kMillisecond);

void aes_gcm(benchmark::State& state, const EVP_CIPHER* cipher) {
  const std::string& d = part();
  std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  const unsigned char key[32] = {1, 2, 3}, iv[12] = {4, 5, 6};
  std::string out(16384 + 32, '\0');
  EVP_EncryptInit_ex(ctx.get(), cipher, nullptr, key, iv);  // the key schedule once, as a TLS session
  for (auto _ : state) {
    // TLS records of 16 KiB, each with its own nonce and tag, as TLS 1.3 sends them.
    for (std::size_t at = 0; at < d.size(); at += 16384) {
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, nullptr, iv);
      int n = 0;
      EVP_EncryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &n,
                        reinterpret_cast<const unsigned char*>(d.data() + at), 16384);
      EVP_EncryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(out.data()) + n, &n);
      unsigned char tag[16];
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, 16, tag);
      benchmark::DoNotOptimize(tag);
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * d.size()));
}
void BM_Aes256Gcm(benchmark::State& state) { aes_gcm(state, EVP_aes_256_gcm()); }
void BM_Aes128Gcm(benchmark::State& state) { aes_gcm(state, EVP_aes_128_gcm()); }
BENCHMARK(BM_Aes256Gcm)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Aes128Gcm)->Unit(benchmark::kMillisecond);

void BM_Memcpy(benchmark::State& state) {
  const std::string& d = part();
  std::string copy(d.size(), '\0');
  for (auto _ : state) {
    std::memcpy(copy.data(), d.data(), d.size());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * d.size()));
}
BENCHMARK(BM_Memcpy)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
