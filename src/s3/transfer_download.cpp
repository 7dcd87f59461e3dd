// Parallel ranged downloads: to a file (each range written in place with pwrite, into a
// temporary file renamed at the end) or to an in-order sink (a pool of `concurrency` range
// buffers, delivered from the caller's thread). Every range GET carries
// If-Match with the ETag seen first, so an object replaced mid-download is an error, not a
// silent mix of two versions.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "awsdl/s3/transfer.hpp"
#include "s3/transfer_internal.hpp"

namespace awsdl::s3 {
namespace {

using internal::s3::Fd;
using internal::s3::io_error;

struct Plan {
  ObjectInfo head;
  std::uint64_t range_size = 0;
  int ranges = 0;

  std::uint64_t first(int range) const { return static_cast<std::uint64_t>(range) * range_size; }
  std::uint64_t length(int range) const { return std::min(range_size, head.content_length - first(range)); }
  /// What a download returns before its checksum is looked at.
  DownloadResult result() const {
    DownloadResult out;
    out.size = head.content_length;
    out.etag = head.etag;
    out.ranges = ranges;
    return out;
  }
};

Result<Plan> plan(const S3Client& client, const TransferOptions& options, const std::string& bucket,
                  const std::string& key) {
  CallOptions call;
  call.cancel = options.cancel;
  call.deadline = options.deadline;
  HeadObjectRequest h;
  h.bucket = bucket;
  h.key = key;
  Plan p;
  AWSDL_ASSIGN_OR_RETURN(p.head, client.head_object(h, call));
  std::uint64_t size = p.head.content_length;
  p.range_size = std::max<std::uint64_t>(options.part_size, kMiB);
  p.ranges = size <= options.multipart_threshold ? 1 : static_cast<int>((size + p.range_size - 1) / p.range_size);
  if (p.ranges <= 1) p.range_size = size;
  return p;
}

Error changed_error(const std::string& bucket, const std::string& key, Error e) {
  if (e.code == "PreconditionFailed")
    e.message = "s3://" + bucket + "/" + key + " changed during the download (its ETag no longer matches): " + e.message;
  return e;
}

// One range into `write(offset_in_range, bytes)`, with per-range attempts on top of the
// client's retries; `restart()` forgets what a failed attempt delivered.
Status fetch_range(const S3Client& client, const TransferOptions& options, const std::string& bucket,
                   const std::string& key, const std::string& etag, std::uint64_t first, std::uint64_t length,
                   bool whole, const std::function<Status(std::uint64_t, std::string_view)>& write,
                   const std::function<void()>& restart) {
  GetObjectRequest g;
  g.bucket = bucket;
  g.key = key;
  if (!whole) g.range = ByteRange{first, first + length - 1};
  g.if_match = etag;
  g.verify_checksum = false;
  CallOptions call;
  call.cancel = options.cancel;
  call.deadline = options.deadline;
  auto got = std::make_shared<std::uint64_t>(0);
  ObjectSink sink;
  sink.write = [&, got](std::string_view chunk) -> Result<void> {
    // A server that ignores Range sends more than asked: never write past the range.
    if (*got + chunk.size() > length)
      return Error::make(ErrorKind::kParse, "RangeIgnored",
                         "GetObject s3://" + bucket + "/" + key + ": the server sent more than the " +
                             std::to_string(length) + " bytes asked for");
    AWSDL_TRY(write(*got, chunk));
    *got += chunk.size();
    return {};
  };
  sink.rewind = [&, got] {
    *got = 0;
    restart();
    return true;
  };
  const std::string what = "GetObject s3://" + bucket + "/" + key + " range at " + std::to_string(first);
  return retry(client.config().runtime,
               detail::part_retry_policy(options, what, [&options] { return options.cancel.cancelled(); }),
               [&](int) -> Status {
                 *got = 0;
                 restart();
                 auto info = client.get_object(g, sink, call);
                 if (!info) return changed_error(bucket, key, std::move(info).error());
                 if (*got == length) return {};
                 return Error::make(ErrorKind::kNetwork, "IncompleteBody",
                                    what + ": got " + std::to_string(*got) + " of " + std::to_string(length) + " bytes",
                                    true);
               });
}

// The full-object checksum S3 reported, when it covers the bytes directly.
std::optional<std::pair<ChecksumAlgorithm, std::string>> full_checksum(const ObjectInfo& head) {
  for (const auto& [alg, value] : head.checksums)
    if (internal::s3::checksum_covers_object(alg, value, head.checksum_type, head.etag))
      return std::make_pair(alg, value);
  return std::nullopt;
}

void report(const TransferOptions& options, std::mutex& mu, std::uint64_t& done, int& parts, std::uint64_t add,
            const Plan& p) {
  if (!options.on_progress) return;
  std::lock_guard<std::mutex> lock(mu);
  done += add;
  ++parts;
  options.on_progress(TransferProgress{done, p.head.content_length, parts, p.ranges});
}

// The download's file while it is written: created next to `path` at the object's size,
// filled in place, renamed to `path` by commit(); removed unless committed.
class PartFile {
 public:
  explicit PartFile(const std::string& path) {
    std::random_device rd;
    tmp_ = path + ".awsdl-" + std::to_string(::getpid()) + "-" + std::to_string(rd() % 1000000);
  }
  PartFile(const PartFile&) = delete;
  PartFile& operator=(const PartFile&) = delete;
  ~PartFile() {
    if (created_ && !committed_) ::unlink(tmp_.c_str());
  }

