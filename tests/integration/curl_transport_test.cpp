// The libcurl transport against a local misbehaving server (tests/support/http_test_server.py):
// what goes on the wire, streaming both ways, connection reuse, every timeout and failure
// mode, cancellation, proxies from the environment and TLS verification.

#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "awsdl/auth/credentials.hpp"
#include "awsdl/config.hpp"
#include "awsdl/http/transport.hpp"
#include "protocol/service_client.hpp"
#include "support/loopback_port.hpp"
#include "support/run_process.hpp"
#include "support/scoped_env.hpp"
#include "support/test_server.hpp"

namespace awsdl::http {
namespace {

using namespace std::chrono_literals;
using testsupport::TestServer;

// The server's body pattern: byte i = ((i mod 65521) * 7 + 3) mod 256.
char pattern_byte(std::uint64_t i) { return static_cast<char>(((i % 65521) * 7 + 3) & 0xFF); }

std::string pattern(std::uint64_t offset, std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = pattern_byte(offset + i);
  return s;
}

std::uint32_t crc(std::string_view data, std::uint32_t seed = 0) {
  return static_cast<std::uint32_t>(
      ::crc32(seed, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())));
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

class CurlTransportTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // Loopback tests must not be sent to a proxy someone has in their environment.
    for (const char* v : {"http_proxy", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY"})
      ::unsetenv(v);
    server_ = std::make_unique<TestServer>(
        TestServer::python(AWSDL_SOURCE_DIR "/tests/support/http_test_server.py", {"--watch-stdin"}));
  }
  static void TearDownTestSuite() { server_.reset(); }

  void SetUp() override { ASSERT_TRUE(server_->ok()) << server_->error(); }

  static Request request(std::string target, std::string method = "GET") {
    Request r;
    r.method = std::move(method);
    r.scheme = "http";
    r.host = server_->host_port();
    auto q = target.find('?');
    r.path = target.substr(0, q);
    if (q != std::string::npos) r.query = target.substr(q + 1);
    return r;
  }

  static std::shared_ptr<Transport> transport(TransportOptions o = {}) {
    auto t = make_curl_transport(std::move(o));
    EXPECT_NE(t, nullptr);
    return t;
  }

  // The echo document of a successful /echo exchange.
  static rapidjson::Document echo_of(const Result<Response>& r) {
    rapidjson::Document d;
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().to_string());
    if (!r.ok()) return d;
    EXPECT_EQ(r->status, 200);
    d.Parse(r->body.c_str());
    EXPECT_FALSE(d.HasParseError()) << r->body.substr(0, 200);
    return d;
  }

  // Every value of header `name` (case-insensitive) in the echoed request.
  static std::vector<std::string> echoed_header(const rapidjson::Document& d, std::string_view name) {
    std::vector<std::string> out;
    if (!d.IsObject() || !d.HasMember("headers")) return out;
    for (const auto& h : d["headers"].GetArray()) {
      std::string k = h[0].GetString();
      if (k.size() == name.size() &&
          std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) { return std::tolower(a) == std::tolower(b); }))
        out.emplace_back(h[1].GetString());
    }
    return out;
  }

  static std::unique_ptr<TestServer> server_;
};

std::unique_ptr<TestServer> CurlTransportTest::server_;

// ---------------------------------------------------------------------------------------
// What goes on the wire

TEST_F(CurlTransportTest, StreamedUploadOfSeveralMegabytesRoundTrips) {
  constexpr std::size_t kSize = 6 * 1024 * 1024 + 123;
  auto t = transport();
  Request r = request("/echo?partNumber=3&uploadId=abc", "PUT");
  r.headers.add("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD");
  r.headers.add("x-amz-meta-Mixed-Case", "  kept  verbatim");
  std::uint64_t pos = 0;
  std::size_t calls = 0;
  r.body_source = [&](char* buf, std::size_t len) -> Result<std::size_t> {
    ++calls;
    // Odd-sized pieces, to show nothing relies on full buffers.
    std::size_t n = std::min<std::size_t>({len, 77777, kSize - static_cast<std::size_t>(pos)});
    for (std::size_t i = 0; i < n; ++i) buf[i] = pattern_byte(pos + i);
    pos += n;
    return n;
  };
  r.body_length = kSize;
  std::uint64_t last_sent = 0;
  SendOptions opts;
  opts.progress = [&](std::uint64_t sent, std::uint64_t) { last_sent = sent; };
  auto got = t->send(r, opts);
  auto d = echo_of(got);
  ASSERT_TRUE(d.IsObject());
  EXPECT_STREQ(d["method"].GetString(), "PUT");
  EXPECT_STREQ(d["target"].GetString(), "/echo?partNumber=3&uploadId=abc");
  EXPECT_EQ(d["body_length"].GetUint64(), kSize);
  EXPECT_EQ(d["body_crc32"].GetUint(), crc(pattern(0, kSize)));
  EXPECT_FALSE(d["chunked"].GetBool());
  EXPECT_GT(calls, 10u);
  EXPECT_EQ(last_sent, kSize);
  EXPECT_EQ(echoed_header(d, "Content-Length"), std::vector<std::string>{std::to_string(kSize)});
  EXPECT_EQ(echoed_header(d, "X-Amz-Content-Sha256"), std::vector<std::string>{"UNSIGNED-PAYLOAD"});
  // The value reaches the server as given (HTTP strips the outer whitespace only).
  EXPECT_EQ(echoed_header(d, "x-amz-meta-Mixed-Case"), std::vector<std::string>{"kept  verbatim"});
  // Nothing the signer did not see: no Expect, Accept or Content-Type from curl.
  EXPECT_TRUE(echoed_header(d, "Expect").empty());
  EXPECT_TRUE(echoed_header(d, "Accept").empty());
  EXPECT_TRUE(echoed_header(d, "Content-Type").empty());
  EXPECT_TRUE(echoed_header(d, "Transfer-Encoding").empty());
}

TEST_F(CurlTransportTest, InMemoryPostSendsExactlyTheGivenHeaders) {
  auto t = transport();
  Request r = request("/echo", "POST");
  r.headers.add("Content-Type", "application/x-www-form-urlencoded; charset=utf-8");
  r.headers.add("X-Amz-Date", "20150830T123600Z");
  r.headers.add("X-Empty", "");
  r.headers.add("Accept", "application/json");
  r.body = "Action=GetCallerIdentity&Version=2011-06-15";
  auto d = echo_of(t->send(r, {}));
  ASSERT_TRUE(d.IsObject());
  EXPECT_STREQ(d["method"].GetString(), "POST");
  EXPECT_STREQ(d["body"].GetString(), "Action=GetCallerIdentity&Version=2011-06-15");
  EXPECT_EQ(echoed_header(d, "Content-Type"),
            std::vector<std::string>{"application/x-www-form-urlencoded; charset=utf-8"});
  EXPECT_EQ(echoed_header(d, "Accept"), std::vector<std::string>{"application/json"});
  EXPECT_EQ(echoed_header(d, "X-Empty"), std::vector<std::string>{""});
  EXPECT_EQ(echoed_header(d, "X-Amz-Date"), std::vector<std::string>{"20150830T123600Z"});
  EXPECT_EQ(echoed_header(d, "Content-Length"), std::vector<std::string>{"43"});
  EXPECT_EQ(echoed_header(d, "User-Agent"), std::vector<std::string>{"awsdl/0.1"});
  EXPECT_EQ(echoed_header(d, "Host"), std::vector<std::string>{server_->host_port()});
  EXPECT_TRUE(echoed_header(d, "Expect").empty());
}

