// Security groups: SSH reaches only the master and only from the given CIDR; master and
// workers reach each other on every port (MPI, NCCL, SSH between nodes), in and out among
// the workers when they use EFA; only they reach EFS, on NFS (2049).
#include "cluster/template_parts.hpp"

namespace awsdl::internal::cfn {

namespace {
constexpr int kSshPort = 22;
constexpr int kNfsPort = 2049;

Json all_traffic_from(std::string_view to_group, std::string_view from_group, std::string_view description) {
  return resource("AWS::EC2::SecurityGroupIngress",
                  Json::object({{"GroupId", get_att(to_group, "GroupId")},
                                {"IpProtocol", "-1"},
                                {"SourceSecurityGroupId", get_att(from_group, "GroupId")},
                                {"Description", description}}));
}
}  // namespace

void add_security(Builder& b) {
  b.add(kMasterSecurityGroup,
        resource("AWS::EC2::SecurityGroup",
                 Json::object({{"GroupDescription", "awsdl cluster master: SSH from the allowed CIDR, all traffic within the cluster"},
                               {"VpcId", ref(kVpc)},
                               {"SecurityGroupIngress",
                                Json::array({Json::object({{"IpProtocol", "tcp"},
                                                           {"FromPort", kSshPort},
                                                           {"ToPort", kSshPort},
                                                           {"CidrIp", ref(cluster::names::kSshLocation)},
                                                           {"Description", "SSH from the allowed CIDR"}})})},
                               {"Tags", standard_tags("-master")}})));
  b.add(kWorkerSecurityGroup,
        resource("AWS::EC2::SecurityGroup",
                 Json::object({{"GroupDescription", "awsdl cluster workers: all traffic within the cluster, nothing from outside"},
                               {"VpcId", ref(kVpc)},
                               {"Tags", standard_tags("-workers")}})));
  // Separate ingress resources: inline rules naming each other's groups would be a cycle.
  b.add("MasterFromMasterIngress", all_traffic_from(kMasterSecurityGroup, kMasterSecurityGroup, "all traffic among master nodes"));
  b.add("MasterFromWorkersIngress", all_traffic_from(kMasterSecurityGroup, kWorkerSecurityGroup, "all traffic from the workers"));
  b.add("WorkersFromWorkersIngress", all_traffic_from(kWorkerSecurityGroup, kWorkerSecurityGroup, "all traffic among the workers"));
  b.add("WorkersFromMasterIngress", all_traffic_from(kWorkerSecurityGroup, kMasterSecurityGroup, "all traffic from the master"));

  // EFA's OS-bypass traffic needs the workers' group to let itself in (above) and out.
  if (b.efa)
    b.add("WorkersToWorkersEgress",
          resource("AWS::EC2::SecurityGroupEgress",
                   Json::object({{"GroupId", get_att(kWorkerSecurityGroup, "GroupId")},
                                 {"IpProtocol", "-1"},
                                 {"DestinationSecurityGroupId", get_att(kWorkerSecurityGroup, "GroupId")},
                                 {"Description", "all traffic among the workers (EFA)"}})));
  if (!b.efs()) return;

  auto nfs_from = [](std::string_view group, std::string_view description) {
    return Json::object({{"IpProtocol", "tcp"},
                         {"FromPort", kNfsPort},
                         {"ToPort", kNfsPort},
                         {"SourceSecurityGroupId", get_att(group, "GroupId")},
                         {"Description", description}});
  };
  b.add(kEfsSecurityGroup,
        resource("AWS::EC2::SecurityGroup",
                 Json::object({{"GroupDescription", "awsdl cluster EFS mount target: NFS from the master and the workers"},
                               {"VpcId", ref(kVpc)},
                               {"SecurityGroupIngress", Json::array({nfs_from(kMasterSecurityGroup, "NFS from the master"),
                                                                     nfs_from(kWorkerSecurityGroup, "NFS from the workers")})},
                               {"Tags", standard_tags("-efs")}})));
}

}  // namespace awsdl::internal::cfn
