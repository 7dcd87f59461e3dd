// The fake transport replays scripted answers in order, records what it was sent (streamed
// bodies included) and honours the sink contract of the real transport.

#include <gtest/gtest.h>

#include <thread>

#include "awsdl/testing/fake_transport.hpp"

namespace awsdl::testing {
namespace {

http::Request get(std::string path) {
  http::Request r;
  r.host = "example.com";
  r.path = std::move(path);
  return r;
}

TEST(FakeTransport, ReplaysScriptedResponsesInOrder) {
  FakeTransport t;
  http::Headers h;
  h.add("x-amz-request-id", "req-1");
  t.push(200, "first", h);
  t.push(404, "second");
  auto a = t.send(get("/a"), {});
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->status, 200);
  EXPECT_EQ(a->body, "first");
  EXPECT_EQ(a->headers.get("X-Amz-Request-Id"), "req-1");
  auto b = t.send(get("/b"), {});
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->status, 404);
  EXPECT_EQ(b->body, "second");
  EXPECT_EQ(t.request_count(), 2u);
}

TEST(FakeTransport, ReplaysScriptedErrors) {
  FakeTransport t;
  t.push_error(Error::make(ErrorKind::kNetwork, "ConnectionReset", "reset", true));
  t.push(200, "after");
  auto a = t.send(get("/"), {});
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().kind, ErrorKind::kNetwork);
  EXPECT_EQ(a.error().code, "ConnectionReset");
  EXPECT_TRUE(a.error().retryable);
  auto b = t.send(get("/"), {});
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->body, "after");
}

TEST(FakeTransport, HonoursTheRequestsBodyLimitAsTheRealTransportDoes) {
  FakeTransport t;
  t.push(206, std::string(1001, 'a'));
  t.push(206, std::string(1000, 'b'));
  t.push(500, std::string(5000, 'e'));
  t.push(200, std::string(5000, 's'));
  http::SendOptions opts;
  opts.max_body_bytes = 1000;
  auto over = t.send(get("/k"), opts);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().code, "ResponseTooLarge");
  EXPECT_EQ(over.error().kind, ErrorKind::kParse);
  auto fits = t.send(get("/k"), opts);
  ASSERT_TRUE(fits.ok());
  EXPECT_EQ(fits->body.size(), 1000u);
  // The limit is for a 2xx body held in memory: not an error body, not a streamed one.
  auto error_body = t.send(get("/k"), opts);
  ASSERT_TRUE(error_body.ok());
  EXPECT_EQ(error_body->body.size(), 5000u);
  std::size_t streamed = 0;
  opts.sink = [&](std::string_view chunk) -> Result<void> {
    streamed += chunk.size();
    return {};
  };
  ASSERT_TRUE(t.send(get("/k"), opts).ok());
  EXPECT_EQ(streamed, 5000u);
}

TEST(FakeTransport, EmptyScriptIsAnInternalError) {
  FakeTransport t;
  auto r = t.send(get("/nothing"), {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kInternal);
  EXPECT_EQ(r.error().code, "FakeTransportEmpty");
  EXPECT_EQ(t.request_count(), 1u);  // still recorded
}

TEST(FakeTransport, HandlerAnswersOnceTheQueueIsEmpty) {
  FakeTransport t;
  t.push(201, "queued");
  t.set_handler([](const http::Request& r) -> Result<http::Response> {
    http::Response resp;
    resp.status = 200;
    resp.body = "handled " + r.method + " " + r.path;
    return resp;
  });
  auto a = t.send(get("/one"), {});
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->status, 201);
  auto b = t.send(get("/two"), {});
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->body, "handled GET /two");
  auto c = t.send(get("/three"), {});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->body, "handled GET /three");
}

TEST(FakeTransport, HandlerSeesStreamedBodyAsBody) {
  FakeTransport t;
  std::string seen;
  t.set_handler([&](const http::Request& r) -> Result<http::Response> {
    seen = r.body;
    EXPECT_FALSE(static_cast<bool>(r.body_source));
    return http::Response{200, {}, ""};
  });
  http::Request r = get("/up");
  r.method = "PUT";
  std::string data(100000, 'z');
  std::size_t pos = 0;
  r.body_source = [&](char* buf, std::size_t len) -> Result<std::size_t> {
    std::size_t n = std::min(len, data.size() - pos);
    std::copy_n(data.data() + pos, n, buf);
    pos += n;
    return n;
  };
  ASSERT_TRUE(t.send(r, {}).ok());
  EXPECT_EQ(seen, data);
}

