// EfsClient on a fake transport: the rest-json requests of the model (paths, query, method),
// DescribeFileSystems paging by Marker, errors by code, ids refused before any call.
#include "awsdl/efs/efs.hpp"

#include <gtest/gtest.h>

#include "support/fake_harness.hpp"

namespace awsdl {
namespace {

struct Harness : testsupport::FakeHarness {
  Harness() : FakeHarness("eu-west-1") {}
};

std::string fs_json(const std::string& id, const std::string& state, int targets) {
  return R"({"OwnerId":"123456789012","CreationToken":"tok-)" + id + R"(","FileSystemId":")" + id +
         R"(","CreationTime":1.7E9,"LifeCycleState":")" + state + R"(","Name":"maskrcnn","NumberOfMountTargets":)" +
         std::to_string(targets) + R"(,"SizeInBytes":{"Value":6144},"PerformanceMode":"generalPurpose","Tags":[]})";
}

TEST(EfsClient, DescribeFollowsMarkersAndDecodesEachFileSystem) {
  Harness h;
  h.transport->push(200, R"({"FileSystems":[)" + fs_json("fs-0123456789abcdef0", "available", 1) +
                             R"(],"NextMarker":"m-2"})");
  h.transport->push(200, R"({"Marker":"m-2","FileSystems":[)" + fs_json("fs-12345678", "deleting", 0) + "]}");
  auto all = efs::EfsClient(h.config).describe_file_systems();
  ASSERT_TRUE(all.ok()) << all.error().to_string();
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].file_system_id, "fs-0123456789abcdef0");
  EXPECT_EQ((*all)[0].life_cycle_state, "available");
  EXPECT_EQ((*all)[0].number_of_mount_targets, 1);
  EXPECT_EQ((*all)[0].name, "maskrcnn");
  EXPECT_EQ((*all)[1].life_cycle_state, "deleting");
  EXPECT_EQ((*all)[0].creation_time, "2023-11-14T22:13:20Z");  // 1.7E9 seconds
  EXPECT_TRUE((*all)[0].tags.empty());
  const auto& reqs = h.transport->requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].method, "GET");
  EXPECT_EQ(reqs[0].host, "elasticfilesystem.eu-west-1.amazonaws.com");
  EXPECT_EQ(reqs[0].path, "/2015-02-01/file-systems");
  EXPECT_EQ(reqs[0].query, "");
  EXPECT_EQ(reqs[1].query, "Marker=m-2");
  EXPECT_NE(std::string(reqs[0].headers.get("Authorization").value_or("")).find("/eu-west-1/elasticfilesystem/aws4_request"),
            std::string::npos);

  Harness one;
  std::string tagged = fs_json("fs-12345678", "available", 0);
  tagged.replace(tagged.find(R"("Tags":[])"), 9, R"("Tags":[{"Key":"awsdl:cluster","Value":"maskrcnn"}])");
  one.transport->push(200, R"({"FileSystems":[)" + tagged + "]}");
  auto found = efs::EfsClient(one.config).describe_file_systems("fs-12345678");
  ASSERT_TRUE(found.ok()) << found.error().to_string();
  using Tags = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(found->at(0).tags, (Tags{{"awsdl:cluster", "maskrcnn"}}));

  EXPECT_EQ(one.last().query, "FileSystemId=fs-12345678");
}

TEST(EfsClient, DeleteIsADeleteOfTheFileSystemAndItsErrorsKeepTheirCodes) {
  Harness h;
  h.transport->push(204, "");
  ASSERT_TRUE(efs::EfsClient(h.config).delete_file_system("fs-0123456789abcdef0").ok());
  EXPECT_EQ(h.last().method, "DELETE");
  EXPECT_EQ(h.last().path, "/2015-02-01/file-systems/fs-0123456789abcdef0");

  http::Headers in_use;
  in_use.set("x-amzn-ErrorType", "FileSystemInUse");
  h.transport->push(409, R"({"ErrorCode":"FileSystemInUse","Message":"File system has mount targets created in it."})",
                    in_use);
  auto r = efs::EfsClient(h.config).delete_file_system("fs-0123456789abcdef0");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "FileSystemInUse");
  EXPECT_EQ(r.error().http_status, 409);
  EXPECT_FALSE(r.error().retryable);
  EXPECT_EQ(h.transport->request_count(), 2u);  // not retried by the client: the caller waits it out
}

TEST(EfsClient, IdsAreCheckedBeforeAnyCall) {
  Harness h;
  for (std::string bad : {"", "fs-", "fs-123", "fs-0123456789ABCDEF0", "sg-0123456789abcdef0", "fs-12345678/../x"}) {
    EXPECT_EQ(efs::EfsClient(h.config).delete_file_system(bad).error().code, "InvalidFileSystemId") << bad;
    if (!bad.empty()) {
      EXPECT_EQ(efs::EfsClient(h.config).describe_file_systems(bad).error().code, "InvalidFileSystemId") << bad;
    }
  }
  EXPECT_EQ(h.transport->request_count(), 0u);
  EXPECT_TRUE(efs::valid_file_system_id("fs-12345678"));
  EXPECT_TRUE(efs::valid_file_system_id("fs-0123456789abcdef0"));
}

}  // namespace
}  // namespace awsdl
