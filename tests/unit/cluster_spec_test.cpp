#include "awsdl/cluster/spec.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace awsdl::cluster {
namespace {

ClusterSpec good() {
  return ClusterSpec{.name = "maskrcnn", .instance_type = "p3.16xlarge", .workers = 8, .min_workers = 4,
                     .ssh_cidr = "203.0.113.0/24", .key_name = "team"};
}

// The one problem a spec with one bad field has, as "field message".
std::string only_problem(const ClusterSpec& s) {
  auto problems = check(s);
  EXPECT_EQ(problems.size(), 1u);
  if (problems.size() != 1) return {};
  return problems[0].field + " " + problems[0].message;
}

TEST(ClusterSpec, DefaultsFromTheDesignExampleAreValid) {
  auto s = good();
  EXPECT_TRUE(check(s).empty());
  EXPECT_TRUE(validate(s).ok());
  EXPECT_EQ(s.effective_min_workers(), 4);
  s.min_workers.reset();
  EXPECT_EQ(s.effective_min_workers(), 8);
  EXPECT_EQ(s.ssm_parameter, std::string(kDefaultDlamiParameter));
  EXPECT_EQ(s.mount_point, "/efs");
}

TEST(ClusterSpec, StackNameRules) {
  auto s = good();
  s.name = "";
  EXPECT_EQ(only_problem(s), "name must be set (it names the CloudFormation stack)");
  s.name = "1cluster";
  EXPECT_EQ(only_problem(s), "name must start with a letter, got '1cluster'");
  s.name = "my_cluster";
  EXPECT_EQ(only_problem(s),
            "name may hold only letters, digits and hyphens (a CloudFormation stack name), got 'my_cluster'");
  s.name = std::string(129, 'a');
  EXPECT_EQ(only_problem(s), "name must be at most 128 characters, got 129");
  s.name = std::string(128, 'a');
  EXPECT_TRUE(check(s).empty());
  s.name = "Team-7-run";
  EXPECT_TRUE(check(s).empty());
}

TEST(ClusterSpec, CidrRules) {
  auto s = good();
  for (const char* ok : {"0.0.0.0/0", "10.0.0.0/8", "198.51.100.7/32", "203.0.113.0/24"}) {
    s.ssh_cidr = ok;
    EXPECT_TRUE(check(s).empty()) << ok;
  }
  for (const char* bad : {"203.0.113.0", "203.0.113/24", "256.0.0.0/8", "10.0.0.0/33", "10.0.0.0/", "a.b.c.d/8",
                          "010.0.0.0/8", "10.0.0.0/08", "10.0.0.0.0/8", "2001:db8::/32", " 10.0.0.0/8"}) {
    s.ssh_cidr = bad;
    auto problems = check(s);
    ASSERT_EQ(problems.size(), 1u) << bad;
    EXPECT_EQ(problems[0].field, "ssh_cidr") << bad;
  }
  s.ssh_cidr = "203.0.113.5/24";
  EXPECT_EQ(only_problem(s),
            "ssh_cidr has host bits set: '203.0.113.5/24' is not a network address (did you mean 203.0.113.0/24?)");
  s.ssh_cidr = "";
  EXPECT_EQ(only_problem(s),
            "ssh_cidr must be set to the IPv4 CIDR block allowed to SSH to the master (such as 203.0.113.0/24)");
}

TEST(ClusterSpec, InstanceTypeSyntax) {
  auto s = good();
  for (const char* ok : {"p4d.24xlarge", "g5.xlarge", "trn1n.32xlarge", "u-6tb1.metal", "m7i-flex.large"}) {
    s.instance_type = ok;
    EXPECT_TRUE(check(s).empty()) << ok;
  }
  for (const char* bad : {"", "p3", "p3.", ".large", "P3.16xlarge", "p3.16xlarge ", "p3_16xlarge", "3p.large"}) {
    s.instance_type = bad;
    auto problems = check(s);
    ASSERT_EQ(problems.size(), 1u) << bad;
    EXPECT_EQ(problems[0].field, "instance_type");
  }
}

TEST(ClusterSpec, CountsAndRanges) {
  auto s = good();
  s.workers = 0;
  s.min_workers.reset();
  EXPECT_EQ(only_problem(s), "workers must be between 1 and 10000, got 0");
  s.workers = -3;
  EXPECT_EQ(only_problem(s), "workers must be between 1 and 10000, got -3");
  s = good();
  s.min_workers = 0;
  EXPECT_EQ(only_problem(s), "min_workers must be between 1 and 10000, got 0");
  s.min_workers = 9;
  EXPECT_EQ(only_problem(s), "min_workers must not exceed workers (8), got 9");
  s.min_workers = 8;
  EXPECT_TRUE(check(s).empty());
  s.volume_size_gb = 7;
  EXPECT_EQ(only_problem(s), "volume_size_gb must be between 8 and 16384 GiB, got 7");
  s.volume_size_gb = 16385;
  EXPECT_EQ(only_problem(s), "volume_size_gb must be between 8 and 16384 GiB, got 16385");
  s.volume_size_gb = 16384;
  EXPECT_TRUE(check(s).empty());
  s.training.slots_per_node = -1;
  EXPECT_EQ(check(s).at(0).field, "training.slots_per_node");
}

// One table of ranges: check(), the INI file and the flags (whole_setting_range) agree.
TEST(ClusterSpec, WholeNumbersHaveOneTableOfRanges) {
  auto s = good();
  s.workers = 10001;
  s.min_workers.reset();
  EXPECT_EQ(only_problem(s), "workers must be between 1 and 10000, got 10001");
  s.workers = 10000;
  EXPECT_TRUE(check(s).empty());
  s.training.slots_per_node = 4097;
  EXPECT_EQ(only_problem(s), "training.slots_per_node must be between 1 and 4096, got 4097");
  s.training.slots_per_node = 4096;
  EXPECT_TRUE(check(s).empty());
  s.training.slots_per_node = 0;  // one per GPU
  EXPECT_TRUE(check(s).empty());

  struct Case {
    const char* key;
    int lo, hi;
  };
  for (auto [key, lo, hi] : {Case{"cluster.workers", 1, 10000}, Case{"cluster.min_workers", 1, 10000},
                             Case{"cluster.volume_size", 8, 16384}, Case{"training.slots_per_node", 1, 4096}}) {
    auto r = whole_setting_range(key);
    ASSERT_TRUE(r.has_value()) << key;
    EXPECT_EQ(r->lo, lo) << key;
    EXPECT_EQ(r->hi, hi) << key;
  }
  EXPECT_FALSE(whole_setting_range("cluster.name").has_value());
  EXPECT_FALSE(whole_setting_range("cluster.nope").has_value());
  EXPECT_FALSE(whole_setting_range("workers").has_value());
}

TEST(ClusterSpec, KeyImageStorageAndBucket) {
  auto s = good();
  s.key_name = "";
  EXPECT_EQ(only_problem(s), "key_name must name an EC2 key pair (it is required to SSH to the master)");
  s = good();
  s.image_id = "ami-12345";
  EXPECT_EQ(check(s).at(0).field, "image_id");
  s.image_id = "ami-0123456789abcdef0";
  EXPECT_TRUE(check(s).empty());
  s.ssm_parameter = "not a path";  // ignored when an AMI id is given
  EXPECT_TRUE(check(s).empty());
  s.image_id = "";
  EXPECT_EQ(check(s).at(0).field, "ssm_parameter");
  s = good();
  s.efs_id = "fs-xyz";
  EXPECT_EQ(only_problem(s), "efs_id must be an EFS file system id such as fs-0123456789abcdef0, got 'fs-xyz'");
  s.efs_id = "fs-0123abcd";
  EXPECT_TRUE(check(s).empty());
  for (const char* bad : {"efs", "/", "/efs/", "/a b", "/efs;rm -rf", "/$(id)", "/a/../b", "/etc"}) {
    s.mount_point = bad;
    EXPECT_EQ(check(s).at(0).field, "mount_point") << bad;
  }
  s.mount_point = "/mnt/shared_data-1";
  EXPECT_TRUE(check(s).empty());
  for (const std::string& bad : std::vector<std::string>{"ab", "Team-Bucket", "bucket_", "-bucket", "a..b", std::string(64, 'a')}) {
    s.staging_bucket = bad;
    EXPECT_EQ(check(s).at(0).field, "staging_bucket") << bad;
  }
  s.staging_bucket = "team.bucket-1";
  EXPECT_TRUE(check(s).empty());
  s.availability_zone = "us-east-1";  // a region, not a zone
  EXPECT_EQ(check(s).at(0).field, "availability_zone");
  s.availability_zone = "US-EAST-1A";
  EXPECT_EQ(check(s).at(0).field, "availability_zone");
  s.availability_zone = "us-east-1a";
  s.ssh.user = "root;";
  EXPECT_EQ(check(s).at(0).field, "ssh.user");
}

TEST(ClusterSpec, ValidateNamesEveryBadFieldAsInvalidArgument) {
  ClusterSpec s;
  s.name = "ok-name";
  s.workers = 0;
  auto st = validate(s);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(st.error().code, "InvalidClusterSpec");
  const auto& m = st.error().message;
  EXPECT_NE(m.find("'ok-name'"), std::string::npos) << m;
  EXPECT_NE(m.find("workers must be between 1 and 10000"), std::string::npos) << m;
  EXPECT_NE(m.find("ssh_cidr must be set"), std::string::npos) << m;
  EXPECT_NE(m.find("key_name must name an EC2 key pair"), std::string::npos) << m;
}

// ---- INI loading ----------------------------------------------------------------------

constexpr const char* kMinimal = R"INI(
[cluster]
name = demo
key_name = team
workers = 3

[network]
ssh_cidr = 198.51.100.0/24
)INI";

