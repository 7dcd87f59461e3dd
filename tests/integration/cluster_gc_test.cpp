// gc against the sandbox (issue 16, "Nothing left behind"): a failed cluster stack (the
// sandbox's cloudformation/fail control), an old multipart upload (made with the S3 client,
// aged with GcOptions::now or a small --older-than) and a stale state directory are found and
// removed, with the failed cluster's retained EFS file system when --file-systems is asked;
// a live cluster's stack, file system and state directory, uploads outside the bucket or the
// prefix and directories that hold no cluster's files are never listed; a dry run changes
// nothing; bad options are refused before any call (the CLI exits 2).
#include "awsdl/cluster/gc.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "awsdl/cloudformation/cloudformation.hpp"
#include "awsdl/cluster/lifecycle.hpp"
#include "awsdl/ec2/ec2.hpp"
#include "awsdl/efs/efs.hpp"
#include "awsdl/fsx/fsx.hpp"
#include "awsdl/s3/client.hpp"
#include "support/run_process.hpp"
#include "support/sandbox.hpp"
#include "support/tar_test_support.hpp"

namespace awsdl {
namespace {

using namespace std::chrono_literals;
using testsupport::Sandbox;
namespace fs = std::filesystem;

const std::string kBinary = std::string(AWSDL_BINARY_DIR) + "/examples/cluster/awsdl-cluster";

class ClusterGcSandbox : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(sandbox.ok()) << sandbox.error();
    ASSERT_TRUE(sandbox.reset().ok());
    ASSERT_TRUE(sandbox.control("POST", "/_sandbox/services/ec2/config", R"({"transition_seconds": 0.05})").ok());
    ASSERT_TRUE(sandbox.control("POST", "/_sandbox/services/cloudformation/config", R"({"transition_seconds": 0.05})").ok());
    ASSERT_TRUE(ec2::Ec2Client(config).create_key_pair("team").ok());
    ASSERT_TRUE(s3.create_bucket({.bucket = "team-bucket"}).ok());
    ASSERT_TRUE(s3.create_bucket({.bucket = "other-bucket"}).ok());
    root = tmp / "state";
    fs::create_directories(root);
  }
  void TearDown() override { (void)sandbox.clear_faults(); }

