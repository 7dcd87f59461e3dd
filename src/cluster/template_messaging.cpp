// Messaging: the groups' launch notifications go to an SNS topic (read by the capacity
// Lambda); the nodes register on one queue (the master builds the workers file from it) and
// the Lambda reports capacity changes on the other (read by the master and the lifecycle).
#include "cluster/template_parts.hpp"

namespace awsdl::internal::cfn {

namespace {
constexpr int kRetentionSeconds = 4 * 24 * 3600;
}

void add_messaging(Builder& b) {
  b.add(kNodeQueue, resource("AWS::SQS::Queue", Json::object({{"MessageRetentionPeriod", kRetentionSeconds},
                                                              {"VisibilityTimeout", 60},
                                                              {"SqsManagedSseEnabled", true},
                                                              {"Tags", standard_tags("-nodes")}})));
  b.add(kCapacityQueue, resource("AWS::SQS::Queue", Json::object({{"MessageRetentionPeriod", kRetentionSeconds},
                                                                  {"VisibilityTimeout", 60},
                                                                  {"SqsManagedSseEnabled", true},
                                                                  {"Tags", standard_tags("-capacity")}})));
  b.add(kLaunchTopic, resource("AWS::SNS::Topic", Json::object({{"DisplayName", sub("${AWS::StackName} launches")},
                                                                {"Tags", standard_tags("-launches")}})));
}

}  // namespace awsdl::internal::cfn
