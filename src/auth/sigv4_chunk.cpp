// S3 streaming uploads (aws-chunked, STREAMING-AWS4-HMAC-SHA256-PAYLOAD): each chunk's
// signature chains from the previous one, starting at the request's seed signature.

#include <string>

#include "auth/signing_key_cache.hpp"
#include "auth/sigv4_canonical.hpp"
#include "awsdl/auth/sigv4.hpp"
#include "util/crypto.hpp"

namespace awsdl::auth {

namespace {
constexpr std::string_view kChunkAlgorithm = "AWS4-HMAC-SHA256-PAYLOAD";
constexpr std::string_view kChunkSignatureField = ";chunk-signature=";

std::size_t hex_length(std::uint64_t n) {
  std::size_t len = 1;
  while (n >= 16) {
    n >>= 4;
    ++len;
  }
  return len;
}

void append_hex_size(std::string& out, std::uint64_t n) {
  char buf[16];
  const std::size_t len = hex_length(n);
  for (std::size_t i = len; i-- > 0;) {
    buf[i] = "0123456789abcdef"[n & 0xf];
    n >>= 4;
  }
  out.append(buf, len);
}

std::uint64_t framed_size(std::uint64_t data) {
  return hex_length(data) + kChunkSignatureField.size() + 64 + 2 + data + 2;
}
}  // namespace

struct ChunkSigner::Impl {
  internal::HmacSha256 key;
  std::string string_to_sign;  // "<algorithm>\n<date>\n<scope>\n" then the per-chunk part
  std::size_t prefix_size = 0;
  std::string previous;  // the last signature, hex
};

ChunkSigner::ChunkSigner(const Credentials& credentials, const SigningParams& params, std::string seed_signature)
    : impl_(std::make_unique<Impl>()) {
  char date[16];
  internal::sigv4::format_amz_date(params.time, date);
  impl_->key = internal::signing_key(params.key_cache, credentials.secret_access_key, std::string_view(date, 8),
                                     params.region, params.service);
  auto& sts = impl_->string_to_sign;
  sts.reserve(kChunkAlgorithm.size() + 16 + 64 + params.region.size() + params.service.size() + 3 * 64 + 8);
  sts.append(kChunkAlgorithm);
  sts.push_back('\n');
  sts.append(date, 16);
  sts.push_back('\n');
  internal::sigv4::append_scope(sts, std::string_view(date, 8), params.region, params.service);
  sts.push_back('\n');
  impl_->prefix_size = sts.size();
  impl_->previous = std::move(seed_signature);
}

ChunkSigner::~ChunkSigner() = default;
ChunkSigner::ChunkSigner(ChunkSigner&&) noexcept = default;
ChunkSigner& ChunkSigner::operator=(ChunkSigner&&) noexcept = default;

std::string ChunkSigner::sign_chunk(std::string_view data) {
  if (impl_ == nullptr) return {};  // moved from
  auto& sts = impl_->string_to_sign;
  sts.resize(impl_->prefix_size);
  sts.append(impl_->previous);
  sts.push_back('\n');
  sts.append(internal::kEmptySha256Hex);
  sts.push_back('\n');
  if (data.empty()) {
    sts.append(internal::kEmptySha256Hex);
  } else {
    const auto digest = internal::sha256(data);
    const std::size_t at = sts.size();
    sts.resize(at + 64);
    internal::hex_encode_to(digest.data(), digest.size(), sts.data() + at);
  }
  const auto mac = impl_->key.mac(sts);
  impl_->previous.resize(64);
  internal::hex_encode_to(mac.data(), mac.size(), impl_->previous.data());
  return impl_->previous;
}

std::string ChunkSigner::frame_chunk(std::string_view data) {
  const std::string signature = sign_chunk(data);
  std::string out;
  out.reserve(framed_size(data.size()));
  append_hex_size(out, data.size());
  out.append(kChunkSignatureField);
  out.append(signature);
  out.append("\r\n");
  out.append(data);
  out.append("\r\n");
  return out;
}

std::uint64_t ChunkSigner::encoded_length(std::uint64_t payload, std::uint64_t chunk) {
  // chunk == 0: no size limit, the payload goes in one chunk.
  if (chunk == 0) chunk = payload == 0 ? 1 : payload;
  const std::uint64_t full = payload / chunk;
  const std::uint64_t rest = payload % chunk;
  std::uint64_t total = full * framed_size(chunk);
  if (rest != 0) total += framed_size(rest);
  return total + framed_size(0);
}

}  // namespace awsdl::auth