  static Config fast_config(const Sandbox& s) {
    Config c = s.config();
    c.retry.base_delay = 20ms;
    c.retry.max_backoff = 200ms;
    return c;
  }
  static cluster::ClusterSpec spec(const std::string& name) {
    cluster::ClusterSpec s{.name = name, .instance_type = "p3.8xlarge", .workers = 1, .min_workers = 1,
                           .ssh_cidr = "203.0.113.0/24", .key_name = "team"};
    s.staging_bucket = "team-bucket";
    return s;
  }
  cluster::CreateOptions create_options() const {
    cluster::CreateOptions o;
    o.poll_interval = 100ms;
    o.deadline = Deadline::after(90s, *config.runtime.clock);
    return o;
  }
  // A live cluster and one whose create failed (rolled back: ROLLBACK_COMPLETE, EFS retained).
  void make_clusters() {
    cluster::Clusters clusters(config);
    auto live = clusters.create(spec("gc-live"), create_options());
    ASSERT_TRUE(live.ok()) << live.error().to_string();
    ASSERT_TRUE(sandbox.control("POST", "/_sandbox/services/cloudformation/fail",
                                R"({"stack":"gc-broken","logical_id":"WorkerGroup","reason":"We currently do not have sufficient p3.8xlarge capacity"})")
                    .ok());
    auto broken = clusters.create(spec("gc-broken"), create_options());
    ASSERT_FALSE(broken.ok());
    ASSERT_EQ(broken.error().code, "ClusterCreateFailed") << broken.error().to_string();
  }
  std::string upload(const std::string& bucket, const std::string& key) {
    auto up = s3.create_multipart_upload({.bucket = bucket, .key = key});
    EXPECT_TRUE(up.ok()) << up.error().to_string();
    return up.ok() ? up->upload_id : "";
  }
  // "bucket/key" of every multipart upload the sandbox holds.
  std::vector<std::string> uploads() const {
    std::vector<std::string> out;
    for (const char* b : {"team-bucket", "other-bucket"}) {
      auto page = s3.list_multipart_uploads({.bucket = b});
      EXPECT_TRUE(page.ok()) << page.error().to_string();
      if (page.ok())
        for (const auto& u : page->uploads) out.push_back(std::string(b) + "/" + u.key);
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  void state_dir(const std::string& name, const char* marker = "hostfile") {
    fs::create_directories(root / name);
    if (marker) std::ofstream(root / name / marker) << "127.0.0.1 slots=1\n";
  }
  std::string stack_status(const std::string& name) const {
    auto s = cluster::Clusters(config).describe(name);
    return s.ok() ? s->status : s.error().code;
  }
  // File systems tagged with the cluster, not deleted.
  std::vector<std::string> file_systems_of(const std::string& name) const {
    std::vector<std::string> out;
    auto all = efs::EfsClient(config).describe_file_systems();
    EXPECT_TRUE(all.ok()) << all.error().to_string();
    if (all.ok())
      for (const auto& f : *all)
        for (const auto& [k, v] : f.tags)
          if (k == cluster::kClusterTag && v == name && f.life_cycle_state != "deleted" &&
              f.life_cycle_state != "deleting")
            out.push_back(f.file_system_id);
    return out;
  }
  cluster::GcOptions options() const {
    cluster::GcOptions o;
    o.bucket = "team-bucket";
    o.prefix = "stage/";
    o.state_root = root.string();
    o.poll_interval = 100ms;
    o.deadline = Deadline::after(90s, *config.runtime.clock);
    return o;
  }
  static std::vector<std::string> ids(const cluster::GcReport& r) {
    std::vector<std::string> out;
    for (const auto& l : r.items) out.push_back(std::string(cluster::to_string(l.kind)) + " " + l.id);
    return out;
  }

  Sandbox sandbox;
  Config config = fast_config(sandbox);
  s3::S3Client s3{config};
  testing_support::ScratchDir tmp;
  fs::path root;
};

TEST_F(ClusterGcSandbox, FindsAndRemovesLeftoversAndNeverALiveClustersResources) {
  make_clusters();
  if (HasFatalFailure()) return;
  const auto broken_fs = file_systems_of("gc-broken");
  const auto live_fs = file_systems_of("gc-live");
  ASSERT_EQ(broken_fs.size(), 1u) << "the failed create retains its EFS file system";
  ASSERT_EQ(live_fs.size(), 1u);
  upload("team-bucket", "stage/old.tar");
  upload("team-bucket", "other/outside-the-prefix.tar");
  upload("other-bucket", "stage/old.tar");
  state_dir("gc-live");
  state_dir("gc-gone");
  state_dir("gc-gone-too", "known_hosts");
  state_dir("notes", nullptr);  // holds no cluster's files
  fs::create_symlink(root / "gc-gone", root / "gc-link");

  cluster::GcOptions o = options();
  o.file_systems = true;
  // Uploads are young: none is listed by default (older than 24 hours).
  auto young = cluster::find_leftovers(config, o);
  ASSERT_TRUE(young.ok()) << young.error().to_string();
  for (const auto& l : young->items) EXPECT_NE(l.kind, cluster::LeftoverKind::kUpload) << l.id;

  // A day later, the upload under the bucket and prefix is.
  o.now = std::chrono::system_clock::now() + 25h;
  auto found = cluster::find_leftovers(config, o);
  ASSERT_TRUE(found.ok()) << found.error().to_string();
  const std::vector<std::string> expected = {
      "stack gc-broken", "upload stage/old.tar", "efs " + broken_fs[0],
      "state-dir " + (root / "gc-gone").string(), "state-dir " + (root / "gc-gone-too").string()};
  EXPECT_EQ(ids(*found), expected);
  for (const auto& l : found->items) {
    EXPECT_NE(l.cluster, "gc-live") << l.id;
    EXPECT_FALSE(l.reason.empty()) << l.id;
    ASSERT_TRUE(l.age.has_value()) << l.id;
    if (l.kind == cluster::LeftoverKind::kUpload) {
      EXPECT_EQ(l.bucket, "team-bucket");
      EXPECT_GE(*l.age, 24h);
    }
    if (l.kind == cluster::LeftoverKind::kStack) {
      EXPECT_NE(l.reason.find("ROLLBACK_COMPLETE"), std::string::npos) << l.reason;
    }
  }

  // Finding changed nothing.
  EXPECT_EQ(stack_status("gc-broken"), "ROLLBACK_COMPLETE");
  EXPECT_EQ(uploads().size(), 3u);
  EXPECT_TRUE(fs::exists(root / "gc-gone" / "hostfile"));
  EXPECT_EQ(file_systems_of("gc-broken"), broken_fs);

  std::vector<std::string> said;
  o.on_event = [&said](const cluster::ClusterEvent& e) { said.push_back(e.message); };
  auto removed = cluster::remove_leftovers(config, *found, o);
  ASSERT_TRUE(removed.ok()) << removed.error().to_string();
  EXPECT_EQ(stack_status("gc-broken"), "ClusterNotFound");
  EXPECT_TRUE(file_systems_of("gc-broken").empty());
  EXPECT_EQ(uploads(), (std::vector<std::string>{"other-bucket/stage/old.tar", "team-bucket/other/outside-the-prefix.tar"}));
  EXPECT_FALSE(fs::exists(root / "gc-gone"));
  EXPECT_FALSE(fs::exists(root / "gc-gone-too"));
  EXPECT_TRUE(fs::is_symlink(root / "gc-link")) << "a link is never followed nor removed";
  auto said_has = [&said](const std::string& text) {
    return std::any_of(said.begin(), said.end(), [&](const std::string& m) { return m.find(text) != std::string::npos; });
  };
  EXPECT_TRUE(said_has("stack gc-broken deleted"));
  EXPECT_TRUE(said_has("upload stage/old.tar (s3://team-bucket) aborted"));
  EXPECT_TRUE(said_has("EFS file system " + broken_fs[0] + " deleted"));
  EXPECT_TRUE(said_has("state directory " + (root / "gc-gone").string() + " removed"));

  // The live cluster is untouched, and nothing is left to find.
  EXPECT_EQ(stack_status("gc-live"), "CREATE_COMPLETE");
  EXPECT_EQ(file_systems_of("gc-live"), live_fs);
  EXPECT_TRUE(fs::exists(root / "gc-live" / "hostfile"));
  EXPECT_TRUE(fs::exists(root / "notes"));
  auto again = cluster::find_leftovers(config, o);
  ASSERT_TRUE(again.ok()) << again.error().to_string();
  EXPECT_TRUE(again->items.empty()) << ::testing::PrintToString(ids(*again));

  cluster::DeleteOptions d;
  d.poll_interval = 100ms;
  d.delete_file_system = true;
  EXPECT_TRUE(cluster::Clusters(config).remove("gc-live", d).ok());
}

TEST_F(ClusterGcSandbox, RemoveLeavesAClusterThatExistsAgainSinceTheReport) {
  cluster::Clusters clusters(config);
  ASSERT_TRUE(sandbox.control("POST", "/_sandbox/services/cloudformation/fail",
                              R"({"stack":"gc-again","logical_id":"WorkerGroup","reason":"no capacity"})")
                  .ok());
  ASSERT_FALSE(clusters.create(spec("gc-again"), create_options()).ok());
  state_dir("gc-again");
  const auto efs_before = file_systems_of("gc-again");
  ASSERT_EQ(efs_before.size(), 1u);
  cluster::GcOptions o = options();
  o.file_systems = true;
  auto found = cluster::find_leftovers(config, o);
  ASSERT_TRUE(found.ok()) << found.error().to_string();
  ASSERT_EQ(ids(*found), (std::vector<std::string>{"stack gc-again", "efs " + efs_before[0],
                                                   "state-dir " + (root / "gc-again").string()}));

  // Meanwhile the failed cluster is deleted and made again, and this time it comes up.
  cluster::DeleteOptions d;
  d.poll_interval = 100ms;
  d.delete_file_system = true;
  ASSERT_TRUE(clusters.remove("gc-again", d).ok());
  auto again = clusters.create(spec("gc-again"), create_options());
  ASSERT_TRUE(again.ok()) << again.error().to_string();

  const auto efs_now = file_systems_of("gc-again");
  std::vector<std::string> said;
  o.on_event = [&said](const cluster::ClusterEvent& e) { said.push_back(e.message); };
  auto removed = cluster::remove_leftovers(config, *found, o);
  ASSERT_TRUE(removed.ok()) << removed.error().to_string();
  EXPECT_EQ(stack_status("gc-again"), "CREATE_COMPLETE");
  EXPECT_TRUE(fs::exists(root / "gc-again" / "hostfile"));
  EXPECT_EQ(file_systems_of("gc-again"), efs_now);
  EXPECT_EQ(said, (std::vector<std::string>{
                      "stack gc-again changed since it was listed (CREATE_COMPLETE): left alone",
                      "EFS file system " + efs_before[0] + " is in use again: left alone",
                      "cluster gc-again exists again: " + (root / "gc-again").string() + " left alone"}));
  EXPECT_TRUE(clusters.remove("gc-again", d).ok());
}

TEST_F(ClusterGcSandbox, AFailedClustersFsxFileSystemOnlyWithFileSystems) {
  cluster::Clusters clusters(config);
  auto s = spec("gc-lustre");
  s.shared = cluster::SharedStorage::kFsxLustre;
  ASSERT_TRUE(sandbox.control("POST", "/_sandbox/services/cloudformation/fail",
                              R"({"stack":"gc-lustre","logical_id":"WorkerGroup","reason":"no capacity"})")
                  .ok());
  auto failed = clusters.create(s, create_options());
  ASSERT_FALSE(failed.ok());
  ASSERT_EQ(failed.error().code, "ClusterCreateFailed") << failed.error().to_string();
  auto lustre = [this] {
    std::vector<std::string> out;
    auto all = fsx::FsxClient(config).describe_file_systems();
    EXPECT_TRUE(all.ok()) << all.error().to_string();
    if (all.ok())
      for (const auto& f : *all)
        for (const auto& [k, v] : f.tags)
          if (k == cluster::kClusterTag && v == "gc-lustre" && f.lifecycle != "DELETING") out.push_back(f.file_system_id);
    return out;
  };
  // A created FSx file system goes with its stack (it lives in the stack's subnet): the
  // rollback deleted it.
  EXPECT_TRUE(lustre().empty()) << "the failed create's rollback deleted its FSx file system";
  // One left by an older awsdl, whose template retained it: a stack with the file system (and
  // the network it needs) retained, deleted.
  cloudformation::CloudFormationClient cfn(config);
  cloudformation::CreateStackRequest old;
  old.stack_name = "gc-old-template";
  old.template_body = R"({"Resources": {
    "Vpc": {"Type": "AWS::EC2::VPC", "DeletionPolicy": "Retain", "Properties": {"CidrBlock": "10.9.0.0/16"}},
    "Subnet": {"Type": "AWS::EC2::Subnet", "DeletionPolicy": "Retain",
               "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.9.1.0/24"}},
    "Lustre": {"Type": "AWS::FSx::FileSystem", "DeletionPolicy": "Retain",
               "Properties": {"FileSystemType": "LUSTRE", "StorageCapacity": 1200, "SubnetIds": [{"Ref": "Subnet"}],
                              "LustreConfiguration": {"DeploymentType": "SCRATCH_2"},
                              "Tags": [{"Key": "awsdl:cluster", "Value": "gc-lustre"}]}}}})";
  ASSERT_TRUE(cfn.create_stack(old).ok());
  auto settled = [&](const std::string& want) {
    for (int i = 0; i < 300; ++i) {
      auto st = cfn.describe_stacks("gc-old-template");
      if (st.ok() && !st->empty() && st->front().status == want) return true;
      if (!st.ok() && want == "DELETE_COMPLETE") return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  };
  ASSERT_TRUE(settled("CREATE_COMPLETE"));
  ASSERT_TRUE(cfn.delete_stack("gc-old-template").ok());
  ASSERT_TRUE(settled("DELETE_COMPLETE"));
  const auto kept = lustre();
  ASSERT_EQ(kept.size(), 1u) << "the older template's FSx file system is left";

  auto without = cluster::find_leftovers(config, options());
  ASSERT_TRUE(without.ok()) << without.error().to_string();
  EXPECT_EQ(ids(*without), std::vector<std::string>{"stack gc-lustre"});
  cluster::GcOptions o = options();
  o.file_systems = true;
  auto with = cluster::find_leftovers(config, o);
  ASSERT_TRUE(with.ok()) << with.error().to_string();
  EXPECT_EQ(ids(*with), (std::vector<std::string>{"stack gc-lustre", "fsx " + kept[0]}));
  ASSERT_TRUE(cluster::remove_leftovers(config, *with, o).ok());
  EXPECT_EQ(stack_status("gc-lustre"), "ClusterNotFound");
  EXPECT_TRUE(lustre().empty());
}

