// Shared storage: an EFS file system (created and retained when the stack is deleted, so
// data outlives the cluster; or an existing one reused) with a mount target in the
// cluster's availability zone; or FSx for Lustre (Lustre 2.15, created in the private subnet
// and deleted with the stack, which is only done when asked; with an S3 data repository
// association when asked; or an existing one reused); or nothing (shared = none: node-local
// disks only).
#include "cluster/template_parts.hpp"

namespace awsdl::internal::cfn {

namespace {
// Lustre's ports: 988 for the servers, 1018-1023 for the clients' privileged ports.
constexpr int kLustrePort = 988;
constexpr int kLustreClientLow = 1018;
constexpr int kLustreClientHigh = 1023;

void add_efs(Builder& b) {
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

Json lustre_rule(std::string_view peer_key, Json peer, int from, int to, std::string_view description) {
  return Json::object({{"IpProtocol", "tcp"}, {"FromPort", from}, {"ToPort", to}, {peer_key, std::move(peer)},
                       {"Description", description}});
}

void add_lustre(Builder& b) {
  if (b.reuse_fsx()) return;  // its own security groups must let the cluster's subnets in
  // The file system's servers talk to each other, and the nodes to them, on Lustre's ports.
  Json ingress = Json::array();
  for (auto [group, who] : {std::pair{kMasterSecurityGroup, "the master"}, std::pair{kWorkerSecurityGroup, "the workers"}}) {
    ingress.push(lustre_rule("SourceSecurityGroupId", get_att(group, "GroupId"), kLustrePort, kLustrePort,
                             std::string("Lustre from ") + who));
    ingress.push(lustre_rule("SourceSecurityGroupId", get_att(group, "GroupId"), kLustreClientLow, kLustreClientHigh,
                             std::string("Lustre clients from ") + who));
  }
  b.add(kLustreSecurityGroup,
        resource("AWS::EC2::SecurityGroup",
                 Json::object({{"GroupDescription", "awsdl cluster FSx for Lustre: Lustre from the master and the workers"},
                               {"VpcId", ref(kVpc)},
                               {"SecurityGroupIngress", std::move(ingress)},
                               {"Tags", standard_tags("-fsx")}})));
  // Rules naming their own group are separate resources (an inline one would be a cycle).
  auto self = [&](int from, int to, std::string_view description) {
    Json rule = lustre_rule("SourceSecurityGroupId", get_att(kLustreSecurityGroup, "GroupId"), from, to, description);
    rule.set("GroupId", get_att(kLustreSecurityGroup, "GroupId"));
    return resource("AWS::EC2::SecurityGroupIngress", std::move(rule));
  };
  b.add("LustreFromLustreIngress", self(kLustrePort, kLustrePort, "Lustre among the file system's servers"));
  b.add("LustreClientsFromLustreIngress",
        self(kLustreClientLow, kLustreClientHigh, "Lustre client ports among the file system's servers"));

  const auto& f = b.spec.fsx;
  Json lustre = Json::object({{"DeploymentType", f.deployment}});
  if (f.deployment == "PERSISTENT_2") lustre.set("PerUnitStorageThroughput", 125);  // the lowest tier, MB/s per TiB
  lustre.set("DataCompressionType", "LZ4");
  Json fs = resource("AWS::FSx::FileSystem",
                     Json::object({{"FileSystemType", "LUSTRE"},
                                   {"FileSystemTypeVersion", "2.15"},
                                   {"StorageCapacity", f.capacity_gib},
                                   {"StorageType", "SSD"},
                                   {"SubnetIds", Json::array({ref(kPrivateSubnet)})},
                                   {"SecurityGroupIds", Json::array({ref(kLustreSecurityGroup)})},
                                   {"LustreConfiguration", std::move(lustre)},
                                   {"Tags", standard_tags("-fsx")}}));
  // Deleted with the stack (CloudFormation's default): the file system's interfaces live in
  // the stack's private subnet and security group, which cannot be deleted while it stays
  // (DependencyViolation), so it cannot outlive the stack as EFS does. Clusters::remove deletes
  // a cluster with a created one only when asked (DeleteOptions::delete_file_system).
  // The file system's servers must reach each other before it can come up.
  fs.set("DependsOn", Json::array({Json("LustreFromLustreIngress"), Json("LustreClientsFromLustreIngress")}));
  b.add(kLustreFileSystem, std::move(fs));
  // The S3 location is linked by a data repository association (Lustre 2.12 and later; the
  // legacy ImportPath is for 2.10 file systems only), its objects listed at creation and kept
  // in step with the bucket.
  if (!f.import_path.empty()) {
    Json dra = resource(
        "AWS::FSx::DataRepositoryAssociation",
        Json::object({{"FileSystemId", ref(kLustreFileSystem)},
                      {"FileSystemPath", "/"},
                      {"DataRepositoryPath", f.import_path},
                      {"BatchImportMetaDataOnCreate", true},
                      {"S3", Json::object({{"AutoImportPolicy",
                                            Json::object({{"Events", Json::array({Json("NEW"), Json("CHANGED"),
                                                                                  Json("DELETED")})}})}})}}));
    b.add(kLustreRepository, std::move(dra));
  }
}
}  // namespace

Json Builder::file_system_id() const { return ref(reuse_efs() ? cluster::names::kEfsId : kFileSystem); }

std::string Builder::storage_dependency() const {
  if (efs()) return kMountTarget;
  if (fsx() && !reuse_fsx()) return spec.fsx.import_path.empty() ? kLustreFileSystem : kLustreRepository;
  return {};
}

void add_storage(Builder& b) {
  if (b.efs()) add_efs(b);
  if (b.fsx()) add_lustre(b);
}

}  // namespace awsdl::internal::cfn