  Status create(std::uint64_t size) {
    fd_ = Fd(::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd_.valid()) return io_error("create", tmp_);
    created_ = true;
    if (::ftruncate(fd_.get(), static_cast<off_t>(size)) != 0) return io_error("truncate", tmp_);
    return {};
  }

  /// `bytes` at `offset`, whatever other threads write elsewhere meanwhile.
  Status write_at(std::uint64_t offset, std::string_view bytes) const {
    std::size_t put = 0;
    while (put < bytes.size()) {
      ssize_t n = ::pwrite(fd_.get(), bytes.data() + put, bytes.size() - put, static_cast<off_t>(offset + put));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return io_error("write", tmp_);
      put += static_cast<std::size_t>(n);
    }
    return {};
  }

  /// Synced, closed and renamed to `path`.
  Status commit(const std::string& path) {
    if (::fsync(fd_.get()) != 0) return io_error("sync", tmp_);
    fd_.reset();
    if (::rename(tmp_.c_str(), path.c_str()) != 0) return io_error("rename to " + path + " from", tmp_);
    committed_ = true;
    return {};
  }

 private:
  std::string tmp_;
  Fd fd_;
  bool created_ = false, committed_ = false;
};

// The CRC32 of the whole object from the CRC32 of each range (zlib joins them in order).
uLong combined_crc(const std::vector<uLong>& crcs, const Plan& p) {
  uLong all = crcs[0];
  for (int i = 1; i < p.ranges; ++i)
    all = ::crc32_combine(all, crcs[static_cast<std::size_t>(i)], static_cast<z_off_t>(p.length(i)));
  return all;
}

// The in-order download's range buffers: a fixed pool, each buffer allocated once and reused.
// A range is fetched only into a free buffer, and its buffer is free again once the sink has
// had it. So memory stays at pool size x range size, and the allocator sees no churn of
// multi-MiB blocks across threads (which grows per-thread malloc arenas well past that).
// Ranges are handed out in order, so the next one to deliver always holds a buffer.
class RangeWindow {
 public:
  struct Job {
    int range;
    std::size_t buffer;
  };

  RangeWindow(int buffers, int ranges) : buffers_(static_cast<std::size_t>(buffers)), ranges_(ranges) {
    for (std::size_t b = buffers_.size(); b-- > 0;) free_.push_back(b);
  }

