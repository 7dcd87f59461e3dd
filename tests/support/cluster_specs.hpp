#pragma once
// The cluster specs the template tests build and validate: one per shape of template.

#include <string>
#include <utility>
#include <vector>

#include "awsdl/cluster/spec.hpp"

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

}  // namespace awsdl::testing
