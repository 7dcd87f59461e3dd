// Least privilege. The nodes may: describe groups and instances (these actions have no
// resource-level permissions), signal their own stack, use the cluster's two queues, and
// read and write the staging bucket named in the spec. The capacity Lambda may: describe
// groups, set the desired capacity of this stack's worker group, report to its queue and
// write its own logs. With the Autostop parameter at "scale" or "delete" (and only then) the
// nodes may also update their own worker group or delete their own stack (autostop.hpp).
// No wildcard actions anywhere.
#include "cluster/template_parts.hpp"

namespace awsdl::internal::cfn {

namespace {
Json statement(std::initializer_list<Json> actions, Json resources) {
  return Json::object({{"Effect", "Allow"}, {"Action", Json::array(actions)}, {"Resource", std::move(resources)}});
}

Json assume_role_policy(std::string_view service) {
  return Json::object(
      {{"Version", "2012-10-17"},
       {"Statement", Json::array({Json::object({{"Effect", "Allow"},
                                                {"Principal", Json::object({{"Service", Json::array({Json(service)})}})},
                                                {"Action", Json::array({Json("sts:AssumeRole")})}})})}});
}

Json policy(std::string_view name, Json statements) {
  return Json::object({{"PolicyName", name},
                       {"PolicyDocument", Json::object({{"Version", "2012-10-17"}, {"Statement", std::move(statements)}})}});
}

std::string worker_group_arn() {
  return std::string("arn:${AWS::Partition}:autoscaling:${AWS::Region}:${AWS::AccountId}:autoScalingGroup:*:autoScalingGroupName/") +
         kWorkerGroupNameSub;
}
}  // namespace

void add_iam(Builder& b) {
  Json node = Json::array();
  node.push(statement({"autoscaling:DescribeAutoScalingGroups", "autoscaling:DescribeAutoScalingInstances",
                       "ec2:DescribeInstances"},
                      Json("*")));
  node.push(statement({"cloudformation:SignalResource", "cloudformation:DescribeStackResource"},
                      ref("AWS::StackId")));
  node.push(statement({"sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"},
                      Json::array({get_att(kNodeQueue, "Arn")})));
  node.push(statement({"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"},
                      Json::array({get_att(kCapacityQueue, "Arn")})));
  if (b.reuse_fsx())  // the user data asks for the reused file system's mount name
    node.push(statement({"fsx:DescribeFileSystems"}, Json("*")));
  if (!b.spec.staging_bucket.empty()) {
    const std::string bucket = "arn:${AWS::Partition}:s3:::" + b.spec.staging_bucket;
    node.push(statement({"s3:ListBucket"}, Json::array({sub(bucket)})));
    node.push(statement({"s3:GetObject", "s3:PutObject"}, Json::array({sub(bucket + "/*")})));
  }
  b.add(kInstanceRole, resource("AWS::IAM::Role", Json::object({{"AssumeRolePolicyDocument", assume_role_policy("ec2.amazonaws.com")},
                                                                {"Path", "/"},
                                                                {"Policies", Json::array({policy("awsdl-node", std::move(node))})},
                                                                {"Tags", standard_tags("-node")}})));
  // Autostop (autostop.hpp): the watcher on the master may scale its own worker group to zero,
  // or delete its own stack, each only when the Autostop parameter asks for it and only for
  // resources tagged with this cluster's name (the stack's name).
  const Json own = Json::object(
      {{"StringEquals", Json::object({{"aws:ResourceTag/awsdl:cluster", ref("AWS::StackName")}})}});
  Json scale = statement({"autoscaling:UpdateAutoScalingGroup"}, Json::array({sub(worker_group_arn())}));
  scale.set("Condition", own);
  Json scale_policy = resource("AWS::IAM::ManagedPolicy",
                               Json::object({{"Description", "awsdl autostop: scale the cluster's worker group to zero"},
                                             {"Roles", Json::array({ref(kInstanceRole)})},
                                             {"PolicyDocument", Json::object({{"Version", "2012-10-17"},
                                                                              {"Statement", Json::array({std::move(scale)})}})}}));
  scale_policy.set("Condition", kAutostopScale);
  b.add(kAutostopScalePolicy, std::move(scale_policy));
  Json del = statement({"cloudformation:DeleteStack"}, ref("AWS::StackId"));
  del.set("Condition", own);
  Json delete_policy = resource("AWS::IAM::ManagedPolicy",
                                Json::object({{"Description", "awsdl autostop: delete the cluster's stack"},
                                              {"Roles", Json::array({ref(kInstanceRole)})},
                                              {"PolicyDocument", Json::object({{"Version", "2012-10-17"},
                                                                               {"Statement", Json::array({std::move(del)})}})}}));
  delete_policy.set("Condition", kAutostopDelete);
  b.add(kAutostopDeletePolicy, std::move(delete_policy));

  b.add(kInstanceProfile, resource("AWS::IAM::InstanceProfile",
                                   Json::object({{"Path", "/"}, {"Roles", Json::array({ref(kInstanceRole)})}})));

  const std::string log_group =
      "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/lambda/" + capacity_function_name(b.spec);
  Json lambda = Json::array();
  lambda.push(statement({"autoscaling:DescribeAutoScalingGroups"}, Json("*")));
  lambda.push(statement({"autoscaling:SetDesiredCapacity"}, Json::array({sub(worker_group_arn())})));
  lambda.push(statement({"sqs:SendMessage"}, Json::array({get_att(kCapacityQueue, "Arn")})));
  lambda.push(statement({"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"},
                        Json::array({sub(log_group), sub(log_group + ":*")})));
  b.add(kCapacityRole, resource("AWS::IAM::Role", Json::object({{"AssumeRolePolicyDocument", assume_role_policy("lambda.amazonaws.com")},
                                                                {"Path", "/"},
                                                                {"Policies", Json::array({policy("awsdl-capacity", std::move(lambda))})},
                                                                {"Tags", standard_tags("-capacity")}})));
}

}  // namespace awsdl::internal::cfn
