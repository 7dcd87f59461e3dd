// Shared storage: an EFS file system (created and retained when the stack is deleted, so
// data outlives the cluster; or an existing one reused) with a mount target in the
// cluster's availability zone.
#include "cluster/template_parts.hpp"

namespace awsdl::internal::cfn {

Json Builder::file_system_id() const { return ref(reuse_efs() ? cluster::names::kEfsId : kFileSystem); }

void add_storage(Builder& b) {
  if (!b.reuse_efs()) {
    Json fs = resource("AWS::EFS::FileSystem",
                       Json::object({{"Encrypted", true},
                                     {"PerformanceMode", "generalPurpose"},
                                     {"ThroughputMode", "elastic"},
                                     {"FileSystemTags", standard_tags("-efs")}}));
    fs.set("DeletionPolicy", "Retain");
    fs.set("UpdateReplacePolicy", "Retain");
    b.add(kFileSystem, std::move(fs));
  }
  b.add(kMountTarget, resource("AWS::EFS::MountTarget", Json::object({{"FileSystemId", b.file_system_id()},
                                                                      {"SubnetId", ref(kPrivateSubnet)},
                                                                      {"SecurityGroups", Json::array({ref(kEfsSecurityGroup)})}})));
}

}  // namespace awsdl::internal::cfn
