#include "stage/tar_extractor.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "util/crc64nvme.hpp"
#include "util/crypto.hpp"
#include "stage/archive_locale.hpp"
#include "stage/extract_target.hpp"

namespace awsdl::internal {

namespace {

// write() hands chunks to the reader in pieces of at most this size, so a huge chunk neither
// overshoots the bound by much nor waits for the queue to empty completely.
constexpr std::size_t kPieceBytes = std::size_t{1} << 20;
constexpr std::size_t kPoolPieces = 16;

std::optional<timespec> entry_mtime(archive_entry* e) {
  if (!archive_entry_mtime_is_set(e)) return std::nullopt;
  return timespec{archive_entry_mtime(e), archive_entry_mtime_nsec(e)};
}

const char* entry_name(archive_entry* e) {
  const char* p = archive_entry_pathname(e);
  return p ? p : archive_entry_pathname_utf8(e);
}

Status write_all(int fd, const char* data, std::size_t size, std::int64_t offset, std::string_view name) {
  // Each iteration writes at least one byte or fails.
  while (size > 0) {
    const ssize_t n = ::pwrite(fd, data, size, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error(errno, "ExtractFailed", "cannot write", printable_entry_name(name));
    }
    data += n;
    size -= static_cast<std::size_t>(n);
    offset += n;
  }
  return {};
}

}  // namespace

struct TarExtractor::Impl {
  TarExtractorOptions options;
  ExtractTarget target;
  std::thread thread;

  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::string> queue;
  std::vector<std::string> pool;  // consumed pieces, kept for their capacity
  std::size_t queued = 0;
  bool input_done = false;   // finish() was called
  bool abort = false;        // the destructor wants the thread gone
  bool thread_done = false;
  std::optional<Error> thread_error;

  // Reader thread only.
  std::string current;  // the piece libarchive is reading; valid until the next on_read
  bool saw_eof = false;
  std::uint64_t bytes_read = 0;

  // Caller thread only.
  Sha256 sha;
  std::uint64_t bytes_in = 0;
  bool finished = false;
  std::optional<Error> final_error;
  std::string sha_hex;
  std::uint64_t crc64 = 0;
  std::string crc64_hex;

  std::atomic<std::uint64_t> entries{0}, files{0}, file_bytes{0};
  std::atomic<int> compression{static_cast<int>(Compression::kNone)};

  explicit Impl(ExtractTarget t) : target(std::move(t)) {}

  static la_ssize_t on_read(archive* a, void* self, const void** buf) {
    Impl& s = *static_cast<Impl*>(self);
    std::unique_lock lk(s.mu);
    if (!s.current.empty() && s.pool.size() < kPoolPieces) s.pool.push_back(std::move(s.current));
    s.current.clear();
    s.cv.wait(lk, [&] { return !s.queue.empty() || s.input_done || s.abort; });
    if (s.abort) {
      archive_set_error(a, ECANCELED, "extraction cancelled");
      return -1;
    }
    if (s.queue.empty()) {
      s.saw_eof = true;
      return 0;
    }
    s.current = std::move(s.queue.front());
    s.queue.pop_front();
    s.queued -= s.current.size();
    s.bytes_read += s.current.size();
    s.cv.notify_all();
    *buf = s.current.data();
    return static_cast<la_ssize_t>(s.current.size());
  }

  Error archive_failure(archive* a, std::string_view when) {
    const char* msg = archive_error_string(a);
    std::string text(when);
    text += ": ";
    text += msg ? msg : "unknown error";
    {
      std::lock_guard lk(mu);
      if (abort) return Error::make(ErrorKind::kCancelled, "Cancelled", "extraction cancelled");
    }
    if (saw_eof)
      return Error::make(ErrorKind::kParse, "TruncatedArchive", "the archive is truncated (" + text + ")");
    return Error::make(ErrorKind::kParse, "MalformedArchive", "the archive is malformed (" + text + ")");
  }

