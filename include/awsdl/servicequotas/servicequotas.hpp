#pragma once
// Service Quotas: reading an account's quota in a region, notably EC2's vCPU quotas per
// instance family and market that a GPU cluster needs ("Running On-Demand P instances",
// L-417A185B). Names follow botocore's service-quotas model.

#include <memory>
#include <optional>
#include <string>

#include "awsdl/config.hpp"
#include "awsdl/core/options.hpp"
#include "awsdl/core/result.hpp"

namespace awsdl {
/// What a service client stands on (signing, retries, endpoints): opaque here.
class ServiceClient;
}  // namespace awsdl

namespace awsdl::servicequotas {

struct AWSDL_EXPORT ServiceQuota {
  std::string service_code;  // "ec2"
  std::string quota_code;    // "L-417A185B"
  std::string quota_name;    // "Running On-Demand P instances"
  std::string quota_arn;
  double value = 0;          // the applied value (vCPUs for EC2's instance quotas)
  std::string unit;          // "None" for EC2's vCPU quotas
  bool adjustable = false;   // whether an increase can be requested
  bool global = false;
};

class AWSDL_EXPORT ServiceQuotasClient {
 public:
  explicit ServiceQuotasClient(Config config);

  /// GetServiceQuota: the quota applied to the account in the configured region. kService
  /// "NoSuchResourceException" for an unknown code; "AccessDeniedException" without
  /// servicequotas:GetServiceQuota.
  Result<ServiceQuota> get_service_quota(const std::string& service_code, const std::string& quota_code,
                                         const CallOptions& options = {}) const;

 private:
  std::shared_ptr<ServiceClient> client_;
};

}  // namespace awsdl::servicequotas
