#pragma once
// What a service client tells the shared machinery about its service: names for endpoints,
// signing and environment overrides, and the wire protocol. The services the library calls
// are described once, in the table behind service_info().

#include <string>

namespace awsdl::internal {

enum class Protocol { kQuery, kEc2, kJson, kRestXml, kRestJson };

struct ServiceInfo {
  std::string endpoint_prefix;     // host label: "sts", "ec2", "s3", "api.sagemaker"
  std::string signing_name;        // SigV4 service: "sts", "ec2", "s3", "sagemaker"
  std::string env_name;            // AWS_ENDPOINT_URL_<env_name>: "STS", "EC2", "CLOUDWATCH_LOGS"
  std::string api_version;         // "2011-06-15"
  Protocol protocol = Protocol::kQuery;
  std::string json_target_prefix;  // json protocol: X-Amz-Target "<prefix>.<Operation>"
  std::string json_version = "1.1";
  /// One endpoint per partition (IAM): "iam.amazonaws.com", signed for the partition's
  /// home region.
  bool global = false;
  /// Used when the configuration names no region (STS: us-east-1); empty = region required.
  std::string default_region;

  bool is_s3() const { return signing_name == "s3"; }
};

/// The services the library calls.
enum class Service {
  kAutoScaling,
  kCloudFormation,
  kEc2,
  kEcr,
  kEfs,
  kFsx,
  kLogs,
  kS3,
  kSageMaker,
  kServiceQuotas,
  kSsm,
  kSts,
};

/// Every Service, in order (for tests).
inline constexpr Service kServices[] = {Service::kAutoScaling, Service::kCloudFormation, Service::kEc2,
                                        Service::kEcr,         Service::kEfs,            Service::kFsx,
                                        Service::kLogs,        Service::kS3,             Service::kSageMaker,
                                        Service::kServiceQuotas, Service::kSsm,          Service::kSts};

/// The one description of `service`, as in botocore's service model (endpointPrefix,
/// signingName, apiVersion, protocol, targetPrefix, jsonVersion; env_name from serviceId).
const ServiceInfo& service_info(Service service);

}  // namespace awsdl::internal
