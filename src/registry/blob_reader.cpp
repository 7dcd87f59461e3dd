#include "registry/blob_reader.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <vector>

namespace awsdl::internal {

Result<BlobReader> BlobReader::open(const BlobLocation& where) {
  BlobReader r;
  r.where_ = where;
  r.fd_.reset(::open(where.file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!r.fd_.valid()) return errno_error(errno, "ImageSourceUnreadable", "cannot open", where.file);
  r.end_ = where.size;
#ifdef POSIX_FADV_SEQUENTIAL
  ::posix_fadvise(r.fd_.get(), static_cast<off_t>(where.offset), static_cast<off_t>(where.size), POSIX_FADV_SEQUENTIAL);
#endif
  return r;
}

Result<std::size_t> BlobReader::read(char* buf, std::size_t len) {
  if (pos_ >= end_) return std::size_t{0};
  len = static_cast<std::size_t>(std::min<std::uint64_t>(len, end_ - pos_));
  while (true) {
    ssize_t got = ::pread(fd_.get(), buf, len, static_cast<off_t>(where_.offset + pos_));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return errno_error(errno, "ImageSourceUnreadable", "cannot read", where_.file);
    if (got == 0)
      return Error::make(ErrorKind::kIo, "ImageSourceTruncated", "'" + where_.file + "' ended inside a blob");
    hash_.update(buf, static_cast<std::size_t>(got));
    pos_ += static_cast<std::uint64_t>(got);
    return static_cast<std::size_t>(got);
  }
}

Result<std::string> hash_blob(const BlobLocation& where, const std::function<void(std::uint64_t)>& progress,
                              const std::atomic<bool>& stop) {
  AWSDL_ASSIGN_OR_RETURN(auto reader, BlobReader::open(where));
  std::vector<char> buf(1 << 20);
  std::uint64_t done = 0, reported = 0;
  while (true) {
    if (stop.load()) return Error::make(ErrorKind::kCancelled, "Cancelled", "push cancelled");
    AWSDL_ASSIGN_OR_RETURN(auto n, reader.read(buf.data(), buf.size()));
    if (n == 0) break;
    done += n;
    if (progress && done - reported >= (16u << 20)) {
      progress(done);
      reported = done;
    }
  }
  return reader.digest();
}

}  // namespace awsdl::internal
