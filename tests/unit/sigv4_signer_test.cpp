// The signer's behaviour beyond the official vectors: bad input, host handling, re-signing,
// payload hash precedence, S3 versus other services, the signing-key cache, chunk framing.

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "auth/signing_key_cache.hpp"
#include "auth/sigv4_canonical.hpp"
#include "awsdl/auth/sigv4.hpp"
#include "util/crypto.hpp"

namespace awsdl::auth {
namespace {

const WallTime kTime = WallTime(std::chrono::seconds(1440938160));  // 2015-08-30T12:36:00Z

double cpu_seconds() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  auto secs = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return secs(ru.ru_utime) + secs(ru.ru_stime);
}

Credentials example_credentials(std::string token = "") {
  Credentials c;
  c.access_key_id = "AKIDEXAMPLE";
  c.secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
  c.session_token = std::move(token);
  return c;
}

SigningParams service_params() {
  SigningParams p;
  p.region = "us-east-1";
  p.service = "service";
  p.time = kTime;
  return p;
}

SigningParams s3_params() {
  SigningParams p;
  p.region = "us-east-1";
  p.service = "s3";
  p.time = kTime;
  p.double_uri_encode = false;
  p.normalize_path = false;
  p.add_content_sha256_header = true;
  return p;
}

http::Request vanilla() {
  http::Request r;
  r.method = "GET";
  r.host = "example.amazonaws.com";
  r.path = "/";
  return r;
}

std::size_t count(const http::Headers& h, std::string_view name) {
  std::size_t n = 0;
  for (const auto& [k, v] : h) {
    std::string lower(k);
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    n += lower == name;
  }
  return n;
}

TEST(Sigv4Signer, SigningKeyDerivationMatchesAwsDocs) {
  // The "derive a signing key" example of the AWS General Reference.
  EXPECT_EQ(internal::hex_encode(internal::derive_signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215",
                                                              "us-east-1", "iam")),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
  EXPECT_EQ(internal::hex_encode(internal::derive_signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20150830",
                                                              "us-east-1", "iam")),
            "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");
}

TEST(Sigv4Signer, AddsHostDateAndAuthorization) {
  auto r = vanilla();
  auto res = sign_request(r, example_credentials(), service_params());
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(r.headers.get("host").value_or(""), "example.amazonaws.com");
  EXPECT_EQ(r.headers.get("x-amz-date").value_or(""), "20150830T123600Z");
  EXPECT_FALSE(r.headers.has("x-amz-security-token"));
  EXPECT_FALSE(r.headers.has("x-amz-content-sha256"));
  EXPECT_EQ(res->signed_headers, "host;x-amz-date");
  EXPECT_TRUE(r.headers.get("authorization").value_or("").starts_with(
      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
      "SignedHeaders=host;x-amz-date, Signature="));
  // Same request as the suite's get-vanilla: the Host header the signer adds is the one the
  // suite's request carries.
  EXPECT_EQ(res->canonical_request,
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" +
                std::string(internal::kEmptySha256Hex));
}

TEST(Sigv4Signer, HostHeaderIsLowerCasedWithoutTheDefaultPort) {
  struct Case {
    const char* scheme;
    const char* host;
    const char* want;
  };
  for (const Case& c : {Case{"https", "Example.COM:443", "example.com"}, Case{"https", "example.com:80", "example.com:80"},
                        Case{"http", "example.com:80", "example.com"}, Case{"http", "127.0.0.1:8080", "127.0.0.1:8080"},
                        Case{"https", "[::1]:443", "[::1]"}, Case{"https", "[::1]:9000", "[::1]:9000"},
                        Case{"https", "::1", "::1"}}) {
    http::Request r = vanilla();
    r.scheme = c.scheme;
    r.host = c.host;
    ASSERT_TRUE(sign_request(r, example_credentials(), service_params()).ok());
    EXPECT_EQ(r.headers.get("host").value_or("?"), c.want) << c.scheme << "://" << c.host;
  }
  // A Host header the caller set is signed as it is.
  http::Request r = vanilla();
  r.headers.add("Host", "virtual.example.com");
  auto res = sign_request(r, example_credentials(), service_params());
  ASSERT_TRUE(res.ok());
  EXPECT_NE(res->canonical_request.find("\nhost:virtual.example.com\n"), std::string::npos);
  EXPECT_EQ(count(r.headers, "host"), 1u);
}

