// describe and list: the stack (outputs, parameters), its two Auto Scaling groups, their
// instances (DescribeInstances in batches) and the GPU count of each instance type (one
// DescribeInstanceTypes for the distinct types).
#include <algorithm>
#include <map>
#include <set>

#include "awsdl/cluster/lifecycle.hpp"
#include "cluster/lifecycle_internal.hpp"

namespace awsdl::internal::lifecycle {

namespace {
namespace names = cluster::names;

// DescribeInstances takes many ids per call; batches keep requests and answers modest.
constexpr std::size_t kInstanceBatch = 100;

bool gone(const std::string& state) { return state == "terminated" || state == "shutting-down"; }

}  // namespace

std::string stack_parameter(const cloudformation::Stack& s, const std::string& key) {
  for (const auto& p : s.parameters)
    if (p.key == key) return p.value;
  return {};
}

int stack_count(const cloudformation::Stack& s, const std::string& key) {
  const std::string v = stack_parameter(s, key);
  int n = 0;
  for (char ch : v) {
    if (ch < '0' || ch > '9' || n > 100000000) return 0;
    n = n * 10 + (ch - '0');
  }
  return n;
}

cluster::ClusterInfo info_from_stack(const cloudformation::Stack& s) {
  cluster::ClusterInfo i;
  i.name = s.stack_name;
  for (const auto& t : s.tags)
    if (t.key == cluster::kClusterTag && !t.value.empty()) i.name = t.value;
  i.stack_id = s.stack_id;
  i.status = s.status;
  i.status_reason = s.status_reason;
  i.created = s.creation_time;
  i.master_group = s.output(names::kOutMasterGroupName);
  i.worker_group = s.output(names::kOutWorkerGroupName);
  i.desired_workers = stack_count(s, names::kWorkerCount);
  i.min_workers = stack_count(s, names::kMinWorkerCount);
  i.efs_id = s.output(names::kOutEfsId);
  if (i.efs_id.empty()) i.efs_id = stack_parameter(s, names::kEfsId);
  i.mount_point = s.output(names::kOutEfsMountPoint);
  if (i.mount_point.empty()) i.mount_point = stack_parameter(s, names::kEfsMountPoint);
  const std::string autostop = stack_parameter(s, names::kAutostop);
  i.autostop = autostop == "scale"    ? cluster::AutostopAction::kScaleToZero
               : autostop == "delete" ? cluster::AutostopAction::kDeleteStack
                                      : cluster::AutostopAction::kOff;
  return i;
}

Result<cluster::ClusterInfo> describe_stack(const Clients& c, const cloudformation::Stack& stack,
                                            const CallOptions& call) {
  cluster::ClusterInfo info = info_from_stack(stack);
  if (info.master_group.empty() || info.worker_group.empty()) {
    // Outputs exist only once the stack is complete; while it is created the resources say.
    AWSDL_ASSIGN_OR_RETURN(auto resources, c.cfn.describe_stack_resources(stack.stack_id, call));
    for (const auto& r : resources) {
      if (r.logical_id == names::kMasterGroup && info.master_group.empty()) info.master_group = r.physical_id;
      if (r.logical_id == names::kWorkerGroup && info.worker_group.empty()) info.worker_group = r.physical_id;
    }
  }
  autoscaling::DescribeGroupsRequest req;
  if (!info.master_group.empty()) req.names.push_back(info.master_group);
  if (!info.worker_group.empty()) req.names.push_back(info.worker_group);
  if (req.names.empty()) return info;
  AWSDL_ASSIGN_OR_RETURN(auto groups, c.asg.describe_groups(req, call));

  std::map<std::string, cluster::NodeRole> role_of;
  for (const auto& g : groups) {
    bool master = g.name == info.master_group;
    if (!master && g.name == info.worker_group) info.desired_workers = g.desired_capacity;
    for (const auto& i : g.instances)
      role_of[i.instance_id] = master ? cluster::NodeRole::kMaster : cluster::NodeRole::kWorker;
  }
  std::vector<std::string> ids;
  for (const auto& [id, role] : role_of) ids.push_back(id);

  std::vector<ec2::Instance> instances;
  for (std::size_t at = 0; at < ids.size(); at += kInstanceBatch) {
    ec2::DescribeInstancesRequest r;
    r.instance_ids.assign(ids.begin() + static_cast<std::ptrdiff_t>(at),
                          ids.begin() + static_cast<std::ptrdiff_t>(std::min(ids.size(), at + kInstanceBatch)));
    AWSDL_ASSIGN_OR_RETURN(auto batch, c.ec2.list_instances(std::move(r), call));
    for (auto& i : batch)
      if (!gone(i.state)) instances.push_back(std::move(i));
  }

  std::set<std::string> types;
  for (const auto& i : instances) types.insert(i.instance_type);
  std::map<std::string, int> gpus;
  if (!types.empty()) {
    auto infos = c.ec2.describe_instance_types(std::vector<std::string>(types.begin(), types.end()), {}, call);
    if (infos) {
      for (const auto& t : *infos) gpus[t.instance_type] = t.gpu_count;
    } else if (infos.error().kind == ErrorKind::kService && !infos.error().retryable) {
      // The nodes are known without their GPU counts: a refused or puzzled lookup of the
      // types must not hide the cluster.
      info.gpus_unknown = std::move(infos).error();
    } else {
      return std::move(infos).error();
    }
  }

  for (const auto& i : instances) {
    cluster::Node n;
    n.role = role_of[i.instance_id];
    n.instance_id = i.instance_id;
    n.instance_type = i.instance_type;
    n.state = i.state;
    n.private_ip = i.private_ip;
    n.public_ip = i.public_ip;
    n.private_dns = i.private_dns;
    n.availability_zone = i.availability_zone;
    n.gpus = gpus.count(i.instance_type) ? gpus[i.instance_type] : 0;
    info.nodes.push_back(std::move(n));
  }
  std::map<std::string, std::string> launched;
  for (const auto& i : instances) launched[i.instance_id] = i.launch_time;
  std::stable_sort(info.nodes.begin(), info.nodes.end(), [&](const cluster::Node& a, const cluster::Node& b) {
    if (a.role != b.role) return a.role == cluster::NodeRole::kMaster;
    const auto& la = launched[a.instance_id];
    const auto& lb = launched[b.instance_id];
    return la != lb ? la < lb : a.instance_id < b.instance_id;
  });
  return info;
}

}  // namespace awsdl::internal::lifecycle

namespace awsdl::cluster {

Result<ClusterInfo> Clusters::describe(const std::string& name) const {
  CallOptions call;
  AWSDL_ASSIGN_OR_RETURN(auto stack, internal::lifecycle::find_cluster_stack(impl_->c, name, call));
  return internal::lifecycle::describe_stack(impl_->c, stack, call);
}

Result<std::vector<ClusterInfo>> Clusters::list() const {
  AWSDL_ASSIGN_OR_RETURN(auto stacks, impl_->c.cfn.describe_stacks());
  std::vector<ClusterInfo> out;
  for (const auto& s : stacks) {
    if (s.status == "DELETE_COMPLETE") continue;
    bool tagged = false;
    for (const auto& t : s.tags) tagged = tagged || (t.key == kClusterTag && !t.value.empty());
    if (tagged) out.push_back(internal::lifecycle::info_from_stack(s));
  }
  std::sort(out.begin(), out.end(), [](const ClusterInfo& a, const ClusterInfo& b) { return a.name < b.name; });
  return out;
}

}  // namespace awsdl::cluster
