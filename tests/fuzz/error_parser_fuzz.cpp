// The error parser on hostile answers: a status, the headers it reads and a body, for each
// protocol (query XML, EC2 XML, rest-xml, JSON, rest-json), and S3's "error inside a 200".
// The Error it makes is then printed as the programs print it (Error::to_string, which
// redacts): the printed text must never hold a registered secret.
//
// Input: byte 0 the protocol, byte 1 the status (from a table), byte 2 which headers are set,
// then NUL-separated x-amzn-ErrorType and request id values, then the body.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "awsdl/core/log.hpp"
#include "fuzz_input.hpp"
#include "protocol/error_parser.hpp"

using awsdl::fuzz::require;
using namespace awsdl::internal;

namespace {

// The documented example secret key of the test credentials.
constexpr std::string_view kSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

constexpr int kStatuses[] = {200, 301, 307, 400, 401, 403, 404, 405, 409, 411, 412, 413, 416, 429,
                             500, 501, 502, 503, 504, 0,   100, 204, 999, -1};

void check_printed(const awsdl::Error& e) {
  const std::string printed = e.to_string();
  require(printed.find(kSecret) == std::string::npos, "Error::to_string holds a registered secret");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  awsdl::register_secret(kSecret);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  awsdl::fuzz::FuzzInput in(data, size);
  constexpr Protocol kProtocols[] = {Protocol::kQuery, Protocol::kEc2, Protocol::kJson, Protocol::kRestXml,
                                     Protocol::kRestJson};
  const Protocol protocol = kProtocols[in.byte() % 5];
  awsdl::http::Response r;
  r.status = kStatuses[in.byte() % (sizeof kStatuses / sizeof kStatuses[0])];
  const std::uint8_t headers = in.byte();
  const std::string_view error_type = in.field();
  const std::string_view request_id = in.field();
  if (headers & 1) r.headers.add("x-amzn-ErrorType", std::string(error_type));
  if (headers & 2) r.headers.add("x-amzn-RequestId", std::string(request_id));
  if (headers & 4) r.headers.add("x-amz-request-id", std::string(request_id));
  r.body = std::string(in.rest());

  check_printed(parse_error_response(r, protocol));
  if (protocol == Protocol::kRestXml)
    if (auto e = s3_error_in_200(r)) check_printed(*e);
  (void)code_for_status(r.status);
  (void)request_id_from_headers(r.headers);
  return 0;
}