  // What a file entry may make, from its declared size (the apparent size of a sparse one),
  // before anything of it is created.
  Status check_bounds(std::uint64_t size, const std::string& name) {
    const std::uint64_t files_before = files.load(std::memory_order_relaxed);
    const std::uint64_t bytes_before = file_bytes.load(std::memory_order_relaxed);
    if (options.max_files && files_before + 1 > *options.max_files)
      return Error::make(ErrorKind::kIo, "ManifestMismatch",
                         "refusing archive entry '" + printable_entry_name(name) + "': the manifest declares " +
                             std::to_string(*options.max_files) + " files and this is one more");
    if (options.max_file_bytes && (size > *options.max_file_bytes || bytes_before > *options.max_file_bytes - size))
      return Error::make(ErrorKind::kIo, "ManifestMismatch",
                         "refusing archive entry '" + printable_entry_name(name) + "': its " + std::to_string(size) +
                             " bytes would bring the files to " + std::to_string(bytes_before + size) +
                             " bytes, more than the " + std::to_string(*options.max_file_bytes) +
                             " the manifest declares");
    if (size > 0) {
      if (auto free = target.free_bytes(); free && size > *free)
        return Error::make(ErrorKind::kIo, "NoSpace",
                           "cannot extract '" + printable_entry_name(name) + "': it needs " + std::to_string(size) +
                               " bytes and the target's file system has " + std::to_string(*free) +
                               " free; make room or extract elsewhere");
    }
    return {};
  }

  Status extract_file(archive* a, archive_entry* e, const PathComponents& path, const std::string& name) {
    const std::uint64_t size = static_cast<std::uint64_t>(std::max<la_int64_t>(archive_entry_size(e), 0));
    AWSDL_TRY(check_bounds(size, name));
    AWSDL_ASSIGN_OR_RETURN(UniqueFd fd, target.create_file(path, name));
    // Bounded by the entry's size: every block advances through it.
    for (;;) {
      const void* block = nullptr;
      size_t block_size = 0;
      la_int64_t offset = 0;
      const int r = archive_read_data_block(a, &block, &block_size, &offset);
      if (r == ARCHIVE_EOF) break;
      if (r < ARCHIVE_WARN) return archive_failure(a, "reading the data of '" + printable_entry_name(name) + "'");
      // A sparse map may place data anywhere: never past the size that was checked.
      if (offset < 0 || static_cast<std::uint64_t>(offset) > size || block_size > size - static_cast<std::uint64_t>(offset))
        return Error::make(ErrorKind::kParse, "MalformedArchive",
                           "the archive is malformed: entry '" + printable_entry_name(name) +
                               "' has data beyond its declared size");
      AWSDL_TRY(write_all(fd.get(), static_cast<const char*>(block), block_size, offset, name));
    }
    AWSDL_TRY(target.finish_file(fd.get(), name, size, archive_entry_perm(e), entry_mtime(e)));
    files.fetch_add(1, std::memory_order_relaxed);
    file_bytes.fetch_add(size, std::memory_order_relaxed);
    return {};
  }

  Status extract_entry(archive* a, archive_entry* e) {
    const char* raw = entry_name(e);
    if (!raw) return Error::make(ErrorKind::kParse, "MalformedArchive", "an archive entry has no readable name");
    const std::string name(raw);
    AWSDL_ASSIGN_OR_RETURN(PathComponents path, safe_entry_components(name));

    if (const char* link = archive_entry_hardlink(e)) {
      auto existing = safe_entry_components(link);
      if (!existing)
        return unsafe_entry(name, "it is a hard link to '" + printable_entry_name(link) +
                                      "', which is outside the target directory");
      return target.make_hardlink(path, name, *existing, link);
    }
    switch (archive_entry_filetype(e)) {
      case AE_IFREG: return extract_file(a, e, path, name);
      case AE_IFDIR: return target.make_directory(path, name, archive_entry_perm(e), entry_mtime(e));
      case AE_IFLNK: {
        const char* to = archive_entry_symlink(e);
        if (!to) to = archive_entry_symlink_utf8(e);
        if (!to) return unsafe_entry(name, "it is a symbolic link without a readable target");
        return target.make_symlink(path, name, to, entry_mtime(e));
      }
      case AE_IFCHR: return unsafe_entry(name, "it is a character device");
      case AE_IFBLK: return unsafe_entry(name, "it is a block device");
      case AE_IFIFO: return unsafe_entry(name, "it is a fifo");
      case AE_IFSOCK: return unsafe_entry(name, "it is a socket");
      default: return unsafe_entry(name, "it has an unsupported type");
    }
  }

