// The template's capacity shapes (issue 15): several instance types and spot through the
// worker group's MixedInstancesPolicy, candidate zones as the zone parameter, a spot master,
// capacity reservations and Capacity Blocks, EFA on every network card, FSx for Lustre and
// no shared storage. (cfnspec and cfn-lint check the same shapes: tests/integration/cfn_spec_test.)
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <set>
#include <string>
#include <vector>

#include "awsdl/cluster/template.hpp"
#include "cluster/template_parts.hpp"
#include "support/cluster_specs.hpp"

namespace awsdl::cluster {
namespace {

using rapidjson::Value;

struct Parsed {
  std::string body;
  rapidjson::Document doc;
  std::vector<std::pair<std::string, std::string>> parameters;
};

Parsed build(const ClusterSpec& spec, const TemplateInputs& inputs = {}) {
  auto t = build_template(spec, inputs);
  EXPECT_TRUE(t.ok()) << (t.ok() ? "" : t.error().to_string());
  Parsed p;
  if (!t.ok()) return p;
  p.body = t->body;
  p.parameters = t->parameters;
  p.doc.Parse(p.body.c_str());
  EXPECT_FALSE(p.doc.HasParseError());
  return p;
}

Parsed variant(const std::string& name) {
  for (auto& [n, v] : testing::capacity_template_specs())
    if (n == name) return build(v.first, v.second);
  ADD_FAILURE() << "no variant " << name;
  return {};
}

const Value& res(const Parsed& p, const char* id) {
  static const Value kNull;
  const auto& r = p.doc["Resources"];
  auto it = r.FindMember(id);
  EXPECT_NE(it, r.MemberEnd()) << "no resource " << id;
  return it == r.MemberEnd() ? kNull : it->value;
}

bool has_resource(const Parsed& p, const char* id) { return p.doc["Resources"].HasMember(id); }
std::string str(const Value& v) { return v.IsString() ? v.GetString() : ""; }
std::string ref_of(const Value& v) { return v.IsObject() && v.HasMember("Ref") ? str(v["Ref"]) : ""; }
const Value& props(const Parsed& p, const char* id) { return res(p, id)["Properties"]; }
const Value& lt_data(const Parsed& p, const char* id) { return props(p, id)["LaunchTemplateData"]; }

std::string param(const Parsed& p, const std::string& name) {
  for (const auto& [k, v] : p.parameters)
    if (k == name) return v;
  return "(absent)";
}

std::set<std::string> depends_on(const Parsed& p, const char* id) {
  std::set<std::string> out;
  for (const auto& d : res(p, id)["DependsOn"].GetArray()) out.insert(d.GetString());
  return out;
}

std::set<std::string> resource_types(const Parsed& p) {
  std::set<std::string> out;
  for (const auto& m : p.doc["Resources"].GetObject()) out.insert(m.value["Type"].GetString());
  return out;
}

TEST(ClusterTemplateCapacity, OneOnDemandTypeKeepsThePlainLaunchTemplate) {
  auto p = build(testing::default_cluster_spec());
  EXPECT_TRUE(props(p, "WorkerGroup").HasMember("LaunchTemplate"));
  EXPECT_FALSE(props(p, "WorkerGroup").HasMember("MixedInstancesPolicy"));
  EXPECT_FALSE(p.doc["Parameters"].HasMember(names::kWorkerOnDemandPercentage));
  EXPECT_EQ(param(p, names::kWorkerOnDemandPercentage), "(absent)");
}

TEST(ClusterTemplateCapacity, SeveralTypesOnDemandAreOverridesInOrder) {
  auto p = variant("mixed_on_demand");
  const auto& g = props(p, "WorkerGroup");
  EXPECT_FALSE(g.HasMember("LaunchTemplate"));
  const auto& mip = g["MixedInstancesPolicy"];
  EXPECT_EQ(ref_of(mip["LaunchTemplate"]["LaunchTemplateSpecification"]["LaunchTemplateId"]), "WorkerLaunchTemplate");
  const auto& o = mip["LaunchTemplate"]["Overrides"];
  ASSERT_EQ(o.Size(), 3u);
  EXPECT_EQ(str(o[0]["InstanceType"]), "p4d.24xlarge");
  EXPECT_EQ(str(o[1]["InstanceType"]), "p3dn.24xlarge");
  EXPECT_EQ(str(o[2]["InstanceType"]), "p3.16xlarge");
  const auto& d = mip["InstancesDistribution"];
  EXPECT_EQ(d["OnDemandBaseCapacity"].GetInt(), 0);
  EXPECT_EQ(d["OnDemandPercentageAboveBaseCapacity"].GetInt(), 100);
  EXPECT_EQ(str(d["OnDemandAllocationStrategy"]), "prioritized");
  EXPECT_FALSE(d.HasMember("SpotAllocationStrategy"));
  // The launch templates' type (and the master's) is the first choice.
  EXPECT_EQ(str(p.doc["Parameters"]["InstanceType"]["Default"]), "p4d.24xlarge");
  EXPECT_EQ(param(p, names::kInstanceType), "p4d.24xlarge");
  // The master stays on one plain launch template.
  EXPECT_TRUE(props(p, "MasterGroup").HasMember("LaunchTemplate"));
}

TEST(ClusterTemplateCapacity, SpotWorkersTakeTheirOnDemandShareFromAParameter) {
  auto p = variant("spot_mixed_zones");
  const auto& d = props(p, "WorkerGroup")["MixedInstancesPolicy"]["InstancesDistribution"];
  EXPECT_EQ(ref_of(d["OnDemandPercentageAboveBaseCapacity"]), names::kWorkerOnDemandPercentage);
  EXPECT_EQ(d["OnDemandBaseCapacity"].GetInt(), 0);
  EXPECT_EQ(str(d["SpotAllocationStrategy"]), "capacity-optimized-prioritized");
  EXPECT_FALSE(d.HasMember("SpotMaxPrice"));
  const auto& od = p.doc["Parameters"][names::kWorkerOnDemandPercentage];
  EXPECT_EQ(str(od["Default"]), "0");
  ASSERT_EQ(od["AllowedValues"].Size(), 2u);
  EXPECT_EQ(str(od["AllowedValues"][1]), "100");
  EXPECT_EQ(param(p, names::kWorkerOnDemandPercentage), "0");

  auto f = variant("spot_then_on_demand_spot_master");
  const auto& fd = props(f, "WorkerGroup")["MixedInstancesPolicy"]["InstancesDistribution"];
  EXPECT_EQ(str(fd["SpotAllocationStrategy"]), "price-capacity-optimized");
  EXPECT_EQ(str(fd["SpotMaxPrice"]), "24.48");
  EXPECT_EQ(ref_of(fd["OnDemandPercentageAboveBaseCapacity"]), names::kWorkerOnDemandPercentage);
  // One type, spot: still a MixedInstancesPolicy (the share is what the fallback changes).
  ASSERT_EQ(props(f, "WorkerGroup")["MixedInstancesPolicy"]["LaunchTemplate"]["Overrides"].Size(), 1u);
}

TEST(ClusterTemplateCapacity, CandidateZonesGiveTheZoneParameterTheFirst) {
  auto p = variant("spot_mixed_zones");
  const auto& z = p.doc["Parameters"][names::kAvailabilityZone];
  EXPECT_EQ(str(z["Type"]), "AWS::EC2::AvailabilityZone::Name");
  EXPECT_EQ(str(z["Default"]), "us-east-1a");
  EXPECT_EQ(param(p, names::kAvailabilityZone), "us-east-1a");
  for (const char* subnet : {"PublicSubnet", "PrivateSubnet"})
    EXPECT_EQ(ref_of(props(p, subnet)["AvailabilityZone"]), names::kAvailabilityZone) << subnet;
  // The zone the lifecycle chose among the candidates wins.
  auto spec = testing::default_cluster_spec();
  spec.capacity.availability_zones = {"us-east-1a", "us-east-1b"};
  spec.availability_zone = "us-east-1b";
  EXPECT_EQ(param(build(spec), names::kAvailabilityZone), "us-east-1b");
}

// With somewhere to move (several zones, or spot then on-demand) the worker group and the
// capacity Lambda take a floor of 0 and the master is ready without a worker, so a create whose
// workers find no capacity completes and the lifecycle moves on; without, the user's minimum.
TEST(ClusterTemplateCapacity, AFallbackGivesTheWorkersAFloorOfZero) {
  auto floor_of = [](const Parsed& p) {
    const auto& min = props(p, names::kWorkerGroup)["MinSize"];
    return min.IsString() ? str(min) : "Ref " + ref_of(min);
  };
  auto lambda_floor = [](const Parsed& p) {
    const auto& v = props(p, "CapacityFunction")["Environment"]["Variables"]["MIN_WORKERS"];
    return v.IsString() ? str(v) : "Ref " + ref_of(v);
  };
  auto master_script = [](const Parsed& p) {
    std::string out;
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    lt_data(p, "MasterLaunchTemplate")["UserData"].Accept(w);
    return std::string(buf.GetString());
  };
  auto plain = build(testing::default_cluster_spec());
  EXPECT_EQ(floor_of(plain), "Ref MinWorkerCount");
  EXPECT_EQ(lambda_floor(plain), "Ref MinWorkerCount");
  EXPECT_NE(master_script(plain).find("[ \\\"$want\\\" -ge 1 ]"), std::string::npos) << master_script(plain);
  EXPECT_FALSE(plain.doc["Outputs"].HasMember(names::kOutMinWorkers));

  auto zones = testing::default_cluster_spec();
  zones.capacity.availability_zones = {"us-east-1a", "us-east-1b"};
  auto spot = testing::default_cluster_spec();
  spot.capacity.market = Market::kSpotThenOnDemand;
  for (const auto& spec : {zones, spot}) {
    auto p = build(spec);
    EXPECT_EQ(floor_of(p), "0");
    EXPECT_EQ(lambda_floor(p), "0");
    EXPECT_NE(master_script(p).find("[ \\\"$want\\\" -ge 0 ]"), std::string::npos) << master_script(p);
    // The user's minimum stays a parameter (an output says it): the lifecycle holds the cluster to it.
    EXPECT_EQ(param(p, names::kMinWorkerCount), std::to_string(spec.effective_min_workers()));
    EXPECT_EQ(ref_of(p.doc["Outputs"][names::kOutMinWorkers]["Value"]), names::kMinWorkerCount);
  }
  auto one_zone_spot = testing::default_cluster_spec();
  one_zone_spot.capacity.market = Market::kSpot;
  one_zone_spot.capacity.availability_zones = {"us-east-1a"};
  EXPECT_EQ(floor_of(build(one_zone_spot)), "Ref MinWorkerCount");
}

// A zone move replaces both subnets, each new one made before the old is deleted: the blocks
// of every candidate zone must not overlap those of any other (InvalidSubnet.Conflict).
TEST(ClusterTemplateCapacity, EveryCandidateZoneHasSubnetBlocksOfItsOwn) {
  auto spec = testing::default_cluster_spec();
  spec.capacity.availability_zones = {"us-east-1a", "us-east-1b", "us-east-1c"};
  auto p = build(spec);
  ASSERT_TRUE(p.doc.IsObject());
  for (const char* subnet : {"PublicSubnet", "PrivateSubnet"}) {
    const auto& cidr = props(p, subnet)["CidrBlock"];
    ASSERT_TRUE(cidr.IsObject() && cidr.HasMember("Fn::FindInMap")) << subnet;
    EXPECT_EQ(ref_of(cidr["Fn::FindInMap"][1]), names::kAvailabilityZone) << subnet;
    EXPECT_EQ(str(cidr["Fn::FindInMap"][2]), subnet == std::string("PublicSubnet") ? "Public" : "Private") << subnet;
  }
  ASSERT_TRUE(p.doc.HasMember("Mappings"));
  const std::string name = str(props(p, "PublicSubnet")["CidrBlock"]["Fn::FindInMap"][0]);
  ASSERT_TRUE(p.doc["Mappings"].HasMember(name.c_str())) << name;
  const auto& map = p.doc["Mappings"][name.c_str()];
  std::set<std::string> blocks;
  for (const auto& zone : spec.capacity.availability_zones) {
    ASSERT_TRUE(map.HasMember(zone.c_str())) << zone;
    for (const char* which : {"Public", "Private"})
      EXPECT_TRUE(blocks.insert(str(map[zone.c_str()][which])).second) << zone << " " << which;
  }
  // The first zone keeps the one-zone blocks; the private /20s start after the public /24s.
  EXPECT_EQ(str(map["us-east-1a"]["Public"]), "10.0.0.0/24");
  EXPECT_EQ(str(map["us-east-1a"]["Private"]), "10.0.16.0/20");
  EXPECT_EQ(str(map["us-east-1b"]["Public"]), "10.0.1.0/24");
  EXPECT_EQ(str(map["us-east-1b"]["Private"]), "10.0.32.0/20");
  // One zone: the blocks are written plainly and there is no mapping.
  auto one = build(testing::default_cluster_spec());
  EXPECT_EQ(str(props(one, "PrivateSubnet")["CidrBlock"]), "10.0.16.0/20");
  EXPECT_FALSE(one.doc.HasMember("Mappings"));
}

TEST(ClusterTemplateCapacity, SpotMasterUsesItsLaunchTemplatesMarketOptions) {
  auto p = variant("spot_then_on_demand_spot_master");
  const auto& m = lt_data(p, "MasterLaunchTemplate")["InstanceMarketOptions"];
  EXPECT_EQ(str(m["MarketType"]), "spot");
  EXPECT_EQ(str(m["SpotOptions"]["SpotInstanceType"]), "one-time");
  EXPECT_EQ(str(m["SpotOptions"]["MaxPrice"]), "24.48");
  EXPECT_FALSE(lt_data(p, "WorkerLaunchTemplate").HasMember("InstanceMarketOptions"));
  EXPECT_FALSE(lt_data(variant("spot_mixed_zones"), "MasterLaunchTemplate").HasMember("InstanceMarketOptions"));
}

TEST(ClusterTemplateCapacity, ReservationsAndCapacityBlocksTargetTheWorkers) {
  auto r = variant("capacity_reservation");
  EXPECT_EQ(str(lt_data(r, "WorkerLaunchTemplate")["CapacityReservationSpecification"]["CapacityReservationTarget"]
                   ["CapacityReservationId"]),
            "cr-0123456789abcdef0");
  EXPECT_FALSE(lt_data(r, "MasterLaunchTemplate").HasMember("CapacityReservationSpecification"));
  EXPECT_FALSE(lt_data(r, "WorkerLaunchTemplate").HasMember("InstanceMarketOptions"));

  auto g = variant("capacity_reservation_group");
  EXPECT_EQ(str(lt_data(g, "WorkerLaunchTemplate")["CapacityReservationSpecification"]["CapacityReservationTarget"]
                   ["CapacityReservationResourceGroupArn"]),
            "arn:aws:resource-groups:us-east-1:123456789012:group/p4d-pool");

  auto b = variant("capacity_block");
  const auto& data = lt_data(b, "WorkerLaunchTemplate");
  EXPECT_EQ(str(data["InstanceMarketOptions"]["MarketType"]), "capacity-block");
  EXPECT_EQ(str(data["CapacityReservationSpecification"]["CapacityReservationTarget"]["CapacityReservationId"]),
            "cr-0123456789abcdef0");
  EXPECT_FALSE(lt_data(b, "MasterLaunchTemplate").HasMember("InstanceMarketOptions"));
}

TEST(ClusterTemplateCapacity, EfaInterfacesOnEveryNetworkCard) {
  auto p = variant("efa_p4d");
  const auto& data = lt_data(p, "WorkerLaunchTemplate");
  EXPECT_FALSE(data.HasMember("SecurityGroupIds"));  // the interfaces carry the group
  const auto& nics = data["NetworkInterfaces"];
  ASSERT_EQ(nics.Size(), 4u);  // p4d.24xlarge: 4 network cards
  for (rapidjson::SizeType i = 0; i < nics.Size(); ++i) {
    EXPECT_EQ(nics[i]["NetworkCardIndex"].GetInt(), static_cast<int>(i));
    EXPECT_EQ(nics[i]["DeviceIndex"].GetInt(), i == 0 ? 0 : 1);
    EXPECT_EQ(str(nics[i]["InterfaceType"]), "efa");
    EXPECT_EQ(ref_of(nics[i]["Groups"][0]), "WorkerSecurityGroup");
  }
  // The placement group is forced on (the spec said no), and the workers' group lets itself
  // in (already) and out.
  EXPECT_TRUE(has_resource(p, "ClusterPlacementGroup"));
  EXPECT_EQ(ref_of(props(p, "WorkerGroup")["PlacementGroup"]), "ClusterPlacementGroup");
  const auto& out = props(p, "WorkersToWorkersEgress");
  EXPECT_EQ(str(out["IpProtocol"]), "-1");
  EXPECT_EQ(str(out["GroupId"]["Fn::GetAtt"][0]), "WorkerSecurityGroup");
  EXPECT_EQ(str(out["DestinationSecurityGroupId"]["Fn::GetAtt"][0]), "WorkerSecurityGroup");
  EXPECT_EQ(str(props(p, "WorkersFromWorkersIngress")["SourceSecurityGroupId"]["Fn::GetAtt"][0]), "WorkerSecurityGroup");
  // The master's environment file carries the EFA settings.
  for (const char* v : {"export FI_PROVIDER=efa", "export FI_EFA_USE_DEVICE_RDMA=1"})
    EXPECT_NE(p.body.find(v), std::string::npos) << v;
  EXPECT_EQ(build(testing::default_cluster_spec()).body.find("FI_PROVIDER"), std::string::npos);
  // The master is not in the workers' EFA fabric (another subnet).
  EXPECT_FALSE(lt_data(p, "MasterLaunchTemplate")["NetworkInterfaces"][0].HasMember("InterfaceType"));
}

TEST(ClusterTemplateCapacity, EfaFollowsTheModeAndTheTypesFacts) {
  auto spec = testing::default_cluster_spec();
  spec.instance_type = "p4d.24xlarge";
  auto facts = testing::gpu_type_facts();
  // auto: on when every type supports it, off when a type does not or nothing is known.
  EXPECT_TRUE(*efa_enabled(spec, facts));
  EXPECT_FALSE(*efa_enabled(spec, {}));
  EXPECT_FALSE(build(spec).body.find("\"InterfaceType\":\"efa\"") != std::string::npos);
  spec.capacity.instance_types = {"p4d.24xlarge", "p3.16xlarge"};
  EXPECT_FALSE(*efa_enabled(spec, facts));
  // yes: on even unknown (one interface), refused for a type without it.
  spec.capacity.efa = EfaMode::kYes;
  auto refused = build_template(spec, facts);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "EfaNotSupported");
  EXPECT_NE(refused.error().message.find("p3.16xlarge does not support EFA"), std::string::npos);
  spec.capacity.instance_types.clear();
  auto unknown = build(spec);
  EXPECT_EQ(lt_data(unknown, "WorkerLaunchTemplate")["NetworkInterfaces"].Size(), 1u);
  // no: off whatever the types can do.
  spec.capacity.efa = EfaMode::kNo;
  EXPECT_FALSE(*efa_enabled(spec, facts));
  EXPECT_TRUE(lt_data(build(spec, facts), "WorkerLaunchTemplate").HasMember("SecurityGroupIds"));
}

TEST(ClusterTemplateCapacity, EfaWithTypesOfDifferentCardCountsGivesEachItsLaunchTemplate) {
  auto p = variant("efa_mixed_cards_spot");  // p5 (32 cards), p4d (4), p3dn (1)
  EXPECT_EQ(lt_data(p, "WorkerLaunchTemplate")["NetworkInterfaces"].Size(), 32u);
  EXPECT_EQ(lt_data(p, "WorkerLaunchTemplateCards4")["NetworkInterfaces"].Size(), 4u);
  EXPECT_EQ(lt_data(p, "WorkerLaunchTemplateCards1")["NetworkInterfaces"].Size(), 1u);
  const auto& o = props(p, "WorkerGroup")["MixedInstancesPolicy"]["LaunchTemplate"]["Overrides"];
  ASSERT_EQ(o.Size(), 3u);
  EXPECT_FALSE(o[0].HasMember("LaunchTemplateSpecification"));  // the policy's own template
  EXPECT_EQ(ref_of(o[1]["LaunchTemplateSpecification"]["LaunchTemplateId"]), "WorkerLaunchTemplateCards4");
  EXPECT_EQ(ref_of(o[2]["LaunchTemplateSpecification"]["LaunchTemplateId"]), "WorkerLaunchTemplateCards1");
}

TEST(ClusterTemplateCapacity, FsxScratchWithAnS3DataRepository) {
  auto p = variant("fsx_scratch_import");
  EXPECT_FALSE(has_resource(p, "FileSystem"));
  EXPECT_FALSE(has_resource(p, "MountTarget"));
  EXPECT_FALSE(has_resource(p, "EfsSecurityGroup"));
  const auto& fs = res(p, "LustreFileSystem");
  EXPECT_EQ(str(fs["Type"]), "AWS::FSx::FileSystem");
  // Deleted with the stack: its interfaces keep the stack's subnet in use, so it cannot outlive it.
  EXPECT_FALSE(fs.HasMember("DeletionPolicy"));
  EXPECT_FALSE(fs.HasMember("UpdateReplacePolicy"));
  const auto& fp = fs["Properties"];
  EXPECT_EQ(str(fp["FileSystemType"]), "LUSTRE");
  EXPECT_EQ(fp["StorageCapacity"].GetInt(), 1200);
  EXPECT_EQ(ref_of(fp["SubnetIds"][0]), "PrivateSubnet");
  EXPECT_EQ(str(fp["LustreConfiguration"]["DeploymentType"]), "SCRATCH_2");
  EXPECT_EQ(str(fp["FileSystemTypeVersion"]), "2.15");
  // Lustre 2.15 links S3 through a data repository association (ImportPath is 2.10's).
  EXPECT_FALSE(fp["LustreConfiguration"].HasMember("ImportPath"));
  EXPECT_EQ(str(props(p, "LustreDataRepository")["DataRepositoryPath"]), "s3://team-bucket/datasets/coco");
  EXPECT_EQ(str(props(p, "LustreDataRepository")["FileSystemPath"]), "/");
  // Lustre's ports, from both node groups, and among the file system's own servers.
  std::set<std::string> rules;
  for (const auto& r : props(p, "LustreSecurityGroup")["SecurityGroupIngress"].GetArray())
    rules.insert(std::to_string(r["FromPort"].GetInt()) + "-" + std::to_string(r["ToPort"].GetInt()) + " " +
                 str(r["SourceSecurityGroupId"]["Fn::GetAtt"][0]));
  EXPECT_EQ(rules, (std::set<std::string>{"988-988 MasterSecurityGroup", "1018-1023 MasterSecurityGroup",
                                          "988-988 WorkerSecurityGroup", "1018-1023 WorkerSecurityGroup"}));
  EXPECT_EQ(props(p, "LustreFromLustreIngress")["FromPort"].GetInt(), 988);
  EXPECT_EQ(props(p, "LustreClientsFromLustreIngress")["ToPort"].GetInt(), 1023);
  // The nodes mount it with the Lustre client once it exists.
  EXPECT_TRUE(depends_on(p, "MasterGroup").count("LustreDataRepository"));
  EXPECT_TRUE(depends_on(p, "WorkerGroup").count("LustreDataRepository"));
  auto plain = testing::default_cluster_spec();
  plain.shared = SharedStorage::kFsxLustre;
  auto no_import = build(plain);
  EXPECT_FALSE(has_resource(no_import, "LustreDataRepository"));
  EXPECT_TRUE(depends_on(no_import, "MasterGroup").count("LustreFileSystem"));
  EXPECT_NE(p.body.find("FS=${LustreFileSystem.DNSName}"), std::string::npos);
  EXPECT_NE(p.body.find("MOUNT_NAME=${LustreFileSystem.LustreMountName}"), std::string::npos);
  EXPECT_NE(p.body.find("mount -t lustre -o noatime,flock \\\"$FS@tcp:/$MOUNT_NAME\\\" \\\"$MOUNT\\\""),
            std::string::npos);
  EXPECT_EQ(p.body.find("nfs4"), std::string::npos);
  EXPECT_TRUE(p.doc["Outputs"].HasMember(names::kOutFsxId));
  EXPECT_FALSE(p.doc["Outputs"].HasMember(names::kOutEfsId));
}

TEST(ClusterTemplateCapacity, FsxPersistentLinksItsS3DataRepository) {
  auto p = variant("fsx_persistent_repository");
  const auto& lc = props(p, "LustreFileSystem")["LustreConfiguration"];
  EXPECT_EQ(str(lc["DeploymentType"]), "PERSISTENT_2");
  EXPECT_FALSE(lc.HasMember("ImportPath"));
  EXPECT_EQ(lc["PerUnitStorageThroughput"].GetInt(), 125);
  EXPECT_EQ(props(p, "LustreFileSystem")["StorageCapacity"].GetInt(), 4800);
  const auto& dra = props(p, "LustreDataRepository");
  EXPECT_EQ(ref_of(dra["FileSystemId"]), "LustreFileSystem");
  EXPECT_EQ(str(dra["DataRepositoryPath"]), "s3://team-bucket/datasets");
  EXPECT_TRUE(dra["BatchImportMetaDataOnCreate"].GetBool());
  // The nodes wait for the data to be linked.
  EXPECT_TRUE(depends_on(p, "WorkerGroup").count("LustreDataRepository"));
}

TEST(ClusterTemplateCapacity, FsxReusedIsAParameterLookedUpAtBoot) {
  auto p = variant("fsx_reused");
  EXPECT_FALSE(has_resource(p, "LustreFileSystem"));
  EXPECT_FALSE(has_resource(p, "LustreSecurityGroup"));
  EXPECT_EQ(str(p.doc["Parameters"][names::kFsxId]["Default"]), "fs-0123456789abcdef0");
  EXPECT_EQ(param(p, names::kFsxId), "fs-0123456789abcdef0");
  EXPECT_NE(p.body.find("aws fsx describe-file-systems"), std::string::npos);
  EXPECT_NE(p.body.find("\"fsx:DescribeFileSystems\""), std::string::npos);
  EXPECT_EQ(build(testing::default_cluster_spec()).body.find("fsx:"), std::string::npos);
  EXPECT_FALSE(depends_on(p, "MasterGroup").count("MountTarget"));
}

TEST(ClusterTemplateCapacity, SharedNoneCreatesAndMountsNothing) {
  auto p = variant("shared_none");
  auto types = resource_types(p);
  for (const char* t : {"AWS::EFS::FileSystem", "AWS::EFS::MountTarget", "AWS::FSx::FileSystem"})
    EXPECT_FALSE(types.count(t)) << t;
  EXPECT_FALSE(has_resource(p, "EfsSecurityGroup"));
  EXPECT_EQ(p.body.find("mount -t"), std::string::npos);
  EXPECT_EQ(p.body.find("nfs4"), std::string::npos);
  EXPECT_EQ(p.body.find("mount_efs"), std::string::npos);
  EXPECT_NE(p.body.find("mount_shared"), std::string::npos);
  EXPECT_EQ(depends_on(p, "MasterGroup"), (std::set<std::string>{"PublicDefaultRoute", "PublicSubnetRouteTableAssociation"}));
  EXPECT_FALSE(p.doc["Outputs"].HasMember(names::kOutEfsId));
  EXPECT_FALSE(p.doc["Outputs"].HasMember(names::kOutFsxId));
}

TEST(ClusterTemplateCapacity, UserDataForEveryStorageOnlyNamesWhatTheTemplateHas) {
  using internal::cfn::UserData;
  for (const UserData& u : {UserData{SharedStorage::kFsxLustre, "LustreFileSystem", false, true},
                            UserData{SharedStorage::kFsxLustre, "FsxId", true, false},
                            UserData{SharedStorage::kNone, "", false, false}}) {
    for (const std::string& script : {internal::cfn::master_user_data(u), internal::cfn::worker_user_data(u)}) {
      std::set<std::string> allowed = {"AWS::Region", "AWS::StackName", "AWS::URLSuffix", "EfsMountPoint", "NodeQueue",
                                       "ClusterReadyHandle"};
      if (!u.fs_logical_id.empty()) {
        allowed.insert(u.fs_logical_id);
        allowed.insert(u.fs_logical_id + ".DNSName");
        allowed.insert(u.fs_logical_id + ".LustreMountName");
      }
      for (auto at = script.find("${"); at != std::string::npos; at = script.find("${", at + 2)) {
        auto end = script.find('}', at);
        ASSERT_NE(end, std::string::npos);
        EXPECT_TRUE(allowed.count(script.substr(at + 2, end - at - 2))) << script.substr(at, end - at + 1);
      }
      EXPECT_EQ(script.find("EFS"), script.find("EFS_MOUNT")) << "mentions EFS:\n" << script;
    }
  }
}

}  // namespace
}  // namespace awsdl::cluster
