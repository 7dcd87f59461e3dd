#include <cctype>

#include "cloudformation/cloudformation_internal.hpp"
#include "protocol/error_parser.hpp"
#include "util/idempotency_token.hpp"
#include "protocol/pagination.hpp"
#include "protocol/query_pages.hpp"
#include "protocol/query_serializer.hpp"
#include "protocol/service_client.hpp"
#include "util/xml.hpp"

namespace awsdl::cloudformation {

using internal::QueryScope;
using internal::xml_list;
using internal::xml_text;

namespace detail {

Status check_stack_name(const std::string& name, const char* op, bool allow_id) {
  if (allow_id && name.rfind("arn:", 0) == 0) return {};
  bool ok = !name.empty() && name.size() <= 128 && std::isalpha(static_cast<unsigned char>(name[0]));
  for (char c : name) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '-');
  if (!ok)
    return Error::invalid_argument("ValidationError", std::string(op) + ": '" + name +
                                                          "' is not a valid stack name (a letter, then letters, "
                                                          "digits and hyphens, at most 128 characters)");
  return {};
}

std::string failure_summary(const std::vector<StackEvent>& newest_first) {
  std::string out;
  int n = 0;
  for (auto it = newest_first.rbegin(); it != newest_first.rend(); ++it) {
    const auto& e = *it;
    bool failed = e.status.size() > 7 && e.status.compare(e.status.size() - 7, 7, "_FAILED") == 0;
    if (!failed || e.status_reason.empty() || e.resource_type == "AWS::CloudFormation::Stack") continue;
    if (++n > 10) break;
    out += (out.empty() ? "" : "; ") + e.logical_id + " (" + e.resource_type + ") " + e.status + ": " + e.status_reason;
  }
  return out;
}

}  // namespace detail

namespace {

Status check_template(const std::string& body, const std::string& url, const char* op, bool may_omit = false) {
  if (body.empty() && url.empty() && !may_omit)
    return Error::invalid_argument("ValidationError", std::string(op) + ": give a template body or a template URL");
  if (!body.empty() && !url.empty())
    return Error::invalid_argument("ValidationError", std::string(op) + ": give a template body or a URL, not both");
  if (body.size() > kMaxTemplateBodyBytes)
    return Error::invalid_argument("ValidationError", std::string(op) + ": the template is " +
                                                          std::to_string(body.size()) +
                                                          " bytes, over CloudFormation's 51,200-byte limit for a "
                                                          "body: upload it to S3 and pass its template_url");
  return {};
}

void add_parameters(QueryScope& q, const std::vector<StackParameter>& params) {
  if (params.empty()) return;
  q.add_list("Parameters", params, [](QueryScope& s, const StackParameter& p) {
    s.add("ParameterKey", p.key);
    if (p.use_previous_value) s.add("UsePreviousValue", true);
    else s.add("ParameterValue", p.value);
  });
}

void add_tags(QueryScope& q, const std::vector<StackTag>& tags) {
  if (tags.empty()) return;
  q.add_list("Tags", tags, [](QueryScope& s, const StackTag& t) { s.add("Key", t.key).add("Value", t.value); });
}

const char* on_failure_name(OnFailure f) {
  switch (f) {
    case OnFailure::kDoNothing: return "DO_NOTHING";
    case OnFailure::kRollback: return "ROLLBACK";
    case OnFailure::kDelete: return "DELETE";
    case OnFailure::kUnset: break;
  }
  return "";
}

Stack parse_stack(pugi::xml_node m) {
  Stack s;
  s.stack_id = xml_text(m, "StackId");
  s.stack_name = xml_text(m, "StackName");
  s.status = xml_text(m, "StackStatus");
  s.status_reason = xml_text(m, "StackStatusReason");
  s.description = xml_text(m, "Description");
  s.creation_time = xml_text(m, "CreationTime");
  s.last_updated_time = xml_text(m, "LastUpdatedTime");
  for (auto p : xml_list(m, "Parameters")) s.parameters.push_back({xml_text(p, "ParameterKey"), xml_text(p, "ParameterValue")});
  for (auto o : xml_list(m, "Outputs"))
    s.outputs.push_back({xml_text(o, "OutputKey"), xml_text(o, "OutputValue"), xml_text(o, "Description"),
                         xml_text(o, "ExportName")});
  for (auto t : xml_list(m, "Tags")) s.tags.push_back({xml_text(t, "Key"), xml_text(t, "Value")});
  for (auto c : xml_list(m, "Capabilities")) s.capabilities.push_back(c.text().get());
  return s;
}

}  // namespace

