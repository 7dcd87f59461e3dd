#include "registry/tar_index.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <optional>

#include "util/posix_fd.hpp"

namespace awsdl::internal {
namespace {

Error bad(const std::string& path, const std::string& why) {
  return Error::make(ErrorKind::kParse, "BadImageTarball", "'" + path + "' is not a usable image tarball: " + why);
}

bool read_exact(int fd, char* buf, std::size_t n, std::uint64_t off) {
  while (n > 0) {
    ssize_t got = ::pread(fd, buf, n, static_cast<off_t>(off));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    buf += got;
    n -= static_cast<std::size_t>(got);
    off += static_cast<std::uint64_t>(got);
  }
  return true;
}

std::optional<std::uint64_t> parse_octal(const char* p, std::size_t n) {
  if (static_cast<unsigned char>(p[0]) & 0x80) {  // GNU base-256
    std::uint64_t v = static_cast<unsigned char>(p[0]) & 0x7f;
    for (std::size_t i = 1; i < n; ++i) {
      if (v >> 55) return std::nullopt;
      v = (v << 8) | static_cast<unsigned char>(p[i]);
    }
    return v;
  }
  std::uint64_t v = 0;
  std::size_t i = 0;
  while (i < n && p[i] == ' ') ++i;
  bool any = false;
  for (; i < n && p[i] >= '0' && p[i] <= '7'; ++i) {
    if (v >> 60) return std::nullopt;
    v = v * 8 + static_cast<std::uint64_t>(p[i] - '0');
    any = true;
  }
  if (!any) return std::nullopt;
  return v;
}

std::string field(const char* p, std::size_t n) { return std::string(p, ::strnlen(p, n)); }

std::string clean_name(std::string name) {
  while (name.rfind("./", 0) == 0) name.erase(0, 2);
  return name;
}

// Applies a pax extended header's path and size records.
bool parse_pax(const std::string& data, std::string& path, std::optional<std::uint64_t>& size) {
  std::size_t pos = 0;
  while (pos < data.size()) {
    std::size_t sp = data.find(' ', pos);
    if (sp == std::string::npos) return false;
    std::uint64_t len = 0;
    for (std::size_t i = pos; i < sp; ++i) {
      if (data[i] < '0' || data[i] > '9') return false;
      len = len * 10 + static_cast<std::uint64_t>(data[i] - '0');
      if (len > data.size()) return false;
    }
    if (len == 0 || pos + len > data.size() || data[pos + len - 1] != '\n') return false;
    std::string rec = data.substr(sp + 1, pos + len - 1 - (sp + 1));
    auto eq = rec.find('=');
    if (eq != std::string::npos) {
      std::string k = rec.substr(0, eq), v = rec.substr(eq + 1);
      if (k == "path") path = v;
      if (k == "size") {
        std::uint64_t s = 0;
        for (char c : v) {
          if (c < '0' || c > '9') return false;
          s = s * 10 + static_cast<std::uint64_t>(c - '0');
        }
        size = s;
      }
    }
    pos += len;
  }
  return true;
}

}  // namespace

Result<std::map<std::string, TarMember>> index_tar(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return errno_error(errno, "ImageSourceUnreadable", "cannot open image", path);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return errno_error(errno, "ImageSourceUnreadable", "cannot stat image", path);
  const std::uint64_t file_size = static_cast<std::uint64_t>(st.st_size);

  std::map<std::string, TarMember> members;
  std::uint64_t off = 0;
  std::string long_name;
  std::string pax_path;
  std::optional<std::uint64_t> pax_size;
  char h[512];
  // Each iteration consumes at least one 512-byte block, so this ends.
  while (off + 512 <= file_size) {
    if (!read_exact(fd.get(), h, 512, off)) return bad(path, "read error");
    if (off == 0 && static_cast<unsigned char>(h[0]) == 0x1f && static_cast<unsigned char>(h[1]) == 0x8b)
      return bad(path, "it is gzip-compressed; decompress it first");
    bool zero = true;
    for (char c : h) zero = zero && c == 0;
    if (zero) break;
    unsigned sum = 0;
    for (int i = 0; i < 512; ++i) sum += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>(h[i]);
    auto stored = parse_octal(h + 148, 8);
    if (!stored || *stored != sum) return bad(path, "header checksum mismatch at offset " + std::to_string(off));
    auto size = parse_octal(h + 124, 12);
    if (!size) return bad(path, "bad size field at offset " + std::to_string(off));
    char type = h[156];
    std::uint64_t data_off = off + 512;
    std::uint64_t data_size = pax_size && type != 'x' && type != 'L' ? *pax_size : *size;
    if (data_off + data_size > file_size) return bad(path, "truncated archive");
    std::uint64_t next = data_off + ((data_size + 511) / 512) * 512;
    if (type == 'x' || type == 'L') {
      if (data_size > (1u << 20)) return bad(path, "oversized extended header");
      std::string data(data_size, '\0');
      if (!read_exact(fd.get(), data.data(), data.size(), data_off)) return bad(path, "read error");
      if (type == 'L') {
        long_name = field(data.data(), data.size());
      } else if (!parse_pax(data, pax_path, pax_size)) {
        return bad(path, "malformed pax header");
      }
    } else if (type == 'g') {
      // global pax header: nothing here matters for blobs
    } else {
      std::string name;
      if (!pax_path.empty()) name = pax_path;
      else if (!long_name.empty()) name = long_name;
      else {
        name = field(h, 100);
        std::string prefix = std::memcmp(h + 257, "ustar", 5) == 0 ? field(h + 345, 155) : std::string();
        if (!prefix.empty()) name = prefix + "/" + name;
      }
      if (type == '0' || type == '\0' || type == '7') members[clean_name(name)] = TarMember{data_off, data_size};
      long_name.clear();
      pax_path.clear();
      pax_size.reset();
    }
    off = next;
  }
  if (members.empty()) return bad(path, "no files in it");
  return members;
}

}  // namespace awsdl::internal
