// Differential test: thousands of randomized requests (fixed seed) signed by this signer
// and by botocore's SigV4Auth / S3SigV4Auth (header signing) and SigV4QueryAuth /
// S3SigV4QueryAuth (presigning) at the same fixed times, through one run of
// tests/support/botocore_sigv4.py. Every Authorization header (and every presigned
// X-Amz-Signature) must match. On a mismatch the canonical requests are printed (token
// masked); signatures never are.
//
// What the generator leaves out, because botocore and this signer legitimately differ:
// - A `Date` header: botocore then signs Date instead of adding X-Amz-Date; this signer
//   always adds X-Amz-Date (as aws-c-auth and the official suite do).
// - Header values with non-ASCII bytes or ASCII control characters: not valid on the wire,
//   and Python's str.split() treats \x1c-\x1f as whitespace where this signer does not.
// - Raw '+' in a wire query: botocore signs the URL's query as it is (query-string mode) and
//   percent-decodes it when presigning (where parse_qs turns '+' into a space); this signer
//   decodes and re-encodes. Queries here are encoded so that both readings agree.
// - An empty path for S3 (botocore signs an empty canonical URI; curl sends "/", which is
//   what this signer signs).
// - Presign cases with an empty query piece ("a=1&&b=2"), which botocore's presigner drops
//   but its header signer (and this signer) signs as the parameter "=".
// - Presign cases with repeated query keys or a body: botocore's presigner folds the query
//   into a dict (dropping repeats) and moves a body into the query.
// The official suite agrees with this signer on all of these; see sigv4_suite_test.

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "awsdl/auth/sigv4.hpp"
#include "util/crypto.hpp"

namespace awsdl::auth {
namespace {

constexpr int kHeaderCases = 1500;
constexpr int kPresignCases = 500;
constexpr std::uint64_t kSeed = 0x5157a4d1ff00c0deULL;

// splitmix64: the same sequence on every platform and standard library.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : s_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (s_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }
  bool percent(int p) { return below(100) < static_cast<std::size_t>(p); }
  template <typename T>
  const T& pick(const std::vector<T>& v) {
    return v[below(v.size())];
  }

 private:
  std::uint64_t s_;
};

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

bool unreserved(unsigned char c) { return std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~'; }

std::string pct(unsigned char c, bool lower_hex) {
  const char* digits = lower_hex ? "0123456789abcdef" : "0123456789ABCDEF";
  return std::string{'%', digits[c >> 4], digits[c & 15]};
}

// Decoded text: ASCII letters and punctuation, spaces, and UTF-8 of several widths.
std::string random_text(Rng& rng, std::size_t max_len) {
  static const std::vector<char32_t> kUnicode = {U'é', U'ü', U'ß', U'ሴ', U'日', U'本', U'€', U'😀', U'Ω', U'\u00a0'};
  static const std::string kAscii =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~ !\"#$%&'()*+,/:;<=>?@[\\]^`{|}";
  std::string out;
  const std::size_t len = rng.below(max_len + 1);
  for (std::size_t i = 0; i < len; ++i) {
    if (rng.percent(10))
      append_utf8(out, rng.pick(kUnicode));
    else
      out += kAscii[rng.below(kAscii.size())];
  }
  return out;
}

// AWS's own encoding (what a careful client sends and botocore's query-string mode expects).
std::string aws_encode(std::string_view s) {
  std::string out;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    out += unreserved(c) ? std::string(1, ch) : pct(c, false);
  }
  return out;
}

// A valid but non-canonical wire encoding: unreserved characters sometimes escaped,
// lower-case hex sometimes, harmless sub-delimiters and UTF-8 sometimes left raw.
std::string sloppy_encode(Rng& rng, std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char ch = s[i];
    const auto c = static_cast<unsigned char>(ch);
    const bool lower = rng.percent(30);
    if (unreserved(c)) {
      out += rng.percent(85) ? std::string(1, ch) : pct(c, lower);
    } else if (c >= 0x80) {
      // A whole UTF-8 sequence at once: raw or escaped, never half of each (the JSON handed
      // to botocore must stay valid UTF-8).
      std::size_t len = 1;
      while (i + len < s.size() && (static_cast<unsigned char>(s[i + len]) & 0xc0) == 0x80) ++len;
      const bool raw = rng.percent(25);
      for (std::size_t k = 0; k < len; ++k)
        out += raw ? std::string(1, s[i + k]) : pct(static_cast<unsigned char>(s[i + k]), lower);
      i += len - 1;
    } else if (std::string_view("!$'()*,/:;?@[]").find(ch) != std::string_view::npos) {
      out += rng.percent(50) ? std::string(1, ch) : pct(c, lower);
    } else {  // & = + # % space and the rest must be escaped
      out += pct(c, lower);
    }
  }
  return out;
}

