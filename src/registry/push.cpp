#include "awsdl/registry/push.hpp"

#include <atomic>
#include <algorithm>
#include <mutex>
#include <thread>

#include "util/crypto.hpp"
#include "util/json.hpp"
#include "registry/blob_upload.hpp"
#include "registry/image_source.hpp"
#include "registry/registry_client.hpp"

namespace awsdl::registry {
namespace {

using internal::ImageSource;
using internal::RemoteHint;

constexpr const char* kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
constexpr const char* kOciManifest = "application/vnd.oci.image.manifest.v1+json";
constexpr const char* kOciConfig = "application/vnd.oci.image.config.v1+json";
constexpr const char* kOciLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";

// Repository path components: lower-case alphanumerics separated by . _ __ - and /.
bool valid_repository(const std::string& r) {
  if (r.empty() || r.size() > 255 || r.front() == '/' || r.back() == '/') return false;
  char prev = '/';
  for (char c : r) {
    bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    bool sep = c == '.' || c == '_' || c == '-' || c == '/';
    if (!alnum && !sep) return false;
    if (sep && (prev == '/' || (c == '/' && !(prev >= 'a' && prev <= 'z') && !(prev >= '0' && prev <= '9')))) {
      if (!(c == '_' && prev == '_')) return false;
    }
    prev = c;
  }
  return true;
}

bool valid_tag(const std::string& t) {
  if (t.empty() || t.size() > 128) return false;
  for (std::size_t i = 0; i < t.size(); ++i) {
    char c = t[i];
    bool word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!word && (i == 0 || (c != '.' && c != '-'))) return false;
  }
  return true;
}

// The layers of the manifest the tag points at now, when it was made from the same config:
// docker-save layers are compressed here, so their pushed digests are only known this way.
std::vector<std::optional<RemoteHint>> previous_layers(internal::RegistryClient& client, const ImageSource& src,
                                                       const std::string& tag) {
  std::vector<std::optional<RemoteHint>> hints(src.layers.size());
  auto r = client.make("GET", "/v2/" + client.repository() + "/manifests/" + tag);
  r.headers.set("Accept", std::string(kDockerManifest) + ", " + kOciManifest);
  auto resp = client.send(r);
  if (!resp || resp->status != 200) return hints;
  auto doc = internal::JsonDocument::parse(resp->body, "existing manifest");
  if (!doc) return hints;
  const auto* config = internal::json_object(doc->root(), "config");
  const auto* layers = internal::json_array(doc->root(), "layers");
  if (!config || !layers || internal::json_string_or(*config, "digest") != src.config.expected_digest ||
      layers->Size() != src.layers.size())
    return hints;
  for (rapidjson::SizeType i = 0; i < layers->Size(); ++i) {
    auto digest = internal::json_string_or((*layers)[i], "digest");
    auto size = internal::json_int((*layers)[i], "size");
    if (internal::is_sha256_digest(digest) && size && *size >= 0 && src.layers[i].gzip)
      hints[i] = RemoteHint{digest, static_cast<std::uint64_t>(*size)};
  }
  return hints;
}

std::string build_manifest(const ImageSource& src, const std::vector<PushedBlob>& blobs, bool oci) {
  internal::JsonWriter w;
  w.start_object().field("schemaVersion", 2).field("mediaType", oci ? kOciManifest : kDockerManifest);
  auto descriptor = [&](const PushedBlob& b, const std::string& media) {
    w.start_object().field("mediaType", media).field("size", static_cast<std::int64_t>(b.size)).field("digest", b.digest).end_object();
  };
  w.key("config");
  descriptor(blobs[0], oci ? kOciConfig : src.config.media_type);
  w.key("layers").start_array();
  for (std::size_t i = 1; i < blobs.size(); ++i) descriptor(blobs[i], oci ? kOciLayerGzip : blobs[i].media_type);
  w.end_array().end_object();
  return w.str();
}

}  // namespace

Result<RegistryCredentials> decode_basic_token(const std::string& token) {
  auto decoded = internal::base64_decode(token);
  auto colon = decoded ? decoded->find(':') : std::string::npos;
  if (!decoded || colon == std::string::npos)
    return Error::make(ErrorKind::kCredentials, "MalformedRegistryToken", "the registry token is not base64 of user:password");
  return RegistryCredentials{decoded->substr(0, colon), decoded->substr(colon + 1)};
}

Result<PushResult> push_image(const std::string& source, const PushOptions& options) {
  return push_image(Config{}, source, options);
}

