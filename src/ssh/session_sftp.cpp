// SFTP upload and download over the session's connection.
#include <fcntl.h>
#include <libssh/sftp.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <utility>

#include "ssh/session_impl.hpp"

namespace awsdl::ssh {

namespace {

constexpr std::size_t kChunk = 32768;

struct Sftp {
  sftp_session sftp = nullptr;
  Sftp() = default;
  Sftp(Sftp&& o) noexcept : sftp(std::exchange(o.sftp, nullptr)) {}
  Sftp& operator=(Sftp&&) = delete;
  Sftp(const Sftp&) = delete;
  ~Sftp() {
    if (sftp) sftp_free(sftp);
  }
};

Error sftp_error(sftp_session sftp, ssh_session s, const std::string& what) {
  int code = sftp ? sftp_get_error(sftp) : -1;
  switch (code) {
    case SSH_FX_NO_SUCH_FILE:
    case SSH_FX_NO_SUCH_PATH:
      return Error::make(ErrorKind::kNotFound, "RemoteFileNotFound", what + ": no such file");
    case SSH_FX_PERMISSION_DENIED:
      return Error::make(ErrorKind::kIo, "RemotePermissionDenied", what + ": permission denied");
    case SSH_FX_FAILURE:
      return Error::make(ErrorKind::kIo, "RemoteFailure", what + ": failed on the remote side (a directory? disk full?)");
    default:
      return internal::libssh_error(s, ErrorKind::kNetwork, "SftpFailed", what);
  }
}

Result<Sftp> open_sftp(internal::SessionCore& core) {
  if (core.dead || !core.s) return Error::make(ErrorKind::kNetwork, "SessionClosed", "the session is closed");
  Sftp out;
  out.sftp = sftp_new(core.s);
  if (!out.sftp) return internal::libssh_error(core.s, ErrorKind::kNetwork, "SftpFailed", "cannot open an SFTP channel");
  if (sftp_init(out.sftp) != SSH_OK)
    return internal::libssh_error(core.s, ErrorKind::kNetwork, "SftpFailed",
                                  "the SFTP subsystem did not start on " + internal::describe(core.target));
  return out;
}

template <typename Source>
Status write_remote(internal::SessionCore& core, const std::string& remote, int mode, Source&& next_chunk) {
  AWSDL_ASSIGN_OR_RETURN(Sftp sftp, open_sftp(core));
  sftp_file f = sftp_open(sftp.sftp, remote.c_str(), O_WRONLY | O_CREAT | O_TRUNC, static_cast<mode_t>(mode));
  if (!f) return sftp_error(sftp.sftp, core.s, "cannot create " + remote + " on " + internal::describe(core.target));
  std::string chunk;
  for (;;) {
    AWSDL_ASSIGN_OR_RETURN(bool more, next_chunk(chunk));
    if (!chunk.empty()) {
      const char* p = chunk.data();
      std::size_t left = chunk.size();
      while (left > 0) {
        ssize_t w = sftp_write(f, p, left);
        if (w <= 0) {
          Error e = sftp_error(sftp.sftp, core.s, "writing " + remote);
          sftp_close(f);
          return e;
        }
        p += w;
        left -= static_cast<std::size_t>(w);
      }
    }
    if (!more) break;
  }
  if (sftp_close(f) != SSH_OK) return sftp_error(sftp.sftp, core.s, "closing " + remote);
  // The umask may have narrowed the mode at creation; set exactly what was asked.
  sftp_chmod(sftp.sftp, remote.c_str(), static_cast<mode_t>(mode));
  return {};
}

template <typename Sink>
Status read_remote(internal::SessionCore& core, const std::string& remote, Sink&& sink) {
  AWSDL_ASSIGN_OR_RETURN(Sftp sftp, open_sftp(core));
  sftp_file f = sftp_open(sftp.sftp, remote.c_str(), O_RDONLY, 0);
  if (!f) return sftp_error(sftp.sftp, core.s, "cannot open " + remote + " on " + internal::describe(core.target));
  std::string buf(kChunk, '\0');
  for (;;) {
    ssize_t n = sftp_read(f, buf.data(), buf.size());
    if (n < 0) {
      Error e = sftp_error(sftp.sftp, core.s, "reading " + remote);
      sftp_close(f);
      return e;
    }
    if (n == 0) break;
    if (auto st = sink(std::string_view(buf.data(), static_cast<std::size_t>(n))); !st) {
      sftp_close(f);
      return st;
    }
  }
  sftp_close(f);
  return {};
}

}  // namespace

Status Session::upload(const std::string& local_path, const std::string& remote_path, int mode) {
  std::ifstream in(local_path, std::ios::binary);
  if (!in) return Error::make(ErrorKind::kIo, "LocalFileUnreadable", "cannot read " + local_path);
  return write_remote(*impl_->core, remote_path, mode, [&](std::string& chunk) -> Result<bool> {
    chunk.resize(kChunk);
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    chunk.resize(static_cast<std::size_t>(in.gcount()));
    if (in.bad()) return Error::make(ErrorKind::kIo, "LocalReadFailed", "error reading " + local_path);
    return !in.eof();
  });
}

Status Session::write_file(const std::string& remote_path, std::string_view content, int mode) {
  std::size_t pos = 0;
  return write_remote(*impl_->core, remote_path, mode, [&](std::string& chunk) -> Result<bool> {
    chunk.assign(content.substr(pos, kChunk));
    pos += chunk.size();
    return pos < content.size();
  });
}

Status Session::download(const std::string& remote_path, const std::string& local_path) {
  std::string tmp = local_path + ".awsdl-partial";
  std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
  if (!out) return Error::make(ErrorKind::kIo, "LocalFileUnwritable", "cannot write " + tmp);
  Status st = read_remote(*impl_->core, remote_path, [&](std::string_view data) -> Status {
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
    if (!out) return Error::make(ErrorKind::kIo, "LocalWriteFailed", "error writing " + tmp);
    return {};
  });
  out.close();
  if (st && !out) st = Error::make(ErrorKind::kIo, "LocalWriteFailed", "error writing " + tmp);
  if (!st) {
    std::remove(tmp.c_str());
    return st;
  }
  if (std::rename(tmp.c_str(), local_path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return Error::make(ErrorKind::kIo, "LocalRenameFailed", "cannot move the download into " + local_path);
  }
  return {};
}

Result<std::string> Session::read_file(const std::string& remote_path, std::size_t max_bytes) {
  std::string data;
  AWSDL_TRY(read_remote(*impl_->core, remote_path, [&](std::string_view chunk) -> Status {
    if (data.size() + chunk.size() > max_bytes)
      return Error::make(ErrorKind::kInvalidArgument, "RemoteFileTooLarge",
                         remote_path + " is larger than " + std::to_string(max_bytes) + " bytes");
    data.append(chunk);
    return {};
  }));
  return data;
}

}  // namespace awsdl::ssh
