#include "awsdl/core/text_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace awsdl {
namespace {

std::string size_text(std::size_t bytes) {
  if (bytes >= (std::size_t{1} << 20) && bytes % (std::size_t{1} << 20) == 0)
    return std::to_string(bytes >> 20) + " MiB";
  if (bytes >= 1024 && bytes % 1024 == 0) return std::to_string(bytes >> 10) + " KiB";
  return std::to_string(bytes) + " bytes";
}

Error too_large(const std::string& path, std::size_t max_bytes) {
  return Error::invalid_argument("FileTooLarge", path + " is larger than " + size_text(max_bytes) +
                                                     ", far more than a configuration or host list needs: "
                                                     "check that it is the file you meant");
}

const char* what_it_is(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

bool is_dev_null(const struct stat& st) {
  struct stat null {};
  return S_ISCHR(st.st_mode) && ::stat("/dev/null", &null) == 0 && S_ISCHR(null.st_mode) && null.st_rdev == st.st_rdev;
}

struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

Result<std::string> read_config_file(const std::string& path, std::size_t max_bytes) {
  auto io_error = [&](int err) { return Error::make(ErrorKind::kIo, "FileUnreadable", path + ": " + std::strerror(err)); };
  // What it is, before opening: opening some devices blocks, and nothing but a regular file,
  // a pipe or /dev/null is opened at all.
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    int err = errno;
    if (err == ENOENT || err == ENOTDIR) return Error::make(ErrorKind::kNotFound, "FileNotFound", path + ": no such file");
    return io_error(err);
  }
  if (is_dev_null(st)) return std::string();
  if (S_ISDIR(st.st_mode))
    return Error::invalid_argument("NotARegularFile", path + " is a directory, not a file: name a file in it");
  if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode))
    return Error::invalid_argument("NotARegularFile", path + " is " + what_it_is(st.st_mode) +
                                                          ", not a file: name a regular file");
  if (S_ISREG(st.st_mode) && static_cast<unsigned long long>(st.st_size) > max_bytes) return too_large(path, max_bytes);

  // A pipe is opened blocking, as any reader would: its writer may not have opened it yet.
  Fd file{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY)};
  if (file.fd < 0) return io_error(errno);
  struct stat opened {};
  if (::fstat(file.fd, &opened) != 0) return io_error(errno);
  if ((opened.st_mode & S_IFMT) != (st.st_mode & S_IFMT))
    return Error::make(ErrorKind::kIo, "FileUnreadable", path + " changed while it was being opened");

  // Up to one byte over the cap: a file that grew, or a pipe, is caught all the same.
  std::string out;
  out.reserve(S_ISREG(st.st_mode) ? static_cast<std::size_t>(st.st_size) : 4096);
  char buf[65536];
  for (;;) {
    ssize_t got = ::read(file.fd, buf, sizeof buf);
    if (got < 0) {
      if (errno == EINTR) continue;
      return Error::make(ErrorKind::kIo, "FileUnreadable", path + ": " + std::strerror(errno));
    }
    if (got == 0) break;
    if (out.size() + static_cast<std::size_t>(got) > max_bytes) return too_large(path, max_bytes);
    out.append(buf, static_cast<std::size_t>(got));
  }
  return out;
}

}  // namespace awsdl
