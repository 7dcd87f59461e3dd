// Pushes generated images to a local docker-registry (htpasswd auth) and reads them back
// with skopeo, an independent client.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "awsdl/registry/push.hpp"
#include "util/crypto.hpp"
#include "util/json.hpp"
#include "support/image_builder.hpp"
#include "support/registry_server.hpp"
#include "support/run_process.hpp"

namespace fs = std::filesystem;
using namespace awsdl;
using awsdl::testsupport::RegistryServer;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

class RegistryPushTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new RegistryServer();
    char tmpl[] = "/tmp/awsdl-push-XXXXXX";
    work_ = ::mkdtemp(tmpl);
    // Three layers; one bigger than the chunk size some tests use, so PATCH chunks happen.
    image_ = new testsupport::BuiltImage(testsupport::make_image({
        testsupport::make_layer_tar(1, 3, 200 * 1024),
        testsupport::make_layer_tar(2, 2, 1500 * 1024, /*compressible=*/false),
        testsupport::make_layer_tar(3, 5, 30 * 1024),
    }));
    testsupport::write_docker_save(*image_, work_ + "/image.tar", "train:v1");
  }
  static void TearDownTestSuite() {
    delete server_;
    delete image_;
    std::error_code ec;
    fs::remove_all(work_, ec);
  }
  void SetUp() override { ASSERT_TRUE(server_->ok()) << server_->error(); }

  registry::PushOptions options(std::string repo, std::string tag = "v1") {
    registry::PushOptions o;
    o.registry = server_->host();
    o.repository = std::move(repo);
    o.tag = std::move(tag);
    o.insecure = true;
    o.credentials = registry::RegistryCredentials{RegistryServer::kUser, RegistryServer::kPassword};
    return o;
  }
  // The pusher's transport and retries, as for every client: real time, short backoff.
  static Config push_config() {
    Config c;
    c.retry.base_delay = Millis(10);
    return c;
  }

  testsupport::ProcessResult skopeo(std::vector<std::string> args) {
    return testsupport::run_process("/usr/bin/skopeo", args,
                                    {{"PATH", "/usr/bin:/bin"}, {"HOME", work_}, {"TMPDIR", work_}},
                                    std::chrono::seconds(120));
  }
  // skopeo copy docker://… dir:… ; returns the dir.
  std::string pull(const std::string& ref, const std::string& name) {
    std::string out = work_ + "/" + name;
    auto r = skopeo({"--insecure-policy", "copy", "--src-tls-verify=false", "--src-creds",
                     std::string(RegistryServer::kUser) + ":" + RegistryServer::kPassword,
                     "docker://" + server_->host() + "/" + ref, "dir:" + out});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return out;
  }
  std::string inspect_raw(const std::string& ref, int* exit_code) {
    auto r = skopeo({"inspect", "--raw", "--tls-verify=false", "--creds",
                     std::string(RegistryServer::kUser) + ":" + RegistryServer::kPassword,
                     "docker://" + server_->host() + "/" + ref});
    *exit_code = r.exit_code;
    return r.out;
  }

  static RegistryServer* server_;
  static std::string work_;
  static testsupport::BuiltImage* image_;
};

RegistryServer* RegistryPushTest::server_ = nullptr;
std::string RegistryPushTest::work_;
testsupport::BuiltImage* RegistryPushTest::image_ = nullptr;

