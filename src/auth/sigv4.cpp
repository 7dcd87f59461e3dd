#include "awsdl/auth/sigv4.hpp"

#include <algorithm>
#include <array>
#include <string>

#include "auth/signing_key_cache.hpp"
#include "auth/sigv4_canonical.hpp"
#include "util/crypto.hpp"

namespace awsdl::auth {

namespace {

namespace s4 = internal::sigv4;
using internal::kEmptySha256Hex;

constexpr std::int64_t kMaxPresignSeconds = 7 * 24 * 3600;

bool has_control_or_slash(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return c == '/' || static_cast<unsigned char>(c) < 0x20; });
}

Status validate(const http::Request& request, const Credentials& credentials, const SigningParams& params) {
  if (credentials.access_key_id.empty() || credentials.secret_access_key.empty())
    return Error::invalid_argument("MissingCredentials",
                                   "cannot sign: the credentials have no access key id or no secret access key");
  if (has_control_or_slash(credentials.access_key_id))
    return Error::invalid_argument("InvalidAccessKeyId", "cannot sign: malformed access key id");
  if (params.region.empty() || has_control_or_slash(params.region))
    return Error::invalid_argument("InvalidRegion", "cannot sign: empty or malformed region '" + params.region + "'");
  if (params.service.empty() || has_control_or_slash(params.service))
    return Error::invalid_argument("InvalidService",
                                   "cannot sign: empty or malformed service name '" + params.service + "'");
  if (request.method.empty()) return Error::invalid_argument("MissingMethod", "cannot sign: the request has no method");
  const std::string* host = s4::find_header(request.headers, "host");
  if (host ? host->empty() : request.host.empty())
    return Error::invalid_argument("MissingHost", "cannot sign: the request has no host");
  return {};
}

bool is_s3_service(std::string_view service) { return service.starts_with("s3"); }

// The payload hash; never a view into the request, whose headers the signer rewrites.
struct PayloadHash {
  char buf[64];
  std::string owned;
  std::string_view value;
};

// Header signing: params, else the caller's x-amz-content-sha256 header (unless the signer
// is about to rewrite it), else the body. Presigning: params, else that header, else
// UNSIGNED-PAYLOAD for S3 (which cannot know the body of a presigned request), else the
// body. The precedence is botocore's.
Status resolve_payload_hash(const http::Request& request, const SigningParams& params, bool presigning,
                            PayloadHash& out) {
  if (!params.payload_hash.empty()) {
    out.value = params.payload_hash;
    return {};
  }
  if (presigning || !params.add_content_sha256_header) {
    if (const std::string* h = s4::find_header(request.headers, "x-amz-content-sha256")) {
      if (h->size() <= sizeof out.buf) {
        std::copy(h->begin(), h->end(), out.buf);
        out.value = std::string_view(out.buf, h->size());
      } else {
        out.owned.assign(*h);
        out.value = out.owned;
      }
      return {};
    }
  }
  if (presigning && is_s3_service(params.service)) {
    out.value = kUnsignedPayload;
    return {};
  }
  if (request.body.empty()) {
    if (request.body_source && request.body_length.value_or(1) != 0)
      return Error::invalid_argument("MissingPayloadHash",
                                     "cannot sign a streamed body without SigningParams::payload_hash "
                                     "(its hex SHA-256, UNSIGNED-PAYLOAD or the streaming marker)");
    out.value = kEmptySha256Hex;
    return {};
  }
  const auto digest = internal::sha256(request.body);
  internal::hex_encode_to(digest.data(), digest.size(), out.buf);
  out.value = std::string_view(out.buf, sizeof out.buf);
  return {};
}

void ensure_host_header(http::Request& request) {
  if (s4::find_header(request.headers, "host") == nullptr) request.headers.add("Host", s4::host_header_value(request));
}

// method \n uri \n query \n headers \n signed-headers \n payload-hash
void append_canonical_request(std::string& cr, const http::Request& request, std::string_view query,
                              const SigningParams& params, std::string& signed_headers, std::string_view payload) {
  s4::append_all(cr, {request.method, "\n"});
  s4::append_canonical_uri(cr, request.path, params.double_uri_encode, params.normalize_path);
  cr += '\n';
  s4::append_canonical_query(cr, query);
  cr += '\n';
  signed_headers.reserve(64);
  s4::append_canonical_headers(request.headers, cr, signed_headers);
  s4::append_all(cr, {"\n", signed_headers, "\n", payload});
}

// Fills string_to_sign and signature from canonical_request.
void sign_canonical_request(const Credentials& credentials, const SigningParams& params, const char (&date)[16],
                            SigningResult& out) {
  const std::string_view date8(date, 8);
  const auto cr_digest = internal::sha256(out.canonical_request);
  char cr_hex[64];
  internal::hex_encode_to(cr_digest.data(), cr_digest.size(), cr_hex);
  s4::append_all(out.string_to_sign, {s4::kAlgorithm, "\n", std::string_view(date, 16), "\n", date8, "/", params.region,
                                      "/", params.service, "/aws4_request\n", std::string_view(cr_hex, 64)});

  const auto key =
      internal::signing_key(params.key_cache, credentials.secret_access_key, date8, params.region, params.service);
  const auto mac = key.mac(out.string_to_sign);
  out.signature.resize(64);
  internal::hex_encode_to(mac.data(), mac.size(), out.signature.data());
}

