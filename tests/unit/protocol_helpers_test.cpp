// The small pieces the protocols share: XML and JSON helpers, HTTP dates, the json 1.1
// request shape and rest-xml URI templates.
#include <gtest/gtest.h>

#include <chrono>

#include "util/http_date.hpp"
#include "util/json.hpp"
#include "protocol/json_protocol.hpp"
#include "protocol/rest_xml.hpp"
#include "util/xml.hpp"

namespace awsdl::internal {
namespace {

using namespace std::chrono;

TEST(Xml, ParsesAndFindsByPath) {
  auto doc = XmlDocument::parse(R"(<?xml version="1.0"?>
<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">
  <DescribeStacksResult><Stacks>
    <member><StackName>a</StackName><Outputs><member><OutputKey>K</OutputKey></member></Outputs></member>
    <member><StackName>b &amp; c</StackName><EnableTerminationProtection>TRUE</EnableTerminationProtection></member>
  </Stacks></DescribeStacksResult>
  <ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata>
</DescribeStacksResponse>)");
  ASSERT_TRUE(doc.ok()) << doc.error().to_string();
  EXPECT_EQ(doc->root_name(), "DescribeStacksResponse");
  auto stacks = xml_list(doc->root(), "DescribeStacksResult/Stacks");
  ASSERT_EQ(stacks.size(), 2u);
  EXPECT_EQ(xml_text(stacks[0], "StackName"), "a");
  EXPECT_EQ(xml_text(stacks[0], "Outputs/member/OutputKey"), "K");
  EXPECT_EQ(xml_text(stacks[1], "StackName"), "b & c");
  EXPECT_EQ(xml_bool(stacks[1], "EnableTerminationProtection"), true);
  EXPECT_FALSE(xml_find_text(stacks[1], "Outputs").has_value());
  EXPECT_EQ(xml_text(doc->root(), "ResponseMetadata/RequestId"), "rid");
  auto missing = xml_required_text(stacks[0], "StackStatus");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, ErrorKind::kParse);
  EXPECT_NE(missing.error().message.find("StackStatus"), std::string::npos);
}

TEST(Xml, Ec2ItemsAndNumbers) {
  auto doc = XmlDocument::parse(
      "<DescribeInstancesResponse><reservationSet><item><instancesSet><item><instanceId>i-1</instanceId>"
      "<amiLaunchIndex>3</amiLaunchIndex></item><item><instanceId>i-2</instanceId><amiLaunchIndex>x</amiLaunchIndex>"
      "</item></instancesSet></item></reservationSet></DescribeInstancesResponse>");
  ASSERT_TRUE(doc.ok());
  auto reservations = xml_list(doc->root(), "reservationSet", "item");
  ASSERT_EQ(reservations.size(), 1u);
  auto instances = xml_list(reservations[0], "instancesSet", "item");
  ASSERT_EQ(instances.size(), 2u);
  EXPECT_EQ(xml_int(instances[0], "amiLaunchIndex"), 3);
  EXPECT_FALSE(xml_int(instances[1], "amiLaunchIndex").has_value());
}

TEST(Xml, MalformedIsAClearParseErrorWithoutTheInput) {
  for (std::string bad : {"", "   ", "<a><b></a>", "<Credentials><SecretAccessKey>wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                          "not xml at all"}) {
    auto doc = XmlDocument::parse(bad, "STS response");
    ASSERT_FALSE(doc.ok()) << bad;
    EXPECT_EQ(doc.error().kind, ErrorKind::kParse);
    EXPECT_EQ(doc.error().code, "MalformedXml");
    EXPECT_NE(doc.error().message.find("STS response"), std::string::npos);
    EXPECT_EQ(doc.error().message.find("wJalrXUtnFEMI"), std::string::npos);
  }
}

TEST(Xml, WriterEscapes) {
  XmlWriter w(true);
  w.open("CompleteMultipartUpload", "http://s3.amazonaws.com/doc/2006-03-01/").open("Part");
  w.element("PartNumber", "1").element("ETag", "\"a<b>&c\"").optional_element("Checksum", "").close();
  EXPECT_EQ(w.finish(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/"
            "2006-03-01/\"><Part><PartNumber>1</PartNumber><ETag>&quot;a&lt;b&gt;&amp;c&quot;</ETag></Part>"
            "</CompleteMultipartUpload>");
  EXPECT_EQ(xml_escape("a\x01'"), "a&#x1;&apos;");
}

TEST(Json, WriterAndReader) {
  JsonWriter w;
  w.start_object().field("TrainingJobName", "job \"1\"").field("MaxRuntime", 3600).field("Spot", false);
  w.optional_field("RoleArn", "").optional_field("Count", std::optional<int>(2));
  w.key("Channels").start_array().start_object().field("Name", "train").end_object().end_array().end_object();
  ASSERT_TRUE(w.complete());
  EXPECT_EQ(w.str(), R"({"TrainingJobName":"job \"1\"","MaxRuntime":3600,"Spot":false,"Count":2,"Channels":[{"Name":"train"}]})");

  auto doc = JsonDocument::parse(w.str());
  ASSERT_TRUE(doc.ok());
  const auto& root = doc->root();
  EXPECT_EQ(json_string(root, "TrainingJobName"), "job \"1\"");
  EXPECT_EQ(json_int(root, "MaxRuntime"), 3600);
  EXPECT_EQ(json_bool(root, "Spot"), false);
  EXPECT_FALSE(json_string(root, "MaxRuntime").has_value()) << "wrong type is absent, not an assert";
  EXPECT_FALSE(json_int(root, "Nope").has_value());
  ASSERT_NE(json_array(root, "Channels"), nullptr);
  EXPECT_EQ(json_array(root, "Channels")->Size(), 1u);
  EXPECT_EQ(json_array(root, "Spot"), nullptr);
  EXPECT_EQ(json_string_or((*json_array(root, "Channels"))[0], "Name"), "train");

  auto bad = JsonDocument::parse(R"({"SecretAccessKey": "wJalrXUtnFEMI/K7MDENG+bPx)", "SSM response");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, "MalformedJson");
  EXPECT_EQ(bad.error().message.find("wJalrXUtnFEMI"), std::string::npos);
}

// Nesting is bounded: a hostile answer of a few hundred kilobytes of '[' must be an error,
// not a stack overflow (rapidjson's default parser recurses once per level).
TEST(Json, DeepNestingIsAnErrorNotACrash) {
  for (std::size_t levels : {std::size_t{300000}, std::size_t{5000}}) {
    auto open = JsonDocument::parse("{\"a\":" + std::string(levels, '['), "error response");
    ASSERT_FALSE(open.ok());
    EXPECT_EQ(open.error().kind, ErrorKind::kParse);
    EXPECT_EQ(open.error().code, "MalformedJson");
    EXPECT_NE(open.error().message.find("nested deeper than"), std::string::npos) << open.error().message;

    // The same depth, well formed: still refused.
    auto closed = JsonDocument::parse(std::string(levels, '[') + std::string(levels, ']'));
    ASSERT_FALSE(closed.ok());
    EXPECT_NE(closed.error().message.find("nested deeper than"), std::string::npos) << closed.error().message;
    auto objects = JsonDocument::parse([&] {
      std::string t;
      for (std::size_t i = 0; i < levels; ++i) t += "{\"k\":";
      return t + "1" + std::string(levels, '}');
    }());
    ASSERT_FALSE(objects.ok());
  }
}

TEST(Json, NestingUpToTheLimitParses) {
  // kMaxJsonDepth levels exactly: arrays, then an object holding an array.
  std::string deep = std::string(kMaxJsonDepth - 2, '[') + "{\"x\":[1]}" + std::string(kMaxJsonDepth - 2, ']');
  auto ok = JsonDocument::parse(deep);
  ASSERT_TRUE(ok.ok()) << ok.error().to_string();
  const JsonValue* v = &ok->root();
  for (int i = 0; i < kMaxJsonDepth - 2; ++i) {
    ASSERT_TRUE(v->IsArray());
    v = &(*v)[0];
  }
  EXPECT_EQ(json_array(*v, "x")->Size(), 1u);

  auto over = JsonDocument::parse(std::string(kMaxJsonDepth + 1, '[') + std::string(kMaxJsonDepth + 1, ']'));
  EXPECT_FALSE(over.ok());
  // Everything else about parsing is as before: trailing garbage, empty input, bad syntax.
  EXPECT_FALSE(JsonDocument::parse("{} x").ok());
  EXPECT_FALSE(JsonDocument::parse("").ok());
  EXPECT_FALSE(JsonDocument::parse("{\"a\" 1}").ok());
  EXPECT_TRUE(JsonDocument::parse(" [1, 2.5, \"s\", true, null, {\"k\": {}}] ").ok());
}

TEST(JsonProtocol, RequestShape) {
  ServiceInfo sm;
  sm.endpoint_prefix = "api.sagemaker";
  sm.signing_name = "sagemaker";
  sm.protocol = Protocol::kJson;
  sm.json_target_prefix = "SageMaker";
  // botocore 1.29: sagemaker DescribeTrainingJob -> X-Amz-Target SageMaker.DescribeTrainingJob,
  // Content-Type application/x-amz-json-1.1.
  auto r = json_request(sm, "DescribeTrainingJob", R"({"TrainingJobName":"j1"})");
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.path, "/");
  EXPECT_EQ(r.headers.get("X-Amz-Target"), "SageMaker.DescribeTrainingJob");
  EXPECT_EQ(r.headers.get("Content-Type"), "application/x-amz-json-1.1");
  EXPECT_EQ(json_request(sm, "ListTrainingJobs", "").body, "{}");

  auto doc = JsonDocument::parse(R"({"CreationTime": 1700000000.5})");
  ASSERT_TRUE(doc.ok());
  auto t = json_timestamp(doc->root(), "CreationTime");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(*t, WallTime(seconds(1700000000)) + milliseconds(500));
  EXPECT_DOUBLE_EQ(json_epoch_seconds(*t), 1700000000.5);
}

TEST(JsonProtocol, TimestampBeyondWhatWallTimeHoldsIsNoTime) {
  // Found by fuzzing: a CreationTime of 1e13 (or 1e300) overflowed the conversion to
  // nanoseconds (undefined behaviour; in practice some time in another century).
  auto doc = JsonDocument::parse(
      R"({"a": 1e13, "b": -1e13, "c": 1e300, "d": -1e300, "e": 9.3e9, "f": 4102444800, "g": -1e9})");
  ASSERT_TRUE(doc.ok());
  for (auto key : {"a", "b", "c", "d", "e"}) EXPECT_FALSE(json_timestamp(doc->root(), key).has_value()) << key;
  EXPECT_EQ(json_timestamp(doc->root(), "f"), WallTime(seconds(4102444800)));  // 2100-01-01
  EXPECT_EQ(json_timestamp(doc->root(), "g"), WallTime(seconds(-1000000000)));
}

TEST(HttpDate, RoundTripsAndParsesTheOldForms) {
  WallTime t = sys_days(year{1994} / 11 / 6) + hours(8) + minutes(49) + seconds(37);
  EXPECT_EQ(format_http_date(t), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), t);
  EXPECT_EQ(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), t);
  EXPECT_EQ(parse_http_date("Sun Nov  6 08:49:37 1994"), t);
  EXPECT_EQ(format_http_date(WallTime(seconds(1700000000))), "Tue, 14 Nov 2023 22:13:20 GMT");
  for (auto bad : {"", "yesterday", "Sun, 32 Nov 1994 08:49:37 GMT", "Sun, 06 Foo 1994 08:49:37 GMT",
                   "Sun, 06 Nov 1994 08:49:37 PST", "Sun, 06 Nov 1994 25:49:37 GMT"})
    EXPECT_FALSE(parse_http_date(bad).has_value()) << bad;
}

