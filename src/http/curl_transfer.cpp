#include "http/curl_transfer.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <exception>

namespace awsdl::internal {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

Error callback_threw(const http::Request& request, const char* what) {
  return Error::make(ErrorKind::kInternal, "CallbackException",
                     describe_request(request) + ": a " + what + " callback threw an exception");
}

}  // namespace

std::string describe_request(const http::Request& request) {
  std::string path = request.path.empty() ? "/" : request.path;
  // The path is expected without a query, but a caller may have put one there by mistake.
  if (auto q = path.find('?'); q != std::string::npos) path.resize(q);
  return request.method + " " + request.host + path;
}

void CurlTransfer::install(CURL* easy) {
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &CurlTransfer::header_cb);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, this);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &CurlTransfer::write_cb);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, this);
  curl_easy_setopt(easy, CURLOPT_READFUNCTION, &CurlTransfer::read_cb);
  curl_easy_setopt(easy, CURLOPT_READDATA, this);
  curl_easy_setopt(easy, CURLOPT_SEEKFUNCTION, &CurlTransfer::seek_cb);
  curl_easy_setopt(easy, CURLOPT_SEEKDATA, this);
  curl_easy_setopt(easy, CURLOPT_XFERINFOFUNCTION, &CurlTransfer::xferinfo_cb);
  curl_easy_setopt(easy, CURLOPT_XFERINFODATA, this);
  curl_easy_setopt(easy, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(easy, CURLOPT_PREREQFUNCTION, &CurlTransfer::prereq_cb);
  curl_easy_setopt(easy, CURLOPT_PREREQDATA, this);
}

bool CurlTransfer::check_cancel() {
  if (!options.cancel.cancelled()) return false;
  if (!abort_error)
    abort_error = Error::make(ErrorKind::kCancelled, "Cancelled", describe_request(request) + ": cancelled");
  return true;
}

std::size_t CurlTransfer::header_cb(char* data, std::size_t size, std::size_t n, void* self) {
  return static_cast<CurlTransfer*>(self)->on_header(std::string_view(data, size * n));
}
std::size_t CurlTransfer::write_cb(char* data, std::size_t size, std::size_t n, void* self) {
  return static_cast<CurlTransfer*>(self)->on_body(std::string_view(data, size * n));
}
std::size_t CurlTransfer::read_cb(char* buf, std::size_t size, std::size_t n, void* self) {
  return static_cast<CurlTransfer*>(self)->on_read(buf, size * n);
}
int CurlTransfer::seek_cb(void* self, curl_off_t offset, int origin) {
  return static_cast<CurlTransfer*>(self)->on_seek(offset, origin);
}
int CurlTransfer::prereq_cb(void* self, char*, char*, int, int) {
  auto* t = static_cast<CurlTransfer*>(self);
  t->connected = true;
  t->touch();
  return CURL_PREREQFUNC_OK;
}
int CurlTransfer::xferinfo_cb(void* self, curl_off_t, curl_off_t dlnow, curl_off_t, curl_off_t ulnow) {
  return static_cast<CurlTransfer*>(self)->on_progress(static_cast<std::uint64_t>(std::max<curl_off_t>(0, ulnow)),
                                                       static_cast<std::uint64_t>(std::max<curl_off_t>(0, dlnow)));
}

std::size_t CurlTransfer::on_header(std::string_view line) {
  const std::size_t consumed = line.size();
  if (line.empty()) return consumed;
  touch();
  if (line.starts_with("HTTP/")) {
    // A new header block: an interim 1xx answer came before, or this is the first. Only the
    // final block is kept.
    response.headers = http::Headers();
    response.status = 0;
    header_block_bytes = 0;
    headers_complete = false;
    auto sp = line.find(' ');
    if (sp != std::string_view::npos) {
      int status = 0;
      auto rest = line.substr(sp + 1);
      for (std::size_t i = 0; i < rest.size() && i < 3 && rest[i] >= '0' && rest[i] <= '9'; ++i)
        status = status * 10 + (rest[i] - '0');
      response.status = status;
    }
  }
  header_block_bytes += line.size();
  if (header_block_bytes > max_header_bytes) {
    abort_error = Error::make(ErrorKind::kParse, "OversizedHeaders",
                              describe_request(request) + ": the response header block exceeds " +
                                  std::to_string(max_header_bytes) + " bytes");
    return 0;
  }
  if (line.starts_with("HTTP/")) return consumed;
  if (line.front() == ' ' || line.front() == '\t') {
    // Obsolete line folding: the line continues the previous header's value.
    auto extra = trim(line);
    if (!response.headers.empty() && !extra.empty()) {
      auto entries = response.headers.entries();
      auto last = entries.back();
      last.second += (last.second.empty() ? "" : " ") + std::string(extra);
      // Headers has no in-place edit; rebuild with the last value extended.
      http::Headers rebuilt;
      for (std::size_t i = 0; i + 1 < entries.size(); ++i) rebuilt.add(entries[i].first, entries[i].second);
      rebuilt.add(last.first, last.second);
      response.headers = std::move(rebuilt);
    }
    return consumed;
  }
  auto content = trim(line);
  if (content.empty()) {  // end of the block
    if (response.status >= 200) {
      headers_complete = true;
      // A body announced larger than may be held is refused before any of it is read.
      const std::uint64_t limit = body_limit();
      if (limit > 0 && !to_sink() && request.method != "HEAD" && response.status != 204 && response.status != 304) {
        if (auto announced = content_length(); announced && *announced > limit) {
          body_too_large(limit, announced);
          return 0;
        }
      }
    }
    return consumed;
  }
  auto colon = content.find(':');
  if (colon == std::string_view::npos || colon == 0) return consumed;  // tolerated, as curl does
  response.headers.add(std::string(trim(content.substr(0, colon))), std::string(trim(content.substr(colon + 1))));
  return consumed;
}