TEST(Sigv4Signer, ResigningReplacesWhatTheLastSignatureAdded) {
  auto r = vanilla();
  r.headers.add("X-Custom", "v");
  const auto creds = example_credentials("token-123456789");
  auto first = sign_request(r, creds, service_params());
  ASSERT_TRUE(first.ok());
  SigningParams later = service_params();
  later.time = kTime + std::chrono::minutes(5);  // a clock-skew correction
  auto second = sign_request(r, creds, later);
  ASSERT_TRUE(second.ok());
  for (const char* h : {"authorization", "x-amz-date", "x-amz-security-token", "host", "x-custom"})
    EXPECT_EQ(count(r.headers, h), 1u) << h;
  EXPECT_EQ(r.headers.get("x-amz-date").value_or(""), "20150830T124100Z");
  EXPECT_NE(first->signature, second->signature);
  // Re-signing at the first time gives the first signature back: a pure function.
  auto third = sign_request(r, creds, service_params());
  ASSERT_TRUE(third.ok());
  EXPECT_TRUE(third->signature == first->signature);
  EXPECT_EQ(third->canonical_request, first->canonical_request);
}

TEST(Sigv4Signer, SessionTokenIsSigned) {
  auto r = vanilla();
  auto res = sign_request(r, example_credentials("AQoDYXdzEPT//////////wEXAMPLE"), service_params());
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->signed_headers, "host;x-amz-date;x-amz-security-token");
  EXPECT_EQ(r.headers.get("X-Amz-Security-Token").value_or(""), "AQoDYXdzEPT//////////wEXAMPLE");
}

TEST(Sigv4Signer, BadInputIsAnInvalidArgumentAndLeavesTheRequestAlone) {
  auto check = [](http::Request r, const Credentials& c, const SigningParams& p, const char* code) {
    const auto before = r.headers.entries();
    auto res = sign_request(r, c, p);
    ASSERT_FALSE(res.ok()) << code;
    EXPECT_EQ(res.error().kind, ErrorKind::kInvalidArgument);
    EXPECT_EQ(res.error().code, code);
    EXPECT_EQ(r.headers.entries(), before);
    EXPECT_EQ(res.error().to_string().find("wJalrXUtnFEMI"), std::string::npos);
  };
  Credentials no_key = example_credentials();
  no_key.access_key_id.clear();
  check(vanilla(), no_key, service_params(), "MissingCredentials");
  Credentials no_secret = example_credentials();
  no_secret.secret_access_key.clear();
  check(vanilla(), no_secret, service_params(), "MissingCredentials");
  http::Request no_host = vanilla();
  no_host.host.clear();
  check(no_host, example_credentials(), service_params(), "MissingHost");
  SigningParams no_region = service_params();
  no_region.region.clear();
  check(vanilla(), example_credentials(), no_region, "InvalidRegion");
  SigningParams bad_service = service_params();
  bad_service.service = "a/b";
  check(vanilla(), example_credentials(), bad_service, "InvalidService");
  http::Request streamed = vanilla();
  streamed.body_source = [](char*, std::size_t) -> Result<std::size_t> { return std::size_t{0}; };
  check(streamed, example_credentials(), service_params(), "MissingPayloadHash");
}

TEST(Sigv4Signer, StreamedBodyWithAnExplicitPayloadHash) {
  http::Request r = vanilla();
  r.method = "PUT";
  r.body_source = [](char*, std::size_t) -> Result<std::size_t> { return std::size_t{0}; };
  SigningParams p = s3_params();
  p.payload_hash = std::string(kUnsignedPayload);
  auto res = sign_request(r, example_credentials(), p);
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(r.headers.get("x-amz-content-sha256").value_or(""), kUnsignedPayload);
  EXPECT_TRUE(res->canonical_request.ends_with("\nUNSIGNED-PAYLOAD"));
}

