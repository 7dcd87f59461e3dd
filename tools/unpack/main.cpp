// awsdl-unpack: the remote half of Stager::unstage_on(). The library copies this program (a
// static executable: no library of the node's is needed) to a cluster node over SSH and runs
// it there, so that a staged archive goes from S3 straight onto the node's file system without
// passing through the machine that asked for it.
//
//   awsdl-unpack --size BYTES [--part-size BYTES] [--concurrency N] [--if-match ETAG]
//                [--manifest MANIFEST] DIR
//   awsdl-unpack --clean DIR
//   awsdl-unpack --version
//
// It downloads the archive with parallel ranged GETs of one presigned URL, each range fetched
// by a curl(1) process (curl is on every AMI; a static program has no TLS stack of its own),
// and feeds the ranges in order to the same safe streaming extractor `unstage` uses. A range
// that fails is fetched again from where it stopped (three more attempts at most).
//
// As `unstage` does, it extracts into a staging directory inside DIR and moves the entries
// into place only once the archive is complete and, with --manifest (the serialised manifest
// the controller read), matches it; the manifest's counts also bound what the archive may
// make. A failure or a signal removes the staging directory: DIR stays as it was. SIGKILL
// cannot be caught: `--clean DIR` (which the controller runs after it had to kill the
// program) removes the staging directories no running awsdl-unpack holds, and prints
// "cleaned N".
//
// The presigned URL is the first line of standard input: never on a command line, where `ps`
// would show it. It reaches curl the same way, through curl's configuration on its stdin.
// Standard output carries lines for the controller:
//   progress BYTES                       (archive bytes extracted so far, a few times a second)
//   done entries=N files=N file_bytes=N archive_bytes=N crc64nvme=HEX sha256=[HEX] compression=NAME
//   error KIND CODE MESSAGE              (KIND: the awsdl::ErrorKind's number)
// Exit status: 0 done, 1 failed, 2 usage. SIGTERM, SIGINT or SIGHUP stop it, and its curl
// processes with it.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <archive.h>
#include <openssl/crypto.h>

// AWSDL_BUILD_VERSION, AWSDL_BUILD_COMMIT (cmake/AwsdlBuildInfo.cmake).
#include "awsdl_build_info.hpp"
#include "stage/staging_area.hpp"
#include "stage/tar_extractor.hpp"

extern char** environ;

namespace {

using awsdl::Error;
using awsdl::ErrorKind;

constexpr int kMaxAttempts = 4;
constexpr std::size_t kMaxUrlBytes = 16 * 1024;
constexpr std::size_t kMaxCurlMessage = 2048;

volatile sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

// Each line is written whole and flushed; a failed write means the controller is gone.
bool emit(const std::string& line) {
  if (std::fwrite(line.data(), 1, line.size(), stdout) != line.size() || std::fputc('\n', stdout) == EOF ||
      std::fflush(stdout) != 0) {
    g_stop = 1;
    return false;
  }
  return true;
}

std::string one_line(std::string text) {
  for (char& c : text)
    if (c == '\n' || c == '\r') c = ' ';
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

int fail(const Error& e) {
  emit("error " + std::to_string(static_cast<int>(e.kind)) + " " + (e.code.empty() ? "Failed" : e.code) + " " +
       one_line(e.message));
  return 1;
}

int usage(const std::string& why) {
  std::fprintf(stderr,
               "awsdl-unpack: %s\nusage: awsdl-unpack --size BYTES [--part-size BYTES] [--concurrency N] "
               "[--if-match ETAG] [--manifest MANIFEST] DIR  (the presigned URL on stdin)\n",
               why.c_str());
  return 2;
}

std::optional<std::uint64_t> parse_u64(const std::string& s) {
  if (s.empty() || s.size() > 19) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return v;
}

// Can go inside a double-quoted curl config string (with quote() for an ETag's quotes).
bool config_safe(const std::string& s) {
  return std::none_of(s.begin(), s.end(), [](char c) { return c == '\\' || static_cast<unsigned char>(c) < 0x20; });
}

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '\\';
    out += c;
  }
  return out + "\"";
}

// One range of the archive: [begin, end). `delivered` bytes of it are already extracted;
// `pending` holds bytes received but not yet extracted (the range is not at the head yet).
struct Range {
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
  std::uint64_t delivered = 0;
  std::string pending;
  int attempts = 0;
  bool complete = false;
  // The running attempt.
  pid_t pid = -1;
  int out = -1;
  int err = -1;
  std::uint64_t received = 0;  // this attempt's bytes
  std::uint64_t expected = 0;  // this attempt's length
  std::string curl_message;