struct Features {
  std::map<std::string, int> counts;
  void add(const std::string& f) { ++counts[f]; }
};

struct DiffCase {
  bool presign = false;
  bool s3 = false;
  std::string service;
  std::string region;
  WallTime time;
  Credentials credentials;
  bool unsigned_payload = false;
  std::int64_t expires = 0;

  http::Request request;  // what the C++ signer gets
  // What botocore gets.
  std::string url;
  bool params_mode = false;
  std::vector<std::pair<std::string, std::string>> params;
  std::vector<std::pair<std::string, std::string>> headers;
};

std::string amz_date(WallTime t) {
  using namespace std::chrono;
  const auto secs = floor<seconds>(t);
  const auto day = floor<days>(secs);
  const year_month_day ymd{day};
  const hh_mm_ss hms{secs - day};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d%02u%02uT%02ld%02ld%02lldZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<long>(hms.hours().count()), static_cast<long>(hms.minutes().count()),
                static_cast<long long>(hms.seconds().count()));
  return buf;
}

std::string random_path(Rng& rng, bool s3, Features& f) {
  static const std::vector<std::string> kWords = {"bucket", "key",  "a",       "Photos", "2024", "x.y",
                                                  "-_.~",   "file.tar", "dir", "UPPER",  "v1",   "object"};
  static const std::vector<std::string> kEscapes = {"%20", "%2F", "%3F", "%23", "%25", "%26",
                                                    "%3D", "%2B", "%40", "%2520", "%e2%82%ac"};
  static const std::vector<std::string> kRaw = {"!", "$", "&", "'", "(", ")", "*", "+", ",", ";", "=", ":", "@"};
  static const std::vector<char32_t> kUnicode = {U'é', U'ሴ', U'日', U'😀', U'ü'};
  if (!s3 && rng.percent(3)) {
    f.add("empty path");
    return "";
  }
  std::string path;
  const std::size_t segments = rng.below(6);
  for (std::size_t i = 0; i < segments; ++i) {
    path += '/';
    const std::size_t kind = rng.below(100);
    if (kind < 8) {
      f.add("dot segment");
      path += rng.percent(50) ? "." : "..";
      continue;
    }
    if (kind < 13) {
      f.add("empty segment");
      continue;
    }
    const std::size_t parts = 1 + rng.below(3);
    for (std::size_t p = 0; p < parts; ++p) {
      const std::size_t what = rng.below(100);
      if (what < 50) {
        path += rng.pick(kWords);
      } else if (what < 65) {
        f.add("escaped reserved in path");
        path += rng.pick(kEscapes);
      } else if (what < 80) {
        f.add("raw sub-delimiter in path");
        path += rng.pick(kRaw);
      } else {
        f.add("utf-8 in path");
        std::string u;
        append_utf8(u, rng.pick(kUnicode));
        if (rng.percent(30)) {
          path += u;  // raw bytes
        } else {
          const bool lower = rng.percent(20);
          for (char c : u) path += pct(static_cast<unsigned char>(c), lower);
        }
      }
    }
  }
  if (path.empty() || rng.percent(20)) path += '/';
  return path;
}

