// Stager::stage: TarWriter -> TransferManager::upload_stream, then the sidecar manifest.
#include <chrono>
#include <mutex>
#include <random>

#include "awsdl/s3/transfer.hpp"
#include "awsdl/stage/stager.hpp"
#include "util/crc64nvme.hpp"
#include "util/crypto.hpp"
#include "stage/stager_internal.hpp"
#include "stage/tar_writer.hpp"

namespace awsdl::stage {
namespace {

std::string_view unquoted(std::string_view etag) {
  while (!etag.empty() && etag.front() == '"') etag.remove_prefix(1);
  while (!etag.empty() && etag.back() == '"') etag.remove_suffix(1);
  return etag;
}

std::string new_stage_id() {
  std::random_device rd;
  std::string bytes(16, '\0');
  for (auto& b : bytes) b = static_cast<char>(rd() & 0xff);
  return internal::hex_encode(bytes);
}

// The two progress sources (the tar reader on the uploading thread, parts completing on
// worker threads) merged into one serialised callback.
class ProgressMerger {
 public:
  explicit ProgressMerger(const std::function<void(const StageProgress&)>& sink) : sink_(sink) {}
  void input(std::uint64_t done, std::uint64_t total) {
    if (!sink_) return;
    std::lock_guard<std::mutex> lock(mu_);
    state_.input_bytes_done = done;
    state_.input_bytes_total = total;
    sink_(state_);
  }
  void uploaded(const s3::TransferProgress& p) {
    if (!sink_) return;
    std::lock_guard<std::mutex> lock(mu_);
    state_.uploaded_bytes = p.bytes_done;
    state_.parts_done = p.parts_done;
    sink_(state_);
  }