TEST_F(CurlTransportTest, EveryMethodGoesOutAsItself) {
  auto t = transport();
  for (std::string m : {"GET", "DELETE", "PUT", "POST", "PATCH", "OPTIONS"}) {
    SCOPED_TRACE(m);
    Request r = request("/echo?x=1", m);
    auto d = echo_of(t->send(r, {}));
    ASSERT_TRUE(d.IsObject());
    EXPECT_EQ(d["method"].GetString(), m);
    EXPECT_EQ(d["body_length"].GetInt(), 0);
    // Bodies of PUT/POST/PATCH are announced even when empty; GET/DELETE send none.
    bool body_method = m == "PUT" || m == "POST" || m == "PATCH";
    EXPECT_EQ(echoed_header(d, "Content-Length"), body_method ? std::vector<std::string>{"0"} : std::vector<std::string>{});
    EXPECT_TRUE(echoed_header(d, "Transfer-Encoding").empty());
  }
  // A DELETE with a body sends it.
  Request del = request("/echo", "DELETE");
  del.body = "<Delete/>";
  auto d = echo_of(t->send(del, {}));
  ASSERT_TRUE(d.IsObject());
  EXPECT_STREQ(d["method"].GetString(), "DELETE");
  EXPECT_STREQ(d["body"].GetString(), "<Delete/>");
}

TEST_F(CurlTransportTest, UserAgentAndHostHeadersOfTheRequestWin) {
  auto t = transport({.user_agent = "ignored/1"});
  Request r = request("/echo");
  r.headers.add("User-Agent", "mine/2");
  r.headers.add("Host", "bucket.example.com");
  auto d = echo_of(t->send(r, {}));
  ASSERT_TRUE(d.IsObject());
  EXPECT_EQ(echoed_header(d, "User-Agent"), std::vector<std::string>{"mine/2"});
  EXPECT_EQ(echoed_header(d, "Host"), std::vector<std::string>{"bucket.example.com"});
}

TEST_F(CurlTransportTest, PathIsSentAsIsWithoutDotSegmentFolding) {
  auto t = transport();
  auto r = t->send(request("/a/../b/./c%2Fd//e?list-type=2&prefix=a%2F"), {});
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(r->body, "no such path: /a/../b/./c%2Fd//e?list-type=2&prefix=a%2F\n");
}

TEST_F(CurlTransportTest, UnknownLengthBodyIsSentChunked) {
  auto t = transport();
  Request r = request("/echo", "POST");
  int pieces = 0;
  r.body_source = [&](char* buf, std::size_t len) -> Result<std::size_t> {
    if (pieces == 5 || len < 1000) return std::size_t{0};
    std::string p = pattern(static_cast<std::uint64_t>(pieces) * 1000, 1000);
    std::copy(p.begin(), p.end(), buf);
    ++pieces;
    return std::size_t{1000};
  };
  auto d = echo_of(t->send(r, {}));
  ASSERT_TRUE(d.IsObject());
  EXPECT_TRUE(d["chunked"].GetBool());
  EXPECT_EQ(d["body_length"].GetInt(), 5000);
  EXPECT_EQ(d["body_crc32"].GetUint(), crc(pattern(0, 5000)));
  EXPECT_EQ(echoed_header(d, "Transfer-Encoding"), std::vector<std::string>{"chunked"});
  EXPECT_TRUE(echoed_header(d, "Content-Length").empty());
}

TEST_F(CurlTransportTest, BodySourceErrorAbortsTheUpload) {
  auto t = transport();
  Request r = request("/echo", "PUT");
  std::uint64_t sent = 0;
  r.body_source = [&](char* buf, std::size_t len) -> Result<std::size_t> {
    if (sent >= 1 << 20) return Error::make(ErrorKind::kIo, "ReadFailed", "the file went away");
    std::fill(buf, buf + len, 'x');
    sent += len;
    return len;
  };
  r.body_length = 8u << 20;
  auto got = t->send(r, {});
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().kind, ErrorKind::kIo);
  EXPECT_EQ(got.error().code, "ReadFailed");
  // The transport is still usable afterwards.
  EXPECT_TRUE(echo_of(t->send(request("/echo"), {})).IsObject());
}

TEST_F(CurlTransportTest, BodySourceShorterThanAnnouncedIsAnError) {
  auto t = transport();
  Request r = request("/echo", "PUT");
  bool given = false;
  r.body_source = [&](char* buf, std::size_t) -> Result<std::size_t> {
    if (given) return std::size_t{0};
    given = true;
    buf[0] = 'a';
    return std::size_t{1};
  };
  r.body_length = 10;
  auto got = t->send(r, {});
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, "BodyTooShort");
}

TEST_F(CurlTransportTest, StreamedBodyIsRewoundWhenAReusedConnectionTurnsOutDead) {
  auto t = transport();
  ASSERT_TRUE(echo_of(t->send(request("/echo"), {})).IsObject());  // leaves a connection to reuse
  constexpr std::size_t kSize = 300000;
  std::uint64_t pos = 0;
  int rewinds = 0;
  Request r = request("/echo?drop_if_reused=1", "PUT");
  r.body_source = [&](char* buf, std::size_t len) -> Result<std::size_t> {
    std::size_t n = std::min<std::size_t>(len, kSize - static_cast<std::size_t>(pos));
    for (std::size_t i = 0; i < n; ++i) buf[i] = pattern_byte(pos + i);
    pos += n;
    return n;
  };
  r.body_length = kSize;
  r.rewind_body = [&] {
    ++rewinds;
    pos = 0;
    return true;
  };
  auto d = echo_of(t->send(r, {}));
  ASSERT_TRUE(d.IsObject());
  EXPECT_EQ(rewinds, 1);
  EXPECT_EQ(d["body_length"].GetUint64(), kSize);
  EXPECT_EQ(d["body_crc32"].GetUint(), crc(pattern(0, kSize)));

  // Without a way to rewind, the failure is a retryable network error, not a corrupt body.
  ASSERT_TRUE(echo_of(t->send(request("/echo"), {})).IsObject());
  pos = 0;
  r.rewind_body = nullptr;
  auto failed = t->send(r, {});
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().kind, ErrorKind::kNetwork);
  EXPECT_TRUE(failed.error().retryable);
}

// ---------------------------------------------------------------------------------------
// What comes back

