#include "protocol/error_parser.hpp"

#include <cctype>

#include "awsdl/core/log.hpp"
#include "util/json.hpp"
#include "protocol/retry_loop.hpp"
#include "util/xml.hpp"

namespace awsdl::internal {
namespace {

struct Fields {
  std::string code, message, request_id;
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string reason_phrase(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Payload Too Large";
    case 416: return "Range Not Satisfiable";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "HTTP " + std::to_string(status);
  }
}

// "com.amazon.coral.validate#ValidationException" and "ValidationException:http://..." -> "ValidationException".
std::string clean_json_code(std::string_view code) {
  if (auto colon = code.find(':'); colon != std::string_view::npos) code = code.substr(0, colon);
  if (auto hash = code.rfind('#'); hash != std::string_view::npos) code = code.substr(hash + 1);
  return std::string(trim(code));
}

// The fields of an error document; nullopt when the root is not one. `code` may be empty.
std::optional<Fields> error_fields(const XmlDocument& doc) {
  auto root = doc.root();
  std::string name = doc.root_name();
  Fields f;
  if (name == "ErrorResponse") {  // query: <ErrorResponse><Error><Code>..</Code></Error><RequestId>
    auto e = xml_child(root, "Error");
    f.code = xml_text(e, "Code");
    f.message = xml_text(e, "Message");
    f.request_id = xml_text(root, "RequestId");
  } else if (name == "Response" && xml_child(root, "Errors")) {
    // ec2: <Response><Errors><Error>..</Error></Errors><RequestID>
    auto e = xml_path(root, "Errors/Error");
    f.code = xml_text(e, "Code");
    f.message = xml_text(e, "Message");
    f.request_id = xml_text(root, "RequestID");
    if (f.request_id.empty()) f.request_id = xml_text(root, "RequestId");
  } else if (name == "Error") {  // s3 (and some query services without the wrapper)
    f.code = xml_text(root, "Code");
    f.message = xml_text(root, "Message");
    f.request_id = xml_text(root, "RequestId");
  } else {
    return std::nullopt;
  }
  return f;
}

std::optional<Fields> from_xml(std::string_view body) {
  auto doc = XmlDocument::parse(body, "error response");
  if (!doc) return std::nullopt;
  auto f = error_fields(*doc);
  if (!f || f->code.empty()) return std::nullopt;
  return f;
}

std::optional<Fields> from_json(std::string_view body, const http::Headers& headers) {
  Fields f;
  if (auto t = headers.get("x-amzn-ErrorType")) f.code = clean_json_code(*t);
  auto doc = JsonDocument::parse(body, "error response");
  if (doc && doc->root().IsObject()) {
    const auto& root = doc->root();
    if (f.code.empty()) {
      for (auto key : {"__type", "code", "Code"})
        if (auto c = json_string(root, key)) {
          f.code = clean_json_code(*c);
          break;
        }
    }
    for (auto key : {"message", "Message", "errorMessage"})
      if (auto m = json_string(root, key)) {
        f.message = *m;
        break;
      }
  }
  if (f.code.empty()) return std::nullopt;
  return f;
}

// Pieces of an error document that was cut off: "<Code>Throttling</Code><Message>Ra".
std::string element_text(std::string_view body, std::string_view name) {
  std::string open = "<" + std::string(name) + ">", close = "</" + std::string(name) + ">";
  auto a = body.find(open);
  if (a == std::string_view::npos) return {};
  auto b = body.find(close, a + open.size());
  if (b == std::string_view::npos) return {};
  auto text = trim(body.substr(a + open.size(), b - a - open.size()));
  if (text.size() > 256 || text.find('<') != std::string_view::npos) return {};
  return std::string(text);
}

// The start of a body nobody could parse, for the message, unless it looks like it holds a
// secret (then it is left out entirely).
std::string safe_snippet(std::string_view body) {
  body = trim(body);
  if (body.empty()) return {};
  std::string s(body.substr(0, 200));
  for (auto& c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) c = ' ';
  }
  if (redact(s) != s) return {};
  return body.size() > 200 ? s + "..." : s;
}

Error make_error(const http::Response& r, Fields f) {
  Error e;
  e.kind = ErrorKind::kService;
  e.code = std::move(f.code);
  e.message = std::move(f.message);
  e.http_status = r.status;
  e.request_id = request_id_from_headers(r.headers);
  if (e.request_id.empty()) e.request_id = std::move(f.request_id);
  e.retryable = classify_error(e) != RetryKind::kNone;
  // S3 says where a bucket of another region is in a header (a HEAD has no body to say it in).
  if (auto region = r.headers.get("x-amz-bucket-region"); region && !region->empty() && (r.status == 301 || r.status == 400))
    if (e.message.find(std::string(kBucketRegionNote) + std::string(*region)) == std::string::npos)
      e.message += std::string(e.message.empty() ? "" : "; ") + kBucketRegionNote + std::string(*region);
  return e;
}

}  // namespace