bool CurlTransfer::uploading() const {
  if (request.method == "HEAD") return false;
  if (!request.body_source) return reported_sent < request.body.size();
  if (upload_length) return reported_sent < *upload_length;
  return !body_source_done;
}

std::uint64_t CurlTransfer::body_limit() const {
  if (response.status / 100 == 2 && options.max_body_bytes > 0) return options.max_body_bytes;
  return max_body_bytes;
}

std::optional<std::uint64_t> CurlTransfer::content_length() const {
  auto v = response.headers.get("Content-Length");
  if (!v || v->empty() || v->size() > 19) return std::nullopt;
  std::uint64_t n = 0;
  for (char c : *v) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return n;
}

void CurlTransfer::body_too_large(std::uint64_t limit, std::optional<std::uint64_t> announced) {
  std::string what = describe_request(request) + ": the response body ";
  what += announced ? "(" + std::to_string(*announced) + " bytes announced) " : "";
  what += "is larger than the " + std::to_string(limit) + " bytes that may be held in memory for this answer";
  if (response.status / 100 == 2 && options.max_body_bytes == 0)
    what += " (TransportOptions::max_body_bytes; a streamed read has no such limit)";
  abort_error = Error::make(ErrorKind::kParse, "ResponseTooLarge", std::move(what));
  abort_error->http_status = response.status;
}

std::size_t CurlTransfer::on_body(std::string_view chunk) {
  if (check_cancel()) return CURL_WRITEFUNC_ERROR;
  touch();
  if (!to_sink()) {
    const std::uint64_t limit = body_limit();
    if (limit > 0 && response.body.size() + chunk.size() > limit) {
      body_too_large(limit, std::nullopt);
      return CURL_WRITEFUNC_ERROR;
    }
    response.body.append(chunk);
    return chunk.size();
  }
  try {
    if (auto r = options.sink(chunk); !r) {
      abort_error = std::move(r).error();
      return CURL_WRITEFUNC_ERROR;
    }
  } catch (...) {
    abort_error = callback_threw(request, "sink");
    return CURL_WRITEFUNC_ERROR;
  }
  return chunk.size();
}

std::size_t CurlTransfer::on_read(char* buf, std::size_t len) {
  if (check_cancel()) return CURL_READFUNC_ABORT;
  if (!request.body_source) {
    const auto& body = request.body;
    if (body_offset >= body.size()) return 0;
    std::size_t n = std::min<std::size_t>(len, body.size() - body_offset);
    std::memcpy(buf, body.data() + body_offset, n);
    body_offset += n;
    return n;
  }
  if (upload_length) {
    // Never hand curl more than was announced: the excess would corrupt the connection.
    if (body_offset >= *upload_length) return 0;
    len = static_cast<std::size_t>(std::min<std::uint64_t>(len, *upload_length - body_offset));
  }
  Result<std::size_t> got = std::size_t{0};
  try {
    got = request.body_source(buf, len);
  } catch (...) {
    abort_error = callback_threw(request, "body source");
    return CURL_READFUNC_ABORT;
  }
  if (!got) {
    abort_error = std::move(got).error();
    return CURL_READFUNC_ABORT;
  }
  if (*got > len) {
    abort_error = Error::make(ErrorKind::kInternal, "BodySourceOverflow",
                              describe_request(request) + ": the body source returned more bytes than asked for");
    return CURL_READFUNC_ABORT;
  }
  if (*got == 0) body_source_done = true;
  if (*got == 0 && upload_length && body_offset < *upload_length) {
    abort_error = Error::make(ErrorKind::kInvalidArgument, "BodyTooShort",
                              describe_request(request) + ": the body source ended after " + std::to_string(body_offset) +
                                  " of " + std::to_string(*upload_length) + " announced bytes");
    return CURL_READFUNC_ABORT;
  }
  body_offset += *got;
  return *got;
}

int CurlTransfer::on_seek(curl_off_t offset, int origin) {
  // curl rewinds when it must resend the body, e.g. on a reused connection the server had
  // already closed. Only a rewind to the start is supported for streamed bodies.
  if (origin != SEEK_SET || offset < 0) return CURL_SEEKFUNC_CANTSEEK;
  if (!request.body_source) {
    if (static_cast<std::uint64_t>(offset) > request.body.size()) return CURL_SEEKFUNC_FAIL;
    body_offset = static_cast<std::uint64_t>(offset);
    return CURL_SEEKFUNC_OK;
  }
  if (offset != 0 || !request.rewind_body) return CURL_SEEKFUNC_CANTSEEK;
  try {
    if (!request.rewind_body()) return CURL_SEEKFUNC_CANTSEEK;
  } catch (...) {
    return CURL_SEEKFUNC_FAIL;
  }
  body_offset = 0;
  return CURL_SEEKFUNC_OK;
}

int CurlTransfer::on_progress(std::uint64_t sent, std::uint64_t received) {
  if (check_cancel()) return 1;
  if (progress_reported && sent == reported_sent && received == reported_received) return 0;
  touch();
  progress_reported = true;
  reported_sent = sent;
  reported_received = received;
  if (!options.progress) return 0;
  try {
    options.progress(sent, received);
  } catch (...) {
    abort_error = callback_threw(request, "progress");
    return 1;
  }
  return 0;
}

}  // namespace awsdl::internal