TEST_F(CurlTransportTest, HeadGetsHeadersAndNoBody) {
  auto t = transport();
  auto start = std::chrono::steady_clock::now();
  auto r = t->send(request("/bytes?n=5000000", "HEAD"), {});
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->headers.get("content-length"), "5000000");
  EXPECT_TRUE(r->body.empty());
  EXPECT_LT(seconds_since(start), 2.0);
  // The connection is still in a clean state for the next request.
  auto d = echo_of(t->send(request("/echo"), {}));
  EXPECT_TRUE(d.IsObject());
}

TEST_F(CurlTransportTest, AllResponseHeadersAreKeptInOrderIncludingRepeats) {
  auto t = transport();
  auto r = t->send(request("/echo"), {});
  ASSERT_TRUE(r.ok());
  std::vector<std::string> repeats;
  for (const auto& [k, v] : r->headers)
    if (k == "X-Repeat") repeats.push_back(v);
  EXPECT_EQ(repeats, (std::vector<std::string>{"one", "two"}));
  EXPECT_EQ(r->headers.get("content-type"), "application/json");
  EXPECT_TRUE(r->headers.has("Date"));
  EXPECT_TRUE(r->headers.has("Server"));

  auto many = t->send(request("/big-headers?count=20&size=1000"), {});
  ASSERT_TRUE(many.ok()) << many.error().to_string();
  for (int i = 0; i < 20; ++i) EXPECT_EQ(many->headers.get("x-big-" + std::to_string(i)), std::string(1000, 'a'));
}

TEST_F(CurlTransportTest, SinkReceivesALargeBodyInPieces) {
  constexpr std::uint64_t kSize = 32ull << 20;
  auto t = transport();
  std::uint64_t received = 0;
  std::size_t chunks = 0;
  bool in_order = true;
  std::uint32_t running_crc = 0;
  SendOptions opts;
  opts.sink = [&](std::string_view chunk) -> Result<void> {
    ++chunks;
    for (std::size_t i = 0; i < chunk.size() && in_order; i += 4099)
      in_order = chunk[i] == pattern_byte(received + i);
    running_crc = crc(chunk, running_crc);
    received += chunk.size();
    return {};
  };
  std::uint64_t progress_received = 0;
  opts.progress = [&](std::uint64_t, std::uint64_t r) { progress_received = r; };
  auto r = t->send(request("/bytes?n=" + std::to_string(kSize)), opts);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(r->body.empty());
  EXPECT_EQ(received, kSize);
  EXPECT_GT(chunks, 32u);
  EXPECT_TRUE(in_order);
  EXPECT_EQ(std::to_string(running_crc), r->headers.get("x-body-crc32").value_or(""));
  EXPECT_EQ(progress_received, kSize);
}

TEST_F(CurlTransportTest, ChunkedResponseIsDecoded) {
  auto t = transport();
  auto r = t->send(request("/chunked?chunks=50&size=1000"), {});
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->body, pattern(0, 50000));
  EXPECT_EQ(std::to_string(crc(r->body)), r->headers.get("x-body-crc32").value_or(""));
}

TEST_F(CurlTransportTest, ErrorStatusBodyGoesToResponseNotSink) {
  auto t = transport();
  bool sink_called = false;
  SendOptions opts;
  opts.sink = [&](std::string_view) -> Result<void> {
    sink_called = true;
    return {};
  };
  auto r = t->send(request("/status?code=503&retry_after=2"), opts);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->status, 503);
  EXPECT_NE(r->body.find("<Code>Status503</Code>"), std::string::npos);
  EXPECT_EQ(r->headers.get("retry-after"), "2");
  EXPECT_FALSE(sink_called);
}

TEST_F(CurlTransportTest, SinkErrorAbortsTheDownload) {
  auto t = transport();
  int calls = 0;
  SendOptions opts;
  opts.sink = [&](std::string_view) -> Result<void> {
    if (++calls == 2) return Error::make(ErrorKind::kIo, "DiskFull", "no space left");
    return {};
  };
  auto start = std::chrono::steady_clock::now();
  auto r = t->send(request("/bytes?n=" + std::to_string(64 << 20)), opts);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kIo);
  EXPECT_EQ(r.error().code, "DiskFull");
  EXPECT_EQ(calls, 2);
  EXPECT_LT(seconds_since(start), 5.0);
}

