// set_autostop: UpdateStack with the previous template and values but the Autostop parameter,
// which brings the instance role's autostop policy (AutostopScalePolicy / AutostopDeletePolicy)
// or takes it away. Through the stack, as resize: the stack stays the truth.
#include "awsdl/cluster/lifecycle.hpp"
#include "cluster/lifecycle_internal.hpp"
#include "util/idempotency_token.hpp"

namespace awsdl::cluster {

Result<ClusterInfo> Clusters::set_autostop(const std::string& name, AutostopAction action, const ResizeOptions& options) {
  using namespace internal::lifecycle;
  const Clients& c = impl_->c;
  WatchSpec w = watch_for(c, name, options.on_event, options.deadline, options.cancel, options.poll_interval);
  CallOptions call = call_options(w);
  AWSDL_ASSIGN_OR_RETURN(auto stack, find_cluster_stack(c, name, call));
  bool has = false;
  for (const auto& p : stack.parameters) has = has || p.key == names::kAutostop;
  if (!has)
    return Error::invalid_argument("AutostopUnsupported",
                                   "cluster " + name + " was created without the Autostop parameter (an older "
                                   "libawsdl): its instance role cannot be given the autostop permission; create the "
                                   "cluster again to use autostop");
  const std::string& s = stack.status;
  if (s != "CREATE_COMPLETE" && s != "UPDATE_COMPLETE" && s != "UPDATE_ROLLBACK_COMPLETE")
    return Error::make(ErrorKind::kService, "ClusterNotReady",
                       "cluster " + name + " cannot be updated while its stack is " + s)
        .with_next_step(next_step::kDescribe, name);
  w.stack = stack.stack_id;
  const std::string value = autostop_parameter(action);
  if (stack_parameter(stack, names::kAutostop) != value) {
    EventFeed feed;
    AWSDL_ASSIGN_OR_RETURN(auto before, c.cfn.describe_stack_events(w.stack, 100, call));
    feed.prime(before);
    cloudformation::UpdateStackRequest u;
    u.stack_name = stack.stack_id;
    u.use_previous_template = true;
    for (const auto& p : stack.parameters)
      u.parameters.push_back(p.key == names::kAutostop ? cloudformation::StackParameter{p.key, value}
                                                       : cloudformation::StackParameter{p.key, "", true});
    u.capabilities = stack.capabilities;
    u.client_request_token = internal::new_idempotency_token();
    if (options.on_event)
      options.on_event(summary_event(c.config, "updating cluster " + name + ": Autostop = " + value));
    AWSDL_TRY(c.cfn.update_stack(u, call));
    AWSDL_ASSIGN_OR_RETURN(auto outcome, suggest(watch_stack(c, w, feed, "the update continues; see it (Clusters::describe)"),
                                                 {next_step::kDescribe}, name));
    if (outcome.status != "UPDATE_COMPLETE") {
      std::string why = failure_reasons(feed.history());
      return Error::make(ErrorKind::kService, "ClusterUpdateFailed",
                         "cluster " + name + ": setting Autostop to " + value + " failed (stack " + outcome.status + ")" +
                             (why.empty() ? "" : ": " + why) + "; the cluster keeps its previous setting");
    }
  }
  AWSDL_ASSIGN_OR_RETURN(auto now, c.cfn.describe_stack(w.stack, call));
  return describe_stack(c, now, call);
}

}  // namespace awsdl::cluster