std::string Stack::output(const std::string& key) const {
  for (const auto& o : outputs)
    if (o.key == key) return o.value;
  return {};
}

CloudFormationClient::CloudFormationClient(Config config)
    : client_(std::make_shared<ServiceClient>(std::move(config),
                                                        internal::service_info(internal::Service::kCloudFormation))) {}

Result<std::string> CloudFormationClient::create_stack(const CreateStackRequest& r, const CallOptions& options) const {
  AWSDL_TRY(detail::check_stack_name(r.stack_name, "CreateStack", false));
  AWSDL_TRY(check_template(r.template_body, r.template_url, "CreateStack"));
  if (r.timeout_minutes && *r.timeout_minutes < 1)
    return Error::invalid_argument("ValidationError", "CreateStack: timeout_minutes must be at least 1");
  internal::QueryRequest q{"CreateStack", client_->info().api_version};
  q.add("StackName", r.stack_name).add_optional("TemplateBody", r.template_body).add_optional("TemplateURL", r.template_url);
  add_parameters(q, r.parameters);
  q.add_optional("TimeoutInMinutes", r.timeout_minutes);
  if (!r.capabilities.empty()) q.add_list("Capabilities", r.capabilities);
  if (r.on_failure != OnFailure::kUnset) q.add("OnFailure", on_failure_name(r.on_failure));
  add_tags(q, r.tags);
  // Made once so that every retry carries it: a retried create never makes a second stack.
  q.add("ClientRequestToken", r.client_request_token.empty() ? internal::new_idempotency_token() : r.client_request_token);
  AWSDL_ASSIGN_OR_RETURN(auto doc, client_->call_query(q, options));
  AWSDL_ASSIGN_OR_RETURN(auto result, internal::query_result(doc, "CreateStack"));
  return internal::xml_required_text(result, "StackId");
}

Result<std::string> CloudFormationClient::update_stack(const UpdateStackRequest& r, const CallOptions& options) const {
  AWSDL_TRY(detail::check_stack_name(r.stack_name, "UpdateStack"));
  AWSDL_TRY(check_template(r.template_body, r.template_url, "UpdateStack", r.use_previous_template));
  if (r.use_previous_template && (!r.template_body.empty() || !r.template_url.empty()))
    return Error::invalid_argument("ValidationError", "UpdateStack: use_previous_template excludes a new template");
  internal::QueryRequest q{"UpdateStack", client_->info().api_version};
  q.add("StackName", r.stack_name).add_optional("TemplateBody", r.template_body).add_optional("TemplateURL", r.template_url);
  if (r.use_previous_template) q.add("UsePreviousTemplate", true);
  add_parameters(q, r.parameters);
  if (!r.capabilities.empty()) q.add_list("Capabilities", r.capabilities);
  add_tags(q, r.tags);
  q.add("ClientRequestToken", r.client_request_token.empty() ? internal::new_idempotency_token() : r.client_request_token);
  AWSDL_ASSIGN_OR_RETURN(auto doc, client_->call_query(q, options));
  AWSDL_ASSIGN_OR_RETURN(auto result, internal::query_result(doc, "UpdateStack"));
  return internal::xml_required_text(result, "StackId");
}

Status CloudFormationClient::delete_stack(const std::string& name, const std::string& token,
                                          const CallOptions& options) const {
  AWSDL_TRY(detail::check_stack_name(name, "DeleteStack"));
  internal::QueryRequest q{"DeleteStack", client_->info().api_version};
  q.add("StackName", name).add_optional("ClientRequestToken", token);
  AWSDL_ASSIGN_OR_RETURN(auto doc, client_->call_query(q, options));
  AWSDL_TRY(internal::xml_answer_root(doc, "DeleteStack"));  // no result element; an error document is still an error
  return {};
}

Result<std::vector<Stack>> CloudFormationClient::describe_stacks(const std::string& name,
                                                                 const CallOptions& options) const {
  if (!name.empty()) AWSDL_TRY(detail::check_stack_name(name, "DescribeStacks"));
  std::vector<Stack> out;
  AWSDL_TRY(internal::query_pages(
      *client_, "CloudFormation", "DescribeStacks", options,
      [&name](internal::QueryRequest& q, const std::string& token) {
        q.add_optional("StackName", name).add_optional("NextToken", token);
      },
      [&out](pugi::xml_node result) {
        for (auto m : xml_list(result, "Stacks")) out.push_back(parse_stack(m));
        return true;
      }));
  return out;
}

