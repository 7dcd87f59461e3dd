#pragma once
// Pushing a container image to an OCI distribution registry (ECR, docker-registry, any
// other) from a `docker save` tarball or an OCI image layout, without a Docker engine.
//
//   awsdl::registry::PushOptions opts{.registry = "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
//                                     .repository = "train", .tag = "v1",
//                                     .credentials = {{"AWS", password}}};
//   auto r = awsdl::registry::push_image(config, "image.tar", opts);
//
// Like every client, the pusher takes its transport, retries (Config::retry: attempts, full
// jitter backoff) and runtime (clock, sleeper, random) from a Config.
//
// Every input blob is verified against its digest on the way (the OCI layout's blob names,
// the docker-save config name and the config's rootfs.diff_ids); a mismatch fails the push
// before the manifest goes out, so a tag never points at a damaged image.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "awsdl/config.hpp"
#include "awsdl/core/result.hpp"
#include "awsdl/core/runtime.hpp"
#include "awsdl/export.hpp"

namespace awsdl::registry {

/// User name and password. ECR's authorization token is base64("AWS:<password>"): decode it
/// (decode_basic_token) and pass the two halves.
struct AWSDL_EXPORT RegistryCredentials {
  std::string username;
  std::string password;
};

/// Splits a base64 "user:password" token (ECR's GetAuthorizationToken answer).
AWSDL_EXPORT Result<RegistryCredentials> decode_basic_token(const std::string& token);

/// What the pushed manifest looks like. kAuto: Docker v2 schema 2 for docker-save input,
/// the layout's own manifest for OCI input.
enum class ManifestFormat { kAuto, kDockerV2, kOci };

struct AWSDL_EXPORT PushEvent {
  enum class Kind {
    kBlobSkipped,   // the registry already had it
    kBlobStarted,
    kBlobProgress,  // bytes = source bytes read so far
    kBlobDone,
    kManifestPushed,
  };
  Kind kind = Kind::kBlobStarted;
  std::string name;    // the blob's name in the source (a tar member or blobs/sha256/...)
  std::string digest;  // the pushed digest when known (always for kBlobDone / kBlobSkipped)
  std::uint64_t bytes = 0;
  std::uint64_t total = 0;  // source size
};

struct AWSDL_EXPORT PushOptions {
  std::string registry;    // host[:port]
  std::string repository;  // "team/train"
  std::string tag = "latest";
  std::optional<RegistryCredentials> credentials;
  /// Plain HTTP; refused unless the registry host is a loopback address.
  bool insecure = false;
  /// For OCI layouts with several images: the org.opencontainers.image.ref.name to push.
  std::string source_tag;
  ManifestFormat format = ManifestFormat::kAuto;
  std::size_t parallel_uploads = 4;
  /// gzip effort for layers that docker-save stores uncompressed: 0 (fastest) .. 9 (smallest),
  /// served by isa-l's igzip levels (0 -> 0, 1 -> 1, 2-5 -> 2, 6-9 -> 3).
  int gzip_level = 1;
  /// Known blobs larger than this go up in PATCH chunks of this size; smaller ones in one PUT.
  std::uint64_t chunk_size = 64ull << 20;
  /// Also re-hash source blobs the registry already has. Off by default: a skipped blob is
  /// never read, and what the manifest references is the registry's copy (found by digest,
  /// or for docker-save layers through the manifest of the same config digest), so a damaged
  /// local copy cannot reach the pushed image; on, it reports local damage anyway.
  bool verify_skipped = false;
  /// Called from worker threads, one call at a time.
  std::function<void(const PushEvent&)> on_event;
  CancellationToken cancel;
};

struct AWSDL_EXPORT PushedBlob {
  std::string name;
  std::string digest;
  std::string media_type;
  std::uint64_t size = 0;  // as stored in the registry
  bool uploaded = false;   // false: the registry already had it
};

struct AWSDL_EXPORT PushResult {
  std::string manifest_digest;
  std::string manifest_media_type;
  std::string reference;  // registry/repository:tag
  std::vector<PushedBlob> blobs;
  std::size_t blobs_uploaded = 0;
  std::size_t blobs_skipped = 0;
  std::uint64_t bytes_uploaded = 0;  // blob bytes sent (after compression)
};

/// `source`: a docker-save tarball, an OCI layout directory, or an OCI layout tarball.
/// `config` gives the transport (a new curl transport, with config.ca_bundle, when it has
/// none), the retries (config.retry.max_attempts per request and per blob upload, the
/// standard full-jitter backoff) and the runtime; its region and credentials are not used.
AWSDL_EXPORT Result<PushResult> push_image(const Config& config, const std::string& source, const PushOptions& options);
/// The same with a default Config, for a registry outside AWS.
AWSDL_EXPORT Result<PushResult> push_image(const std::string& source, const PushOptions& options);

}  // namespace awsdl::registry