std::string load_error(std::string_view text, const std::vector<SpecOverride>& overrides = {}) {
  auto r = parse_cluster_spec(text, "c.ini", overrides);
  EXPECT_FALSE(r.ok());
  if (r.ok()) return {};
  EXPECT_TRUE(r.error().kind == ErrorKind::kInvalidArgument || r.error().kind == ErrorKind::kParse);
  return r.error().message;
}

TEST(ClusterIni, LoadsEveryKey) {
  auto r = parse_cluster_spec(R"INI(
[cluster]
name = big
instance_type = p4d.24xlarge
workers = 64
min_workers = 60
image = ami-0123456789abcdef0
key_name = "team key"
volume_size = 500
placement_group = no
staging_bucket = team-bucket
[network]
ssh_cidr = 10.1.0.0/16
availability_zone = us-west-2b
[storage]
efs_id = fs-0123456789abcdef0
mount_point = /shared
[ssh]
user = ec2-user
key_path = ~/.ssh/team.pem
[training]
slots_per_node = 8
mpirun_options = "-x NCCL_DEBUG=INFO --mca btl_tcp_if_exclude lo,docker0"
)INI",
                              "c.ini");
  ASSERT_TRUE(r.ok()) << r.error().message;
  const auto& s = *r;
  EXPECT_EQ(s.name, "big");
  EXPECT_EQ(s.instance_type, "p4d.24xlarge");
  EXPECT_EQ(s.workers, 64);
  EXPECT_EQ(s.min_workers, 60);
  EXPECT_EQ(s.image_id, "ami-0123456789abcdef0");
  EXPECT_EQ(s.key_name, "team key");
  EXPECT_EQ(s.volume_size_gb, 500);
  EXPECT_FALSE(s.placement_group);
  EXPECT_EQ(s.staging_bucket, "team-bucket");
  EXPECT_EQ(s.ssh_cidr, "10.1.0.0/16");
  EXPECT_EQ(s.availability_zone, "us-west-2b");
  EXPECT_EQ(s.efs_id, "fs-0123456789abcdef0");
  EXPECT_EQ(s.mount_point, "/shared");
  EXPECT_EQ(s.ssh.user, "ec2-user");
  EXPECT_EQ(s.ssh.key_path, "~/.ssh/team.pem");
  EXPECT_EQ(s.training.slots_per_node, 8);
  EXPECT_EQ(s.training.mpirun_options, "-x NCCL_DEBUG=INFO --mca btl_tcp_if_exclude lo,docker0");
  EXPECT_EQ(cluster_ini_keys().size(), 33u);
}

