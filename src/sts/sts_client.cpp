#include "awsdl/sts/sts.hpp"

#include <cctype>

#include "awsdl/core/log.hpp"
#include "util/http_date.hpp"
#include "protocol/query_serializer.hpp"
#include "protocol/service_client.hpp"
#include "util/xml.hpp"

namespace awsdl::sts {
namespace {

Status check_role_args(const std::string& role_arn, const std::string& session_name, std::chrono::seconds duration) {
  if (role_arn.empty()) return Error::invalid_argument("MissingParameter", "RoleArn must not be empty");
  if (role_arn.size() < 20 || role_arn.compare(0, 4, "arn:") != 0)
    return Error::invalid_argument("InvalidParameterValue", "RoleArn '" + role_arn + "' is not an ARN");
  if (session_name.size() < 2 || session_name.size() > 64)
    return Error::invalid_argument("InvalidParameterValue", "RoleSessionName must be 2 to 64 characters");
  for (char c : session_name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || std::string_view("_=,.@-").find(c) != std::string_view::npos))
      return Error::invalid_argument("InvalidParameterValue",
                                     "RoleSessionName may hold only letters, digits and _=,.@- ('" + session_name + "')");
  if (duration.count() < 900 || duration.count() > 43200)
    return Error::invalid_argument("InvalidParameterValue", "DurationSeconds must be 900 to 43200, not " +
                                                                std::to_string(duration.count()));
  return {};
}

Result<AssumedRole> parse_assumed_role(const internal::XmlDocument& doc, std::string_view action, const char* source) {
  AWSDL_ASSIGN_OR_RETURN(auto result, internal::query_result(doc, action));
  auto creds = internal::xml_child(result, "Credentials");
  AssumedRole out;
  AWSDL_ASSIGN_OR_RETURN(out.credentials.access_key_id, internal::xml_required_text(creds, "AccessKeyId"));
  AWSDL_ASSIGN_OR_RETURN(out.credentials.secret_access_key, internal::xml_required_text(creds, "SecretAccessKey"));
  AWSDL_ASSIGN_OR_RETURN(out.credentials.session_token, internal::xml_required_text(creds, "SessionToken"));
  register_secret(out.credentials.secret_access_key);
  register_secret(out.credentials.session_token);
  AWSDL_ASSIGN_OR_RETURN(std::string expiration, internal::xml_required_text(creds, "Expiration"));
  auto when = internal::parse_iso8601(expiration);
  if (!when)
    return Error::make(ErrorKind::kParse, "BadTimestamp",
                       std::string(action) + ": Expiration '" + expiration + "' is not an ISO 8601 time");
  out.credentials.expiration = *when;
  out.credentials.source = source;
  out.assumed_role_arn = internal::xml_text(result, "AssumedRoleUser/Arn");
  out.assumed_role_id = internal::xml_text(result, "AssumedRoleUser/AssumedRoleId");
  return out;
}

}  // namespace

StsClient::StsClient(Config config)
    : client_(std::make_shared<ServiceClient>(std::move(config),
                                                        internal::service_info(internal::Service::kSts))) {}

Result<CallerIdentity> StsClient::get_caller_identity(const CallOptions& options) const {
  internal::QueryRequest q{"GetCallerIdentity", client_->info().api_version};
  AWSDL_ASSIGN_OR_RETURN(auto doc, client_->call_query(q, options));
  AWSDL_ASSIGN_OR_RETURN(auto result, internal::query_result(doc, "GetCallerIdentity"));
  CallerIdentity id;
  AWSDL_ASSIGN_OR_RETURN(id.account, internal::xml_required_text(result, "Account"));
  AWSDL_ASSIGN_OR_RETURN(id.arn, internal::xml_required_text(result, "Arn"));
  AWSDL_ASSIGN_OR_RETURN(id.user_id, internal::xml_required_text(result, "UserId"));
  return id;
}

Result<AssumedRole> StsClient::assume_role(const AssumeRoleRequest& request, const CallOptions& options) const {
  AWSDL_TRY(check_role_args(request.role_arn, request.role_session_name, request.duration));
  internal::QueryRequest q{"AssumeRole", client_->info().api_version};
  q.add("RoleArn", request.role_arn)
      .add("RoleSessionName", request.role_session_name)
      .add("DurationSeconds", static_cast<std::int64_t>(request.duration.count()))
      .add_optional("ExternalId", request.external_id)
      .add_optional("Policy", request.policy);
  // Changes nothing on the service: a second call only hands out other credentials.
  AWSDL_ASSIGN_OR_RETURN(auto doc, client_->call_query(q, options, internal::Idempotency::kIdempotent));
  return parse_assumed_role(doc, "AssumeRole", "sts:AssumeRole");
}

Result<AssumedRole> StsClient::assume_role_with_web_identity(const AssumeRoleWithWebIdentityRequest& request,
                                                             const CallOptions& options) const {
  AWSDL_TRY(check_role_args(request.role_arn, request.role_session_name, request.duration));
  if (request.web_identity_token.empty())
    return Error::invalid_argument("MissingParameter", "WebIdentityToken must not be empty");
  register_secret(request.web_identity_token);
  internal::QueryRequest q{"AssumeRoleWithWebIdentity", client_->info().api_version};
  q.add("RoleArn", request.role_arn)
      .add("RoleSessionName", request.role_session_name)
      .add("WebIdentityToken", request.web_identity_token)
      .add("DurationSeconds", static_cast<std::int64_t>(request.duration.count()));
  AWSDL_ASSIGN_OR_RETURN(auto doc,
                         client_->call_query(q, options, /*sign=*/false, internal::Idempotency::kIdempotent));
  return parse_assumed_role(doc, "AssumeRoleWithWebIdentity", "sts:AssumeRoleWithWebIdentity");
}

}  // namespace awsdl::sts
