// Clusters::preflight: the checks before anything is created, each AWS call made at most once
// (the report counts them). Every check says what was asked, what was found, and a verdict;
// a check that cannot be made (no permission, an endpoint without the operation) is skipped
// and says why, so the preflight never refuses a cluster on a guess.
#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "awsdl/cluster/lifecycle.hpp"
#include "awsdl/cluster/preflight.hpp"
#include "cluster/lifecycle_internal.hpp"
#include "cluster/preflight_rules.hpp"
#include "protocol/error_parser.hpp"

namespace awsdl::cluster {

const char* to_string(CheckVerdict v) {
  switch (v) {
    case CheckVerdict::kPass: return "ok";
    case CheckVerdict::kWarn: return "warning";
    case CheckVerdict::kFail: return "FAILED";
    case CheckVerdict::kSkipped: return "skipped";
  }
  return "?";
}

bool PreflightReport::ok() const {
  return std::none_of(checks.begin(), checks.end(), [](const PreflightCheck& c) { return c.verdict == CheckVerdict::kFail; });
}

Status PreflightReport::status() const {
  std::vector<const PreflightCheck*> failed;
  for (const auto& c : checks)
    if (c.verdict == CheckVerdict::kFail) failed.push_back(&c);
  if (failed.empty()) return {};
  std::string message = "the cluster would not get what it asks for (preflight, nothing created): ";
  for (std::size_t i = 0; i < failed.size(); ++i) message += (i ? "; " : "") + failed[i]->message;
  // kService, as the lifecycle's other refusals that come from what AWS says (ClusterExists):
  // the spec is valid, the account or region cannot give what it asks for.
  Error e = Error::make(ErrorKind::kService, failed.size() == 1 ? failed[0]->code : "PreflightFailed", std::move(message));
  for (const auto* c : failed)
    for (const auto& s : c->next_steps) e.with_next_step(s.action, s.detail);
  return e;
}

}  // namespace awsdl::cluster

