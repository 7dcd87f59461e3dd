// create and resume. The spec is validated and the template built before any call; a
// template over CloudFormation's body limit goes to S3 first (TemplateURL, path style on the
// configured S3 endpoint). CreateStack carries a ClientRequestToken (a retried call never makes
// a second stack), the cluster tag, and OnFailure ROLLBACK: a failed create leaves no instance
// running (only a created EFS, which is retained by design) and a ROLLBACK_COMPLETE stack that
// `remove` deletes. An interrupted create (deadline, cancellation, a crash) leaves the stack
// creating: `resume` continues waiting, `remove` deletes it.
#include "awsdl/cluster/lifecycle.hpp"

#include "cluster/lifecycle_internal.hpp"
#include "util/crypto.hpp"
#include "util/idempotency_token.hpp"

namespace awsdl::internal::lifecycle {

namespace {

// In words; the same as next steps: cluster::next_step::kResume, then kRemove.
constexpr const char* kContinueHint = "resume waiting (Clusters::resume) or remove the stack (Clusters::remove)";

template <typename T>
Result<T> or_continue(Result<T> r, const std::string& name) {
  return suggest(std::move(r), {cluster::next_step::kResume, cluster::next_step::kRemove}, name);
}

void emit_summary(const Clients& c, const WatchSpec& w, const std::string& text) {
  if (w.on_event && *w.on_event) (*w.on_event)(summary_event(c.config, text));
}

WatchSpec watch_spec(const Clients& c, const std::string& name, const cluster::CreateOptions& options) {
  return watch_for(c, name, options.on_event, options.deadline, options.cancel, options.poll_interval);
}

Error create_failed(const std::string& name, const std::string& status, const EventFeed& feed) {
  std::string why = failure_reasons(feed.history());
  std::string what = status == "CREATE_FAILED" ? "the stack kept its resources for inspection"
                                               : "the stack rolled back: no instance is left running (a created EFS "
                                                 "file system is retained)";
  return Error::make(ErrorKind::kService, "ClusterCreateFailed",
                     "cluster " + name + " failed to create (stack " + status + ")" + (why.empty() ? "" : ": " + why) +
                         "; " + what + "; remove it (Clusters::remove) before creating it again")
      .with_next_step(cluster::next_step::kRemove, name);
}

// After the stack's create ended: the cluster when it is complete and enough workers run.
Result<cluster::ClusterInfo> finish_create(const Clients& c, WatchSpec& w, const EventFeed& feed,
                                           const std::string& status) {
  if (status != "CREATE_COMPLETE")
    return with_bootstrap_tails(c, w.stack, create_failed(w.cluster, status, feed), call_options(w));
  AWSDL_TRY(or_continue(settle_workers(c, w, kContinueHint), w.cluster));
  CallOptions call = call_options(w);
  AWSDL_ASSIGN_OR_RETURN(auto stack, c.cfn.describe_stack(w.stack, call));
  return describe_stack(c, stack, call);
}

// The capacity fallback ran out of zones and markets below the minimum: as a create that rolls
// back, the stack is deleted so that no instance is left running (a created EFS file system is
// retained, as by a rollback).
Error give_up_create(const Clients& c, WatchSpec& w, Error shortfall) {
  shortfall.next_steps.clear();
  // The wait's own way on (resume or remove) no longer applies: the stack goes.
  const std::string hint = std::string("; ") + kContinueHint;
  if (auto& m = shortfall.message; m.size() >= hint.size() && m.compare(m.size() - hint.size(), hint.size(), hint) == 0)
    m.resize(m.size() - hint.size());
  emit_summary(c, w, "no capacity for the workers of cluster " + w.cluster + " anywhere it could go: deleting stack " +
                         w.cluster + " so that no instance is left running");
  if (auto deleted = delete_stack(c, w); !deleted) {
    shortfall.message += "; deleting the stack failed (" + deleted.error().to_string() +
                         "): remove it (Clusters::remove)";
    return shortfall.with_next_step(cluster::next_step::kRemove, w.cluster);
  }
  shortfall.message += "; the stack was deleted: no instance is left running (a created EFS file system is retained)";
  return shortfall;
}

Error exists_error(const Clients& c, const std::string& name, const CallOptions& call) {
  std::string status;
  if (auto s = c.cfn.describe_stack(name, call); s.ok()) status = s->status;
  return suggest(Error::make(ErrorKind::kService, "ClusterExists",
                             "cluster " + name + " already exists" + (status.empty() ? "" : " (stack " + status + ")") +
                                 ": see it (Clusters::describe), or remove it (Clusters::remove) first"),
                 {cluster::next_step::kDescribe, cluster::next_step::kRemove}, name);
}

}  // namespace

std::string template_key(const std::string& prefix, const std::string& cluster, const std::string& body) {
  // Content-addressed, so a retried or repeated create uploads to the same key.
  return prefix + cluster + "-" + sha256_hex(body).substr(0, 16) + ".json";
}

Result<std::string> template_url(const Config& config, const std::string& bucket, const std::string& key) {
  return s3::S3Client(config).object_url(bucket, key);
}

Result<CreateRequests> create_requests(const cluster::ClusterSpec& spec, const cluster::StackTemplate& tpl,
                                       const cluster::CreateOptions& options) {
  const std::string& name = spec.name;
  CreateRequests r;
  if (tpl.needs_s3()) {
    r.bucket = options.template_bucket.empty() ? spec.staging_bucket : options.template_bucket;
    if (r.bucket.empty())
      return Error::invalid_argument(
                 "TemplateTooLarge", "the template of cluster " + name + " is " + std::to_string(tpl.size()) +
                                         " bytes, over CloudFormation's " +
                                         std::to_string(cluster::kMaxTemplateBodyBytes) +
                                         "-byte limit for a template body: give a bucket to upload it to "
                                         "(CreateOptions::template_bucket or the spec's staging bucket)")
          .with_next_step(cluster::next_step::kTemplateBucket);
    r.key = template_key(options.template_prefix, name, tpl.body);
  } else {
    r.stack.template_body = tpl.body;
  }
  r.stack.stack_name = name;
  for (const auto& [k, v] : tpl.parameters) r.stack.parameters.push_back({k, v});
  r.stack.capabilities = tpl.capabilities;
  r.stack.tags = {{cluster::kClusterTag, name}};
  // What a later resize needs to fall back across zones and markets (none for one zone on-demand).
  for (auto& t : fallback_tags(spec, {})) r.stack.tags.push_back(std::move(t));
  r.stack.on_failure = cloudformation::OnFailure::kRollback;
  return r;
}

Result<cluster::ClusterInfo> create_with_template(const Clients& c, const cluster::ClusterSpec& spec,
                                                  const cluster::StackTemplate& tpl,
                                                  const cluster::CreateOptions& options,
                                                  const cluster::PreflightReport* preflight) {
  const std::string& name = spec.name;
  AWSDL_ASSIGN_OR_RETURN(auto planned, create_requests(spec, tpl, options));
  WatchSpec w = watch_spec(c, name, options);
  w.wanted = spec.workers;
  w.minimum = spec.effective_min_workers();
  CallOptions call = call_options(w);

  cloudformation::CreateStackRequest req = std::move(planned.stack);
  req.client_request_token = new_idempotency_token();
  if (!planned.bucket.empty()) {
    AWSDL_ASSIGN_OR_RETURN(req.template_url, template_url(c.config, planned.bucket, planned.key));
    awsdl::s3::PutObjectRequest put;
    put.bucket = planned.bucket;
    put.key = planned.key;
    put.body = tpl.body;
    put.attributes.content_type = "application/json";
    AWSDL_TRY(c.s3.put_object(put, call));
    if (options.on_event)
      options.on_event(summary_event(c.config, "template (" + std::to_string(tpl.size()) + " bytes) uploaded to s3://" +
                                                   planned.bucket + "/" + planned.key));
  }

  auto id = c.cfn.create_stack(req, call);
  if (!id) {
    if (id.error().code == "AlreadyExistsException") return exists_error(c, name, call);
    return std::move(id).error();
  }
  w.stack = *id;
  if (options.on_event) options.on_event(summary_event(c.config, "creating stack " + name));
  auto fallback = fallback_for_spec(spec, preflight ? preflight->zones : std::vector<std::string>{}, req.parameters,
                                    req.capabilities);
  if (fallback) w.fallback = &*fallback;
  EventFeed feed;
  AWSDL_ASSIGN_OR_RETURN(auto outcome, or_continue(watch_stack(c, w, feed, kContinueHint), name));
  auto created = finish_create(c, w, feed, outcome.status);
  if (created || !fallback || fallback->attempts.empty() || created.error().code != "WorkerShortfall") return created;
  return give_up_create(c, w, std::move(created).error());
}

}  // namespace awsdl::internal::lifecycle

