// The registry protocol against a scripted in-memory registry (FakeTransport): the Bearer
// token flow, absolute and relative upload Locations, whole-blob retries after a 5xx, and
// what is refused. The real docker-registry runs in tests/integration/registry_push_test.cpp.

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <mutex>

#include "awsdl/registry/push.hpp"
#include "awsdl/testing/fake_transport.hpp"
#include "util/crypto.hpp"
#include "util/json.hpp"
#include "support/image_builder.hpp"

using namespace awsdl;

namespace {

constexpr const char* kRegistry = "127.0.0.1:5000";

// Just enough of the distribution API, with Bearer auth from a token service on :5001.
struct FakeRegistry {
  std::mutex mu;
  std::map<std::string, std::string> blobs, uploads, manifests;
  int token_requests = 0, posts = 0, failed_puts = 0;
  int fail_first_puts = 0;          // answer the first N blob PUTs with 503
  std::string location_host = "127.0.0.1:5000";  // where absolute upload Locations point
  bool reject_token = false;
  int token_generation = 0;      // the token the registry accepts is "tok-<generation>"
  int expire_after = -1;         // after this many authorized requests, the token expires
  int authorized = 0;
  std::vector<std::string> unauthorized;  // requests that reached the registry without the token

  Result<http::Response> handle(const http::Request& r) {
    std::lock_guard<std::mutex> lock(mu);
    http::Response resp;
    if (r.host == "127.0.0.1:5001" && r.path == "/token") {
      ++token_requests;
      auto auth = r.headers.get("Authorization").value_or("");
      if (reject_token || auth != "Basic " + internal::base64_encode(std::string("AWS:example-password"))) {
        resp.status = 401;
        return resp;
      }
      if (r.query.find("scope=repository%3Ateam%2Ftrain%3Apull%2Cpush") == std::string::npos) {
        resp.status = 400;
        return resp;
      }
      resp.status = 200;
      resp.body = R"({"token":"tok-)" + std::to_string(token_generation + 1) + "\"}";
      return resp;
    }
    if (r.headers.get("Authorization").value_or("") != "Bearer tok-" + std::to_string(token_generation + 1)) {
      if (r.path != "/v2/") unauthorized.push_back(r.method + " " + r.path);
      resp.status = 401;
      resp.headers.set("WWW-Authenticate",
                       R"(Bearer realm="http://127.0.0.1:5001/token",service="fake",scope="repository:team/train:pull,push")");
      resp.body = R"({"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]})";
      return resp;
    }
    if (++authorized == expire_after) ++token_generation;
    const std::string uploads_prefix = "/v2/team/train/blobs/uploads/";
    if (r.path == "/v2/") {
      resp.status = 200;
    } else if (r.method == "POST" && r.path == uploads_prefix) {
      std::string id = std::to_string(++posts);
      uploads[id];
      resp.status = 202;
      resp.headers.set("Location", "http://" + location_host + uploads_prefix + id + "?_state=s" + id);
    } else if (r.path.rfind(uploads_prefix, 0) == 0) {
      std::string id = r.path.substr(uploads_prefix.size());
      if (!uploads.count(id)) {
        resp.status = 404;
        return resp;
      }
      uploads[id] += r.body;
      if (r.method == "PATCH") {
        resp.status = 202;
        resp.headers.set("Location", uploads_prefix + id + "?_state=p");
      } else if (r.method == "PUT") {
        if (failed_puts < fail_first_puts) {
          ++failed_puts;
          uploads.erase(id);
          resp.status = 503;
          return resp;
        }
        auto pos = r.query.find("digest=sha256%3A");
        std::string want = pos == std::string::npos ? "" : "sha256:" + r.query.substr(pos + 16, 64);
        std::string got = "sha256:" + internal::sha256_hex(uploads[id]);
        if (got != want) {
          resp.status = 400;
          resp.body = R"({"errors":[{"code":"DIGEST_INVALID","message":"provided digest did not match uploaded content"}]})";
          return resp;
        }
        blobs[got] = uploads[id];
        uploads.erase(id);
        resp.status = 201;
        resp.headers.set("Docker-Content-Digest", got);
      } else if (r.method == "DELETE") {
        uploads.erase(id);
        resp.status = 204;
      }
    } else if (r.method == "HEAD" && r.path.rfind("/v2/team/train/blobs/", 0) == 0) {
      resp.status = blobs.count(r.path.substr(21)) ? 200 : 404;
    } else if (r.path.rfind("/v2/team/train/manifests/", 0) == 0) {
      std::string tag = r.path.substr(25);
      if (r.method == "PUT") {
        manifests[tag] = r.body;
        resp.status = 201;
      } else if (manifests.count(tag)) {
        resp.status = 200;
        resp.body = manifests[tag];
      } else {
        resp.status = 404;
      }
    } else {
      resp.status = 404;
    }
    return resp;
  }
};

class RegistryPushUnit : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("awsdl-push-unit-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    image_ = testsupport::make_image({testsupport::make_layer_tar(1, 2, 100000), testsupport::make_layer_tar(2, 3, 300000, false)});
    testsupport::write_docker_save(image_, (dir_ / "image.tar").string(), "train:v1");
    transport_ = std::make_shared<awsdl::testing::FakeTransport>();
    transport_->set_handler([this](const http::Request& r) { return registry_.handle(r); });
    // Like every client: transport, retries and runtime from a Config.
    config_.transport = transport_;
    config_.runtime = Runtime{clock_, clock_, std::make_shared<FixedRandom>(0.5)};
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  registry::PushOptions options() {
    registry::PushOptions o;
    o.registry = kRegistry;
    o.repository = "team/train";
    o.tag = "v1";
    o.insecure = true;
    o.credentials = registry::RegistryCredentials{"AWS", "example-password"};
    return o;
  }

  std::filesystem::path dir_;
  testsupport::BuiltImage image_;
  FakeRegistry registry_;
  std::shared_ptr<awsdl::testing::FakeTransport> transport_;
  std::shared_ptr<ManualClock> clock_ = std::make_shared<ManualClock>();
  Config config_;
};