  std::uint64_t size() const { return end - begin; }
};

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

void stop_attempt(Range& r) {
  close_fd(r.out);
  close_fd(r.err);
  if (r.pid > 0) {
    ::kill(r.pid, SIGTERM);
    int status = 0;
    while (::waitpid(r.pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  r.pid = -1;
}

struct Job {
  std::string url;
  std::string etag;
  std::uint64_t size = 0;
  std::uint64_t part_size = 16ull << 20;
  int concurrency = 8;
  std::optional<awsdl::internal::Manifest> manifest;
};

// Starts curl for what is left of `r`.
std::optional<Error> start_attempt(const Job& job, Range& r) {
  ++r.attempts;
  r.received = 0;
  r.curl_message.clear();
  const std::uint64_t from = r.begin + r.delivered;
  r.expected = r.end - from;

  std::string config = "url = " + quote(job.url) + "\n";
  config += "range = " + std::to_string(from) + "-" + std::to_string(r.end - 1) + "\n";
  if (!job.etag.empty()) config += "header = " + quote("If-Match: " + job.etag) + "\n";
  config += "connect-timeout = 30\nspeed-limit = 1\nspeed-time = 60\n";

  int pipes[3][2];  // curl's stdin, stdout, stderr
  for (int i = 0; i < 3; ++i) {
    if (::pipe2(pipes[i], O_CLOEXEC) != 0) {
      const int e = errno;
      for (int j = 0; j < i; ++j) ::close(pipes[j][0]), ::close(pipes[j][1]);
      return Error::make(ErrorKind::kIo, "PipeFailed", std::strerror(e));
    }
  }
  auto& in_pipe = pipes[0];
  auto& out_pipe = pipes[1];
  auto& err_pipe = pipes[2];
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_pipe[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  const char* argv[] = {"curl", "-q", "--silent", "--show-error", "--fail", "--config", "-", nullptr};
  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, "curl", &actions, nullptr, const_cast<char* const*>(argv), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(in_pipe[0]);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (rc != 0) {
    ::close(in_pipe[1]);
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    if (rc == ENOENT)
      return Error::make(ErrorKind::kNotFound, "CurlNotFound", "curl is not installed on this host (it is needed to download from S3)");
    return Error::make(ErrorKind::kIo, "SpawnFailed", std::string("cannot start curl: ") + std::strerror(rc));
  }
  r.pid = pid;
  r.out = out_pipe[0];
  r.err = err_pipe[0];
  // The config is far smaller than a pipe's buffer: this write does not wait for curl.
  const char* p = config.data();
  std::size_t left = config.size();
  while (left > 0) {
    const ssize_t n = ::write(in_pipe[1], p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // curl died at once; its exit status tells why
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  ::close(in_pipe[1]);
  return std::nullopt;
}

class Unpacker {
 public:
  Unpacker(Job job, awsdl::internal::StagingArea& area, awsdl::internal::TarExtractor extractor)
      : job_(std::move(job)), area_(area), extractor_(std::move(extractor)) {
    for (std::uint64_t b = 0; b < job_.size; b += job_.part_size)
      ranges_.push_back(Range{b, std::min(job_.size, b + job_.part_size)});
  }

  ~Unpacker() {
    for (Range& r : ranges_)
      if (r.pid > 0) stop_attempt(r);
  }

  int run() {
    while (head_ < ranges_.size()) {
      if (g_stop) return fail(Error::make(ErrorKind::kCancelled, "Cancelled", "stopped by a signal"));
      while (next_ < ranges_.size() && next_ - head_ < static_cast<std::size_t>(job_.concurrency)) {
        if (auto e = start_attempt(job_, ranges_[next_])) return fail(*e);
        ++next_;
      }
      Range& head = ranges_[head_];
      if (!head.pending.empty()) {
        if (auto s = deliver(head, head.pending); !s) return fail(s.error());
        head.pending.clear();
        head.pending.shrink_to_fit();
      }
      if (head.complete) {
        ++head_;
        continue;
      }
      if (auto s = pump(); !s) return fail(s.error());
      report(false);
    }
    if (auto s = extractor_.finish(); !s) return fail(s.error());
    report(true);
    const auto stats = extractor_.stats();
    if (job_.manifest) {
      if (auto s = awsdl::internal::verify_manifest(*job_.manifest, stats, extractor_.compression()); !s)
        return fail(s.error());
    }
    if (g_stop) return fail(Error::make(ErrorKind::kCancelled, "Cancelled", "stopped by a signal"));
    if (auto s = area_.commit(); !s) return fail(s.error());
    emit("done entries=" + std::to_string(stats.entries) + " files=" + std::to_string(stats.files) +
         " file_bytes=" + std::to_string(stats.file_bytes) + " archive_bytes=" + std::to_string(stats.archive_bytes) +
         " crc64nvme=" + stats.archive_crc64nvme + " sha256=" + stats.archive_sha256 + " compression=" +
         std::string(awsdl::internal::to_string(extractor_.compression())));
    return 0;
  }

 private:
  awsdl::Status deliver(Range& r, std::string_view bytes) {
    if (auto s = extractor_.write(bytes); !s) return s;
    r.delivered += bytes.size();
    extracted_ += bytes.size();
    return {};
  }

  // Waits for output from the running curls and takes what arrived.
  awsdl::Status pump() {
    std::vector<pollfd> fds;
    std::vector<std::size_t> owner;
    for (std::size_t i = head_; i < next_; ++i) {
      Range& r = ranges_[i];
      if (r.out >= 0) fds.push_back({r.out, POLLIN, 0}), owner.push_back(i);
      if (r.err >= 0) fds.push_back({r.err, POLLIN, 0}), owner.push_back(i);
    }
    if (fds.empty()) return {};
    const int n = ::poll(fds.data(), fds.size(), 250);
    if (n < 0 && errno != EINTR) return Error::make(ErrorKind::kIo, "PollFailed", std::strerror(errno));
    for (std::size_t k = 0; n > 0 && k < fds.size(); ++k) {
      if (fds[k].revents == 0) continue;
      Range& r = ranges_[owner[k]];
      const bool is_out = fds[k].fd == r.out;
      if (!is_out && fds[k].fd != r.err) continue;  // closed earlier in this round
      const ssize_t got = ::read(fds[k].fd, buffer_.data(), buffer_.size());
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        close_fd(is_out ? r.out : r.err);
      } else if (is_out) {
        const std::string_view chunk(buffer_.data(), static_cast<std::size_t>(got));
        r.received += chunk.size();
        if (r.received > r.expected) {  // more than asked for: a server that ignored the range
          r.curl_message = "the server sent more bytes than the range asked for";
          close_fd(r.out);
          close_fd(r.err);
          ::kill(r.pid, SIGTERM);
        } else if (owner[k] == head_ && r.pending.empty()) {
          if (auto s = deliver(r, chunk); !s) return s;
        } else {
          if (r.pending.capacity() == 0) r.pending.reserve(r.expected);  // one allocation per range
          r.pending.append(chunk);
        }
      } else if (r.curl_message.size() < kMaxCurlMessage) {
        r.curl_message.append(buffer_.data(), std::min<std::size_t>(static_cast<std::size_t>(got), kMaxCurlMessage));
      }
      // A new attempt may reuse the descriptor numbers polled above: poll again first.
      if (r.out < 0 && r.err < 0) return attempt_ended(owner[k]);
    }
    return {};
  }

  awsdl::Status attempt_ended(std::size_t index) {
    Range& r = ranges_[index];
    int status = 0;
    while (::waitpid(r.pid, &status, 0) < 0 && errno == EINTR) {
    }
    r.pid = -1;
    const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (ok && r.received == r.expected) {
      r.complete = true;
      return {};
    }
    std::string why = one_line(r.curl_message);
    if (why.empty()) {
      if (ok) why = "the range ended after " + std::to_string(r.received) + " of " + std::to_string(r.expected) + " bytes";
      else if (WIFEXITED(status)) why = "curl exited with status " + std::to_string(WEXITSTATUS(status));
      else why = "curl was killed by signal " + std::to_string(WTERMSIG(status));
    }
    // An HTTP 4xx will not change on a retry: the URL expired, the object changed or went.
    if (const auto at = why.find("returned error: "); at != std::string::npos) {
      const int http = std::atoi(why.c_str() + at + 16);
      if (http == 412)
        return Error::make(ErrorKind::kIo, "ArchiveChanged", "the archive was replaced while it was being unstaged");
      if (http == 403)
        return Error::make(ErrorKind::kService, "AccessDenied",
                           "S3 refused the presigned URL (" + why + "): it expired, or its signer may not read the object");
      if (http >= 400 && http < 500 && http != 408 && http != 429)
        return Error::make(ErrorKind::kService, http == 404 ? "NoSuchKey" : "HttpError", "S3 answered: " + why);
    }
    // Bytes of the failed attempt that were not extracted yet are fetched again.
    r.pending.clear();
    if (r.attempts >= kMaxAttempts || g_stop)
      return Error::make(ErrorKind::kNetwork, "RangeFailed",
                         "bytes " + std::to_string(r.begin) + "-" + std::to_string(r.end - 1) + " failed " +
                             std::to_string(r.attempts) + " times; last: " + why);
    if (auto e = start_attempt(job_, r)) return *e;
    return {};
  }

  void report(bool final) {
    const auto now = std::chrono::steady_clock::now();
    if (!final && now - last_report_ < std::chrono::milliseconds(250)) return;
    last_report_ = now;
    emit("progress " + std::to_string(extracted_));
  }

  Job job_;
  awsdl::internal::StagingArea& area_;
  awsdl::internal::TarExtractor extractor_;
  std::vector<Range> ranges_;
  std::size_t head_ = 0;  // the range being extracted
  std::size_t next_ = 0;  // the next range to start
  std::uint64_t extracted_ = 0;
  std::vector<char> buffer_ = std::vector<char>(std::size_t{1} << 20);
  std::chrono::steady_clock::time_point last_report_{};
};

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::string(argv[1]) == "--version") {
    // What is linked into this static program; the curl it runs is the node's own.
    std::printf("awsdl-unpack %s (commit %s)\n%s\nOpenSSL %s\n", AWSDL_BUILD_VERSION, AWSDL_BUILD_COMMIT,
                archive_version_string(), OpenSSL_version(OPENSSL_VERSION_STRING));
    return std::fflush(stdout) == 0 ? 0 : 1;
  }
  Job job;
  std::optional<std::uint64_t> size;
  std::string dir;
  bool clean = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::optional<std::string> {
      if (i + 1 >= argc) return std::nullopt;
      return std::string(argv[++i]);
    };
    if (a == "--size" || a == "--part-size" || a == "--concurrency") {
      auto v = value();
      auto n = v ? parse_u64(*v) : std::nullopt;
      if (!n) return usage(a + " needs a whole number");
      if (a == "--size") size = *n;
      else if (a == "--part-size") job.part_size = *n;
      else job.concurrency = static_cast<int>(std::min<std::uint64_t>(*n, 1000));
    } else if (a == "--clean") {
      clean = true;
    } else if (a == "--manifest") {
      auto v = value();
      auto m = v ? awsdl::internal::parse_manifest(*v) : awsdl::Result<awsdl::internal::Manifest>(
                                                              Error::invalid_argument("MalformedManifest", "missing"));
      if (!m) return usage("--manifest needs a manifest (" + m.error().message + ")");
      job.manifest = *m;
    } else if (a == "--if-match") {
      auto v = value();
      if (!v || !config_safe(*v)) return usage("--if-match needs an ETag");
      job.etag = *v;
    } else if (a == "--") {
      if (i + 2 != argc) return usage("one target directory");
      dir = argv[++i];
    } else if (!a.empty() && a[0] == '-') {
      return usage("unknown option " + a);
    } else {
      if (!dir.empty()) return usage("one target directory");
      dir = a;
    }
  }
  if (clean) {
    if (dir.empty() || size) return usage("--clean takes a target directory and nothing else");
    ::signal(SIGPIPE, SIG_IGN);
    auto removed = awsdl::internal::remove_stale_staging(dir, std::chrono::seconds(3));
    if (!removed) return fail(removed.error());
    emit("cleaned " + std::to_string(*removed));
    return 0;
  }
  if (!size || dir.empty()) return usage("--size and a target directory are needed");
  if (job.part_size < 64 * 1024) return usage("--part-size must be at least 64 KiB");
  if (job.concurrency < 1 || job.concurrency > 256) return usage("--concurrency must be from 1 to 256");
  job.size = *size;

  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  for (int s : {SIGTERM, SIGINT, SIGHUP}) ::sigaction(s, &sa, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  if (!std::getline(std::cin, job.url) || job.url.size() > kMaxUrlBytes ||
      !(job.url.rfind("https://", 0) == 0 || job.url.rfind("http://", 0) == 0) || !config_safe(job.url) ||
      job.url.find('"') != std::string::npos)
    return fail(Error::invalid_argument("BadUrl", "standard input did not start with a presigned http(s) URL"));

  // Declared first, so that it outlives the extractor: on every way out that did not commit,
  // its destructor removes what was extracted.
  auto area = awsdl::internal::StagingArea::create(dir);
  if (!area) return fail(area.error());
  awsdl::internal::TarExtractorOptions options;
  if (job.manifest) {
    options.max_files = job.manifest->file_count;
    options.max_file_bytes = job.manifest->file_bytes;
    options.sha256 = !job.manifest->archive_sha256.empty();
  }
  auto extractor = awsdl::internal::TarExtractor::open(area->path(), options);
  if (!extractor) return fail(extractor.error());
  Unpacker unpacker(std::move(job), *area, std::move(extractor).value());
  return unpacker.run();
}