TEST(ClusterIni, DefaultsFillWhatTheFileOmits) {
  auto r = parse_cluster_spec(kMinimal, "c.ini");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->instance_type, ClusterSpec{}.instance_type);
  EXPECT_FALSE(r->min_workers.has_value());
  EXPECT_TRUE(r->placement_group);
  EXPECT_EQ(r->ssm_parameter, std::string(kDefaultDlamiParameter));
}

TEST(ClusterIni, UnknownSectionsAndKeysNameFileAndLine) {
  EXPECT_EQ(load_error("[cluster]\nname = x\n[clutser]\nworkers = 2\n"),
            "c.ini:3: unknown section [clutser] (expected [cluster], [network], [storage], [ssh] or [training])");
  EXPECT_EQ(load_error("[cluster]\nname = x\nworker = 2\n"),
            "c.ini:3: unknown key 'worker' in [cluster] (did you mean 'workers'?)");
  EXPECT_EQ(load_error("[network]\nssh_cidr = 10.0.0.0/8\nefs_id = fs-0123abcd\n"),
            "c.ini:3: unknown key 'efs_id' in [network]");
}

TEST(ClusterIni, BadValuesNameFileLineAndKey) {
  EXPECT_EQ(load_error("[cluster]\nworkers = eight\n"), "c.ini:2: [cluster] workers must be a whole number, got 'eight'");
  EXPECT_EQ(load_error("[cluster]\nplacement_group = maybe\n"),
            "c.ini:2: [cluster] placement_group must be yes or no, got 'maybe'");
  EXPECT_EQ(load_error("[training]\nslots_per_node = lots\n"),
            "c.ini:2: [training] slots_per_node must be 'auto' (one slot per GPU) or a whole number between 1 and "
            "4096, got 'lots'");
  // Semantic problems point at the line that set the value.
  std::string text = std::string(kMinimal) + "[storage]\nmount_point = relative\n";
  EXPECT_EQ(load_error(text),
            "c.ini:10: [storage] mount_point must be an absolute path of letters, digits, '.', '_', '-' and '/' "
            "such as /efs, got 'relative'");
  EXPECT_EQ(load_error("[cluster]\nname = demo\nkey_name = k\nworkers = 0\n[network]\nssh_cidr = 10.0.0.1/8\n"),
            "2 problems in the cluster configuration:\n"
            "  c.ini:4: [cluster] workers must be between 1 and 10000, got 0\n"
            "  c.ini:6: [network] ssh_cidr has host bits set: '10.0.0.1/8' is not a network address (did you mean "
            "10.0.0.0/8?)");
  // A required value the file never sets is reported against the file.
  EXPECT_EQ(load_error("[cluster]\nname = demo\nkey_name = k\n"),
            "c.ini: [network] ssh_cidr must be set to the IPv4 CIDR block allowed to SSH to the master (such as "
            "203.0.113.0/24)");
  EXPECT_EQ(load_error("[cluster]\nimage = ami-0123abcd\nssm_parameter = /a/b\n"),
            "c.ini:3: [cluster] sets both image (line 2) and ssm_parameter (line 3): set one");
}