TEST_F(RegistryPushTest, DockerSavePulledBackIntactAndSecondPushUploadsNothing) {
  auto opts = options("team/train");
  opts.chunk_size = 1 << 20;
  int started = 0, skipped = 0, manifest = 0;
  opts.on_event = [&](const registry::PushEvent& e) {
    started += e.kind == registry::PushEvent::Kind::kBlobStarted;
    skipped += e.kind == registry::PushEvent::Kind::kBlobSkipped;
    manifest += e.kind == registry::PushEvent::Kind::kManifestPushed;
  };
  auto r = registry::push_image(push_config(), work_ + "/image.tar", opts);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->blobs_uploaded, 4u);
  EXPECT_EQ(r->blobs_skipped, 0u);
  EXPECT_EQ(started, 4);
  EXPECT_EQ(manifest, 1);
  EXPECT_EQ(r->manifest_media_type, "application/vnd.docker.distribution.manifest.v2+json");
  const int posts_after_first = server_->count_requests("POST", "/v2/team/train/blobs/uploads/");
  EXPECT_EQ(posts_after_first, 4) << server_->log();

  // skopeo pulls it (verifying every digest itself); the content is ours.
  std::string dir = pull("team/train:v1", "pulled");
  auto manifest_text = slurp(dir + "/manifest.json");
  EXPECT_EQ("sha256:" + internal::sha256_hex(manifest_text), r->manifest_digest);
  auto doc = internal::JsonDocument::parse(manifest_text);
  ASSERT_TRUE(doc.ok());
  auto config_digest = internal::json_string_or(*internal::json_object(doc->root(), "config"), "digest");
  EXPECT_EQ(config_digest, image_->config_digest);
  EXPECT_EQ(slurp(dir + "/" + config_digest.substr(7)), image_->config);
  const auto* layers = internal::json_array(doc->root(), "layers");
  ASSERT_NE(layers, nullptr);
  ASSERT_EQ(layers->Size(), 3u);
  for (rapidjson::SizeType i = 0; i < 3; ++i) {
    EXPECT_EQ(internal::json_string_or((*layers)[i], "mediaType"), "application/vnd.docker.image.rootfs.diff.tar.gzip");
    auto digest = internal::json_string_or((*layers)[i], "digest");
    auto blob = slurp(dir + "/" + digest.substr(7));
    EXPECT_EQ("sha256:" + internal::sha256_hex(blob), digest);
    EXPECT_EQ(testsupport::gunzip_bytes(blob), image_->layers[i].tar) << "layer " << i;
  }

  // Unchanged image, same tag: every blob is found, nothing is uploaded.
  started = skipped = manifest = 0;
  auto again = registry::push_image(push_config(), work_ + "/image.tar", opts);
  ASSERT_TRUE(again.ok()) << again.error().to_string();
  EXPECT_EQ(again->blobs_uploaded, 0u);
  EXPECT_EQ(again->blobs_skipped, 4u);
  EXPECT_EQ(again->bytes_uploaded, 0u);
  EXPECT_EQ(started, 0);
  EXPECT_EQ(skipped, 4);
  EXPECT_EQ(again->manifest_digest, r->manifest_digest);
  EXPECT_EQ(server_->count_requests("POST", "/v2/team/train/blobs/uploads/"), posts_after_first);
}

TEST_F(RegistryPushTest, OciManifestFromDockerSave) {
  auto opts = options("team/oci-from-save");
  opts.format = registry::ManifestFormat::kOci;
  auto r = registry::push_image(push_config(), work_ + "/image.tar", opts);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  int rc = -1;
  auto raw = inspect_raw("team/oci-from-save:v1", &rc);
  ASSERT_EQ(rc, 0);
  EXPECT_EQ("sha256:" + internal::sha256_hex(raw), r->manifest_digest);
  EXPECT_NE(raw.find("application/vnd.oci.image.layer.v1.tar+gzip"), std::string::npos);
}

TEST_F(RegistryPushTest, OciLayoutDirectoryAndTar) {
  std::string layout = work_ + "/layout";
  std::string manifest_digest = testsupport::write_oci_layout(*image_, layout, "v2");
  auto chunked = options("team/oci", "v2");
  chunked.chunk_size = 1 << 20;  // the ~3 MiB layer goes up in PATCH chunks
  auto r = registry::push_image(push_config(), layout, chunked);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_GE(server_->count_requests("PATCH", "/v2/team/oci/blobs/uploads/"), 3);
  EXPECT_EQ(r->manifest_digest, manifest_digest);
  EXPECT_EQ(r->manifest_media_type, "application/vnd.oci.image.manifest.v1+json");
  std::string dir = pull("team/oci:v2", "pulled-oci");
  EXPECT_EQ("sha256:" + internal::sha256_hex(slurp(dir + "/manifest.json")), manifest_digest);

  // The same layout as a tar, to another repository.
  std::vector<std::string> names, bytes;
  for (const auto& e : fs::recursive_directory_iterator(layout)) {
    if (!e.is_regular_file()) continue;
    names.push_back(fs::relative(e.path(), layout).string());
    bytes.push_back(slurp(e.path().string()));
  }
  std::vector<std::pair<std::string, const std::string*>> members;
  for (std::size_t i = 0; i < names.size(); ++i) members.push_back({names[i], &bytes[i]});
  testsupport::write_tar(work_ + "/layout.tar", members);
  auto t = registry::push_image(push_config(), work_ + "/layout.tar", options("team/oci-tar", "v2"));
  ASSERT_TRUE(t.ok()) << t.error().to_string();
  EXPECT_EQ(t->manifest_digest, manifest_digest);
  int rc = -1;
  inspect_raw("team/oci-tar:v2", &rc);
  EXPECT_EQ(rc, 0);
}