  int size() const { return static_cast<int>(buffers_.size()); }
  std::string& buffer(std::size_t b) { return buffers_[b]; }

  /// Fetcher side: the next range and a free buffer for it, once there is one; nullopt when
  /// every range is handed out, one failed, or stop() was called.
  std::optional<Job> claim() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return stop_ || failure_ || next_ >= ranges_ || !free_.empty(); });
    if (stop_ || failure_ || next_ >= ranges_) return std::nullopt;
    Job job{next_++, free_.back()};
    free_.pop_back();
    return job;
  }

  /// Fetcher side: `job`'s buffer holds its range, or the range failed (the first failure
  /// ends the download).
  void fetched(const Job& job, Status status) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!status) {
      if (!failure_) failure_ = std::move(status).error();
      free_.push_back(job.buffer);
    } else {
      ready_[job.range] = job.buffer;
    }
    cv_.notify_all();
  }

  /// Delivery side: the buffer holding `range`, once fetched; the first failure, or kCancelled
  /// when `cancel` is set and the range is not there.
  Result<std::size_t> wait_for(int range, const CancellationToken& cancel) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return failure_ || ready_.count(range) || cancel.cancelled(); });
    if (failure_) return *failure_;
    if (cancel.cancelled() && !ready_.count(range))
      return Error::make(ErrorKind::kCancelled, "Cancelled", "download cancelled");
    std::size_t b = ready_[range];
    ready_.erase(range);
    return b;
  }

  /// Delivery side: the sink is done with buffer `b`.
  void release(std::size_t b) {
    std::lock_guard<std::mutex> lock(mu_);
    free_.push_back(b);
    cv_.notify_all();
  }

  /// Fetchers claim nothing more.
  void stop() {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> buffers_;
  std::vector<std::size_t> free_;
  std::map<int, std::size_t> ready_;  // range -> buffer
  const int ranges_;
  int next_ = 0;
  std::optional<Error> failure_;
  bool stop_ = false;
};

// Hands the ranges to `sink` in order, from the caller's thread, each buffer released once
// the sink has had it; `running` sees every byte.
Status deliver_in_order(RangeWindow& window, const Plan& p, const TransferOptions& options,
                        const http::BodySink& sink, std::optional<internal::s3::RunningChecksum>& running) {
  std::mutex progress_mu;
  std::uint64_t done_bytes = 0;
  int done_parts = 0;
  for (int range = 0; range < p.ranges; ++range) {
    AWSDL_ASSIGN_OR_RETURN(std::size_t b, window.wait_for(range, options.cancel));
    const std::string_view chunk = window.buffer(b);
    const std::size_t bytes = chunk.size();  // the buffer is a fetcher's again after release()
    if (running) running->update(chunk);
    Status delivered = chunk.empty() ? Status{} : sink(chunk);
    window.release(b);
    AWSDL_TRY(delivered);
    report(options, progress_mu, done_bytes, done_parts, bytes, p);
  }
  return {};
}

}  // namespace

