// ECR against the sandbox, whose GetAuthorizationToken points at a local docker-registry
// (htpasswd auth) started here: ensure the repository, push with the token's credentials,
// pull the image back with skopeo, push again without re-uploading a blob, and see the
// image through DescribeImages / BatchCheckLayerAvailability / BatchDeleteImage, which the
// sandbox answers from the registry itself.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <mutex>
#include <fstream>
#include <sstream>

#include "awsdl/ecr/ecr.hpp"
#include "awsdl/registry/ecr_push.hpp"
#include "awsdl/registry/push.hpp"
#include "util/crypto.hpp"
#include "util/json.hpp"
#include "support/image_builder.hpp"
#include "support/registry_server.hpp"
#include "support/run_process.hpp"
#include "support/sandbox.hpp"
#include "support/tar_test_support.hpp"

namespace fs = std::filesystem;
using namespace awsdl;
using awsdl::testsupport::RegistryServer;
using awsdl::testsupport::Sandbox;

namespace {

using awsdl::testing_support::read_file;

class EcrTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    registry_ = new RegistryServer();
    char tmpl[] = "/tmp/awsdl-ecr-XXXXXX";
    work_ = ::mkdtemp(tmpl);
    image_ = new testsupport::BuiltImage(testsupport::make_image({
        testsupport::make_layer_tar(11, 3, 100 * 1024),
        testsupport::make_layer_tar(12, 2, 300 * 1024, /*compressible=*/false),
    }));
    testsupport::write_docker_save(*image_, work_ + "/image.tar", "train:v1");
  }
  static void TearDownTestSuite() {
    delete registry_;
    delete image_;
    std::error_code ec;
    fs::remove_all(work_, ec);
  }
  void SetUp() override {
    ASSERT_TRUE(sandbox_.ok()) << sandbox_.error();
    ASSERT_TRUE(registry_->ok()) << registry_->error();
    ASSERT_TRUE(sandbox_.reset());
    ASSERT_TRUE(sandbox_.control("POST", "/_sandbox/services/ecr/registry",
                                 R"({"endpoint":"http://)" + registry_->host() + R"(","username":")" +
                                     RegistryServer::kUser + R"(","password":")" + RegistryServer::kPassword + "\"}")
                    .ok());
  }

  Result<registry::PushResult> push(const ecr::AuthorizationData& auth, const std::string& repo, const std::string& tag) {
    registry::PushOptions o;
    o.registry = auth.registry_host();
    o.insecure = auth.plain_http();
    o.repository = repo;
    o.tag = tag;
    o.credentials = registry::RegistryCredentials{auth.username, auth.password};
    // The same Config as the ECR client: transport, retries and runtime.
    Config config = sandbox_.config();
    config.retry.base_delay = Millis(10);
    return registry::push_image(config, work_ + "/image.tar", o);
  }

  Sandbox sandbox_;
  static RegistryServer* registry_;
  static std::string work_;
  static testsupport::BuiltImage* image_;
};

RegistryServer* EcrTest::registry_ = nullptr;
std::string EcrTest::work_;
testsupport::BuiltImage* EcrTest::image_ = nullptr;

