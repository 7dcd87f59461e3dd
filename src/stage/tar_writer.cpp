#include "stage/tar_writer.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <string>

#include "util/crypto.hpp"
#include "stage/archive_locale.hpp"
#include "util/posix_fd.hpp"
#include "util/gzip_encoder.hpp"

namespace awsdl::internal {

namespace {

Error archive_error(archive* a, std::string_view what, std::string_view name) {
  const char* msg = archive_error_string(a);
  std::string text(what);
  if (!name.empty()) text += " '" + std::string(name) + "'";
  text += ": ";
  text += msg ? msg : "unknown libarchive error";
  return Error::make(ErrorKind::kInternal, "ArchiveError", std::move(text));
}

}  // namespace

struct TarWriter::Impl {
  enum class State { kNextEntry, kFileData, kDone, kFailed };
  static constexpr std::size_t kDirectReadMin = std::size_t{64} << 10;

  TarWriterOptions options;
  WalkTotals totals;
  FileWalker walker;
  archive* ar = nullptr;
  archive_entry* entry = nullptr;
  State state = State::kNextEntry;
  std::optional<Error> failure;

  // The file whose data is being streamed.
  UniqueFd fd;
  std::string source;
  std::uint64_t remaining = 0;
  std::uint64_t file_size = 0;
  std::vector<char> chunk;  // read_chunk_bytes + 1: the +1 notices a file that grew

  // Where libarchive's output goes: the caller's buffer first, the spill when it is full.
  char* dst = nullptr;
  std::size_t dst_len = 0;
  std::size_t dst_filled = 0;
  std::vector<char> spill;
  std::size_t spill_head = 0;

  Sha256 sha;
  ArchiveStats stats;
  std::uint64_t consumed = 0;
  bool discarding = false;
  std::unique_ptr<GzipEncoder> gzip;  // Compression::kGzip  // being destroyed unfinished: refuse every write

  explicit Impl(FileWalker w) : walker(std::move(w)) {}
  ~Impl() {
    Utf8LocaleGuard locale;
    if (entry) archive_entry_free(entry);
    if (ar) {
      // Unfinished: closing would pad the current entry with zeros (up to its full size).
      // archive_write_fail() avoids that, but then free() leaks what open2() allocated
      // (libarchive 3.6). So close with every write refused: the padding stops at its first
      // write, and close still releases the filters.
      if (state != State::kDone) {
        discarding = true;
        archive_write_close(ar);
      }
      archive_write_free(ar);
    }
  }

  static la_ssize_t on_write(archive*, void* self, const void* data, size_t n) {
    auto* impl = static_cast<Impl*>(self);
    if (impl->discarding) return -1;
    if (impl->gzip) {
      auto out = impl->gzip->compress(std::string_view(static_cast<const char*>(data), n), false);
      if (!out) {
        archive_set_error(impl->ar, EIO, "%s", out.error().message.c_str());
        return -1;
      }
      impl->accept(out->data(), out->size());
      return static_cast<la_ssize_t>(n);
    }
    impl->accept(static_cast<const char*>(data), n);
    return static_cast<la_ssize_t>(n);
  }

  void accept(const char* data, std::size_t n) {
    if (options.sha256) sha.update(data, n);
    stats.archive_bytes += n;
    if (dst && data == dst + dst_filled && n <= dst_len - dst_filled) {
      // File data read straight into the caller's buffer (see stream_data): already in place.
      dst_filled += n;
      return;
    }
    const std::size_t direct = dst ? std::min(n, dst_len - dst_filled) : 0;
    if (direct) {
      std::memcpy(dst + dst_filled, data, direct);
      dst_filled += direct;
    }
    if (direct < n) {
      if (spill_head == spill.size()) {
        spill.clear();
        spill_head = 0;
      }
      spill.insert(spill.end(), data + direct, data + n);
    }
  }

  void drain_spill() {
    const std::size_t n = std::min(spill.size() - spill_head, dst_len - dst_filled);
    if (n == 0) return;  // an empty spill's data() may be null, which memcpy must not see
    std::memcpy(dst + dst_filled, spill.data() + spill_head, n);
    dst_filled += n;
    spill_head += n;
  }