 private:
  const std::function<void(const StageProgress&)>& sink_;
  std::mutex mu_;
  StageProgress state_;
};

Status check_stage_args(const std::vector<std::string>& paths, const StageOptions& options) {
  if (paths.empty()) return Error::invalid_argument("InvalidOption", "nothing to stage: give at least one path");
  if (options.concurrency < 1 || options.concurrency > 256)
    return Error::invalid_argument("InvalidOption", "concurrency must be between 1 and 256");
  if (options.part_size < s3::kMinPartSize || options.part_size > s3::kMaxPartSize)
    return Error::invalid_argument("InvalidOption", "part size must be between 5 MiB and 5 GiB");
  return {};
}

internal::TarWriterOptions writer_options(const StageOptions& options, ProgressMerger& progress) {
  internal::TarWriterOptions w;
  w.compression = internal::to_internal(options.compression);
  w.compression_level = options.compression_level;
  w.sha256 = options.sha256;
  if (options.on_progress)
    w.on_progress = [&progress](std::uint64_t done, std::uint64_t total) { progress.input(done, total); };
  return w;
}

s3::TransferOptions transfer_options(const StageOptions& options, std::uint64_t part_size, ProgressMerger& progress) {
  s3::TransferOptions transfer;
  transfer.part_size = part_size;
  transfer.concurrency = options.concurrency;
  // The archive's integrity is S3's full-object CRC-64/NVME: every part carries its CRC, S3
  // checks the whole object's (combined from the parts') before it accepts it, and unstage
  // checks the same value end to end. Over https the payload is UNSIGNED-PAYLOAD (the client's
  // default there), so the CRC is the only pass over the bytes; over http SigV4 still needs
  // each part's SHA-256.
  transfer.checksum = s3::ChecksumAlgorithm::kCrc64Nvme;
  transfer.multipart_threshold = std::min<std::uint64_t>(part_size, 8 * s3::kMiB);
  transfer.cancel = options.call.cancel;
  transfer.keep_on_cancel = options.keep_upload_on_cancel;
  transfer.deadline = options.call.deadline;
  if (options.on_progress) transfer.on_progress = [&progress](const s3::TransferProgress& p) { progress.uploaded(p); };
  return transfer;
}

// The archive's upload, tagged with the stage id and the name of its manifest.
s3::UploadRequest archive_request(const s3::S3Uri& uri, const StageOptions& options, const std::string& stage_id) {
  s3::UploadRequest request;
  request.bucket = uri.bucket;
  request.key = uri.key;
  request.attributes.content_type =
      options.compression == Compression::kNone ? "application/x-tar"
      : options.compression == Compression::kGzip ? "application/gzip"
                                                  : "application/zstd";
  request.attributes.metadata[std::string(internal::kStageIdMetadataKey)] = stage_id;
  request.attributes.metadata[std::string(internal::kManifestObjectMetadataKey)] = manifest_key(uri.key);
  request.attributes.storage_class = options.storage_class;
  request.attributes.server_side_encryption = options.server_side_encryption;
  return request;
}

// `error`, after removing the archive this stage wrote (ETag `etag`), and only that: the key
// is looked at first (another writer may have replaced it since). Not with the caller's
// cancellation token: after a Ctrl-C the removal must still go out.
Error remove_archive(const s3::S3Client& client, const s3::S3Uri& uri, const std::string& etag, Error error) {
  const std::string where = uri.to_string();
  const CallOptions fresh;
  s3::HeadObjectRequest head_request;
  head_request.bucket = uri.bucket;
  head_request.key = uri.key;
  head_request.checksum_mode = false;
  auto head = client.head_object(head_request, fresh);
  if (!head && head.error().http_status == 404) {
    error.message += " (the archive is gone already)";
    return error;
  }
  if (head && unquoted(head->etag) != unquoted(etag)) {
    error.message += " (" + where + " now holds another object than the one this stage wrote; it was left alone)";
    return error;
  }
  auto removed = client.delete_object(uri.bucket, uri.key, fresh);
  error.message += removed ? " (the archive was removed again)"
                           : " (removing the archive " + where + " failed too: " + removed.error().message + ")";
  return error;
}

// The stage id a resumed archive carries: the one its first run gave it (with
// CreateMultipartUpload); the manifest must carry the same one.
Result<std::string> resumed_stage_id(const s3::S3Client& client, const s3::S3Uri& uri, const std::string& upload_id,
                                     const CallOptions& call) {
  const std::string where = uri.to_string();
  s3::HeadObjectRequest head_request;
  head_request.bucket = uri.bucket;
  head_request.key = uri.key;
  auto head = client.head_object(head_request, call);
  if (!head) return internal::with_context(std::move(head).error(), "staging to " + where);
  auto it = head->metadata.find(std::string(internal::kStageIdMetadataKey));
  if (it == head->metadata.end() || it->second.empty())
    return Error::make(ErrorKind::kIo, "ResumeMismatch",
                       "staging to " + where + ": the resumed multipart upload " + upload_id +
                           " was not started by stage (no stage id)");
  return it->second;
}

// The sidecar manifest next to the archive; its key.
Result<std::string> put_manifest(const s3::S3Client& client, const s3::S3Uri& uri, const internal::ArchiveStats& stats,
                                 internal::Compression compression, const std::string& stage_id,
                                 const CallOptions& call) {
  const internal::Manifest manifest = internal::make_manifest(stats, compression);
  s3::PutObjectRequest put;
  put.bucket = uri.bucket;
  put.key = manifest_key(uri.key);
  put.body = internal::serialize_manifest(manifest) + "\n";
  put.attributes.content_type = "text/plain";
  put.attributes.metadata[std::string(internal::kStageIdMetadataKey)] = stage_id;
  put.checksum = s3::ChecksumAlgorithm::kCrc32;
  if (auto written = client.put_object(put, call); !written)
    return internal::with_context(std::move(written).error(), "staging to " + uri.to_string() +
                                                                  ": writing the manifest s3://" + uri.bucket + "/" +
                                                                  put.key);
  return put.key;
}

}  // namespace

Result<StageResult> Stager::stage(const std::vector<std::string>& paths, std::string_view s3_uri,
                                  const StageOptions& options) const {
  Clock& clock = internal::stager_clock(client_);
  const SteadyTime started = clock.steady_now();
  AWSDL_ASSIGN_OR_RETURN(s3::S3Uri uri, internal::parse_archive_uri(s3_uri));
  const std::string where = uri.to_string();
  AWSDL_TRY(check_stage_args(paths, options));

  ProgressMerger progress(options.on_progress);
  std::vector<std::filesystem::path> inputs(paths.begin(), paths.end());
  AWSDL_ASSIGN_OR_RETURN(internal::TarWriter writer,
                         internal::TarWriter::open(std::move(inputs), writer_options(options, progress)));

  // Sized from the walk's bound (plus slack for a compressor that cannot shrink the data) so
  // that the archive fits in 10,000 parts; the stream itself is never measured in advance.
  const std::uint64_t bound = writer.totals().archive_bytes_bound;
  AWSDL_ASSIGN_OR_RETURN(std::uint64_t part_size,
                         s3::choose_part_size(bound + bound / 64 + s3::kMiB, options.part_size));
  s3::TransferManager manager(client_, transfer_options(options, part_size, progress));

  std::string stage_id = new_stage_id();
  s3::UploadRequest request = archive_request(uri, options, stage_id);
  if (options.resume) {
    auto found = manager.find_upload(uri.bucket, uri.key);
    if (!found)
      return internal::with_context(std::move(found).error(), "staging to " + where + ": finding an upload to resume");
    if (*found && (*found)->checksum != s3::ChecksumAlgorithm::kCrc64Nvme) {
      // An upload an older stage started (its parts carry another checksum, so S3 could not
      // check the whole archive's CRC64NVME at completion): dropped, and this stage starts over.
      const CallOptions fresh;
      if (auto dropped = client_.abort_multipart_upload(**found, fresh); !dropped)
        return internal::with_context(std::move(dropped).error(),
                                      "staging to " + where + ": dropping the multipart upload " +
                                          (*found)->upload_id + " an older stage left (its parts have no CRC64NVME)");
    } else if (*found) {
      request.resume_upload_id = (*found)->upload_id;
    }
  }

  http::BodySource source = [&writer](char* buf, std::size_t len) { return writer.read(buf, len); };
  auto uploaded = manager.upload_stream(source, request);
  if (!uploaded) return internal::with_context(std::move(uploaded).error(), "staging to " + where);

  // Every failure from here on removes the archive this stage made.
  auto undo = [&](Error error) { return remove_archive(client_, uri, uploaded->etag, std::move(error)); };
  internal::ArchiveStats stats = writer.stats();
  if (!writer.finished() || stats.archive_bytes != uploaded->size || (options.sha256 && stats.archive_sha256.empty()))
    return undo(Error::make(ErrorKind::kInternal, "ArchiveSizeMismatch",
                            "staging to " + where + ": uploaded " + std::to_string(uploaded->size) +
                                " bytes but the archive has " + std::to_string(stats.archive_bytes)));
  // The value S3 checked the object against (multipart: combined from the parts' values).
  auto crc = internal::parse_crc64nvme_base64(uploaded->checksum);
  if (!crc)
    return undo(Error::make(ErrorKind::kParse, "NoArchiveChecksum",
                            "staging to " + where + ": S3 did not confirm the archive's CRC64NVME checksum ('" +
                                uploaded->checksum.substr(0, 32) + "')"));
  stats.archive_crc64nvme = internal::crc64nvme_hex(*crc);
  if (!request.resume_upload_id.empty()) {
    auto resumed = resumed_stage_id(client_, uri, request.resume_upload_id, options.call);
    if (!resumed) return undo(std::move(resumed).error());
    stage_id = std::move(*resumed);
  }
  auto manifest = put_manifest(client_, uri, stats, writer.compression(), stage_id, options.call);
  if (!manifest) return undo(std::move(manifest).error());

  StageResult result;
  result.bucket = uri.bucket;
  result.key = uri.key;
  result.manifest_key = *manifest;
  result.entries = stats.entries;
  result.files = stats.files;
  result.file_bytes = stats.file_bytes;
  result.archive_bytes = stats.archive_bytes;
  result.archive_crc64nvme = stats.archive_crc64nvme;
  result.archive_sha256 = stats.archive_sha256;
  result.compression = options.compression;
  result.parts = uploaded->parts;
  result.parts_reused = uploaded->parts_reused;
  result.resumed_upload_id = request.resume_upload_id;
  result.part_size = uploaded->part_size ? uploaded->part_size : part_size;
  result.etag = uploaded->etag;
  result.stage_id = stage_id;
  result.duration =
      std::chrono::duration_cast<std::chrono::milliseconds>(clock.steady_now() - started);
  return result;
}

}  // namespace awsdl::stage
