// Parallel multipart uploads from a pull-based source (a file is a source of known size).
//
// The caller's thread reads parts into a fixed pool of `concurrency` buffers and queues
// them; workers upload them. A buffer comes back to the pool only when its part is done,
// so memory stays at concurrency × part_size whatever the speeds. On failure or
// cancellation the reader stops, the workers drain, and the upload is aborted.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

#include "awsdl/s3/transfer.hpp"
#include "util/crypto.hpp"
#include "protocol/pagination.hpp"
#include "s3/transfer_internal.hpp"
#include "util/page_buffer.hpp"

namespace awsdl::s3 {
namespace {

struct Job {
  int number = 0;
  std::size_t buffer = 0;
  std::size_t size = 0;
};

class MultipartRun {
 public:
  MultipartRun(const S3Client& client, const TransferOptions& options, MultipartUpload upload, std::uint64_t part_size,
               std::optional<std::uint64_t> total)
      : client_(client), options_(options), upload_(std::move(upload)), part_size_(part_size), total_(total) {
    int workers = std::max(1, options_.concurrency);
    buffers_.resize(static_cast<std::size_t>(workers));
    for (std::size_t i = 0; i < buffers_.size(); ++i) free_.push_back(i);
  }

  // Parts S3 already has (resume): number -> part.
  void set_existing(std::map<int, CompletedPart> existing) { existing_ = std::move(existing); }

  // Reads the whole source and uploads it; the first `first_size` bytes of part 1 are
  // already in `first` (moved into a pool buffer).
  Status run(const http::BodySource& source, internal::PageBuffer first, std::size_t first_size) {
    start_workers();
    Status read_status = read_all(source, std::move(first), first_size);
    {
      std::lock_guard<std::mutex> lock(mu_);
      reading_done_ = true;
      if (!read_status && !failure_) failure_ = read_status.error();
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
    if (failure_) return *failure_;
    if (options_.cancel.cancelled()) return cancelled();
    return {};
  }

  std::vector<CompletedPart> parts() const {
    std::vector<CompletedPart> out;
    for (const auto& [n, p] : done_) out.push_back(p);
    return out;
  }
  int uploaded() const { return uploaded_; }
  int reused() const { return reused_; }
  std::uint64_t bytes() const { return bytes_read_; }

 private:
  Error cancelled() const {
    return Error::make(ErrorKind::kCancelled, "Cancelled",
                       "upload to s3://" + upload_.bucket + "/" + upload_.key + " was cancelled");
  }

  bool stopping() const { return failure_.has_value() || options_.cancel.cancelled(); }

  // Fills `buf` up to `want` bytes; returns how many (less only at the end of the source).
  static Result<std::size_t> fill(const http::BodySource& source, internal::PageBuffer& buf, std::size_t want) {
    buf.reserve(want);
    std::size_t have = 0;
    while (have < want) {
      AWSDL_ASSIGN_OR_RETURN(std::size_t n, source(buf.data() + have, want - have));
      if (n == 0) break;
      if (n > want - have) return Error::make(ErrorKind::kInternal, "SourceOverrun", "the source wrote past the buffer");
      have += n;
    }
    return have;
  }

  Status read_all(const http::BodySource& source, internal::PageBuffer first, std::size_t first_size) {
    std::size_t buffer;
    {
      std::lock_guard<std::mutex> lock(mu_);
      buffer = free_.front();
      free_.pop_front();
    }
    buffers_[buffer] = std::move(first);
    std::size_t size = first_size;
    for (int number = 1;; ++number) {
      if (number > kMaxParts) {
        return Error::invalid_argument(
            "TooManyParts", "the stream is longer than 10,000 parts of " + std::to_string(part_size_) +
                                " bytes: give UploadRequest::expected_size (or a larger part size) so that parts are "
                                "sized to fit");
      }
      bytes_read_ += size;
      if (!submit(number, buffer, size)) return {};
      if (size < part_size_) return {};  // a short part is the last one
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return !free_.empty() || stopping(); });
        if (stopping()) return {};
        buffer = free_.front();
        free_.pop_front();
      }
      AWSDL_ASSIGN_OR_RETURN(size, fill(source, buffers_[buffer], part_size_));
      if (size == 0) {
        std::lock_guard<std::mutex> lock(mu_);
        free_.push_back(buffer);
        return {};
      }
    }
  }