  Status setup() {
    ar = archive_write_new();
    entry = archive_entry_new();
    if (!ar || !entry) return Error::make(ErrorKind::kInternal, "ArchiveError", "libarchive: out of memory");
    // Full pax (not "restricted"): also records sub-second mtimes; extended headers are still
    // written only for the entries that need one.
    if (archive_write_set_format_pax(ar) != ARCHIVE_OK) return archive_error(ar, "cannot select pax format", "");
    switch (options.compression) {
      case Compression::kNone: break;
      case Compression::kGzip: {
        // Not libarchive's zlib filter: igzip (util/gzip_encoder.hpp) compresses what
        // libarchive writes, several times faster, with a reproducible header (mtime 0).
        AWSDL_ASSIGN_OR_RETURN(auto encoder, GzipEncoder::make(options.compression_level == 0 ? 1 : options.compression_level));
        gzip = std::make_unique<GzipEncoder>(std::move(encoder));
        break;
      }
      case Compression::kZstd:
        if (archive_write_add_filter_zstd(ar) != ARCHIVE_OK) return archive_error(ar, "cannot enable zstd", "");
        break;
    }
    if (options.compression == Compression::kZstd && options.compression_level != 0) {
      const std::string level = std::to_string(options.compression_level);
      if (archive_write_set_filter_option(ar, "zstd", "compression-level", level.c_str()) != ARCHIVE_OK)
        return Error::invalid_argument("InvalidCompressionLevel", "compression level " + level + " is not valid for zstd");
    }
    // No blocking: every byte libarchive produces goes straight to on_write, so nothing waits
    // in a 10 KiB block and the archive ends right after its end-of-archive marker.
    if (archive_write_set_bytes_per_block(ar, 0) != ARCHIVE_OK) return archive_error(ar, "cannot set blocking", "");
    if (archive_write_open2(ar, this, nullptr, &Impl::on_write, nullptr, nullptr) != ARCHIVE_OK)
      return archive_error(ar, "cannot start the archive", "");
    chunk.resize(options.read_chunk_bytes + 1);
    return {};
  }

  Status write_header(const WalkEntry& e, std::uint64_t size, mode_t mode, std::int64_t mtime_sec, long mtime_nsec) {
    archive_entry_clear(entry);
    // Set as bytes of the current locale (C.UTF-8 under the guard): the *_utf8 setters crash
    // libarchive 3.6 when no UTF-8 locale exists; this degrades to hdrcharset=BINARY instead.
    archive_entry_set_pathname(entry, e.name.c_str());
    switch (e.type) {
      case WalkEntryType::kFile: archive_entry_set_filetype(entry, AE_IFREG); break;
      case WalkEntryType::kDirectory: archive_entry_set_filetype(entry, AE_IFDIR); break;
      case WalkEntryType::kSymlink:
        archive_entry_set_filetype(entry, AE_IFLNK);
        archive_entry_set_symlink(entry, e.link_target.c_str());
        break;
    }
    archive_entry_set_perm(entry, mode & 07777);
    archive_entry_set_size(entry, static_cast<la_int64_t>(size));
    archive_entry_set_mtime(entry, static_cast<time_t>(mtime_sec), mtime_nsec);
    archive_entry_set_uid(entry, 0);
    archive_entry_set_gid(entry, 0);
    // ARCHIVE_WARN means a name was not valid UTF-8 and went in as hdrcharset=BINARY: still exact.
    if (archive_write_header(ar, entry) < ARCHIVE_WARN) return archive_error(ar, "cannot write the header of", e.name);
    ++stats.entries;
    return {};
  }

