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
};

Result<Plan> plan(const S3Client& client, const TransferOptions& options, const std::string& bucket,
                  const std::string& key, const CallOptions& call) {
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
    if (internal::s3::checksum_covers_object(value, head.checksum_type, head.etag)) return std::make_pair(alg, value);
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

}  // namespace

Result<DownloadResult> TransferManager::download_file(const std::string& bucket, const std::string& key,
                                                      const std::string& path) const {
  AWSDL_TRY(internal::s3::check_bucket_key(bucket, key));
  CallOptions call;
  call.cancel = options_.cancel;
  call.deadline = options_.deadline;
  AWSDL_ASSIGN_OR_RETURN(Plan p, plan(client_, options_, bucket, key, call));
  const std::uint64_t size = p.head.content_length;

  std::random_device rd;
  std::string tmp = path + ".awsdl-" + std::to_string(::getpid()) + "-" + std::to_string(rd() % 1000000);
  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd.valid()) return io_error("create", tmp);
  struct Cleanup {
    std::string path;
    bool keep = false;
    ~Cleanup() {
      if (!keep) ::unlink(path.c_str());
    }
  } cleanup{tmp};
  if (::ftruncate(fd.get(), static_cast<off_t>(size)) != 0) return io_error("truncate", tmp);

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
      std::uint64_t first = static_cast<std::uint64_t>(i) * p.range_size;
      std::uint64_t length = std::min(p.range_size, size - first);
      uLong& c = crcs[static_cast<std::size_t>(i)];
      auto write = [&](std::uint64_t offset, std::string_view bytes) -> Status {
        std::size_t put = 0;
        while (put < bytes.size()) {
          ssize_t n = ::pwrite(fd.get(), bytes.data() + put, bytes.size() - put,
                               static_cast<off_t>(first + offset + put));
          if (n < 0 && errno == EINTR) continue;
          if (n <= 0) return io_error("write", tmp);
          put += static_cast<std::size_t>(n);
        }
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

  DownloadResult out;
  out.size = size;
  out.etag = p.head.etag;
  out.ranges = p.ranges;
  if (crc && size > 0) {
    uLong all = crcs[0];
    for (int i = 1; i < p.ranges; ++i) {
      std::uint64_t first = static_cast<std::uint64_t>(i) * p.range_size;
      all = ::crc32_combine(all, crcs[static_cast<std::size_t>(i)],
                            static_cast<z_off_t>(std::min(p.range_size, size - first)));
    }
    if (internal::checksum_base64(static_cast<std::uint32_t>(all)) != checksum->second)
      return Error::make(ErrorKind::kService, "ChecksumMismatch",
                         "s3://" + bucket + "/" + key + ": the CRC32 of the downloaded bytes does not match S3's", true);
    out.checksum_verified = true;
  }
  if (::fsync(fd.get()) != 0) return io_error("sync", tmp);
  fd.reset();
  if (::rename(tmp.c_str(), path.c_str()) != 0) return io_error("rename to " + path + " from", tmp);
  cleanup.keep = true;
  return out;
}

Result<DownloadResult> TransferManager::download_stream(const std::string& bucket, const std::string& key,
                                                        const http::BodySink& sink) const {
  AWSDL_TRY(internal::s3::check_bucket_key(bucket, key));
  if (!sink) return Error::invalid_argument("MissingParameter", "download_stream: no sink");
  CallOptions call;
  call.cancel = options_.cancel;
  call.deadline = options_.deadline;
  AWSDL_ASSIGN_OR_RETURN(Plan p, plan(client_, options_, bucket, key, call));
  const std::uint64_t size = p.head.content_length;
  auto checksum = full_checksum(p.head);
  std::optional<internal::s3::RunningChecksum> running;
  if (checksum) running.emplace(checksum->first);

  // A fixed pool of `concurrency` range buffers, each allocated once and reused: a range is
  // fetched only into a free buffer, and its buffer is free again once the sink has had it.
  // So memory stays at concurrency x range size, and the allocator sees no churn of
  // multi-MiB blocks across threads (which grows per-thread malloc arenas well past that).
  // Ranges are handed out in order, so the next one to deliver always holds a buffer.
  const int window = std::max(1, options_.concurrency);
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> buffers(static_cast<std::size_t>(std::min(window, std::max(1, p.ranges))));
  std::vector<std::size_t> free_buffers;
  for (std::size_t b = buffers.size(); b-- > 0;) free_buffers.push_back(b);
  std::map<int, std::size_t> ready;  // range -> buffer
  int next = 0, delivered = 0;
  std::optional<Error> failure;
  bool stop = false;
  std::uint64_t done_bytes = 0;
  int done_parts = 0;

  auto worker = [&] {
    for (;;) {
      int i;
      std::size_t b;
      {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] { return stop || failure || next >= p.ranges || !free_buffers.empty(); });
        if (stop || failure || next >= p.ranges) return;
        i = next++;
        b = free_buffers.back();
        free_buffers.pop_back();
      }
      std::uint64_t first = static_cast<std::uint64_t>(i) * p.range_size;
      std::uint64_t length = std::min(p.range_size, size - first);
      std::string& buf = buffers[b];
      buf.clear();
      buf.reserve(static_cast<std::size_t>(length));
      auto write = [&](std::uint64_t, std::string_view bytes) -> Status {
        buf.append(bytes);
        return {};
      };
      auto restart = [&] { buf.clear(); };
      Status s = length == 0 ? Status{}
                             : fetch_range(client_, options_, bucket, key, p.head.etag, first, length, p.ranges == 1,
                                           write, restart);
      std::lock_guard<std::mutex> lock(mu);
      if (!s) {
        if (!failure) failure = std::move(s).error();
        free_buffers.push_back(b);
      } else {
        ready[i] = b;
      }
      cv.notify_all();
    }
  };
  std::vector<std::thread> threads;
  int n = static_cast<int>(buffers.size());
  for (int t = 0; t < n; ++t) threads.emplace_back(worker);

  Status result;
  while (delivered < p.ranges) {
    std::size_t b;
    {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return failure || ready.count(delivered) || options_.cancel.cancelled(); });
      if (failure) {
        result = *failure;
        break;
      }
      if (options_.cancel.cancelled() && !ready.count(delivered)) {
        result = Error::make(ErrorKind::kCancelled, "Cancelled", "download cancelled");
        break;
      }
      b = ready[delivered];
      ready.erase(delivered);
    }
    const std::string_view chunk = buffers[b];
    if (running) running->update(chunk);
    Status delivered_ok = chunk.empty() ? Status{} : sink(chunk);
    {
      std::lock_guard<std::mutex> lock(mu);
      free_buffers.push_back(b);
      cv.notify_all();
    }
    if (!delivered_ok) {
      result = std::move(delivered_ok).error();
      break;
    }
    report(options_, mu, done_bytes, done_parts, chunk.size(), p);
    std::lock_guard<std::mutex> lock(mu);
    ++delivered;
    cv.notify_all();
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    stop = true;
    cv.notify_all();
  }
  for (auto& t : threads) t.join();
  AWSDL_TRY(result);

  DownloadResult out;
  out.size = size;
  out.etag = p.head.etag;
  out.ranges = p.ranges;
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