  // Queues a part, or records it as already uploaded (resume). False when stopping.
  bool submit(int number, std::size_t buffer, std::size_t size) {
    if (auto it = existing_.find(number); it != existing_.end() && it->second.size == size) {
      std::string_view data(buffers_[buffer].data(), size);
      std::string etag = "\"" + internal::hex_encode(internal::md5(data)) + "\"";
      if (internal::s3::same_etag(etag, it->second.etag) &&
          (upload_.checksum == ChecksumAlgorithm::kNone || !it->second.checksum.empty())) {
        std::lock_guard<std::mutex> lock(mu_);
        done_[number] = it->second;
        ++reused_;
        free_.push_back(buffer);
        report(size);
        return !stopping();
      }
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping()) {
      free_.push_back(buffer);
      return false;
    }
    queue_.push_back({number, buffer, size});
    cv_.notify_all();
    return true;
  }

  void start_workers() {
    for (std::size_t i = 0; i < buffers_.size(); ++i) workers_.emplace_back([this] { work(); });
  }

  void work() {
    for (;;) {
      Job job;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return !queue_.empty() || reading_done_ || stopping(); });
        if (stopping() || queue_.empty()) {
          if (stopping() || reading_done_) return;
          continue;
        }
        job = queue_.front();
        queue_.pop_front();
      }
      auto part = upload_one(job);
      std::lock_guard<std::mutex> lock(mu_);
      free_.push_back(job.buffer);
      if (part) {
        done_[job.number] = std::move(*part);
        ++uploaded_;
        report(job.size);
      } else if (!failure_) {
        failure_ = std::move(part).error();
      }
      cv_.notify_all();
    }
  }

  Result<CompletedPart> upload_one(const Job& job) {
    UploadPartRequest r;
    r.bucket = upload_.bucket;
    r.key = upload_.key;
    r.upload_id = upload_.upload_id;
    r.part_number = job.number;
    r.body = std::string_view(buffers_[job.buffer].data(), job.size);
    r.checksum = upload_.checksum;
    CallOptions call;
    call.cancel = options_.cancel;
    call.deadline = options_.deadline;
    const std::string what = "part " + std::to_string(job.number) + " of s3://" + upload_.bucket + "/" + upload_.key;
    auto part = retry(client_.config().runtime, detail::part_retry_policy(options_, what, [this] { return stopping(); }),
                      [&](int) { return client_.upload_part(r, call); });
    if (!part) {
      Error e = std::move(part).error();
      e.message = what + ": " + e.message;
      return e;
    }
    return part;
  }

  // Called with mu_ held.
  void report(std::size_t size) {
    done_bytes_ += size;
    if (!options_.on_progress) return;
    TransferProgress p;
    p.bytes_done = done_bytes_;
    p.bytes_total = total_;
    p.parts_done = static_cast<int>(done_.size());
    if (total_) p.parts_total = static_cast<int>(std::max<std::uint64_t>(1, (*total_ + part_size_ - 1) / part_size_));
    options_.on_progress(p);
  }

  const S3Client& client_;
  const TransferOptions& options_;
  MultipartUpload upload_;
  std::uint64_t part_size_;
  std::optional<std::uint64_t> total_;
  std::map<int, CompletedPart> existing_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<internal::PageBuffer> buffers_;  // not zero-filled: each is read into before use
  std::deque<std::size_t> free_;
  std::deque<Job> queue_;
  std::vector<std::thread> workers_;
  std::map<int, CompletedPart> done_;
  std::optional<Error> failure_;
  bool reading_done_ = false;
  int uploaded_ = 0;
  int reused_ = 0;
  std::uint64_t bytes_read_ = 0;
  std::uint64_t done_bytes_ = 0;
};