TEST_F(ClusterGcSandbox, BadOptionsAreRefusedBeforeAnyCall) {
  ASSERT_TRUE(sandbox.clear_requests().ok());
  cluster::GcOptions o = options();
  o.older_than = 0s;
  auto zero = cluster::find_leftovers(config, o);
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(zero.error().code, "InvalidGcOptions");
  EXPECT_EQ(zero.error().kind, ErrorKind::kInvalidArgument);
  o = options();
  o.bucket.clear();
  auto prefix_alone = cluster::find_leftovers(config, o);
  ASSERT_FALSE(prefix_alone.ok());
  EXPECT_EQ(prefix_alone.error().code, "InvalidGcOptions");
  auto r = sandbox.requests();
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
}

TEST_F(ClusterGcSandbox, RemoveRefusesADirectoryOutsideTheStateRoot) {
  fs::create_directories(tmp / "elsewhere" / "c1");
  std::ofstream(tmp / "elsewhere" / "c1" / "hostfile") << "x\n";
  cluster::GcReport forged;
  forged.items.push_back({cluster::LeftoverKind::kStateDir, (tmp / "elsewhere" / "c1").string(), {}, {}, "c1", {}, "?"});
  auto removed = cluster::remove_leftovers(config, forged, options());
  ASSERT_FALSE(removed.ok());
  EXPECT_EQ(removed.error().code, "NotAStateDirectory");
  EXPECT_TRUE(fs::exists(tmp / "elsewhere" / "c1" / "hostfile"));
}

