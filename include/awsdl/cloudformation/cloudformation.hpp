#pragma once
// AWS CloudFormation: create, update, watch and delete the stack a cluster lives in. Names
// follow botocore's cloudformation model.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "awsdl/config.hpp"
#include "awsdl/core/options.hpp"
#include "awsdl/core/result.hpp"
#include "awsdl/core/wait.hpp"

namespace awsdl {
/// What a service client stands on (signing, retries, endpoints): opaque here.
class ServiceClient;
}  // namespace awsdl

namespace awsdl::cloudformation {

/// CloudFormation's limit for TemplateBody; larger templates must go through TemplateURL.
inline constexpr std::size_t kMaxTemplateBodyBytes = 51200;

struct AWSDL_EXPORT StackParameter {
  std::string key;
  std::string value;
  bool use_previous_value = false;  // UpdateStack only
};

struct AWSDL_EXPORT StackTag {
  std::string key;
  std::string value;
};

enum class OnFailure { kUnset, kDoNothing, kRollback, kDelete };

struct AWSDL_EXPORT CreateStackRequest {
  std::string stack_name;
  std::string template_body;  // or
  std::string template_url;   // an S3 URL, for bodies over kMaxTemplateBodyBytes
  std::vector<StackParameter> parameters;
  std::vector<std::string> capabilities;  // CAPABILITY_IAM, CAPABILITY_NAMED_IAM, CAPABILITY_AUTO_EXPAND
  std::vector<StackTag> tags;
  OnFailure on_failure = OnFailure::kUnset;
  std::optional<int> timeout_minutes;
  /// Idempotency token: generated when empty and reused by every retry of the call.
  std::string client_request_token;
};

struct AWSDL_EXPORT UpdateStackRequest {
  std::string stack_name;
  std::string template_body;
  std::string template_url;
  bool use_previous_template = false;
  std::vector<StackParameter> parameters;
  std::vector<std::string> capabilities;
  std::vector<StackTag> tags;
  std::string client_request_token;  // generated when empty
};

struct AWSDL_EXPORT StackOutput {
  std::string key;
  std::string value;
  std::string description;
  std::string export_name;
};

struct AWSDL_EXPORT Stack {
  std::string stack_id;
  std::string stack_name;
  std::string status;  // CREATE_IN_PROGRESS, CREATE_COMPLETE, ROLLBACK_COMPLETE, ...
  std::string status_reason;
  std::string description;
  std::string creation_time;
  std::string last_updated_time;
  std::vector<StackParameter> parameters;
  std::vector<StackOutput> outputs;
  std::vector<StackTag> tags;
  std::vector<std::string> capabilities;

  /// The value of output `key`, or "".
  std::string output(const std::string& key) const;
};

struct AWSDL_EXPORT StackEvent {
  std::string event_id;
  std::string stack_name;
  std::string logical_id;
  std::string physical_id;
  std::string resource_type;
  std::string timestamp;
  std::string status;
  std::string status_reason;
  std::string client_request_token;
};

struct AWSDL_EXPORT StackResource {
  std::string logical_id;
  std::string physical_id;
  std::string resource_type;
  std::string status;
  std::string status_reason;
  std::string timestamp;
};

struct AWSDL_EXPORT TemplateSummary {
  std::string description;
  std::vector<std::string> parameter_keys;
  std::vector<std::string> capabilities;
  std::string capabilities_reason;
};

class AWSDL_EXPORT CloudFormationClient {
 public:
  explicit CloudFormationClient(Config config);

  /// The new stack's id.
  Result<std::string> create_stack(const CreateStackRequest& request, const CallOptions& options = {}) const;
  Result<std::string> update_stack(const UpdateStackRequest& request, const CallOptions& options = {}) const;
  Status delete_stack(const std::string& stack_name, const std::string& client_request_token = {},
                      const CallOptions& options = {}) const;
  /// All stacks (every page) when `stack_name` is empty.
  Result<std::vector<Stack>> describe_stacks(const std::string& stack_name = {}, const CallOptions& options = {}) const;
  Result<Stack> describe_stack(const std::string& stack_name, const CallOptions& options = {}) const;
  /// Newest first, every page (the paginator) up to `max_events` (0: all).
  Result<std::vector<StackEvent>> describe_stack_events(const std::string& stack_name, std::size_t max_events = 0,
                                                        const CallOptions& options = {}) const;
  Result<std::vector<StackResource>> describe_stack_resources(const std::string& stack_name,
                                                              const CallOptions& options = {}) const;
  /// The template body as stored.
  Result<std::string> get_template(const std::string& stack_name, const CallOptions& options = {}) const;
  /// Exactly one of body / url.
  Result<TemplateSummary> validate_template(const std::string& template_body, const std::string& template_url = {},
                                            const CallOptions& options = {}) const;

  /// Waiters (botocore's StackCreateComplete / StackUpdateComplete / StackDeleteComplete
  /// acceptors). A failure ends with kService "WaiterFailure" whose message names the
  /// failed resources and their reasons, taken from the stack's events.
  Result<Stack> wait_until_create_complete(const std::string& stack_name, const WaitOptions& options = {}) const;
  Result<Stack> wait_until_update_complete(const std::string& stack_name, const WaitOptions& options = {}) const;
  Status wait_until_delete_complete(const std::string& stack_name, const WaitOptions& options = {}) const;

 private:
  std::shared_ptr<ServiceClient> client_;
};

}  // namespace awsdl::cloudformation