TEST_F(CurlTransportTest, RedirectsAreNotFollowed) {
  auto t = transport();
  auto r = t->send(request("/redirect?to=/echo"), {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 302);
  EXPECT_EQ(r->headers.get("location"), "/echo");
  EXPECT_EQ(r->body, "redirecting\n");
}

// ---------------------------------------------------------------------------------------
// Connection reuse

TEST_F(CurlTransportTest, SequentialRequestsReuseOneConnection) {
  auto t = transport();
  std::set<std::string> connections;
  for (int i = 0; i < 20; ++i) {
    auto r = t->send(request("/echo?i=" + std::to_string(i)), {});
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    connections.insert(std::string(r->headers.get("x-connection").value_or("?")));
  }
  EXPECT_EQ(connections.size(), 1u);
}

TEST_F(CurlTransportTest, ThreadsShareAndReuseConnections) {
  auto t = transport();
  std::mutex mu;
  std::set<std::string> connections;
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < 10; ++j) {
        auto r = t->send(request("/echo"), {});
        if (!r.ok() || r->status != 200) continue;
        ++good;
        std::lock_guard lock(mu);
        connections.insert(std::string(r->headers.get("x-connection").value_or("?")));
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(good.load(), 40);
  // At most one connection per thread that ever ran at once, not one per request.
  EXPECT_GE(connections.size(), 1u);
  EXPECT_LE(connections.size(), 4u);
  // Later requests from another thread pick up those same connections.
  for (int i = 0; i < 8; ++i) {
    auto r = t->send(request("/echo"), {});
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(connections.count(std::string(r->headers.get("x-connection").value_or("?"))));
  }
}

TEST_F(CurlTransportTest, MaxConnectionsBoundsConcurrentConnections) {
  // Every connection the server saw while 4 threads overlapped on a pool of 2.
  auto t = transport({.max_connections = 2});
  std::mutex mu;
  std::set<std::string> ids;
  std::vector<std::thread> threads;
  std::atomic<int> good{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < 6; ++j) {
        auto r = t->send(request("/echo?delay_ms=20"), {});
        if (!r.ok() || r->status != 200) continue;
        ++good;
        std::lock_guard lock(mu);
        ids.insert(std::string(r->headers.get("x-connection").value_or("?")));
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(good.load(), 24);
  EXPECT_GE(ids.size(), 1u);
  EXPECT_LE(ids.size(), 2u);
}

// ---------------------------------------------------------------------------------------
// Timeouts and failures

TEST_F(CurlTransportTest, StallTimeoutWhenNoBytesArrive) {
  auto t = transport({.stall_timeout = 1s});
  auto start = std::chrono::steady_clock::now();
  auto r = t->send(request("/stall?after=100&seconds=10"), {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kTimeout);
  EXPECT_EQ(r.error().code, "StallTimeout");
  EXPECT_TRUE(r.error().retryable);
  EXPECT_LT(seconds_since(start), 4.0);
}

TEST_F(CurlTransportTest, TrickleBelowTheMinimumRateIsAStallWhileTheAnswerArrives) {
  // 2000 bytes/s, below a minimum of 10000 over 500 ms; bytes never stop for stall_timeout.
  auto t = transport({.stall_timeout = 5s, .min_bytes_per_second = 10000, .min_rate_window = 500ms});
  SendOptions opts;
  opts.attempt_timeout = 10s;
  auto start = std::chrono::steady_clock::now();
  auto r = t->send(request("/slow?n=100000&chunk=100&interval_ms=50"), opts);
  double took = seconds_since(start);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kTimeout);
  EXPECT_EQ(r.error().code, "StallTimeout") << r.error().to_string();
  EXPECT_TRUE(r.error().retryable);
  EXPECT_NE(r.error().message.find("10000 bytes/s"), std::string::npos) << r.error().message;
  EXPECT_GE(took, 0.45);
  EXPECT_LT(took, 2.5);
  // Fast enough: 60000 bytes/s.
  auto fine = t->send(request("/slow?n=30000&chunk=3000&interval_ms=50"), opts);
  ASSERT_TRUE(fine.ok()) << fine.error().to_string();
  EXPECT_EQ(fine->body, pattern(0, 30000));
  // Waiting for an answer to begin is not a slow transfer.
  auto waited = t->send(request("/delay?ms=1500"), opts);
  ASSERT_TRUE(waited.ok()) << waited.error().to_string();
  // A request may turn the minimum off.
  SendOptions off = opts;
  off.min_bytes_per_second = 0;
  auto trickled = t->send(request("/slow?n=2000&chunk=100&interval_ms=50"), off);
  ASSERT_TRUE(trickled.ok()) << trickled.error().to_string();
  EXPECT_EQ(trickled->body.size(), 2000u);
}

TEST_F(CurlTransportTest, TrickleBelowTheMinimumRateIsAStallWhileTheRequestGoesOut) {
  // The server takes the upload at 2000 bytes/s once the socket buffers are full.
  auto t = transport({.stall_timeout = 5s, .min_bytes_per_second = 100000, .min_rate_window = 500ms});
  constexpr std::uint64_t kSize = 64u << 20;
  Request r = request("/slow-read?chunk=100&interval_ms=50", "PUT");
  std::uint64_t pos = 0;
  r.body_source = [&](char* buf, std::size_t len) -> Result<std::size_t> {
    std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(len, kSize - pos));
    std::memset(buf, 'u', n);
    pos += n;
    return n;
  };
  r.body_length = kSize;
  SendOptions opts;
  opts.attempt_timeout = 15s;
  auto start = std::chrono::steady_clock::now();
  auto got = t->send(r, opts);
  double took = seconds_since(start);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, "StallTimeout") << got.error().to_string();
  EXPECT_LT(took, 5.0);
  EXPECT_LT(pos, kSize);
  EXPECT_TRUE(echo_of(t->send(request("/echo"), {})).IsObject());
}

TEST_F(CurlTransportTest, AttemptTimeoutEvenWhileBytesTrickle) {
  auto t = transport({.stall_timeout = 1s});
  SendOptions opts;
  opts.attempt_timeout = 700ms;
  auto start = std::chrono::steady_clock::now();
  auto r = t->send(request("/slow?n=100000&chunk=10&interval_ms=50"), opts);
  double took = seconds_since(start);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kTimeout);
  EXPECT_EQ(r.error().code, "Timeout");
  EXPECT_TRUE(r.error().retryable);
  EXPECT_GE(took, 0.6);
  EXPECT_LT(took, 3.0);
}

TEST_F(CurlTransportTest, AttemptTimeoutWaitingForTheAnswer) {
  auto t = transport();
  SendOptions opts;
  opts.attempt_timeout = 300ms;
  auto start = std::chrono::steady_clock::now();
  auto r = t->send(request("/delay?ms=5000"), opts);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "Timeout");
  EXPECT_LT(seconds_since(start), 2.0);
}

TEST_F(CurlTransportTest, ConnectFailureToAClosedPortIsFastAndRetryable) {
  int port = testsupport::free_loopback_port();
  ASSERT_NE(port, 0);
  auto t = transport();
  Request r = request("/echo");
  r.host = "127.0.0.1:" + std::to_string(port);
  auto start = std::chrono::steady_clock::now();
  auto got = t->send(r, {});
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().kind, ErrorKind::kNetwork);
  EXPECT_EQ(got.error().code, "ConnectionError");
  EXPECT_TRUE(got.error().retryable);
  EXPECT_EQ(got.error().http_status, 0);
  EXPECT_LT(seconds_since(start), 1.0);
}

TEST_F(CurlTransportTest, ConnectTimeoutWhenTheListenerNeverAccepts) {
  // A listener with a full accept queue drops new SYNs, so connecting hangs.
  int lfd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ASSERT_EQ(::bind(lfd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::getsockname(lfd, reinterpret_cast<sockaddr*>(&a), &len), 0);
  ASSERT_EQ(::listen(lfd, 0), 0);
  std::vector<int> fillers;
  for (int i = 0; i < 4; ++i) {
    int c = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    (void)::connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a);
    fillers.push_back(c);
  }
  std::this_thread::sleep_for(50ms);
  auto t = transport({.connect_timeout = 300ms});
  Request r = request("/echo");
  r.host = "127.0.0.1:" + std::to_string(ntohs(a.sin_port));
  auto start = std::chrono::steady_clock::now();
  auto got = t->send(r, {});
  double took = seconds_since(start);
  for (int c : fillers) ::close(c);
  ::close(lfd);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().kind, ErrorKind::kTimeout) << got.error().to_string();
  EXPECT_EQ(got.error().code, "ConnectTimeout");
  EXPECT_TRUE(got.error().retryable);
  EXPECT_LT(took, 2.0);
}

TEST_F(CurlTransportTest, ConnectionResetMidResponseIsRetryableNetworkError) {
  auto t = transport();
  auto r = t->send(request("/close-mid?after=5000"), {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kNetwork);
  EXPECT_TRUE(r.error().code == "ConnectionReset" || r.error().code == "TruncatedResponse") << r.error().code;
  EXPECT_TRUE(r.error().retryable);
}

TEST_F(CurlTransportTest, ConnectionClosedOrResetBeforeAnyAnswer) {
  auto t = transport();
  for (const char* path : {"/drop", "/reset"}) {
    SCOPED_TRACE(path);
    auto r = t->send(request(path), {});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::kNetwork);
    EXPECT_EQ(r.error().code, "ConnectionReset");
    EXPECT_TRUE(r.error().retryable);
  }
}

