// Every listing loop of the service clients, against a service whose next-page token never
// ends or repeats itself: the call fails, naming the operation, instead of paging forever or
// returning a list cut short without a word.
#include "protocol/pagination.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "awsdl/autoscaling/autoscaling.hpp"
#include "awsdl/cloudformation/cloudformation.hpp"
#include "awsdl/ec2/ec2.hpp"
#include "awsdl/ecr/ecr.hpp"
#include "awsdl/logs/logs.hpp"
#include "awsdl/s3/client.hpp"
#include "awsdl/s3/transfer.hpp"
#include "awsdl/sagemaker/sagemaker.hpp"
#include "support/fake_harness.hpp"

namespace awsdl {
namespace {

using testsupport::FakeHarness;

TEST(PageGuard, AllowsUpToTheLimitThenFails) {
  internal::PageGuard g("ECR DescribeImages", 3);
  for (const char* t : {"a", "b"}) {
    auto more = g.next(t);
    ASSERT_TRUE(more.ok()) << more.error().to_string();
    EXPECT_TRUE(*more);
  }
  auto third = g.next("c");
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(third.error().code, "PaginationLimitExceeded");
  EXPECT_EQ(third.error().kind, ErrorKind::kParse);
  EXPECT_NE(third.error().message.find("ECR DescribeImages"), std::string::npos) << third.error().message;
  EXPECT_NE(third.error().message.find("3 pages"), std::string::npos) << third.error().message;
  EXPECT_NE(third.error().message.find("max_pages"), std::string::npos) << third.error().message;

  internal::PageGuard done("X", 3);
  auto end = done.next("");
  ASSERT_TRUE(end.ok());
  EXPECT_FALSE(*end);
  EXPECT_EQ(done.pages(), 1);

  internal::PageGuard repeat("CloudFormation DescribeStacks", 100);
  ASSERT_TRUE(repeat.next("t1").ok());
  ASSERT_TRUE(repeat.next("t2").ok());
  auto again = repeat.next("t1");  // a cycle is caught too, not only the same token twice in a row
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, "RepeatedNextToken");
  EXPECT_NE(again.error().message.find("CloudFormation DescribeStacks"), std::string::npos);
}

struct Case {
  std::string operation;
  // The body of a page that names `token` as the next one.
  std::function<std::string(const std::string& token)> page;
  std::function<Status(const Config&)> call;
};

// The call's error, or success whatever it returned.
template <typename T>
Status status_of(const Result<T>& r) {
  if (!r) return r.error();
  return {};
}

std::string query_page(const std::string& action, const std::string& list, const std::string& token) {
  return "<" + action + "Response><" + action + "Result><" + list + "/><NextToken>" + token + "</NextToken></" + action +
         "Result></" + action + "Response>";
}
std::string ec2_page(const std::string& action, const std::string& list, const std::string& token) {
  return "<" + action + "Response><" + list + "/><nextToken>" + token + "</nextToken></" + action + "Response>";
}
std::string json_page(const std::string& list, const std::string& token_name, const std::string& token) {
  return "{\"" + list + "\":[],\"" + token_name + "\":\"" + token + "\"}";
}

std::vector<Case> cases() {
  std::vector<Case> c;
  c.push_back({"DescribeStacks", [](auto& t) { return query_page("DescribeStacks", "Stacks", t); },
               [](const Config& cfg) {
                 return status_of(cloudformation::CloudFormationClient(cfg).describe_stacks());
               }});
  c.push_back({"DescribeStackEvents", [](auto& t) { return query_page("DescribeStackEvents", "StackEvents", t); },
               [](const Config& cfg) {
                 return status_of(cloudformation::CloudFormationClient(cfg).describe_stack_events("stack"));
               }});
  c.push_back({"DescribeAutoScalingGroups",
               [](auto& t) { return query_page("DescribeAutoScalingGroups", "AutoScalingGroups", t); },
               [](const Config& cfg) { return status_of(autoscaling::AutoScalingClient(cfg).describe_groups()); }});
  c.push_back({"DescribeScalingActivities", [](auto& t) { return query_page("DescribeScalingActivities", "Activities", t); },
               [](const Config& cfg) {
                 return status_of(autoscaling::AutoScalingClient(cfg).describe_scaling_activities("group"));
               }});
  c.push_back({"DescribeAutoScalingInstances",
               [](auto& t) { return query_page("DescribeAutoScalingInstances", "AutoScalingInstances", t); },
               [](const Config& cfg) { return status_of(autoscaling::AutoScalingClient(cfg).describe_instances()); }});
  c.push_back({"DescribeInstances", [](auto& t) { return ec2_page("DescribeInstances", "reservationSet", t); },
               [](const Config& cfg) { return status_of(ec2::Ec2Client(cfg).list_instances({})); }});
  c.push_back({"DescribeInstanceStatus", [](auto& t) { return ec2_page("DescribeInstanceStatus", "instanceStatusSet", t); },
               [](const Config& cfg) { return status_of(ec2::Ec2Client(cfg).describe_instance_status({}, true)); }});
  c.push_back({"DescribeInstanceTypes", [](auto& t) { return ec2_page("DescribeInstanceTypes", "instanceTypeSet", t); },
               [](const Config& cfg) { return status_of(ec2::Ec2Client(cfg).describe_instance_types({}, {})); }});
  c.push_back({"DescribeRepositories", [](auto& t) { return json_page("repositories", "nextToken", t); },
               [](const Config& cfg) { return status_of(ecr::EcrClient(cfg).describe_repositories()); }});
  c.push_back({"DescribeImages", [](auto& t) { return json_page("imageDetails", "nextToken", t); },
               [](const Config& cfg) { return status_of(ecr::EcrClient(cfg).describe_images("repo")); }});
  c.push_back({"ListTrainingJobs", [](auto& t) { return json_page("TrainingJobSummaries", "NextToken", t); },
               [](const Config& cfg) { return status_of(sagemaker::SageMakerClient(cfg).list_training_jobs()); }});
  c.push_back({"DescribeLogStreams", [](auto& t) { return json_page("logStreams", "nextToken", t); },
               [](const Config& cfg) {
                 return status_of(logs::LogsClient(cfg).describe_log_streams({.log_group = "/aws/sagemaker/TrainingJobs"}));
               }});
  c.push_back({"FilterLogEvents", [](auto& t) { return json_page("events", "nextToken", t); },
               [](const Config& cfg) {
                 return status_of(logs::LogsClient(cfg).filter_all_log_events({.log_group = "/aws/sagemaker/TrainingJobs"}));
               }});
  c.push_back({"ListObjectsV2",
               [](auto& t) {
                 return "<ListBucketResult><IsTruncated>true</IsTruncated><KeyCount>0</KeyCount><NextContinuationToken>" +
                        t + "</NextContinuationToken></ListBucketResult>";
               },
               [](const Config& cfg) { return status_of(s3::S3Client(cfg).list_all_objects("bucket", "", 1000000)); }});
  c.push_back({"ListObjectsV2",
               [](auto& t) {
                 return "<ListBucketResult><IsTruncated>true</IsTruncated><KeyCount>0</KeyCount><NextContinuationToken>" +
                        t + "</NextContinuationToken></ListBucketResult>";
               },
               [](const Config& cfg) -> Status {
                 // The paginator a caller drives: has_more() stays true until an error.
                 auto pages = s3::S3Client(cfg).list_objects_pages({.bucket = "bucket"});
                 for (int i = 0; i < 100 && pages.has_more(); ++i) AWSDL_TRY(pages.next());
                 return Error::make(ErrorKind::kInternal, "NoError", "the paginator never failed");
               }});
  c.push_back({"ListParts",
               [](auto& t) {
                 // Markers are part numbers: the token's digits.
                 std::string n = t.substr(t.find_first_of("0123456789"));
                 return "<ListPartsResult><IsTruncated>true</IsTruncated><NextPartNumberMarker>" + n +
                        "</NextPartNumberMarker></ListPartsResult>";
               },
               [](const Config& cfg) {
                 return status_of(s3::S3Client(cfg).list_all_parts({.bucket = "bucket", .key = "key", .upload_id = "up"}));
               }});
  c.push_back({"ListMultipartUploads",
               [](auto& t) {
                 return "<ListMultipartUploadsResult><Bucket>bucket</Bucket><IsTruncated>true</IsTruncated>"
                        "<NextKeyMarker>key</NextKeyMarker><NextUploadIdMarker>" +
                        t + "</NextUploadIdMarker></ListMultipartUploadsResult>";
               },
               [](const Config& cfg) {
                 return status_of(s3::TransferManager(s3::S3Client(cfg)).find_upload("bucket", "key"));
               }});
  return c;
}

class EveryListingLoop : public ::testing::TestWithParam<std::size_t> {};

TEST_P(EveryListingLoop, FailsAtThePageLimitAndOnARepeatedToken) {
  const Case c = cases().at(GetParam());
  SCOPED_TRACE(c.operation);
  {  // A token that never ends.
    FakeHarness h("us-east-1");
    h.config.max_pages = 5;
    int served = 0;
    h.transport->set_handler([&](const http::Request&) -> Result<http::Response> {
      http::Response r;
      r.status = 200;
      r.body = c.page("t" + std::to_string(++served));
      return r;
    });
    auto s = c.call(h.config);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, "PaginationLimitExceeded") << s.error().to_string();
    EXPECT_NE(s.error().message.find(c.operation), std::string::npos) << s.error().message;
    EXPECT_FALSE(s.error().retryable);
    EXPECT_EQ(h.transport->request_count(), 5u);
  }
  {  // The same token again and again.
    FakeHarness h("us-east-1");
    h.config.max_pages = 50;
    h.transport->set_handler([&](const http::Request&) -> Result<http::Response> {
      http::Response r;
      r.status = 200;
      r.body = c.page("same7");
      return r;
    });
    auto s = c.call(h.config);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, "RepeatedNextToken") << s.error().to_string();
    EXPECT_NE(s.error().message.find(c.operation), std::string::npos) << s.error().message;
    EXPECT_EQ(h.transport->request_count(), 2u);
  }
}

INSTANTIATE_TEST_SUITE_P(Clients, EveryListingLoop, ::testing::Range<std::size_t>(0, cases().size()),
                         [](const ::testing::TestParamInfo<std::size_t>& info) {
                           return std::to_string(info.param) + "_" + cases().at(info.param).operation;
                         });

}  // namespace
}  // namespace awsdl
