// The clients the capacity checks use, on a fake transport: Service Quotas GetServiceQuota and
// FSx DescribeFileSystems (JSON 1.1), and EC2's DescribeInstanceTypeOfferings,
// DescribeCapacityReservations, DescribeKeyPairs and the architecture / EFA facts of
// DescribeInstanceTypes. The EC2 request bodies were generated with botocore's EC2Serializer
// (as in ec2_client_test.cpp) and pasted here.
#include <gtest/gtest.h>

#include "awsdl/ec2/ec2.hpp"
#include "awsdl/fsx/fsx.hpp"
#include "awsdl/servicequotas/servicequotas.hpp"
#include "support/fake_harness.hpp"

namespace awsdl {
namespace {

std::string wrap(const std::string& action, const std::string& inner) {
  return "<" + action + "Response xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>rid</requestId>" +
         inner + "</" + action + "Response>";
}

TEST(ServiceQuotasClient, GetServiceQuota) {
  testsupport::FakeHarness h("us-east-1");
  h.transport->push(200, R"J({"Quota":{"ServiceCode":"ec2","ServiceName":"Amazon Elastic Compute Cloud (Amazon EC2)",
    "QuotaArn":"arn:aws:servicequotas:us-east-1:123456789012:ec2/L-417A185B","QuotaCode":"L-417A185B",
    "QuotaName":"Running On-Demand P instances","Value":384.0,"Unit":"None","Adjustable":true,"GlobalQuota":false}})J");
  servicequotas::ServiceQuotasClient sq(h.config);
  auto q = sq.get_service_quota("ec2", "L-417A185B");
  ASSERT_TRUE(q.ok()) << q.error().to_string();
  EXPECT_EQ(q->value, 384.0);
  EXPECT_EQ(q->quota_name, "Running On-Demand P instances");
  EXPECT_EQ(q->quota_code, "L-417A185B");
  EXPECT_TRUE(q->adjustable);
  EXPECT_FALSE(q->global);
  auto r = h.transport->requests().at(0);
  EXPECT_EQ(r.url(), "https://servicequotas.us-east-1.amazonaws.com/");
  EXPECT_EQ(r.headers.get("X-Amz-Target"), "ServiceQuotasV20190624.GetServiceQuota");
  EXPECT_EQ(r.headers.get("Content-Type"), "application/x-amz-json-1.1");
  EXPECT_EQ(r.body, R"({"ServiceCode":"ec2","QuotaCode":"L-417A185B"})");
}

TEST(ServiceQuotasClient, ErrorsAndBadInput) {
  testsupport::FakeHarness h("us-east-1");
  h.transport->push(400, R"({"__type":"NoSuchResourceException","Message":"The request failed because the specified service does not exist."})");
  h.transport->push(200, R"({"Quota":{"QuotaCode":"L-1"}})");
  servicequotas::ServiceQuotasClient sq(h.config);
  auto missing = sq.get_service_quota("ec2", "L-00000000");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "NoSuchResourceException");
  auto no_value = sq.get_service_quota("ec2", "L-1");
  ASSERT_FALSE(no_value.ok());
  EXPECT_EQ(no_value.error().kind, ErrorKind::kParse);
  EXPECT_EQ(sq.get_service_quota("", "L-1").error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(sq.get_service_quota("ec2", "L 1").error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(h.transport->request_count(), 2u);
}

TEST(FsxClient, DescribeFileSystemsPagesAndReadsLustreFacts) {
  testsupport::FakeHarness h("us-east-1");
  h.transport->push(200, R"({"FileSystems":[{"FileSystemId":"fs-0123456789abcdef0","FileSystemType":"LUSTRE",
    "Lifecycle":"AVAILABLE","StorageCapacity":1200,"VpcId":"vpc-1","SubnetIds":["subnet-1"],
    "DNSName":"fs-0123456789abcdef0.fsx.us-east-1.amazonaws.com",
    "LustreConfiguration":{"DeploymentType":"SCRATCH_2","MountName":"abcdefgh"}}],"NextToken":"t2"})");
  h.transport->push(200, R"({"FileSystems":[{"FileSystemId":"fs-11111111","FileSystemType":"LUSTRE","Lifecycle":"CREATING"}]})");
  fsx::FsxClient fsx(h.config);
  auto all = fsx.describe_file_systems();
  ASSERT_TRUE(all.ok()) << all.error().to_string();
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].lustre_mount_name, "abcdefgh");
  EXPECT_EQ((*all)[0].lustre_deployment_type, "SCRATCH_2");
  EXPECT_EQ((*all)[0].storage_capacity_gib, 1200);
  EXPECT_EQ((*all)[0].subnet_ids, (std::vector<std::string>{"subnet-1"}));
  EXPECT_EQ((*all)[1].lifecycle, "CREATING");
  auto r = h.transport->requests();
  EXPECT_EQ(r.at(0).url(), "https://fsx.us-east-1.amazonaws.com/");
  EXPECT_EQ(r.at(0).headers.get("X-Amz-Target"), "AWSSimbaAPIService_v20180301.DescribeFileSystems");
  EXPECT_EQ(r.at(0).body, "{}");
  EXPECT_EQ(r.at(1).body, R"({"NextToken":"t2"})");
}

