#pragma once
// An owned POSIX file descriptor, closed on destruction, and the errno → Error conversion
// the tar writer and extractor share.

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>

#include "awsdl/core/error.hpp"

namespace awsdl::internal {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(std::exchange(other.fd_, -1));
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

/// A kIo error "<what> '<path>': <strerror(err)>", with `code` as the error code.
inline Error errno_error(int err, std::string_view code, std::string_view what, std::string_view path) {
  std::string msg(what);
  msg += " '";
  msg += path;
  msg += "': ";
  msg += std::strerror(err);
  return Error::make(err == ENOENT ? ErrorKind::kNotFound : ErrorKind::kIo, std::string(code), std::move(msg));
}

}  // namespace awsdl::internal