// The multipart ETag S3 gives the object a completion makes: the MD5 of the parts' binary
// MD5s, then "-" and the number of parts. Empty when a part's ETag is not an MD5 (SSE-KMS).
std::string expected_multipart_etag(const std::vector<CompletedPart>& parts) {
  std::string digests;
  for (const auto& p : parts) {
    std::string_view hex = p.etag;
    while (!hex.empty() && hex.front() == '"') hex.remove_prefix(1);
    while (!hex.empty() && hex.back() == '"') hex.remove_suffix(1);
    if (hex.size() != 32) return {};
    for (std::size_t i = 0; i < 32; i += 2) {
      auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
      };
      const int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
      if (hi < 0 || lo < 0) return {};
      digests += static_cast<char>(hi * 16 + lo);
    }
  }
  return "\"" + internal::hex_encode(internal::md5(digests)) + "-" + std::to_string(parts.size()) + "\"";
}

// CompleteMultipartUpload failed, but it may have completed on the server all the same (an
// answer that could not be read, a connection lost after the request was sent, a retry that
// met NoSuchUpload). Finds out: an upload that still exists did not complete (it is aborted,
// or left for a resume); one that is gone completed if the key now holds exactly the object
// it would make (size, multipart ETag, our metadata). Then the upload succeeded and that is
// returned; otherwise the error, saying what is known. Nothing is ever deleted here.
Result<CompleteMultipartUploadResult> find_completed(const S3Client& client, const TransferOptions& options,
                                                     const UploadRequest& request, const MultipartUpload& upload,
                                                     const std::vector<CompletedPart>& parts, std::uint64_t size,
                                                     Error e) {
  const std::string where = "s3://" + upload.bucket + "/" + upload.key;
  CallOptions fresh;  // not a cancelled token: this must go out
  auto gone = [](const Error& err) { return err.code == "NoSuchUpload" || err.http_status == 404; };
  if (options.abort_on_failure) {
    auto aborted = client.abort_multipart_upload(upload, fresh);
    if (aborted) {
      e.message += " (the multipart upload was aborted)";
      return e;
    }
    if (!gone(aborted.error())) {
      e.message += " (aborting the multipart upload failed too: " + aborted.error().to_string() +
                   "; whether " + where + " was written is unknown: look at it, and at the multipart upload " +
                   upload.upload_id + ")";
      return e;
    }
  } else {
    auto listed = client.list_parts(upload, 0, 1, fresh);
    if (listed) {
      e.message += " (multipart upload " + upload.upload_id + " left in place for a resume)";
      return e;
    }
    if (!gone(listed.error())) {
      e.message += " (whether " + where + " was written is unknown: " + listed.error().to_string() + ")";
      return e;
    }
  }
  // The upload is gone: completed, by this call or a retry of it, or aborted by someone else.
  HeadObjectRequest head_request;
  head_request.bucket = upload.bucket;
  head_request.key = upload.key;
  auto head = client.head_object(head_request, fresh);
  if (!head) {
    const bool missing = head.error().http_status == 404;
    e.message += missing ? " (the multipart upload is gone and " + where + " does not exist: it was aborted)"
                         : " (the multipart upload is gone; whether it made " + where +
                               " is unknown: " + head.error().to_string() + ")";
    return e;
  }
  const std::string etag = expected_multipart_etag(parts);
  bool ours = head->object_size == size;
  bool told = false;  // something identifying was compared
  if (!etag.empty()) {
    ours = ours && internal::s3::same_etag(head->etag, etag);
    told = true;
  }
  if (request.resume_upload_id.empty() && !request.attributes.metadata.empty()) {
    // A resumed upload carries the metadata it was created with, not this request's.
    for (const auto& [k, v] : request.attributes.metadata) {
      auto it = head->metadata.find(k);
      ours = ours && it != head->metadata.end() && it->second == v;
    }
    told = true;
  }
  if (ours && told) {
    CompleteMultipartUploadResult out;
    out.bucket = upload.bucket;
    out.key = upload.key;
    out.etag = head->etag;
    out.version_id = head->version_id;
    if (auto c = head->checksums.find(upload.checksum); c != head->checksums.end()) out.checksum = c->second;
    return out;
  }
  e.message += told ? " (the multipart upload is gone and " + where +
                          " is not the object it would have made: another writer replaced it, or the upload was "
                          "aborted elsewhere; nothing was removed)"
                    : " (the multipart upload is gone; whether " + where + " is the object it made cannot be told)";
  return e;
}

