// Endpoint resolution: partitions, overrides in their order, S3 addressing, bad input.
#include "protocol/endpoint.hpp"

#include <gtest/gtest.h>

namespace awsdl::internal {
namespace {

ServiceInfo service(std::string prefix, std::string env, bool global = false, std::string default_region = {}) {
  ServiceInfo s;
  s.endpoint_prefix = prefix;
  s.signing_name = prefix;
  s.env_name = std::move(env);
  s.global = global;
  s.default_region = std::move(default_region);
  return s;
}

Config config_in(std::string region) {
  Config c;
  c.region = std::move(region);
  return c;
}

TEST(Endpoint, RegionalHostnamesPerPartition) {
  auto sts = service("sts", "STS");
  struct Case {
    const char* region;
    const char* host;
  } cases[] = {{"us-east-1", "sts.us-east-1.amazonaws.com"},
               {"eu-west-1", "sts.eu-west-1.amazonaws.com"},
               {"cn-north-1", "sts.cn-north-1.amazonaws.com.cn"},
               {"cn-northwest-1", "sts.cn-northwest-1.amazonaws.com.cn"},
               {"us-gov-west-1", "sts.us-gov-west-1.amazonaws.com"}};
  for (const auto& c : cases) {
    auto e = resolve_endpoint(sts, config_in(c.region));
    ASSERT_TRUE(e.ok()) << e.error().to_string();
    EXPECT_EQ(e->host, c.host);
    EXPECT_EQ(e->scheme, "https");
    EXPECT_EQ(e->signing_region, c.region);
    EXPECT_EQ(e->base_path, "");
    EXPECT_FALSE(e->custom);
  }
  auto api = resolve_endpoint(service("api.sagemaker", "SAGEMAKER"), config_in("us-west-2"));
  ASSERT_TRUE(api.ok());
  EXPECT_EQ(api->host, "api.sagemaker.us-west-2.amazonaws.com");
  auto s3 = resolve_endpoint(service("s3", "S3"), config_in("us-east-1"));
  ASSERT_TRUE(s3.ok());
  EXPECT_EQ(s3->host, "s3.us-east-1.amazonaws.com");
}

TEST(Endpoint, PartitionOfRegion) {
  EXPECT_EQ(partition_for("us-east-1").name, "aws");
  EXPECT_EQ(partition_for("ap-southeast-2").name, "aws");
  EXPECT_EQ(partition_for("cn-north-1").name, "aws-cn");
  EXPECT_EQ(partition_for("cn-north-1").dns_suffix, "amazonaws.com.cn");
  EXPECT_EQ(partition_for("us-gov-east-1").name, "aws-us-gov");
}

TEST(Endpoint, GlobalServiceIsSignedForThePartitionHome) {
  auto iam = service("iam", "IAM", /*global=*/true);
  auto a = resolve_endpoint(iam, config_in("eu-central-1"));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "iam.amazonaws.com");
  EXPECT_EQ(a->signing_region, "us-east-1");
  auto cn = resolve_endpoint(iam, config_in("cn-northwest-1"));
  ASSERT_TRUE(cn.ok());
  EXPECT_EQ(cn->host, "iam.cn-north-1.amazonaws.com.cn");
  EXPECT_EQ(cn->signing_region, "cn-north-1");
  auto gov = resolve_endpoint(iam, config_in("us-gov-east-1"));
  ASSERT_TRUE(gov.ok());
  EXPECT_EQ(gov->host, "iam.us-gov.amazonaws.com");
  EXPECT_EQ(gov->signing_region, "us-gov-west-1");
}

TEST(Endpoint, OverridesWinInOrder) {
  auto sts = service("sts", "STS");
  Config c = config_in("eu-west-1");
  c.endpoint_url = "http://127.0.0.1:4566";
  c.service_endpoints["STS"] = "https://sts.internal.example:8443/base/";
  c.service_endpoints["EC2"] = "http://ec2.example";

  auto client = resolve_endpoint(sts, c, "http://localhost:9000");
  ASSERT_TRUE(client.ok());
  EXPECT_EQ(client->url(), "http://localhost:9000");
  EXPECT_TRUE(client->custom);
  EXPECT_EQ(client->signing_region, "eu-west-1");

  auto per_service = resolve_endpoint(sts, c);
  ASSERT_TRUE(per_service.ok());
  EXPECT_EQ(per_service->scheme, "https");
  EXPECT_EQ(per_service->host, "sts.internal.example:8443");
  EXPECT_EQ(per_service->base_path, "/base");

  c.service_endpoints.erase("STS");
  auto global = resolve_endpoint(sts, c);
  ASSERT_TRUE(global.ok());
  EXPECT_EQ(global->url(), "http://127.0.0.1:4566");
  EXPECT_EQ(global->host_name(), "127.0.0.1");
}

TEST(Endpoint, ParsesCustomUrls) {
  auto v6 = parse_endpoint_url("http://[::1]:8080/x/y");
  ASSERT_TRUE(v6.ok()) << v6.error().to_string();
  EXPECT_EQ(v6->host, "[::1]:8080");
  EXPECT_EQ(v6->host_name(), "[::1]");
  EXPECT_EQ(v6->base_path, "/x/y");
  auto default_port = parse_endpoint_url("HTTPS://Example.COM:443");
  ASSERT_TRUE(default_port.ok());
  EXPECT_EQ(default_port->host, "example.com");
  EXPECT_EQ(default_port->scheme, "https");

  for (const char* bad : {"127.0.0.1:4566", "ftp://host", "http://", "http://host:0", "http://host:99999",
                          "http://host:abc", "http://user:pw@host", "http://host/?q=1", "http://ho st"}) {
    auto e = parse_endpoint_url(bad);
    ASSERT_FALSE(e.ok()) << bad;
    EXPECT_EQ(e.error().kind, ErrorKind::kInvalidArgument) << bad;
    EXPECT_EQ(e.error().code, "InvalidEndpoint") << bad;
  }
  Config c = config_in("us-east-1");
  c.endpoint_url = "localhost:4566";
  auto r = resolve_endpoint(service("sts", "STS"), c);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "InvalidEndpoint");
}