TEST(FakeTransport, RecordsRequestsWithStreamedBodiesRead) {
  FakeTransport t;
  t.push(200);
  t.push(200);
  http::Request plain = get("/plain");
  plain.method = "POST";
  plain.query = "Action=GetCallerIdentity";
  plain.headers.add("Content-Type", "application/x-www-form-urlencoded");
  plain.body = "Action=GetCallerIdentity&Version=2011-06-15";
  ASSERT_TRUE(t.send(plain, {}).ok());

  http::Request streamed = get("/streamed");
  streamed.method = "PUT";
  int calls = 0;
  streamed.body_source = [&](char* buf, std::size_t len) -> Result<std::size_t> {
    // Three pieces of "abc", then the end.
    if (calls++ >= 3 || len < 3) return std::size_t{0};
    std::copy_n("abc", 3, buf);
    return std::size_t{3};
  };
  streamed.body_length = 9;
  ASSERT_TRUE(t.send(streamed, {}).ok());

  auto seen = t.requests();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_EQ(seen[0].path, "/plain");
  EXPECT_EQ(seen[0].query, "Action=GetCallerIdentity");
  EXPECT_EQ(seen[0].headers.get("content-type"), "application/x-www-form-urlencoded");
  EXPECT_EQ(seen[0].body, "Action=GetCallerIdentity&Version=2011-06-15");
  EXPECT_EQ(seen[1].method, "PUT");
  EXPECT_EQ(seen[1].body, "abcabcabc");
  EXPECT_FALSE(static_cast<bool>(seen[1].body_source));
  EXPECT_EQ(seen[1].body_length, 9u);
}

TEST(FakeTransport, BodySourceErrorIsReturned) {
  FakeTransport t;
  t.push(200);
  http::Request r = get("/");
  r.method = "PUT";
  r.body_source = [](char*, std::size_t) -> Result<std::size_t> {
    return Error::make(ErrorKind::kIo, "ReadFailed", "disk went away");
  };
  auto got = t.send(r, {});
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().kind, ErrorKind::kIo);
  EXPECT_EQ(got.error().code, "ReadFailed");
}

TEST(FakeTransport, SinkGets2xxBodiesOnly) {
  FakeTransport t;
  t.push(200, "object bytes");
  t.push(403, "<Error><Code>AccessDenied</Code></Error>");
  std::string sunk;
  http::SendOptions opts;
  opts.sink = [&](std::string_view chunk) -> Result<void> {
    sunk.append(chunk);
    return {};
  };
  auto ok = t.send(get("/obj"), opts);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(sunk, "object bytes");
  EXPECT_TRUE(ok->body.empty());

  sunk.clear();
  auto denied = t.send(get("/obj"), opts);
  ASSERT_TRUE(denied.ok());
  EXPECT_EQ(denied->status, 403);
  EXPECT_TRUE(sunk.empty());
  EXPECT_EQ(denied->body, "<Error><Code>AccessDenied</Code></Error>");
}

TEST(FakeTransport, SinkErrorIsReturned) {
  FakeTransport t;
  t.push(200, "data");
  http::SendOptions opts;
  opts.sink = [](std::string_view) -> Result<void> { return Error::make(ErrorKind::kIo, "DiskFull", "no space"); };
  auto got = t.send(get("/"), opts);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, "DiskFull");
}

TEST(FakeTransport, ConcurrentSendsAreAllRecorded) {
  FakeTransport t;
  t.set_handler([](const http::Request& r) -> Result<http::Response> { return http::Response{200, {}, r.path}; });
  constexpr int kThreads = 4, kEach = 50;
  std::vector<std::thread> threads;
  std::atomic<int> good{0};
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      for (int j = 0; j < kEach; ++j) {
        auto path = "/" + std::to_string(i) + "/" + std::to_string(j);
        auto r = t.send(get(path), {});
        if (r.ok() && r->body == path) ++good;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(good.load(), kThreads * kEach);
  EXPECT_EQ(t.request_count(), static_cast<std::size_t>(kThreads * kEach));
}

}  // namespace
}  // namespace awsdl::testing
