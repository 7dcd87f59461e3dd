#pragma once
// One blob to the registry: HEAD to skip what it has, else POST an upload session, then a
// monolithic PUT, PATCH chunks, or (for layers gzip'ed on the fly) one streamed PATCH, and
// the final PUT ?digest=. Whole-blob retries on network errors and 5xx.

#include <atomic>
#include <functional>
#include <optional>
#include <string>

#include "awsdl/registry/push.hpp"
#include "registry/image_source.hpp"
#include "registry/registry_client.hpp"

namespace awsdl::internal {

/// A digest and size the registry may already hold for a layer (from the manifest at the tag).
struct RemoteHint {
  std::string digest;
  std::uint64_t size = 0;
};

struct BlobOutcome {
  std::string digest;
  std::uint64_t size = 0;
  bool uploaded = false;
};

using EmitFn = std::function<void(const registry::PushEvent&)>;

Result<BlobOutcome> push_blob(RegistryClient& client, const SourceBlob& blob, const std::optional<RemoteHint>& hint,
                              const EmitFn& emit, const std::atomic<bool>& stop);

/// Whether the repository has the blob (HEAD).
Result<bool> blob_exists(RegistryClient& client, const std::string& digest);

}  // namespace awsdl::internal