bool is_presign_param(std::string_view key) {
  static constexpr std::array<std::string_view, 7> kNames = {
      "X-Amz-Algorithm", "X-Amz-Credential",    "X-Amz-Date",     "X-Amz-Expires",
      "X-Amz-SignedHeaders", "X-Amz-Security-Token", "X-Amz-Signature"};
  return std::find(kNames.begin(), kNames.end(), key) != kNames.end();
}

// The query without the parameters an earlier presign added.
std::string strip_presign_params(std::string_view query) {
  if (query.find("X-Amz-") == std::string_view::npos) return std::string(query);
  std::string out;
  std::size_t start = 0;
  while (start <= query.size()) {
    std::size_t end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    const std::string_view piece = query.substr(start, end - start);
    if (!is_presign_param(piece.substr(0, piece.find('=')))) {
      if (!out.empty()) out.push_back('&');
      out.append(piece);
    }
    start = end + 1;
  }
  return out;
}

}  // namespace

Result<SigningResult> sign_request(http::Request& request, const Credentials& credentials,
                                   const SigningParams& params) {
  AWSDL_TRY(validate(request, credentials, params));
  PayloadHash payload;
  AWSDL_TRY(resolve_payload_hash(request, params, /*presigning=*/false, payload));

  char date[16];
  s4::format_amz_date(params.time, date);

  // A re-sign (a retry, a clock-skew correction) replaces what the previous one added.
  if (s4::find_header(request.headers, "authorization")) request.headers.remove("Authorization");
  if (s4::find_header(request.headers, "x-amz-date")) request.headers.remove("X-Amz-Date");
  if (!credentials.session_token.empty() && s4::find_header(request.headers, "x-amz-security-token"))
    request.headers.remove("X-Amz-Security-Token");
  ensure_host_header(request);
  request.headers.add("X-Amz-Date", std::string(date, 16));
  if (!credentials.session_token.empty()) request.headers.add("X-Amz-Security-Token", credentials.session_token);
  if (params.add_content_sha256_header) request.headers.set("x-amz-content-sha256", std::string(payload.value));

  SigningResult out;
  out.canonical_request.reserve(256 + request.path.size() * 3 + request.query.size() * 2 +
                                64 * request.headers.entries().size());
  append_canonical_request(out.canonical_request, request, request.query, params, out.signed_headers, payload.value);
  sign_canonical_request(credentials, params, date, out);

  s4::append_all(out.authorization,
                 {s4::kAlgorithm, " Credential=", credentials.access_key_id, "/", std::string_view(date, 8), "/",
                  params.region, "/", params.service, "/aws4_request, SignedHeaders=", out.signed_headers,
                  ", Signature=", out.signature});
  request.headers.add("Authorization", out.authorization);
  return out;
}

Result<std::string> presign(http::Request& request, const Credentials& credentials, const SigningParams& params,
                            std::chrono::seconds expires, SigningResult* details) {
  AWSDL_TRY(validate(request, credentials, params));
  if (expires.count() < 1 || expires.count() > kMaxPresignSeconds)
    return Error::invalid_argument("InvalidExpires", "a presigned URL must expire in 1 second to 7 days, not " +
                                                         std::to_string(expires.count()) + " seconds");
  PayloadHash payload;
  AWSDL_TRY(resolve_payload_hash(request, params, /*presigning=*/true, payload));

  char date[16];
  s4::format_amz_date(params.time, date);
  ensure_host_header(request);

  SigningResult out;
  std::string canonical_headers;
  s4::append_canonical_headers(request.headers, canonical_headers, out.signed_headers);

  std::string query = strip_presign_params(request.query);
  if (!query.empty()) query.push_back('&');
  query.append("X-Amz-Algorithm=");
  query.append(s4::kAlgorithm);
  query.append("&X-Amz-Credential=");
  {
    std::string credential = credentials.access_key_id;
    credential.push_back('/');
    s4::append_scope(credential, std::string_view(date, 8), params.region, params.service);
    s4::append_uri_encoded(query, credential, /*encode_slash=*/true);
  }
  query.append("&X-Amz-Date=");
  query.append(date, 16);
  query.append("&X-Amz-Expires=");
  query.append(std::to_string(expires.count()));
  query.append("&X-Amz-SignedHeaders=");
  s4::append_uri_encoded(query, out.signed_headers, /*encode_slash=*/true);
  if (!credentials.session_token.empty()) {
    query.append("&X-Amz-Security-Token=");
    s4::append_uri_encoded(query, credentials.session_token, /*encode_slash=*/true);
  }

  std::string& cr = out.canonical_request;
  cr.append(request.method);
  cr.push_back('\n');
  s4::append_canonical_uri(cr, request.path, params.double_uri_encode, params.normalize_path);
  cr.push_back('\n');
  s4::append_canonical_query(cr, query);
  cr.push_back('\n');
  cr.append(canonical_headers);
  cr.push_back('\n');
  cr.append(out.signed_headers);
  cr.push_back('\n');
  cr.append(payload.value);
  sign_canonical_request(credentials, params, date, out);

  query.append("&X-Amz-Signature=");
  query.append(out.signature);
  request.query = std::move(query);
  if (details != nullptr) *details = std::move(out);
  return request.url();
}

std::string sha256_hex(std::string_view data) { return internal::sha256_hex(data); }

std::string uri_encode(std::string_view s, bool encode_slash) {
  std::string out;
  out.reserve(s.size() + s.size() / 2);
  s4::append_uri_encoded(out, s, encode_slash);
  return out;
}

}  // namespace awsdl::auth