TEST_F(EcrTest, PushWithTheTokenPullBackWithSkopeoAndRepushUploadsNothing) {
  ecr::EcrClient ecr(sandbox_.config());
  auto ensured = ecr.ensure_repository({.repository_name = "team/train", .scan_on_push = true});
  ASSERT_TRUE(ensured.ok()) << ensured.error().to_string();
  EXPECT_TRUE(ensured->created);
  EXPECT_EQ(ensured->repository.uri, registry_->host() + "/team/train");
  EXPECT_TRUE(ensured->repository.scan_on_push);
  auto again = ecr.ensure_repository({.repository_name = "team/train"});
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->repository.arn, ensured->repository.arn);

  auto auth = ecr.get_authorization_token();
  ASSERT_TRUE(auth.ok()) << auth.error().to_string();
  EXPECT_EQ(auth->registry_host(), registry_->host());
  EXPECT_EQ(auth->username, RegistryServer::kUser);
  ASSERT_TRUE(auth->expires_at.has_value());
  EXPECT_GT(*auth->expires_at, std::chrono::system_clock::now() + std::chrono::hours(11));

  auto first = push(*auth, "team/train", "v1");
  ASSERT_TRUE(first.ok()) << first.error().to_string();
  EXPECT_EQ(first->blobs_uploaded, 3u);  // two layers and the config
  const int posts = registry_->count_requests("POST", "/v2/team/train/blobs/uploads/");
  EXPECT_EQ(posts, 3) << registry_->log();

  // skopeo, an independent client, pulls it with the same credentials and checks every digest.
  const std::string out = work_ + "/pulled";
  auto pulled = testsupport::run_process(
      "/usr/bin/skopeo",
      {"--insecure-policy", "copy", "--src-tls-verify=false", "--src-creds",
       auth->username + ":" + auth->password, "docker://" + registry_->host() + "/team/train:v1", "dir:" + out},
      {{"PATH", "/usr/bin:/bin"}, {"HOME", work_}, {"TMPDIR", work_}}, std::chrono::seconds(120));
  ASSERT_EQ(pulled.exit_code, 0) << pulled.err;
  const auto manifest = read_file(out + "/manifest.json");
  EXPECT_EQ("sha256:" + internal::sha256_hex(manifest), first->manifest_digest);
  EXPECT_EQ(read_file(out + "/" + image_->config_digest.substr(7)), image_->config);
  auto doc = internal::JsonDocument::parse(manifest);
  ASSERT_TRUE(doc.ok());
  const auto* layers = internal::json_array(doc->root(), "layers");
  ASSERT_NE(layers, nullptr);
  ASSERT_EQ(layers->Size(), 2u);
  for (rapidjson::SizeType i = 0; i < layers->Size(); ++i) {
    auto digest = internal::json_string_or((*layers)[i], "digest");
    EXPECT_EQ(testsupport::gunzip_bytes(read_file(out + "/" + digest.substr(7))), image_->layers[i].tar);
  }

  // The same image again: every blob is found (HEAD, and the tag's manifest for the layers
  // docker-save stores uncompressed), none is uploaded again.
  auto second = push(*auth, "team/train", "v1");
  ASSERT_TRUE(second.ok()) << second.error().to_string();
  EXPECT_EQ(second->blobs_uploaded, 0u);
  EXPECT_EQ(second->blobs_skipped, 3u);
  EXPECT_EQ(second->bytes_uploaded, 0u);
  EXPECT_EQ(second->manifest_digest, first->manifest_digest);
  EXPECT_EQ(registry_->count_requests("POST", "/v2/team/train/blobs/uploads/"), posts);
  // Another tag for the same image: same manifest (compression here is deterministic).
  auto tagged = push(*auth, "team/train", "v2");
  ASSERT_TRUE(tagged.ok()) << tagged.error().to_string();
  EXPECT_EQ(tagged->manifest_digest, first->manifest_digest);

  // ECR's view of the registry.
  auto images = ecr.describe_images("team/train");
  ASSERT_TRUE(images.ok()) << images.error().to_string();
  ASSERT_EQ(images->size(), 1u);
  EXPECT_EQ((*images)[0].digest, first->manifest_digest);
  EXPECT_EQ((*images)[0].tags, (std::vector<std::string>{"v1", "v2"}));
  EXPECT_EQ((*images)[0].manifest_media_type, "application/vnd.docker.distribution.manifest.v2+json");
  EXPECT_GT((*images)[0].size, 300 * 1024);

  std::vector<std::string> digests;
  for (const auto& b : first->blobs) digests.push_back(b.digest);
  digests.push_back("sha256:" + std::string(64, '0'));
  auto avail = ecr.batch_check_layer_availability("team/train", digests);
  ASSERT_TRUE(avail.ok()) << avail.error().to_string();
  ASSERT_EQ(avail->size(), 4u);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE((*avail)[i].available) << (*avail)[i].digest;
  EXPECT_FALSE((*avail)[3].available);
  EXPECT_EQ((*avail)[3].failure_code, "MissingLayerDigest");

  auto by_tag = ecr.describe_images("team/train", {{"", "v2"}});
  ASSERT_TRUE(by_tag.ok());
  EXPECT_EQ(by_tag->size(), 1u);
  auto missing = ecr.describe_images("team/train", {{"", "nope"}});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "ImageNotFoundException");

  // Deleting needs force while images remain; BatchDeleteImage empties it.
  auto refused = ecr.delete_repository("team/train");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "RepositoryNotEmptyException");
  auto del = ecr.batch_delete_image("team/train", {{first->manifest_digest, ""}, {"", "nope"}});
  ASSERT_TRUE(del.ok()) << del.error().to_string();
  EXPECT_EQ(del->deleted.size(), 1u);
  ASSERT_EQ(del->failures.size(), 1u);
  EXPECT_EQ(del->failures[0].code, "ImageNotFound");
  auto after = ecr.describe_images("team/train");
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->empty());
  auto deleted = ecr.delete_repository("team/train");
  ASSERT_TRUE(deleted.ok()) << deleted.error().to_string();
  auto gone = ecr.describe_repositories({"team/train"});
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().code, "RepositoryNotFoundException");
}