void random_query(Rng& rng, DiffCase& c, Features& f) {
  static const std::vector<std::string> kKeys = {"Action", "Version", "prefix", "list-type", "max-keys", "a",  "A",
                                                 "b",      "Param1",  "uploadId", "partNumber", "delimiter", "ü", "k y",
                                                 "k&y",    "k=y",     "~t",       "plus+",      "*star",     "sl/ash"};
  const std::size_t mode = rng.below(100);
  if (mode < 30) return;  // no query
  // Presigning through botocore cannot carry repeated keys (see the header comment).
  const bool allow_repeats = !c.presign;
  std::vector<std::pair<std::string, std::string>> pairs;
  std::vector<bool> bare;  // "key" without '='
  const std::size_t n = 1 + rng.below(6);
  for (std::size_t i = 0; i < n; ++i) {
    std::string key;
    if (allow_repeats && !pairs.empty() && rng.percent(25)) {
      f.add("repeated query key");
      key = pairs[rng.below(pairs.size())].first;
    } else {
      key = rng.percent(60) ? rng.pick(kKeys) : random_text(rng, 8);
      if (!allow_repeats) {
        bool dup = false;
        for (const auto& p : pairs) dup = dup || p.first == key;
        if (dup) continue;
      }
    }
    std::string value;
    bool no_equals = false;
    const std::size_t v = rng.below(100);
    if (v < 15) {
      f.add("empty query value");
    } else if (v < 22) {
      f.add("query key without '='");
      no_equals = true;
    } else {
      value = random_text(rng, 12);
    }
    // An empty key without '=' is an empty piece ("a=1&&b=2"). Header signing treats it as
    // the parameter "=" like botocore's query-string mode; botocore's presigner (parse_qs)
    // drops it, so presign cases do not have one.
    if (key.empty() && no_equals && c.presign) no_equals = false;
    if (key.empty()) f.add(no_equals ? "empty query piece" : "empty query key");
    pairs.emplace_back(key, value);
    bare.push_back(no_equals);
  }
  // Unsorted on purpose: shuffle.
  for (std::size_t i = pairs.size(); i > 1; --i) {
    const std::size_t j = rng.below(i);
    std::swap(pairs[i - 1], pairs[j]);
    std::vector<bool>::swap(bare[i - 1], bare[j]);
  }

  // Either the canonical AWS encoding in the URL (botocore signs the query as it is) or a
  // sloppier wire encoding with the decoded pairs handed to botocore as params (botocore
  // encodes them). A presign always puts the query in the URL: botocore decodes it there.
  const bool params_mode = !c.presign && mode >= 65;
  std::string wire;
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    if (i != 0) wire += '&';
    const bool sloppy = params_mode || c.presign;
    wire += sloppy ? sloppy_encode(rng, pairs[i].first) : aws_encode(pairs[i].first);
    if (!bare[i]) wire += '=' + (sloppy ? sloppy_encode(rng, pairs[i].second) : aws_encode(pairs[i].second));
  }
  c.request.query = wire;
  if (params_mode) {
    f.add("query re-encoded");
    c.params_mode = true;
    c.params = pairs;
  } else {
    f.add(c.presign ? "presign query" : "canonical query");
  }
}

std::string random_header_value(Rng& rng, Features& f) {
  static const std::vector<std::string> kWords = {"value", "a", "b  c", "\"a   b   c\"", "text/plain", "x=1;y=2",
                                                  "1,2,3", "gzip, deflate", "bytes=0-99", "max-age=0", "*", ":colon"};
  const std::size_t kind = rng.below(100);
  if (kind < 8) {
    f.add("empty header value");
    return "";
  }
  std::string v;
  if (rng.percent(30)) {
    f.add("leading whitespace");
    v += rng.percent(50) ? "  " : "\t ";
  }
  const std::size_t words = 1 + rng.below(3);
  for (std::size_t i = 0; i < words; ++i) {
    if (i != 0) {
      if (rng.percent(40)) {
        f.add("inner whitespace run");
        v += rng.percent(50) ? "   " : " \t ";
      } else {
        v += ' ';
      }
    }
    v += rng.pick(kWords);
  }
  if (rng.percent(30)) {
    f.add("trailing whitespace");
    v += rng.percent(50) ? "  " : " \t";
  }
  return v;
}

std::string random_case(Rng& rng, std::string name) {
  const std::size_t how = rng.below(4);
  for (auto& ch : name) {
    if (how == 0) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (how == 1) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    if (how == 2 && rng.percent(50)) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  }
  return name;
}