TEST(Sigv4Signer, PayloadHashPrecedence) {
  const std::string body = "Action=DescribeInstances&Version=2016-11-15";
  // The body's hash by default.
  http::Request a = vanilla();
  a.method = "POST";
  a.body = body;
  auto ra = sign_request(a, example_credentials(), service_params());
  ASSERT_TRUE(ra.ok());
  EXPECT_TRUE(ra->canonical_request.ends_with("\n" + sha256_hex(body)));
  // The caller's x-amz-content-sha256 header when the signer does not write that header.
  http::Request b = a;
  b.headers = {};
  b.headers.add("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD");
  auto rb = sign_request(b, example_credentials(), service_params());
  ASSERT_TRUE(rb.ok());
  EXPECT_TRUE(rb->canonical_request.ends_with("\nUNSIGNED-PAYLOAD"));
  // S3 writes the header itself, from the body.
  http::Request c = b;
  c.headers = {};
  c.headers.add("X-Amz-Content-Sha256", "stale");
  auto rc = sign_request(c, example_credentials(), s3_params());
  ASSERT_TRUE(rc.ok());
  EXPECT_EQ(c.headers.get("x-amz-content-sha256").value_or(""), sha256_hex(body));
  EXPECT_EQ(count(c.headers, "x-amz-content-sha256"), 1u);
  // params.payload_hash wins over everything.
  SigningParams p = s3_params();
  p.payload_hash = std::string(kStreamingPayload);
  auto rd = sign_request(c, example_credentials(), p);
  ASSERT_TRUE(rd.ok());
  EXPECT_EQ(c.headers.get("x-amz-content-sha256").value_or(""), kStreamingPayload);
}

TEST(Sigv4Signer, S3SignsThePathAsSentOtherServicesEncodeItAgain) {
  http::Request r = vanilla();
  r.path = "/my%20bucket/a/../b//c%2Fd";
  auto s3 = sign_request(r, example_credentials(), s3_params());
  ASSERT_TRUE(s3.ok());
  EXPECT_TRUE(s3->canonical_request.starts_with("GET\n/my%20bucket/a/../b//c%2Fd\n"));
  http::Request o = vanilla();
  o.path = r.path;
  auto other = sign_request(o, example_credentials(), service_params());
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(other->canonical_request.starts_with("GET\n/my%2520bucket/b/c%252Fd\n"));
  EXPECT_EQ(o.path, r.path);  // the wire path is not touched
}

TEST(Sigv4Signer, CanonicalQueryDecodesReencodesAndSorts) {
  std::string out;
  internal::sigv4::append_canonical_query(out, "b=2&a=%7e&a=1&c&%c3%bc=x+y&d=%zz&e=a%2fb");
  EXPECT_EQ(out, "%C3%BC=x%2By&a=1&a=~&b=2&c=&d=%25zz&e=a%2Fb");  // sorted by encoded bytes
  out.clear();
  internal::sigv4::append_canonical_query(out, "");
  EXPECT_EQ(out, "");
}

TEST(Sigv4Signer, PathNormalisation) {
  auto norm = [](std::string_view p) {
    std::string out;
    internal::sigv4::append_normalized_path(out, p);
    return out;
  };
  EXPECT_EQ(norm(""), "/");
  EXPECT_EQ(norm("/"), "/");
  EXPECT_EQ(norm("//"), "/");
  EXPECT_EQ(norm("/./"), "/");
  EXPECT_EQ(norm("/example/.."), "/");
  EXPECT_EQ(norm("/a/b/../c/"), "/a/c/");
  EXPECT_EQ(norm("/a/b/.."), "/a");
  EXPECT_EQ(norm("//example//"), "/example/");
  EXPECT_EQ(norm("/../../a"), "/a");
}

