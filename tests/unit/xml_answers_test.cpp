// XML answers (query, ec2, rest-xml) read the way botocore reads them: the root element's
// name is not checked (moto and other emulators answer <CompleteMultipartUploadResponse>
// where S3 answers <CompleteMultipartUploadResult>), but an error document is an error
// whatever the status, and a query answer without its <ActionResult> is an error too, never
// an empty result.
#include <gtest/gtest.h>

#include "awsdl/autoscaling/autoscaling.hpp"
#include "awsdl/cloudformation/cloudformation.hpp"
#include "awsdl/ec2/ec2.hpp"
#include "awsdl/s3/client.hpp"
#include "awsdl/sts/sts.hpp"
#include "awsdl/testing/fake_transport.hpp"
#include "protocol/error_parser.hpp"
#include "protocol/service_client.hpp"
#include "util/xml.hpp"
#include "s3/responses.hpp"
#include "support/fake_harness.hpp"

namespace awsdl {
namespace {

struct Harness : testsupport::FakeHarness {
  Harness() : FakeHarness("us-east-1") {}
};

// Error documents, as AWS's services send them (and as some send them with a 200).
const char* kS3Error =
    R"(<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>REQ-S3</RequestId></Error>)";
const char* kQueryError =
    R"(<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type>)"
    R"(<Code>AccessDenied</Code><Message>User is not authorized to perform: cloudformation:DescribeStacks</Message>)"
    R"(</Error><RequestId>REQ-QUERY</RequestId></ErrorResponse>)";
const char* kEc2Error =
    R"(<?xml version="1.0" encoding="UTF-8"?>
<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>You are not authorized to perform this operation.</Message></Error></Errors><RequestID>REQ-EC2</RequestID></Response>)";

void expect_access_error(const Error& e, const std::string& code, const std::string& request_id) {
  EXPECT_EQ(e.kind, ErrorKind::kService) << e.to_string();
  EXPECT_EQ(e.code, code) << e.to_string();
  EXPECT_FALSE(e.message.empty());
  EXPECT_EQ(e.request_id, request_id);
  EXPECT_EQ(e.http_status, 200);
}

// ---------------------------------------------------------------- the rule itself

TEST(XmlAnswers, ErrorDocumentsAreRecognisedAtAnyStatus) {
  struct Case {
    const char* body;
    const char* code;
    const char* request_id;
  } cases[] = {{kS3Error, "AccessDenied", "REQ-S3"},
               {kQueryError, "AccessDenied", "REQ-QUERY"},
               {kEc2Error, "UnauthorizedOperation", "REQ-EC2"}};
  for (const auto& c : cases) {
    auto doc = internal::XmlDocument::parse(c.body);
    ASSERT_TRUE(doc.ok());
    auto e = internal::xml_error_document(*doc, 200);
    ASSERT_TRUE(e.has_value()) << c.body;
    expect_access_error(*e, c.code, c.request_id);
    auto root = internal::xml_answer_root(*doc, "AnyOperation");
    ASSERT_FALSE(root.ok());
    EXPECT_EQ(root.error().code, c.code);
  }
  // An error document without a code is still an error.
  auto bare = internal::XmlDocument::parse("<Error><Message>went wrong</Message></Error>");
  ASSERT_TRUE(bare.ok());
  auto e = internal::xml_error_document(*bare, 200);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->kind, ErrorKind::kService);
  EXPECT_FALSE(e->code.empty());
  EXPECT_NE(e->message.find("went wrong"), std::string::npos) << e->message;

  // Anything else is not an error document, whatever its name.
  for (const char* body : {"<DescribeStacksResponse/>", "<ListPartsResponse><Part/></ListPartsResponse>",
                           "<Response><reservationSet/></Response>", "<DeleteResult><Error><Key>k</Key></Error></DeleteResult>"}) {
    auto doc = internal::XmlDocument::parse(body);
    ASSERT_TRUE(doc.ok());
    EXPECT_FALSE(internal::xml_error_document(*doc, 200).has_value()) << body;
    EXPECT_TRUE(internal::xml_answer_root(*doc, "Op").ok()) << body;
  }
}