  Status extract() {
    Utf8LocaleGuard locale;
    std::unique_ptr<archive, int (*)(archive*)> a(archive_read_new(), &archive_read_free);
    if (!a) return Error::make(ErrorKind::kInternal, "ArchiveError", "libarchive: out of memory");
    // Only what a TarWriter can produce: tar formats, gzip and zstd. Fewer decoders, fewer surprises.
    if (archive_read_support_format_tar(a.get()) != ARCHIVE_OK ||
        archive_read_support_filter_gzip(a.get()) != ARCHIVE_OK ||
        archive_read_support_filter_zstd(a.get()) != ARCHIVE_OK)
      return Error::make(ErrorKind::kInternal, "ArchiveError",
                         std::string("libarchive: ") + (archive_error_string(a.get()) ? archive_error_string(a.get()) : "setup failed"));
    if (archive_read_open(a.get(), this, nullptr, &Impl::on_read, nullptr) != ARCHIVE_OK) {
      if (auto cancelled = archive_failure(a.get(), ""); cancelled.kind == ErrorKind::kCancelled) return cancelled;
      if (bytes_read == 0) return Error::make(ErrorKind::kParse, "TruncatedArchive", "the archive is empty");
      const char* msg = archive_error_string(a.get());
      // A compressed archive is decompressed while it is being recognised, so a cut one fails here.
      if (saw_eof && msg && std::string_view(msg).find("runcated") != std::string_view::npos)
        return Error::make(ErrorKind::kParse, "TruncatedArchive",
                           std::string("the archive is truncated (") + msg + ")");
      return Error::make(ErrorKind::kParse, "MalformedArchive",
                         std::string("not a tar archive, nor a gzip- or zstd-compressed one (") +
                             (msg ? msg : "unrecognised") + ")");
    }
    switch (archive_filter_code(a.get(), 0)) {
      case ARCHIVE_FILTER_GZIP: compression = static_cast<int>(Compression::kGzip); break;
      case ARCHIVE_FILTER_ZSTD: compression = static_cast<int>(Compression::kZstd); break;
      default: break;
    }
    // Where the last entry ended in the tar stream (after decompression): a complete archive
    // has its two-block end marker after it. libarchive accepts an archive cut at an entry
    // boundary as complete, so this is checked here.
    la_int64_t last_end = 0;
    std::string last_name;
    // Bounded by the input: every header consumes at least one block of it.
    for (;;) {
      archive_entry* e = nullptr;
      const int r = archive_read_next_header(a.get(), &e);
      if (r == ARCHIVE_EOF) {
        if (archive_filter_bytes(a.get(), 0) - last_end < 1024)
          return Error::make(ErrorKind::kParse, "TruncatedArchive",
                             last_name.empty()
                                 ? std::string("the archive is truncated: it ends without an end-of-archive marker")
                                 : "the archive is truncated: it ends after entry '" +
                                       printable_entry_name(last_name) + "' without an end-of-archive marker");
        return {};
      }
      if (r < ARCHIVE_WARN)
        return archive_failure(a.get(), last_name.empty() ? std::string("reading the first entry")
                                                          : "reading the entry after '" +
                                                                printable_entry_name(last_name) + "'");
      AWSDL_TRY(extract_entry(a.get(), e));
      entries.fetch_add(1, std::memory_order_relaxed);
      // Data an entry type does not use (a hard link's) is skipped, so that the position
      // below is the entry's end.
      if (archive_read_data_skip(a.get()) < ARCHIVE_WARN)
        return archive_failure(a.get(), "skipping the data of '" + printable_entry_name(entry_name(e)) + "'");
      last_end = archive_filter_bytes(a.get(), 0);
      last_name = entry_name(e);
    }
  }