void random_headers(Rng& rng, DiffCase& c, Features& f) {
  static const std::vector<std::string> kNames = {
      "Content-Type",  "X-Amz-Meta-Author", "x-amz-meta-empty", "X-Custom-Header", "X-Amz-Target",
      "Accept",        "Content-MD5",       "x-amz-acl",        "X-Amz-Tagging",   "Cache-Control",
      "If-None-Match", "X-Multi",           "Content-Language", "User-Agent",      "X-Amzn-Trace-Id",
      "Expect",        "Range",             "x-amz-storage-class"};
  auto add = [&](std::string name, std::string value) {
    c.headers.emplace_back(name, value);
    c.request.headers.add(std::move(name), std::move(value));
  };
  const std::size_t n = rng.below(7);
  for (std::size_t i = 0; i < n; ++i) {
    const std::string& base = rng.pick(kNames);
    std::string name = random_case(rng, base);
    if (name != base) f.add("header name case");
    if (base == "User-Agent" || base == "X-Amzn-Trace-Id" || base == "Expect") f.add("unsigned header");
    add(name, random_header_value(rng, f));
    if (rng.percent(25)) {
      f.add("repeated header");
      add(random_case(rng, base), random_header_value(rng, f));
    }
  }
  if (rng.percent(12)) {
    f.add("explicit host header");
    add(random_case(rng, "Host"), rng.percent(50) ? c.request.host : " " + c.request.host + " ");
  }
  if (rng.percent(8) && !c.request.body.empty()) {
    f.add("content-length header");
    add("Content-Length", std::to_string(c.request.body.size()));
  }
  if (!c.presign) {
    // Leftovers of an earlier signature: both signers must replace them.
    if (rng.percent(6)) {
      f.add("stale authorization");
      add("Authorization", "AWS4-HMAC-SHA256 Credential=old");
    }
    if (rng.percent(6)) {
      f.add("stale x-amz-date");
      add(random_case(rng, "X-Amz-Date"), "20000101T000000Z");
    }
    if (rng.percent(5) && !c.credentials.session_token.empty()) {
      f.add("stale security token");
      add("X-Amz-Security-Token", "old-token");
    }
  }
  if (rng.percent(5) && !c.unsigned_payload) {
    f.add("caller's x-amz-content-sha256");
    add(random_case(rng, "X-Amz-Content-SHA256"),
        rng.percent(50) ? std::string(kUnsignedPayload) : internal::sha256_hex(std::to_string(rng.next())));
  }
}

DiffCase random_case_for(Rng& rng, bool presign, Features& f) {
  static const std::vector<std::string> kServices = {"ec2", "sts", "iam", "monitoring", "sagemaker", "logs", "ecr",
                                                     "cloudformation", "autoscaling", "ssm", "execute-api"};
  static const std::vector<std::string> kRegions = {"us-east-1", "eu-west-1", "ap-southeast-2", "cn-north-1",
                                                    "us-gov-west-1"};
  static const std::vector<std::string> kHosts = {"ec2.us-east-1.amazonaws.com",
                                                  "sts.amazonaws.com",
                                                  "example.amazonaws.com",
                                                  "bucket.s3.us-west-2.amazonaws.com",
                                                  "s3.amazonaws.com",
                                                  "127.0.0.1:8080",
                                                  "localhost:4566",
                                                  "Mixed.Case.Example.COM",
                                                  "[::1]:9000",
                                                  "api.example.com:443",
                                                  "host.example:80"};
  static const std::vector<std::string> kMethods = {"GET", "PUT", "POST", "DELETE", "HEAD", "PATCH", "OPTIONS"};
  DiffCase c;
  c.presign = presign;
  c.s3 = rng.percent(40);
  c.service = c.s3 ? "s3" : rng.pick(kServices);
  c.region = rng.pick(kRegions);
  f.add(c.s3 ? "s3" : "other service");

  using namespace std::chrono;
  // 2000-01-01 .. 2037-12-31, with day boundaries and leap days now and then.
  const std::int64_t lo = 946684800, span = 1199145600;
  std::int64_t t = lo + static_cast<std::int64_t>(rng.below(static_cast<std::size_t>(span)));
  if (rng.percent(10)) t = t - t % 86400 + (rng.percent(50) ? 0 : 86399);
  if (rng.percent(3)) t = 1709251199;  // 2024-02-29T23:59:59Z
  c.time = WallTime(seconds(t));

  if (rng.percent(50)) {
    c.credentials.access_key_id = "AKIDEXAMPLE";
    c.credentials.secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
  } else {
    c.credentials.access_key_id = "AKIAIOSFODNN7EXAMPLE";
    c.credentials.secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
  }
  if (rng.percent(40)) {
    f.add("session token");
    static const std::string kB64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const std::size_t len = 20 + rng.below(280);
    for (std::size_t i = 0; i < len; ++i) c.credentials.session_token += kB64[rng.below(kB64.size())];
    c.credentials.session_token += "==";
  }
  c.unsigned_payload = !presign && rng.percent(15);
  if (c.unsigned_payload) f.add("unsigned payload");

  c.request.method = rng.pick(kMethods);
  c.request.scheme = rng.percent(85) ? "https" : "http";
  c.request.host = rng.pick(kHosts);
  if (c.request.host.ends_with(":80") && rng.percent(70)) c.request.scheme = "http";
  c.request.path = random_path(rng, c.s3, f);
  if (!presign) {
    const std::size_t b = rng.below(100);
    if (b < 25) {
      f.add("form body");
      c.request.body = "Action=DescribeInstances&Version=2016-11-15&InstanceId.1=i-" + std::to_string(rng.next() % 100000);
    } else if (b < 50) {
      f.add("binary body");
      const std::size_t len = 1 + rng.below(3000);
      for (std::size_t i = 0; i < len; ++i) c.request.body += static_cast<char>(rng.next());
    }
  }
  random_query(rng, c, f);
  random_headers(rng, c, f);

  c.url = c.request.scheme + "://" + c.request.host + c.request.path;
  if (!c.params_mode && !c.request.query.empty()) c.url += "?" + c.request.query;
  if (presign) c.expires = 1 + static_cast<std::int64_t>(rng.below(604800));
  return c;
}

