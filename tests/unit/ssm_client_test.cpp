// SsmClient on a fake transport: the JSON 1.1 request and the answer's fields.
#include "awsdl/ssm/ssm.hpp"

#include <gtest/gtest.h>

#include "awsdl/testing/fake_transport.hpp"

namespace awsdl {
namespace {

Config fake_config(std::shared_ptr<testing::FakeTransport> t) {
  Config c;
  c.region = "us-east-1";
  c.transport = std::move(t);
  c.credentials = auth::static_provider(
      {.access_key_id = "AKIDEXAMPLE", .secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"});
  auto clock = std::make_shared<ManualClock>();
  c.runtime = Runtime{clock, clock, std::make_shared<FixedRandom>(0.5)};
  return c;
}

TEST(SsmClient, GetParameter) {
  auto t = std::make_shared<testing::FakeTransport>();
  t->push(200, R"({"Parameter":{"ARN":"arn:aws:ssm:us-east-1::parameter/aws/service/deeplearning/ami/x86_64/base/latest/ami-id",
    "DataType":"aws:ec2:image","LastModifiedDate":1.7040672E9,"Name":"/aws/service/deeplearning/ami/x86_64/base/latest/ami-id",
    "Type":"String","Value":"ami-0123456789abcdef0","Version":42}})");
  ssm::SsmClient ssm(fake_config(t));
  auto p = ssm.get_parameter("/aws/service/deeplearning/ami/x86_64/base/latest/ami-id");
  ASSERT_TRUE(p.ok()) << p.error().to_string();
  EXPECT_EQ(p->value, "ami-0123456789abcdef0");
  EXPECT_EQ(p->version, 42);
  EXPECT_EQ(p->data_type, "aws:ec2:image");
  EXPECT_EQ(p->type, "String");
  auto r = t->requests().at(0);
  EXPECT_EQ(r.url(), "https://ssm.us-east-1.amazonaws.com/");
  EXPECT_EQ(r.headers.get("X-Amz-Target"), "AmazonSSM.GetParameter");
  EXPECT_EQ(r.headers.get("Content-Type"), "application/x-amz-json-1.1");
  EXPECT_EQ(r.body, R"({"Name":"/aws/service/deeplearning/ami/x86_64/base/latest/ami-id"})");
}

TEST(SsmClient, NotFoundAndBadInput) {
  auto t = std::make_shared<testing::FakeTransport>();
  t->push(400, R"({"__type":"ParameterNotFound","message":""})");
  ssm::SsmClient ssm(fake_config(t));
  auto p = ssm.get_parameter("/nope", true);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code, "ParameterNotFound");
  EXPECT_EQ(t->requests().at(0).body, R"({"Name":"/nope","WithDecryption":true})");
  EXPECT_EQ(ssm.get_parameter("").error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(t->request_count(), 1u);
}

}  // namespace
}  // namespace awsdl