TEST_F(CurlTransportTest, BodyShorterThanContentLengthIsTruncatedResponse) {
  auto t = transport();
  auto r = t->send(request("/short?claim=1000&send=10"), {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kNetwork);
  EXPECT_EQ(r.error().code, "TruncatedResponse");
  EXPECT_TRUE(r.error().retryable);
}

TEST_F(CurlTransportTest, GarbageReplyIsAMalformedResponseNotTheCallersFault) {
  // curl 7.88 reports a reply without a status line as CURLE_UNSUPPORTED_PROTOCOL ("Received
  // HTTP/0.9 when not allowed"), the code it also uses for a bad URL scheme.
  auto t = transport();
  for (const char* kind : {"text", "binary", "ssh", "status"}) {
    SCOPED_TRACE(kind);
    auto r = t->send(request(std::string("/garbage?kind=") + kind), {});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::kParse) << r.error().to_string();
    EXPECT_EQ(r.error().code, "MalformedResponse") << r.error().to_string();
    EXPECT_EQ(r.error().message.find("URL"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find(server_->host_port() + "/garbage"), std::string::npos) << r.error().message;
  }
  // The transport is fine afterwards.
  EXPECT_TRUE(echo_of(t->send(request("/echo"), {})).IsObject());
}

TEST_F(CurlTransportTest, BufferedBodyHasADefaultLimit) {
  // 64 MiB announced by Content-Length: refused at once, not read into memory.
  auto t = transport();
  auto start = std::chrono::steady_clock::now();
  auto r = t->send(request("/bytes?n=" + std::to_string(64u << 20)), {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kParse);
  EXPECT_EQ(r.error().code, "ResponseTooLarge") << r.error().to_string();
  EXPECT_FALSE(r.error().retryable);
  EXPECT_NE(r.error().message.find(std::to_string(16u << 20)), std::string::npos) << r.error().message;
  EXPECT_LT(seconds_since(start), 2.0);
  // A body streamed to a sink is not limited.
  std::uint64_t received = 0;
  SendOptions opts;
  opts.sink = [&](std::string_view chunk) -> Result<void> {
    received += chunk.size();
    return {};
  };
  auto streamed = t->send(request("/bytes?n=" + std::to_string(24u << 20)), opts);
  ASSERT_TRUE(streamed.ok()) << streamed.error().to_string();
  EXPECT_EQ(received, 24u << 20);
  EXPECT_TRUE(echo_of(t->send(request("/echo"), {})).IsObject());
}

TEST_F(CurlTransportTest, BufferedBodyLimitIsAnOptionPerTransportAndPerRequest) {
  auto t = transport({.max_body_bytes = 100000});
  auto fits = t->send(request("/bytes?n=100000"), {});
  ASSERT_TRUE(fits.ok()) << fits.error().to_string();
  EXPECT_EQ(fits->body.size(), 100000u);
  auto over = t->send(request("/bytes?n=100001"), {});
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().code, "ResponseTooLarge");
  // Without a Content-Length (chunked), the limit applies as the body arrives.
  auto chunked = t->send(request("/chunked?chunks=500&size=1000"), {});
  ASSERT_FALSE(chunked.ok());
  EXPECT_EQ(chunked.error().code, "ResponseTooLarge") << chunked.error().to_string();
  auto slow = t->send(request("/bytes?n=1000000&chunked=1&chunk=4096"), {});
  ASSERT_FALSE(slow.ok());
  EXPECT_EQ(slow.error().code, "ResponseTooLarge");
  // A request may ask for less (a ranged read: the length of its range) or for more.
  SendOptions ranged;
  ranged.max_body_bytes = 1000;
  auto small = t->send(request("/bytes?n=1001"), ranged);
  ASSERT_FALSE(small.ok());
  EXPECT_EQ(small.error().code, "ResponseTooLarge");
  EXPECT_NE(small.error().message.find("1000"), std::string::npos) << small.error().message;
  ranged.max_body_bytes = 1u << 20;
  auto larger = t->send(request("/bytes?n=500000"), ranged);
  ASSERT_TRUE(larger.ok()) << larger.error().to_string();
  EXPECT_EQ(larger->body, pattern(0, 500000));
  // HEAD announces a length it does not send: no limit applies.
  auto head = t->send(request("/bytes?n=5000000", "HEAD"), {});
  ASSERT_TRUE(head.ok()) << head.error().to_string();
  // An error body is limited by the transport's limit, whatever the request allows.
  SendOptions tiny;
  tiny.max_body_bytes = 10;
  auto err = t->send(request("/status?code=503"), tiny);
  ASSERT_TRUE(err.ok()) << err.error().to_string();
  EXPECT_EQ(err->status, 503);
  EXPECT_NE(err->body.find("Status503"), std::string::npos);
  EXPECT_TRUE(echo_of(t->send(request("/echo"), {})).IsObject());
}

TEST_F(CurlTransportTest, OversizedHeaderBlockIsAParseError) {
  auto t = transport();
  auto r = t->send(request("/big-headers?count=100&size=1000"), {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kParse);
  EXPECT_EQ(r.error().code, "OversizedHeaders");

  auto small = transport({.max_header_bytes = 4096});
  auto s = small->send(request("/big-headers?count=10&size=500"), {});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "OversizedHeaders");
  auto fits = small->send(request("/big-headers?count=2&size=500"), {});
  EXPECT_TRUE(fits.ok());
}

TEST_F(CurlTransportTest, OneHugeHeaderLineIsAParseError) {
  auto t = transport({.max_header_bytes = 1 << 20});
  auto r = t->send(request("/big-header?size=300000"), {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kParse) << r.error().to_string();
  EXPECT_EQ(r.error().code, "OversizedHeaders");
}

// ---------------------------------------------------------------------------------------
// Cancellation

TEST_F(CurlTransportTest, CancellationStopsATransferInFlight) {
  auto t = transport();
  CancellationSource source;
  SendOptions opts;
  opts.cancel = source.token();
  std::thread canceller([&] {
    std::this_thread::sleep_for(300ms);
    source.cancel();
  });
  auto start = std::chrono::steady_clock::now();
  auto r = t->send(request("/slow?n=100000&chunk=10&interval_ms=100"), opts);
  double took = seconds_since(start);
  canceller.join();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kCancelled);
  EXPECT_GE(took, 0.25);
  EXPECT_LT(took, 1.0);
  // A stalled transfer (no bytes, so curl's callbacks are quiet) is cancelled as quickly.
  CancellationSource source2;
  opts.cancel = source2.token();
  std::thread canceller2([&] {
    std::this_thread::sleep_for(200ms);
    source2.cancel();
  });
  start = std::chrono::steady_clock::now();
  auto r2 = t->send(request("/stall?after=10&seconds=10"), opts);
  took = seconds_since(start);
  canceller2.join();
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.error().kind, ErrorKind::kCancelled);
  EXPECT_LT(took, 0.8);
  // The transport is fine afterwards.
  EXPECT_TRUE(echo_of(t->send(request("/echo"), {})).IsObject());
}

TEST_F(CurlTransportTest, AlreadyCancelledSendsNothing) {
  auto t = transport();
  CancellationSource source;
  source.cancel();
  SendOptions opts;
  opts.cancel = source.token();
  auto r = t->send(request("/echo?marker=never-sent"), opts);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kCancelled);
}