class ClusterGcCli : public ClusterGcSandbox {
 protected:
  testsupport::ProcessResult cli(std::vector<std::string> args) const {
    args.insert(args.begin(), "gc");
    args.insert(args.end(), {"--endpoint-url", sandbox.endpoint(), "--state-root", root.string(), "--poll-interval", "0.1"});
    auto env = Sandbox::cli_env(tmp.path().string());
    env["AWS_ENDPOINT_URL"] = sandbox.endpoint();
    return testsupport::run_process(kBinary, args, env, std::chrono::seconds(120));
  }
};

TEST_F(ClusterGcCli, BadInputExits2WithoutACall) {
  ASSERT_TRUE(fs::exists(kBinary)) << kBinary << " is not built";
  ASSERT_TRUE(sandbox.clear_requests().ok());
  for (std::vector<std::string> args : {std::vector<std::string>{"--older-than", "0"}, {"--older-than", "abc"},
                                        {"--older-than", "-1h"}, {"--older-than", "5w"}, {"--prefix", "stage/"},
                                        {"--bogus"}, {"--dry-run", "extra"}}) {
    auto r = cli(args);
    EXPECT_EQ(r.exit_code, 2) << args[0] << " " << (args.size() > 1 ? args[1] : "") << "\n" << r.out << r.err;
    EXPECT_NE(r.err.find("error"), std::string::npos) << r.err;
  }
  auto r = cli({"--older-than", "abc"});
  EXPECT_NE(r.err.find("--older-than"), std::string::npos) << r.err;
  // Removing without a terminal needs --yes.
  auto no_yes = cli({"--bucket", "team-bucket"});
  EXPECT_EQ(no_yes.exit_code, 2) << no_yes.out << no_yes.err;
  EXPECT_NE(no_yes.err.find("--yes"), std::string::npos) << no_yes.err;
  auto requests = sandbox.requests();
  ASSERT_TRUE(requests.ok());
  EXPECT_TRUE(requests->empty());
}

