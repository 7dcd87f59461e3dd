#include "http/curl_errors.hpp"

#include "awsdl/core/log.hpp"
#include "http/curl_transfer.hpp"

namespace awsdl::internal {

namespace {

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

// curl's error buffer rarely names a URL, but when it does the query must not leak.
std::string scrub(std::string detail) {
  for (auto q = detail.find('?'); q != std::string::npos; q = detail.find('?', q + 1)) {
    auto end = detail.find_first_of(" \t\r\n'\"", q);
    detail.erase(q + 1, (end == std::string::npos ? detail.size() : end) - q - 1);
    detail.insert(q + 1, "...");
  }
  while (!detail.empty() && (detail.back() == '\n' || detail.back() == '\r')) detail.pop_back();
  return redact(detail);
}

struct Mapped {
  ErrorKind kind;
  const char* code;
  const char* what;
  bool retryable;
};

Mapped classify_timeout(const CurlFailure& f) {
  // curl reports every timeout as CURLE_OPERATION_TIMEDOUT; its message tells which fired.
  if (contains(f.detail, "too slow")) return {ErrorKind::kTimeout, "StallTimeout", "no data moved within the stall timeout", true};
  if (contains(f.detail, "Resolving timed out")) return {ErrorKind::kTimeout, "ConnectTimeout", "name resolution timed out", true};
  if (!f.connected || contains(f.detail, "Failed to connect") || contains(f.detail, "Connection timed out") ||
      contains(f.detail, "Connection timeout"))
    return {ErrorKind::kTimeout, "ConnectTimeout", "connecting timed out", true};
  return {ErrorKind::kTimeout, "Timeout", "the attempt timed out", true};
}

// A certificate that did not verify will not verify on the next attempt either.
Mapped verification_failed() {
  return {ErrorKind::kNetwork, "TlsVerificationFailed",
          "the server's certificate could not be verified; if the endpoint uses a private or self-signed CA, "
          "set AWS_CA_BUNDLE (or ca_bundle in the profile) to that CA's PEM file",
          false};
}

Mapped classify(const CurlFailure& f) {
  if (f.proxy_status != 0 && f.proxy_status / 100 != 2)
    return {ErrorKind::kNetwork, "ProxyError", "the proxy refused the tunnel", true};
  switch (f.code) {
    case CURLE_OPERATION_TIMEDOUT: return classify_timeout(f);
    case CURLE_COULDNT_CONNECT: return {ErrorKind::kNetwork, "ConnectionError", "could not connect", true};
    case CURLE_COULDNT_RESOLVE_HOST: return {ErrorKind::kNetwork, "DnsError", "could not resolve the host", true};
    case CURLE_COULDNT_RESOLVE_PROXY: return {ErrorKind::kNetwork, "ProxyError", "could not resolve the proxy", true};
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_FAIL_REWIND:
      return {ErrorKind::kNetwork, "ConnectionReset", "the connection was closed or reset", true};
    case CURLE_PARTIAL_FILE:
      return {ErrorKind::kNetwork, "TruncatedResponse", "the response body ended before its announced length", true};
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return {ErrorKind::kNetwork, "ConnectionError", "HTTP/2 framing error", true};
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_BAD_CONTENT_ENCODING:
      return {ErrorKind::kParse, "MalformedResponse", "the server's answer is not valid HTTP", true};
    case CURLE_SSL_CONNECT_ERROR:
      // Some TLS libraries report a failed certificate check as a failed handshake.
      if (contains(f.detail, "certificate verify failed") || contains(f.detail, "certificate problem"))
        return verification_failed();
      // A plain-HTTP server answering a TLS hello: it will answer the same way next time.
      if (contains(f.detail, "wrong version number"))
        return {ErrorKind::kNetwork, "TlsError",
                "the server did not answer in TLS: check whether the endpoint URL should be http:// rather than "
                "https://",
                false};
      return {ErrorKind::kNetwork, "TlsError", "the TLS handshake failed", true};
    case CURLE_PEER_FAILED_VERIFICATION:
      return verification_failed();
    case CURLE_SSL_CACERT_BADFILE:
      return {ErrorKind::kNetwork, "TlsError",
              "the CA bundle could not be read: check the file named by AWS_CA_BUNDLE (or the profile's ca_bundle)",
              false};
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ENGINE_NOTFOUND:
      return {ErrorKind::kNetwork, "TlsError", "TLS is misconfigured (CA bundle, certificate or cipher)", false};
    case CURLE_UNSUPPORTED_PROTOCOL:
      // The transport checks the scheme before sending, so once a connection is up this is
      // curl 7.88's code for an answer without an HTTP status line ("Received HTTP/0.9 when
      // not allowed", "Unsupported HTTP version in response"): the server's fault.
      if (f.connected || contains(f.detail, "HTTP/0.9") || contains(f.detail, "HTTP version"))
        return {ErrorKind::kParse, "MalformedResponse", "the server's answer is not HTTP", true};
      return {ErrorKind::kInvalidArgument, "InvalidUrl", "the URL or the proxy URL uses a protocol other than http or https",
              false};
    case CURLE_URL_MALFORMAT:
      return {ErrorKind::kInvalidArgument, "InvalidUrl", "the request URL is not valid", false};
    case CURLE_OUT_OF_MEMORY:
      // curl refuses a single header line larger than its own limit (100 KB) this way.
      if (f.in_headers || contains(f.detail, "header")) return {ErrorKind::kParse, "OversizedHeaders", "a response header is too large", false};
      return {ErrorKind::kInternal, "OutOfMemory", "out of memory", false};
    case CURLE_PROXY:
      return {ErrorKind::kNetwork, "ProxyError", "the proxy handshake failed", true};
    case CURLE_TOO_MANY_REDIRECTS:
    case CURLE_FILESIZE_EXCEEDED:
      return {ErrorKind::kNetwork, "TransportError", "the transfer failed", false};
    default:
      // Unknown to this mapping: another attempt may fare better, within the retry limits.
      return {ErrorKind::kNetwork, "TransportError", "the transfer failed", true};
  }
}

}  // namespace

Error curl_error(const http::Request& request, const CurlFailure& failure) {
  Mapped m = classify(failure);
  std::string message = describe_request(request) + ": " + m.what;
  std::string detail = scrub(failure.detail);
  message += " (curl error " + std::to_string(static_cast<int>(failure.code)) + ": ";
  message += detail.empty() ? curl_easy_strerror(failure.code) : detail;
  message += ")";
  return Error::make(m.kind, m.code, std::move(message), m.retryable);
}

}  // namespace awsdl::internal
