#pragma once
// Amazon FSx: the FSx for Lustre file systems a cluster may share instead of EFS. A cluster's
// preflight checks that a file system it reuses exists (DescribeFileSystems). Names follow
// botocore's fsx model.

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

namespace awsdl::fsx {

struct AWSDL_EXPORT FileSystem {
  std::string file_system_id;    // fs-0123456789abcdef0
  std::string file_system_type;  // LUSTRE, WINDOWS, ONTAP, OPENZFS
  std::string lifecycle;         // AVAILABLE, CREATING, FAILED, DELETING, MISCONFIGURED, UPDATING, ...
  std::int64_t storage_capacity_gib = 0;
  std::string vpc_id;
  std::vector<std::string> subnet_ids;
  std::string dns_name;
  std::string lustre_mount_name;       // LustreConfiguration.MountName: what a Lustre client mounts
  std::string lustre_deployment_type;  // SCRATCH_2, PERSISTENT_2, ...
  std::vector<std::pair<std::string, std::string>> tags;  // key, value (awsdl:cluster names its cluster)
};

class AWSDL_EXPORT FsxClient {
 public:
  explicit FsxClient(Config config);

  /// Every file system on every page, or only `file_system_ids` (kService "FileSystemNotFound"
  /// when one does not exist). At most 50 ids.
  Result<std::vector<FileSystem>> describe_file_systems(const std::vector<std::string>& file_system_ids = {},
                                                        const CallOptions& options = {}) const;
  /// DeleteFileSystem, once (no final backup is asked for: a scratch file system has none, and
  /// a persistent one's data goes). kService "FileSystemNotFound" when it is gone.
  Status delete_file_system(const std::string& file_system_id, const CallOptions& options = {}) const;

 private:
  std::shared_ptr<ServiceClient> client_;
};

/// Whether `id` looks like an FSx file system id ("fs-" and at least 8 hex digits, at most 21
/// characters, as botocore's model says).
AWSDL_EXPORT bool valid_file_system_id(const std::string& id);

}  // namespace awsdl::fsx