// A real transport that counts what it sends, per host: which requests went through a Config.
class CountingTransport : public http::Transport {
 public:
  explicit CountingTransport(std::shared_ptr<http::Transport> inner) : inner_(std::move(inner)) {}
  Result<http::Response> send(const http::Request& request, const http::SendOptions& options) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++sent_[request.host];
    }
    return inner_->send(request, options);
  }
  int sent_to(const std::string& host) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = sent_.find(host);
    return it == sent_.end() ? 0 : it->second;
  }
  int total() const {
    std::lock_guard<std::mutex> lock(mu_);
    int n = 0;
    for (const auto& [host, count] : sent_) n += count;
    return n;
  }

 private:
  std::shared_ptr<http::Transport> inner_;
  mutable std::mutex mu_;
  std::map<std::string, int> sent_;
};

// push_image_to_ecr: the repository ensured, the token fetched and the image pushed in one
// call, every request (ECR's and the registry's) through the Config's transport.
TEST_F(EcrTest, PushToEcrInOneCallThroughTheConfigsTransport) {
  Config config = sandbox_.config();
  auto counting = std::make_shared<CountingTransport>(config.transport ? config.transport : http::make_curl_transport());
  config.transport = counting;
  config.retry.base_delay = Millis(10);
  std::vector<registry::EcrRepositoryReady> ready;
  std::vector<int> posts_when_ready;
  registry::PushOptions o{.repository = "team/onecall", .tag = "v2"};
  auto on_ready = [&](const registry::EcrRepositoryReady& r) {
    posts_when_ready.push_back(registry_->count_requests("POST", "/v2/team/onecall/blobs/uploads/"));
    ready.push_back(r);
  };
  auto first = registry::push_image_to_ecr(config, work_ + "/image.tar", o, on_ready);
  ASSERT_TRUE(first.ok()) << first.error().to_string();
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(posts_when_ready[0], 0) << "told after the push began";
  EXPECT_TRUE(ready[0].created);
  EXPECT_EQ(ready[0].repository_uri, registry_->host() + "/team/onecall");
  EXPECT_EQ(ready[0].image_uri, registry_->host() + "/team/onecall:v2");
  EXPECT_EQ(first->image_uri, ready[0].image_uri);
  EXPECT_EQ(first->push.blobs_uploaded, 3u);
  EXPECT_EQ(first->push.reference, registry_->host() + "/team/onecall:v2");
  const int posts = registry_->count_requests("POST", "/v2/team/onecall/blobs/uploads/");
  EXPECT_EQ(posts, 3) << registry_->log();
  EXPECT_GE(counting->sent_to(registry_->host()), posts) << "the registry was not reached through the Config's transport";
  EXPECT_GT(counting->total(), counting->sent_to(registry_->host())) << "ECR was not called through it";

  auto second = registry::push_image_to_ecr(config, work_ + "/image.tar", o, on_ready);
  ASSERT_TRUE(second.ok()) << second.error().to_string();
  ASSERT_EQ(ready.size(), 2u);
  EXPECT_FALSE(ready[1].created);
  EXPECT_EQ(second->push.blobs_uploaded, 0u);
  EXPECT_EQ(second->push.manifest_digest, first->push.manifest_digest);

  // A name ECR refuses: before any call.
  const int before = counting->total();
  auto bad = registry::push_image_to_ecr(config, work_ + "/image.tar", {.repository = "Team/Upper"}, on_ready);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(counting->total(), before);
  EXPECT_EQ(ready.size(), 2u);
}

TEST_F(EcrTest, WrongTokenIsRefusedByTheRegistry) {
  ecr::EcrClient ecr(sandbox_.config());
  ASSERT_TRUE(ecr.ensure_repository({.repository_name = "team/other"}).ok());
  auto auth = ecr.get_authorization_token();
  ASSERT_TRUE(auth.ok());
  auto bad = *auth;
  bad.password = "not-the-password";
  auto r = push(bad, "team/other", "v1");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "RegistryAuthFailed") << r.error().to_string();
}

TEST_F(EcrTest, RepositoriesAreListedAndBadNamesNeverSent) {
  ecr::EcrClient ecr(sandbox_.config());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(ecr.create_repository({.repository_name = "r" + std::to_string(i)}).ok());
  auto dup = ecr.create_repository({.repository_name = "r0"});
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code, "RepositoryAlreadyExistsException");
  auto all = ecr.describe_repositories();
  ASSERT_TRUE(all.ok()) << all.error().to_string();
  EXPECT_EQ(all->size(), 3u);
  ASSERT_TRUE(sandbox_.clear_requests());
  EXPECT_FALSE(ecr.create_repository({.repository_name = "Bad_Name"}).ok());
  auto log = sandbox_.requests();
  ASSERT_TRUE(log.ok());
  EXPECT_TRUE(log->empty());
}

}  // namespace
