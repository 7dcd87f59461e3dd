#include "registry/gzip_body.hpp"

#include <cstring>

namespace awsdl::internal {

Result<std::unique_ptr<GzipBody>> GzipBody::open(const BlobLocation& where, std::string expected_raw, int level,
                                                 const std::atomic<bool>& stop) {
  AWSDL_ASSIGN_OR_RETURN(auto encoder, GzipEncoder::make(level));
  AWSDL_ASSIGN_OR_RETURN(auto reader, BlobReader::open(where));
  std::unique_ptr<GzipBody> b(new GzipBody(std::move(reader), std::move(encoder), stop));
  b->expected_raw_ = std::move(expected_raw);
  b->in_.resize(1 << 20);
  return b;
}

Result<void> GzipBody::refill() {
  pos_ = 0;
  AWSDL_ASSIGN_OR_RETURN(auto n, reader_.read(in_.data(), in_.size()));
  if (n == 0) {
    std::string got = reader_.digest();
    if (got != expected_raw_)
      return Error::make(ErrorKind::kParse, "DigestMismatch",
                         "layer content has digest " + got + " but the image config says " + expected_raw_);
  }
  AWSDL_ASSIGN_OR_RETURN(out_, encoder_.compress(std::string_view(in_.data(), n), n == 0));
  done_ = encoder_.finished();
  return {};
}

Result<std::size_t> GzipBody::read(char* buf, std::size_t len) {
  while (pos_ == out_.size()) {
    if (done_) return std::size_t{0};
    if (stop_.load()) return Error::make(ErrorKind::kCancelled, "Cancelled", "push cancelled");
    AWSDL_TRY(refill());
  }
  std::size_t n = std::min(len, out_.size() - pos_);
  std::memcpy(buf, out_.data() + pos_, n);
  out_hash_.update(buf, n);
  out_bytes_ += n;
  pos_ += n;
  return n;
}

}  // namespace awsdl::internal
