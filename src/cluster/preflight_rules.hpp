#pragma once
// The arithmetic and tables of the preflight, with no call: which vCPU quota an instance
// type draws on, and how many vCPUs a cluster needs of each.

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "awsdl/cluster/preflight.hpp"
#include "awsdl/cluster/spec.hpp"

namespace awsdl::internal::preflight {

/// An EC2 instance family's vCPU quotas (Service Quotas, service code "ec2").
struct QuotaFamily {
  std::string family;        // "P", "G and VT", "Standard"
  std::string on_demand;     // "L-417A185B"
  std::string spot;          // "L-7212CCBC"
  std::vector<std::string> prefixes;  // the type families that draw on it: "p", "g", "vt"
};

/// The family of `instance_type` ("p4d.24xlarge" -> P), or nullopt for one whose quota the
/// library does not know (F, Inf, Trn, X, DL, high memory...): the quota check is skipped.
std::optional<QuotaFamily> quota_family(const std::string& instance_type);

/// "p4d.24xlarge" -> "p"; "inf2.xlarge" -> "inf"; "u-6tb1.metal" -> "u".
std::string type_prefix(const std::string& instance_type);

/// "on-demand" or "spot" for a market the workers start in.
const char* market_name(cluster::Market m);

/// vCPUs needed per (quota family, market): the master (first type, master market) and the
/// workers at the largest type of the list (a fallback may launch any of them), in the
/// workers' first market, plus on-demand too for spot-then-on-demand (`fallback` set for it).
struct Need {
  std::string family;
  std::string market;
  int vcpus = 0;
  bool fallback_only = false;  // needed only if the fallback moves the workers to on-demand
};
/// `with_master` false: the workers alone (a resize adds workers to a running master).
std::vector<Need> vcpus_needed(const cluster::ClusterSpec& spec, const std::map<std::string, int>& vcpus_by_type,
                               bool with_master = true);

/// Errors that mean "this check cannot be made here" rather than "the thing is wrong": no
/// permission, or an endpoint without the operation.
bool cannot_check(const Error& e);

}  // namespace awsdl::internal::preflight
