#pragma once
// The checks before anything of a cluster is created (issue 15): the instance types exist and
// are offered in the candidate zones, the account's vCPU quota for their family and market
// covers the cluster beside what already runs, the image resolves and fits the types'
// architecture, and the key pair, staging bucket, file systems and capacity reservation
// exist. Clusters::preflight returns the facts; Clusters::create and resize run it first.

#include <string>
#include <vector>

#include "awsdl/cluster/template.hpp"
#include "awsdl/core/error.hpp"
#include "awsdl/core/result.hpp"
#include "awsdl/core/runtime.hpp"
#include "awsdl/export.hpp"

namespace awsdl::cluster {

/// The next steps (Error::next_steps) a failed preflight suggests; a program renders each in
/// its own words.
namespace next_step {
/// Ask for a higher quota; detail "SERVICE_CODE QUOTA_CODE DESIRED_VALUE" ("ec2 L-417A185B 384").
inline constexpr const char* kRequestQuota = "cluster.request_quota";
/// Choose candidate zones among these; detail: the zones, space separated.
inline constexpr const char* kChooseZones = "cluster.choose_zones";
/// Choose an image of this architecture; detail "x86_64".
inline constexpr const char* kChooseImage = "cluster.choose_image";
/// Create or import the key pair; detail: its name.
inline constexpr const char* kCreateKeyPair = "cluster.create_key_pair";
/// Use a staging bucket in the cluster's region, or that region; detail "BUCKET BUCKET_REGION".
inline constexpr const char* kBucketRegion = "cluster.bucket_region";
/// Create the staging bucket (or name one that exists); detail: its name.
inline constexpr const char* kCreateBucket = "cluster.create_bucket";
/// Change the instance types (list or EFA setting); detail: the type at fault.
inline constexpr const char* kChooseTypes = "cluster.choose_types";
/// Fix a file system or reservation id in the spec; detail: the id at fault.
inline constexpr const char* kFixId = "cluster.fix_id";
}  // namespace next_step

enum class CheckVerdict {
  kPass,
  kWarn,     // not a refusal: something to know (a reservation smaller than the cluster)
  kFail,     // create would fail or pay for nothing: refused
  kSkipped,  // could not be checked (no permission, the endpoint lacks the operation); says why
};

AWSDL_EXPORT const char* to_string(CheckVerdict v);

/// One check: what was asked, what was found, and the verdict; a failure carries the error
/// code and the next steps create() would return.
struct AWSDL_EXPORT PreflightCheck {
  std::string name;   // "instance types", "offerings", "quota", "image", "key pair", ...
  std::string asked;  // "p4d.24xlarge x 5 (on-demand)"
  std::string found;  // "quota 96 vCPUs, 0 running"
  CheckVerdict verdict = CheckVerdict::kPass;
  std::string code;     // for kFail: "InsufficientQuota", "InstanceTypeNotOffered", ...
  std::string message;  // for kFail / kWarn / kSkipped: one sentence naming the fix
  std::vector<NextStep> next_steps;
};

/// One vCPU quota the cluster draws on.
struct AWSDL_EXPORT QuotaFacts {
  std::string family;      // "P", "G and VT", "Standard"
  std::string market;      // "on-demand" or "spot"
  std::string quota_code;  // "L-417A185B"
  std::string quota_name;
  double quota_vcpus = 0;
  int running_vcpus = 0;   // already in use by running or pending instances of the family and market
  int needed_vcpus = 0;    // what the cluster needs (workers at the largest type of the list, plus the master)
  /// The value that would cover the cluster: running + needed.
  int desired_vcpus() const { return running_vcpus + needed_vcpus; }
};

struct AWSDL_EXPORT PreflightReport {
  std::string region;
  /// The candidate zones, in order: the spec's list, or for "auto" every zone of the region
  /// that offers the first type (a reservation pins its zone).
  std::vector<std::string> zones;
  std::vector<InstanceTypeFacts> types;  // in the spec's preference order
  std::vector<QuotaFacts> quotas;
  bool efa = false;          // EFA on (efa yes, or auto with every type supporting it)
  std::string image_id;      // resolved
  std::string image_architecture;
  std::vector<PreflightCheck> checks;
  int api_calls = 0;         // AWS calls made (each at most once)

  bool ok() const;  // no kFail
  /// Success, or the error create() returns: kService "PreflightFailed" (the one failure's
  /// code when there is one), the message naming every failure, and every failure's next
  /// steps.
  Status status() const;
};

struct AWSDL_EXPORT PreflightOptions {
  Deadline deadline;
  CancellationToken cancel;
};

}  // namespace awsdl::cluster