// ---------------------------------------------------------------------------------------
// Proxies from the environment

class ScopedEnv {
 public:
  ScopedEnv(const char* name, std::string value) : name_(name) { ::setenv(name, value.c_str(), 1); }
  ~ScopedEnv() { ::unsetenv(name_); }

 private:
  const char* name_;
};

TEST_F(CurlTransportTest, HttpProxyFromEnvironmentIsUsedAndNoProxyHonoured) {
  // The test server plays both parts: as a proxy it sees absolute-form request targets.
  const std::string proxy = "http://" + server_->host_port();
  {
    ScopedEnv p("http_proxy", proxy);
    auto t = transport();
    Request r = request("/echo?via=proxy");
    r.host = "127.0.0.2:9";  // nothing listens there: only the proxy can answer
    auto d = echo_of(t->send(r, {}));
    ASSERT_TRUE(d.IsObject());
    EXPECT_STREQ(d["target"].GetString(), "http://127.0.0.2:9/echo?via=proxy");
    EXPECT_EQ(echoed_header(d, "Host"), std::vector<std::string>{"127.0.0.2:9"});

    // no_proxy sends the same kind of request directly.
    ScopedEnv np("no_proxy", "127.0.0.1");
    auto direct = echo_of(t->send(request("/echo?via=direct"), {}));
    ASSERT_TRUE(direct.IsObject());
    EXPECT_STREQ(direct["target"].GetString(), "/echo?via=direct");

    // proxy_from_environment=false ignores the environment.
    auto off = transport({.proxy_from_environment = false});
    Request r2 = request("/echo?via=none");
    auto d2 = echo_of(off->send(r2, {}));
    ASSERT_TRUE(d2.IsObject());
    EXPECT_STREQ(d2["target"].GetString(), "/echo?via=none");
  }
  // Without the variable, no proxy.
  auto t = transport();
  auto d = echo_of(t->send(request("/echo?via=nothing"), {}));
  ASSERT_TRUE(d.IsObject());
  EXPECT_STREQ(d["target"].GetString(), "/echo?via=nothing");
}

TEST_F(CurlTransportTest, HttpsProxyFromEnvironmentGetsAConnect) {
  ScopedEnv p("https_proxy", "http://" + server_->host_port());
  auto t = transport();
  Request r = request("/secret-path?X-Amz-Signature=feedface");
  r.scheme = "https";
  r.host = "127.0.0.3:9";
  auto got = t->send(r, {});
  ASSERT_FALSE(got.ok());  // the test proxy refuses every tunnel
  EXPECT_EQ(got.error().kind, ErrorKind::kNetwork);
  EXPECT_EQ(got.error().code, "ProxyError");
  EXPECT_EQ(got.error().message.find("feedface"), std::string::npos);

  auto log = transport({.proxy_from_environment = false})->send(request("/proxy-log"), {});
  ASSERT_TRUE(log.ok());
  rapidjson::Document d;
  d.Parse(log->body.c_str());
  ASSERT_TRUE(d.IsArray());
  bool saw = false;
  for (const auto& e : d.GetArray())
    saw = saw || (std::string(e["method"].GetString()) == "CONNECT" && std::string(e["target"].GetString()) == "127.0.0.3:9");
  EXPECT_TRUE(saw) << log->body;
}

// ---------------------------------------------------------------------------------------
// TLS

TEST_F(CurlTransportTest, TlsIsVerifiedByDefaultAndCaBundleOverrides) {
  auto dir = std::filesystem::path(AWSDL_TEST_STATE_DIR) / ("tls-" + std::to_string(::getpid()));
  TestServer tls(TestServer::python(AWSDL_SOURCE_DIR "/tests/support/http_test_server.py",
                                    {"--watch-stdin", "--tls-dir", dir.string()}));
  ASSERT_TRUE(tls.ok()) << tls.error();
  Request r = request("/echo");
  r.scheme = "https";
  r.host = tls.host_port();

  auto verified = transport()->send(r, {});
  ASSERT_FALSE(verified.ok());
  EXPECT_EQ(verified.error().kind, ErrorKind::kNetwork);
  EXPECT_EQ(verified.error().code, "TlsVerificationFailed") << verified.error().to_string();
  EXPECT_FALSE(verified.error().retryable);

  auto with_ca = transport({.ca_bundle = (dir / "cert.pem").string()})->send(r, {});
  ASSERT_TRUE(with_ca.ok()) << with_ca.error().to_string();
  EXPECT_EQ(with_ca->status, 200);

  auto unverified = transport({.verify_tls = false})->send(r, {});
  ASSERT_TRUE(unverified.ok()) << unverified.error().to_string();
  EXPECT_EQ(unverified->status, 200);

  auto missing_ca = transport({.ca_bundle = (dir / "missing.pem").string()})->send(r, {});
  ASSERT_FALSE(missing_ca.ok());
  EXPECT_EQ(missing_ca.error().code, "TlsError");
  tls.stop();
  std::filesystem::remove_all(dir);
}

// A transport that counts the attempts that reach the real curl transport underneath.
struct CountingTransport final : Transport {
  explicit CountingTransport(std::shared_ptr<Transport> t) : inner(std::move(t)) {}
  Result<Response> send(const Request& request, const SendOptions& options) override {
    ++sends;
    return inner->send(request, options);
  }
  std::shared_ptr<Transport> inner;
  std::atomic<int> sends{0};
};

// A JSON-protocol client whose endpoint is the test server's /echo (which answers any POST
// with a JSON document), so a whole call goes through signing, the retry loop and curl.
internal::ServiceInfo echo_service() {
  internal::ServiceInfo s;
  s.endpoint_prefix = "echo";
  s.signing_name = "echo";
  s.env_name = "ECHO";
  s.protocol = internal::Protocol::kJson;
  s.json_target_prefix = "Echo_20240101";
  return s;
}