TEST(Sigv4Signer, UriEncode) {
  EXPECT_EQ(uri_encode("AZaz09-_.~", true), "AZaz09-_.~");
  EXPECT_EQ(uri_encode("a b/c+d=e&f*", false), "a%20b/c%2Bd%3De%26f%2A");
  EXPECT_EQ(uri_encode("a/b", true), "a%2Fb");
  EXPECT_EQ(uri_encode("\xe1\x88\xb4", true), "%E1%88%B4");
  EXPECT_EQ(uri_encode("%", true), "%25");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sigv4Signer, HeaderValuesAreTrimmedAndRepeatsJoined) {
  http::Request r = vanilla();
  r.headers.add("X-B", "  two   words\t here ");
  r.headers.add("x-a", "first");
  r.headers.add("X-A", "");
  r.headers.add("X-a", " third ");
  r.headers.add("User-Agent", "curl/8");  // rewritten by clients: not signed
  auto res = sign_request(r, example_credentials(), service_params());
  ASSERT_TRUE(res.ok());
  EXPECT_NE(res->canonical_request.find("\nx-a:first,,third\nx-amz-date:20150830T123600Z\nx-b:two words here\n\n"),
            std::string::npos)
      << res->canonical_request;
  EXPECT_EQ(res->signed_headers, "host;x-a;x-amz-date;x-b");
}

// Found by fuzzing: the headers were put in order by insertion sort, quadratic in their
// number (a request with user metadata from a caller's map can have any number).
TEST(Sigv4Signer, ManyHeadersSignInLinearithmicTime) {
  constexpr int kHeaders = 90000;
  http::Request r = vanilla();
  // Names in descending order (the worst case for insertion), each name three times, the
  // repeats of a name apart from each other.
  for (int round = 0; round < 3; ++round)
    for (int i = kHeaders / 3; i-- > 0;) r.headers.add("x-h" + std::to_string(100000 + i), std::to_string(round));
  const double before = cpu_seconds();
  auto res = sign_request(r, example_credentials(), service_params());
  const double spent = cpu_seconds() - before;
  ASSERT_TRUE(res.ok()) << res.error().to_string();
  // Insertion: 2e9 moves, several CPU-s (far more under the sanitizers); a sort: well under one.
  EXPECT_LT(spent, 2.0) << "signing " << kHeaders << " headers took " << spent << " CPU-s";
  // Sorted by name, repeats joined in the order given.
  EXPECT_NE(res->canonical_request.find("\nx-h100000:0,1,2\nx-h100001:0,1,2\n"), std::string::npos);
  EXPECT_EQ(res->signed_headers.substr(0, 25), "host;x-amz-date;x-h100000");

  // Past the handful insertion sorts, the order is the same: by name, repeats as given.
  http::Request some = vanilla();
  std::map<std::string, std::string> want;  // name -> values joined in the order given
  for (int i = 0; i < 40; ++i) {
    const std::string name = std::string("X-") + static_cast<char>('e' - i % 5);
    const std::string value = std::to_string(i);
    some.headers.add(name, value);
    auto& joined = want["x-" + std::string(1, static_cast<char>('e' - i % 5))];
    joined += (joined.empty() ? "" : ",") + value;
  }
  want["host"] = "example.amazonaws.com";
  want["x-amz-date"] = "20150830T123600Z";
  auto res40 = sign_request(some, example_credentials(), service_params());
  ASSERT_TRUE(res40.ok());
  std::string lines;
  for (const auto& [name, joined] : want) lines += name + ":" + joined + "\n";
  EXPECT_NE(res40->canonical_request.find("GET\n/\n\n" + lines + "\n"), std::string::npos) << res40->canonical_request;
}