TEST(FsxClient, NotFoundAndBadIds) {
  testsupport::FakeHarness h("us-east-1");
  h.transport->push(400, R"({"__type":"FileSystemNotFound","Message":"File system 'fs-0123456789abcdef0' does not exist."})");
  fsx::FsxClient fsx(h.config);
  auto r = fsx.describe_file_systems({"fs-0123456789abcdef0"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "FileSystemNotFound");
  EXPECT_EQ(h.transport->requests().at(0).body, R"({"FileSystemIds":["fs-0123456789abcdef0"]})");
  EXPECT_FALSE(fsx.describe_file_systems({"fs-123"}).ok());
  EXPECT_FALSE(fsx.describe_file_systems({"efs-0123456789"}).ok());
  EXPECT_EQ(h.transport->request_count(), 1u);
  EXPECT_TRUE(fsx::valid_file_system_id("fs-0123456789abcdef0"));
  EXPECT_FALSE(fsx::valid_file_system_id("fs-0123456789ABCDEF0"));
}

TEST(FsxClient, TagsAreReadAndDeleteNamesTheFileSystem) {
  testsupport::FakeHarness h("us-east-1");
  h.transport->push(200, R"({"FileSystems":[{"FileSystemId":"fs-0123456789abcdef0","FileSystemType":"LUSTRE",
    "Lifecycle":"AVAILABLE","Tags":[{"Key":"awsdl:cluster","Value":"maskrcnn"},{"Key":"Name","Value":"maskrcnn-fsx"}]}]})");
  h.transport->push(200, R"({"FileSystemId":"fs-0123456789abcdef0","Lifecycle":"DELETING"})");
  fsx::FsxClient fsx(h.config);
  auto all = fsx.describe_file_systems();
  ASSERT_TRUE(all.ok()) << all.error().to_string();
  ASSERT_EQ(all->size(), 1u);
  using Tags = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ((*all)[0].tags, (Tags{{"awsdl:cluster", "maskrcnn"}, {"Name", "maskrcnn-fsx"}}));
  ASSERT_TRUE(fsx.delete_file_system("fs-0123456789abcdef0").ok());
  auto r = h.transport->requests();
  EXPECT_EQ(r.at(1).headers.get("X-Amz-Target"), "AWSSimbaAPIService_v20180301.DeleteFileSystem");
  EXPECT_EQ(r.at(1).body, R"({"FileSystemId":"fs-0123456789abcdef0"})");
  EXPECT_EQ(fsx.delete_file_system("fs-123").error().code, "InvalidFileSystemId");
  EXPECT_EQ(h.transport->request_count(), 2u);
}

