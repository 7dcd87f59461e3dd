#pragma once
// The cluster specs the template tests build and validate: one per shape of template.

#include <string>
#include <utility>
#include <vector>

#include "awsdl/cluster/spec.hpp"
#include "awsdl/cluster/template.hpp"

namespace awsdl::testing {

inline cluster::ClusterSpec default_cluster_spec() {
  cluster::ClusterSpec s{.name = "maskrcnn", .instance_type = "p3.16xlarge", .workers = 8, .min_workers = 4,
                         .ssh_cidr = "203.0.113.0/24", .key_name = "team"};
  s.staging_bucket = "team-bucket";
  return s;
}

/// name -> spec: default (new EFS, placement group, SSM image), reuse_efs, no_placement_group,
/// workers_64, ami_id, minimal (no staging bucket, explicit zone).
inline std::vector<std::pair<std::string, cluster::ClusterSpec>> template_test_specs() {
  std::vector<std::pair<std::string, cluster::ClusterSpec>> v;
  v.emplace_back("default", default_cluster_spec());
  auto reuse = default_cluster_spec();
  reuse.efs_id = "fs-0123456789abcdef0";
  v.emplace_back("reuse_efs", reuse);
  auto no_pg = default_cluster_spec();
  no_pg.placement_group = false;
  v.emplace_back("no_placement_group", no_pg);
  auto big = default_cluster_spec();
  big.workers = 64;
  big.min_workers = 48;
  big.instance_type = "p4d.24xlarge";
  v.emplace_back("workers_64", big);
  auto ami = default_cluster_spec();
  ami.image_id = "ami-0123456789abcdef0";
  v.emplace_back("ami_id", ami);
  cluster::ClusterSpec minimal{.name = "m", .instance_type = "g5.xlarge", .workers = 1, .ssh_cidr = "0.0.0.0/0",
                               .key_name = "k"};
  minimal.availability_zone = "eu-west-1b";
  minimal.placement_group = false;
  v.emplace_back("minimal", minimal);
  return v;
}

/// The instance types the capacity variants use, as DescribeInstanceTypes describes them.
inline cluster::TemplateInputs gpu_type_facts() {
  return {{{"p4d.24xlarge", true, 4, 8, "x86_64"},
           {"p5.48xlarge", true, 32, 8, "x86_64"},
           {"p3dn.24xlarge", true, 1, 8, "x86_64"},
           {"p3.16xlarge", false, 1, 8, "x86_64"},
           {"g5.48xlarge", true, 1, 8, "x86_64"},
           {"g5.12xlarge", false, 1, 4, "x86_64"}}};
}

/// The shapes issue 15 adds (name -> spec and the facts its template is built with): spot and
/// mixed types, candidate zones, a spot master, reservations, Capacity Blocks, EFA on one and
/// on several network cards, FSx for Lustre (scratch with an import path, persistent with a
/// data repository, reused) and no shared storage.
inline std::vector<std::pair<std::string, std::pair<cluster::ClusterSpec, cluster::TemplateInputs>>>
capacity_template_specs() {
  std::vector<std::pair<std::string, std::pair<cluster::ClusterSpec, cluster::TemplateInputs>>> v;
  auto add = [&](std::string name, cluster::ClusterSpec s, cluster::TemplateInputs in = {}) {
    v.emplace_back(std::move(name), std::pair{std::move(s), std::move(in)});
  };
  using cluster::Market;
  auto mixed = default_cluster_spec();
  mixed.capacity.instance_types = {"p4d.24xlarge", "p3dn.24xlarge", "p3.16xlarge"};
  add("mixed_on_demand", mixed);
  auto spot = mixed;
  spot.capacity.market = Market::kSpot;
  spot.capacity.availability_zones = {"us-east-1a", "us-east-1b", "us-east-1c"};
  add("spot_mixed_zones", spot);
  auto fallback = default_cluster_spec();
  fallback.capacity.market = Market::kSpotThenOnDemand;
  fallback.capacity.master_market = Market::kSpot;
  fallback.capacity.allocation = cluster::SpotAllocation::kPriceCapacityOptimized;
  fallback.capacity.spot_max_price = 24.48;
  fallback.availability_zone = "us-east-1b";
  add("spot_then_on_demand_spot_master", fallback);
  auto reservation = default_cluster_spec();
  reservation.capacity.capacity_reservation = "cr-0123456789abcdef0";
  add("capacity_reservation", reservation);
  auto group = default_cluster_spec();
  group.capacity.capacity_reservation = "arn:aws:resource-groups:us-east-1:123456789012:group/p4d-pool";
  add("capacity_reservation_group", group);
  auto block = default_cluster_spec();
  block.instance_type = "p5.48xlarge";
  block.capacity.capacity_block = "cr-0123456789abcdef0";
  block.capacity.availability_zones = {"us-east-1a"};
  add("capacity_block", block, gpu_type_facts());
  auto efa = default_cluster_spec();
  efa.instance_type = "p4d.24xlarge";
  efa.placement_group = false;  // EFA forces it on
  add("efa_p4d", efa, gpu_type_facts());
  auto efa_mixed = default_cluster_spec();
  efa_mixed.capacity.instance_types = {"p5.48xlarge", "p4d.24xlarge", "p3dn.24xlarge"};
  efa_mixed.capacity.market = Market::kSpotThenOnDemand;
  add("efa_mixed_cards_spot", efa_mixed, gpu_type_facts());
  auto scratch = default_cluster_spec();
  scratch.shared = cluster::SharedStorage::kFsxLustre;
  scratch.fsx.import_path = "s3://team-bucket/datasets/coco";
  add("fsx_scratch_import", scratch);
  auto persistent = default_cluster_spec();
  persistent.shared = cluster::SharedStorage::kFsxLustre;
  persistent.fsx.deployment = "PERSISTENT_2";
  persistent.fsx.capacity_gib = 4800;
  persistent.fsx.import_path = "s3://team-bucket/datasets";
  add("fsx_persistent_repository", persistent);
  auto reused = default_cluster_spec();
  reused.shared = cluster::SharedStorage::kFsxLustre;
  reused.fsx.id = "fs-0123456789abcdef0";
  add("fsx_reused", reused);
  auto none = default_cluster_spec();
  none.shared = cluster::SharedStorage::kNone;
  add("shared_none", none);
  return v;
}

/// The facts a template of template_spec_matrix() is built with: a capacity variant's, else none.
inline cluster::TemplateInputs template_inputs_for(const std::string& name) {
  for (auto& [n, spec] : capacity_template_specs())
    if (n == name) return spec.second;
  return {};
}

/// Every shape of template the tests make: the named specs above and the cluster of
/// examples/cluster/cluster.ini's kind, plus every combination of the choices that change a
/// template's structure: a new or an existing EFS, a placement group or not, an AMI id or the
/// SSM parameter, a zone given or not, a staging bucket or not. Names say the choices.
inline std::vector<std::pair<std::string, cluster::ClusterSpec>> template_spec_matrix() {
  auto v = template_test_specs();
  for (int bits = 0; bits < 32; ++bits) {
    auto s = default_cluster_spec();
    std::string name;
    auto choose = [&](int bit, const char* yes, const char* no) {
      name += std::string(name.empty() ? "" : "_") + ((bits & bit) ? yes : no);
      return (bits & bit) != 0;
    };
    if (choose(1, "efs-existing", "efs-new")) s.efs_id = "fs-0123456789abcdef0";
    s.placement_group = choose(2, "pg", "no-pg");
    if (choose(4, "ami", "ssm")) s.image_id = "ami-0123456789abcdef0";
    if (choose(8, "zone", "no-zone")) s.availability_zone = "eu-west-1b";
    if (!choose(16, "bucket", "no-bucket")) s.staging_bucket.clear();
    v.emplace_back(name, s);
  }
  for (auto& [name, spec] : capacity_template_specs()) v.emplace_back(name, spec.first);
  auto long_name = default_cluster_spec();
  long_name.name = "a" + std::string(127, 'b');  // the longest stack name: the Lambda's name is shortened
  v.emplace_back("longest_name", long_name);
  return v;
}

}  // namespace awsdl::testing
