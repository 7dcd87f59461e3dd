// ClusterSpec validation: every rule a value must meet before it is put in a template or
// sent to AWS, with messages that say what was expected.
#include "awsdl/cluster/spec.hpp"

#include <cctype>
#include <string>

#include "cluster/spec_rules.hpp"

namespace awsdl::cluster {

namespace {
using internal::spec_rules::quoted;
}

std::vector<SpecProblem> check(const ClusterSpec& s) {
  namespace r = internal::spec_rules;
  std::vector<SpecProblem> out;
  auto add = [&](const char* field, std::string message) { out.push_back({field, std::move(message)}); };

  if (auto m = r::stack_name(s.name); !m.empty()) add("name", m);
  if (auto m = r::instance_type(s.instance_type); !m.empty()) add("instance_type", m);
  // The whole numbers' ranges come from one table (spec_rules), as in the INI file and flags.
  auto range = [&](const char* field, long long n) {
    if (auto m = r::in_range(*r::whole_range(field), n); !m.empty()) {
      add(field, m);
      return false;
    }
    return true;
  };
  const bool workers_ok = range("workers", s.workers);
  if (s.min_workers && range("min_workers", *s.min_workers) && workers_ok && *s.min_workers > s.workers)
    add("min_workers", "must not exceed workers (" + std::to_string(s.workers) + "), got " +
                           std::to_string(*s.min_workers));
  if (auto m = r::ipv4_cidr(s.ssh_cidr); !m.empty()) add("ssh_cidr", m);
  if (s.key_name.empty())
    add("key_name", "must name an EC2 key pair (it is required to SSH to the master)");
  else if (auto m = r::key_name(s.key_name); !m.empty())
    add("key_name", m);
  if (!s.image_id.empty()) {
    if (auto m = r::ami_id(s.image_id); !m.empty()) add("image_id", m);
  } else if (auto m = r::ssm_parameter_name(s.ssm_parameter); !m.empty()) {
    add("ssm_parameter", m);
  }
  if (!s.availability_zone.empty())
    if (auto m = r::availability_zone(s.availability_zone); !m.empty()) add("availability_zone", m);
  if (!s.efs_id.empty())
    if (auto m = r::efs_id(s.efs_id); !m.empty()) add("efs_id", m);
  if (auto m = r::mount_point(s.mount_point); !m.empty()) add("mount_point", m);
  range("volume_size_gb", s.volume_size_gb);
  if (!s.staging_bucket.empty())
    if (auto m = r::bucket_name(s.staging_bucket); !m.empty()) add("staging_bucket", m);
  if (auto m = r::user_name(s.ssh.user); !m.empty()) add("ssh.user", m);
  if (s.training.slots_per_node != 0) range("training.slots_per_node", s.training.slots_per_node);
  return out;
}

Status validate(const ClusterSpec& spec) {
  auto problems = check(spec);
  if (problems.empty()) return {};
  std::string msg = "invalid cluster spec";
  if (!spec.name.empty() && problems.front().field != "name") msg += " " + quoted(spec.name);
  msg += ": ";
  for (std::size_t i = 0; i < problems.size(); ++i) {
    if (i) msg += "; ";
    msg += problems[i].field + " " + problems[i].message;
  }
  return Error::invalid_argument("InvalidClusterSpec", std::move(msg));
}

}  // namespace awsdl::cluster
