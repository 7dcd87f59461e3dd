#include "awsdl/servicequotas/servicequotas.hpp"

#include "protocol/service_client.hpp"
#include "util/json.hpp"

namespace awsdl::servicequotas {

namespace {
// botocore: ServiceCode and QuotaCode are 1 to 63 characters of [a-zA-Z0-9-].
bool valid_code(const std::string& s) {
  if (s.empty() || s.size() > 63) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-')) return false;
  return true;
}
}  // namespace

ServiceQuotasClient::ServiceQuotasClient(Config config)
    : client_(std::make_shared<ServiceClient>(std::move(config),
                                              internal::service_info(internal::Service::kServiceQuotas))) {}

Result<ServiceQuota> ServiceQuotasClient::get_service_quota(const std::string& service_code,
                                                            const std::string& quota_code,
                                                            const CallOptions& options) const {
  if (!valid_code(service_code) || !valid_code(quota_code))
    return Error::invalid_argument("ValidationException",
                                   "GetServiceQuota: service and quota codes are 1 to 63 letters, digits and '-'");
  internal::JsonWriter w;
  w.start_object().field("ServiceCode", service_code).field("QuotaCode", quota_code).end_object();
  AWSDL_ASSIGN_OR_RETURN(auto doc, client_->call_json("GetServiceQuota", w.str(), options));
  const auto* q = internal::json_object(doc.root(), "Quota");
  if (q == nullptr) return Error::make(ErrorKind::kParse, "MissingElement", "GetServiceQuota: answer has no Quota");
  ServiceQuota out;
  out.service_code = internal::json_string_or(*q, "ServiceCode");
  out.quota_code = internal::json_string_or(*q, "QuotaCode");
  out.quota_name = internal::json_string_or(*q, "QuotaName");
  out.quota_arn = internal::json_string_or(*q, "QuotaArn");
  auto value = internal::json_number(*q, "Value");
  if (!value) return Error::make(ErrorKind::kParse, "MissingElement", "GetServiceQuota: quota " + quota_code + " has no Value");
  out.value = *value;
  out.unit = internal::json_string_or(*q, "Unit");
  out.adjustable = internal::json_bool(*q, "Adjustable").value_or(false);
  out.global = internal::json_bool(*q, "GlobalQuota").value_or(false);
  return out;
}

}  // namespace awsdl::servicequotas
