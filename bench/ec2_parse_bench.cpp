// Parsing a DescribeInstances answer of 10,000 instances (target: <= 100 ms). The answer is
// generated here, shaped like a real one (state, placement, addresses, groups, tags, block
// devices), so the parser walks as much XML as it would in production.
#include <benchmark/benchmark.h>

#include <string>

#include "ec2/ec2_internal.hpp"

namespace {

std::string instance_xml(int n) {
  std::string id = "i-" + std::to_string(100000000000000000LL + n);
  std::string ip = "10.0." + std::to_string(n / 250 % 250) + "." + std::to_string(n % 250 + 2);
  return "<item><instanceId>" + id +
         "</instanceId><imageId>ami-0123456789abcdef0</imageId><instanceState><code>16</code><name>running</name>"
         "</instanceState><privateDnsName>ip-" + ip + ".ec2.internal</privateDnsName><dnsName>ec2-" + ip +
         ".compute-1.amazonaws.com</dnsName><reason/><keyName>team</keyName><amiLaunchIndex>0</amiLaunchIndex>"
         "<productCodes/><instanceType>p3.16xlarge</instanceType><launchTime>2024-01-02T03:04:05.000Z</launchTime>"
         "<placement><availabilityZone>us-east-1a</availabilityZone><groupName>dl-pg</groupName><tenancy>default"
         "</tenancy></placement><monitoring><state>disabled</state></monitoring><subnetId>subnet-0123456789abcdef0"
         "</subnetId><vpcId>vpc-0123456789abcdef0</vpcId><privateIpAddress>" + ip +
         "</privateIpAddress><ipAddress>198.51.100.7</ipAddress><sourceDestCheck>true</sourceDestCheck><groupSet><item>"
         "<groupId>sg-0123456789abcdef0</groupId><groupName>nodes</groupName></item></groupSet><architecture>x86_64"
         "</architecture><rootDeviceType>ebs</rootDeviceType><rootDeviceName>/dev/sda1</rootDeviceName>"
         "<blockDeviceMapping><item><deviceName>/dev/sda1</deviceName><ebs><volumeId>vol-0123456789abcdef0</volumeId>"
         "<status>attached</status><attachTime>2024-01-02T03:04:06.000Z</attachTime><deleteOnTermination>true"
         "</deleteOnTermination></ebs></item></blockDeviceMapping><virtualizationType>hvm</virtualizationType>"
         "<clientToken>3f0c2a1e-8d4b-4c7a-9e1f-0a1b2c3d4e5f</clientToken><tagSet><item><key>Name</key><value>worker-" +
         std::to_string(n) + "</value></item><item><key>awsdl:cluster</key><value>maskrcnn</value></item></tagSet>"
         "<hypervisor>xen</hypervisor><ebsOptimized>true</ebsOptimized></item>";
}

std::string answer(int instances, int per_reservation) {
  std::string xml =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<DescribeInstancesResponse xmlns=\"http://ec2.amazonaws.com/doc/"
      "2016-11-15/\"><requestId>8f7724cf-496f-496e-8fe3-example</requestId><reservationSet>";
  for (int r = 0; r < instances / per_reservation; ++r) {
    xml += "<item><reservationId>r-" + std::to_string(r) + "</reservationId><ownerId>123456789012</ownerId><groupSet/>"
           "<instancesSet>";
    for (int i = 0; i < per_reservation; ++i) xml += instance_xml(r * per_reservation + i);
    xml += "</instancesSet></item>";
  }
  return xml + "</reservationSet></DescribeInstancesResponse>";
}

void BM_ParseDescribeInstances(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const std::string xml = answer(n, 8);
  std::size_t parsed = 0;
  for (auto _ : state) {
    auto page = awsdl::ec2::detail::parse_describe_instances_xml(xml);
    if (!page.ok()) {
      state.SkipWithError("parse failed");
      return;
    }
    for (const auto& r : page->reservations) parsed += r.instances.size();
    benchmark::DoNotOptimize(parsed);
  }
  if (parsed != static_cast<std::size_t>(n) * state.iterations()) state.SkipWithError("wrong instance count");
  state.counters["instances"] = n;
  state.counters["xml_MB"] = static_cast<double>(xml.size()) / 1e6;
  state.SetBytesProcessed(static_cast<std::int64_t>(xml.size()) * state.iterations());
}
BENCHMARK(BM_ParseDescribeInstances)->Arg(10000)->Unit(benchmark::kMillisecond);

// The XML parse alone (pugixml through XmlDocument), to show how the time above splits.
void BM_XmlParseOnly(benchmark::State& state) {
  const std::string xml = answer(static_cast<int>(state.range(0)), 8);
  for (auto _ : state) {
    auto doc = awsdl::internal::XmlDocument::parse(xml);
    benchmark::DoNotOptimize(doc.ok());
  }
}
BENCHMARK(BM_XmlParseOnly)->Arg(10000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