TEST(Ec2Client, InstanceTypeOfferingsSerializeLikeBotocoreAndPage) {
  testsupport::FakeHarness h("us-east-1");
  h.transport->push(200, wrap("DescribeInstanceTypeOfferings",
                              "<instanceTypeOfferingSet><item><instanceType>p4d.24xlarge</instanceType><locationType>"
                              "availability-zone</locationType><location>us-east-1b</location></item></instanceTypeOfferingSet>"
                              "<nextToken>n2</nextToken>"));
  h.transport->push(200, wrap("DescribeInstanceTypeOfferings",
                              "<instanceTypeOfferingSet><item><instanceType>p3.16xlarge</instanceType><locationType>"
                              "availability-zone</locationType><location>us-east-1a</location></item></instanceTypeOfferingSet>"));
  ec2::Ec2Client ec2(h.config);
  auto offers = ec2.describe_instance_type_offerings("", {{"instance-type", {"p4d.24xlarge", "p3.16xlarge"}}});
  ASSERT_TRUE(offers.ok()) << offers.error().to_string();
  ASSERT_EQ(offers->size(), 2u);
  EXPECT_EQ((*offers)[0].instance_type, "p4d.24xlarge");
  EXPECT_EQ((*offers)[0].location, "us-east-1b");
  EXPECT_EQ((*offers)[1].location_type, "availability-zone");
  EXPECT_EQ(h.body(0),
            "Action=DescribeInstanceTypeOfferings&Version=2016-11-15&LocationType=availability-zone&Filter.1.Name="
            "instance-type&Filter.1.Value.1=p4d.24xlarge&Filter.1.Value.2=p3.16xlarge");
  EXPECT_NE(h.body(1).find("NextToken=n2"), std::string::npos) << h.body(1);
  EXPECT_EQ(ec2.describe_instance_type_offerings("zone").error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(h.transport->request_count(), 2u);
}

TEST(Ec2Client, CapacityReservationsAndKeyPairs) {
  testsupport::FakeHarness h("us-east-1");
  h.transport->push(200, wrap("DescribeCapacityReservations",
                              "<capacityReservationSet><item><capacityReservationId>cr-0123456789abcdef0"
                              "</capacityReservationId><instanceType>p4d.24xlarge</instanceType><availabilityZone>"
                              "us-east-1b</availabilityZone><state>active</state><totalInstanceCount>4"
                              "</totalInstanceCount><availableInstanceCount>3</availableInstanceCount>"
                              "<instanceMatchCriteria>targeted</instanceMatchCriteria></item></capacityReservationSet>"));
  h.transport->push(200, wrap("DescribeKeyPairs", "<keySet><item><keyPairId>key-1</keyPairId><keyName>team</keyName>"
                                                  "<keyFingerprint>ab:cd</keyFingerprint><keyType>ed25519</keyType>"
                                                  "</item></keySet>"));
  h.transport->push(400, "<Response><Errors><Error><Code>InvalidKeyPair.NotFound</Code><Message>The key pair 'gone' "
                         "does not exist</Message></Error></Errors><RequestID>x</RequestID></Response>");
  ec2::Ec2Client ec2(h.config);
  auto crs = ec2.describe_capacity_reservations({"cr-0123456789abcdef0"});
  ASSERT_TRUE(crs.ok()) << crs.error().to_string();
  ASSERT_EQ(crs->size(), 1u);
  EXPECT_EQ((*crs)[0].availability_zone, "us-east-1b");
  EXPECT_EQ((*crs)[0].available_instance_count, 3);
  EXPECT_EQ((*crs)[0].total_instance_count, 4);
  EXPECT_EQ((*crs)[0].instance_match_criteria, "targeted");
  EXPECT_EQ(h.body(0), "Action=DescribeCapacityReservations&Version=2016-11-15&CapacityReservationId.1=cr-0123456789abcdef0");
  auto keys = ec2.describe_key_pairs({"team"});
  ASSERT_TRUE(keys.ok()) << keys.error().to_string();
  ASSERT_EQ(keys->size(), 1u);
  EXPECT_EQ((*keys)[0].key_name, "team");
  EXPECT_EQ((*keys)[0].key_type, "ed25519");
  EXPECT_EQ(h.body(1), "Action=DescribeKeyPairs&Version=2016-11-15&KeyName.1=team");
  auto gone = ec2.describe_key_pairs({"gone"});
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().code, "InvalidKeyPair.NotFound");
}

TEST(Ec2Client, InstanceTypesGiveArchitecturesAndEfa) {
  testsupport::FakeHarness h("us-east-1");
  h.transport->push(200, wrap("DescribeInstanceTypes",
                              "<instanceTypeSet><item><instanceType>p4d.24xlarge</instanceType><vCpuInfo><defaultVCpus>96"
                              "</defaultVCpus></vCpuInfo><processorInfo><supportedArchitectures><item>x86_64</item>"
                              "</supportedArchitectures></processorInfo><networkInfo><efaSupported>true</efaSupported>"
                              "<maximumNetworkCards>4</maximumNetworkCards></networkInfo><gpuInfo><gpus><item><count>8"
                              "</count><name>A100</name></item></gpus></gpuInfo></item><item><instanceType>g5g.xlarge"
                              "</instanceType><vCpuInfo><defaultVCpus>4</defaultVCpus></vCpuInfo><processorInfo>"
                              "<supportedArchitectures><item>arm64</item></supportedArchitectures></processorInfo>"
                              "</item></instanceTypeSet>"));
  ec2::Ec2Client ec2(h.config);
  auto types = ec2.describe_instance_types({"p4d.24xlarge", "g5g.xlarge"});
  ASSERT_TRUE(types.ok()) << types.error().to_string();
  ASSERT_EQ(types->size(), 2u);
  EXPECT_EQ((*types)[0].architectures, (std::vector<std::string>{"x86_64"}));
  EXPECT_TRUE((*types)[0].efa_supported);
  EXPECT_EQ((*types)[0].maximum_network_cards, 4);
  EXPECT_EQ((*types)[0].vcpus, 96);
  EXPECT_EQ((*types)[0].gpu_count, 8);
  EXPECT_EQ((*types)[1].architectures, (std::vector<std::string>{"arm64"}));
  EXPECT_FALSE((*types)[1].efa_supported);
  EXPECT_EQ((*types)[1].maximum_network_cards, 0);
}

}  // namespace
}  // namespace awsdl