Status check_options(const TransferOptions& o) {
  if (o.part_size < kMinPartSize || o.part_size > kMaxPartSize)
    return Error::invalid_argument("InvalidPartSize", "part_size must be 5 MiB to 5 GiB, not " +
                                                          std::to_string(o.part_size) + " bytes");
  if (o.concurrency < 1 || o.concurrency > 256)
    return Error::invalid_argument("InvalidConcurrency", "concurrency must be 1 to 256");
  return {};
}

}  // namespace

namespace detail {

Result<UploadResult> upload(const S3Client& client, const TransferOptions& options, const http::BodySource& source,
                            const UploadRequest& request, std::optional<std::uint64_t> known_size) {
  AWSDL_TRY(internal::s3::check_bucket_key(request.bucket, request.key));
  AWSDL_TRY(check_options(options));
  if (!source) return Error::invalid_argument("MissingParameter", "upload: no source");
  const std::string where = "s3://" + request.bucket + "/" + request.key;
  CallOptions call;
  call.cancel = options.cancel;
  call.deadline = options.deadline;

  // Resuming: the parts S3 has fix the part size.
  MultipartUpload upload;
  std::map<int, CompletedPart> existing;
  std::optional<std::uint64_t> size_hint = known_size ? known_size : request.expected_size;
  AWSDL_ASSIGN_OR_RETURN(std::uint64_t part_size, choose_part_size(size_hint.value_or(0), options.part_size));
  if (!request.resume_upload_id.empty()) {
    upload.bucket = request.bucket;
    upload.key = request.key;
    upload.upload_id = request.resume_upload_id;
    AWSDL_ASSIGN_OR_RETURN(ListPartsPage first_page, client.list_parts(upload, 0, 1000, call));
    upload.checksum = first_page.checksum;
    AWSDL_ASSIGN_OR_RETURN(auto parts, client.list_all_parts(upload, call));
    std::uint64_t largest = 0;
    for (auto& p : parts) {
      largest = std::max(largest, p.size);
      existing[p.part_number] = std::move(p);
    }
    // Part 1 is a whole part (unless it is the only one, and then any size fits); without it,
    // the largest part is one unless only the short last part made it.
    if (auto one = existing.find(1); one != existing.end()) part_size = std::max(one->second.size, kMinPartSize);
    else if (largest > part_size) part_size = largest;
  }

  // Part 1 (or the whole object when it is small).
  const bool single_candidate = request.resume_upload_id.empty() &&
                                (known_size ? *known_size < options.multipart_threshold : true);
  std::size_t first_want = static_cast<std::size_t>(
      known_size && *known_size < options.multipart_threshold ? *known_size : part_size);
  internal::PageBuffer first(first_want);
  std::size_t first_size = 0;
  while (first_size < first_want) {
    if (options.cancel.cancelled()) return Error::make(ErrorKind::kCancelled, "Cancelled", "upload to " + where + " was cancelled");
    AWSDL_ASSIGN_OR_RETURN(std::size_t n, source(first.data() + first_size, first_want - first_size));
    if (n == 0) break;
    first_size += n;
  }
  const bool ended = first_size < first_want || (known_size && first_size == *known_size);
  if (single_candidate && ended && first_size < options.multipart_threshold) {
    if (known_size && first_size != *known_size)
      return Error::make(ErrorKind::kIo, "SourceChanged", where + ": the source ended after " +
                                                               std::to_string(first_size) + " of " +
                                                               std::to_string(*known_size) + " bytes");
    PutObjectRequest put;
    put.bucket = request.bucket;
    put.key = request.key;
    if (first_size > 0) put.body.assign(first.data(), first_size);
    put.attributes = request.attributes;
    put.checksum = options.checksum;
    AWSDL_ASSIGN_OR_RETURN(PutObjectResult r, client.put_object(put, call));
    UploadResult out;
    out.etag = r.etag;
    out.size = first_size;
    out.checksum = r.checksum;
    if (options.on_progress) options.on_progress(TransferProgress{first_size, first_size, 1, 1});
    return out;
  }

  if (request.resume_upload_id.empty()) {
    CreateMultipartUploadRequest create;
    create.bucket = request.bucket;
    create.key = request.key;
    create.attributes = request.attributes;
    create.checksum = options.checksum;
    AWSDL_ASSIGN_OR_RETURN(upload, client.create_multipart_upload(create, call));
  }
  if (request.on_upload_created) request.on_upload_created(upload.upload_id);

  auto abort_with = [&](Error e) -> Error {
    if (!options.abort_on_failure || (options.keep_on_cancel && e.kind == ErrorKind::kCancelled)) {
      e.message += " (multipart upload " + upload.upload_id + " left in place for a resume)";
      return e;
    }
    CallOptions fresh;  // not the cancelled token: the abort itself must go out
    auto aborted = client.abort_multipart_upload(upload, fresh);
    e.message += aborted ? " (the multipart upload was aborted)"
                         : " (aborting the multipart upload failed too: " + aborted.error().to_string() + ")";
    return e;
  };

  MultipartRun run(client, options, upload, part_size, size_hint);
  run.set_existing(std::move(existing));
  if (auto s = run.run(source, std::move(first), first_size); !s) return abort_with(std::move(s).error());
  if (known_size && run.bytes() != *known_size)
    return abort_with(Error::make(ErrorKind::kIo, "SourceChanged",
                                  where + ": read " + std::to_string(run.bytes()) + " bytes, expected " +
                                      std::to_string(*known_size) + " (did the file change?)"));
  auto parts = run.parts();
  auto done = client.complete_multipart_upload(upload, parts, call);
  if (!done) {
    auto found = find_completed(client, options, request, upload, parts, run.bytes(), std::move(done).error());
    if (!found) return std::move(found).error();
    done = std::move(*found);
  }
  UploadResult out;
  out.etag = done->etag;
  out.size = run.bytes();
  out.upload_id = upload.upload_id;
  out.parts = static_cast<int>(parts.size());
  out.parts_uploaded = run.uploaded();
  out.parts_reused = run.reused();
  out.part_size = part_size;
  out.checksum = done->checksum;
  return out;
}

}  // namespace detail