Result<DownloadResult> TransferManager::download_file(const std::string& bucket, const std::string& key,
                                                      const std::string& path) const {
  AWSDL_TRY(internal::s3::check_bucket_key(bucket, key));
  AWSDL_ASSIGN_OR_RETURN(Plan p, plan(client_, options_, bucket, key));
  const std::uint64_t size = p.head.content_length;

  PartFile file(path);
  AWSDL_TRY(file.create(size));

  // CRC32 of each range, combined in order at the end (zlib can join CRC32s; the other
  // algorithms would need a second pass over the file, which this does not make).
  auto checksum = full_checksum(p.head);
  const bool crc = checksum && checksum->first == ChecksumAlgorithm::kCrc32;
  std::vector<uLong> crcs(static_cast<std::size_t>(p.ranges), 0);

  std::atomic<int> next{0};
  std::mutex mu;
  std::optional<Error> failure;
  std::uint64_t done_bytes = 0;
  int done_parts = 0;
  auto worker = [&] {
    for (;;) {
      {
        std::lock_guard<std::mutex> lock(mu);
        if (failure) return;
      }
      int i = next.fetch_add(1);
      if (i >= p.ranges) return;
      const std::uint64_t first = p.first(i), length = p.length(i);
      uLong& c = crcs[static_cast<std::size_t>(i)];
      auto write = [&](std::uint64_t offset, std::string_view bytes) -> Status {
        AWSDL_TRY(file.write_at(first + offset, bytes));
        if (crc) c = ::crc32(c, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uInt>(bytes.size()));
        return {};
      };
      auto restart = [&] { c = ::crc32(0L, Z_NULL, 0); };
      Status s = length == 0 ? Status{}
                             : fetch_range(client_, options_, bucket, key, p.head.etag, first, length, p.ranges == 1,
                                           write, restart);
      if (!s) {
        std::lock_guard<std::mutex> lock(mu);
        if (!failure) failure = std::move(s).error();
        return;
      }
      report(options_, mu, done_bytes, done_parts, length, p);
    }
  };
  std::vector<std::thread> threads;
  int n = std::min(std::max(1, options_.concurrency), std::max(1, p.ranges));
  for (int t = 0; t < n; ++t) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  if (failure) return *failure;
  if (options_.cancel.cancelled()) return Error::make(ErrorKind::kCancelled, "Cancelled", "download cancelled");

  DownloadResult out = p.result();
  if (crc && size > 0) {
    if (internal::checksum_base64(static_cast<std::uint32_t>(combined_crc(crcs, p))) != checksum->second)
      return Error::make(ErrorKind::kService, "ChecksumMismatch",
                         "s3://" + bucket + "/" + key + ": the CRC32 of the downloaded bytes does not match S3's", true);
    out.checksum_verified = true;
  }
  AWSDL_TRY(file.commit(path));
  return out;
}

Result<DownloadResult> TransferManager::download_stream(const std::string& bucket, const std::string& key,
                                                        const http::BodySink& sink) const {
  AWSDL_TRY(internal::s3::check_bucket_key(bucket, key));
  if (!sink) return Error::invalid_argument("MissingParameter", "download_stream: no sink");
  AWSDL_ASSIGN_OR_RETURN(Plan p, plan(client_, options_, bucket, key));
  auto checksum = full_checksum(p.head);
  std::optional<internal::s3::RunningChecksum> running;
  if (checksum) running.emplace(checksum->first);

  RangeWindow window(std::min(std::max(1, options_.concurrency), std::max(1, p.ranges)), p.ranges);
  auto fetcher = [&] {
    while (auto job = window.claim()) {
      const std::uint64_t first = p.first(job->range), length = p.length(job->range);
      std::string& buf = window.buffer(job->buffer);
      buf.clear();
      buf.reserve(static_cast<std::size_t>(length));
      auto write = [&](std::uint64_t, std::string_view bytes) -> Status {
        buf.append(bytes);
        return {};
      };
      auto restart = [&] { buf.clear(); };
      window.fetched(*job, length == 0 ? Status{}
                                       : fetch_range(client_, options_, bucket, key, p.head.etag, first, length,
                                                     p.ranges == 1, write, restart));
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < window.size(); ++t) threads.emplace_back(fetcher);
  Status delivered = deliver_in_order(window, p, options_, sink, running);
  window.stop();
  for (auto& t : threads) t.join();
  AWSDL_TRY(delivered);

  DownloadResult out = p.result();
  if (running) {
    if (running->finish_base64() != checksum->second)
      return Error::make(ErrorKind::kService, "ChecksumMismatch",
                         "s3://" + bucket + "/" + key + ": the " + std::string(to_string(checksum->first)) +
                             " checksum of the bytes delivered does not match S3's",
                         false);
    out.checksum_verified = true;
  }
  return out;
}

}  // namespace awsdl::s3
