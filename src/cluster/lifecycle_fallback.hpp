#pragma once
// The capacity fallback (issue 15): when the worker group's launches fail for want of
// capacity, move the cluster to the next candidate zone (a stack update of AvailabilityZone),
// then to on-demand when the market is spot-then-on-demand (WorkerOnDemandPercentage=100),
// until the workers run, the moves run out, or capacity_timeout passes.

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "awsdl/autoscaling/autoscaling.hpp"
#include "awsdl/cloudformation/cloudformation.hpp"
#include "awsdl/cluster/spec.hpp"
#include "awsdl/core/runtime.hpp"

namespace awsdl::internal::lifecycle {

/// Stack tags that keep what a later resize needs to fall back: the candidate zones (space
/// separated) and the workers' market ("spot-then-on-demand").
inline constexpr const char* kZonesTag = "awsdl:zones";
inline constexpr const char* kMarketTag = "awsdl:market";

/// One try that failed: where, in which market, and why.
struct CapacityAttempt {
  std::string instance_type;
  std::string zone;
  std::string market;  // "spot" or "on-demand"
  std::string reason;  // InsufficientInstanceCapacity, Unsupported, capacity-not-available, ...
};

/// What the fallback may try and what it tried.
struct CapacityFallback {
  std::vector<std::string> zones;  // candidates in order
  bool spot_then_on_demand = false;
  Millis timeout{600000};
  std::string instance_type;  // for messages: the first type
  std::string zone;           // where the cluster is now
  std::string market;         // "spot" or "on-demand"
  std::vector<std::string> parameter_keys;  // the stack's parameters (the others keep their values)
  std::vector<std::string> capabilities;
  std::vector<CapacityAttempt> attempts;
  std::set<std::string> seen_activities;
  std::optional<SteadyTime> first_failure;
};

/// The capacity failure a scaling activity reports ("InsufficientInstanceCapacity", ...), or "".
std::string capacity_failure(const autoscaling::Activity& a);

enum class MoveKind { kNextZone, kOnDemand, kGiveUp };
struct Move {
  MoveKind kind = MoveKind::kGiveUp;
  std::string zone;
  std::string market;
};
/// After a failure where `f` is now: the next zone in the list, else (spot-then-on-demand, on
/// spot) on-demand from the first zone, else give up.
Move next_move(const CapacityFallback& f);

/// "p3.16xlarge in us-east-1a (spot): InsufficientInstanceCapacity; ..." for messages.
std::string describe_attempts(const std::vector<CapacityAttempt>& attempts);

/// The fallback of a cluster being created from `spec` (candidate zones: the spec's, else
/// `resolved_zones`), or nullopt when it has nowhere to go (one zone, no on-demand step) or
/// the template has no AvailabilityZone parameter to move.
std::optional<CapacityFallback> fallback_for_spec(const cluster::ClusterSpec& spec,
                                                  const std::vector<std::string>& resolved_zones,
                                                  const std::vector<cloudformation::StackParameter>& parameters,
                                                  const std::vector<std::string>& capabilities);
/// The same for an existing stack (resize), from its tags and parameters.
std::optional<CapacityFallback> fallback_for_stack(const cloudformation::Stack& stack, Millis timeout);
/// The tags create() adds for a later resize (none when there is no fallback).
std::vector<cloudformation::StackTag> fallback_tags(const cluster::ClusterSpec& spec,
                                                    const std::vector<std::string>& resolved_zones);

}  // namespace awsdl::internal::lifecycle
