#pragma once
// awsdl-cluster's words for the next steps the library suggests (awsdl::Error::next_steps,
// ClusterEvent::next_steps): the commands of this program. Header-only, so that the tests of
// the lifecycle can check what the program says.

#include <string>

#include <awsdl/cluster/lifecycle.hpp>
#include <awsdl/ec2/ec2.hpp>
#include <awsdl/stage/stager.hpp>

#include "common/next_steps.hpp"

namespace awsdl_cluster {

inline std::string step_words(const awsdl::NextStep& s) {
  namespace next = awsdl::cluster::next_step;
  if (s.action == next::kDescribe) return "see it with `awsdl-cluster status --name " + s.detail + "`";
  if (s.action == next::kResume) return "resume waiting with `awsdl-cluster create --resume --name " + s.detail + "`";
  if (s.action == next::kRemove) return "remove it with `awsdl-cluster delete --name " + s.detail + "`";
  if (s.action == next::kTemplateBucket) return "give --template-bucket BUCKET (or [cluster] staging_bucket)";
  if (s.action == awsdl::ec2::next_step::kStartInstances)
    return std::string("start ") + (s.detail.find(' ') == std::string::npos ? "it" : "them") +
           " with `aws ec2 start-instances --instance-ids " + s.detail + "`";
  if (s.action == awsdl::stage::next_step::kUnstageUnverified)
    return "if you trust it, extract it without verification with `awsdl-cluster unstage --no-verify " + s.detail +
           " DIR`";
  return {};
}

/// An error as awsdl-cluster prints it (awsdl_cli::report with these words).
inline std::string render_error(const awsdl::Error& e, const std::string& context = {}) {
  return awsdl_cli::render_error(e, context, step_words);
}

/// A cluster event's line as awsdl-cluster prints it: its message and its next steps.
inline std::string event_text(const awsdl::cluster::ClusterEvent& e) {
  return awsdl_cli::with_steps(e.message, e.next_steps, step_words);
}

}  // namespace awsdl_cluster