TEST(XmlAnswers, QueryResultNeedsItsResultElementNotItsRootName) {
  auto moto_like = internal::XmlDocument::parse(
      "<SomethingElse><GetCallerIdentityResult><Account>1</Account></GetCallerIdentityResult></SomethingElse>");
  ASSERT_TRUE(moto_like.ok());
  auto r = internal::query_result(*moto_like, "GetCallerIdentity");
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(internal::xml_text(*r, "Account"), "1");

  auto missing = internal::XmlDocument::parse(
      "<DescribeStacksResponse><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DescribeStacksResponse>");
  ASSERT_TRUE(missing.ok());
  auto m = internal::query_result(*missing, "DescribeStacks");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().kind, ErrorKind::kParse);
  EXPECT_EQ(m.error().code, "UnexpectedResponse");
  EXPECT_NE(m.error().message.find("DescribeStacks"), std::string::npos) << m.error().message;
  EXPECT_NE(m.error().message.find("<DescribeStacksResult>"), std::string::npos) << m.error().message;

  auto error = internal::XmlDocument::parse(kQueryError);
  ASSERT_TRUE(error.ok());
  auto e = internal::query_result(*error, "DescribeStacks");
  ASSERT_FALSE(e.ok());
  expect_access_error(e.error(), "AccessDenied", "REQ-QUERY");
}

// ---------------------------------------------------------------- query: sts, cloudformation, autoscaling

TEST(XmlAnswers, CloudFormationErrorIn200IsNotAnEmptyList) {
  for (const char* body : {kQueryError, kS3Error}) {
    Harness h;
    h.transport->push(200, body);
    auto stacks = cloudformation::CloudFormationClient(h.config).describe_stacks();
    ASSERT_FALSE(stacks.ok()) << "an error document read as " << stacks->size() << " stacks";
    EXPECT_EQ(stacks.error().code, "AccessDenied");
    EXPECT_EQ(stacks.error().http_status, 200);
  }
  // No <DescribeStacksResult>: not "no stacks" either.
  Harness h;
  h.transport->push(200, "<DescribeStacksResponse><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata>"
                         "</DescribeStacksResponse>");
  auto stacks = cloudformation::CloudFormationClient(h.config).describe_stacks();
  ASSERT_FALSE(stacks.ok());
  EXPECT_EQ(stacks.error().code, "UnexpectedResponse");
  EXPECT_NE(stacks.error().message.find("DescribeStacks"), std::string::npos);

  // Operations without a result element check for an error document all the same.
  Harness d;
  d.transport->push(200, kQueryError);
  auto deleted = cloudformation::CloudFormationClient(d.config).delete_stack("maskrcnn");
  ASSERT_FALSE(deleted.ok());
  EXPECT_EQ(deleted.error().code, "AccessDenied");
  Harness ok;
  ok.transport->push(200, "<DeleteStackResponse><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata>"
                          "</DeleteStackResponse>");
  EXPECT_TRUE(cloudformation::CloudFormationClient(ok.config).delete_stack("maskrcnn").ok());
}

TEST(XmlAnswers, StsAndAutoScalingErrorsIn200) {
  Harness h;
  h.transport->push(200, kQueryError);
  auto id = sts::StsClient(h.config).get_caller_identity();
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.error().code, "AccessDenied");

  // moto's answer (captured from moto 5.2.1): the usual shape.
  Harness m;
  m.transport->push(200,
                    R"(<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>)"
                    R"(<UserId>AKIAIOSFODNN7EXAMPLE</UserId><Account>123456789012</Account><Arn>arn:aws:sts::123456789012:user/moto</Arn>)"
                    R"(</GetCallerIdentityResult><ResponseMetadata><RequestId>PEZA8CG</RequestId></ResponseMetadata></GetCallerIdentityResponse>)");
  auto moto = sts::StsClient(m.config).get_caller_identity();
  ASSERT_TRUE(moto.ok()) << moto.error().to_string();
  EXPECT_EQ(moto->account, "123456789012");

  Harness a;
  a.transport->push(200, kQueryError);
  auto groups = autoscaling::AutoScalingClient(a.config).describe_groups({});
  ASSERT_FALSE(groups.ok());
  EXPECT_EQ(groups.error().code, "AccessDenied");

  Harness s;
  s.transport->push(200, kS3Error);
  auto set = autoscaling::AutoScalingClient(s.config).set_desired_capacity("workers", 3, false);
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.error().code, "AccessDenied");

  Harness n;
  n.transport->push(200, "<DescribeAutoScalingGroupsResponse/>");
  auto none = autoscaling::AutoScalingClient(n.config).describe_groups({});
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code, "UnexpectedResponse");
}

// ---------------------------------------------------------------- ec2

