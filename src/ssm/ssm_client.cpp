#include "awsdl/ssm/ssm.hpp"

#include "awsdl/core/log.hpp"
#include "util/json.hpp"
#include "protocol/service_client.hpp"

namespace awsdl::ssm {

SsmClient::SsmClient(Config config)
    : client_(std::make_shared<ServiceClient>(std::move(config),
                                                        internal::service_info(internal::Service::kSsm))) {}

Result<Parameter> SsmClient::get_parameter(const std::string& name, bool with_decryption,
                                           const CallOptions& options) const {
  if (name.empty() || name.size() > 2048)
    return Error::invalid_argument("InvalidParameterValue", "GetParameter: name must be 1 to 2048 characters");
  internal::JsonWriter w;
  w.start_object().field("Name", name);
  if (with_decryption) w.field("WithDecryption", true);
  w.end_object();
  AWSDL_ASSIGN_OR_RETURN(auto doc, client_->call_json("GetParameter", w.str(), options));
  const auto* p = internal::json_object(doc.root(), "Parameter");
  if (p == nullptr) return Error::make(ErrorKind::kParse, "MissingElement", "GetParameter: answer has no Parameter");
  Parameter out;
  out.name = internal::json_string_or(*p, "Name");
  out.type = internal::json_string_or(*p, "Type");
  auto value = internal::json_string(*p, "Value");
  if (!value) return Error::make(ErrorKind::kParse, "MissingElement", "GetParameter: parameter has no Value");
  out.value = std::move(*value);
  if (out.type == "SecureString") register_secret(out.value);
  out.version = internal::json_int(*p, "Version").value_or(0);
  out.arn = internal::json_string_or(*p, "ARN");
  out.data_type = internal::json_string_or(*p, "DataType");
  return out;
}

}  // namespace awsdl::ssm
