// The capacity fallback's decisions (no call here but the move itself, fallback_step in
// lifecycle_watch.cpp's settle loop).
#include "cluster/lifecycle_fallback.hpp"

#include <algorithm>
#include <sstream>

#include "awsdl/cluster/template.hpp"

namespace awsdl::internal::lifecycle {

namespace {
const char* market_of(cluster::Market m) { return m == cluster::Market::kOnDemand ? "on-demand" : "spot"; }

std::vector<std::string> candidate_zones(const cluster::ClusterSpec& spec, const std::vector<std::string>& resolved) {
  if (!spec.capacity.availability_zones.empty()) return spec.capacity.availability_zones;
  if (!spec.availability_zone.empty()) return {spec.availability_zone};
  return resolved;
}

bool has_key(const std::vector<std::string>& keys, const char* key) {
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}
}  // namespace

std::string capacity_failure(const autoscaling::Activity& a) {
  if (a.status_code != "Failed" && a.status_code != "Cancelled") return {};
  const std::string text = a.status_message + " " + a.description;
  for (const char* reason : {"InsufficientInstanceCapacity", "MaxSpotInstanceCountExceeded", "capacity-not-available",
                             "Unsupported"})
    if (text.find(reason) != std::string::npos) return reason;
  if (text.find("sufficient") != std::string::npos && text.find("capacity") != std::string::npos)
    return "InsufficientInstanceCapacity";
  return {};
}

Move next_move(const CapacityFallback& f) {
  auto at = std::find(f.zones.begin(), f.zones.end(), f.zone);
  if (at != f.zones.end() && at + 1 != f.zones.end()) return {MoveKind::kNextZone, *(at + 1), f.market};
  if (f.market == "spot" && f.spot_then_on_demand)
    return {MoveKind::kOnDemand, f.zones.empty() ? f.zone : f.zones.front(), "on-demand"};
  return {MoveKind::kGiveUp, {}, {}};
}

std::string describe_attempts(const std::vector<CapacityAttempt>& attempts) {
  std::string out;
  for (const auto& a : attempts)
    out += (out.empty() ? "" : "; ") + a.instance_type + " in " + a.zone + " (" + a.market + "): " + a.reason;
  return out;
}

std::optional<CapacityFallback> fallback_for_spec(const cluster::ClusterSpec& spec,
                                                  const std::vector<std::string>& resolved_zones,
                                                  const std::vector<cloudformation::StackParameter>& parameters,
                                                  const std::vector<std::string>& capabilities) {
  CapacityFallback f;
  f.zones = candidate_zones(spec, resolved_zones);
  f.spot_then_on_demand = spec.capacity.market == cluster::Market::kSpotThenOnDemand;
  f.timeout = std::chrono::seconds(std::max(0, spec.capacity.capacity_timeout_seconds));
  f.instance_type = spec.instance_type_list().front();
  f.market = market_of(spec.capacity.market);
  for (const auto& p : parameters) {
    f.parameter_keys.push_back(p.key);
    if (p.key == cluster::names::kAvailabilityZone) f.zone = p.value;
  }
  f.capabilities = capabilities;
  const bool zones = f.zones.size() > 1 && has_key(f.parameter_keys, cluster::names::kAvailabilityZone);
  const bool market = f.spot_then_on_demand && has_key(f.parameter_keys, cluster::names::kWorkerOnDemandPercentage);
  if (!zones && !market) return std::nullopt;
  if (f.zone.empty() && !f.zones.empty()) f.zone = f.zones.front();
  return f;
}

std::optional<CapacityFallback> fallback_for_stack(const cloudformation::Stack& stack, Millis timeout) {
  CapacityFallback f;
  f.timeout = timeout;
  for (const auto& t : stack.tags) {
    if (t.key == kZonesTag) {
      std::istringstream in(t.value);
      for (std::string z; in >> z;) f.zones.push_back(z);
    }
    if (t.key == kMarketTag) f.spot_then_on_demand = t.value == "spot-then-on-demand";
  }
  f.market = "on-demand";
  for (const auto& p : stack.parameters) {
    f.parameter_keys.push_back(p.key);
    if (p.key == cluster::names::kAvailabilityZone) f.zone = p.value;
    if (p.key == cluster::names::kInstanceType) f.instance_type = p.value;
    if (p.key == cluster::names::kWorkerOnDemandPercentage) f.market = p.value == "100" ? "on-demand" : "spot";
  }
  f.capabilities = stack.capabilities;
  const bool zones = f.zones.size() > 1 && has_key(f.parameter_keys, cluster::names::kAvailabilityZone);
  const bool market = f.spot_then_on_demand && f.market == "spot";
  if (!zones && !market) return std::nullopt;
  return f;
}

std::vector<cloudformation::StackTag> fallback_tags(const cluster::ClusterSpec& spec,
                                                    const std::vector<std::string>& resolved_zones) {
  std::vector<cloudformation::StackTag> out;
  auto zones = candidate_zones(spec, resolved_zones);
  if (zones.size() > 1) {
    std::string v;
    for (const auto& z : zones) v += (v.empty() ? "" : " ") + z;
    out.push_back({kZonesTag, v});
  }
  if (spec.capacity.market == cluster::Market::kSpotThenOnDemand) out.push_back({kMarketTag, "spot-then-on-demand"});
  return out;
}

}  // namespace awsdl::internal::lifecycle