TEST(XmlAnswers, Ec2ErrorsIn200AndAnyRootName) {
  Harness h;
  h.transport->push(200, kEc2Error);
  auto instances = ec2::Ec2Client(h.config).describe_instances({});
  ASSERT_FALSE(instances.ok());
  expect_access_error(instances.error(), "UnauthorizedOperation", "REQ-EC2");

  Harness v;
  v.transport->push(200, kEc2Error);
  auto vpcs = ec2::Ec2Client(v.config).describe_vpcs();
  ASSERT_FALSE(vpcs.ok()) << "an error document read as " << vpcs->size() << " VPCs";
  EXPECT_EQ(vpcs.error().code, "UnauthorizedOperation");

  Harness t;
  t.transport->push(200, kEc2Error);
  auto tagged = ec2::Ec2Client(t.config).create_tags({"i-1"}, {{"k", "v"}});
  ASSERT_FALSE(tagged.ok());
  EXPECT_EQ(tagged.error().code, "UnauthorizedOperation");

  // The root's name is not checked (moto 5.2.1's answer, with another name).
  Harness m;
  m.transport->push(200,
                    R"(<?xml version="1.0" encoding="utf-8"?>)"
                    "\n"
                    R"(<DescribeInstancesResult xmlns="http://ec2.amazonaws.com/doc/2016-11-15"><reservationSet><item>)"
                    R"(<reservationId>r-1</reservationId><instancesSet><item><instanceId>i-1</instanceId></item></instancesSet>)"
                    R"(</item></reservationSet><requestId>request-id</requestId></DescribeInstancesResult>)");
  auto page = ec2::Ec2Client(m.config).describe_instances({});
  ASSERT_TRUE(page.ok()) << page.error().to_string();
  ASSERT_EQ(page->reservations.size(), 1u);
  ASSERT_EQ(page->reservations[0].instances.size(), 1u);
  EXPECT_EQ(page->reservations[0].instances[0].instance_id, "i-1");
}

// ---------------------------------------------------------------- rest-xml: s3, with moto's bodies

// Captured from moto 5.2.1 (python3 -m moto.server) through boto3.
const char* kMotoListParts =
    R"(<?xml version="1.0" encoding="utf-8"?>)"
    "\n"
    R"(<ListPartsResponse xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>moto-bucket2</Bucket><Key>big</Key>)"
    R"(<UploadId>DpU1NhsRcqhr4JvPo7gwnUrCjnP3nyRnNnQHaGYVRRHKYTPae8SKntiKA</UploadId><PartNumberMarker>0</PartNumberMarker>)"
    R"(<NextPartNumberMarker>2</NextPartNumberMarker><MaxParts>1000</MaxParts><IsTruncated>false</IsTruncated><Part>)"
    R"(<PartNumber>1</PartNumber><LastModified>2026-12-06T14:42:07.000Z</LastModified><ETag>"4f08eef4096726bff1125e1b1b734644"</ETag>)"
    R"(<Size>5242880</Size></Part><Part><PartNumber>2</PartNumber><LastModified>2026-12-06T14:42:07.000Z</LastModified>)"
    R"(<ETag>"0bbc18cdea1c4aaa17777d441214774a"</ETag><Size>10</Size></Part><Initiator><ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID>)"
    R"(<DisplayName>webfile</DisplayName></Initiator><Owner><DisplayName>webfile</DisplayName><ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID>)"
    R"(</Owner><StorageClass>STANDARD</StorageClass></ListPartsResponse>)";
const char* kMotoListPartsTruncated =
    R"(<?xml version="1.0" encoding="utf-8"?>)"
    "\n"
    R"(<ListPartsResponse xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>moto-bucket2</Bucket><Key>big</Key>)"
    R"(<UploadId>DpU1NhsRcqhr4JvPo7gwnUrCjnP3nyRnNnQHaGYVRRHKYTPae8SKntiKA</UploadId><PartNumberMarker>0</PartNumberMarker>)"
    R"(<NextPartNumberMarker>1</NextPartNumberMarker><MaxParts>1</MaxParts><IsTruncated>true</IsTruncated><Part>)"
    R"(<PartNumber>1</PartNumber><LastModified>2026-12-06T14:42:07.000Z</LastModified><ETag>"4f08eef4096726bff1125e1b1b734644"</ETag>)"
    R"(<Size>5242880</Size></Part><Initiator><ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID>)"
    R"(<DisplayName>webfile</DisplayName></Initiator><Owner><DisplayName>webfile</DisplayName><ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID>)"
    R"(</Owner><StorageClass>STANDARD</StorageClass></ListPartsResponse>)";