TransferManager::TransferManager(S3Client client, TransferOptions options)
    : client_(std::move(client)), options_(std::move(options)) {}

Result<UploadResult> TransferManager::upload_stream(const http::BodySource& source, const UploadRequest& request) const {
  return detail::upload(client_, options_, source, request, std::nullopt);
}

Result<UploadResult> TransferManager::upload_file(const std::string& path, const UploadRequest& request) const {
  internal::s3::Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return internal::s3::io_error("open", path);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return internal::s3::io_error("stat", path);
  if (!S_ISREG(st.st_mode)) return Error::invalid_argument("NotAFile", path + " is not a regular file");
  int raw = fd.get();
  http::BodySource source = [raw, path](char* buf, std::size_t len) -> Result<std::size_t> {
    for (;;) {
      ssize_t n = ::read(raw, buf, len);
      if (n >= 0) return static_cast<std::size_t>(n);
      if (errno != EINTR) return internal::s3::io_error("read", path);
    }
  };
  return detail::upload(client_, options_, source, request, static_cast<std::uint64_t>(st.st_size));
}

Result<std::optional<MultipartUpload>> TransferManager::find_upload(const std::string& bucket,
                                                                    const std::string& key) const {
  ListMultipartUploadsRequest r;
  r.bucket = bucket;
  r.prefix = key;
  std::optional<MultipartUpload> best;
  internal::PageGuard pages("S3 ListMultipartUploads", client_.config().max_pages);
  for (;;) {
    AWSDL_ASSIGN_OR_RETURN(ListMultipartUploadsPage p, client_.list_multipart_uploads(r));
    for (auto& u : p.uploads) {
      if (u.key != key) continue;
      if (!best || (u.initiated && best->initiated && *u.initiated >= *best->initiated) || !best->initiated)
        best = std::move(u);
    }
    if (!p.is_truncated) break;
    if (p.next_key_marker.empty())
      return Error::make(ErrorKind::kParse, "MissingElement",
                         "S3 ListMultipartUploads: a truncated page without NextKeyMarker");
    // The key and upload id markers together are the next-page token.
    AWSDL_ASSIGN_OR_RETURN(bool more, pages.next(p.next_key_marker + '\n' + p.next_upload_id_marker));
    if (!more) break;
    r.key_marker = p.next_key_marker;
    r.upload_id_marker = p.next_upload_id_marker;
  }
  return best;
}

}  // namespace awsdl::s3