TEST_F(RegistryPushUnit, BearerTokenAbsoluteLocationsAndRetryAfter503) {
  registry_.fail_first_puts = 1;
  auto o = options();
  o.chunk_size = 100;  // the config (~250 bytes) goes up in PATCH chunks
  auto r = registry::push_image(config_, (dir_ / "image.tar").string(), o);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(registry_.token_requests, 1);
  EXPECT_TRUE(registry_.unauthorized.empty()) << registry_.unauthorized[0];
  EXPECT_EQ(registry_.failed_puts, 1);
  EXPECT_EQ(registry_.posts, 4);  // three blobs, one of them twice
  ASSERT_EQ(registry_.blobs.size(), 3u);
  EXPECT_EQ(registry_.blobs[image_.config_digest], image_.config);

  auto doc = internal::JsonDocument::parse(registry_.manifests["v1"]);
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ("sha256:" + internal::sha256_hex(registry_.manifests["v1"]), r->manifest_digest);
  const auto* layers = internal::json_array(doc->root(), "layers");
  ASSERT_NE(layers, nullptr);
  ASSERT_EQ(layers->Size(), 2u);
  for (rapidjson::SizeType i = 0; i < 2; ++i) {
    std::string digest = internal::json_string_or((*layers)[i], "digest");
    ASSERT_TRUE(registry_.blobs.count(digest)) << digest;
    EXPECT_EQ(testsupport::gunzip_bytes(registry_.blobs[digest]), image_.layers[i].tar);
    EXPECT_EQ(*internal::json_int((*layers)[i], "size"), static_cast<std::int64_t>(registry_.blobs[digest].size()));
  }
  // The Basic credentials went only to the token service, never to the registry.
  for (const auto& req : transport_->requests()) {
    auto auth = std::string(req.headers.get("Authorization").value_or(""));
    if (req.host == kRegistry) {
      EXPECT_TRUE(auth.empty() || auth == "Bearer tok-1") << req.method << " " << req.path;
    }
  }

  // Same image again: HEADs only, no upload session.
  auto again = registry::push_image(config_, (dir_ / "image.tar").string(), o);
  ASSERT_TRUE(again.ok()) << again.error().to_string();
  EXPECT_EQ(again->blobs_uploaded, 0u);
  EXPECT_EQ(registry_.posts, 4);
}

TEST_F(RegistryPushUnit, ExpiredTokenIsRenewedMidPush) {
  // Expires at once after the first upload session opens: that blob's PUT gets a 401.
  registry_.expire_after = 3;
  auto o = options();
  o.parallel_uploads = 1;
  auto r = registry::push_image(config_, (dir_ / "image.tar").string(), o);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(registry_.token_requests, 2);
  EXPECT_EQ(registry_.blobs.size(), 3u);
  EXPECT_EQ(registry_.manifests.size(), 1u);
}

TEST_F(RegistryPushUnit, PlainHttpLocationOnAnotherHostIsRefused) {
  registry_.location_host = "198.51.100.7";
  auto r = registry::push_image(config_, (dir_ / "image.tar").string(), options());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "InsecureLocation");
  for (const auto& req : transport_->requests()) EXPECT_NE(req.host, "198.51.100.7");
  EXPECT_TRUE(registry_.manifests.empty());
}

TEST_F(RegistryPushUnit, RejectedTokenRequestIsACredentialsError) {
  registry_.reject_token = true;
  auto r = registry::push_image(config_, (dir_ / "image.tar").string(), options());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kCredentials);
  EXPECT_EQ(r.error().code, "RegistryAuthFailed");
  EXPECT_EQ(r.error().message.find("example-password"), std::string::npos);
}

TEST_F(RegistryPushUnit, PersistentServerErrorsStopAfterMaxAttempts) {
  registry_.fail_first_puts = 100;
  auto o = options();
  o.parallel_uploads = 1;
  auto r = registry::push_image(config_, (dir_ / "image.tar").string(), o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().http_status, 503);
  EXPECT_EQ(registry_.failed_puts, 3);  // max_attempts, then the push stops
  EXPECT_TRUE(registry_.manifests.empty());
}

TEST_F(RegistryPushUnit, RetriesFollowTheConfigAndWaitOnItsRuntime) {
  registry_.fail_first_puts = 2;
  auto o = options();
  o.parallel_uploads = 1;
  auto r = registry::push_image(config_, (dir_ / "image.tar").string(), o);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(registry_.failed_puts, 2);
  // The standard full-jitter backoff on the manual clock: half of 1 s, then half of 2 s.
  EXPECT_EQ(clock_->total_slept(), Millis(1500));

  // Fewer attempts in the Config: fewer uploads of the failing blob.
  registry_.failed_puts = 0;
  registry_.fail_first_puts = 100;
  registry_.blobs.clear();
  config_.retry.max_attempts = 2;
  auto failed = registry::push_image(config_, (dir_ / "image.tar").string(), o);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().http_status, 503);
  EXPECT_EQ(registry_.failed_puts, 2);
  EXPECT_NE(failed.error().message.find("gave up after 2 attempts"), std::string::npos) << failed.error().message;
}

}  // namespace