SigningParams params_for(const DiffCase& c) {
  SigningParams p;
  p.region = c.region;
  p.service = c.service;
  p.time = c.time;
  p.double_uri_encode = !c.s3;
  p.normalize_path = !c.s3;
  p.add_content_sha256_header = c.s3;
  if (c.unsigned_payload) {
    p.payload_hash = std::string(kUnsignedPayload);
    p.add_content_sha256_header = true;  // botocore announces UNSIGNED-PAYLOAD in the header
  }
  return p;
}

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += ch;  // UTF-8 passes through
    }
  }
  out += '"';
}

std::string to_json(const std::vector<DiffCase>& cases) {
  std::string out = "{\"cases\":[";
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const DiffCase& c = cases[i];
    if (i != 0) out += ",\n";
    auto field = [&](const char* name, std::string_view value, bool first = false) {
      if (!first) out += ',';
      append_json_string(out, name);
      out += ':';
      append_json_string(out, value);
    };
    out += '{';
    field("kind", c.presign ? "presign" : "header", true);
    out += std::string(",\"s3\":") + (c.s3 ? "true" : "false");
    field("service", c.service);
    field("region", c.region);
    field("timestamp", amz_date(c.time));
    field("access_key", c.credentials.access_key_id);
    field("secret_key", c.credentials.secret_access_key);
    if (c.credentials.session_token.empty())
      out += ",\"token\":null";
    else
      field("token", c.credentials.session_token);
    field("method", c.request.method);
    field("url", c.url);
    out += ",\"params\":";
    if (c.params_mode) {
      out += '[';
      for (std::size_t k = 0; k < c.params.size(); ++k) {
        if (k != 0) out += ',';
        out += '[';
        append_json_string(out, c.params[k].first);
        out += ',';
        append_json_string(out, c.params[k].second);
        out += ']';
      }
      out += ']';
    } else {
      out += "null";
    }
    out += ",\"headers\":[";
    for (std::size_t k = 0; k < c.headers.size(); ++k) {
      if (k != 0) out += ',';
      out += '[';
      append_json_string(out, c.headers[k].first);
      out += ',';
      append_json_string(out, c.headers[k].second);
      out += ']';
    }
    out += ']';
    field("body_b64", internal::base64_encode(c.request.body));
    out += std::string(",\"unsigned\":") + (c.unsigned_payload ? "true" : "false");
    out += ",\"expires\":" + std::to_string(c.expires);
    out += '}';
  }
  out += "]}\n";
  return out;
}

std::string mask_token(std::string text, const std::string& token) {
  if (token.empty()) return text;
  for (std::size_t at = text.find(token); at != std::string::npos; at = text.find(token, at))
    text.replace(at, token.size(), "<session token>");
  const std::string encoded = uri_encode(token, true);
  for (std::size_t at = text.find(encoded); at != std::string::npos; at = text.find(encoded, at))
    text.replace(at, encoded.size(), "<session token>");
  return text;
}

std::string query_param(const std::string& query, const std::string& key) {
  std::size_t start = 0;
  while (start <= query.size()) {
    std::size_t end = query.find('&', start);
    if (end == std::string::npos) end = query.size();
    const std::string piece = query.substr(start, end - start);
    if (piece.starts_with(key + "=")) return piece.substr(key.size() + 1);
    start = end + 1;
  }
  return {};
}

