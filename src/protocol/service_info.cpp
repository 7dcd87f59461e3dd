#include "protocol/service_info.hpp"

#include <array>
#include <cstddef>

namespace awsdl::internal {

const ServiceInfo& service_info(Service service) {
  // In the order of Service. tests/unit/service_info_test.cpp compares every row with
  // botocore's model of the service.
  static const std::array<ServiceInfo, std::size(kServices)> table{{
      {.endpoint_prefix = "autoscaling", .signing_name = "autoscaling", .env_name = "AUTO_SCALING",
       .api_version = "2011-01-01", .protocol = Protocol::kQuery},
      {.endpoint_prefix = "cloudformation", .signing_name = "cloudformation", .env_name = "CLOUDFORMATION",
       .api_version = "2010-05-15", .protocol = Protocol::kQuery},
      {.endpoint_prefix = "ec2", .signing_name = "ec2", .env_name = "EC2", .api_version = "2016-11-15",
       .protocol = Protocol::kEc2},
      {.endpoint_prefix = "api.ecr", .signing_name = "ecr", .env_name = "ECR", .api_version = "2015-09-21",
       .protocol = Protocol::kJson, .json_target_prefix = "AmazonEC2ContainerRegistry_V20150921"},
      {.endpoint_prefix = "elasticfilesystem", .signing_name = "elasticfilesystem", .env_name = "EFS",
       .api_version = "2015-02-01", .protocol = Protocol::kRestJson},
      {.endpoint_prefix = "fsx", .signing_name = "fsx", .env_name = "FSX", .api_version = "2018-03-01",
       .protocol = Protocol::kJson, .json_target_prefix = "AWSSimbaAPIService_v20180301"},
      {.endpoint_prefix = "logs", .signing_name = "logs", .env_name = "CLOUDWATCH_LOGS", .api_version = "2014-03-28",
       .protocol = Protocol::kJson, .json_target_prefix = "Logs_20140328"},
      {.endpoint_prefix = "s3", .signing_name = "s3", .env_name = "S3", .api_version = "2006-03-01",
       .protocol = Protocol::kRestXml},
      {.endpoint_prefix = "api.sagemaker", .signing_name = "sagemaker", .env_name = "SAGEMAKER",
       .api_version = "2017-07-24", .protocol = Protocol::kJson, .json_target_prefix = "SageMaker"},
      {.endpoint_prefix = "servicequotas", .signing_name = "servicequotas", .env_name = "SERVICE_QUOTAS",
       .api_version = "2019-06-24", .protocol = Protocol::kJson, .json_target_prefix = "ServiceQuotasV20190624"},
      {.endpoint_prefix = "ssm", .signing_name = "ssm", .env_name = "SSM", .api_version = "2014-11-06",
       .protocol = Protocol::kJson, .json_target_prefix = "AmazonSSM"},
      // STS answers in every region; without one, the SDKs use us-east-1.
      {.endpoint_prefix = "sts", .signing_name = "sts", .env_name = "STS", .api_version = "2011-06-15",
       .protocol = Protocol::kQuery, .default_region = "us-east-1"},
  }};
  return table[static_cast<std::size_t>(service)];
}

}  // namespace awsdl::internal
