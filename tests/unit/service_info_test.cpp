// The one table of service descriptions (internal::service_info) against botocore's own
// models of those services (python3-botocore, the package the sandbox validates requests
// with): endpoint prefix, signing name, API version, protocol, JSON target prefix and
// version, and the AWS_ENDPOINT_URL_<NAME> suffix botocore derives from the service id.

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <chrono>
#include <map>
#include <string>

#include "protocol/service_info.hpp"
#include "support/run_process.hpp"

namespace {

using awsdl::internal::Protocol;
using awsdl::internal::Service;
using awsdl::internal::service_info;

// botocore's name for each service's model directory.
std::string botocore_name(Service s) {
  switch (s) {
    case Service::kAutoScaling: return "autoscaling";
    case Service::kCloudFormation: return "cloudformation";
    case Service::kEc2: return "ec2";
    case Service::kEcr: return "ecr";
    case Service::kEfs: return "efs";
    case Service::kFsx: return "fsx";
    case Service::kLogs: return "logs";
    case Service::kS3: return "s3";
    case Service::kSageMaker: return "sagemaker";
    case Service::kServiceQuotas: return "service-quotas";
    case Service::kSsm: return "ssm";
    case Service::kSts: return "sts";
  }
  return "?";
}

const char* protocol_name(Protocol p) {
  switch (p) {
    case Protocol::kQuery: return "query";
    case Protocol::kEc2: return "ec2";
    case Protocol::kJson: return "json";
    case Protocol::kRestXml: return "rest-xml";
    case Protocol::kRestJson: return "rest-json";
  }
  return "?";
}

// Each argument "name/version" -> {"name/version": metadata, ...}, from botocore's loader.
constexpr const char* kScript = R"(
import json, sys
from botocore.loaders import Loader
loader = Loader()
out = {}
for arg in sys.argv[1:]:
    name, version = arg.split('/')
    m = loader.load_service_model(name, 'service-2', version)['metadata']
    out[arg] = {'endpointPrefix': m['endpointPrefix'],
                'signingName': m.get('signingName', m['endpointPrefix']),
                'apiVersion': m['apiVersion'],
                'protocol': m['protocol'],
                'targetPrefix': m.get('targetPrefix', ''),
                'jsonVersion': m.get('jsonVersion', ''),
                'envName': m['serviceId'].replace(' ', '_').upper()}
print(json.dumps(out))
)";

TEST(ServiceInfo, EveryServiceIsDescribedAsBotocoreModelsIt) {
  std::vector<std::string> args{"-c", kScript};
  for (Service s : awsdl::internal::kServices)
    args.push_back(botocore_name(s) + "/" + service_info(s).api_version);
  auto run = awsdl::testsupport::run_process("/usr/bin/python3", args, {{"PYTHONDONTWRITEBYTECODE", "1"}},
                                             std::chrono::seconds(60));
  ASSERT_EQ(run.exit_code, 0) << "botocore (python3-botocore, scripts/install-deps) could not load a model:\n"
                              << run.err;
  rapidjson::Document models;
  models.Parse(run.out.c_str());
  ASSERT_TRUE(models.IsObject()) << run.out;

  for (Service s : awsdl::internal::kServices) {
    const auto& info = service_info(s);
    const std::string key = botocore_name(s) + "/" + info.api_version;
    SCOPED_TRACE(key);
    ASSERT_TRUE(models.HasMember(key.c_str()));
    const auto& m = models[key.c_str()];
    EXPECT_EQ(info.endpoint_prefix, m["endpointPrefix"].GetString());
    EXPECT_EQ(info.signing_name, m["signingName"].GetString());
    EXPECT_EQ(info.api_version, m["apiVersion"].GetString());
    EXPECT_STREQ(protocol_name(info.protocol), m["protocol"].GetString());
    EXPECT_EQ(info.env_name, m["envName"].GetString());
    if (info.protocol == Protocol::kJson) {
      EXPECT_EQ(info.json_target_prefix, m["targetPrefix"].GetString());
      EXPECT_EQ(info.json_version, m["jsonVersion"].GetString());
    } else {
      EXPECT_EQ(info.json_target_prefix, "");
    }
  }
}

TEST(ServiceInfo, OnlyStsHasADefaultRegionAndNoneIsGlobal) {
  for (Service s : awsdl::internal::kServices) {
    const auto& info = service_info(s);
    EXPECT_EQ(info.default_region, s == Service::kSts ? "us-east-1" : "") << info.endpoint_prefix;
    EXPECT_FALSE(info.global) << info.endpoint_prefix;
    EXPECT_EQ(info.is_s3(), s == Service::kS3) << info.endpoint_prefix;
  }
}

}  // namespace
