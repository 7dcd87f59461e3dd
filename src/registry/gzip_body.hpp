#pragma once
// A request body that gzips an uncompressed docker-save layer while it is sent, hashing the
// input (to check the config's diff_id) and the output (the digest the registry stores).
// Deterministic (no name, mtime 0) so that the same layer always compresses to the same blob.
// Compressed by util/gzip_encoder.hpp (isa-l's igzip).

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "awsdl/core/result.hpp"
#include "registry/blob_reader.hpp"
#include "util/gzip_encoder.hpp"

namespace awsdl::internal {

class GzipBody {
 public:
  /// `expected_raw`: digest the uncompressed bytes must have; a mismatch fails the body
  /// before its last byte, so the upload is never completed. `level`: GzipEncoder::make's.
  static Result<std::unique_ptr<GzipBody>> open(const BlobLocation& where, std::string expected_raw, int level,
                                                const std::atomic<bool>& stop);
  GzipBody(const GzipBody&) = delete;
  GzipBody& operator=(const GzipBody&) = delete;

  Result<std::size_t> read(char* buf, std::size_t len);
  bool finished() const { return done_ && pos_ == out_.size(); }
  std::string compressed_digest() { return "sha256:" + out_hash_.finish_hex(); }
  std::uint64_t compressed_size() const { return out_bytes_; }
  std::uint64_t raw_read() const { return reader_.position(); }

 private:
  GzipBody(BlobReader reader, GzipEncoder encoder, const std::atomic<bool>& stop)
      : reader_(std::move(reader)), stop_(stop), encoder_(std::move(encoder)) {}
  Result<void> refill();

  BlobReader reader_;
  const std::atomic<bool>& stop_;
  std::string expected_raw_;
  GzipEncoder encoder_;
  std::string in_;
  std::string_view out_;  // the encoder's last output
  std::size_t pos_ = 0;
  bool done_ = false;
  Sha256 out_hash_;
  std::uint64_t out_bytes_ = 0;
};

}  // namespace awsdl::internal
