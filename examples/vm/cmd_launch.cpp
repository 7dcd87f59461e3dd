// awsdl-vm launch: RunInstances (one idempotency token for every retry), every instance
// tagged with the deployment, then wait until they are all running.
#include <cstdio>

#include "command.hpp"
#include "steps.hpp"

namespace awsdl_vm {

StepOutcome launch_step(Context& ctx) {
  StepOutcome out;
  out.code = awsdl_cli::kExitFailed;
  const auto& vm = ctx.vm;
  auto existing = tagged_instances(ctx, false);
  if (!existing) {
    fail("looking for instances tagged " + std::string(kDeploymentTag) + "=" + vm.name, existing.error());
    return out;
  }
  if (!existing->empty()) {
    std::string ids;
    for (const auto& i : *existing) ids += (ids.empty() ? "" : ", ") + i.instance_id + " (" + i.state + ")";
    std::fprintf(stderr,
                 "error: deployment '%s' already has %zu instance(s): %s\nnext: see them with '%s', or remove them "
                 "with '%s --yes'\n",
                 vm.name.c_str(), existing->size(), ids.c_str(), command_line(ctx, "status").c_str(),
                 command_line(ctx, "terminate").c_str());
    return out;
  }

  std::string image = vm.ami_id;
  if (image.empty()) {
    awsdl::ec2::DescribeImagesRequest req;
    req.owners = {vm.ami_owner};
    req.names = {vm.ami_name};
    auto images = ctx.ec2->describe_images(req);
    if (!images) {
      fail("looking up the image named '" + vm.ami_name + "'", images.error());
      return out;
    }
    if (images->empty()) {
      std::fprintf(
          stderr,
          "error: no image named '%s' owned by %s in %s\nnext: check [vm] ami_name and ami_owner, or give ami_id\n",
          vm.ami_name.c_str(), vm.ami_owner.c_str(), ctx.aws.region.c_str());
      return out;
    }
    const auto& newest = images->front();  // describe_images sorts newest first
    image = newest.image_id;
    progress("image " + image + " (" + newest.name + ", created " + newest.creation_date + ", newest of " +
             std::to_string(images->size()) + " matching)");
  }

  awsdl::ec2::RunInstancesRequest req;
  req.image_id = image;
  req.instance_type = vm.instance_type;
  req.min_count = req.max_count = vm.count;
  req.key_name = vm.key_name;
  req.subnet_id = vm.subnet;
  req.security_group_ids = vm.security_groups;
  req.tags = {{kDeploymentTag, vm.name}, {"Name", "awsdl-vm-" + vm.name}};
  req.client_token = awsdl::ec2::new_client_token();
  progress("launching " + std::to_string(vm.count) + " x " + vm.instance_type + " from " + image + " in " +
           ctx.aws.region + " (client token " + req.client_token + ")");
  auto reservation = ctx.ec2->run_instances(req);
  if (!reservation) {
    fail("RunInstances", reservation.error(),
         "if the call may have gone through, '" + command_line(ctx, "status") + "' shows what carries the tag");
    return out;
  }
  std::vector<std::string> ids;
  for (const auto& i : reservation->instances) ids.push_back(i.instance_id);
  out.created = !ids.empty();
  std::string id_list;
  for (const auto& id : ids) id_list += (id_list.empty() ? "" : " ") + id;
  progress("launched " + id_list + " (reservation " + reservation->reservation_id + "); waiting until running");

  auto running = ctx.ec2->wait_until_running(ids, wait_options(ctx, "running", interrupt_token()));
  if (!running) {
    fail("waiting for the instances to run", running.error(),
         ctx.in_all ? std::string()
                    : "the instances carry the tag " + std::string(kDeploymentTag) + "=" + vm.name + "; '" +
                          command_line(ctx, "terminate") + " --yes' removes them");
    return out;
  }
  auto instances = *running;
  std::sort(instances.begin(), instances.end(),
            [](const auto& a, const auto& b) { return a.instance_id < b.instance_id; });

  std::string items;
  for (const auto& i : instances) items += (items.empty() ? "" : ",") + instance_json(ctx, i);
  out.json = "{\"name\":" + jstr(vm.name) + ",\"region\":" + jstr(ctx.aws.region) + ",\"image_id\":" + jstr(image) +
             ",\"reservation_id\":" + jstr(reservation->reservation_id) +
             ",\"client_token\":" + jstr(req.client_token) + ",\"instances\":[" + items + "]}";
  if (!ctx.json) {
    std::printf("launched %zu instance(s) of %s (%s, %s) in %s:\n", instances.size(), vm.name.c_str(),
                vm.instance_type.c_str(), image.c_str(), ctx.aws.region.c_str());
    for (const auto& i : instances)
      std::printf("  %-20s %-10s %s\n", i.instance_id.c_str(), i.state.c_str(), ssh_address(ctx, i).c_str());
    std::fflush(stdout);
  }
  out.code = awsdl_cli::kExitOk;
  return out;
}

namespace {

CommandInfo info() {
  CommandInfo i;
  i.name = "launch";
  i.summary = "launch the instances, tagged awsdl:vm=NAME, and wait until they run";
  i.needs.launch = i.needs.ssh = true;
  i.examples = {"awsdl-vm launch --config vm.ini",
                "awsdl-vm launch --config vm.ini --count 4 --instance-type g5.xlarge --output json",
                "awsdl-vm launch --config vm.ini --ami-id ami-0123456789abcdef0 --region eu-west-1"};
  i.notes =
      "The image is [vm] ami_id, or the newest image named [vm] ami_name (owned by ami_owner).\n"
      "launch refuses to run while instances carrying the deployment's tag exist.\n";
  return i;
}

int run(const std::vector<std::string>& argv) {
  Context ctx;
  if (int code = prepare(info(), argv, ctx); code >= 0) return code;
  return finish(ctx, launch_step(ctx));
}

const awsdl_cli::RegisterCommand kRegister({"launch", "launch the instances and wait until they run", run});

}  // namespace
}  // namespace awsdl_vm
