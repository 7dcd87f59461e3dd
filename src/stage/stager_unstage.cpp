// Stager::unstage: the sidecar manifest first, then TransferManager::download_stream ->
// TarExtractor, then the extracted counts and the archive's SHA-256 against the manifest.
#include <chrono>
#include <filesystem>
#include <optional>

#include "awsdl/s3/transfer.hpp"
#include "awsdl/stage/stager.hpp"
#include "util/crc64nvme.hpp"
#include "stage/stager_internal.hpp"
#include "stage/staging_area.hpp"
#include "stage/tar_extractor.hpp"

namespace awsdl::internal {
namespace {

struct StoredManifest {
  internal::Manifest manifest;
  std::string stage_id;
};

std::string metadata_value(const std::map<std::string, std::string>& metadata, std::string_view key) {
  auto it = metadata.find(std::string(key));
  return it == metadata.end() ? std::string() : it->second;
}

// nullopt when there is no sidecar at all.
Result<std::optional<StoredManifest>> read_manifest(const s3::S3Client& client, const s3::S3Uri& uri,
                                                    const CallOptions& call) {
  const std::string key = stage::manifest_key(uri.key);
  const std::string where = "s3://" + uri.bucket + "/" + key;
  s3::GetObjectRequest get;
  get.bucket = uri.bucket;
  get.key = key;
  // A range keeps a stray huge object at that key from being read into memory.
  get.range = s3::ByteRange{0, internal::kMaxManifestBytes - 1};
  auto got = client.get_object(get, call);
  if (!got) {
    const Error& e = got.error();
    if (e.http_status == 404 || e.code == "NoSuchKey") return std::optional<StoredManifest>{};
    if (e.code == "InvalidRange")
      return Error::make(ErrorKind::kParse, "MalformedManifest", where + " is empty: it is not a manifest");
    // A server that ignores Range sends the whole object: it stops at the range instead.
    if (e.code == "RangeIgnored")
      return Error::make(ErrorKind::kParse, "MalformedManifest",
                         where + " is larger than " + std::to_string(internal::kMaxManifestBytes) +
                             " bytes: it is not a manifest (" + e.message + ")");
    return internal::with_context(std::move(got).error(), "reading the manifest " + where);
  }
  if (got->info.object_size > internal::kMaxManifestBytes)
    return Error::make(ErrorKind::kParse, "MalformedManifest", where + " is too large to be a manifest");
  std::string_view text = got->body;
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  auto parsed = internal::parse_manifest(text);
  if (!parsed) return internal::with_context(std::move(parsed).error(), where);
  return std::optional<StoredManifest>{
      StoredManifest{std::move(parsed).value(), metadata_value(got->info.metadata, internal::kStageIdMetadataKey)}};
}

Error manifest_mismatch(const std::string& where, const std::string& what) {
  return Error::make(ErrorKind::kIo, "ManifestMismatch", where + ": " + what);
}

}  // namespace

Result<UnstagePlan> prepare_unstage(const s3::S3Client& client, std::string_view s3_uri, const std::string& directory,
                                    const stage::UnstageOptions& options) {
  AWSDL_ASSIGN_OR_RETURN(s3::S3Uri uri, parse_archive_uri(s3_uri));
  const std::string where = uri.to_string();
  if (options.concurrency < 1 || options.concurrency > 256)
    return Error::invalid_argument("InvalidOption", "concurrency must be between 1 and 256");
  if (options.part_size < s3::kMiB || options.part_size > s3::kMaxPartSize)
    return Error::invalid_argument("InvalidOption", "part size must be between 1 MiB and 5 GiB");
  if (directory.empty()) return Error::invalid_argument("InvalidOption", "no target directory given");

  // Everything that can be checked before a byte is extracted is checked first.
  AWSDL_ASSIGN_OR_RETURN(std::optional<StoredManifest> stored, read_manifest(client, uri, options.call));
  if (!stored && options.require_manifest)
    return Error::make(ErrorKind::kNotFound, "ManifestNotFound",
                       where + " has no manifest (" + stage::manifest_key(uri.key) +
                           "): it was not written by awsdl stage, or its stage did not finish; extract it without "
                           "verification only if you trust it (UnstageOptions::require_manifest = false)")
        .with_next_step(stage::next_step::kUnstageUnverified, uri.to_string());

  s3::HeadObjectRequest head_request;
  head_request.bucket = uri.bucket;
  head_request.key = uri.key;
  auto head = client.head_object(head_request, options.call);
  if (!head) return with_context(std::move(head).error(), "unstaging " + where);
  bool s3_crc_is_manifests = false;  // see UnstagePlan
  if (stored) {
    const std::string archive_id = metadata_value(head->metadata, kStageIdMetadataKey);
    if (archive_id.empty() || archive_id != stored->stage_id)
      return Error::make(ErrorKind::kIo, "ManifestStale",
                         where + ": its manifest " + stage::manifest_key(uri.key) +
                             " belongs to another stage of this key (the archive was replaced, or a stage is "
                             "still running); stage it again");
    if (head->object_size != stored->manifest.archive_bytes)
      return manifest_mismatch(where, "the object has " + std::to_string(head->object_size) +
                                          " bytes but the manifest says " +
                                          std::to_string(stored->manifest.archive_bytes));
    // The CRC S3 keeps for the object (checked when it was written) against the manifest's,
    // before a byte is read; the bytes themselves are checked against it after (by the
    // download when it is S3's full-object value, else by the extraction). A value that is not
    // 8 bytes is not a CRC64NVME and is not compared (moto without awscrt answers CRC32's 4
    // bytes under that name); the extraction's check still holds.
    auto crc = head->checksums.find(s3::ChecksumAlgorithm::kCrc64Nvme);
    auto value = crc == head->checksums.end() ? std::nullopt : parse_crc64nvme_base64(crc->second);
    if (value && !stored->manifest.archive_crc64nvme.empty()) {
      if (crc64nvme_hex(*value) != stored->manifest.archive_crc64nvme)
        return manifest_mismatch(where, "S3 keeps the CRC64NVME " + crc->second.substr(0, 32) +
                                            " for the object but the manifest says " +
                                            stored->manifest.archive_crc64nvme);
      s3_crc_is_manifests = head->checksum_type == "FULL_OBJECT";
    }
  }
  UnstagePlan plan;
  plan.s3_crc_is_manifests = s3_crc_is_manifests;
  plan.uri = std::move(uri);
  if (stored) plan.manifest = std::move(stored->manifest);
  plan.object_size = head->object_size;
  plan.etag = head->etag;
  return plan;
}

TarExtractorOptions extractor_options(const UnstagePlan& plan) {
  TarExtractorOptions options;
  if (plan.manifest) {
    options.max_files = plan.manifest->file_count;
    options.max_file_bytes = plan.manifest->file_bytes;
    // The SHA-256 pass only for a manifest that has one to check (a version 1 manifest, or a
    // stage with StageOptions::sha256); without a manifest it is reported.
    options.sha256 = !plan.manifest->archive_sha256.empty();
    options.crc64 = !plan.s3_crc_is_manifests;
  }
  return options;
}

Clock& stager_clock(const s3::S3Client& client) { return *client.config().runtime.clock; }

stage::UnstageResult unstage_result(const ArchiveStats& stats, Compression compression, bool manifest_verified,
                                    Clock& clock, SteadyTime started) {
  stage::UnstageResult result;
  result.entries = stats.entries;
  result.files = stats.files;
  result.file_bytes = stats.file_bytes;
  result.archive_bytes = stats.archive_bytes;
  result.archive_crc64nvme = stats.archive_crc64nvme;
  result.archive_sha256 = stats.archive_sha256;
  result.compression = to_public(compression);
  result.manifest_verified = manifest_verified;
  result.duration =
      std::chrono::duration_cast<std::chrono::milliseconds>(clock.steady_now() - started);
  return result;
}

}  // namespace awsdl::internal

