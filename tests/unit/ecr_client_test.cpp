// EcrClient on a fake transport: the JSON 1.1 requests (target, member names as in botocore's
// ecr model), ensure_repository's describe-then-create (and the race), the decoded token,
// layer availability kept in request order, paging, and bad input refused before any call.
#include "awsdl/ecr/ecr.hpp"

#include <gtest/gtest.h>

#include "awsdl/core/log.hpp"
#include "util/crypto.hpp"
#include "support/fake_harness.hpp"

namespace awsdl {
namespace {

struct Harness : testsupport::FakeHarness {
  Harness() : FakeHarness("eu-west-1") {}
};

constexpr const char* kRepo =
    R"({"repositoryArn":"arn:aws:ecr:eu-west-1:123456789012:repository/team/train","registryId":"123456789012",)"
    R"("repositoryName":"team/train","repositoryUri":"123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/train",)"
    R"("createdAt":1.7040672E9,"imageTagMutability":"IMMUTABLE","imageScanningConfiguration":{"scanOnPush":true},)"
    R"("encryptionConfiguration":{"encryptionType":"AES256"}})";

TEST(EcrClient, CreateRepositorySendsTheModelsMembers) {
  Harness h;
  h.transport->push(200, std::string(R"({"repository":)") + kRepo + "}");
  ecr::EcrClient ecr(h.config);
  auto r = ecr.create_repository({.repository_name = "team/train", .immutable_tags = true, .scan_on_push = true,
                                  .encryption_type = "AES256", .tags = {{"project", "maskrcnn"}}});
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->uri, "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/train");
  EXPECT_EQ(r->tag_mutability, "IMMUTABLE");
  EXPECT_TRUE(r->scan_on_push);
  ASSERT_TRUE(r->created_at.has_value());
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::seconds>(r->created_at->time_since_epoch()).count(), 1704067200);
  auto req = h.last();
  EXPECT_EQ(req.url(), "https://api.ecr.eu-west-1.amazonaws.com/");
  EXPECT_EQ(req.headers.get("X-Amz-Target"), "AmazonEC2ContainerRegistry_V20150921.CreateRepository");
  EXPECT_EQ(req.body,
            R"({"repositoryName":"team/train","tags":[{"Key":"project","Value":"maskrcnn"}],)"
            R"("imageTagMutability":"IMMUTABLE","imageScanningConfiguration":{"scanOnPush":true},)"
            R"("encryptionConfiguration":{"encryptionType":"AES256"}})");
}

TEST(EcrClient, EnsureRepositoryDescribesThenCreates) {
  Harness h;
  h.transport->push(400, R"({"__type":"RepositoryNotFoundException","message":"The repository with name 'team/train' does not exist"})");
  h.transport->push(200, std::string(R"({"repository":)") + kRepo + "}");
  ecr::EcrClient ecr(h.config);
  auto e = ecr.ensure_repository({.repository_name = "team/train"});
  ASSERT_TRUE(e.ok()) << e.error().to_string();
  EXPECT_TRUE(e->created);
  auto reqs = h.transport->requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].headers.get("X-Amz-Target"), "AmazonEC2ContainerRegistry_V20150921.DescribeRepositories");
  EXPECT_EQ(reqs[0].body, R"({"repositoryNames":["team/train"]})");
  EXPECT_EQ(reqs[1].headers.get("X-Amz-Target"), "AmazonEC2ContainerRegistry_V20150921.CreateRepository");

  // Existing: one describe, no create.
  Harness h2;
  h2.transport->push(200, std::string(R"({"repositories":[)") + kRepo + "]}");
  auto again = ecr::EcrClient(h2.config).ensure_repository({.repository_name = "team/train"});
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->repository.name, "team/train");
  EXPECT_EQ(h2.transport->request_count(), 1u);
}

TEST(EcrClient, EnsureRepositoryLosingACreationRaceUsesTheOtherOne) {
  Harness h;
  h.transport->push(400, R"({"__type":"RepositoryNotFoundException","message":"not found"})");
  h.transport->push(400, R"({"__type":"RepositoryAlreadyExistsException","message":"exists"})");
  h.transport->push(200, std::string(R"({"repositories":[)") + kRepo + "]}");
  auto e = ecr::EcrClient(h.config).ensure_repository({.repository_name = "team/train"});
  ASSERT_TRUE(e.ok()) << e.error().to_string();
  EXPECT_FALSE(e->created);
  EXPECT_EQ(h.transport->request_count(), 3u);

  // Any other describe failure is the answer.
  Harness h2;
  h2.transport->push(400, R"({"__type":"AccessDeniedException","message":"no"})");
  auto denied = ecr::EcrClient(h2.config).ensure_repository({.repository_name = "team/train"});
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.error().code, "AccessDeniedException");
  EXPECT_EQ(h2.transport->request_count(), 1u);
}

