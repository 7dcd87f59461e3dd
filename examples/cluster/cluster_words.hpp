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

/// The preflight's next steps (awsdl/cluster/preflight.hpp) as commands and settings.
inline std::string preflight_step_words(const awsdl::NextStep& s) {
  namespace next = awsdl::cluster::next_step;
  // The detail's n-th space-separated word ("ec2 L-417A185B 384").
  auto word = [&](std::size_t n) {
    std::size_t at = 0;
    for (std::size_t i = 0; i < n; ++i) {
      at = s.detail.find(' ', at);
      if (at == std::string::npos) return std::string();
      ++at;
    }
    return s.detail.substr(at, s.detail.find(' ', at) - at);
  };
  if (s.action == next::kRequestQuota)
    return "aws service-quotas request-service-quota-increase --service-code " + word(0) + " --quota-code " + word(1) +
           " --desired-value " + word(2);
  if (s.action == next::kChooseZones) return "set availability_zones (or --availability-zones) among: " + s.detail;
  if (s.action == next::kChooseImage)
    return s.detail.empty() ? "set image_id (or --image-id) to an image of this region"
                            : "set image_id (or --image-id) to an " + s.detail + " image";
  if (s.action == next::kCreateKeyPair)
    return "import your public key with `aws ec2 import-key-pair --key-name " + s.detail +
           " --public-key-material fileb://~/.ssh/id_ed25519.pub` (or set key_name)";
  if (s.action == next::kBucketRegion)
    return "use a staging bucket in this region (staging_bucket), or --region " + word(1);
  if (s.action == next::kCreateBucket) return "create it with `aws s3 mb s3://" + s.detail + "` (or set staging_bucket)";
  if (s.action == next::kChooseTypes) return "change instance_types (or --instance-types): " + s.detail;
  if (s.action == next::kFixId) return "fix " + s.detail + " in the cluster file";
  return {};
}

inline std::string step_words(const awsdl::NextStep& s) {
  namespace next = awsdl::cluster::next_step;
  if (s.action == next::kDescribe) return "see it with `awsdl-cluster status --name " + s.detail + "`";
  if (s.action == next::kResume) return "resume waiting with `awsdl-cluster create --resume --name " + s.detail + "`";
  if (s.action == next::kRemove) return "remove it with `awsdl-cluster delete --name " + s.detail + "`";
  if (s.action == next::kRemoveWithFileSystem)
    return "remove it and its file system with `awsdl-cluster delete --name " + s.detail + " --delete-file-system`";
  if (s.action == next::kTemplateBucket) return "give --template-bucket BUCKET (or [cluster] staging_bucket)";
  if (s.action == next::kBootstrapTail)
    return "see all of " + s.detail + "'s console with `aws ec2 get-console-output --instance-id " + s.detail +
           " --latest --output text`";
  if (s.action == awsdl::ec2::next_step::kStartInstances)
    return std::string("start ") + (s.detail.find(' ') == std::string::npos ? "it" : "them") +
           " with `aws ec2 start-instances --instance-ids " + s.detail + "`";
  if (std::string w = preflight_step_words(s); !w.empty()) return w;
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
