#pragma once
// What the transfer sources share: an owned file descriptor, errno errors, ETag
// comparison, and the upload entry point the file, stream and directory uploads use.

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "awsdl/core/retry.hpp"
#include "awsdl/s3/transfer.hpp"
#include "s3/s3_internal.hpp"

namespace awsdl::internal::s3 {

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

/// kIo "<what> <path>: <strerror(errno)>".
inline Error io_error(const std::string& what, const std::string& path, int err = errno) {
  return Error::make(ErrorKind::kIo, "IoError", what + " " + path + ": " + std::strerror(err));
}

/// ETags compared without their quotes.
inline bool same_etag(std::string_view a, std::string_view b) {
  auto strip = [](std::string_view s) {
    while (!s.empty() && s.front() == '"') s.remove_prefix(1);
    while (!s.empty() && s.back() == '"') s.remove_suffix(1);
    return s;
  };
  return strip(a) == strip(b);
}

}  // namespace awsdl::internal::s3

namespace awsdl::s3::detail {

/// The upload behind upload_file / upload_stream: `known_size` for files.
Result<UploadResult> upload(const S3Client& client, const TransferOptions& options, const http::BodySource& source,
                            const UploadRequest& request, std::optional<std::uint64_t> known_size);

/// Another call for a part or a range that still failed after the client's own retries:
/// at once (the client has backed off already), up to options.part_attempts calls in all,
/// while the failure is retryable and `stopping` (cancellation, another part's failure)
/// says no. The toolkit's retry, on the client's runtime.
inline RetryPolicy part_retry_policy(const TransferOptions& options, std::string what,
                                     std::function<bool()> stopping) {
  RetryPolicy p;
  p.max_attempts = std::max(1, options.part_attempts);
  p.backoff = Backoff{Millis(0), 1.0, Millis(0), false};
  p.retryable = [stopping = std::move(stopping)](const Error& e) { return e.retryable && !stopping(); };
  p.what = std::move(what);
  return p;
}

}  // namespace awsdl::s3::detail