TEST(Sigv4BotocoreDiff, RandomizedRequestsMatchBotocore) {
  Rng rng(kSeed);
  Features features;
  std::vector<DiffCase> cases;
  for (int i = 0; i < kHeaderCases; ++i) cases.push_back(random_case_for(rng, false, features));
  for (int i = 0; i < kPresignCases; ++i) cases.push_back(random_case_for(rng, true, features));

  // The generator must exercise what it claims to.
  for (const char* f : {"s3", "other service", "session token", "unsigned payload", "dot segment", "empty segment",
                        "escaped reserved in path", "raw sub-delimiter in path", "utf-8 in path", "repeated query key",
                        "empty query value", "query key without '='", "query re-encoded", "canonical query",
                        "presign query", "header name case", "repeated header", "leading whitespace",
                        "inner whitespace run", "trailing whitespace", "empty header value", "unsigned header",
                        "explicit host header", "stale authorization", "stale x-amz-date", "form body", "binary body",
                        "caller's x-amz-content-sha256", "empty path", "empty query key", "empty query piece"})
    EXPECT_GE(features.counts[f], 5) << "generator rarely produces: " << f;

  if (std::getenv("AWSDL_PRINT_FEATURES")) for (auto& [k, v] : features.counts) std::printf("%s: %d\n", k.c_str(), v);
  const std::string state = AWSDL_TEST_STATE_DIR;
  std::filesystem::create_directories(state);
  const std::string stem = state + "/sigv4_botocore_diff." + std::to_string(::getpid());
  const std::string in_path = stem + ".cases.json";
  const std::string out_path = stem + ".results.json";
  struct Cleanup {
    std::string a, b;
    ~Cleanup() {
      std::error_code ec;
      std::filesystem::remove(a, ec);
      std::filesystem::remove(b, ec);
    }
  } cleanup{in_path, out_path};
  {
    std::ofstream out(in_path, std::ios::binary);
    out << to_json(cases);
    ASSERT_TRUE(out.good());
  }
  const std::string cmd = "/usr/bin/python3 " + std::string(AWSDL_SOURCE_DIR) + "/tests/support/botocore_sigv4.py '" +
                          in_path + "' '" + out_path + "'";
  const int rc = std::system(cmd.c_str());
  ASSERT_EQ(rc, 0) << "botocore_sigv4.py failed: " << cmd;

  std::ifstream in(out_path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  rapidjson::Document doc;
  doc.Parse(ss.str().c_str());
  ASSERT_FALSE(doc.HasParseError());
  const auto& results = doc["results"];
  ASSERT_EQ(results.Size(), cases.size());

  int mismatches = 0;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    DiffCase& c = cases[i];
    const auto& r = results[static_cast<rapidjson::SizeType>(i)];
    const std::string theirs_cr = r["canonical_request"].GetString();
    std::string ours_cr;
    bool same = false;
    if (c.presign) {
      SigningResult details;
      auto url = presign(c.request, c.credentials, params_for(c), std::chrono::seconds(c.expires), &details);
      ASSERT_TRUE(url.ok()) << "case " << i << ": " << url.error().to_string();
      ours_cr = details.canonical_request;
      same = query_param(c.request.query, "X-Amz-Signature") == r["signature"].GetString();
    } else {
      auto signed_ = sign_request(c.request, c.credentials, params_for(c));
      ASSERT_TRUE(signed_.ok()) << "case " << i << ": " << signed_.error().to_string();
      ours_cr = signed_->canonical_request;
      same = c.request.headers.get("authorization").value_or("") == r["authorization"].GetString() &&
             signed_->authorization == r["authorization"].GetString();
    }
    if (!same && ++mismatches <= 10) {
      ADD_FAILURE() << "case " << i << " (" << (c.presign ? "presign" : "header") << ", " << c.service << ", "
                    << c.request.method << " " << c.url << "): signature differs from botocore's (not printed)\n"
                    << "--- ours:\n"
                    << mask_token(ours_cr, c.credentials.session_token) << "\n--- botocore:\n"
                    << mask_token(theirs_cr, c.credentials.session_token);
    }
  }
  EXPECT_EQ(mismatches, 0) << "of " << cases.size() << " cases";
}

}  // namespace
}  // namespace awsdl::auth
