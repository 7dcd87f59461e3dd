#pragma once
// Amazon EFS: the file systems a cluster mounts. The lifecycle deletes the one a cluster made
// when asked to; describing them is for callers (and tests) that check what is left.

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "awsdl/config.hpp"
#include "awsdl/core/options.hpp"
#include "awsdl/core/result.hpp"

namespace awsdl {
/// What a service client stands on (signing, retries, endpoints): opaque here.
class ServiceClient;
}  // namespace awsdl

namespace awsdl::efs {

struct AWSDL_EXPORT FileSystem {
  std::string file_system_id;     // fs-0123456789abcdef0
  std::string name;               // its Name tag, when it has one
  std::string life_cycle_state;   // creating, available, updating, deleting, deleted, error
  int number_of_mount_targets = 0;
  std::string creation_token;
  std::string creation_time;      // ISO 8601 (the answer's CreationTime)
  std::vector<std::pair<std::string, std::string>> tags;  // key, value (awsdl:cluster names its cluster)
};

class AWSDL_EXPORT EfsClient {
 public:
  explicit EfsClient(Config config);

  /// Every file system of the account in the region, or only `file_system_id` (kService
  /// "FileSystemNotFound" when it does not exist).
  Result<std::vector<FileSystem>> describe_file_systems(const std::string& file_system_id = {},
                                                        const CallOptions& options = {}) const;
  /// DeleteFileSystem, once. kService "FileSystemInUse" while it still has mount targets
  /// (EFS counts one for a while after it is deleted); "FileSystemNotFound" when it is gone.
  Status delete_file_system(const std::string& file_system_id, const CallOptions& options = {}) const;

 private:
  std::shared_ptr<ServiceClient> client_;
};

/// Whether `id` looks like an EFS file system id ("fs-" and 8 or 17 hex digits).
AWSDL_EXPORT bool valid_file_system_id(const std::string& id);

}  // namespace awsdl::efs