Result<PushResult> push_image(const Config& config, const std::string& source, const PushOptions& options) {
  if (!valid_repository(options.repository))
    return Error::invalid_argument("InvalidRepository", "invalid repository name '" + options.repository + "'");
  if (!valid_tag(options.tag)) return Error::invalid_argument("InvalidTag", "invalid tag '" + options.tag + "'");
  if (options.parallel_uploads == 0 || config.retry.max_attempts < 1 || options.gzip_level < 0 || options.gzip_level > 9)
    return Error::invalid_argument("InvalidPushOptions",
                                   "parallel_uploads, gzip_level and the Config's retry.max_attempts must be in range");

  AWSDL_ASSIGN_OR_RETURN(auto src, internal::open_image_source(source, options.source_tag));
  const bool docker_save = src.kind == ImageSource::Kind::kDockerSave;
  if (!docker_save && options.format == ManifestFormat::kDockerV2 && src.manifest_media_type != kDockerManifest)
    return Error::invalid_argument("FormatConversionUnsupported",
                                   "an OCI layout is pushed with its own manifest; it cannot be converted to Docker v2");
  const bool oci_out = docker_save ? options.format == ManifestFormat::kOci : true;

  internal::RegistryClient client(options, config);
  AWSDL_TRY(client.connect());

  std::vector<std::optional<RemoteHint>> hints(src.layers.size());
  if (docker_save) hints = previous_layers(client, src, options.tag);

  // Blob 0 is the config, then the layers in order.
  std::vector<const internal::SourceBlob*> work{&src.config};
  for (const auto& l : src.layers) work.push_back(&l);
  std::vector<PushedBlob> pushed(work.size());
  std::vector<std::optional<Error>> errors(work.size());
  std::atomic<std::size_t> next{0};
  std::atomic<bool> stop{false};
  std::mutex emit_mu;
  internal::EmitFn emit;
  if (options.on_event) {
    emit = [&](const PushEvent& e) {
      std::lock_guard<std::mutex> lock(emit_mu);
      options.on_event(e);
    };
  }
  // Largest first, so the longest upload starts at once and does not finish last alone.
  std::vector<std::size_t> order(work.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return work[a]->where.size > work[b]->where.size; });

  auto worker = [&] {
    while (!stop.load()) {
      if (options.cancel.cancelled()) {
        stop.store(true);
        break;
      }
      std::size_t k = next.fetch_add(1);
      if (k >= order.size()) break;
      std::size_t i = order[k];
      const auto& blob = *work[i];
      std::optional<RemoteHint> hint = i == 0 ? std::nullopt : hints[i - 1];
      auto r = internal::push_blob(client, blob, hint, emit, stop);
      if (!r) {
        errors[i] = r.error();
        stop.store(true);
        break;
      }
      pushed[i] = PushedBlob{blob.name, r->digest, blob.media_type, r->size, r->uploaded};
    }
  };
  std::size_t threads = std::min(options.parallel_uploads, work.size());
  std::vector<std::thread> pool;
  for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  // The first real failure wins over the cancellations it caused in other workers.
  const Error* first = nullptr;
  for (const auto& e : errors)
    if (e && (!first || (first->kind == ErrorKind::kCancelled && e->kind != ErrorKind::kCancelled))) first = &*e;
  if (first) return *first;
  if (options.cancel.cancelled()) return Error::make(ErrorKind::kCancelled, "Cancelled", "push cancelled");

  PushResult result;
  result.reference = options.registry + "/" + options.repository + ":" + options.tag;
  std::string manifest;
  if (docker_save) {
    manifest = build_manifest(src, pushed, oci_out);
    result.manifest_media_type = oci_out ? kOciManifest : kDockerManifest;
  } else {
    manifest = src.manifest;
    result.manifest_media_type = src.manifest_media_type;
  }
  result.manifest_digest = "sha256:" + internal::sha256_hex(manifest);

  auto put = client.make("PUT", "/v2/" + options.repository + "/manifests/" + options.tag);
  put.headers.set("Content-Type", result.manifest_media_type);
  put.body = manifest;
  AWSDL_ASSIGN_OR_RETURN(auto resp, client.send(put));
  if (resp.status != 201) return client.error_from(resp, "pushing the manifest");
  if (auto got = resp.headers.get("Docker-Content-Digest"); got && !got->empty() && *got != result.manifest_digest)
    return Error::make(ErrorKind::kService, "DigestMismatch", "the registry stored the manifest as " + std::string(*got) +
                                                                  ", expected " + result.manifest_digest);
  if (emit) emit(PushEvent{PushEvent::Kind::kManifestPushed, options.tag, result.manifest_digest, manifest.size(), manifest.size()});

  for (const auto& b : pushed) {
    if (b.uploaded) {
      ++result.blobs_uploaded;
      result.bytes_uploaded += b.size;
    } else {
      ++result.blobs_skipped;
    }
  }
  result.blobs = std::move(pushed);
  return result;
}

}  // namespace awsdl::registry
