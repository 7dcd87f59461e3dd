#pragma once
// Shared by the CloudFormation client's files.

#include <string>

#include "awsdl/cloudformation/cloudformation.hpp"
#include "awsdl/core/result.hpp"

namespace awsdl::cloudformation::detail {

/// A stack name ([A-Za-z][-A-Za-z0-9]*, at most 128) or, where `allow_id`, a stack id ARN.
Status check_stack_name(const std::string& name, const char* op, bool allow_id = true);

/// "Workers (AWS::AutoScaling::AutoScalingGroup) CREATE_FAILED: reason; ..." for the failed
/// events of the latest attempt, oldest first.
std::string failure_summary(const std::vector<StackEvent>& newest_first);

}  // namespace awsdl::cloudformation::detail
