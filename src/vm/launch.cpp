// launch: RunInstances (one idempotency token for every retry), every instance tagged with
// the deployment, then wait until they all run. Refuses while the deployment has instances.
#include <algorithm>

#include "vm/vm_internal.hpp"

namespace awsdl::vm {

using internal::vm::emit;
using internal::vm::suggest;

Result<LaunchResult> Deployment::launch(const StepOptions& o) {
  const VmSpec& vm = impl_->s.spec;
  AWSDL_TRY(validate(vm, needs_of_launch()));
  LaunchResult out;
  AWSDL_ASSIGN_OR_RETURN(auto existing, internal::vm::tagged_instances(impl_->s, false));
  if (!existing.empty()) {
    std::string ids;
    for (const auto& i : existing) ids += (ids.empty() ? "" : ", ") + i.instance_id + " (" + i.state + ")";
    return Error::make(ErrorKind::kService, "DeploymentExists",
                       "deployment '" + vm.name + "' already has " + std::to_string(existing.size()) +
                           " instance(s): " + ids)
        .with_next_step(next_step::kStatus, vm.name)
        .with_next_step(next_step::kTerminate, vm.name);
  }

  out.image_id = vm.ami_id;
  if (out.image_id.empty()) {
    ec2::DescribeImagesRequest req;
    req.owners = {vm.ami_owner};
    req.names = {vm.ami_name};
    auto images = impl_->s.ec2.describe_images(req);
    if (!images) {
      Error e = std::move(images).error();
      e.message = "looking up the image named '" + vm.ami_name + "': " + e.message;
      return e;
    }
    if (images->empty())
      return Error::make(ErrorKind::kNotFound, "ImageNotFound",
                         "no image named '" + vm.ami_name + "' owned by " + vm.ami_owner + " in " +
                             impl_->s.config.region)
          .with_next_step(next_step::kCheckImage, vm.name);
    const auto& newest = images->front();  // describe_images sorts newest first
    out.image_id = newest.image_id;
    out.image_name = newest.name;
    out.image_created = newest.creation_date;
    out.images_matching = images->size();
    emit(o, "image " + out.image_id + " (" + newest.name + ", created " + newest.creation_date + ", newest of " +
                std::to_string(images->size()) + " matching)");
  }

  ec2::RunInstancesRequest req;
  req.image_id = out.image_id;
  req.instance_type = vm.instance_type;
  req.min_count = req.max_count = vm.count;
  req.key_name = vm.key_name;
  req.subnet_id = vm.subnet;
  req.security_group_ids = vm.security_groups;
  req.tags = {{kDeploymentTag, vm.name}, {"Name", "awsdl-vm-" + vm.name}};
  req.client_token = ec2::new_client_token();
  out.client_token = req.client_token;
  emit(o, "launching " + std::to_string(vm.count) + " x " + vm.instance_type + " from " + out.image_id + " in " +
              impl_->s.config.region + " (client token " + req.client_token + ")");
  auto reservation = impl_->s.ec2.run_instances(req);
  if (!reservation) {
    // The call may have gone through: what carries the tag says.
    Error e = std::move(reservation).error();
    e.message = "RunInstances: " + e.message;
    return suggest(std::move(e), next_step::kStatus, vm.name);
  }
  out.reservation_id = reservation->reservation_id;
  std::vector<std::string> ids;
  for (const auto& i : reservation->instances) ids.push_back(i.instance_id);
  std::string id_list;
  for (const auto& id : ids) id_list += (id_list.empty() ? "" : " ") + id;
  if (o.on_event)
    o.on_event(VmEvent{VmEventKind::kLaunched,
                       "launched " + id_list + " (reservation " + out.reservation_id + "); waiting until running", ids});

  auto running =
      impl_->s.ec2.wait_until_running(ids, internal::vm::wait_options(impl_->s, o, "running", o.cancel));
  if (!running) {
    Error e = std::move(running).error();
    e.message = "waiting for the instances to run: " + e.message + " (they carry the tag " + kDeploymentTag + "=" +
                vm.name + ")";
    return suggest(std::move(e), next_step::kTerminate, vm.name);
  }
  out.instances = std::move(*running);
  std::sort(out.instances.begin(), out.instances.end(),
            [](const auto& a, const auto& b) { return a.instance_id < b.instance_id; });
  return out;
}

}  // namespace awsdl::vm
