#pragma once
// Finding and removing what interrupted or failed runs left behind (issue 16, "Nothing left
// behind"): failed cluster stacks, old multipart uploads under the staging bucket, file
// systems of clusters that are gone (only when asked) and local state directories of
// clusters that no longer exist. Only what carries the awsdl:cluster tag, lies under the
// given bucket and prefix, or lies in the awsdl state root is ever listed; a live cluster's
// resources never are.

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "awsdl/cluster/lifecycle.hpp"
#include "awsdl/config.hpp"
#include "awsdl/core/result.hpp"
#include "awsdl/core/runtime.hpp"
#include "awsdl/export.hpp"

namespace awsdl::cluster {

enum class LeftoverKind {
  kStack,      // a cluster stack in *_FAILED or ROLLBACK_COMPLETE
  kUpload,     // a multipart upload under the bucket (and prefix), older than the limit
  kEfs,        // an EFS file system tagged with a cluster that no longer exists
  kFsx,        // the same for FSx
  kStateDir,   // a local state directory (state_root/NAME) of a cluster that no longer exists
};

/// "stack", "upload", "efs", "fsx", "state-dir".
AWSDL_EXPORT const char* to_string(LeftoverKind kind);

struct AWSDL_EXPORT Leftover {
  LeftoverKind kind = LeftoverKind::kStack;
  /// Stack name; upload key; file system id; directory path.
  std::string id;
  /// Stack id; upload id; empty otherwise.
  std::string handle;
  std::string bucket;   // uploads only
  std::string cluster;  // the cluster it belonged to (empty for uploads)
  /// Since it was created (stack, file system), initiated (upload) or last changed
  /// (directory); empty when the service did not say.
  std::optional<std::chrono::seconds> age;
  /// Why it is a leftover, one line: "stack status ROLLBACK_COMPLETE", ...
  std::string reason;
};

struct AWSDL_EXPORT GcReport {
  std::vector<Leftover> items;  // stacks, uploads, file systems, state directories, in that order
};

struct AWSDL_EXPORT GcOptions {
  /// The staging bucket whose multipart uploads are looked at (none when empty) and the key
  /// prefix within it.
  std::string bucket;
  std::string prefix;
  /// Uploads initiated more recently than this are left alone (a stage may be running). > 0.
  std::chrono::seconds older_than{std::chrono::hours(24)};
  /// Also list EFS / FSx file systems tagged awsdl:cluster whose cluster no longer exists.
  bool file_systems = false;
  /// Where the clusters' local state directories are (state_root/NAME); "~/" is the home
  /// directory; empty: none are looked at.
  std::string state_root = "~/.awsdl";
  /// The time ages are measured from; default: the configured runtime clock's wall time.
  std::optional<WallTime> now;

  // For remove_leftovers.
  std::function<void(const ClusterEvent&)> on_event;
  Deadline deadline;          // default: 60 minutes from the call
  CancellationToken cancel;
  Millis poll_interval{std::chrono::seconds(5)};
};

/// Lists the leftovers, changing nothing. kInvalidArgument "InvalidGcOptions" for
/// older_than <= 0 or a prefix without a bucket; a call that fails (after retries) fails it.
/// A state directory is a directory of state_root holding a cluster's files (hostfile or
/// known_hosts) whose name is no cluster's that still has a stack (a stack listed as failed
/// counts as gone).
AWSDL_EXPORT Result<GcReport> find_leftovers(const Config& config, const GcOptions& options = {});

/// Removes exactly the items of `report`: stacks first (DeleteStack, waited for as
/// Clusters::remove does), then uploads (AbortMultipartUpload; one already gone is fine),
/// file systems (EFS after its mount targets are gone; FSx DeleteFileSystem) and the
/// directories. Each removal is an event for options.on_event. What changed since the report
/// is left alone, with an event saying so: a stack that is no longer the one listed (its id)
/// or no longer failed, a file system whose cluster lives again or that a stack now names, a
/// state directory whose cluster exists again. Stops at the first failure; a state directory
/// that is not a cluster's directory right inside options.state_root: "NotAStateDirectory".
AWSDL_EXPORT Status remove_leftovers(const Config& config, const GcReport& report, const GcOptions& options = {});

}  // namespace awsdl::cluster