TEST(HttpDate, Iso8601) {
  WallTime t = sys_days(year{2024} / 1 / 2) + hours(3) + minutes(4) + seconds(5);
  EXPECT_EQ(parse_iso8601("2024-01-02T03:04:05Z"), t);
  EXPECT_EQ(parse_iso8601("2024-01-02T03:04:05.250Z"), t + milliseconds(250));
  EXPECT_EQ(parse_iso8601("2024-01-02T04:04:05+01:00"), t);
  EXPECT_EQ(parse_iso8601("2024-01-02T02:34:05-0030"), t);
  EXPECT_EQ(format_iso8601(t), "2024-01-02T03:04:05Z");
  EXPECT_EQ(format_iso8601(t + milliseconds(7)), "2024-01-02T03:04:05.007Z");
  for (auto bad : {"2024-01-02", "2024-01-02T03:04:05", "2024-02-30T00:00:00Z", "2024-01-02T03:04:05Zjunk", "x"})
    EXPECT_FALSE(parse_iso8601(bad).has_value()) << bad;
}

TEST(RestXml, UriTemplatesAndQueries) {
  // botocore renders {Key+} with '/' kept and {Bucket} with everything reserved encoded.
  auto u = expand_uri_template("/{Bucket}/{Key+}", {{"Bucket", "b"}, {"Key", "dir/a b+c%.tar"}});
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(*u, "/b/dir/a%20b%2Bc%25.tar");
  EXPECT_EQ(encode_label("a/b", false), "a%2Fb");
  EXPECT_EQ(encode_label("~a_b-c.d", true), "~a_b-c.d");
  auto missing = expand_uri_template("/{Bucket}", {});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_NE(missing.error().message.find("Bucket"), std::string::npos);

  RestRequest r{"PUT", "/{Key+}?partNumber={PartNumber}"};
  r.label("Key", "data/coco.tar").label("PartNumber", "3").query("uploadId", "a/b=c");
  r.header("Content-MD5", "abc==").optional_header("x-amz-acl", "").metadata({{"owner", "ml team"}});
  r.body("DATA", "application/octet-stream");
  auto http = r.to_http();
  ASSERT_TRUE(http.ok()) << http.error().to_string();
  EXPECT_EQ(http->method, "PUT");
  EXPECT_EQ(http->path, "/data/coco.tar");
  EXPECT_EQ(http->query, "partNumber=3&uploadId=a%2Fb%3Dc");
  EXPECT_EQ(http->headers.get("Content-MD5"), "abc==");
  EXPECT_FALSE(http->headers.has("x-amz-acl"));
  EXPECT_EQ(http->headers.get("x-amz-meta-owner"), "ml team");
  EXPECT_EQ(http->headers.get("Content-Type"), "application/octet-stream");
  EXPECT_EQ(http->body, "DATA");

  RestRequest uploads{"POST", "/{Key+}?uploads"};
  uploads.label("Key", "k");
  auto u2 = uploads.to_http();
  ASSERT_TRUE(u2.ok());
  EXPECT_EQ(u2->path, "/k");
  EXPECT_EQ(u2->query, "uploads");
}

TEST(RestXml, ResponseHelpers) {
  http::Response r;
  r.headers.add("Content-Length", "42");
  r.headers.add("Last-Modified", "Tue, 14 Nov 2023 22:13:20 GMT");
  r.headers.add("X-Amz-Meta-Owner", "ml");
  r.headers.add("x-amz-meta-sha", "abc");
  EXPECT_EQ(header_int(r, "content-length"), 42);
  EXPECT_EQ(header_time(r, "Last-Modified"), WallTime(seconds(1700000000)));
  auto meta = response_metadata(r);
  EXPECT_EQ(meta.size(), 2u);
  EXPECT_EQ(meta["owner"], "ml");
  EXPECT_FALSE(header_int(r, "Last-Modified").has_value());
}

}  // namespace
}  // namespace awsdl::internal
