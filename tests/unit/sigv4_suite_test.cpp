// The official SigV4 test suite (tests/data/sigv4-test-suite, from aws-c-auth, Apache-2.0):
// every case, header and query (presigned) variants, comparing the canonical request, the
// string to sign, the signature and the signed request.
//
// Signatures and Authorization values are compared without printing them (they are
// secret-derived values; see DESIGN.md). Canonical requests and strings to sign are printed
// on mismatch: they hold no secret.

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "awsdl/auth/sigv4.hpp"

namespace awsdl::auth {
namespace {

namespace fs = std::filesystem;

const fs::path kSuiteDir = fs::path(AWSDL_TEST_DATA_DIR) / "sigv4-test-suite";

// Cases of the suite this signer does not run, with the reason. Empty: every case runs.
// (post-sts-header-after, whose token is attached after signing, runs: see
// attach_token_after_signing below.)
const std::map<std::string, std::string> kNotApplicable = {};

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string trim_trailing_newlines(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

// An HTTP/1.1 request as the suite writes it: request line, headers (a line starting with
// whitespace continues the previous header: obs-fold, replaced by a space as RFC 7230
// says), blank line, body. The request target is kept verbatim, spaces and UTF-8 included.
struct RawRequest {
  std::string method;
  std::string path;
  std::string query;
  bool has_query = false;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

RawRequest parse_request(const std::string& text) {
  RawRequest r;
  std::size_t pos = 0;
  auto next_line = [&](std::string& line) {
    if (pos > text.size()) return false;
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    line = text.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    pos = end + 1;
    return true;
  };
  std::string line;
  EXPECT_TRUE(next_line(line));
  const std::size_t sp = line.find(' ');
  const std::size_t proto = line.rfind(" HTTP/");
  EXPECT_NE(sp, std::string::npos);
  EXPECT_NE(proto, std::string::npos);
  r.method = line.substr(0, sp);
  const std::string target = line.substr(sp + 1, proto - sp - 1);
  const std::size_t q = target.find('?');
  r.path = target.substr(0, q);
  if (q != std::string::npos) {
    r.has_query = true;
    r.query = target.substr(q + 1);
  }
  while (next_line(line)) {
    if (line.empty()) break;
    if (line.front() == ' ' || line.front() == '\t') {
      EXPECT_FALSE(r.headers.empty()) << "continuation line without a header";
      if (!r.headers.empty()) r.headers.back().second += " " + line;
      continue;
    }
    const std::size_t colon = line.find(':');
    EXPECT_NE(colon, std::string::npos) << line;
    r.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
  }
  if (pos < text.size()) r.body = text.substr(pos);
  return r;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t");
  return std::string(s.substr(b, e - b + 1));
}

WallTime parse_timestamp(const std::string& iso) {  // "2015-08-30T12:36:00Z"
  using namespace std::chrono;
  const int y = std::stoi(iso.substr(0, 4));
  const unsigned mo = static_cast<unsigned>(std::stoi(iso.substr(5, 2)));
  const unsigned d = static_cast<unsigned>(std::stoi(iso.substr(8, 2)));
  const sys_days date{year{y} / month{mo} / std::chrono::day{d}};
  return WallTime(date) + hours(std::stoi(iso.substr(11, 2))) + minutes(std::stoi(iso.substr(14, 2))) +
         seconds(std::stoi(iso.substr(17, 2)));
}

struct Case {
  std::string name;
  fs::path dir;
  RawRequest request;
  Credentials credentials;
  SigningParams params;
  bool omit_session_token = false;
  std::int64_t expires = 0;
};

Case load_case(const std::string& name) {
  Case c;
  c.name = name;
  c.dir = kSuiteDir / name;
  c.request = parse_request(read_file(c.dir / "request.txt"));
  rapidjson::Document ctx;
  ctx.Parse(read_file(c.dir / "context.json").c_str());
  EXPECT_FALSE(ctx.HasParseError()) << name;
  const auto& cred = ctx["credentials"];
  c.credentials.access_key_id = cred["access_key_id"].GetString();
  c.credentials.secret_access_key = cred["secret_access_key"].GetString();
  if (cred.HasMember("token")) c.credentials.session_token = cred["token"].GetString();
  c.params.region = ctx["region"].GetString();
  c.params.service = ctx["service"].GetString();
  c.params.time = parse_timestamp(ctx["timestamp"].GetString());
  // The suite is for services other than S3: the path is encoded (once more) by the signer.
  c.params.double_uri_encode = true;
  c.params.normalize_path = ctx["normalize"].GetBool();
  c.params.add_content_sha256_header = ctx["sign_body"].GetBool();
  c.omit_session_token = ctx.HasMember("omit_session_token") && ctx["omit_session_token"].GetBool();
  c.expires = ctx["expiration_in_seconds"].GetInt64();
  return c;
}

http::Request to_http(const RawRequest& raw) {
  http::Request r;
  r.method = raw.method;
  r.scheme = "https";
  r.path = raw.path;
  r.query = raw.query;
  for (const auto& [k, v] : raw.headers) {
    r.headers.add(k, v);
    if (lower(k) == "host") r.host = trim(v);
  }
  r.body = raw.body;
  return r;
}

// "omit_session_token" (used by IoT) means: sign without the token, then attach it. The
// signer has no switch for that; a caller gets it by signing with token-less credentials
// and attaching the token itself, which is what these helpers do.
Credentials signing_credentials(const Case& c) {
  Credentials creds = c.credentials;
  if (c.omit_session_token) creds.session_token.clear();
  return creds;
}

std::multiset<std::pair<std::string, std::string>> header_set(const std::vector<std::pair<std::string, std::string>>& h) {
  std::multiset<std::pair<std::string, std::string>> out;
  for (const auto& [k, v] : h) out.emplace(lower(k), trim(v));
  return out;
}

std::multiset<std::pair<std::string, std::string>> query_set(const std::string& query) {
  std::multiset<std::pair<std::string, std::string>> out;
  std::size_t start = 0;
  while (start <= query.size() && !query.empty()) {
    std::size_t end = query.find('&', start);
    if (end == std::string::npos) end = query.size();
    const std::string piece = query.substr(start, end - start);
    const std::size_t eq = piece.find('=');
    out.emplace(piece.substr(0, eq), eq == std::string::npos ? "" : piece.substr(eq + 1));
    start = end + 1;
  }
  return out;
}

std::vector<std::string> suite_cases() {
  std::vector<std::string> names;
  if (!fs::exists(kSuiteDir)) return names;
  for (const auto& entry : fs::directory_iterator(kSuiteDir))
    if (entry.is_directory()) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

class Sigv4Suite : public ::testing::TestWithParam<std::string> {};

TEST_P(Sigv4Suite, HeaderSignature) {
  if (auto it = kNotApplicable.find(GetParam()); it != kNotApplicable.end()) GTEST_SKIP() << it->second;
  const Case c = load_case(GetParam());
  http::Request request = to_http(c.request);

  auto result = sign_request(request, signing_credentials(c), c.params);
  ASSERT_TRUE(result.ok()) << result.error().to_string();
  if (c.omit_session_token) request.headers.add("X-Amz-Security-Token", c.credentials.session_token);

  EXPECT_EQ(result->canonical_request, trim_trailing_newlines(read_file(c.dir / "header-canonical-request.txt")));
  EXPECT_EQ(result->string_to_sign, trim_trailing_newlines(read_file(c.dir / "header-string-to-sign.txt")));
  EXPECT_TRUE(result->signature == trim_trailing_newlines(read_file(c.dir / "header-signature.txt")))
      << "signature differs from header-signature.txt (values not printed)";

  // The request as it goes on the wire: the suite's signed request, header for header.
  const RawRequest expected = parse_request(read_file(c.dir / "header-signed-request.txt"));
  EXPECT_EQ(request.method, expected.method);
  EXPECT_EQ(request.path, expected.path);
  EXPECT_EQ(request.query, expected.query);
  EXPECT_EQ(request.body, expected.body);
  std::vector<std::pair<std::string, std::string>> got(request.headers.begin(), request.headers.end());
  auto got_set = header_set(got);
  auto want_set = header_set(expected.headers);
  auto pick_auth = [](auto& set) {
    std::string v;
    for (auto it = set.begin(); it != set.end();)
      if (it->first == "authorization") {
        v = it->second;
        it = set.erase(it);
      } else {
        ++it;
      }
    return v;
  };
  const std::string got_auth = pick_auth(got_set);
  const std::string want_auth = pick_auth(want_set);
  EXPECT_EQ(got_set, want_set);
  EXPECT_FALSE(got_auth.empty());
  EXPECT_TRUE(got_auth == want_auth) << "Authorization differs from header-signed-request.txt (values not printed)";
  EXPECT_TRUE(result->authorization == got_auth);
}

TEST_P(Sigv4Suite, QuerySignature) {
  if (auto it = kNotApplicable.find(GetParam()); it != kNotApplicable.end()) GTEST_SKIP() << it->second;
  const Case c = load_case(GetParam());
  http::Request request = to_http(c.request);

  SigningResult details;
  auto url = presign(request, signing_credentials(c), c.params, std::chrono::seconds(c.expires), &details);
  ASSERT_TRUE(url.ok()) << url.error().to_string();

  EXPECT_EQ(details.canonical_request, trim_trailing_newlines(read_file(c.dir / "query-canonical-request.txt")));
  EXPECT_EQ(details.string_to_sign, trim_trailing_newlines(read_file(c.dir / "query-string-to-sign.txt")));
  EXPECT_TRUE(details.signature == trim_trailing_newlines(read_file(c.dir / "query-signature.txt")))
      << "signature differs from query-signature.txt (values not printed)";
  EXPECT_TRUE(details.authorization.empty());

  std::string query = request.query;
  if (c.omit_session_token) {
    // Attached after signing, before the signature, as in query-signed-request.txt.
    const std::size_t sig = query.find("&X-Amz-Signature=");
    ASSERT_NE(sig, std::string::npos);
    query.insert(sig, "&X-Amz-Security-Token=" + uri_encode(c.credentials.session_token, true));
  }

  const RawRequest expected = parse_request(read_file(c.dir / "query-signed-request.txt"));
  EXPECT_EQ(request.path, expected.path);
  auto got_q = query_set(query);
  auto want_q = query_set(expected.query);
  auto pick_sig = [](auto& set) {
    std::string v;
    for (auto it = set.begin(); it != set.end();)
      if (it->first == "X-Amz-Signature") {
        v = it->second;
        it = set.erase(it);
      } else {
        ++it;
      }
    return v;
  };
  const std::string got_sig = pick_sig(got_q);
  const std::string want_sig = pick_sig(want_q);
  EXPECT_EQ(got_q, want_q);
  EXPECT_TRUE(!got_sig.empty() && got_sig == want_sig) << "X-Amz-Signature differs (values not printed)";
  // No header is added to a presigned request but Host, which it already had here.
  EXPECT_EQ(header_set(std::vector<std::pair<std::string, std::string>>(request.headers.begin(), request.headers.end())),
            header_set(expected.headers));
  EXPECT_EQ(url.value(), "https://" + request.host + request.path + "?" + request.query);
}

INSTANTIATE_TEST_SUITE_P(Official, Sigv4Suite, ::testing::ValuesIn(suite_cases()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string n = info.param;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

// Guards against a suite that silently shrank or failed to load.
TEST(Sigv4SuiteInventory, AllCasesPresentAndRunnable) {
  const auto names = suite_cases();
  EXPECT_EQ(names.size(), 38u);
  EXPECT_TRUE(fs::exists(kSuiteDir / "LICENSE"));
  EXPECT_TRUE(fs::exists(kSuiteDir / "NOTICE"));
  for (const auto& n : names) {
    for (const char* f : {"request.txt", "context.json", "header-canonical-request.txt", "header-string-to-sign.txt",
                          "header-signature.txt", "header-signed-request.txt", "query-canonical-request.txt",
                          "query-string-to-sign.txt", "query-signature.txt", "query-signed-request.txt"})
      EXPECT_TRUE(fs::exists(kSuiteDir / n / f)) << n << "/" << f;
  }
  for (const auto& [name, reason] : kNotApplicable)
    EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name << " is listed but absent";
}

}  // namespace
}  // namespace awsdl::auth