Config echo_config(std::shared_ptr<Transport> transport, const std::string& endpoint) {
  Config c;
  c.region = "us-east-1";
  c.endpoint_url = endpoint;
  c.transport = std::move(transport);
  c.credentials = auth::static_provider(
      {.access_key_id = "AKIDEXAMPLE", .secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"});
  c.retry.base_delay = 10ms;  // a retry, if any, costs little time
  return c;
}

class TlsServer {
 public:
  TlsServer()
      : dir_(std::filesystem::path(AWSDL_TEST_STATE_DIR) / ("tls-" + std::to_string(::getpid()) + "-" +
                                                             std::to_string(counter_++))),
        server_(TestServer::python(AWSDL_SOURCE_DIR "/tests/support/http_test_server.py",
                                   {"--watch-stdin", "--tls-dir", dir_.string()})) {}
  ~TlsServer() {
    server_.stop();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  const TestServer& server() const { return server_; }
  std::string cert() const { return (dir_ / "cert.pem").string(); }
  std::string missing() const { return (dir_ / "missing.pem").string(); }
  std::string url(const std::string& path) const { return "https://" + server_.host_port() + path; }

 private:
  static inline int counter_ = 0;
  std::filesystem::path dir_;
  TestServer server_;
};

TEST_F(CurlTransportTest, UnverifiableCertificateFailsAtOnceNamingTheProblemAndAwsCaBundle) {
  TlsServer tls;
  ASSERT_TRUE(tls.server().ok()) << tls.server().error();

  auto counting = std::make_shared<CountingTransport>(transport());
  internal::ServiceClient client(echo_config(counting, tls.url("/echo")), echo_service());
  auto r = client.call_json("Ping", "{}");
  ASSERT_FALSE(r.ok());
  const Error& e = r.error();
  EXPECT_EQ(counting->sends.load(), 1) << "a certificate that did not verify will not verify on a retry: "
                                       << e.to_string();
  EXPECT_EQ(e.code, "TlsVerificationFailed") << e.to_string();
  EXPECT_FALSE(e.retryable);
  EXPECT_NE(e.message.find("self-signed certificate"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("AWS_CA_BUNDLE"), std::string::npos) << e.message;
  EXPECT_EQ(e.to_string().find("retryable"), std::string::npos) << e.to_string();

  // With the server's CA in the bundle the same call goes through.
  auto with_ca = std::make_shared<CountingTransport>(transport({.ca_bundle = tls.cert()}));
  internal::ServiceClient trusted(echo_config(with_ca, tls.url("/echo")), echo_service());
  auto ok = trusted.call_json("Ping", "{}");
  ASSERT_TRUE(ok.ok()) << ok.error().to_string();
  EXPECT_EQ(with_ca->sends.load(), 1);
}

TEST_F(CurlTransportTest, UnreadableCaBundleIsNotRetriedAndSaysWhereItCameFrom) {
  TlsServer tls;
  ASSERT_TRUE(tls.server().ok()) << tls.server().error();
  auto counting = std::make_shared<CountingTransport>(transport({.ca_bundle = tls.missing()}));
  internal::ServiceClient client(echo_config(counting, tls.url("/echo")), echo_service());
  auto r = client.call_json("Ping", "{}");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(counting->sends.load(), 1) << r.error().to_string();
  EXPECT_EQ(r.error().code, "TlsError");
  EXPECT_FALSE(r.error().retryable);
  EXPECT_NE(r.error().message.find("AWS_CA_BUNDLE"), std::string::npos) << r.error().message;
}

TEST_F(CurlTransportTest, ConfigTakesTheCaBundleFromTheEnvironmentThenTheProfile) {
  TlsServer tls;
  ASSERT_TRUE(tls.server().ok()) << tls.server().error();
  testsupport::TempDir dir;
  ASSERT_TRUE(dir.ok());
  testsupport::ScopedEnv env;
  env.clear_prefix("AWS_");
  env.set("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE");
  env.set("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
  env.set("AWS_REGION", "us-east-1");
  env.set("AWS_EC2_METADATA_DISABLED", "true");
  env.set("AWS_SHARED_CREDENTIALS_FILE", dir.write("credentials", ""));

  auto call = [&](const std::string& profile_ca, std::optional<std::string> env_ca) -> std::pair<std::string, Status> {
    env.set("AWS_CONFIG_FILE",
            dir.write("config", profile_ca.empty() ? "[default]\n" : "[default]\nca_bundle = " + profile_ca + "\n"));
    if (env_ca) env.set("AWS_CA_BUNDLE", *env_ca);
    else env.unset("AWS_CA_BUNDLE");
    auto c = Config::from_environment();
    if (!c) return {"", std::move(c).error()};
    c->endpoint_url = tls.url("/echo");
    c->retry.base_delay = 10ms;
    internal::ServiceClient client(*c, echo_service());
    auto r = client.call_json("Ping", "{}");
    if (!r) return {c->ca_bundle, std::move(r).error()};
    return {c->ca_bundle, Status{}};
  };

  {  // Neither: the system's CAs, which do not know the test server's.
    auto [bundle, s] = call("", std::nullopt);
    EXPECT_EQ(bundle, "");
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, "TlsVerificationFailed") << s.error().to_string();
  }
  {  // The profile's ca_bundle.
    auto [bundle, s] = call(tls.cert(), std::nullopt);
    EXPECT_EQ(bundle, tls.cert());
    EXPECT_TRUE(s.ok()) << s.error().to_string();
  }
  {  // AWS_CA_BUNDLE wins over the profile, as in the AWS CLI.
    auto [bundle, s] = call(tls.missing(), tls.cert());
    EXPECT_EQ(bundle, tls.cert());
    EXPECT_TRUE(s.ok()) << s.error().to_string();
  }
  {
    auto [bundle, s] = call(tls.cert(), tls.missing());
    EXPECT_EQ(bundle, tls.missing());
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, "TlsError") << s.error().to_string();
  }
  {  // An empty AWS_CA_BUNDLE is as good as unset.
    auto [bundle, s] = call(tls.cert(), std::string());
    EXPECT_EQ(bundle, tls.cert());
    EXPECT_TRUE(s.ok()) << s.error().to_string();
  }
}

// ---------------------------------------------------------------------------------------
// Name lookup failures, injected with tests/support/resolver_shim.c (no real DNS involved)

using ShimLookups = long (*)(const char*);

ShimLookups resolver_shim() { return reinterpret_cast<ShimLookups>(::dlsym(RTLD_DEFAULT, "awsdl_resolver_shim_lookups")); }

// Runs the current test again in a child process with the shim preloaded and `rules` as its
// AWSDL_RESOLVER_SHIM_FAIL; the child's verdict is this test's.
void rerun_under_resolver_shim(const std::string& rules) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::map<std::string, std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view kv(*e);
    if (auto eq = kv.find('='); eq != std::string_view::npos) env[std::string(kv.substr(0, eq))] = std::string(kv.substr(eq + 1));
  }
  env["LD_PRELOAD"] = AWSDL_RESOLVER_SHIM;
  env["AWSDL_RESOLVER_SHIM_FAIL"] = rules;
  // Under ASan the preloaded (uninstrumented) shim comes before the sanitizer's runtime.
  env["ASAN_OPTIONS"] = env["ASAN_OPTIONS"] + (env["ASAN_OPTIONS"].empty() ? "" : ":") + "verify_asan_link_order=0";
  auto self = std::filesystem::read_symlink("/proc/self/exe").string();
  auto r = testsupport::run_process(self, {std::string("--gtest_filter=") + info->test_suite_name() + "." + info->name()},
                                    env, std::chrono::seconds(120));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("[  PASSED  ] 1 test."), std::string::npos) << r.out << r.err;
}