TEST(ClusterIni, WholeNumbersAreHeldToTheFlagsRanges) {
  const std::string head = "[cluster]\nname = demo\nkey_name = k\n";
  const std::string tail = "[network]\nssh_cidr = 10.0.0.0/8\n";
  EXPECT_EQ(load_error(head + "workers = 2147483647\n" + tail),
            "c.ini:4: [cluster] workers must be between 1 and 10000, got 2147483647");
  EXPECT_EQ(load_error(head + "workers = 99999999999\n" + tail),
            "c.ini:4: [cluster] workers must be between 1 and 10000, got '99999999999'");
  EXPECT_EQ(load_error(head + "min_workers = 20000\n" + tail),
            "c.ini:4: [cluster] min_workers must be between 1 and 10000, got 20000");
  EXPECT_EQ(load_error(head + "volume_size = 2147483647\n" + tail),
            "c.ini:4: [cluster] volume_size must be between 8 and 16384 GiB, got 2147483647");
  for (const char* bad : {"0", "4097", "-1", "2147483648"})
    EXPECT_EQ(load_error(head + tail + "[training]\nslots_per_node = " + bad + "\n"),
              "c.ini:7: [training] slots_per_node must be 'auto' (one slot per GPU) or a whole number between 1 "
              "and 4096, got '" + std::string(bad) + "'");
  auto ok = parse_cluster_spec(head + "workers = 10000\n" + tail + "[training]\nslots_per_node = 4096\n", "c.ini");
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->workers, 10000);
  EXPECT_EQ(ok->training.slots_per_node, 4096);
  // An override (a program's flag) is held to the same range.
  EXPECT_EQ(load_error(kMinimal, {{"training.slots_per_node", "0", "--slots-per-node"}}),
            "--slots-per-node: [training] slots_per_node must be 'auto' (one slot per GPU) or a whole number between "
            "1 and 4096, got '0'");
  EXPECT_EQ(load_error(kMinimal, {{"cluster.workers", "10001", "--workers"}}),
            "--workers: [cluster] workers must be between 1 and 10000, got 10001");
}

TEST(ClusterIni, SyntaxErrorsAreParseErrors) {
  auto r = parse_cluster_spec("[cluster\nname = x\n", "c.ini");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kParse);
  EXPECT_EQ(r.error().message, "c.ini:1: missing ']' after the section name");
}