const char* kMotoComplete =
    R"(<?xml version="1.0" encoding="utf-8"?>)"
    "\n"
    R"(<CompleteMultipartUploadResponse xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Location>http://moto-bucket2.s3.amazonaws.com/big</Location>)"
    R"(<Bucket>moto-bucket2</Bucket><Key>big</Key><ETag>"298c9a5c8205ea8eeef29652993678aa-2"</ETag></CompleteMultipartUploadResponse>)";

TEST(XmlAnswers, S3ResponsesFromMoto) {
  auto parts = internal::s3::parse_list_parts(kMotoListParts);
  ASSERT_TRUE(parts.ok()) << parts.error().to_string();
  ASSERT_EQ(parts->parts.size(), 2u);
  EXPECT_EQ(parts->parts[0].part_number, 1);
  EXPECT_EQ(parts->parts[0].etag, "\"4f08eef4096726bff1125e1b1b734644\"");
  EXPECT_EQ(parts->parts[0].size, 5242880u);
  EXPECT_EQ(parts->parts[1].size, 10u);
  EXPECT_FALSE(parts->is_truncated);

  auto first = internal::s3::parse_list_parts(kMotoListPartsTruncated);
  ASSERT_TRUE(first.ok()) << first.error().to_string();
  EXPECT_TRUE(first->is_truncated);
  EXPECT_EQ(first->next_part_number_marker, 1);

  auto done = internal::s3::parse_complete_multipart(kMotoComplete);
  ASSERT_TRUE(done.ok()) << done.error().to_string();
  EXPECT_EQ(done->etag, "\"298c9a5c8205ea8eeef29652993678aa-2\"");
  EXPECT_EQ(done->bucket, "moto-bucket2");
  EXPECT_EQ(done->key, "big");
  EXPECT_EQ(done->location, "http://moto-bucket2.s3.amazonaws.com/big");
}

TEST(XmlAnswers, S3ErrorDocumentIsAnErrorInEveryParser) {
  using namespace internal::s3;
  std::vector<std::pair<const char*, Status>> results;
  results.emplace_back("ListObjectsV2", [] { auto r = parse_list_objects_v2(kS3Error); return r ? Status{} : Status{r.error()}; }());
  results.emplace_back("ListBuckets", [] { auto r = parse_list_buckets(kS3Error); return r ? Status{} : Status{r.error()}; }());
  results.emplace_back("CreateMultipartUpload", [] { auto r = parse_initiate_multipart(kS3Error); return r ? Status{} : Status{r.error()}; }());
  results.emplace_back("CompleteMultipartUpload", [] { auto r = parse_complete_multipart(kS3Error); return r ? Status{} : Status{r.error()}; }());
  results.emplace_back("ListParts", [] { auto r = parse_list_parts(kS3Error); return r ? Status{} : Status{r.error()}; }());
  results.emplace_back("ListMultipartUploads", [] { auto r = parse_list_multipart_uploads(kS3Error); return r ? Status{} : Status{r.error()}; }());
  results.emplace_back("CopyObject", [] { auto r = parse_copy_object(kS3Error); return r ? Status{} : Status{r.error()}; }());
  results.emplace_back("DeleteObjects", [] { auto r = parse_delete_objects(kS3Error); return r ? Status{} : Status{r.error()}; }());
  for (const auto& [op, st] : results) {
    ASSERT_FALSE(st.ok()) << op << ": an <Error> document read as a result";
    EXPECT_EQ(st.error().kind, ErrorKind::kService) << op;
    EXPECT_EQ(st.error().code, "AccessDenied") << op;
    EXPECT_EQ(st.error().request_id, "REQ-S3") << op;
  }
}

TEST(XmlAnswers, S3ClientAgainstMotoBodies) {
  Harness h;
  h.transport->push(200, kMotoListParts);
  s3::S3Client client(h.config);
  s3::MultipartUpload upload;
  upload.bucket = "moto-bucket2";
  upload.key = "big";
  upload.upload_id = "DpU1NhsRcqhr4JvPo7gwnUrCjnP3nyRnNnQHaGYVRRHKYTPae8SKntiKA";
  auto parts = client.list_parts(upload);
  ASSERT_TRUE(parts.ok()) << parts.error().to_string();
  ASSERT_EQ(parts->parts.size(), 2u);

  h.transport->push(200, kMotoComplete);
  auto done = client.complete_multipart_upload(upload, parts->parts);
  ASSERT_TRUE(done.ok()) << done.error().to_string();
  EXPECT_EQ(done->etag, "\"298c9a5c8205ea8eeef29652993678aa-2\"");
}

}  // namespace
}  // namespace awsdl
