// The vCPU quota table (Service Quotas codes of EC2, service code "ec2") and the needs of a
// spec. Only codes checked against AWS's documentation are listed; other families are skipped
// rather than guessed.
#include "cluster/preflight_rules.hpp"

#include <algorithm>

namespace awsdl::internal::preflight {

namespace {
const std::vector<QuotaFamily>& families() {
  static const std::vector<QuotaFamily> table = {
      {"P", "L-417A185B", "L-7212CCBC", {"p"}},
      {"G and VT", "L-DB2E81BA", "L-3819A6DF", {"g", "vt"}},
      {"Standard", "L-1216C47A", "L-34B43A08", {"a", "c", "d", "h", "i", "im", "is", "m", "r", "t", "z"}},
  };
  return table;
}
}  // namespace

std::string type_prefix(const std::string& instance_type) {
  std::string out;
  for (char c : instance_type) {
    if (c < 'a' || c > 'z') break;
    out += c;
  }
  return out;
}

std::optional<QuotaFamily> quota_family(const std::string& instance_type) {
  const std::string prefix = type_prefix(instance_type);
  for (const auto& f : families())
    if (std::find(f.prefixes.begin(), f.prefixes.end(), prefix) != f.prefixes.end()) return f;
  return std::nullopt;
}

const char* market_name(cluster::Market m) { return m == cluster::Market::kOnDemand ? "on-demand" : "spot"; }

std::vector<Need> vcpus_needed(const cluster::ClusterSpec& spec, const std::map<std::string, int>& vcpus_by_type,
                               bool with_master) {
  std::vector<Need> out;
  auto add = [&](const std::string& type, int count, const char* market, bool fallback) {
    auto f = quota_family(type);
    auto v = vcpus_by_type.find(type);
    if (!f || v == vcpus_by_type.end()) return;
    for (auto& n : out)
      if (n.family == f->family && n.market == market) {
        n.vcpus += v->second * count;
        n.fallback_only = n.fallback_only && fallback;
        return;
      }
    out.push_back({f->family, market, v->second * count, fallback});
  };
  const auto types = spec.instance_type_list();
  if (types.empty()) return out;
  // The largest type of the list: whichever the fallback launches, the quota must cover it.
  std::string largest = types.front();
  for (const auto& t : types) {
    auto a = vcpus_by_type.find(t), b = vcpus_by_type.find(largest);
    if (a != vcpus_by_type.end() && (b == vcpus_by_type.end() || a->second > b->second)) largest = t;
  }
  if (with_master) add(types.front(), 1, market_name(spec.capacity.master_market), false);
  add(largest, spec.workers, market_name(spec.capacity.market), false);
  if (spec.capacity.market == cluster::Market::kSpotThenOnDemand) add(largest, spec.workers, "on-demand", true);
  return out;
}

bool cannot_check(const Error& e) {
  static const char* const codes[] = {"InvalidAction",          "UnknownOperationException", "AccessDenied",
                                      "AccessDeniedException",  "UnauthorizedOperation",     "UnsupportedOperation",
                                      "NotImplemented",         "UnknownService"};
  for (const char* c : codes)
    if (e.code == c) return true;
  return false;
}

}  // namespace awsdl::internal::preflight
