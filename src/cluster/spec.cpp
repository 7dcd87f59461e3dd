// ClusterSpec validation: every rule a value must meet before it is put in a template or
// sent to AWS, with messages that say what was expected.
#include "awsdl/cluster/spec.hpp"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <set>
#include <string>

#include "cluster/spec_rules.hpp"

namespace awsdl::cluster {

namespace {
using internal::spec_rules::quoted;
namespace r = internal::spec_rules;

bool spot(Market m) { return m != Market::kOnDemand; }

std::string price_text(double p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", p);
  return buf;
}

// [cluster] instance_types ... capacity_timeout (issue 15). What needs AWS's answers (the
// types' architectures and EFA support, the region's zones, quotas) is the preflight's.
template <typename Add, typename Range>
void check_capacity(const ClusterSpec& s, Add& add, Range& range) {
  const auto& c = s.capacity;
  std::set<std::string> seen;
  for (const auto& t : c.instance_types) {
    if (auto m = r::instance_type(t); !m.empty()) {
      add("capacity.instance_types", m);
    } else if (!seen.insert(t).second) {
      add("capacity.instance_types", "lists " + quoted(t) + " twice (each type once, in order of preference)");
    }
  }
  if (c.master_market == Market::kSpotThenOnDemand)
    add("capacity.master_market",
        "must be on-demand or spot: spot-then-on-demand is for the workers (the master is one instance, and "
        "moving it means moving the cluster)");
  if (c.spot_max_price) {
    const double p = *c.spot_max_price;
    if (!std::isfinite(p) || p <= 0)
      add("capacity.spot_max_price", "must be a positive price in USD per instance-hour, got " + price_text(p));
    else if (p > r::kMaxSpotPrice)
      add("capacity.spot_max_price", "must be at most 1000 USD per instance-hour (is it a typo?), got " +
                                         price_text(p));
    else if (!spot(c.market) && !spot(c.master_market))
      add("capacity.spot_max_price", "is set but no instance is spot: set market (or master_market) to spot, or "
                                     "remove spot_max_price");
  }
  std::string region;
  std::set<std::string> zones;
  for (const auto& z : c.availability_zones) {
    if (auto m = r::zone_name(z); !m.empty()) {
      add("capacity.availability_zones", m);
      continue;
    }
    if (!zones.insert(z).second) {
      add("capacity.availability_zones", "lists " + quoted(z) + " twice");
      continue;
    }
    auto zr = r::zone_region(z);
    if (region.empty()) region = zr;
    else if (zr != region)
      add("capacity.availability_zones", "mixes regions: " + quoted(z) + " is in " + zr + ", " +
                                             quoted(c.availability_zones.front()) + " in " + region +
                                             " (a cluster lives in one region: list zones of one)");
  }
  if (!c.availability_zones.empty() && !s.availability_zone.empty() && r::availability_zone(s.availability_zone).empty() &&
      !zones.count(s.availability_zone))
    add("availability_zone", "must be one of availability_zones (" + quoted(s.availability_zone) +
                                 " is not): the cluster starts in it and falls back to the others");
  if (!c.capacity_reservation.empty())
    if (auto m = r::capacity_reservation(c.capacity_reservation); !m.empty()) add("capacity.capacity_reservation", m);
  if (!c.capacity_block.empty()) {
    if (auto m = r::capacity_reservation_id(c.capacity_block); !m.empty()) add("capacity.capacity_block", m);
    if (spot(c.market))
      add("capacity.capacity_block", "cannot be used with market spot or spot-then-on-demand: a Capacity Block is "
                                     "paid in advance (set market = on-demand, or remove capacity_block)");
    if (!c.capacity_reservation.empty())
      add("capacity.capacity_block", "and capacity_reservation are both set: the workers launch into one "
                                     "reservation (set one)");
    if (c.instance_types.size() > 1)
      add("capacity.capacity_block", "holds one instance type, but instance_types lists " +
                                         std::to_string(c.instance_types.size()) + " (list only the block's type)");
  } else if (!c.capacity_reservation.empty() && spot(c.market)) {
    add("capacity.capacity_reservation", "is on-demand capacity: it cannot be used with market spot or "
                                         "spot-then-on-demand (set market = on-demand, or remove it)");
  }
  range("capacity.capacity_timeout_seconds", c.capacity_timeout_seconds);
}

// [storage] shared and the FSx for Lustre keys.
template <typename Add, typename Range>
void check_storage(const ClusterSpec& s, Add& add, Range& range) {
  const auto& f = s.fsx;
  if (s.shared != SharedStorage::kEfs && !s.efs_id.empty())
    add("efs_id", "is set but shared is not efs (set shared = efs, or remove efs_id)");
  if (s.shared != SharedStorage::kFsxLustre) {
    if (!f.id.empty()) add("fsx.id", "is set but shared is not fsx-lustre (set shared = fsx-lustre, or remove fsx_id)");
    if (!f.import_path.empty())
      add("fsx.import_path", "is set but shared is not fsx-lustre (set shared = fsx-lustre, or remove fsx_import_path)");
    return;
  }
  if (!f.id.empty()) {
    if (auto m = r::fsx_id(f.id); !m.empty()) add("fsx.id", m);
    if (!f.import_path.empty())
      add("fsx.import_path", "applies to a file system awsdl creates: the reused " + quoted(f.id) +
                                 " keeps its own data repositories (remove fsx_import_path or fsx_id)");
    return;
  }
  // A created file system lives in the first zone's private subnet: a move to another zone
  // would replace that subnet, which the file system's interfaces keep in use.
  if (s.capacity.availability_zones.size() > 1)
    add("capacity.availability_zones",
        "lists several zones, but the FSx for Lustre file system awsdl creates lives in one zone's subnet and the "
        "cluster cannot move away from it: name one zone, or reuse a file system (fsx_id)");
  bool deployment_ok = true;
  if (auto m = r::fsx_deployment(f.deployment); !m.empty()) {
    add("fsx.deployment", m);
    deployment_ok = false;
  }
  if (range("fsx.capacity_gib", f.capacity_gib))
    if (auto m = r::fsx_capacity(f.capacity_gib, deployment_ok ? f.deployment : ""); !m.empty())
      add("fsx.capacity_gib", m);
  if (!f.import_path.empty())
    if (auto m = r::s3_path(f.import_path); !m.empty()) add("fsx.import_path", m);
}
}  // namespace

std::vector<SpecProblem> check(const ClusterSpec& s) {
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
  check_capacity(s, add, range);
  check_storage(s, add, range);
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
