#pragma once
// Streams a blob's bytes out of its file (pread, so many blobs of one tar read in parallel),
// hashing as it goes; the body sources of the uploads sit on top of it.

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "awsdl/core/result.hpp"
#include "util/crypto.hpp"
#include "registry/image_source.hpp"
#include "util/posix_fd.hpp"

namespace awsdl::internal {

class BlobReader {
 public:
  static Result<BlobReader> open(const BlobLocation& where);
  /// Reads the next bytes of [begin, end) set by range(); 0 at its end. Hashes what it reads.
  Result<std::size_t> read(char* buf, std::size_t len);
  /// Restricts reads to [begin, end) of the blob and seeks to begin. The hash continues.
  void range(std::uint64_t begin, std::uint64_t end) { pos_ = begin; end_ = end; }
  std::uint64_t position() const { return pos_; }
  std::uint64_t size() const { return where_.size; }
  /// "sha256:<hex>" of everything read so far (call once, at the end).
  std::string digest() { return "sha256:" + hash_.finish_hex(); }

 private:
  BlobLocation where_;
  UniqueFd fd_;
  std::uint64_t pos_ = 0, end_ = 0;
  Sha256 hash_;
};

/// Hashes a whole blob; `progress(bytes)` is called now and then; `stop` aborts.
Result<std::string> hash_blob(const BlobLocation& where, const std::function<void(std::uint64_t)>& progress,
                              const std::atomic<bool>& stop);

}  // namespace awsdl::internal