TEST_F(RegistryPushTest, WrongPasswordIsAClearCredentialsError) {
  auto opts = options("team/denied");
  opts.credentials->password = "not-the-password";
  auto r = registry::push_image(push_config(), work_ + "/image.tar", opts);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kCredentials);
  EXPECT_EQ(r.error().code, "RegistryAuthFailed");
  EXPECT_NE(r.error().message.find(RegistryServer::kUser), std::string::npos);
  EXPECT_EQ(r.error().message.find("not-the-password"), std::string::npos);
  EXPECT_EQ(server_->count_requests("POST", "/v2/team/denied/"), 0);
}

TEST_F(RegistryPushTest, TamperedLayerFailsBeforeTheManifest) {
  // A layer whose bytes no longer match the config's diff_id.
  auto img = *image_;
  img.layers[2].tar[1000] ^= 0x55;
  std::string path = work_ + "/tampered.tar";
  {
    auto honest = *image_;
    honest.layers[2].tar = img.layers[2].tar;  // keep the honest config (diff_ids)
    testsupport::write_docker_save(honest, path, "train:bad");
  }
  auto r = registry::push_image(push_config(), path, options("team/tampered"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "DigestMismatch") << r.error().to_string();
  EXPECT_EQ(r.error().kind, ErrorKind::kParse);
  EXPECT_EQ(server_->count_requests("PUT", "/v2/team/tampered/manifests/"), 0);
  int rc = -1;
  inspect_raw("team/tampered:v1", &rc);
  EXPECT_NE(rc, 0);

  // A tampered blob in an OCI layout (its name is its digest).
  std::string layout = work_ + "/layout-bad";
  testsupport::write_oci_layout(*image_, layout, "v1");
  std::string config_path = layout + "/blobs/sha256/" + image_->config_digest.substr(7);
  std::string cfg = slurp(config_path);
  cfg[cfg.size() - 2] = ' ';
  std::ofstream(config_path, std::ios::binary) << cfg;
  auto o = registry::push_image(push_config(), layout, options("team/tampered-oci"));
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.error().code, "DigestMismatch") << o.error().to_string();
  EXPECT_EQ(server_->count_requests("PUT", "/v2/team/tampered-oci/manifests/"), 0);
}

TEST_F(RegistryPushTest, BadInputIsRefusedBeforeAnyRequest) {
  std::string junk = work_ + "/junk.tar";
  std::ofstream(junk) << "this is not a tar archive at all, not even close........";
  auto r = registry::push_image(push_config(), junk, options("team/junk"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kParse);

  auto plain = options("team/x");
  plain.registry = "192.0.2.10:5000";  // TEST-NET-1: refused before any packet is sent
  auto p = registry::push_image(push_config(), work_ + "/image.tar", plain);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code, "InsecureNotAllowed");

  auto bad_tag = options("team/x", "bad tag");
  EXPECT_EQ(registry::push_image(push_config(), work_ + "/image.tar", bad_tag).error().code, "InvalidTag");
  auto bad_repo = options("Team/X");
  EXPECT_EQ(registry::push_image(push_config(), work_ + "/image.tar", bad_repo).error().code, "InvalidRepository");
}

TEST(RegistryToken, DecodesEcrStyleToken) {
  auto c = registry::decode_basic_token(internal::base64_encode(std::string("AWS:abc:def")));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->username, "AWS");
  EXPECT_EQ(c->password, "abc:def");
  EXPECT_FALSE(registry::decode_basic_token("!!!").ok());
}

}  // namespace