TEST(Sigv4Presign, ExpiryBounds) {
  for (auto [secs, ok] : {std::pair{0, false}, std::pair{-5, false}, std::pair{1, true}, std::pair{604800, true},
                          std::pair{604801, false}}) {
    http::Request r = vanilla();
    auto url = presign(r, example_credentials(), service_params(), std::chrono::seconds(secs));
    EXPECT_EQ(url.ok(), ok) << secs;
    if (!url.ok()) {
      EXPECT_EQ(url.error().kind, ErrorKind::kInvalidArgument);
      EXPECT_EQ(r.query, "");
    }
  }
}

TEST(Sigv4Presign, S3PresignUsesUnsignedPayloadAndKeepsTheQuery) {
  http::Request r = vanilla();
  r.host = "examplebucket.s3.amazonaws.com";
  r.path = "/photos/a%20b.jpg";
  r.query = "versionId=3&response-content-type=text%2Fplain";
  SigningResult details;
  auto url = presign(r, example_credentials("tok/en+="), s3_params(), std::chrono::seconds(60), &details);
  ASSERT_TRUE(url.ok());
  EXPECT_TRUE(details.canonical_request.ends_with("\nUNSIGNED-PAYLOAD"));
  EXPECT_TRUE(details.canonical_request.starts_with("GET\n/photos/a%20b.jpg\nX-Amz-Algorithm="));
  EXPECT_NE(details.canonical_request.find("&X-Amz-Security-Token=tok%2Fen%2B%3D&X-Amz-SignedHeaders=host&"
                                           "response-content-type=text%2Fplain&versionId=3\n"),
            std::string::npos)
      << details.canonical_request;
  EXPECT_TRUE(url.value().starts_with("https://examplebucket.s3.amazonaws.com/photos/a%20b.jpg?versionId=3&"
                                      "response-content-type=text%2Fplain&X-Amz-Algorithm=AWS4-HMAC-SHA256&"));
  EXPECT_FALSE(r.headers.has("authorization"));
  EXPECT_FALSE(r.headers.has("x-amz-date"));

  // Presigning again replaces the previous parameters rather than piling them up.
  SigningParams later = s3_params();
  later.time = kTime + std::chrono::hours(1);
  auto again = presign(r, example_credentials("tok/en+="), later, std::chrono::seconds(60));
  ASSERT_TRUE(again.ok());
  for (const char* p : {"X-Amz-Algorithm=", "X-Amz-Credential=", "X-Amz-Date=", "X-Amz-Expires=",
                        "X-Amz-SignedHeaders=", "X-Amz-Security-Token=", "X-Amz-Signature="}) {
    const auto first = r.query.find(p);
    ASSERT_NE(first, std::string::npos) << p;
    EXPECT_EQ(r.query.find(p, first + 1), std::string::npos) << p;
  }
  EXPECT_NE(r.query.find("X-Amz-Date=20150830T133600Z"), std::string::npos);
}

// Keys are compared through the MAC they give on a probe message.
std::string mac_of(const internal::HmacSha256& key) { return internal::hex_encode(key.mac("probe")); }
std::string mac_of(const internal::Sha256Digest& key) {
  return internal::hex_encode(internal::hmac_sha256(internal::as_chars(key), "probe"));
}

