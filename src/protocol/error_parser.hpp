#pragma once
// Turns a service's error answer into an Error: EC2's <Response><Errors><Error>, query's
// <ErrorResponse><Error>, JSON's __type, S3's <Error> (also inside a 200), and bodies that
// are none of these (an HTML page from a proxy, a truncated document, nothing at all).

#include <optional>
#include <string>

#include "awsdl/core/error.hpp"
#include "awsdl/http/message.hpp"
#include "protocol/service_info.hpp"
#include "util/xml.hpp"

namespace awsdl::internal {

/// The Error for a non-2xx response: kService, the AWS code, message, HTTP status, request
/// id, and retryable per the standard retry mode's classification.
Error parse_error_response(const http::Response& response, Protocol protocol);

/// What S3's error says about a bucket of another region (its x-amz-bucket-region header on
/// a 301 or 400, added to the message after this note).
inline constexpr const char* kBucketRegionNote = "the bucket is in region ";
/// The region that note names, or "".
std::string bucket_region_from_error(const Error& e);

/// S3 operations that can fail after answering 200 (CompleteMultipartUpload, CopyObject,
/// UploadPartCopy) put an <Error> document in the body; an empty body there means the
/// answer was cut off. Returns that error, or nullopt when the body is a real result.
std::optional<Error> s3_error_in_200(const http::Response& response);

/// An error document, whatever the status it came with: S3's (and some query services')
/// <Error>, query's <ErrorResponse><Error>, EC2's <Response><Errors><Error>. Returns its Error
/// (kService, code, message, request id, `http_status`, retryable as classified), or nullopt
/// when the root is anything else. A document of one of these shapes without a <Code> is an
/// error all the same ("UnknownError").
std::optional<Error> xml_error_document(const XmlDocument& doc, int http_status);

/// The root of a 2xx XML answer to `operation`. Its name is not checked (botocore does not;
/// moto answers <CompleteMultipartUploadResponse> where S3 says ...Result), but an error
/// document is returned as its error (HTTP status 200).
Result<pugi::xml_node> xml_answer_root(const XmlDocument& doc, std::string_view operation);

/// A code for an answer without a parseable error: "InternalError" (500),
/// "ServiceUnavailable" (503), "BadGateway" (502), "GatewayTimeout" (504),
/// "TooManyRequestsException" (429), else "Http<status>".
std::string code_for_status(int status);

/// x-amzn-RequestId, x-amz-request-id, or "" (the body's id is found by the parsers).
std::string request_id_from_headers(const http::Headers& headers);

}  // namespace awsdl::internal
