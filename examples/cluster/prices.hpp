#pragma once
// On-demand prices the dashboard estimates a cluster's cost with: USD per instance-hour, Linux,
// US East (N. Virginia) us-east-1, as AWS's EC2 On-Demand pricing page
// (https://aws.amazon.com/ec2/pricing/on-demand/) listed them in 2024; p5.48xlarge is the
// price before AWS cut P4/P5 prices in June 2025. Written into this table by hand, not fetched:
// other regions, later changes, Savings Plans, Spot, EBS, EFS and data transfer are not in it.
// A type missing here makes the estimate say so instead of guessing.

#include <string_view>

namespace awsdl_cluster {

inline constexpr const char* kPriceBasis =
    "cost: an estimate at AWS's on-demand Linux prices for us-east-1 as listed in 2024 (a table shipped with "
    "awsdl-cluster, examples/cluster/prices.hpp), every present node counted since the cluster was created; "
    "EBS, EFS, data transfer and other regions' prices are not included";

struct InstancePrice {
  std::string_view type;
  double usd_per_hour;
};

inline constexpr InstancePrice kOnDemandPrices[] = {
    {"p3.2xlarge", 3.06},     {"p3.8xlarge", 12.24},    {"p3.16xlarge", 24.48},  {"p3dn.24xlarge", 31.212},
    {"p4d.24xlarge", 32.7726}, {"p5.48xlarge", 98.32},   {"g4dn.xlarge", 0.526},  {"g4dn.2xlarge", 0.752},
    {"g4dn.12xlarge", 3.912}, {"g4dn.metal", 7.824},    {"g5.xlarge", 1.006},    {"g5.2xlarge", 1.212},
    {"g5.12xlarge", 5.672},   {"g5.48xlarge", 16.288},  {"c5.large", 0.085},     {"c5.xlarge", 0.17},
    {"m5.large", 0.096},      {"m5.xlarge", 0.192},     {"t3.micro", 0.0104},    {"t3.medium", 0.0416},
};

/// USD per hour, or a negative number when the table has no price for `type`.
inline double on_demand_price(std::string_view type) {
  for (const auto& p : kOnDemandPrices)
    if (p.type == type) return p.usd_per_hour;
  return -1;
}

}  // namespace awsdl_cluster