TEST(Sigv4KeyCache, RepeatedSignaturesReuseTheDerivedKey) {
  SigningKeyCache cache;
  const auto k1 = mac_of(cache.get("secret-one-0123456789", "20150830", "us-east-1", "ec2"));
  const auto k2 = mac_of(cache.get("secret-one-0123456789", "20150830", "us-east-1", "ec2"));
  EXPECT_EQ(k1, k2);
  EXPECT_EQ(cache.stats().hits, 1u);
  EXPECT_EQ(cache.stats().misses, 1u);
  EXPECT_EQ(k1, mac_of(internal::derive_signing_key("secret-one-0123456789", "20150830", "us-east-1", "ec2")));
  // Any change of secret, date, region or service is a different key.
  EXPECT_NE(mac_of(cache.get("secret-two-0123456789", "20150830", "us-east-1", "ec2")), k1);
  EXPECT_NE(mac_of(cache.get("secret-one-0123456789", "20150831", "us-east-1", "ec2")), k1);
  EXPECT_NE(mac_of(cache.get("secret-one-0123456789", "20150830", "us-west-2", "ec2")), k1);
  EXPECT_NE(mac_of(cache.get("secret-one-0123456789", "20150830", "us-east-1", "s3")), k1);
  EXPECT_EQ(cache.stats().misses, 5u);
  // More entries than it holds: it keeps working, the oldest are dropped.
  for (int i = 0; i < 40; ++i)
    EXPECT_EQ(mac_of(cache.get("s" + std::to_string(i), "20150830", "r", "svc")),
              mac_of(internal::derive_signing_key("s" + std::to_string(i), "20150830", "r", "svc")));
  EXPECT_EQ(mac_of(cache.get("s39", "20150830", "r", "svc")),
            mac_of(internal::derive_signing_key("s39", "20150830", "r", "svc")));
  EXPECT_EQ(cache.stats().hits, 2u);
  cache.clear();
  EXPECT_EQ(mac_of(cache.get("s39", "20150830", "r", "svc")),
            mac_of(internal::derive_signing_key("s39", "20150830", "r", "svc")));
  EXPECT_EQ(cache.stats().misses, 1u);
}