namespace awsdl::internal::preflight {

namespace {

using cluster::CheckVerdict;
using cluster::PreflightCheck;

std::string join(const std::vector<std::string>& v, const char* sep = ", ") {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

struct Run {
  const lifecycle::Clients& c;
  const cluster::ClusterSpec& spec;
  CallOptions call;
  cluster::PreflightReport report;
  std::map<std::string, ec2::InstanceTypeInfo> types;  // spec's and running types, by name
  bool types_known = false;
  bool with_master = true;  // false for a resize: only the added workers are new

  // Counts a call; a failure that is not "cannot check" ends the preflight (the client has
  // retried what was worth retrying).
  template <typename F>
  auto counted(F&& f) {
    ++report.api_calls;
    return f();
  }

  void add(std::string name, std::string asked, std::string found, CheckVerdict v, std::string code = {},
           std::string message = {}, std::vector<NextStep> steps = {}) {
    report.checks.push_back({std::move(name), std::move(asked), std::move(found), v, std::move(code), std::move(message),
                             std::move(steps)});
  }
  // Whether a check of that name failed (a later check that would only repeat it is left out).
  bool failed(const std::string& name) const {
    return std::any_of(report.checks.begin(), report.checks.end(), [&](const PreflightCheck& c) {
      return c.name == name && c.verdict == CheckVerdict::kFail;
    });
  }
  void skipped(std::string name, std::string asked, const Error& e) {
    add(std::move(name), std::move(asked), "not checked", CheckVerdict::kSkipped, e.code,
        "could not check (" + e.code + "): " + e.message);
  }
};

// Running and pending instances of the families the spec draws on, so that the quota check
// can subtract what is already in use.
Result<std::vector<ec2::Instance>> running_in_families(Run& r) {
  std::set<std::string> patterns;
  for (const auto& t : r.spec.instance_type_list())
    if (auto f = quota_family(t))
      for (const auto& p : f->prefixes) patterns.insert(p + "*");  // EC2 filters know * and ?
  if (patterns.empty()) return std::vector<ec2::Instance>{};
  ec2::DescribeInstancesRequest q;
  q.filters = {{"instance-state-name", {"pending", "running"}},
               {"instance-type", std::vector<std::string>(patterns.begin(), patterns.end())}};
  return r.counted([&] { return r.c.ec2.list_instances(q, r.call); });
}

// DescribeInstanceTypes of the spec's types and of the running ones (their vCPUs).
Status check_types(Run& r, const std::vector<ec2::Instance>& running) {
  const auto wanted = r.spec.instance_type_list();
  std::vector<std::string> ask = wanted;
  for (const auto& i : running)
    if (quota_family(i.instance_type) && std::find(ask.begin(), ask.end(), i.instance_type) == ask.end())
      ask.push_back(i.instance_type);
  auto got = r.counted([&] { return r.c.ec2.describe_instance_types(ask, {}, r.call); });
  if (!got) {
    if (got.error().code == "InvalidInstanceType") {
      r.add("instance types", join(wanted), "unknown", CheckVerdict::kFail, "InvalidInstanceType",
            "an instance type does not exist in region " + r.c.config.region + " (" + got.error().message +
                "): fix [cluster] instance_types",
            {{cluster::next_step::kChooseTypes, join(wanted, " ")}});
      return {};
    }
    if (cannot_check(got.error())) {
      r.skipped("instance types", join(wanted), got.error());
      return {};
    }
    return std::move(got).error();
  }
  for (auto& t : *got) r.types[t.instance_type] = std::move(t);
  r.types_known = true;
  std::vector<std::string> missing;
  std::set<std::string> archs_all;
  for (const auto& name : wanted) {
    auto it = r.types.find(name);
    if (it == r.types.end()) {
      missing.push_back(name);
      continue;
    }
    cluster::InstanceTypeFacts f;
    f.instance_type = name;
    f.vcpus = it->second.vcpus;
    f.gpus = it->second.gpu_count;
    f.architectures = it->second.architectures;
    if (!f.architectures.empty()) f.architecture = f.architectures.front();
    f.efa_supported = it->second.efa_supported;
    f.network_cards = std::max(1, it->second.maximum_network_cards);
    r.report.types.push_back(std::move(f));
  }
  if (!missing.empty()) {
    r.add("instance types", join(wanted), "not found: " + join(missing), CheckVerdict::kFail, "InvalidInstanceType",
          "instance type " + join(missing) + " does not exist in region " + r.c.config.region +
              ": fix [cluster] instance_types",
          {{cluster::next_step::kChooseTypes, missing.front()}});
    return {};
  }
  std::string found;
  for (const auto& f : r.report.types)
    found += (found.empty() ? "" : "; ") + f.instance_type + ": " + std::to_string(f.vcpus) + " vCPUs, " +
             std::to_string(f.gpus) + " GPUs, " + (f.architectures.empty() ? "arch unknown" : join(f.architectures, "/")) +
             (f.efa_supported ? ", EFA" : "");
  r.add("instance types", join(wanted), found, CheckVerdict::kPass);

  // One architecture for every type (a type list whose types differ cannot share an image).
  std::vector<std::string> first_arch;
  for (const auto& f : r.report.types) {
    if (f.architectures.empty()) continue;
    if (first_arch.empty()) {
      first_arch = f.architectures;
      continue;
    }
    bool shared = std::any_of(f.architectures.begin(), f.architectures.end(), [&](const std::string& a) {
      return std::find(first_arch.begin(), first_arch.end(), a) != first_arch.end();
    });
    if (!shared) {
      r.add("architecture", "one architecture for every type", r.report.types.front().instance_type + " " +
                                                                    join(first_arch, "/") + ", " + f.instance_type +
                                                                    " " + join(f.architectures, "/"),
            CheckVerdict::kFail, "MixedArchitectures",
            "instance types " + r.report.types.front().instance_type + " (" + join(first_arch, "/") + ") and " +
                f.instance_type + " (" + join(f.architectures, "/") +
                ") have different architectures and cannot share one image: keep types of one architecture in "
                "[cluster] instance_types",
            {{cluster::next_step::kChooseTypes, f.instance_type}});
      break;
    }
  }
  (void)archs_all;

  // EFA: asked on a type without it is refused; auto is on when every type has it.
  const bool all_efa = std::all_of(r.report.types.begin(), r.report.types.end(),
                                   [](const cluster::InstanceTypeFacts& f) { return f.efa_supported; });
  if (r.spec.capacity.efa == cluster::EfaMode::kYes) {
    for (const auto& f : r.report.types)
      if (!f.efa_supported) {
        r.add("efa", "efa = yes", f.instance_type + " has no EFA", CheckVerdict::kFail, "EfaNotSupported",
              "instance type " + f.instance_type + " does not support EFA: set efa = auto or no, or list only "
              "EFA types (p4d, p5, ...) in [cluster] instance_types",
              {{cluster::next_step::kChooseTypes, f.instance_type}});
        return {};
      }
    r.report.efa = true;
  } else {
    r.report.efa = r.spec.capacity.efa == cluster::EfaMode::kAuto && all_efa && !r.report.types.empty();
  }
  r.add("efa", r.spec.capacity.efa == cluster::EfaMode::kYes ? "yes" : r.spec.capacity.efa == cluster::EfaMode::kNo ? "no" : "auto",
        r.report.efa ? "on" : "off", CheckVerdict::kPass);
  return {};
}

// The candidate zones and whether every type is offered in them.
Status check_offerings(Run& r) {
  if (r.failed("instance types")) return {};  // an unknown type is offered nowhere: said once
  const auto wanted = r.spec.instance_type_list();
  auto got = r.counted([&] {
    return r.c.ec2.describe_instance_type_offerings("availability-zone", {{"instance-type", wanted}}, r.call);
  });
  std::vector<std::string> asked_zones = r.spec.capacity.availability_zones;
  if (asked_zones.empty() && !r.spec.availability_zone.empty()) asked_zones = {r.spec.availability_zone};
  if (!got) {
    if (!cannot_check(got.error())) return std::move(got).error();
    r.skipped("offerings", join(wanted), got.error());
    r.report.zones = asked_zones;
    return {};
  }
  std::map<std::string, std::set<std::string>> zones_of;  // type -> zones
  for (const auto& o : *got) zones_of[o.instance_type].insert(o.location);
  for (auto& f : r.report.types) f.zones.assign(zones_of[f.instance_type].begin(), zones_of[f.instance_type].end());
  const auto& first = zones_of[wanted.front()];
  std::vector<std::string> zones =
      asked_zones.empty() ? std::vector<std::string>(first.begin(), first.end()) : asked_zones;
  r.report.zones = zones;
  // Every type must be offered in at least one candidate zone, and every candidate zone must
  // offer at least one type.
  for (const auto& t : wanted) {
    const auto& in = zones_of[t];
    bool any = std::any_of(zones.begin(), zones.end(), [&](const std::string& z) { return in.count(z) > 0; });
    if (!any) {
      std::vector<std::string> offered(in.begin(), in.end());
      r.add("offerings", t + " in " + (zones.empty() ? "any zone" : join(zones)),
            offered.empty() ? "offered in no zone of " + r.c.config.region : "offered in " + join(offered),
            CheckVerdict::kFail, "InstanceTypeNotOffered",
            "instance type " + t + " is not offered in " + (zones.empty() ? "region " + r.c.config.region : join(zones)) +
                (offered.empty() ? ": choose another type or region"
                                 : ": choose among the zones that offer it (" + join(offered) + ") in [network] availability_zones"),
            {offered.empty() ? NextStep{cluster::next_step::kChooseTypes, t}
                             : NextStep{cluster::next_step::kChooseZones, join(offered, " ")}});
      return {};
    }
  }
  for (const auto& z : zones) {
    bool any = std::any_of(wanted.begin(), wanted.end(), [&](const std::string& t) { return zones_of[t].count(z) > 0; });
    if (!any) {
      std::vector<std::string> offered(first.begin(), first.end());
      r.add("offerings", join(wanted) + " in " + z, "none offered in " + z, CheckVerdict::kFail, "InstanceTypeNotOffered",
            "zone " + z + " offers none of " + join(wanted) + ": drop it from [network] availability_zones (" +
                wanted.front() + " is offered in " + join(offered) + ")",
            {{cluster::next_step::kChooseZones, join(offered, " ")}});
      return {};
    }
  }
  r.add("offerings", join(wanted), "zones " + join(zones), CheckVerdict::kPass);
  return {};
}

Status check_quotas(Run& r, const std::vector<ec2::Instance>& running) {
  if (!r.types_known) return {};
  std::map<std::string, int> vcpus;
  for (const auto& [name, t] : r.types) vcpus[name] = t.vcpus;
  for (const auto& t : r.spec.instance_type_list())
    if (!quota_family(t))
      r.add("quota", t, "no known vCPU quota for family " + type_prefix(t), CheckVerdict::kSkipped, {},
            "the vCPU quota of the " + type_prefix(t) + " family is not checked (unknown quota code)");
  for (const auto& need : vcpus_needed(r.spec, vcpus, r.with_master)) {
    std::optional<QuotaFamily> fam;
    for (const auto& t : r.spec.instance_type_list())
      if (auto f = quota_family(t); f && f->family == need.family) fam = f;
    if (!fam) continue;
    const std::string code = need.market == "spot" ? fam->spot : fam->on_demand;
    cluster::QuotaFacts q;
    q.family = need.family;
    q.market = need.market;
    q.quota_code = code;
    q.needed_vcpus = need.vcpus;
    for (const auto& i : running) {
      auto f = quota_family(i.instance_type);
      if (!f || f->family != need.family) continue;
      if ((i.lifecycle == "spot") != (need.market == "spot")) continue;
      auto v = vcpus.find(i.instance_type);
      q.running_vcpus += v == vcpus.end() ? 0 : v->second;
    }
    const std::string asked = std::to_string(need.vcpus) + " vCPUs of " + need.family + " " + need.market;
    auto got = r.counted([&] { return r.c.quotas.get_service_quota("ec2", code, r.call); });
    if (!got) {
      if (!cannot_check(got.error()) && got.error().code != "NoSuchResourceException") return std::move(got).error();
      r.skipped("quota", asked, got.error());
      continue;
    }
    q.quota_name = got->quota_name;
    q.quota_vcpus = got->value;
    const std::string found = "quota " + code + " (" + got->quota_name + ") " +
                              std::to_string(static_cast<long long>(got->value)) + " vCPUs, " +
                              std::to_string(q.running_vcpus) + " in use";
    const bool covers = static_cast<double>(q.desired_vcpus()) <= got->value;
    if (covers) {
      r.add("quota", asked, found, CheckVerdict::kPass);
    } else {
      const std::string numbers =
          "the cluster needs " + std::to_string(need.vcpus) + " vCPUs of " + need.family + " " + need.market +
          " instances, " + std::to_string(q.running_vcpus) + " are in use and the quota " + code + " (" +
          (got->quota_name.empty() ? "vCPUs" : got->quota_name) + ") is " +
          std::to_string(static_cast<long long>(std::floor(got->value))) + " in " + r.c.config.region;
      std::vector<NextStep> steps = {
          {cluster::next_step::kRequestQuota, "ec2 " + code + " " + std::to_string(q.desired_vcpus())}};
      if (need.fallback_only)
        r.add("quota", asked, found, CheckVerdict::kWarn, "InsufficientQuota",
              numbers + ": the fall back to on-demand would fail; ask for " + std::to_string(q.desired_vcpus()),
              std::move(steps));
      else
        r.add("quota", asked, found, CheckVerdict::kFail, "InsufficientQuota",
              numbers + ": ask for a quota of " + std::to_string(q.desired_vcpus()) + " (Service Quotas)",
              std::move(steps));
    }
    r.report.quotas.push_back(std::move(q));
  }
  return {};
}

Status check_image(Run& r) {
  std::string id = r.spec.image_id;
  const std::string asked = id.empty() ? "SSM " + r.spec.ssm_parameter : id;
  if (id.empty()) {
    auto p = r.counted([&] { return r.c.ssm.get_parameter(r.spec.ssm_parameter, false, r.call); });
    if (!p) {
      if (p.error().code == "ParameterNotFound") {
        r.add("image", asked, "no such parameter", CheckVerdict::kFail, "ImageNotFound",
              "SSM parameter " + r.spec.ssm_parameter + " does not exist in " + r.c.config.region +
                  ": set [cluster] image_id or ssm_parameter to an image of this region",
              {{cluster::next_step::kChooseImage, r.report.types.empty() || r.report.types.front().architectures.empty()
                                                      ? std::string()
                                                      : r.report.types.front().architectures.front()}});
        return {};
      }
      if (!cannot_check(p.error())) return std::move(p).error();
      r.skipped("image", asked, p.error());
      return {};
    }
    id = p->value;
  }
  ec2::DescribeImagesRequest q;
  q.image_ids = {id};
  auto images = r.counted([&] { return r.c.ec2.describe_images(q, r.call); });
  if (!images) {
    const auto& code = images.error().code;
    if (code == "InvalidAMIID.NotFound" || code == "InvalidAMIID.Malformed" || code == "InvalidAMIID.Unavailable") {
      r.add("image", asked, "not found", CheckVerdict::kFail, "ImageNotFound",
            "image " + id + " does not exist in " + r.c.config.region + " (" + code + "): set [cluster] image_id",
            {{cluster::next_step::kChooseImage, ""}});
      return {};
    }
    if (!cannot_check(images.error())) return std::move(images).error();
    r.skipped("image", asked, images.error());
    return {};
  }
  if (images->empty()) {
    r.add("image", asked, "not found", CheckVerdict::kFail, "ImageNotFound",
          "image " + id + " does not exist in " + r.c.config.region + " (or is not shared with this account): set "
          "[cluster] image_id",
          {{cluster::next_step::kChooseImage, ""}});
    return {};
  }
  const auto& img = images->front();
  r.report.image_id = img.image_id;
  r.report.image_architecture = img.architecture;
  const std::string found = img.image_id + " (" + img.architecture + (img.name.empty() ? "" : ", " + img.name) + ")";
  for (const auto& f : r.report.types) {
    if (f.architectures.empty() || img.architecture.empty() || r.failed("architecture")) continue;
    if (std::find(f.architectures.begin(), f.architectures.end(), img.architecture) == f.architectures.end()) {
      r.add("image", asked, found, CheckVerdict::kFail, "ImageArchitectureMismatch",
            "image " + img.image_id + " is " + img.architecture + " but instance type " + f.instance_type + " runs " +
                join(f.architectures, "/") + ": choose an " + f.architectures.front() + " image ([cluster] image_id or "
                "ssm_parameter)",
            {{cluster::next_step::kChooseImage, f.architectures.front()}});
      return {};
    }
  }
  r.add("image", asked, found, CheckVerdict::kPass);
  return {};
}

Status check_key_pair(Run& r) {
  if (r.spec.key_name.empty()) return {};
  auto keys = r.counted([&] { return r.c.ec2.describe_key_pairs({r.spec.key_name}, r.call); });
  if (!keys) {
    if (keys.error().code == "InvalidKeyPair.NotFound") {
      r.add("key pair", r.spec.key_name, "not found", CheckVerdict::kFail, "KeyPairNotFound",
            "key pair " + r.spec.key_name + " does not exist in " + r.c.config.region +
                ": import your public key under that name (EC2 ImportKeyPair) or set [cluster] key_name",
            {{cluster::next_step::kCreateKeyPair, r.spec.key_name}});
      return {};
    }
    if (!cannot_check(keys.error())) return std::move(keys).error();
    r.skipped("key pair", r.spec.key_name, keys.error());
    return {};
  }
  r.add("key pair", r.spec.key_name, keys->empty() ? "found" : keys->front().key_pair_id, CheckVerdict::kPass);
  return {};
}

Status check_bucket(Run& r) {
  const std::string& b = r.spec.staging_bucket;
  if (b.empty()) return {};
  auto head = r.counted([&] { return r.c.s3.head_bucket(b, r.call); });
  std::string region = head ? head->region : internal::bucket_region_from_error(head.error());
  if (!head && region.empty()) {
    const Error& e = head.error();
    if (e.http_status == 404 || e.code == "NoSuchBucket" || e.code == "NotFound") {
      r.add("staging bucket", b, "not found", CheckVerdict::kFail, "BucketNotFound",
            "staging bucket " + b + " does not exist: create it in " + r.c.config.region +
                " or set [cluster] staging_bucket to one that exists",
            {{cluster::next_step::kCreateBucket, b}});
      return {};
    }
    if (e.http_status == 403 || cannot_check(e)) {
      r.add("staging bucket", b, "no access", CheckVerdict::kFail, "BucketAccessDenied",
            "staging bucket " + b + " exists but these credentials may not use it (" + e.code +
                "): use a bucket of this account or get access to it",
            {{cluster::next_step::kCreateBucket, b}});
      return {};
    }
    return std::move(head).error();
  }
  if (!region.empty() && region != r.c.config.region) {
    r.add("staging bucket", b + " in " + r.c.config.region, "in " + region, CheckVerdict::kFail,
          "BucketInAnotherRegion",
          "staging bucket " + b + " is in " + region + ", not in " + r.c.config.region +
              " where the cluster runs: use a bucket in " + r.c.config.region + " or create the cluster in " + region,
          {{cluster::next_step::kBucketRegion, b + " " + region}});
    return {};
  }
  if (!head) return std::move(head).error();  // a region problem naming this very region
  r.add("staging bucket", b, region.empty() ? "found" : "in " + region, CheckVerdict::kPass);
  return {};
}

Status check_file_systems(Run& r) {
  if (r.spec.shared == cluster::SharedStorage::kEfs && !r.spec.efs_id.empty()) {
    auto fs = r.counted([&] { return r.c.efs.describe_file_systems(r.spec.efs_id, r.call); });
    if (!fs) {
      if (fs.error().code == "FileSystemNotFound" || fs.error().kind == ErrorKind::kInvalidArgument) {
        r.add("efs", r.spec.efs_id, "not found", CheckVerdict::kFail, "FileSystemNotFound",
              "EFS file system " + r.spec.efs_id + " does not exist in " + r.c.config.region +
                  ": fix [storage] efs_id or leave it empty to create one",
              {{cluster::next_step::kFixId, r.spec.efs_id}});
      } else if (cannot_check(fs.error())) {
        r.skipped("efs", r.spec.efs_id, fs.error());
      } else {
        return std::move(fs).error();
      }
    } else {
      r.add("efs", r.spec.efs_id, fs->empty() ? "found" : fs->front().life_cycle_state, CheckVerdict::kPass);
    }
  }
  if (r.spec.shared == cluster::SharedStorage::kFsxLustre && !r.spec.fsx.id.empty()) {
    auto fs = r.counted([&] { return r.c.fsx.describe_file_systems({r.spec.fsx.id}, r.call); });
    if (!fs) {
      if (fs.error().code == "FileSystemNotFound" || fs.error().kind == ErrorKind::kInvalidArgument) {
        r.add("fsx", r.spec.fsx.id, "not found", CheckVerdict::kFail, "FileSystemNotFound",
              "FSx file system " + r.spec.fsx.id + " does not exist in " + r.c.config.region +
                  ": fix [storage] fsx_id or leave it empty to create one",
              {{cluster::next_step::kFixId, r.spec.fsx.id}});
      } else if (cannot_check(fs.error())) {
        r.skipped("fsx", r.spec.fsx.id, fs.error());
      } else {
        return std::move(fs).error();
      }
    } else if (!fs->empty() && fs->front().file_system_type != "LUSTRE" && !fs->front().file_system_type.empty()) {
      r.add("fsx", r.spec.fsx.id, fs->front().file_system_type, CheckVerdict::kFail, "NotALustreFileSystem",
            "FSx file system " + r.spec.fsx.id + " is " + fs->front().file_system_type +
                ", not Lustre: give an FSx for Lustre id in [storage] fsx_id",
            {{cluster::next_step::kFixId, r.spec.fsx.id}});
    } else {
      r.add("fsx", r.spec.fsx.id, fs->empty() ? "found" : fs->front().lifecycle, CheckVerdict::kPass);
    }
  }
  return {};
}

Status check_reservation(Run& r) {
  // (A Capacity Block with a spot market never gets here: the spec's check() refuses it.)
  const auto& cap = r.spec.capacity;
  const std::string id = !cap.capacity_reservation.empty() ? cap.capacity_reservation : cap.capacity_block;
  if (id.empty()) return {};
  if (id.rfind("cr-", 0) != 0) {
    r.add("reservation", id, "a reservation group", CheckVerdict::kSkipped, {},
          "a capacity reservation group is not checked (its reservations are resolved at launch)");
    return {};
  }
  auto got = r.counted([&] { return r.c.ec2.describe_capacity_reservations({id}, {}, r.call); });
  if (!got) {
    const auto& code = got.error().code;
    if (code.rfind("InvalidCapacityReservationId", 0) == 0) {
      r.add("reservation", id, "not found", CheckVerdict::kFail, "CapacityReservationNotFound",
            "capacity reservation " + id + " does not exist in " + r.c.config.region + " (" + code +
                "): fix [cluster] capacity_reservation",
            {{cluster::next_step::kFixId, id}});
      return {};
    }
    if (!cannot_check(got.error())) return std::move(got).error();
    r.skipped("reservation", id, got.error());
    return {};
  }
  if (got->empty()) {
    r.add("reservation", id, "not found", CheckVerdict::kFail, "CapacityReservationNotFound",
          "capacity reservation " + id + " does not exist in " + r.c.config.region + ": fix [cluster] capacity_reservation",
          {{cluster::next_step::kFixId, id}});
    return {};
  }
  const auto& cr = got->front();
  const std::string found = cr.instance_type + " in " + cr.availability_zone + ", " + cr.state + ", " +
                            std::to_string(cr.available_instance_count) + " of " +
                            std::to_string(cr.total_instance_count) + " free";
  const auto types = r.spec.instance_type_list();
  if (std::find(types.begin(), types.end(), cr.instance_type) == types.end()) {
    r.add("reservation", id, found, CheckVerdict::kFail, "ReservationTypeMismatch",
          "capacity reservation " + id + " is for " + cr.instance_type + ", which is not in the type list (" +
              join(types) + "): add it to [cluster] instance_types or use another reservation",
          {{cluster::next_step::kChooseTypes, cr.instance_type}});
    return {};
  }
  const bool zones_given = !cap.availability_zones.empty() || !r.spec.availability_zone.empty();
  if (zones_given && std::find(r.report.zones.begin(), r.report.zones.end(), cr.availability_zone) == r.report.zones.end()) {
    r.add("reservation", id, found, CheckVerdict::kFail, "ReservationZoneMismatch",
          "capacity reservation " + id + " is in " + cr.availability_zone + ", outside the candidate zones (" +
              join(r.report.zones) + "): add " + cr.availability_zone + " to [network] availability_zones",
          {{cluster::next_step::kChooseZones, cr.availability_zone}});
    return {};
  }
  r.report.zones = {cr.availability_zone};  // a reservation pins the zone
  if (cr.state != "active" && cr.state != "scheduled") {
    r.add("reservation", id, found, CheckVerdict::kFail, "ReservationNotActive",
          "capacity reservation " + id + " is " + cr.state + ": use an active reservation",
          {{cluster::next_step::kFixId, id}});
    return {};
  }
  if (cr.available_instance_count < r.spec.workers)
    r.add("reservation", id, found, cr.available_instance_count == 0 ? CheckVerdict::kFail : CheckVerdict::kWarn,
          cr.available_instance_count == 0 ? "ReservationFull" : "",
          "capacity reservation " + id + " has " + std::to_string(cr.available_instance_count) + " free of the " +
              std::to_string(r.spec.workers) + " workers asked",
          {{cluster::next_step::kFixId, id}});
  else
    r.add("reservation", id, found, CheckVerdict::kPass);
  return {};
}

}  // namespace

Result<cluster::PreflightReport> run(const lifecycle::Clients& c, const cluster::ClusterSpec& spec,
                                     const cluster::PreflightOptions& options) {
  Run r{c, spec, {}, {}, {}, false, true};
  r.call.deadline = options.deadline;
  r.call.cancel = options.cancel;
  r.report.region = c.config.region;
  std::vector<ec2::Instance> running;
  if (auto got = running_in_families(r); got.ok()) {
    running = std::move(*got);
  } else if (!cannot_check(got.error())) {
    return std::move(got).error();
  }
  AWSDL_TRY(check_types(r, running));
  AWSDL_TRY(check_offerings(r));
  AWSDL_TRY(check_quotas(r, running));
  AWSDL_TRY(check_image(r));
  AWSDL_TRY(check_key_pair(r));
  AWSDL_TRY(check_bucket(r));
  AWSDL_TRY(check_file_systems(r));
  AWSDL_TRY(check_reservation(r));
  return std::move(r.report);
}

Result<cluster::PreflightReport> run_for_resize(const lifecycle::Clients& c, const cloudformation::Stack& stack,
                                                int added, const CallOptions& call) {
  // The added workers, of the stack's type and in its workers' market, against the quota.
  cluster::ClusterSpec spec;
  spec.name = stack.stack_name;
  spec.instance_type = lifecycle::stack_parameter(stack, cluster::names::kInstanceType);
  spec.workers = added;
  const std::string percentage = lifecycle::stack_parameter(stack, cluster::names::kWorkerOnDemandPercentage);
  spec.capacity.market = !percentage.empty() && percentage != "100" ? cluster::Market::kSpot : cluster::Market::kOnDemand;
  cluster::PreflightReport empty;
  empty.region = c.config.region;
  if (spec.instance_type.empty() || added <= 0) return empty;
  Run r{c, spec, call, std::move(empty), {}, false, false};
  std::vector<ec2::Instance> running;
  if (auto got = running_in_families(r); got.ok()) {
    running = std::move(*got);
  } else if (!cannot_check(got.error())) {
    return std::move(got).error();
  }
  AWSDL_TRY(check_types(r, running));
  AWSDL_TRY(check_quotas(r, running));
  return std::move(r.report);
}

}  // namespace awsdl::internal::preflight

namespace awsdl::cluster {

Result<PreflightReport> Clusters::preflight(const ClusterSpec& spec, const PreflightOptions& options) const {
  AWSDL_TRY(validate(spec));
  AWSDL_TRY(check_zone(spec, impl_->c.config.region));
  return internal::preflight::run(impl_->c, spec, options);
}

}  // namespace awsdl::cluster
