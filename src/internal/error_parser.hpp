#pragma once
// Turns a service's error answer into an Error: EC2's <Response><Errors><Error>, query's
// <ErrorResponse><Error>, JSON's __type, S3's <Error> (also inside a 200), and bodies that
// are none of these (an HTML page from a proxy, a truncated document, nothing at all).

#include <optional>
#include <string>

#include "awsdl/core/error.hpp"
#include "awsdl/http/message.hpp"
#include "internal/service_info.hpp"

namespace awsdl::internal {

/// The Error for a non-2xx response: kService, the AWS code, message, HTTP status, request
/// id, and retryable per the standard retry mode's classification.
Error parse_error_response(const http::Response& response, Protocol protocol);

/// S3 operations that can fail after answering 200 (CompleteMultipartUpload, CopyObject,
/// UploadPartCopy) put an <Error> document in the body; an empty body there means the
/// answer was cut off. Returns that error, or nullopt when the body is a real result.
std::optional<Error> s3_error_in_200(const http::Response& response);

/// A code for an answer without a parseable error: "InternalError" (500),
/// "ServiceUnavailable" (503), "BadGateway" (502), "GatewayTimeout" (504),
/// "TooManyRequestsException" (429), else "Http<status>".
std::string code_for_status(int status);

/// x-amzn-RequestId, x-amz-request-id, or "" (the body's id is found by the parsers).
std::string request_id_from_headers(const http::Headers& headers);

}  // namespace awsdl::internal
