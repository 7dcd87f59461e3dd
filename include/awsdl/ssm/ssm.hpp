#pragma once
// AWS Systems Manager Parameter Store: reading a parameter, notably the public ones that
// name the current Deep Learning AMI (/aws/service/deeplearning/ami/...), so that image
// ids never go stale.

#include <cstdint>
#include <memory>
#include <string>

#include "awsdl/config.hpp"
#include "awsdl/core/options.hpp"
#include "awsdl/core/result.hpp"

namespace awsdl {
/// What a service client stands on (signing, retries, endpoints): opaque here.
class ServiceClient;
}  // namespace awsdl

namespace awsdl::ssm {

struct AWSDL_EXPORT Parameter {
  std::string name;
  std::string type;  // String, StringList, SecureString
  std::string value;
  std::int64_t version = 0;
  std::string arn;
  std::string data_type;  // "text", "aws:ec2:image"
};

class AWSDL_EXPORT SsmClient {
 public:
  explicit SsmClient(Config config);
  /// kService "ParameterNotFound" when it does not exist. A SecureString value is registered
  /// as a secret (never logged).
  Result<Parameter> get_parameter(const std::string& name, bool with_decryption = false,
                                  const CallOptions& options = {}) const;

 private:
  std::shared_ptr<ServiceClient> client_;
};

}  // namespace awsdl::ssm