namespace awsdl::stage {

Result<UnstageResult> Stager::unstage(std::string_view s3_uri, const std::string& directory,
                                      const UnstageOptions& options) const {
  Clock& clock = internal::stager_clock(client_);
  const SteadyTime started = clock.steady_now();
  AWSDL_ASSIGN_OR_RETURN(internal::UnstagePlan plan, internal::prepare_unstage(client_, s3_uri, directory, options));
  const s3::S3Uri& uri = plan.uri;
  const std::string where = uri.to_string();

  // Extracted into a staging directory inside the target, moved into place once verified;
  // on any failure (or cancellation) the area is discarded and the target stays as it was.
  AWSDL_ASSIGN_OR_RETURN(internal::StagingArea area, internal::StagingArea::create(directory));
  AWSDL_ASSIGN_OR_RETURN(internal::TarExtractor extractor,
                         internal::TarExtractor::open(area.path(), internal::extractor_options(plan)));

  s3::TransferOptions transfer;
  transfer.part_size = options.part_size;
  transfer.multipart_threshold = options.part_size;
  transfer.concurrency = options.concurrency;
  transfer.cancel = options.call.cancel;
  transfer.deadline = options.call.deadline;
  s3::TransferManager manager(client_, transfer);

  std::optional<Error> extract_error;
  UnstageProgress progress{0, plan.object_size};
  // Ranges arrive whole (part_size bytes); the extractor copies what it is given, so it is
  // fed in slices to keep that copy, and its queue, small.
  constexpr std::size_t kSlice = std::size_t{1} << 20;
  http::BodySink sink = [&](std::string_view chunk) -> Status {
    while (!chunk.empty()) {
      const std::string_view slice = chunk.substr(0, kSlice);
      if (auto s = extractor.write(slice); !s) {
        extract_error = s.error();
        return s;
      }
      chunk.remove_prefix(slice.size());
      progress.bytes_done += slice.size();
      if (options.on_progress) options.on_progress(progress);
    }
    return {};
  };
  auto downloaded = manager.download_stream(uri.bucket, uri.key, sink);
  if (extract_error) return internal::with_context(*extract_error, "unstaging " + where + " into " + directory);
  if (!downloaded) return internal::with_context(std::move(downloaded).error(), "unstaging " + where);
  if (!plan.etag.empty() && !downloaded->etag.empty() && downloaded->etag != plan.etag)
    return Error::make(ErrorKind::kIo, "ArchiveChanged", where + " was replaced while it was being unstaged");
  if (auto finished = extractor.finish(); !finished)
    return internal::with_context(std::move(finished).error(), "unstaging " + where + " into " + directory);

  internal::ArchiveStats stats = extractor.stats();
  if (plan.s3_crc_is_manifests) {
    // The extractor left the CRC to the download, which checked the bytes against S3's value,
    // the manifest's.
    if (!downloaded->checksum_verified)
      return Error::make(ErrorKind::kIo, "ArchiveNotVerified",
                         "unstaging " + where + ": S3 keeps a CRC64NVME for it, but the download did not check the "
                                                "bytes against it");
    stats.archive_crc64nvme = plan.manifest->archive_crc64nvme;
  }
  if (plan.manifest) {
    if (auto verified = internal::verify_manifest(*plan.manifest, stats, extractor.compression()); !verified)
      return internal::with_context(std::move(verified).error(), "unstaging " + where);
  }
  if (auto committed = area.commit(); !committed)
    return internal::with_context(std::move(committed).error(), "unstaging " + where + " into " + directory);

  return internal::unstage_result(stats, extractor.compression(), plan.manifest.has_value(), clock, started);
}

}  // namespace awsdl::stage