TEST(ClusterIni, OverridesWinAndNameTheirSource) {
  auto r = parse_cluster_spec(kMinimal, "c.ini",
                              {{"cluster.workers", "16", "--workers"}, {"cluster.instance_type", "g5.48xlarge", ""}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->workers, 16);
  EXPECT_EQ(r->instance_type, "g5.48xlarge");

  EXPECT_EQ(load_error(kMinimal, {{"cluster.workers", "-1", "--workers"}}),
            "--workers: [cluster] workers must be between 1 and 10000, got -1");
  EXPECT_EQ(load_error(kMinimal, {{"cluster.workers", "x", "--workers"}}),
            "--workers: [cluster] workers must be a whole number, got 'x'");
  EXPECT_EQ(load_error(kMinimal, {{"cluster.wrokers", "2", ""}}),
            "override cluster.wrokers: unknown setting 'cluster.wrokers' (did you mean 'cluster.workers'?)");
  // The override's value is the one checked, and the error points at the override, not the file.
  EXPECT_EQ(load_error(kMinimal, {{"cluster.min_workers", "5", "--min-workers"}}),
            "--min-workers: [cluster] min_workers must not exceed workers (3), got 5");
}

TEST(ClusterIni, FromOverridesOnly) {
  auto r = cluster_spec_from_overrides(
      {{"cluster.name", "x"}, {"cluster.key_name", "k"}, {"network.ssh_cidr", "10.0.0.0/8"}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->name, "x");
  auto bad = cluster_spec_from_overrides({{"cluster.name", "x"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("configuration: [cluster] key_name must name an EC2 key pair"), std::string::npos)
      << bad.error().message;
}

TEST(ClusterIni, TheShippedExampleLoads) {
  auto r = load_cluster_spec(std::string(AWSDL_SOURCE_DIR) + "/examples/cluster/cluster.ini");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->name, "maskrcnn");
  EXPECT_EQ(r->workers, 4);
  EXPECT_EQ(r->min_workers, 2);
  EXPECT_EQ(r->ssh_cidr, "203.0.113.0/24");
  EXPECT_EQ(r->training.slots_per_node, 0);
  EXPECT_EQ(r->training.mpirun_options, "-x NCCL_DEBUG=INFO");
  EXPECT_TRUE(r->efs_id.empty());

  auto missing = load_cluster_spec("/nonexistent/cluster.ini");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, ErrorKind::kNotFound);
}


// ---- Capacity and shared storage (issue 15) -------------------------------------------

TEST(ClusterSpec, CapacityDefaultsKeepOneOnDemandType) {
  auto s = good();
  EXPECT_EQ(s.instance_type_list(), std::vector<std::string>{"p3.16xlarge"});
  EXPECT_EQ(s.capacity.market, Market::kOnDemand);
  EXPECT_EQ(s.shared, SharedStorage::kEfs);
  EXPECT_TRUE(check(s).empty());
}

TEST(ClusterSpec, InstanceTypeListRules) {
  auto s = good();
  s.capacity.instance_types = {"p4d.24xlarge", "p3dn.24xlarge", "p3.16xlarge"};
  EXPECT_TRUE(check(s).empty());
  s.capacity.instance_types = {"p4d.24xlarge", "p3dn.24xlarge", "p4d.24xlarge"};
  EXPECT_EQ(only_problem(s),
            "capacity.instance_types lists 'p4d.24xlarge' twice (each type once, in order of preference)");
  s.capacity.instance_types = {"p4d.24xlarge", ""};
  EXPECT_EQ(only_problem(s), "capacity.instance_types must be an EC2 instance type such as p4d.24xlarge, got ''");
}

TEST(ClusterSpec, MarketsAndSpotPrice) {
  auto s = good();
  s.capacity.market = Market::kSpotThenOnDemand;
  s.capacity.master_market = Market::kSpot;
  s.capacity.spot_max_price = 31.5;
  EXPECT_TRUE(check(s).empty());
  s.capacity.master_market = Market::kSpotThenOnDemand;
  EXPECT_NE(only_problem(s).find("capacity.master_market must be on-demand or spot"), std::string::npos);
  s.capacity.master_market = Market::kOnDemand;
  for (double bad : {-1.0, 0.0}) {
    s.capacity.spot_max_price = bad;
    EXPECT_NE(only_problem(s).find("capacity.spot_max_price must be a positive price in USD per instance-hour"),
              std::string::npos) << bad;
  }
  s.capacity.spot_max_price = 1000.01;
  EXPECT_NE(only_problem(s).find("capacity.spot_max_price must be at most 1000 USD per instance-hour"),
            std::string::npos);
  s.capacity.spot_max_price = 1000;
  EXPECT_TRUE(check(s).empty());
  s.capacity.market = Market::kOnDemand;  // a price with nothing on spot is a mistake
  EXPECT_NE(only_problem(s).find("capacity.spot_max_price is set but no instance is spot"), std::string::npos);
}

TEST(ClusterSpec, CandidateZonesAreZonesOfOneRegion) {
  auto s = good();
  s.capacity.availability_zones = {"us-east-1a", "us-east-1b", "us-west-2-lax-1a"};
  EXPECT_NE(only_problem(s).find("capacity.availability_zones mixes regions: 'us-west-2-lax-1a' is in us-west-2, "
                                 "'us-east-1a' in us-east-1"),
            std::string::npos);
  s.capacity.availability_zones = {"us-east-1a", "us-east-1"};
  EXPECT_EQ(only_problem(s),
            "capacity.availability_zones must be an availability zone name such as us-east-1a, got 'us-east-1'");
  s.capacity.availability_zones = {"us-east-1a", "us-east-1a"};
  EXPECT_EQ(only_problem(s), "capacity.availability_zones lists 'us-east-1a' twice");
  for (const char* bad : {"useast1a", "us-east-1ab", "US-EAST-1A", "us-east-a", "1a", "us-1a"}) {
    s.capacity.availability_zones = {bad};
    EXPECT_EQ(check(s).size(), 1u) << bad;
  }
  s.capacity.availability_zones = {"us-gov-west-1a", "us-gov-west-1b"};
  EXPECT_TRUE(check(s).empty());
  s.capacity.availability_zones = {"eu-west-1a", "eu-west-1c"};
  s.availability_zone = "eu-west-1c";  // where it starts: one of the candidates
  EXPECT_TRUE(check(s).empty());
  s.availability_zone = "eu-west-1b";
  EXPECT_NE(only_problem(s).find("availability_zone must be one of availability_zones ('eu-west-1b' is not)"),
            std::string::npos);
}

TEST(ClusterSpec, ReservationsAndCapacityBlocks) {
  auto s = good();
  s.capacity.capacity_reservation = "cr-0123456789abcdef0";
  EXPECT_TRUE(check(s).empty());
  s.capacity.capacity_reservation = "arn:aws:resource-groups:us-east-1:123456789012:group/p4d-pool";
  EXPECT_TRUE(check(s).empty());
  s.capacity.capacity_reservation = "arn:aws:ec2:us-east-1:123456789012:capacity-reservation/cr-0123456789abcdef0";
  EXPECT_NE(only_problem(s).find("capacity.capacity_reservation must be a capacity reservation id such as "
                                 "cr-0123456789abcdef0 or the ARN of a capacity reservation group"),
            std::string::npos);
  s.capacity.capacity_reservation = "cr-0123456789abcdef0";
  s.capacity.market = Market::kSpot;
  EXPECT_NE(only_problem(s).find("capacity.capacity_reservation is on-demand capacity"), std::string::npos);

  s = good();
  s.capacity.capacity_block = "cr-0123456789abcdef0";
  EXPECT_TRUE(check(s).empty());
  s.capacity.capacity_block = "arn:aws:resource-groups:us-east-1:123456789012:group/p4d-pool";
  EXPECT_NE(only_problem(s).find("capacity.capacity_block must be a capacity reservation id"), std::string::npos);
  s.capacity.capacity_block = "cr-0123456789abcdef0";
  s.capacity.market = Market::kSpot;
  EXPECT_NE(only_problem(s).find("capacity.capacity_block cannot be used with market spot"), std::string::npos);
  s.capacity.market = Market::kOnDemand;
  s.capacity.capacity_reservation = "cr-0123456789abcdef1";
  EXPECT_NE(only_problem(s).find("capacity.capacity_block and capacity_reservation are both set"), std::string::npos);
  s.capacity.capacity_reservation.clear();
  s.capacity.instance_types = {"p5.48xlarge", "p4d.24xlarge"};
  EXPECT_NE(only_problem(s).find("capacity.capacity_block holds one instance type"), std::string::npos);
  s.capacity.instance_types.clear();
  s.capacity.capacity_timeout_seconds = 59;
  EXPECT_EQ(only_problem(s), "capacity.capacity_timeout_seconds must be between 60 and 86400 seconds, got 59");
}

TEST(ClusterSpec, SharedStorageRules) {
  auto s = good();
  s.shared = SharedStorage::kFsxLustre;
  EXPECT_TRUE(check(s).empty());  // 1200 GiB SCRATCH_2
  for (int gib : {2400, 4800, 9600}) {
    s.fsx.capacity_gib = gib;
    EXPECT_TRUE(check(s).empty()) << gib;
  }
  for (int gib : {1300, 3600, 2401}) {
    s.fsx.capacity_gib = gib;
    EXPECT_EQ(only_problem(s), "fsx.capacity_gib must be a size SCRATCH_2 file systems come in: 1200, 2400 or a "
                               "multiple of 2400 GiB, got " + std::to_string(gib));
  }
  s.fsx.capacity_gib = 1000;
  EXPECT_EQ(only_problem(s), "fsx.capacity_gib must be between 1200 and 1000000 GiB, got 1000");
  s.fsx.capacity_gib = 2400;
  s.fsx.deployment = "PERSISTENT_1";
  EXPECT_EQ(only_problem(s), "fsx.deployment must be SCRATCH_2 or PERSISTENT_2, got 'PERSISTENT_1'");
  s.fsx.deployment = "PERSISTENT_2";
  s.fsx.import_path = "s3://team-bucket/datasets/coco";
  EXPECT_TRUE(check(s).empty());
  s.fsx.import_path = "https://team-bucket.s3.amazonaws.com/coco";
  EXPECT_NE(only_problem(s).find("fsx.import_path must be an S3 location such as s3://"), std::string::npos);
  s.fsx.import_path = "s3://Team_Bucket/coco";
  EXPECT_NE(only_problem(s).find("fsx.import_path must be an S3 location"), std::string::npos);
  s.fsx.import_path = "s3://team-bucket";
  s.fsx.id = "fs-0123456789abcdef0";
  EXPECT_NE(only_problem(s).find("fsx.import_path applies to a file system awsdl creates"), std::string::npos);
  s.fsx.import_path.clear();
  // A created file system lives in one zone: the cluster cannot move away from it.
  s.fsx.id.clear();
  s.capacity.availability_zones = {"us-east-1a", "us-east-1b"};
  EXPECT_NE(only_problem(s).find("capacity.availability_zones lists several zones, but the FSx for Lustre file system"),
            std::string::npos)
      << only_problem(s);
  s.fsx.id = "fs-0123456789abcdef0";  // a reused one stays where it is: the cluster may move
  EXPECT_TRUE(check(s).empty());
  s.capacity.availability_zones.clear();
  s.fsx.id = "fs-01234567";  // an EFS-style short id is not an FSx id
  EXPECT_EQ(only_problem(s), "fsx.id must be an FSx file system id such as fs-0123456789abcdef0, got 'fs-01234567'");
  s.fsx.id.clear();

  s.shared = SharedStorage::kNone;
  s.efs_id = "fs-0123456789abcdef0";
  EXPECT_EQ(only_problem(s), "efs_id is set but shared is not efs (set shared = efs, or remove efs_id)");
  s.efs_id.clear();
  s.fsx.id = "fs-0123456789abcdef0";
  EXPECT_NE(only_problem(s).find("fsx.id is set but shared is not fsx-lustre"), std::string::npos);
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The shipped example shows every key, set or commented out with a real value; the commented
// ones, uncommented in the groups that go together, load.
TEST(ClusterIni, TheShippedExampleShowsEveryKeyWithARealValue) {
  const std::string text = read_text(std::string(AWSDL_SOURCE_DIR) + "/examples/cluster/cluster.ini");
  ASSERT_FALSE(text.empty());
  for (const char* key : {"cluster.instance_types", "cluster.market", "cluster.master_market", "cluster.spot_allocation",
                          "cluster.spot_max_price", "cluster.availability_zones", "cluster.capacity_reservation",
                          "cluster.capacity_block", "cluster.efa", "cluster.capacity_timeout", "storage.shared",
                          "storage.fsx_capacity_gib", "storage.fsx_deployment", "storage.fsx_import_path",
                          "storage.fsx_id"}) {
    EXPECT_NE(std::find(cluster_ini_keys().begin(), cluster_ini_keys().end(), key), cluster_ini_keys().end()) << key;
    std::string name = std::string(key).substr(std::string(key).find('.') + 1);
    bool shown = text.find("\n" + name + " =") != std::string::npos || text.find("\n#" + name + " =") != std::string::npos;
    EXPECT_TRUE(shown) << key << " is not in examples/cluster/cluster.ini";
  }
  auto uncomment = [&](std::initializer_list<const char*> names) {
    std::string t = text;
    for (const char* n : names) {
      auto at = t.find("\n#" + std::string(n) + " =");
      EXPECT_NE(at, std::string::npos) << n;
      if (at != std::string::npos) t.erase(at + 1, 1);
    }
    return parse_cluster_spec(t, "cluster.ini");
  };
  auto capacity = uncomment({"instance_types", "market", "master_market", "spot_allocation", "spot_max_price",
                             "availability_zones", "efa", "capacity_timeout"});
  ASSERT_TRUE(capacity.ok()) << capacity.error().message;
  EXPECT_EQ(capacity->instance_type_list().size(), 3u);
  EXPECT_EQ(capacity->capacity.market, Market::kSpotThenOnDemand);
  EXPECT_EQ(capacity->capacity.availability_zones.size(), 3u);
  for (const char* one : {"capacity_reservation", "capacity_block"}) {
    auto r = uncomment({one});
    EXPECT_TRUE(r.ok()) << one << ": " << r.error().message;
  }
  auto fsx = uncomment({"shared", "fsx_capacity_gib", "fsx_deployment", "fsx_import_path"});
  ASSERT_TRUE(fsx.ok()) << fsx.error().message;
  EXPECT_EQ(fsx->shared, SharedStorage::kFsxLustre);
  EXPECT_EQ(fsx->fsx.import_path, "s3://team-bucket/datasets/coco");
  auto reuse = uncomment({"shared", "fsx_id"});
  ASSERT_TRUE(reuse.ok()) << reuse.error().message;
  EXPECT_EQ(reuse->fsx.id, "fs-0123456789abcdef0");
}

constexpr const char* kCapacityIni = R"INI(
[cluster]
name = big
key_name = team
workers = 16
instance_types = p4d.24xlarge, p3dn.24xlarge,p3.16xlarge
market = spot-then-on-demand
master_market = spot
spot_allocation = price-capacity-optimized
spot_max_price = 40.5
availability_zones = us-east-1a, us-east-1b
capacity_reservation = arn:aws:resource-groups:us-east-1:123456789012:group/p4d-pool
efa = yes
capacity_timeout = 900
[network]
ssh_cidr = 198.51.100.0/24
[storage]
shared = fsx-lustre
fsx_capacity_gib = 4800
fsx_deployment = PERSISTENT_2
fsx_import_path = s3://team-bucket/datasets
)INI";

TEST(ClusterIni, LoadsEveryCapacityAndStorageKey) {
  auto text = std::string(kCapacityIni);
  // A reservation is on-demand capacity: this file's workers are spot first.
  text.replace(text.find("capacity_reservation"), 20, "#capacity_reservation");
  // Several zones and a created FSx file system do not go together (the file system lives in one
  // zone): the whole file is refused, and each half loads without the other.
  auto both = parse_cluster_spec(text, "c.ini");
  ASSERT_FALSE(both.ok());
  EXPECT_NE(both.error().message.find("availability_zones lists several zones, but the FSx for Lustre file system"),
            std::string::npos)
      << both.error().message;
  auto storage_text = text;
  storage_text.replace(storage_text.find("availability_zones"), 18, "#availability_zones");
  auto storage = parse_cluster_spec(storage_text, "c.ini");
  ASSERT_TRUE(storage.ok()) << storage.error().message;
  EXPECT_EQ(storage->shared, SharedStorage::kFsxLustre);
  EXPECT_EQ(storage->fsx.capacity_gib, 4800);
  EXPECT_EQ(storage->fsx.deployment, "PERSISTENT_2");
  EXPECT_EQ(storage->fsx.import_path, "s3://team-bucket/datasets");
  auto r = parse_cluster_spec(text.substr(0, text.find("[storage]")), "c.ini");
  ASSERT_TRUE(r.ok()) << r.error().message;
  const auto& c = r->capacity;
  EXPECT_EQ(c.instance_types, (std::vector<std::string>{"p4d.24xlarge", "p3dn.24xlarge", "p3.16xlarge"}));
  EXPECT_EQ(r->instance_type, "p4d.24xlarge");  // the one-type shorthand follows the list's first choice
  EXPECT_EQ(r->instance_type_list().size(), 3u);
  EXPECT_EQ(c.market, Market::kSpotThenOnDemand);
  EXPECT_EQ(c.master_market, Market::kSpot);
  EXPECT_EQ(c.allocation, SpotAllocation::kPriceCapacityOptimized);
  ASSERT_TRUE(c.spot_max_price.has_value());
  EXPECT_DOUBLE_EQ(*c.spot_max_price, 40.5);
  EXPECT_EQ(c.availability_zones, (std::vector<std::string>{"us-east-1a", "us-east-1b"}));
  EXPECT_EQ(c.efa, EfaMode::kYes);
  EXPECT_EQ(c.capacity_timeout_seconds, 900);

  auto other = parse_cluster_spec("[cluster]\nname = demo\nkey_name = team\navailability_zones = auto\n"
                                  "capacity_block = cr-0123456789abcdef0\nefa = no\n[network]\nssh_cidr = 10.0.0.0/8\n"
                                  "[storage]\nshared = none\n",
                                  "c.ini");
  ASSERT_TRUE(other.ok()) << other.error().message;
  EXPECT_TRUE(other->capacity.availability_zones.empty());
  EXPECT_EQ(other->capacity.capacity_block, "cr-0123456789abcdef0");
  EXPECT_EQ(other->capacity.efa, EfaMode::kNo);
  EXPECT_EQ(other->shared, SharedStorage::kNone);
}

TEST(ClusterIni, BadCapacityValuesNameFileAndLine) {
  // The lines given start at line 4.
  auto cluster = [](const std::string& lines) {
    return "[cluster]\nname = demo\nkey_name = team\n" + lines + "[network]\nssh_cidr = 198.51.100.0/24\n";
  };
  EXPECT_EQ(load_error(cluster("instance_types =\n")),
            "c.ini:4: [cluster] instance_types must list at least one instance type (remove the key for the default)");
  EXPECT_EQ(load_error(cluster("instance_types = p4d.24xlarge,,p3.16xlarge\n")),
            "c.ini:4: [cluster] instance_types has an empty item in 'p4d.24xlarge,,p3.16xlarge' (separate the "
            "instance types with commas)");
  EXPECT_EQ(load_error(cluster("instance_types = p4d.24xlarge, p4d.24xlarge\n")),
            "c.ini:4: [cluster] instance_types lists 'p4d.24xlarge' twice (each type once, in order of preference)");
  EXPECT_EQ(load_error(cluster("market = cheap\n")),
            "c.ini:4: [cluster] market must be on-demand, spot or spot-then-on-demand, got 'cheap'");
  EXPECT_NE(load_error(cluster("master_market = spot-then-on-demand\n"))
                .find("c.ini:4: [cluster] master_market must be on-demand or spot"),
            std::string::npos);
  EXPECT_EQ(load_error(cluster("spot_allocation = lowest-price\n")),
            "c.ini:4: [cluster] spot_allocation must be capacity-optimized-prioritized or price-capacity-optimized, "
            "got 'lowest-price'");
  EXPECT_EQ(load_error(cluster("market = spot\nspot_max_price = -3\n")),
            "c.ini:5: [cluster] spot_max_price must be a positive price in USD per instance-hour, got -3");
  EXPECT_NE(load_error(cluster("market = spot\nspot_max_price = 5000\n"))
                .find("c.ini:5: [cluster] spot_max_price must be at most 1000 USD per instance-hour"),
            std::string::npos);
  EXPECT_EQ(load_error(cluster("spot_max_price = 1e3\n")),
            "c.ini:4: [cluster] spot_max_price must be a price in USD per instance-hour such as 12.50, got '1e3'");
  EXPECT_NE(load_error(cluster("availability_zones = us-east-1a, eu-west-1b\n"))
                .find("c.ini:4: [cluster] availability_zones mixes regions: 'eu-west-1b' is in eu-west-1"),
            std::string::npos);
  EXPECT_EQ(load_error(cluster("availability_zones = us-east-1a, east\n")),
            "c.ini:4: [cluster] availability_zones must be an availability zone name such as us-east-1a, got 'east'");
  EXPECT_NE(load_error(cluster("market = spot\ncapacity_block = cr-0123456789abcdef0\n"))
                .find("c.ini:5: [cluster] capacity_block cannot be used with market spot"),
            std::string::npos);
  EXPECT_NE(load_error(cluster("capacity_reservation = cr-0123456789abcdef0\ncapacity_block = cr-0123456789abcdef1\n"))
                .find("c.ini:5: [cluster] capacity_block and capacity_reservation are both set"),
            std::string::npos);
  EXPECT_EQ(load_error(cluster("efa = maybe\n")), "c.ini:4: [cluster] efa must be auto, yes or no, got 'maybe'");
  EXPECT_EQ(load_error(cluster("capacity_timeout = 10m\n")),
            "c.ini:4: [cluster] capacity_timeout must be a whole number, got '10m'");
  EXPECT_EQ(load_error(cluster("instance_type = g5.xlarge\ninstance_types = p4d.24xlarge, g5.xlarge\n")),
            "c.ini:5: [cluster] sets both instance_type (line 4) and instance_types (line 5) with a different "
            "first type: set one");
  EXPECT_TRUE(parse_cluster_spec(cluster("instance_type = g5.xlarge\ninstance_types = g5.xlarge, g6.xlarge\n"), "c.ini").ok());

  const std::string storage = std::string(kMinimal) + "[storage]\nshared = fsx-lustre\n";  // line 11 below
  EXPECT_EQ(load_error(std::string(kMinimal) + "[storage]\nshared = nfs\n"),
            "c.ini:10: [storage] shared must be efs, fsx-lustre or none, got 'nfs'");
  EXPECT_EQ(load_error(storage + "fsx_capacity_gib = 3000\n"),
            "c.ini:11: [storage] fsx_capacity_gib must be a size SCRATCH_2 file systems come in: 1200, 2400 or a "
            "multiple of 2400 GiB, got 3000");
  EXPECT_EQ(load_error(storage + "fsx_deployment = PERSISTENT_2\nfsx_capacity_gib = 1250\n"),
            "c.ini:12: [storage] fsx_capacity_gib must be a size PERSISTENT_2 file systems come in: 1200, 2400 or a "
            "multiple of 2400 GiB, got 1250");
  EXPECT_NE(load_error(storage + "fsx_import_path = /data/coco\n")
                .find("c.ini:11: [storage] fsx_import_path must be an S3 location such as s3://"),
            std::string::npos);
  // Flags override these keys like any other, and errors name the flag.
  EXPECT_EQ(load_error(kMinimal, {{"cluster.market", "spots", "--market"}}),
            "--market: [cluster] market must be on-demand, spot or spot-then-on-demand, got 'spots'");
  auto flags = parse_cluster_spec(kMinimal, "c.ini",
                                  {{"cluster.instance_types", "g5.48xlarge,g6.48xlarge", "--instance-types"},
                                   {"storage.shared", "none", "--shared"}});
  ASSERT_TRUE(flags.ok()) << flags.error().message;
  EXPECT_EQ(flags->instance_type_list(), (std::vector<std::string>{"g5.48xlarge", "g6.48xlarge"}));
  EXPECT_EQ(flags->shared, SharedStorage::kNone);
  // The one-type shorthand and the list: the later setting decides, and instance_type is always
  // the list's first choice.
  auto file_type = parse_cluster_spec(cluster("instance_type = p3.16xlarge\n"), "c.ini",
                                      {{"cluster.instance_types", "p4d.24xlarge,p3dn.24xlarge", "--instance-types"}});
  ASSERT_TRUE(file_type.ok()) << file_type.error().message;
  EXPECT_EQ(file_type->instance_type, "p4d.24xlarge");
  EXPECT_EQ(file_type->instance_type_list().size(), 2u);
  auto file_list = parse_cluster_spec(cluster("instance_types = p4d.24xlarge,p3dn.24xlarge\n"), "c.ini",
                                      {{"cluster.instance_type", "g5.xlarge", "--instance-type"}});
  ASSERT_TRUE(file_list.ok()) << file_list.error().message;
  EXPECT_EQ(file_list->instance_type_list(), std::vector<std::string>{"g5.xlarge"});
}

}  // namespace
}  // namespace awsdl::cluster