  void run() {
    Status st = extract();
    std::unique_lock lk(mu);
    if (!st) {
      thread_error = std::move(st).error();
    } else {
      // Whatever follows the end marker (a writer's block padding) is read and dropped, so
      // that write() never waits on a reader that stopped reading.
      while (!input_done && !abort) {
        cv.wait(lk, [&] { return !queue.empty() || input_done || abort; });
        while (!queue.empty()) {
          queued -= queue.front().size();
          queue.pop_front();
        }
        cv.notify_all();
      }
    }
    current.clear();
    thread_done = true;
    cv.notify_all();
  }
};

TarExtractor::TarExtractor(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TarExtractor::TarExtractor(TarExtractor&&) noexcept = default;
TarExtractor& TarExtractor::operator=(TarExtractor&& other) noexcept {
  if (this != &other) {
    TarExtractor old(std::move(*this));  // stops our thread, if any
    impl_ = std::move(other.impl_);
  }
  return *this;
}

TarExtractor::~TarExtractor() {
  if (!impl_) return;
  if (impl_->thread.joinable()) {
    {
      std::lock_guard lk(impl_->mu);
      impl_->abort = true;
    }
    impl_->cv.notify_all();
    impl_->thread.join();
  }
}

Result<TarExtractor> TarExtractor::open(const std::filesystem::path& target_dir, TarExtractorOptions options) {
  if (options.max_buffered_bytes < kPieceBytes)
    return Error::invalid_argument("InvalidOption", "max_buffered_bytes must be at least 1 MiB");
  AWSDL_ASSIGN_OR_RETURN(ExtractTarget target, ExtractTarget::open(target_dir));
  auto impl = std::make_unique<Impl>(std::move(target));
  impl->options = options;
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->run(); });
  return TarExtractor(std::move(impl));
}

Status TarExtractor::write(std::string_view chunk) {
  Impl& s = *impl_;
  if (s.finished)
    return Error::make(ErrorKind::kInvalidArgument, "InvalidState", "TarExtractor::write called after finish()");
  {
    std::lock_guard lk(s.mu);
    if (s.thread_error) return *s.thread_error;
  }
  if (s.options.sha256) s.sha.update(chunk);
  if (s.options.crc64) s.crc64 = crc64nvme(chunk, s.crc64);
  s.bytes_in += chunk.size();
  // Each iteration queues one piece or returns.
  while (!chunk.empty()) {
    const std::string_view piece = chunk.substr(0, kPieceBytes);
    std::unique_lock lk(s.mu);
    s.cv.wait(lk, [&] {
      return s.thread_done || s.queued == 0 || s.queued + piece.size() <= s.options.max_buffered_bytes;
    });
    if (s.thread_error) return *s.thread_error;
    if (s.thread_done) return Error::make(ErrorKind::kInternal, "InvalidState", "the extraction thread has stopped");
    std::string buf;
    if (!s.pool.empty()) {
      buf = std::move(s.pool.back());
      s.pool.pop_back();
    }
    buf.assign(piece.data(), piece.size());
    s.queued += buf.size();
    s.queue.push_back(std::move(buf));
    lk.unlock();
    s.cv.notify_all();
    chunk.remove_prefix(piece.size());
  }
  return {};
}

Status TarExtractor::finish() {
  Impl& s = *impl_;
  if (s.finished) {
    if (s.final_error) return *s.final_error;
    return {};
  }
  s.finished = true;
  {
    std::lock_guard lk(s.mu);
    s.input_done = true;
  }
  s.cv.notify_all();
  s.thread.join();
  if (s.options.sha256) s.sha_hex = s.sha.finish_hex();
  if (s.options.crc64) s.crc64_hex = crc64nvme_hex(s.crc64);
  // Directory modes and times are applied even after a failure, to what was extracted.
  Status dirs = s.target.finish();
  if (s.thread_error) {
    s.final_error = *s.thread_error;
  } else if (!dirs) {
    s.final_error = dirs.error();
  }
  if (s.final_error) return *s.final_error;
  return {};
}

ArchiveStats TarExtractor::stats() const {
  const Impl& s = *impl_;
  ArchiveStats out;
  out.entries = s.entries.load();
  out.files = s.files.load();
  out.file_bytes = s.file_bytes.load();
  out.archive_bytes = s.bytes_in;
  out.archive_sha256 = s.sha_hex;
  out.archive_crc64nvme = s.crc64_hex;
  return out;
}

Compression TarExtractor::compression() const { return static_cast<Compression>(impl_->compression.load()); }

}  // namespace awsdl::internal
