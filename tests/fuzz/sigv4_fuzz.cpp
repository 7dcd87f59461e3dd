// The SigV4 signer on a request built from the bytes: method, scheme, host, path, query,
// headers and body as anything (a path or a header can come from user input: an S3 key, a
// tag), signed with header signing and presigned. Properties: a re-sign of the signed request
// (a retry, a clock-skew correction) gives the same canonical request and signature, and the
// canonical query and normalised path are fixed points of their canonicalisers.
//
// Input: byte 0 flags, four bytes of time, then NUL-separated method, scheme, host, path,
// query, region, service, body, payload hash, then header name / value pairs.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "auth/sigv4_canonical.hpp"
#include "awsdl/auth/sigv4.hpp"
#include "fuzz_input.hpp"

using awsdl::fuzz::require;
namespace s4 = awsdl::internal::sigv4;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  awsdl::fuzz::FuzzInput in(data, size);
  const std::uint8_t flags = in.byte();
  const std::uint32_t seconds = in.u32();

  awsdl::http::Request request;
  request.method = std::string(in.field());
  request.scheme = std::string(in.field());
  request.host = std::string(in.field());
  request.path = std::string(in.field());
  request.query = std::string(in.field());
  awsdl::auth::SigningParams params;
  params.region = std::string(in.field());
  params.service = std::string(in.field());
  request.body = std::string(in.field());
  params.payload_hash = std::string(in.field());
  params.time = awsdl::WallTime(std::chrono::seconds(seconds));
  params.double_uri_encode = flags & 1;
  params.normalize_path = flags & 2;
  params.add_content_sha256_header = flags & 4;
  // Bounded by the input: each pair consumes at least one byte.
  while (!in.empty()) {
    std::string name(in.field());
    request.headers.add(std::move(name), std::string(in.field()));
  }

  awsdl::auth::Credentials credentials;
  credentials.access_key_id = "AKIDEXAMPLE";
  credentials.secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
  if (flags & 8) credentials.session_token = "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQW";

  // The canonicalisers alone.
  {
    std::string once, twice;
    s4::append_canonical_query(once, request.query);
    s4::append_canonical_query(twice, once);
    require(once == twice, "the canonical query is its own canonical query");
    if (!request.path.empty() && request.path.front() == '/') {
      std::string p1, p2;
      s4::append_normalized_path(p1, request.path);
      s4::append_normalized_path(p2, p1);
      require(p1 == p2, "a normalised path is its own normalisation");
    }
  }

  if (flags & 16) {
    awsdl::http::Request copy = request;
    auto url = awsdl::auth::presign(copy, credentials, params, std::chrono::seconds(1 + seconds % 604800));
    if (url) require(*url == copy.url(), "presign returns the URL of the request it presigned");
    return 0;
  }

  auto first = awsdl::auth::sign_request(request, credentials, params);
  if (!first) return 0;
  auto second = awsdl::auth::sign_request(request, credentials, params);
  require(second.ok(), "a signed request can be signed again");
  require(second->canonical_request == first->canonical_request, "a re-sign gives the same canonical request");
  require(second->signature == first->signature, "a re-sign gives the same signature");
  return 0;
}