TEST_F(CurlTransportTest, FailedNameLookupDoesNotBreakTheNextRequest) {
  if (!resolver_shim()) {
    rerun_under_resolver_shim("flaky.test=1,down.test=-1,flaky-call.test=1,down-call.test=-1");
    return;
  }
  const std::string port = std::to_string(server_->port());
  auto t = transport();
  Request r = request("/echo?host=flaky");
  r.host = "flaky.test:" + port;
  auto first = t->send(r, {});
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.error().kind, ErrorKind::kNetwork);
  EXPECT_EQ(first.error().code, "DnsError") << first.error().to_string();
  EXPECT_TRUE(first.error().retryable);
  // The same transport (and so the same pooled handle) resolves the name the second time.
  auto second = echo_of(t->send(r, {}));
  ASSERT_TRUE(second.IsObject());
  EXPECT_EQ(echoed_header(second, "Host"), std::vector<std::string>{"flaky.test:" + port});
  EXPECT_EQ(resolver_shim()("flaky.test"), 2);

  // A name that never resolves says so every time, never a libcurl setup failure.
  Request down = request("/echo");
  down.host = "down.test:" + port;
  for (int i = 0; i < 3; ++i) {
    SCOPED_TRACE(i);
    auto got = t->send(down, {});
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.error().code, "DnsError") << got.error().to_string();
    EXPECT_TRUE(got.error().retryable);
  }
  EXPECT_EQ(resolver_shim()("down.test"), 3);
  EXPECT_TRUE(echo_of(t->send(request("/echo"), {})).IsObject());

  // Through the retry loop: one failed lookup costs one attempt, and the call succeeds...
  auto counting = std::make_shared<CountingTransport>(transport());
  internal::ServiceClient flaky(echo_config(counting, "http://flaky-call.test:" + port + "/echo"), echo_service());
  auto ok = flaky.call_json("Ping", "{}");
  ASSERT_TRUE(ok.ok()) << ok.error().to_string();
  EXPECT_EQ(counting->sends.load(), 2);
  // ...while a name that never resolves is reported as a retryable DNS failure.
  auto counting_down = std::make_shared<CountingTransport>(transport());
  internal::ServiceClient gone(echo_config(counting_down, "http://down-call.test:" + port + "/echo"), echo_service());
  auto bad = gone.call_json("Ping", "{}");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, "DnsError") << bad.error().to_string();
  EXPECT_TRUE(bad.error().retryable);
  EXPECT_NE(bad.error().message.find("gave up after 3 attempts"), std::string::npos) << bad.error().message;
  EXPECT_EQ(counting_down->sends.load(), 3);
}

TEST_F(CurlTransportTest, RefusedOptionIsNamedAndTheHandleIsReplaced) {
  // libcurl refuses strings over 8 MB (CURL_MAX_INPUT_LENGTH): a way to make setup fail.
  auto t = transport({.user_agent = std::string(9u << 20, 'a')});
  auto r = t->send(request("/echo"), {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "CurlSetupFailed");
  EXPECT_NE(r.error().message.find("CURLOPT_USERAGENT was refused"), std::string::npos) << r.error().message;
  EXPECT_LT(r.error().message.size(), 1000u);
  // The next request, which needs no such option, is sent normally.
  Request ok = request("/echo");
  ok.headers.add("User-Agent", "mine/1");
  auto d = echo_of(t->send(ok, {}));
  ASSERT_TRUE(d.IsObject());
  EXPECT_EQ(echoed_header(d, "User-Agent"), std::vector<std::string>{"mine/1"});
}

// ---------------------------------------------------------------------------------------
// Hygiene

TEST_F(CurlTransportTest, ErrorMessagesNameMethodHostPathButNoSecrets) {
  const std::string secret_sig = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  const std::string auth = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/s3/aws4_request, "
                           "SignedHeaders=host, Signature=" + secret_sig;
  auto check = [&](const Result<Response>& r, const std::string& host) {
    ASSERT_FALSE(r.ok());
    const std::string& m = r.error().message;
    EXPECT_NE(m.find("GET"), std::string::npos) << m;
    EXPECT_NE(m.find(host), std::string::npos) << m;
    EXPECT_NE(m.find("/bucket/key"), std::string::npos) << m;
    for (const std::string& bad : {secret_sig, std::string("X-Amz-Signature"), std::string("X-Amz-Credential"),
                                   std::string("AWS4-HMAC"), std::string("Authorization"), std::string("sessiontoken")})
      EXPECT_EQ(m.find(bad), std::string::npos) << m;
    EXPECT_EQ(r.error().to_string().find(secret_sig), std::string::npos);
  };
  auto t = transport();
  Request r = request("/bucket/key");
  r.query = "X-Amz-Credential=AKIDEXAMPLE%2F20150830&X-Amz-Signature=" + secret_sig + "&X-Amz-Security-Token=sessiontoken";
  r.headers.add("Authorization", auth);

  int port = testsupport::free_loopback_port();
  Request closed = r;
  closed.host = "127.0.0.1:" + std::to_string(port);
  check(t->send(closed, {}), closed.host);

  // A failure after the server answered: the message still names no query.
  auto short_r = request("/short?claim=100&send=1");
  short_r.headers.add("Authorization", auth);
  auto got = t->send(short_r, {});
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().message.find(secret_sig), std::string::npos);
  EXPECT_EQ(got.error().message.find("claim="), std::string::npos) << got.error().message;

  Request bad_header = r;
  bad_header.headers.add("X-Evil", "value\r\nInjected: " + secret_sig);
  auto invalid = t->send(bad_header, {});
  ASSERT_FALSE(invalid.ok());
  EXPECT_EQ(invalid.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(invalid.error().message.find(secret_sig), std::string::npos);
}

TEST_F(CurlTransportTest, InvalidRequestsAreRejectedBeforeSending) {
  auto t = transport();
  Request ftp = request("/echo");
  ftp.scheme = "ftp";
  auto a = t->send(ftp, {});
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().kind, ErrorKind::kInvalidArgument);

  Request no_host = request("/echo");
  no_host.host = "";
  EXPECT_EQ(t->send(no_host, {}).error().kind, ErrorKind::kInvalidArgument);

  Request bad_method = request("/echo");
  bad_method.method = "GET /x HTTP/1.1\r\n";
  EXPECT_EQ(t->send(bad_method, {}).error().kind, ErrorKind::kInvalidArgument);

  Request bad_length = request("/echo", "PUT");
  bad_length.body = "12345";
  bad_length.headers.add("Content-Length", "4");
  EXPECT_EQ(t->send(bad_length, {}).error().code, "ContentLengthMismatch");
}

TEST_F(CurlTransportTest, ManyThreadsOnOneTransport) {
  auto t = transport();
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      for (int j = 0; j < 10; ++j) {
        Request r = request("/echo", "PUT");
        r.body = pattern(static_cast<std::uint64_t>(i * 1000 + j), 3000 + i * 10 + j);
        auto got = t->send(r, {});
        if (!got.ok()) continue;
        rapidjson::Document d;
        d.Parse(got->body.c_str());
        if (d.IsObject() && d["body_crc32"].GetUint() == crc(r.body)) ++good;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(good.load(), 80);
}

}  // namespace
}  // namespace awsdl::http