TEST(EcrClient, AuthorizationTokenIsDecodedAndRegisteredAsSecret) {
  Harness h;
  const std::string password = "eyJwYXlsb2FkIjoiZXhhbXBsZSJ9-registry-password";
  const std::string token = internal::base64_encode("AWS:" + password);
  h.transport->push(200, R"({"authorizationData":[{"authorizationToken":")" + token +
                             R"(","expiresAt":1.7040888E9,"proxyEndpoint":"https://123456789012.dkr.ecr.eu-west-1.amazonaws.com"}]})");
  auto a = ecr::EcrClient(h.config).get_authorization_token();
  ASSERT_TRUE(a.ok()) << a.error().to_string();
  EXPECT_EQ(a->username, "AWS");
  EXPECT_EQ(a->password, password);
  EXPECT_EQ(a->registry_host(), "123456789012.dkr.ecr.eu-west-1.amazonaws.com");
  EXPECT_FALSE(a->plain_http());
  EXPECT_EQ(redact("pw " + password).find(password), std::string::npos);
  EXPECT_EQ(h.last().body, "{}");

  ecr::AuthorizationData local;
  local.proxy_endpoint = "http://127.0.0.1:5000";
  EXPECT_EQ(local.registry_host(), "127.0.0.1:5000");
  EXPECT_TRUE(local.plain_http());

  Harness bad;
  bad.transport->push(200, R"({"authorizationData":[{"authorizationToken":"bm9jb2xvbg==","proxyEndpoint":"https://x"}]})");
  auto b = ecr::EcrClient(bad.config).get_authorization_token();
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().code, "MalformedRegistryToken");
}

TEST(EcrClient, LayerAvailabilityInRequestOrder) {
  Harness h;
  const std::string a = "sha256:" + std::string(64, 'a'), b = "sha256:" + std::string(64, 'b');
  h.transport->push(200, R"({"layers":[{"layerDigest":")" + b +
                             R"(","layerAvailability":"AVAILABLE","layerSize":1234,"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip"}],)"
                             R"("failures":[{"layerDigest":")" + a +
                             R"(","failureCode":"MissingLayerDigest","failureReason":"Requested layer digest is not available"}]})");
  auto r = ecr::EcrClient(h.config).batch_check_layer_availability("team/train", {a, b});
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].digest, a);
  EXPECT_FALSE((*r)[0].available);
  EXPECT_EQ((*r)[0].failure_code, "MissingLayerDigest");
  EXPECT_TRUE((*r)[1].available);
  EXPECT_EQ((*r)[1].size, 1234);
  EXPECT_EQ(h.last().body, R"({"repositoryName":"team/train","layerDigests":[")" + a + "\",\"" + b + "\"]}");
}

TEST(EcrClient, DescribeImagesFollowsPagesAndDeleteReportsBothLists) {
  Harness h;
  h.transport->push(200, R"({"imageDetails":[{"imageDigest":"sha256:1","imageTags":["v1","latest"],"imageSizeInBytes":10}],"nextToken":"p2"})");
  h.transport->push(200, R"({"imageDetails":[{"imageDigest":"sha256:2","imageSizeInBytes":20}]})");
  ecr::EcrClient ecr(h.config);
  auto images = ecr.describe_images("team/train", {}, ecr::TagStatus::kTagged);
  ASSERT_TRUE(images.ok()) << images.error().to_string();
  ASSERT_EQ(images->size(), 2u);
  EXPECT_EQ((*images)[0].tags, (std::vector<std::string>{"v1", "latest"}));
  EXPECT_EQ((*images)[1].size, 20);
  auto reqs = h.transport->requests();
  EXPECT_EQ(reqs[0].body, R"({"repositoryName":"team/train","filter":{"tagStatus":"TAGGED"}})");
  EXPECT_EQ(reqs[1].body, R"({"repositoryName":"team/train","nextToken":"p2","filter":{"tagStatus":"TAGGED"}})");

  h.transport->push(200, R"({"imageIds":[{"imageDigest":"sha256:1","imageTag":"v1"}],"failures":[{"imageId":{"imageTag":"nope"},"failureCode":"ImageNotFound","failureReason":"Requested image not found"}]})");
  auto del = ecr.batch_delete_image("team/train", {{"", "v1"}, {"", "nope"}});
  ASSERT_TRUE(del.ok());
  ASSERT_EQ(del->deleted.size(), 1u);
  EXPECT_EQ(del->deleted[0].digest, "sha256:1");
  ASSERT_EQ(del->failures.size(), 1u);
  EXPECT_EQ(del->failures[0].id.tag, "nope");
  EXPECT_EQ(del->failures[0].code, "ImageNotFound");
  EXPECT_EQ(h.last().body, R"({"repositoryName":"team/train","imageIds":[{"imageTag":"v1"},{"imageTag":"nope"}]})");
}

TEST(EcrClient, BadInputIsRefusedBeforeAnyCall) {
  Harness h;
  ecr::EcrClient ecr(h.config);
  EXPECT_EQ(ecr.create_repository({.repository_name = "Team/Train"}).error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(ecr.create_repository({.repository_name = "x"}).error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(ecr.create_repository({.repository_name = "team//train"}).error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(ecr.create_repository({.repository_name = "ok-name", .kms_key = "k"}).error().kind,
            ErrorKind::kInvalidArgument);
  EXPECT_EQ(ecr.ensure_repository({.repository_name = "-bad"}).error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(ecr.batch_check_layer_availability("team/train", {}).error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(ecr.batch_delete_image("team/train", {{"", ""}}).error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(ecr.describe_images("UPPER").error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(h.transport->request_count(), 0u);
  EXPECT_EQ(ecr::repository_name_problem("team/train.v2_x-y"), "");
}

}  // namespace
}  // namespace awsdl
