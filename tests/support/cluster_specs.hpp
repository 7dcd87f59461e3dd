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
  auto long_name = default_cluster_spec();
  long_name.name = "a" + std::string(127, 'b');  // the longest stack name: the Lambda's name is shortened
  v.emplace_back("longest_name", long_name);
  return v;
}

}  // namespace awsdl::testing