std::string bucket_region_from_error(const Error& e) {
  auto at = e.message.find(kBucketRegionNote);
  if (at == std::string::npos) return {};
  at += std::string_view(kBucketRegionNote).size();
  auto end = e.message.find_first_of(" ;)", at);
  return e.message.substr(at, end == std::string::npos ? std::string::npos : end - at);
}

std::string code_for_status(int status) {
  switch (status) {
    case 500: return "InternalError";
    case 502: return "BadGateway";
    case 503: return "ServiceUnavailable";
    case 504: return "GatewayTimeout";
    case 429: return "TooManyRequestsException";
    default: return "Http" + std::to_string(status);
  }
}

std::string request_id_from_headers(const http::Headers& headers) {
  for (auto name : {"x-amzn-RequestId", "x-amz-request-id"})
    if (auto v = headers.get(name); v && !v->empty()) return std::string(*v);
  return {};
}

Error parse_error_response(const http::Response& r, Protocol protocol) {
  std::string_view body = trim(r.body);
  std::optional<Fields> f;
  bool json_first = protocol == Protocol::kJson || protocol == Protocol::kRestJson || (!body.empty() && body.front() == '{');
  if (json_first) f = from_json(body, r.headers);
  if (!f && !body.empty() && body.front() == '<') f = from_xml(body);
  if (!f && !json_first && r.headers.has("x-amzn-ErrorType")) f = from_json(body, r.headers);
  if (f) return make_error(r, std::move(*f));

  // Nothing parseable: salvage a code from a cut-off XML document, else go by the status.
  Fields g;
  if (!body.empty() && body.front() == '<') {
    g.code = element_text(body, "Code");
    g.message = element_text(body, "Message");
    g.request_id = element_text(body, "RequestId");
    if (g.request_id.empty()) g.request_id = element_text(body, "RequestID");
  }
  if (g.code.empty()) {
    g.code = code_for_status(r.status);
    g.message = reason_phrase(r.status);
    if (body.empty()) {
      g.message += " (empty body)";
    } else if (auto snippet = safe_snippet(body); !snippet.empty()) {
      g.message += ": " + snippet;
    } else {
      g.message += " (unparseable body of " + std::to_string(r.body.size()) + " bytes)";
    }
  } else if (g.message.empty()) {
    g.message = reason_phrase(r.status) + " (truncated error body)";
  }
  return make_error(r, std::move(g));
}

std::optional<Error> xml_error_document(const XmlDocument& doc, int http_status) {
  auto f = error_fields(doc);
  if (!f) return std::nullopt;
  http::Response r;
  r.status = http_status;
  if (f->code.empty()) {
    f->code = "UnknownError";
    f->message = "the service answered with an <" + doc.root_name() + "> document without a <Code>" +
                 (f->message.empty() ? std::string() : ": " + f->message);
  }
  return make_error(r, std::move(*f));
}

Result<pugi::xml_node> xml_answer_root(const XmlDocument& doc, std::string_view operation) {
  if (auto e = xml_error_document(doc, 200)) {
    if (e->message.empty()) e->message = std::string(operation) + " answered with an error document";
    return std::move(*e);
  }
  return doc.root();
}

std::optional<Error> s3_error_in_200(const http::Response& r) {
  std::string_view body = trim(r.body);
  if (body.empty()) {
    Fields f{"InternalError", "the service answered 200 with an empty body where a result was expected", ""};
    return make_error(r, std::move(f));
  }
  auto doc = XmlDocument::parse(body, "response");
  if (!doc) return std::nullopt;
  auto e = xml_error_document(*doc, r.status);
  if (!e) return std::nullopt;
  // The request id header wins over the body's, as for any other error.
  if (auto id = request_id_from_headers(r.headers); !id.empty()) e->request_id = std::move(id);
  return e;
}

}  // namespace awsdl::internal
