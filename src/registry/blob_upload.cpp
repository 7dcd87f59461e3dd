#include "registry/blob_upload.hpp"

#include <memory>
#include <vector>

#include "registry/blob_reader.hpp"
#include "registry/gzip_body.hpp"

namespace awsdl::internal {
namespace {

using registry::PushEvent;

std::string with_digest(const std::string& query, const std::string& digest) {
  std::string d = digest;
  auto colon = d.find(':');
  if (colon != std::string::npos) d.replace(colon, 1, "%3A");
  return query.empty() ? "digest=" + d : query + "&digest=" + d;
}

Error cancelled() { return Error::make(ErrorKind::kCancelled, "Cancelled", "push cancelled"); }

// Starts an upload session; returns its Location.
Result<std::string> start_upload(RegistryClient& client) {
  auto r = client.make("POST", "/v2/" + client.repository() + "/blobs/uploads/");
  r.headers.set("Content-Length", "0");
  AWSDL_ASSIGN_OR_RETURN(auto resp, client.send(r));
  if (resp.status != 202) return client.error_from(resp, "starting a blob upload");
  auto loc = resp.headers.get("Location");
  if (!loc || loc->empty())
    return Error::make(ErrorKind::kParse, "RegistryProtocolError", "the registry started an upload without a Location");
  return std::string(*loc);
}

void abandon(RegistryClient& client, const std::string& location) {
  if (auto r = client.at_location("DELETE", location)) (void)client.send_once(*r);
}

std::string next_location(const http::Response& resp, const std::string& current) {
  auto loc = resp.headers.get("Location");
  return loc && !loc->empty() ? std::string(*loc) : current;
}

Result<void> finish_upload(RegistryClient& client, const std::string& location, const std::string& digest,
                           const std::string& what) {
  AWSDL_ASSIGN_OR_RETURN(auto r, client.at_location("PUT", location));
  r.query = with_digest(r.query, digest);
  r.headers.set("Content-Length", "0");
  AWSDL_ASSIGN_OR_RETURN(auto resp, client.send_once(r));
  if (resp.status != 201) return client.error_from(resp, "completing the upload of " + what);
  if (auto got = resp.headers.get("Docker-Content-Digest"); got && !got->empty() && *got != digest)
    return Error::make(ErrorKind::kService, "DigestMismatch",
                       "the registry stored " + what + " as " + std::string(*got) + ", expected " + digest);
  return {};
}

struct Progress {
  const EmitFn& emit;
  const SourceBlob& blob;
  std::uint64_t reported = 0;
  void operator()(std::uint64_t bytes, bool force = false) {
    if (!emit || (!force && bytes - reported < (8u << 20))) return;
    reported = bytes;
    emit(PushEvent{PushEvent::Kind::kBlobProgress, blob.name, {}, bytes, blob.where.size});
  }
};

// One attempt at uploading a blob whose digest is known: one PUT, or PATCH chunks + PUT.
Result<std::uint64_t> upload_known(RegistryClient& client, const SourceBlob& blob, const std::string& digest,
                                   const EmitFn& emit, const std::atomic<bool>& stop) {
  AWSDL_ASSIGN_OR_RETURN(auto location, start_upload(client));
  AWSDL_ASSIGN_OR_RETURN(auto reader, BlobReader::open(blob.where));
  Progress progress{emit, blob};
  const std::uint64_t size = blob.where.size;
  const std::uint64_t chunk = client.options().chunk_size > 0 ? client.options().chunk_size : size;
  // The body checks the digest before its last byte goes: a damaged source never completes.
  auto body_for = [&](std::uint64_t begin, std::uint64_t end) {
    reader.range(begin, end);
    return [&, end](char* buf, std::size_t len) -> Result<std::size_t> {
      if (stop.load()) return cancelled();
      if (reader.position() == end && end == size) return std::size_t{0};
      std::size_t want = len;
      AWSDL_ASSIGN_OR_RETURN(auto n, reader.read(buf, want));
      progress(reader.position());
      if (reader.position() == size) {
        std::string got = reader.digest();
        if (got != digest)
          return Error::make(ErrorKind::kParse, "DigestMismatch",
                             "blob '" + blob.name + "' has digest " + got + ", expected " + digest);
      }
      return n;
    };
  };
  auto fail = [&](Error e) -> Result<std::uint64_t> {
    abandon(client, location);
    return e;
  };
  if (size <= chunk) {
    auto put = client.at_location("PUT", location);
    if (!put) return fail(put.error());
    put->query = with_digest(put->query, digest);
    put->headers.set("Content-Type", "application/octet-stream");
    put->body_source = body_for(0, size);
    put->body_length = size;
    auto resp = client.send_once(*put);
    if (!resp) return fail(resp.error());
    if (resp->status != 201) return fail(client.error_from(*resp, "uploading blob '" + blob.name + "'"));
    progress(size, true);
    return size;
  }
  for (std::uint64_t begin = 0; begin < size; begin += chunk) {
    std::uint64_t end = std::min(size, begin + chunk);
    auto patch = client.at_location("PATCH", location);
    if (!patch) return fail(patch.error());
    patch->headers.set("Content-Type", "application/octet-stream");
    patch->headers.set("Content-Range", std::to_string(begin) + "-" + std::to_string(end - 1));
    patch->body_source = body_for(begin, end);
    patch->body_length = end - begin;
    auto resp = client.send_once(*patch);
    if (!resp) return fail(resp.error());
    if (resp->status != 202) return fail(client.error_from(*resp, "uploading a chunk of blob '" + blob.name + "'"));
    location = next_location(*resp, location);
  }
  if (auto s = finish_upload(client, location, digest, "blob '" + blob.name + "'"); !s) return fail(s.error());
  progress(size, true);
  return size;
}

// One attempt at a layer gzip'ed on the fly: POST, one streamed PATCH, PUT ?digest=<compressed>.
Result<BlobOutcome> upload_gzip(RegistryClient& client, const SourceBlob& blob, const EmitFn& emit,
                                const std::atomic<bool>& stop) {
  AWSDL_ASSIGN_OR_RETURN(auto location, start_upload(client));
  auto fail = [&](Error e) -> Result<BlobOutcome> {
    abandon(client, location);
    return e;
  };
  auto body = GzipBody::open(blob.where, blob.expected_digest, client.options().gzip_level, stop);
  if (!body) return fail(body.error());
  GzipBody& gz = **body;
  Progress progress{emit, blob};
  auto patch = client.at_location("PATCH", location);
  if (!patch) return fail(patch.error());
  patch->headers.set("Content-Type", "application/octet-stream");
  patch->body_source = [&](char* buf, std::size_t len) -> Result<std::size_t> {
    AWSDL_ASSIGN_OR_RETURN(auto n, gz.read(buf, len));
    progress(gz.raw_read());
    return n;
  };
  auto resp = client.send_once(*patch);
  if (!resp) return fail(resp.error());
  if (resp->status != 202) return fail(client.error_from(*resp, "uploading layer '" + blob.name + "'"));
  if (!gz.finished())
    return fail(Error::make(ErrorKind::kNetwork, "UploadIncomplete", "the registry answered before layer '" + blob.name + "' was sent", true));
  location = next_location(*resp, location);
  BlobOutcome out{gz.compressed_digest(), gz.compressed_size(), true};
  if (auto s = finish_upload(client, location, out.digest, "layer '" + blob.name + "'"); !s) return fail(s.error());
  progress(blob.where.size, true);
  return out;
}

// Retries a whole-blob attempt while the failure is transient.
template <typename F>
auto with_retries(RegistryClient& client, const SourceBlob& blob, F&& attempt) -> decltype(attempt()) {
  return retry(client.runtime(), client.retry_policy("uploading blob '" + blob.name + "'"),
               [&](int) { return attempt(); });
}

}  // namespace

Result<bool> blob_exists(RegistryClient& client, const std::string& digest) {
  auto r = client.make("HEAD", "/v2/" + client.repository() + "/blobs/" + digest);
  AWSDL_ASSIGN_OR_RETURN(auto resp, client.send(r));
  if (resp.status == 200) return true;
  if (resp.status == 404) return false;
  return client.error_from(resp, "checking blob " + digest);
}

Result<BlobOutcome> push_blob(RegistryClient& client, const SourceBlob& blob, const std::optional<RemoteHint>& hint,
                              const EmitFn& emit, const std::atomic<bool>& stop) {
  const bool verify = client.options().verify_skipped;
  auto skipped = [&](std::string digest, std::uint64_t size) -> Result<BlobOutcome> {
    if (emit) emit(PushEvent{PushEvent::Kind::kBlobSkipped, blob.name, digest, size, blob.where.size});
    return BlobOutcome{std::move(digest), size, false};
  };
  auto verify_source = [&](const std::string& expected) -> Result<void> {
    Progress progress{emit, blob};
    AWSDL_ASSIGN_OR_RETURN(auto got, hash_blob(blob.where, [&](std::uint64_t b) { progress(b); }, stop));
    if (got != expected)
      return Error::make(ErrorKind::kParse, "DigestMismatch",
                         "blob '" + blob.name + "' has digest " + got + ", expected " + expected);
    return {};
  };

  if (blob.gzip) {
    if (hint) {
      AWSDL_ASSIGN_OR_RETURN(bool have, blob_exists(client, hint->digest));
      if (have) {
        if (verify) AWSDL_TRY(verify_source(blob.expected_digest));
        return skipped(hint->digest, hint->size);
      }
    }
    if (emit) emit(PushEvent{PushEvent::Kind::kBlobStarted, blob.name, {}, 0, blob.where.size});
    AWSDL_ASSIGN_OR_RETURN(auto out, with_retries(client, blob, [&] { return upload_gzip(client, blob, emit, stop); }));
    if (emit) emit(PushEvent{PushEvent::Kind::kBlobDone, blob.name, out.digest, out.size, blob.where.size});
    return out;
  }

  std::string digest = blob.expected_digest;
  bool hashed = false;
  if (digest.empty()) {
    AWSDL_ASSIGN_OR_RETURN(digest, hash_blob(blob.where, nullptr, stop));
    hashed = true;
  }
  AWSDL_ASSIGN_OR_RETURN(bool have, blob_exists(client, digest));
  if (have) {
    if (verify && !hashed) AWSDL_TRY(verify_source(digest));
    return skipped(digest, blob.where.size);
  }
  if (emit) emit(PushEvent{PushEvent::Kind::kBlobStarted, blob.name, digest, 0, blob.where.size});
  AWSDL_ASSIGN_OR_RETURN(auto size, with_retries(client, blob, [&] { return upload_known(client, blob, digest, emit, stop); }));
  if (emit) emit(PushEvent{PushEvent::Kind::kBlobDone, blob.name, digest, size, blob.where.size});
  return BlobOutcome{digest, size, true};
}

}  // namespace awsdl::internal