  Status start_entry() {
    WalkEntry e;
    AWSDL_ASSIGN_OR_RETURN(bool more, walker.next(e));
    if (!more) {
      if (archive_write_close(ar) != ARCHIVE_OK) return archive_error(ar, "cannot finish the archive", "");
      if (gzip) {
        AWSDL_ASSIGN_OR_RETURN(auto tail, gzip->compress({}, true));
        accept(tail.data(), tail.size());
      }
      if (options.sha256) stats.archive_sha256 = sha.finish_hex();
      state = State::kDone;
      if (options.on_progress) options.on_progress(consumed, totals.file_bytes);
      return {};
    }
    if (e.type != WalkEntryType::kFile) return write_header(e, 0, e.mode, e.mtime_sec, e.mtime_nsec);

    // O_NOFOLLOW: a file swapped for a symlink since the walk must not be followed.
    UniqueFd f(::open(e.source.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY));
    if (!f.valid()) return errno_error(errno, "UnreadableFile", "cannot open", e.source);
    struct stat st;
    if (::fstat(f.get(), &st) != 0) return errno_error(errno, "UnreadableFile", "cannot stat", e.source);
    if (!S_ISREG(st.st_mode))
      return Error::make(ErrorKind::kIo, "UnreadableFile",
                         "'" + e.source + "' is no longer a regular file (it changed while the archive was written)");
    const auto size = static_cast<std::uint64_t>(st.st_size);
    AWSDL_TRY(write_header(e, size, st.st_mode, st.st_mtim.tv_sec, st.st_mtim.tv_nsec));
    ++stats.files;
    if (size == 0) return {};
    ::posix_fadvise(f.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
    fd = std::move(f);
    source = std::move(e.source);
    remaining = size;
    file_size = size;
    state = State::kFileData;
    return {};
  }

  Error changed(std::string_view how) {
    return Error::make(ErrorKind::kIo, "FileChangedWhileReading",
                       "'" + source + "' " + std::string(how) + " while it was being archived (its header says " +
                           std::to_string(file_size) + " bytes)");
  }

  Status stream_data() {
    // Asking for one byte more than remains tells a file that grew from one that did not.
    std::size_t ask = remaining >= options.read_chunk_bytes ? options.read_chunk_bytes
                                                            : static_cast<std::size_t>(remaining) + 1;
    // Uncompressed, libarchive hands file data to on_write untouched (no blocking), so it can
    // be read straight into the caller's buffer where it will end up, saving a copy of every
    // byte; the chunk is only for a caller's buffer with little room left, or a compressor.
    char* target = chunk.data();
    const std::size_t room = dst ? dst_len - dst_filled : 0;
    if (options.compression == Compression::kNone && spill_head == spill.size() &&
        room >= std::min<std::size_t>(ask, kDirectReadMin)) {
      ask = std::min(ask, room);
      target = dst + dst_filled;
    }
    ssize_t n;
    do {
      n = ::read(fd.get(), target, ask);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return errno_error(errno, "UnreadableFile", "cannot read", source);
    if (n == 0) return changed("shrank");
    if (static_cast<std::uint64_t>(n) > remaining) return changed("grew");
    const la_ssize_t w = archive_write_data(ar, target, static_cast<size_t>(n));
    if (w != n) return archive_error(ar, "cannot write the data of", source);
    remaining -= static_cast<std::uint64_t>(n);
    consumed += static_cast<std::uint64_t>(n);
    stats.file_bytes += static_cast<std::uint64_t>(n);
    if (remaining == 0 && ask <= static_cast<std::size_t>(n)) {
      // The last read asked for exactly what remained, so it could not see growth: look once more.
      char probe;
      do {
        n = ::read(fd.get(), &probe, 1);
      } while (n < 0 && errno == EINTR);
      if (n < 0) return errno_error(errno, "UnreadableFile", "cannot read", source);
      if (n > 0) return changed("grew");
    }
    if (options.on_progress) options.on_progress(consumed, totals.file_bytes);
    if (remaining == 0) {
      fd.reset();
      state = State::kNextEntry;
    }
    return {};
  }

  Status pump() {
    switch (state) {
      case State::kNextEntry: return start_entry();
      case State::kFileData: return stream_data();
      case State::kDone:
      case State::kFailed: break;
    }
    return {};
  }
};

TarWriter::TarWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TarWriter::TarWriter(TarWriter&&) noexcept = default;
TarWriter& TarWriter::operator=(TarWriter&&) noexcept = default;
TarWriter::~TarWriter() = default;

Result<TarWriter> TarWriter::open(std::vector<std::filesystem::path> inputs, TarWriterOptions options) {
  if (inputs.empty()) return Error::invalid_argument("InvalidInput", "nothing to archive: no input paths");
  if (options.read_chunk_bytes < (std::size_t{64} << 10))
    return Error::invalid_argument("InvalidOption", "read_chunk_bytes must be at least 64 KiB");
  if (options.compression_level < 0 ||
      options.compression_level > (options.compression == Compression::kZstd ? 22 : 9))
    return Error::invalid_argument("InvalidCompressionLevel",
                                   "compression level " + std::to_string(options.compression_level) +
                                       " is out of range for " + std::string(to_string(options.compression)));
  AWSDL_ASSIGN_OR_RETURN(WalkTotals totals, measure_inputs(inputs));
  AWSDL_ASSIGN_OR_RETURN(FileWalker walker, FileWalker::open(inputs));
  auto impl = std::make_unique<Impl>(std::move(walker));
  impl->options = std::move(options);
  impl->totals = totals;
  Utf8LocaleGuard locale;
  AWSDL_TRY(impl->setup());
  return TarWriter(std::move(impl));
}

Result<std::size_t> TarWriter::read(char* buf, std::size_t len) {
  Impl& s = *impl_;
  if (s.state == Impl::State::kFailed) return *s.failure;
  if (!buf || len == 0) return Error::invalid_argument("InvalidArgument", "TarWriter::read needs a non-empty buffer");
  Utf8LocaleGuard locale;
  s.dst = buf;
  s.dst_len = len;
  s.dst_filled = 0;
  s.drain_spill();
  // Each pump() moves the archive forward by one header or one chunk of file data, and the
  // walk is finite, so this ends.
  while (s.dst_filled < len && s.state != Impl::State::kDone) {
    if (auto st = s.pump(); !st) {
      s.state = Impl::State::kFailed;
      s.failure = std::move(st).error();
      s.fd.reset();
      s.dst = nullptr;
      return *s.failure;
    }
  }
  s.dst = nullptr;
  return s.dst_filled;
}

bool TarWriter::finished() const {
  return impl_->state == Impl::State::kDone && impl_->spill_head == impl_->spill.size();
}

const WalkTotals& TarWriter::totals() const { return impl_->totals; }

ArchiveStats TarWriter::stats() const { return impl_->stats; }

Compression TarWriter::compression() const { return impl_->options.compression; }

}  // namespace awsdl::internal
