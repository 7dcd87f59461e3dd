#pragma once
// What every service client (STS, S3, EC2, CloudFormation, SageMaker, ...) stands on: one
// call that resolves the endpoint, gets credentials, signs, sends through the configured
// transport, parses errors and retries in standard mode; plus typed helpers per protocol.
//
//   QueryRequest q{"GetCallerIdentity", "2011-06-15"};
//   AWSDL_ASSIGN_OR_RETURN(auto doc, client.call_query(q, options));
//   AWSDL_ASSIGN_OR_RETURN(auto result, query_result(doc, "GetCallerIdentity"));  // <GetCallerIdentityResult>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>
#include <string_view>

#include "awsdl/config.hpp"
#include "awsdl/core/options.hpp"
#include "awsdl/core/result.hpp"
#include "awsdl/http/message.hpp"
#include "protocol/endpoint.hpp"
#include "util/json.hpp"
#include "protocol/query_serializer.hpp"
#include "protocol/rest_xml.hpp"
#include "protocol/retry_loop.hpp"
#include "protocol/service_info.hpp"
#include "util/xml.hpp"

namespace awsdl::internal {

/// Whether an operation may be sent twice: only then is a failure that leaves its outcome
/// unknown (a connection reset after the request went out, a timeout waiting for the
/// answer, an answer cut off) retried.
enum class Idempotency {
  /// By rule: GET, HEAD, PUT, DELETE and OPTIONS are (S3 puts to the same key); a POST is
  /// when it reads (Describe*, Get*, List*, Head*, Filter*, Search*, Validate*, BatchCheck*,
  /// BatchGet*), deletes (Delete*: a second one leaves the same state), or carries a client
  /// token (ClientToken, ClientRequestToken: the service does it once); any other POST is not.
  kByRule,
  kIdempotent,     // decided for the operation: sending it twice does no more than once
  kNotIdempotent,  // a second one could act again (CreateMultipartUpload: a second upload)
};

/// One operation, ready to go: everything but where it goes and its signature.
struct OperationRequest {
  std::string operation;  // "GetCallerIdentity": for logs and error messages
  /// Method, path (relative to the endpoint's base path, or to the bucket), query, headers,
  /// body or body_source (+ rewind_body so that it can be retried).
  http::Request http;
  /// Empty: SHA-256 of the in-memory body. Or auth::kUnsignedPayload, or a precomputed hash
  /// for a streamed body.
  std::string payload_hash;
  bool sign = true;  // false: sent anonymously (AssumeRoleWithWebIdentity)
  /// S3: the bucket, addressed virtual-hosted or path-style as the endpoint allows.
  std::string bucket;
  /// A failure hidden in a 2xx answer (an S3 error inside a 200, a cut-off document): return
  /// the error and it is treated like any other (retried when retryable).
  std::function<std::optional<Error>(const http::Response&)> check;
  /// A 2xx body goes here instead of into Response::body.
  http::BodySink sink;
  /// Called before a retry once the sink has received bytes; without it (or when it returns
  /// false) such a failure is not retried, since the sink would see the bytes twice.
  std::function<bool()> rewind_sink;
  std::function<void(std::uint64_t sent, std::uint64_t received)> progress;
  /// Largest 2xx body held in memory (a ranged read: the range's length); 0 = the
  /// transport's limit (http::TransportOptions::max_body_bytes).
  std::uint64_t max_body_bytes = 0;
  /// Overrides the transport's minimum transfer rate; 0 = none, for answers the service
  /// trickles on purpose while it works (S3 CompleteMultipartUpload, CopyObject).
  std::optional<std::uint64_t> min_bytes_per_second;
  Idempotency idempotency = Idempotency::kByRule;
  /// Error codes retried as transient for this operation only (RetryContext::retry_codes).
  std::vector<std::string> retry_codes;
  CallOptions options;
};

/// Whether `op` may be sent twice (see Idempotency).
bool is_idempotent(const OperationRequest& op);

class ServiceClient {
 public:
  /// `endpoint_override` wins over Config::service_endpoints and Config::endpoint_url.
  ServiceClient(Config config, ServiceInfo info, std::string endpoint_override = {});

  const Config& config() const { return config_; }
  const ServiceInfo& info() const { return info_; }
  /// The endpoint calls go to (checks the region).
  Result<Endpoint> endpoint() const;
  /// The clock offset learned from the service, shared by every copy of the client.
  const ClockSkew& skew() const { return *skew_; }

  /// Sends `op` with retries; the raw response of the successful attempt.
  Result<http::Response> send(OperationRequest op) const;

  /// query / ec2: POST the form, parse the XML answer (a malformed answer is retried as a
  /// cut-off one).
  /// A request with a ClientToken or ClientRequestToken parameter is idempotent.
  Result<XmlDocument> call_query(const QueryRequest& request, const CallOptions& options = {}, bool sign = true,
                                 Idempotency idempotency = Idempotency::kByRule) const;
  Result<XmlDocument> call_query(const QueryRequest& request, const CallOptions& options,
                                 Idempotency idempotency) const {
    return call_query(request, options, true, idempotency);
  }
  /// json: POST with X-Amz-Target, parse the JSON answer.
  Result<JsonDocument> call_json(std::string_view operation, std::string body, const CallOptions& options = {},
                                 Idempotency idempotency = Idempotency::kByRule) const;
  /// rest-xml: the request from a RestRequest; `op` supplies everything else (bucket,
  /// sink, check, options, payload hash).
  Result<http::Response> call_rest(const RestRequest& request, OperationRequest op) const;

 private:
  Config config_;
  ServiceInfo info_;
  std::string endpoint_override_;
  std::shared_ptr<ClockSkew> skew_;
};

/// The <ActionResult> element of a query answer (sts, cloudformation, autoscaling), under a
/// root of any name (botocore does not check it either). An error document (<Error>,
/// <ErrorResponse>, <Response><Errors>) is its error, even in a 200; an answer without
/// <ActionResult> is kParse "UnexpectedResponse" naming the action, never an empty result.
/// EC2 answers, and query operations that have no result element, use xml_answer_root().
Result<pugi::xml_node> query_result(const XmlDocument& doc, std::string_view action);

}  // namespace awsdl::internal

namespace awsdl {

/// What the public client headers hold, forward-declared there (std::shared_ptr<ServiceClient>)
/// so that they name nothing in awsdl::internal: internal::ServiceClient under a name of its own.
class ServiceClient final : public internal::ServiceClient {
 public:
  using internal::ServiceClient::ServiceClient;
};

}  // namespace awsdl