TEST(Sigv4KeyCache, SigningFromManyThreadsAgrees) {
  auto r = vanilla();
  auto want = sign_request(r, example_credentials(), service_params());
  ASSERT_TRUE(want.ok());
  // One cache for every thread, as the clients of one Config share theirs.
  const auto cache = make_signing_key_cache();
  std::vector<std::thread> threads;
  std::vector<int> good(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 300; ++i) {
        auto req = vanilla();
        SigningParams p = service_params();
        p.key_cache = cache.get();
        // Alternate regions so that threads also insert into the cache concurrently.
        if (i % 3 == 0) p.region = "region-" + std::to_string(t) + "-" + std::to_string(i % 7);
        auto res = sign_request(req, example_credentials(), p);
        if (res.ok() && (i % 3 != 0 ? res->signature == want->signature : res->signature.size() == 64)) ++good[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int g : good) EXPECT_EQ(g, 300);
  EXPECT_EQ(cache->stats().hits + cache->stats().misses, 1200u);
}

// The signer is a pure function of its inputs: it keeps keys only in the cache its params
// name, and signs the same with one, with another or with none.
TEST(Sigv4KeyCache, TheSignerUsesOnlyTheCacheItIsGiven) {
  SigningKeyCache mine, other;
  auto sign = [](SigningKeyCache* cache) {
    auto r = vanilla();
    SigningParams p = service_params();
    p.key_cache = cache;
    auto res = sign_request(r, example_credentials(), p);
    return res.ok() ? res->signature : std::string("failed: ") + res.error().to_string();
  };
  const std::string bare = sign(nullptr);
  ASSERT_EQ(bare.size(), 64u) << bare;
  EXPECT_EQ(sign(&mine), bare);
  EXPECT_EQ(mine.stats().misses, 1u);
  EXPECT_EQ(sign(&mine), bare);
  EXPECT_EQ(mine.stats().hits, 1u);
  EXPECT_EQ(sign(nullptr), bare);
  EXPECT_EQ(mine.stats().hits + mine.stats().misses, 2u) << "a signature without a cache used this one";
  EXPECT_EQ(other.stats().hits + other.stats().misses, 0u);

  // Presigning and chunk signing too.
  auto r = vanilla();
  SigningParams p = s3_params();
  p.key_cache = &other;
  ASSERT_TRUE(presign(r, example_credentials(), p, std::chrono::seconds(60)).ok());
  ChunkSigner chunks(example_credentials(), p, std::string(64, '0'));
  EXPECT_EQ(other.stats().misses, 1u);
  EXPECT_EQ(other.stats().hits, 1u);
  EXPECT_EQ(mine.stats().hits + mine.stats().misses, 2u);
}

TEST(Sigv4Chunks, EncodedLength) {
  // The S3 example: 65536 + 1024 bytes and the final chunk.
  EXPECT_EQ(ChunkSigner::encoded_length(66560, 65536), 66824u);
  EXPECT_EQ(ChunkSigner::encoded_length(0, 65536), 86u);  // the final chunk alone
  EXPECT_EQ(ChunkSigner::encoded_length(65536, 65536), 65626u + 86u);
  EXPECT_EQ(ChunkSigner::encoded_length(10, 0), 1u + 17 + 64 + 2 + 10 + 2 + 86);
}

TEST(Sigv4Chunks, ChainsFromTheSeedAndFramesMatchEncodedLength) {
  const SigningParams p = s3_params();
  ChunkSigner a(example_credentials(), p, std::string(64, '0'));
  ChunkSigner b(example_credentials(), p, std::string(64, '0'));
  const std::string s1 = a.sign_chunk("hello");
  EXPECT_EQ(s1.size(), 64u);
  EXPECT_TRUE(b.sign_chunk("hello") == s1);
  EXPECT_FALSE(a.sign_chunk("hello") == s1);  // the chain moved on
  ChunkSigner c(example_credentials(), p, std::string(64, '1'));
  EXPECT_FALSE(c.sign_chunk("hello") == s1);  // another seed, another chain

  ChunkSigner framer(example_credentials(), p, std::string(64, '0'));
  const std::string data(100000, 'z');
  std::uint64_t total = 0;
  for (std::size_t off = 0; off < data.size(); off += 65536)
    total += framer.frame_chunk(std::string_view(data).substr(off, 65536)).size();
  const std::string last = framer.frame_chunk("");
  EXPECT_TRUE(last.starts_with("0;chunk-signature="));
  EXPECT_TRUE(last.ends_with("\r\n\r\n"));
  total += last.size();
  EXPECT_EQ(total, ChunkSigner::encoded_length(data.size(), 65536));

  ChunkSigner moved = std::move(framer);
  EXPECT_EQ(moved.sign_chunk("x").size(), 64u);
}

// Move-only: a copy would fork the chain. Moves carry the chain over; the moved-from signer
// signs nothing; nothing leaks or is freed twice (the unit tests also run under ASan).
static_assert(!std::is_copy_constructible_v<ChunkSigner>);
static_assert(!std::is_copy_assignable_v<ChunkSigner>);
static_assert(std::is_nothrow_move_constructible_v<ChunkSigner>);
static_assert(std::is_nothrow_move_assignable_v<ChunkSigner>);

TEST(Sigv4Chunks, MovesCarryTheChainOver) {
  const SigningParams p = s3_params();
  ChunkSigner reference(example_credentials(), p, std::string(64, '0'));
  ChunkSigner a(example_credentials(), p, std::string(64, '0'));
  ASSERT_EQ(a.sign_chunk("one"), reference.sign_chunk("one"));

  ChunkSigner b(std::move(a));
  EXPECT_EQ(b.sign_chunk("two"), reference.sign_chunk("two"));
  EXPECT_EQ(a.sign_chunk("two"), "");  // NOLINT(bugprone-use-after-move): moved from

  // Assigned over a signer with a chain of its own: that chain is dropped, b's continues.
  ChunkSigner c(example_credentials(), p, std::string(64, '1'));
  (void)c.sign_chunk("elsewhere");
  c = std::move(b);
  EXPECT_EQ(c.sign_chunk("three"), reference.sign_chunk("three"));
  EXPECT_EQ(b.sign_chunk("three"), "");  // NOLINT(bugprone-use-after-move)

  // A moved-from signer takes a chain again; moving onto itself keeps it.
  a = std::move(c);
  ChunkSigner& alias = a;
  a = std::move(alias);
  EXPECT_EQ(a.sign_chunk("four"), reference.sign_chunk("four"));
  const std::string last = a.frame_chunk("");
  EXPECT_NE(last.find(reference.sign_chunk("")), std::string::npos);
}

}  // namespace
}  // namespace awsdl::auth
