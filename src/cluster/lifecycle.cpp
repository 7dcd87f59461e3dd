// Clusters: the handle (clients sharing one Config) and the lookups every operation starts
// with.
#include "awsdl/cluster/lifecycle.hpp"

#include "cluster/lifecycle_internal.hpp"
#include "cluster/spec_rules.hpp"

namespace awsdl::cluster {

Clusters::Clusters(Config config) : impl_(std::make_shared<Impl>(std::move(config))) {}
Clusters::~Clusters() = default;
Clusters::Clusters(const Clusters&) = default;
Clusters& Clusters::operator=(const Clusters&) = default;

const Node* ClusterInfo::master() const {
  for (const auto& n : nodes)
    if (n.role == NodeRole::kMaster) return &n;
  return nullptr;
}

std::vector<Node> ClusterInfo::workers() const {
  std::vector<Node> out;
  for (const auto& n : nodes)
    if (n.role == NodeRole::kWorker) out.push_back(n);
  return out;
}

}  // namespace awsdl::cluster

namespace awsdl::internal::lifecycle {

Clients::Clients(Config c)
    : config(c), cfn(c), asg(c), ec2(c), s3(c), efs(c), ssm(c), quotas(c), fsx(c) {}

Result<cloudformation::Stack> find_cluster_stack(const Clients& c, const std::string& name, const CallOptions& call) {
  if (auto bad = spec_rules::stack_name(name); !bad.empty())
    return Error::invalid_argument("InvalidClusterName", "cluster name " + spec_rules::quoted(name) + " " + bad);
  auto stack = c.cfn.describe_stack(name, call);
  if (!stack) {
    Error e = std::move(stack).error();
    if ((e.code == "ValidationError" && e.message.find("does not exist") != std::string::npos) ||
        e.kind == ErrorKind::kNotFound) {
      return Error::make(ErrorKind::kNotFound, "ClusterNotFound",
                         "there is no cluster named " + name + " (no stack " + name + " in region " +
                             c.config.region + ")");
    }
    return e;
  }
  bool tagged = false;
  for (const auto& t : stack->tags) tagged = tagged || (t.key == cluster::kClusterTag && t.value == name);
  if (!tagged)
    return Error::invalid_argument("NotACluster", "stack " + name + " is not an awsdl cluster (it has no " +
                                                      std::string(cluster::kClusterTag) + " tag); leaving it alone");
  return stack;
}

}  // namespace awsdl::internal::lifecycle
