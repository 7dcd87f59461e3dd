// The capacity Lambda: when a worker launch fails (insufficient capacity, account limits),
// lower the worker group's desired capacity to what actually launched, as long as that is
// at least the minimum the user accepts, so the group and the stack can complete; report
// every decision on the capacity queue.
#include <cstdint>
#include <cstdio>

#include "cluster/template_parts.hpp"

namespace awsdl::internal::cfn {

namespace {
constexpr std::string_view kCode = R"PY(import json
import os

import boto3

LAUNCH_ERROR = "autoscaling:EC2_INSTANCE_LAUNCH_ERROR"
GONE = ("Terminating", "Terminating:Wait", "Terminating:Proceed", "Terminated")


def launched(group):
    return sum(1 for i in group["Instances"] if i["LifecycleState"] not in GONE)


def handler(event, context):
    name = os.environ["WORKER_GROUP"]
    minimum = int(os.environ["MIN_WORKERS"])
    asg = boto3.client("autoscaling")
    sqs = boto3.client("sqs")
    reports = []
    for record in event.get("Records", []):
        message = json.loads(record["Sns"]["Message"])
        if message.get("Event") != LAUNCH_ERROR:
            continue
        if message.get("AutoScalingGroupName") != name:
            continue
        groups = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])
        group = groups["AutoScalingGroups"][0]
        desired = group["DesiredCapacity"]
        count = launched(group)
        report = {"group": name, "desired": desired, "launched": count,
                  "minimum": minimum, "cause": message.get("Cause", "")}
        if count >= desired:
            report["action"] = "none"
        elif count >= minimum:
            asg.set_desired_capacity(AutoScalingGroupName=name,
                                     DesiredCapacity=count, HonorCooldown=False)
            report["action"] = "lowered"
            report["new_desired"] = count
        else:
            report["action"] = "below-minimum"
        sqs.send_message(QueueUrl=os.environ["REPORT_QUEUE"],
                         MessageBody=json.dumps(report, sort_keys=True))
        reports.append(report)
    return reports
)PY";

std::string hex32(std::uint32_t v) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", v);
  return buf;
}
}  // namespace

std::string_view capacity_lambda_code() { return kCode; }

std::string capacity_function_name(const cluster::ClusterSpec& spec) {
  constexpr std::string_view kSuffix = "-capacity";
  constexpr std::size_t kMax = 64;
  if (spec.name.size() + kSuffix.size() <= kMax) return spec.name + std::string(kSuffix);
  std::uint32_t h = 2166136261u;  // FNV-1a keeps long names distinct after cutting
  for (char c : spec.name) h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
  return spec.name.substr(0, kMax - kSuffix.size() - 9) + "-" + hex32(h) + std::string(kSuffix);
}

void add_capacity_lambda(Builder& b) {
  b.add(kCapacityFunction,
        resource("AWS::Lambda::Function",
                 Json::object({{"FunctionName", capacity_function_name(b.spec)},
                               {"Description", sub("Lowers ${AWS::StackName} worker capacity to what launched")},
                               {"Runtime", "python3.12"},
                               {"Handler", "index.handler"},
                               {"Role", get_att(kCapacityRole, "Arn")},
                               {"Timeout", 60},
                               {"MemorySize", 128},
                               {"Code", Json::object({{"ZipFile", kCode}})},
                               {"Environment", Json::object({{"Variables",
                                                             Json::object({{"WORKER_GROUP", sub(kWorkerGroupNameSub)},
                                                                           {"MIN_WORKERS", b.worker_floor()},
                                                                           {"REPORT_QUEUE", ref(kCapacityQueue)}})}})},
                               {"Tags", standard_tags("-capacity")}})));
  b.add(kCapacityPermission, resource("AWS::Lambda::Permission", Json::object({{"Action", "lambda:InvokeFunction"},
                                                                               {"FunctionName", get_att(kCapacityFunction, "Arn")},
                                                                               {"Principal", "sns.amazonaws.com"},
                                                                               {"SourceArn", ref(kLaunchTopic)}})));
  b.add(kCapacitySubscription, resource("AWS::SNS::Subscription", Json::object({{"TopicArn", ref(kLaunchTopic)},
                                                                                {"Protocol", "lambda"},
                                                                                {"Endpoint", get_att(kCapacityFunction, "Arn")}})));
}

}  // namespace awsdl::internal::cfn
