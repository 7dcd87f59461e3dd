// gc: what interrupted or failed runs left behind. find_leftovers only reads (DescribeStacks,
// ListMultipartUploads, EFS/FSx DescribeFileSystems, the state root); remove_leftovers deletes
// exactly what a report lists, stacks first (their deletion may free a file system).
#include "awsdl/cluster/gc.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <system_error>

#include "cluster/lifecycle_internal.hpp"
#include "cluster/spec_rules.hpp"
#include "util/http_date.hpp"

namespace awsdl::cluster {

namespace {
using namespace internal::lifecycle;
namespace fs = std::filesystem;

bool leftover_status(const std::string& s) {
  return s == "ROLLBACK_COMPLETE" || (s.size() > 7 && s.compare(s.size() - 7, 7, "_FAILED") == 0);
}

std::optional<std::chrono::seconds> age_of(const std::optional<WallTime>& then, WallTime now) {
  if (!then) return std::nullopt;
  return std::chrono::duration_cast<std::chrono::seconds>(now - *then);
}

std::optional<std::chrono::seconds> age_of(const std::string& iso, WallTime now) {
  return age_of(internal::parse_iso8601(iso), now);
}

std::string cluster_tag(const std::vector<std::pair<std::string, std::string>>& tags) {
  for (const auto& [k, v] : tags)
    if (k == kClusterTag) return v;
  return {};
}

std::string expand_root(const std::string& root) {
  if (root == "~" || root.rfind("~/", 0) == 0) {
    const char* home = std::getenv("HOME");
    return std::string(home ? home : "") + root.substr(1);
  }
  return root;
}

// A directory that holds a cluster's local files (what awsdl-cluster writes there).
bool state_dir_of_a_cluster(const fs::path& dir) {
  std::error_code ec;
  for (const char* marker : {"hostfile", "known_hosts"})
    if (fs::is_regular_file(fs::symlink_status(dir / marker, ec))) return true;
  return false;
}

Status check(const GcOptions& o) {
  if (o.older_than.count() <= 0)
    return Error::invalid_argument("InvalidGcOptions", "older_than must be more than 0 seconds (got " +
                                                           std::to_string(o.older_than.count()) + ")");
  if (!o.prefix.empty() && o.bucket.empty())
    return Error::invalid_argument("InvalidGcOptions", "a prefix (" + o.prefix + ") needs a bucket");
  return {};
}

CallOptions call_of(const Config& config, const GcOptions& o, Deadline* out = nullptr) {
  CallOptions call;
  call.deadline = o.deadline.at ? o.deadline : Deadline::after(std::chrono::minutes(60), *config.runtime.clock);
  call.cancel = o.cancel;
  if (out) *out = call.deadline;
  return call;
}

void tell(const Config& config, const GcOptions& o, const std::string& message) {
  if (o.on_event) o.on_event(summary_event(config, message));
}

}  // namespace

const char* to_string(LeftoverKind kind) {
  switch (kind) {
    case LeftoverKind::kStack: return "stack";
    case LeftoverKind::kUpload: return "upload";
    case LeftoverKind::kEfs: return "efs";
    case LeftoverKind::kFsx: return "fsx";
    case LeftoverKind::kStateDir: return "state-dir";
  }
  return "?";
}

Result<GcReport> find_leftovers(const Config& config, const GcOptions& options) {
  AWSDL_TRY(check(options));
  Clients c(config);
  const CallOptions call = call_of(config, options);
  const WallTime now = options.now ? *options.now : config.runtime.clock->wall_now();
  GcReport report;

  // Stacks: the failed ones are leftovers; the others are live clusters, whose resources stay.
  AWSDL_ASSIGN_OR_RETURN(auto stacks, c.cfn.describe_stacks({}, call));
  std::set<std::string> live;          // cluster names with a live stack
  std::set<std::string> referenced;    // every value a live stack's parameters and outputs hold
  for (const auto& s : stacks) {
    if (s.status == "DELETE_COMPLETE") continue;
    std::string name;
    for (const auto& t : s.tags)
      if (t.key == kClusterTag) name = t.value;
    if (name.empty() || name != s.stack_name) {
      // Not an awsdl cluster (or not one gc may touch), but what it uses is in use.
      for (const auto& p : s.parameters) referenced.insert(p.value);
      for (const auto& out : s.outputs) referenced.insert(out.value);
      continue;
    }
    if (leftover_status(s.status)) {
      report.items.push_back({LeftoverKind::kStack, s.stack_name, s.stack_id, {}, name, age_of(s.creation_time, now),
                              "stack status " + s.status + (s.status_reason.empty() ? "" : ": " + s.status_reason)});
      continue;
    }
    live.insert(name);
    for (const auto& p : s.parameters) referenced.insert(p.value);
    for (const auto& out : s.outputs) referenced.insert(out.value);
  }

  // Uploads under the bucket and prefix, initiated before now - older_than.
  if (!options.bucket.empty()) {
    s3::ListMultipartUploadsRequest req{.bucket = options.bucket, .prefix = options.prefix};
    for (int page = 0;; ++page) {
      if (options.cancel.cancelled())
        return Error::make(ErrorKind::kCancelled, "Cancelled", "listing the uploads of " + options.bucket + " was cancelled");
      AWSDL_ASSIGN_OR_RETURN(auto p, c.s3.list_multipart_uploads(req, call));
      for (const auto& u : p.uploads) {
        if (u.key.rfind(options.prefix, 0) != 0) continue;  // the prefix is the service's filter; be sure
        auto age = age_of(u.initiated, now);
        if (!age || *age < options.older_than) continue;
        report.items.push_back({LeftoverKind::kUpload, u.key, u.upload_id, options.bucket, {}, age,
                                "multipart upload " + u.upload_id + " initiated " +
                                    internal::format_iso8601(*u.initiated) + ", never completed or aborted"});
      }
      if (!p.is_truncated) break;
      if ((p.next_key_marker.empty() && p.next_upload_id_marker.empty()) ||
          (p.next_key_marker == req.key_marker && p.next_upload_id_marker == req.upload_id_marker) ||
          page >= config.max_pages)
        return Error::make(ErrorKind::kService, "PaginationLoop",
                           "ListMultipartUploads of " + options.bucket + " keeps saying there is more");
      req.key_marker = p.next_key_marker;
      req.upload_id_marker = p.next_upload_id_marker;
    }
  }

  // File systems of clusters that are gone, only when asked.
  if (options.file_systems) {
    AWSDL_ASSIGN_OR_RETURN(auto efs, c.efs.describe_file_systems({}, call));
    for (const auto& f : efs) {
      const std::string name = cluster_tag(f.tags);
      if (name.empty() || live.count(name) || referenced.count(f.file_system_id)) continue;
      if (f.life_cycle_state != "available" && f.life_cycle_state != "error") continue;
      report.items.push_back({LeftoverKind::kEfs, f.file_system_id, {}, {}, name, age_of(f.creation_time, now),
                              "EFS file system of cluster " + name + ", which no longer exists"});
    }
    AWSDL_ASSIGN_OR_RETURN(auto fsx, c.fsx.describe_file_systems({}, call));
    for (const auto& f : fsx) {
      const std::string name = cluster_tag(f.tags);
      if (name.empty() || live.count(name) || referenced.count(f.file_system_id)) continue;
      if (f.lifecycle == "DELETING" || f.lifecycle == "CREATING") continue;
      report.items.push_back({LeftoverKind::kFsx, f.file_system_id, {}, {}, name, std::nullopt,
                              "FSx file system of cluster " + name + ", which no longer exists"});
    }
  }

  // State directories of clusters without a live stack.
  if (!options.state_root.empty()) {
    const fs::path root = expand_root(options.state_root);
    std::error_code ec;
    if (fs::is_directory(root, ec)) {  // the root may be a link; nothing inside it is followed
      std::vector<Leftover> dirs;
      for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
        const fs::path dir = it->path();
        const std::string name = dir.filename().string();
        if (!fs::is_directory(fs::symlink_status(dir, ec)) || ec) continue;  // never through a link
        if (!internal::spec_rules::stack_name(name).empty() || live.count(name) || !state_dir_of_a_cluster(dir)) continue;
        std::optional<std::chrono::seconds> age;
        struct stat st {};
        if (::lstat(dir.c_str(), &st) == 0)
          age = age_of(WallTime(std::chrono::seconds(st.st_mtime)), now);
        dirs.push_back({LeftoverKind::kStateDir, dir.string(), {}, {}, name, age,
                        "local state of cluster " + name + ", which has no live stack in " + config.region});
      }
      if (ec)
        return Error::make(ErrorKind::kIo, "StateRootUnreadable", "reading " + root.string() + ": " + ec.message());
      std::sort(dirs.begin(), dirs.end(), [](const Leftover& a, const Leftover& b) { return a.id < b.id; });
      report.items.insert(report.items.end(), dirs.begin(), dirs.end());
    }
  }
  return report;
}