Result<Stack> CloudFormationClient::describe_stack(const std::string& name, const CallOptions& options) const {
  if (name.empty()) return Error::invalid_argument("ValidationError", "DescribeStacks: no stack name given");
  AWSDL_ASSIGN_OR_RETURN(auto stacks, describe_stacks(name, options));
  if (stacks.empty())
    return Error::make(ErrorKind::kNotFound, "StackNotFound", "Stack with id " + name + " does not exist");
  return std::move(stacks.front());
}

Result<std::vector<StackEvent>> CloudFormationClient::describe_stack_events(const std::string& name,
                                                                            std::size_t max_events,
                                                                            const CallOptions& options) const {
  AWSDL_TRY(detail::check_stack_name(name, "DescribeStackEvents"));
  std::vector<StackEvent> out;
  AWSDL_TRY(internal::query_pages(
      *client_, "CloudFormation", "DescribeStackEvents", options,
      [&name](internal::QueryRequest& q, const std::string& token) {
        q.add("StackName", name).add_optional("NextToken", token);
      },
      [&](pugi::xml_node result) {
        for (auto m : xml_list(result, "StackEvents")) {
          out.push_back({xml_text(m, "EventId"), xml_text(m, "StackName"), xml_text(m, "LogicalResourceId"),
                         xml_text(m, "PhysicalResourceId"), xml_text(m, "ResourceType"), xml_text(m, "Timestamp"),
                         xml_text(m, "ResourceStatus"), xml_text(m, "ResourceStatusReason"),
                         xml_text(m, "ClientRequestToken")});
          if (max_events > 0 && out.size() >= max_events) return false;
        }
        return true;
      }));
  return out;
}

Result<std::vector<StackResource>> CloudFormationClient::describe_stack_resources(const std::string& name,
                                                                                  const CallOptions& options) const {
  AWSDL_TRY(detail::check_stack_name(name, "DescribeStackResources"));
  internal::QueryRequest q{"DescribeStackResources", client_->info().api_version};
  q.add("StackName", name);
  AWSDL_ASSIGN_OR_RETURN(auto doc, client_->call_query(q, options));
  AWSDL_ASSIGN_OR_RETURN(auto result, internal::query_result(doc, "DescribeStackResources"));
  std::vector<StackResource> out;
  for (auto m : xml_list(result, "StackResources"))
    out.push_back({xml_text(m, "LogicalResourceId"), xml_text(m, "PhysicalResourceId"), xml_text(m, "ResourceType"),
                   xml_text(m, "ResourceStatus"), xml_text(m, "ResourceStatusReason"), xml_text(m, "Timestamp")});
  return out;
}

Result<std::string> CloudFormationClient::get_template(const std::string& name, const CallOptions& options) const {
  AWSDL_TRY(detail::check_stack_name(name, "GetTemplate"));
  internal::QueryRequest q{"GetTemplate", client_->info().api_version};
  q.add("StackName", name);
  AWSDL_ASSIGN_OR_RETURN(auto doc, client_->call_query(q, options));
  AWSDL_ASSIGN_OR_RETURN(auto result, internal::query_result(doc, "GetTemplate"));
  return internal::xml_required_text(result, "TemplateBody");
}

Result<TemplateSummary> CloudFormationClient::validate_template(const std::string& body, const std::string& url,
                                                                const CallOptions& options) const {
  AWSDL_TRY(check_template(body, url, "ValidateTemplate"));
  internal::QueryRequest q{"ValidateTemplate", client_->info().api_version};
  q.add_optional("TemplateBody", body).add_optional("TemplateURL", url);
  AWSDL_ASSIGN_OR_RETURN(auto doc, client_->call_query(q, options));
  AWSDL_ASSIGN_OR_RETURN(auto result, internal::query_result(doc, "ValidateTemplate"));
  TemplateSummary s;
  s.description = xml_text(result, "Description");
  for (auto p : xml_list(result, "Parameters")) s.parameter_keys.push_back(xml_text(p, "ParameterKey"));
  for (auto c : xml_list(result, "Capabilities")) s.capabilities.push_back(c.text().get());
  s.capabilities_reason = xml_text(result, "CapabilitiesReason");
  return s;
}

}  // namespace awsdl::cloudformation
