#include "registry/gzip_body.hpp"

#include <zlib.h>

#include <cstring>

namespace awsdl::internal {

Result<std::unique_ptr<GzipBody>> GzipBody::open(const BlobLocation& where, std::string expected_raw, int level,
                                                 const std::atomic<bool>& stop) {
  AWSDL_ASSIGN_OR_RETURN(auto reader, BlobReader::open(where));
  std::unique_ptr<GzipBody> b(new GzipBody(std::move(reader), stop));
  b->expected_raw_ = std::move(expected_raw);
  auto* z = new z_stream{};
  // windowBits 15 + 16: a gzip wrapper; zlib writes mtime 0 and no name.
  if (deflateInit2(z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    delete z;
    return Error::make(ErrorKind::kInternal, "ZlibInitFailed", "deflateInit2 failed");
  }
  b->z_ = z;
  b->in_.resize(1 << 20);
  return b;
}

GzipBody::~GzipBody() {
  if (z_) {
    deflateEnd(static_cast<z_stream*>(z_));
    delete static_cast<z_stream*>(z_);
  }
}

Result<void> GzipBody::refill() {
  auto* z = static_cast<z_stream*>(z_);
  out_.clear();
  pos_ = 0;
  AWSDL_ASSIGN_OR_RETURN(auto n, reader_.read(in_.data(), in_.size()));
  int flush = Z_NO_FLUSH;
  if (n == 0) {
    std::string got = reader_.digest();
    if (got != expected_raw_)
      return Error::make(ErrorKind::kParse, "DigestMismatch",
                         "layer content has digest " + got + " but the image config says " + expected_raw_);
    flush = Z_FINISH;
  }
  z->next_in = reinterpret_cast<Bytef*>(in_.data());
  z->avail_in = static_cast<uInt>(n);
  // Compresses all of this input; the loop ends when zlib leaves output space unused.
  std::size_t have = 0;
  out_.resize(deflateBound(z, static_cast<uLong>(n)) + 64);
  while (true) {
    z->next_out = reinterpret_cast<Bytef*>(out_.data() + have);
    z->avail_out = static_cast<uInt>(out_.size() - have);
    int rc = deflate(z, flush);
    if (rc == Z_STREAM_ERROR) return Error::make(ErrorKind::kInternal, "ZlibError", "deflate failed");
    have = out_.size() - z->avail_out;
    if (rc == Z_STREAM_END) {
      done_ = true;
      break;
    }
    if (z->avail_out != 0 && z->avail_in == 0 && flush != Z_FINISH) break;
    if (z->avail_out == 0) out_.resize(out_.size() * 2);
  }
  out_.resize(have);
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