Status remove_leftovers(const Config& config, const GcReport& report, const GcOptions& options) {
  Clients c(config);
  Deadline deadline;
  const CallOptions call = call_of(config, options, &deadline);
  Clusters clusters(config);
  // Before the file systems go, once (after the stacks): whether a cluster of their name lives
  // again, or a stack now names one (a new cluster reusing it) since the report was made.
  std::optional<std::set<std::string>> in_use;
  auto file_system_in_use = [&](const Leftover& item) -> Result<bool> {
    if (!in_use) {
      AWSDL_ASSIGN_OR_RETURN(auto stacks, c.cfn.describe_stacks({}, call));
      in_use.emplace();
      for (const auto& s : stacks) {
        if (s.status == "DELETE_COMPLETE") continue;
        for (const auto& t : s.tags)
          if (t.key == kClusterTag && t.value == s.stack_name && !leftover_status(s.status))
            in_use->insert("cluster:" + t.value);
        for (const auto& p : s.parameters) in_use->insert(p.value);
        for (const auto& out : s.outputs) in_use->insert(out.value);
      }
    }
    return in_use->count(item.id) > 0 || in_use->count("cluster:" + item.cluster) > 0;
  };
  // Stacks first: a deleted stack may free a file system; directories last.
  for (LeftoverKind kind : {LeftoverKind::kStack, LeftoverKind::kUpload, LeftoverKind::kEfs, LeftoverKind::kFsx,
                            LeftoverKind::kStateDir}) {
    for (const auto& item : report.items) {
      if (item.kind != kind) continue;
      if (options.cancel.cancelled())
        return Error::make(ErrorKind::kCancelled, "Cancelled", "gc was cancelled before removing " + item.id);
      switch (kind) {
        case LeftoverKind::kStack: {
          // The name may have been reused since the report was made: only the stack listed,
          // still failed, is deleted.
          auto now = find_cluster_stack(c, item.id, call);
          if (!now && now.error().kind == ErrorKind::kNotFound) {
            tell(config, options, "stack " + item.id + " is gone already");
            break;
          }
          if (!now) return std::move(now).error();
          if (now->stack_id != item.handle || !leftover_status(now->status)) {
            tell(config, options, "stack " + item.id + " changed since it was listed (" + now->status + "): left alone");
            break;
          }
          DeleteOptions d;
          d.on_event = options.on_event;
          d.deadline = deadline;
          d.cancel = options.cancel;
          d.poll_interval = options.poll_interval;
          Status removed = clusters.remove(item.id, d);
          if (!removed && removed.error().code != "ClusterNotFound") return removed;
          tell(config, options, "stack " + item.id + " deleted");
          break;
        }
        case LeftoverKind::kUpload: {
          s3::MultipartUpload u;
          u.bucket = item.bucket;
          u.key = item.id;
          u.upload_id = item.handle;
          Status aborted = c.s3.abort_multipart_upload(u, call);
          if (!aborted && aborted.error().code != "NoSuchUpload") return aborted;
          tell(config, options, "upload " + item.id + " (s3://" + item.bucket + ") aborted");
          break;
        }
        case LeftoverKind::kEfs: {
          AWSDL_ASSIGN_OR_RETURN(bool used, file_system_in_use(item));
          if (used) {
            tell(config, options, "EFS file system " + item.id + " is in use again: left alone");
            break;
          }
          AWSDL_TRY(delete_file_system(c, item.id, deadline, options.cancel));
          tell(config, options, "EFS file system " + item.id + " deleted");
          break;
        }
        case LeftoverKind::kFsx: {
          AWSDL_ASSIGN_OR_RETURN(bool used, file_system_in_use(item));
          if (used) {
            tell(config, options, "FSx file system " + item.id + " is in use again: left alone");
            break;
          }
          Status deleted = c.fsx.delete_file_system(item.id, call);
          if (!deleted && deleted.error().code != "FileSystemNotFound") return deleted;
          tell(config, options, "FSx file system " + item.id + " deleted");
          break;
        }
        case LeftoverKind::kStateDir: {
          fs::path root = fs::path(expand_root(options.state_root)).lexically_normal();
          if (!root.has_filename()) root = root.parent_path();  // "dir/" names dir
          const fs::path dir = fs::path(item.id).lexically_normal();
          if (options.state_root.empty() || dir.parent_path() != root || !state_dir_of_a_cluster(dir))
            return Error::invalid_argument("NotAStateDirectory", item.id + " is not a cluster's directory in " +
                                                                     (options.state_root.empty() ? "(no state root)" : root.string()) +
                                                                     "; leaving it alone");
          // A cluster of that name may have been created since the report was made.
          auto stack = find_cluster_stack(c, item.cluster, call);
          if (stack && !leftover_status(stack->status) && stack->status != "DELETE_COMPLETE") {
            tell(config, options, "cluster " + item.cluster + " exists again: " + item.id + " left alone");
            break;
          }
          if (!stack && stack.error().kind != ErrorKind::kNotFound && stack.error().code != "NotACluster")
            return std::move(stack).error();
          std::error_code ec;
          fs::remove_all(dir, ec);
          if (ec) return Error::make(ErrorKind::kIo, "RemoveFailed", "removing " + item.id + ": " + ec.message());
          tell(config, options, "state directory " + item.id + " removed");
          break;
        }
      }
    }
  }
  return {};
}

}  // namespace awsdl::cluster