TEST_F(ClusterGcCli, DryRunListsAndChangesNothingThenYesRemoves) {
  ASSERT_TRUE(fs::exists(kBinary)) << kBinary << " is not built";
  make_clusters();
  if (HasFatalFailure()) return;
  upload("team-bucket", "stage/old.tar");
  upload("other-bucket", "stage/old.tar");
  state_dir("gc-live");
  state_dir("gc-gone");
  std::this_thread::sleep_for(1100ms);  // the uploads are now older than --older-than 1s

  auto dry = cli({"--dry-run", "--bucket", "team-bucket", "--older-than", "1s"});
  ASSERT_EQ(dry.exit_code, 0) << dry.out << dry.err;
  std::printf("%s", dry.out.c_str());
  EXPECT_NE(dry.out.find("3 leftovers in us-east-1"), std::string::npos) << dry.out;
  EXPECT_NE(dry.out.find("gc-broken"), std::string::npos) << dry.out;
  EXPECT_NE(dry.out.find("s3://team-bucket/stage/old.tar"), std::string::npos) << dry.out;
  EXPECT_NE(dry.out.find((root / "gc-gone").string()), std::string::npos) << dry.out;
  EXPECT_EQ(dry.out.find("gc-live"), std::string::npos) << dry.out;
  EXPECT_EQ(dry.out.find("other-bucket"), std::string::npos) << dry.out;
  EXPECT_NE(dry.out.find("dry run: nothing was removed"), std::string::npos) << dry.out;
  EXPECT_EQ(stack_status("gc-broken"), "ROLLBACK_COMPLETE");
  EXPECT_EQ(uploads().size(), 2u);
  EXPECT_TRUE(fs::exists(root / "gc-gone"));

  auto gc = cli({"--yes", "--bucket", "team-bucket", "--older-than", "1s"});
  ASSERT_EQ(gc.exit_code, 0) << gc.out << gc.err;
  std::printf("%s", gc.out.c_str());
  EXPECT_NE(gc.out.find("removed 3 leftovers"), std::string::npos) << gc.out;
  EXPECT_EQ(stack_status("gc-broken"), "ClusterNotFound");
  EXPECT_EQ(uploads(), std::vector<std::string>{"other-bucket/stage/old.tar"});
  EXPECT_FALSE(fs::exists(root / "gc-gone"));
  EXPECT_TRUE(fs::exists(root / "gc-live" / "hostfile"));
  EXPECT_EQ(stack_status("gc-live"), "CREATE_COMPLETE");

  auto json = cli({"--dry-run", "--output", "json", "--bucket", "team-bucket", "--older-than", "1s"});
  ASSERT_EQ(json.exit_code, 0) << json.out << json.err;
  EXPECT_EQ(json.out, "{\"leftovers\":[],\"removed\":false}\n");

  cluster::DeleteOptions d;
  d.poll_interval = 100ms;
  d.delete_file_system = true;
  EXPECT_TRUE(cluster::Clusters(config).remove("gc-live", d).ok());
}

}  // namespace
}  // namespace awsdl
