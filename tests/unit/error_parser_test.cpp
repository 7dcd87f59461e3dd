// Error answers in every format, and answers that are in no format at all.
#include "protocol/error_parser.hpp"

#include <gtest/gtest.h>

namespace awsdl::internal {
namespace {

http::Response response(int status, std::string body, std::vector<std::pair<std::string, std::string>> headers = {}) {
  http::Response r;
  r.status = status;
  r.body = std::move(body);
  for (auto& [k, v] : headers) r.headers.add(k, v);
  return r;
}

TEST(ErrorParser, QueryErrorResponse) {
  auto e = parse_error_response(response(400, R"(<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error>
  <RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ErrorResponse>)"),
                                Protocol::kQuery);
  EXPECT_EQ(e.kind, ErrorKind::kService);
  EXPECT_EQ(e.code, "Throttling");
  EXPECT_EQ(e.message, "Rate exceeded");
  EXPECT_EQ(e.http_status, 400);
  EXPECT_EQ(e.request_id, "c6104cbe-af31-11e0-8154-cbc7ccf896c7");
  EXPECT_TRUE(e.retryable);
}

TEST(ErrorParser, Ec2Errors) {
  auto e = parse_error_response(response(400, R"(<?xml version="1.0" encoding="UTF-8"?>
<Response><Errors><Error><Code>InvalidParameterValue</Code><Message>Value (x) for parameter instanceType is invalid.</Message></Error></Errors><RequestID>ea966190-f9aa-478e-9ede-example</RequestID></Response>)"),
                                Protocol::kEc2);
  EXPECT_EQ(e.code, "InvalidParameterValue");
  EXPECT_EQ(e.message, "Value (x) for parameter instanceType is invalid.");
  EXPECT_EQ(e.request_id, "ea966190-f9aa-478e-9ede-example");
  EXPECT_FALSE(e.retryable);

  auto limit = parse_error_response(
      response(503, "<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message>"
                    "</Error></Errors><RequestID>r1</RequestID></Response>"),
      Protocol::kEc2);
  EXPECT_EQ(limit.code, "RequestLimitExceeded");
  EXPECT_TRUE(limit.retryable);
}

TEST(ErrorParser, JsonType) {
  auto e = parse_error_response(
      response(400, R"({"__type":"com.amazon.coral.validate#ValidationException","message":"1 validation error"})",
               {{"x-amzn-RequestId", "req-json-1"}}),
      Protocol::kJson);
  EXPECT_EQ(e.code, "ValidationException");
  EXPECT_EQ(e.message, "1 validation error");
  EXPECT_EQ(e.request_id, "req-json-1");
  EXPECT_FALSE(e.retryable);

  auto upper = parse_error_response(response(400, R"({"__type":"ThrottlingException","Message":"Rate exceeded"})"),
                                    Protocol::kJson);
  EXPECT_EQ(upper.code, "ThrottlingException");
  EXPECT_EQ(upper.message, "Rate exceeded");
  EXPECT_TRUE(upper.retryable);

  auto header = parse_error_response(
      response(400, "{}", {{"x-amzn-ErrorType", "ResourceNotFoundException:http://internal.amazon.com/coral/"}}),
      Protocol::kJson);
  EXPECT_EQ(header.code, "ResourceNotFoundException");
}

TEST(ErrorParser, S3Error) {
  auto e = parse_error_response(
      response(404, R"(<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>a/b</Key><RequestId>4442587FB7D0A2F9</RequestId><HostId>host</HostId></Error>)",
               {{"x-amz-request-id", "4442587FB7D0A2F9"}}),
      Protocol::kRestXml);
  EXPECT_EQ(e.code, "NoSuchKey");
  EXPECT_EQ(e.message, "The specified key does not exist.");
  EXPECT_EQ(e.request_id, "4442587FB7D0A2F9");
  EXPECT_EQ(e.http_status, 404);
  EXPECT_FALSE(e.retryable);

  auto slow = parse_error_response(response(503, "<Error><Code>SlowDown</Code><Message>Reduce your request rate.</Message></Error>"),
                                   Protocol::kRestXml);
  EXPECT_EQ(slow.code, "SlowDown");
  EXPECT_TRUE(slow.retryable);
}

// A HEAD of a bucket in another region has no body: the region is only in a header, and the
// error's message says it (the cluster preflight reads it back with bucket_region_from_error).
TEST(ErrorParser, S3BucketOfAnotherRegionNamesItsRegion) {
  auto head = parse_error_response(response(400, "", {{"x-amz-bucket-region", "eu-west-1"}}), Protocol::kRestXml);
  EXPECT_EQ(head.http_status, 400);
  EXPECT_NE(head.message.find("the bucket is in region eu-west-1"), std::string::npos) << head.message;
  EXPECT_EQ(bucket_region_from_error(head), "eu-west-1");
  auto moved = parse_error_response(
      response(301, "<Error><Code>PermanentRedirect</Code><Message>Use the endpoint</Message></Error>",
               {{"x-amz-bucket-region", "ap-south-1"}}),
      Protocol::kRestXml);
  EXPECT_EQ(moved.code, "PermanentRedirect");
  EXPECT_EQ(bucket_region_from_error(moved), "ap-south-1");
  // Only for the statuses S3 answers a wrong region with.
  auto denied = parse_error_response(response(403, "", {{"x-amz-bucket-region", "eu-west-1"}}), Protocol::kRestXml);
  EXPECT_EQ(bucket_region_from_error(denied), "");
}

TEST(ErrorParser, S3ErrorInside200) {
  auto e = s3_error_in_200(response(200, R"(<?xml version="1.0" encoding="UTF-8"?>

<Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message><RequestId>656c76696e6727732072657175657374</RequestId></Error>)"));
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->code, "InternalError");
  EXPECT_EQ(e->http_status, 200);
  EXPECT_EQ(e->request_id, "656c76696e6727732072657175657374");
  EXPECT_TRUE(e->retryable);

  EXPECT_FALSE(s3_error_in_200(response(200, R"(<?xml version="1.0" encoding="UTF-8"?>
<CompleteMultipartUploadResult><Location>x</Location><Bucket>b</Bucket><Key>k</Key><ETag>"e"</ETag></CompleteMultipartUploadResult>)"))
                   .has_value());
  auto empty = s3_error_in_200(response(200, ""));
  ASSERT_TRUE(empty.has_value());
  EXPECT_TRUE(empty->retryable);
}

TEST(ErrorParser, TruncatedXmlKeepsWhatItCan) {
  auto e = parse_error_response(
      response(400, "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exc"),
      Protocol::kQuery);
  EXPECT_EQ(e.code, "Throttling");
  EXPECT_TRUE(e.retryable);
  EXPECT_NE(e.message.find("truncated"), std::string::npos) << e.message;

  auto no_code = parse_error_response(response(500, "<ErrorResponse><Error><Ty"), Protocol::kQuery);
  EXPECT_EQ(no_code.code, "InternalError");
  EXPECT_EQ(no_code.http_status, 500);
  EXPECT_TRUE(no_code.retryable);
}

TEST(ErrorParser, NonXmlBody) {
  auto e = parse_error_response(response(500, "upstream connect error or disconnect/reset before headers"),
                                Protocol::kQuery);
  EXPECT_EQ(e.code, "InternalError");
  EXPECT_EQ(e.http_status, 500);
  EXPECT_NE(e.message.find("upstream connect error"), std::string::npos) << e.message;
  EXPECT_TRUE(e.retryable);

  auto forbidden = parse_error_response(response(403, "Forbidden"), Protocol::kRestXml);
  EXPECT_EQ(forbidden.code, "Http403");
  EXPECT_FALSE(forbidden.retryable);

  auto throttled = parse_error_response(response(429, "slow down"), Protocol::kJson);
  EXPECT_EQ(throttled.code, "TooManyRequestsException");
  EXPECT_TRUE(throttled.retryable);
}

TEST(ErrorParser, Html502Page) {
  std::string html =
      "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n"
      "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n" + std::string(400, ' ') + "tail";
  auto e = parse_error_response(response(502, html, {{"x-amz-request-id", "proxy-1"}}), Protocol::kRestXml);
  EXPECT_EQ(e.code, "BadGateway");
  EXPECT_EQ(e.http_status, 502);
  EXPECT_EQ(e.request_id, "proxy-1");
  EXPECT_TRUE(e.retryable);
  EXPECT_NE(e.message.find("502 Bad Gateway"), std::string::npos) << e.message;
  EXPECT_EQ(e.message.find('\n'), std::string::npos);
  EXPECT_EQ(e.message.find("tail"), std::string::npos) << "only the first 200 bytes";
  EXPECT_LT(e.message.size(), 260u);
}

TEST(ErrorParser, EmptyBody) {
  auto e = parse_error_response(response(503, ""), Protocol::kQuery);
  EXPECT_EQ(e.code, "ServiceUnavailable");
  EXPECT_EQ(e.http_status, 503);
  EXPECT_TRUE(e.retryable);
  EXPECT_NE(e.message.find("empty"), std::string::npos);

  auto head404 = parse_error_response(response(404, ""), Protocol::kRestXml);
  EXPECT_EQ(head404.code, "Http404");
  EXPECT_FALSE(head404.retryable);
  EXPECT_EQ(parse_error_response(response(504, "  "), Protocol::kJson).code, "GatewayTimeout");
}

TEST(ErrorParser, BodyWithASecretIsNotQuoted) {
  auto e = parse_error_response(
      response(500, "debug dump: aws_secret_access_key=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"), Protocol::kQuery);
  EXPECT_EQ(e.code, "InternalError");
  EXPECT_EQ(e.message.find("wJalrXUtnFEMI"), std::string::npos) << e.message;
  EXPECT_EQ(e.message.find("debug dump"), std::string::npos) << e.message;
  EXPECT_EQ(e.to_string().find("wJalrXUtnFEMI"), std::string::npos);
}

TEST(ErrorParser, RequestIdSources) {
  http::Headers h;
  h.add("x-amz-request-id", "s3-id");
  EXPECT_EQ(request_id_from_headers(h), "s3-id");
  h.add("X-Amzn-RequestId", "amzn-id");
  EXPECT_EQ(request_id_from_headers(h), "amzn-id");
  // Header wins over the body.
  auto e = parse_error_response(
      response(400, "<ErrorResponse><Error><Code>X</Code></Error><RequestId>body-id</RequestId></ErrorResponse>",
               {{"x-amzn-RequestId", "header-id"}}),
      Protocol::kQuery);
  EXPECT_EQ(e.request_id, "header-id");
}

TEST(ErrorParser, StatusCodes) {
  EXPECT_EQ(code_for_status(500), "InternalError");
  EXPECT_EQ(code_for_status(503), "ServiceUnavailable");
  EXPECT_EQ(code_for_status(404), "Http404");
}

// An error answer nested 300,000 levels deep (a 300 KB body) is an error with the status's
// code, not a stack overflow, in JSON and in XML, whichever protocol the client speaks.
TEST(ErrorParser, DeeplyNestedBodies) {
  const std::string deep_json = "{\"a\":" + std::string(300000, '[');
  for (auto protocol : {Protocol::kJson, Protocol::kQuery, Protocol::kRestXml, Protocol::kEc2}) {
    auto e = parse_error_response(response(400, deep_json), protocol);
    EXPECT_EQ(e.kind, ErrorKind::kService);
    EXPECT_EQ(e.code, "Http400");
    EXPECT_EQ(e.http_status, 400);
    EXPECT_LT(e.to_string().size(), 1000u);
  }
  auto typed = parse_error_response(
      response(400, deep_json, {{"x-amzn-ErrorType", "ValidationException"}}), Protocol::kJson);
  EXPECT_EQ(typed.code, "ValidationException");

  std::string deep_xml;
  for (int i = 0; i < 300000; ++i) deep_xml += "<a>";
  for (auto protocol : {Protocol::kQuery, Protocol::kRestXml, Protocol::kEc2}) {
    auto e = parse_error_response(response(500, "<Error>" + deep_xml), protocol);
    EXPECT_EQ(e.code, "InternalError");
    auto closed = parse_error_response(
        response(503, "<Error><Code>SlowDown</Code><Message>m</Message>" + deep_xml + "</Error>"), protocol);
    EXPECT_EQ(closed.code, "SlowDown");
  }
}

}  // namespace
}  // namespace awsdl::internal