namespace awsdl::cluster {

bool zone_in_region(std::string_view zone, std::string_view region) {
  if (region.empty() || zone.size() <= region.size() || zone.substr(0, region.size()) != region) return false;
  std::string_view rest = zone.substr(region.size());
  auto lower = [](char c) { return c >= 'a' && c <= 'z'; };
  if (rest.size() == 1) return lower(rest[0]);  // eu-west-1b
  // Local and Wavelength Zones: us-west-2-lax-1a, us-east-1-wl1-bos-wlz-1.
  if (rest[0] != '-' || rest.back() == '-') return false;
  for (char c : rest.substr(1))
    if (!lower(c) && !(c >= '0' && c <= '9') && c != '-') return false;
  return true;
}

Status check_zone(const ClusterSpec& spec, std::string_view region) {
  const std::string& zone = spec.availability_zone;
  if (zone.empty() || region.empty() || zone_in_region(zone, region)) return {};
  std::string r(region);
  // A zone is its region's name and a letter: say which region this one belongs to.
  std::string owner = zone.substr(0, zone.size() - 1);
  const bool known = valid_region_name(owner);
  std::string other = known ? "; or, for a cluster in " + zone + ", configure region " + owner : "";
  Error e = Error::invalid_argument("ZoneNotInRegion",
                                    "availability zone " + zone + " ([network] availability_zone) is not in region " +
                                        r + ", where the cluster would be created: name a zone of " + r + " such as " +
                                        r + "a, or leave availability_zone empty for the region's first zone" + other);
  if (known) e.with_next_step(awsdl::next_step::kSetRegion, owner);
  return e;
}

namespace {
// The preflight create() runs before any CreateStack: a failed check is create's error.
Result<PreflightReport> preflight_for_create(const internal::lifecycle::Clients& c, const ClusterSpec& spec,
                                             const CreateOptions& options) {
  PreflightOptions p;
  p.deadline = options.deadline;
  p.cancel = options.cancel;
  AWSDL_ASSIGN_OR_RETURN(auto report, internal::preflight::run(c, spec, p));
  AWSDL_TRY(report.status());
  return report;
}
}  // namespace

Result<ClusterInfo> Clusters::create(const ClusterSpec& spec, const CreateOptions& options) {
  AWSDL_TRY(validate(spec));
  AWSDL_TRY(check_zone(spec, impl_->c.config.region));
  AWSDL_ASSIGN_OR_RETURN(auto tpl, build_template(spec));
  AWSDL_TRY(internal::lifecycle::create_requests(spec, tpl, options));  // too large without a bucket: no call
  AWSDL_ASSIGN_OR_RETURN(auto report, preflight_for_create(impl_->c, spec, options));
  // The template is built again with what the preflight learnt: "auto" zones resolved into the
  // candidate zones, and the types' facts (EFA, network cards) for efa = auto.
  ClusterSpec resolved = spec;
  // A created FSx for Lustre file system pins the cluster to the first zone (the file system
  // lives in its subnet): "auto" is then that zone alone, and the fallback moves markets only.
  if (spec.shared == SharedStorage::kFsxLustre && spec.fsx.id.empty() && report.zones.size() > 1) report.zones.resize(1);
  if (spec.capacity.availability_zones.empty() && spec.availability_zone.empty() && report.zones.size() > 1)
    resolved.capacity.availability_zones = report.zones;
  AWSDL_ASSIGN_OR_RETURN(auto built, build_template(resolved, TemplateInputs{report.types}));
  return internal::lifecycle::create_with_template(impl_->c, resolved, built, options, &report);
}

Result<ClusterInfo> Clusters::create(const ClusterSpec& spec, const StackTemplate& tpl, const CreateOptions& options) {
  AWSDL_TRY(validate(spec));
  AWSDL_TRY(check_zone(spec, impl_->c.config.region));
  AWSDL_TRY(internal::lifecycle::create_requests(spec, tpl, options));
  AWSDL_ASSIGN_OR_RETURN(auto report, preflight_for_create(impl_->c, spec, options));
  return internal::lifecycle::create_with_template(impl_->c, spec, tpl, options, &report);
}

Result<ClusterInfo> Clusters::resume(const std::string& name, const CreateOptions& options) {
  using namespace internal::lifecycle;
  const Clients& c = impl_->c;
  WatchSpec w = watch_spec(c, name, options);
  CallOptions call = call_options(w);
  AWSDL_ASSIGN_OR_RETURN(auto stack, find_cluster_stack(c, name, call));
  w.stack = stack.stack_id;
  w.wanted = stack_count(stack, names::kWorkerCount);
  w.minimum = stack_count(stack, names::kMinWorkerCount);
  w.worker_group = stack.output(names::kOutWorkerGroupName);
  // A create interrupted before its workers found capacity moves on as create() would have.
  auto fallback = fallback_for_stack(stack, std::chrono::seconds(CapacitySettings{}.capacity_timeout_seconds));
  if (fallback) w.fallback = &*fallback;
  const std::string& s = stack.status;
  if (s.rfind("DELETE_", 0) == 0)
    return Error::make(ErrorKind::kService, "ClusterDeleting",
                       "cluster " + name + " is being deleted (stack " + s + "); nothing to resume");
  EventFeed feed;
  std::string status = s;
  if (s == "CREATE_IN_PROGRESS" || s == "ROLLBACK_IN_PROGRESS") {
    if (options.on_event) options.on_event(summary_event(c.config, "resuming the wait for stack " + name + " (" + s + ")"));
    AWSDL_ASSIGN_OR_RETURN(auto outcome, or_continue(watch_stack(c, w, feed, kContinueHint), name));
    status = outcome.status;
  } else if (s == "CREATE_FAILED" || s.rfind("ROLLBACK_", 0) == 0) {
    // The reasons are in the history.
    if (auto events = c.cfn.describe_stack_events(w.stack, 0, call); events.ok()) {
      bool complete = false;
      feed.take(*events, 0, complete);
    }
  } else {
    status = "CREATE_COMPLETE";  // created, perhaps updated since: the cluster exists
  }
  return finish_create(c, w, feed, status);
}

}  // namespace awsdl::cluster