TEST(Endpoint, InvalidOrMissingRegionFailsBeforeAnyCall) {
  auto sts = service("sts", "STS");
  for (const char* bad : {"US-EAST-1", "us east 1", "us-east-1/../x", "-us", "us_east_1"}) {
    Config c = config_in(bad);
    c.endpoint_url = "http://127.0.0.1:1";  // even with a custom endpoint: the region is signed
    auto e = resolve_endpoint(sts, c);
    ASSERT_FALSE(e.ok()) << bad;
    EXPECT_EQ(e.error().kind, ErrorKind::kInvalidArgument);
    EXPECT_EQ(e.error().code, "InvalidRegion");
  }
  auto missing = resolve_endpoint(service("ec2", "EC2"), config_in(""));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "MissingRegion");
  // Where a region comes from, as a next step (a program names its flag); no flag in the message.
  EXPECT_EQ(missing.error().next_steps, (std::vector<NextStep>{{next_step::kSetRegion, ""}}));
  EXPECT_EQ(missing.error().message.find("--"), std::string::npos) << missing.error().message;
  EXPECT_NE(missing.error().message.find("AWS_REGION"), std::string::npos) << missing.error().message;
  // A service with a default region (STS) does without one.
  auto sts_default = resolve_endpoint(service("sts", "STS", false, "us-east-1"), config_in(""));
  ASSERT_TRUE(sts_default.ok());
  EXPECT_EQ(sts_default->host, "sts.us-east-1.amazonaws.com");
}

TEST(Endpoint, S3VirtualHostedAndPathStyle) {
  auto s3 = resolve_endpoint(service("s3", "S3"), config_in("us-west-2"));
  ASSERT_TRUE(s3.ok());
  auto v = s3_bucket_address(*s3, "team-bucket", false);
  EXPECT_FALSE(v.path_style);
  EXPECT_EQ(v.endpoint.host, "team-bucket.s3.us-west-2.amazonaws.com");
  EXPECT_EQ(v.path_prefix, "");

  auto forced = s3_bucket_address(*s3, "team-bucket", true);
  EXPECT_TRUE(forced.path_style);
  EXPECT_EQ(forced.endpoint.host, "s3.us-west-2.amazonaws.com");
  EXPECT_EQ(forced.path_prefix, "/team-bucket");

  // Dots break the wildcard certificate; upper case is not a DNS label.
  EXPECT_TRUE(s3_bucket_address(*s3, "my.bucket", false).path_style);
  EXPECT_TRUE(s3_bucket_address(*s3, "MyBucket", false).path_style);

  for (const char* url : {"http://127.0.0.1:9000", "http://localhost:9000/s3", "http://[::1]:9000"}) {
    auto e = parse_endpoint_url(url);
    ASSERT_TRUE(e.ok());
    auto a = s3_bucket_address(*e, "team-bucket", false);
    EXPECT_TRUE(a.path_style) << url;
    EXPECT_EQ(a.endpoint.host, e->host);
    EXPECT_EQ(a.path_prefix, e->base_path + "/team-bucket");
  }
  auto named = parse_endpoint_url("https://storage.example.com");
  ASSERT_TRUE(named.ok());
  auto a = s3_bucket_address(*named, "team-bucket", false);
  EXPECT_FALSE(a.path_style);
  EXPECT_EQ(a.endpoint.host, "team-bucket.storage.example.com");
}

TEST(Endpoint, BucketAndHostClassifiers) {
  EXPECT_TRUE(virtual_host_compatible_bucket("abc"));
  EXPECT_TRUE(virtual_host_compatible_bucket("a-b-1"));
  EXPECT_FALSE(virtual_host_compatible_bucket("ab"));
  EXPECT_FALSE(virtual_host_compatible_bucket("-ab"));
  EXPECT_FALSE(virtual_host_compatible_bucket(std::string(64, 'a')));
  EXPECT_TRUE(is_ip_or_localhost("10.0.0.1"));
  EXPECT_TRUE(is_ip_or_localhost("LOCALHOST"));
  EXPECT_TRUE(is_ip_or_localhost("s3.localhost"));
  EXPECT_FALSE(is_ip_or_localhost("10.0.0"));
  EXPECT_FALSE(is_ip_or_localhost("256.0.0.1"));
  EXPECT_FALSE(is_ip_or_localhost("example.com"));
}

}  // namespace
}  // namespace awsdl::internal
