// The libcurl transport: one pool of transfer slots per transport, options set afresh on
// every request, and each transfer driven in short polls so cancellation is noticed fast.

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>

#include <curl/curl.h>

#include "awsdl/http/transport.hpp"
#include "http/curl_errors.hpp"
#include "http/curl_global.hpp"
#include "http/curl_pool.hpp"
#include "http/curl_transfer.hpp"

namespace awsdl::http {

namespace {

using internal::CurlFailure;
using internal::CurlPool;
using internal::CurlSlot;
using internal::CurlTransfer;
using internal::describe_request;

// How often a running transfer wakes up to look at its cancellation token.
constexpr int kPollMillis = 50;

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
  });
}

bool has_control_chars(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return c == '\r' || c == '\n' || c == '\0'; });
}

struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

bool slist_append(Slist& list, const std::string& line) {
  curl_slist* grown = curl_slist_append(list.get(), line.c_str());
  if (!grown) return false;
  (void)list.release();
  list.reset(grown);
  return true;
}

Result<void> validate(const Request& r) {
  if (r.scheme != "http" && r.scheme != "https")
    return Error::invalid_argument("InvalidUrl", describe_request(r) + ": scheme must be http or https");
  if (r.host.empty() || has_control_chars(r.host) || r.host.find_first_of("/?# @") != std::string::npos)
    return Error::invalid_argument("InvalidUrl", "invalid host in request " + describe_request(r));
  if (!is_token(r.method)) return Error::invalid_argument("InvalidMethod", "invalid HTTP method");
  if (has_control_chars(r.path) || has_control_chars(r.query) || r.path.find_first_of(" #") != std::string::npos ||
      r.query.find_first_of(" #") != std::string::npos)
    return Error::invalid_argument("InvalidUrl", describe_request(r) + ": path or query is not URL-encoded");
  for (const auto& [name, value] : r.headers) {
    // Values are never echoed: they may be credentials.
    if (!is_token(name)) return Error::invalid_argument("InvalidHeader", describe_request(r) + ": invalid header name");
    if (has_control_chars(value))
      return Error::invalid_argument("InvalidHeader", describe_request(r) + ": header " + name + " has a line break");
  }
  return {};
}

// A Content-Length the caller put in the headers, if any and if it parses.
std::optional<std::uint64_t> header_content_length(const Request& r) {
  auto v = r.headers.get("Content-Length");
  if (!v || v->empty()) return std::nullopt;
  std::uint64_t n = 0;
  for (char c : *v) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return n;
}

// The minimum-rate check: a trickle keeps the stall check quiet, so while the request's body
// goes out or the answer's comes in (not while the server works on its answer), at least
// `min_rate` bytes a second must move in every window of `window`.
class RateWatch {
 public:
  RateWatch(std::uint64_t min_rate, Millis window) : min_rate_(min_rate), window_(window) {}

  /// kTimeout "StallTimeout" once a window ends with fewer bytes moved than the rate asks for.
  std::optional<Error> check(SteadyTime now, const CurlTransfer& transfer, const Request& request) {
    if (min_rate_ == 0 || window_.count() <= 0 || !transfer.connected ||
        !(transfer.uploading() || transfer.headers_complete)) {
      in_window_ = false;
      return std::nullopt;
    }
    const std::uint64_t moved = transfer.reported_sent + transfer.reported_received;
    if (!in_window_) {
      in_window_ = true;
      start_ = now;
      base_ = moved;
    } else if (now - start_ >= window_) {
      const auto elapsed = std::chrono::duration_cast<Millis>(now - start_);
      const std::uint64_t needed = min_rate_ * static_cast<std::uint64_t>(window_.count()) / 1000;
      if (moved - base_ < needed)
        return Error::make(ErrorKind::kTimeout, "StallTimeout",
                           describe_request(request) + ": only " + std::to_string(moved - base_) + " bytes moved in " +
                               std::to_string(elapsed.count()) + " ms, below the minimum of " +
                               std::to_string(min_rate_) + " bytes/s (TransportOptions::min_bytes_per_second)",
                           true);
      start_ = now;
      base_ = moved;
    }
    return std::nullopt;
  }

 private:
  const std::uint64_t min_rate_;
  const Millis window_;
  bool in_window_ = false;
  SteadyTime start_{};
  std::uint64_t base_ = 0;
};

// curl's result for `easy`, once its transfer is done (every queued message is read).
std::optional<CURLcode> transfer_result(CURLM* multi, CURL* easy) {
  std::optional<CURLcode> result;
  int queued = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi, &queued))
    if (msg->msg == CURLMSG_DONE && msg->easy_handle == easy) result = msg->data.result;
  return result;
}

// The error for a transfer curl ended with `result` (not CURLE_OK).
Error failure_error(CURL* easy, const Request& request, const CurlTransfer& transfer, CURLcode result,
                    const char* errbuf) {
  CurlFailure failure;
  failure.code = result;
  failure.detail = errbuf;
  failure.connected = transfer.connected;
  failure.in_headers = !transfer.headers_complete;
  long proxy_status = 0;
  if (curl_easy_getinfo(easy, CURLINFO_HTTP_CONNECTCODE, &proxy_status) == CURLE_OK) failure.proxy_status = proxy_status;
  return internal::curl_error(request, failure);
}

// The answer of a transfer that succeeded, after a last progress report with curl's totals
// (so a caller always sees them, even for a very quick exchange).
Response finish_response(CURL* easy, const SendOptions& options, CurlTransfer& transfer) {
  Response response = std::move(transfer.response);
  if (response.status == 0) {
    long status = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    response.status = static_cast<int>(status);
  }
  if (options.progress) {
    curl_off_t up = 0, down = 0;
    curl_easy_getinfo(easy, CURLINFO_SIZE_UPLOAD_T, &up);
    curl_easy_getinfo(easy, CURLINFO_SIZE_DOWNLOAD_T, &down);
    if (!transfer.progress_reported || static_cast<std::uint64_t>(up) != transfer.reported_sent ||
        static_cast<std::uint64_t>(down) != transfer.reported_received) {
      try {
        options.progress(static_cast<std::uint64_t>(up), static_cast<std::uint64_t>(down));
      } catch (...) {
      }
    }
  }
  return response;
}

class CurlTransport final : public Transport {
 public:
  explicit CurlTransport(TransportOptions options)
      : options_(std::move(options)), pool_(options_.max_connections) {}

  Result<Response> send(const Request& request, const SendOptions& options) override;

 private:
  Result<void> configure(CURL* easy, const Request& request, CurlTransfer& transfer, Slist& headers,
                         long timeout_ms, char* errbuf);
  // configure() on the slot's handle, and once more on a fresh handle if curl refuses.
  Result<void> configure_slot(CurlSlot* slot, const Request& request, CurlTransfer& transfer, Slist& headers,
                              long timeout_ms, char* errbuf);
  // Runs the configured transfer to its end: curl's result, or why it was stopped.
  Result<CURLcode> perform(CurlSlot* slot, const Request& request, const SendOptions& options,
                           CurlTransfer& transfer);
  // Why a running transfer must stop now, if it must: cancelled, stalled, too slow.
  std::optional<Error> interruption(const Request& request, const SendOptions& options,
                                    const CurlTransfer& transfer, RateWatch& rate) const;

  TransportOptions options_;
  CurlPool pool_;
};

Result<void> CurlTransport::configure(CURL* easy, const Request& request, CurlTransfer& transfer, Slist& headers,
                                      long timeout_ms, char* errbuf) {
  // The first option curl refused, by name, so that a setup failure says what failed.
  const char* refused = nullptr;
  CURLcode refused_code = CURLE_OK;
  auto fail = [&](const char* what) {
    std::string detail = what;
    if (refused) detail = std::string(refused) + " was refused (" + curl_easy_strerror(refused_code) + ")";
    return Error::make(ErrorKind::kInternal, "CurlSetupFailed",
                       describe_request(request) + ": could not configure libcurl: " + detail + " [" + curl_version() +
                           "]; this is a bug in libawsdl or libcurl, please report it");
  };
  const std::string url = request.url();
  auto set_named = [&](CURLoption opt, const char* name, auto value) {
    if (refused) return;
    if (CURLcode rc = curl_easy_setopt(easy, opt, value); rc != CURLE_OK) {
      refused = name;
      refused_code = rc;
    }
  };
#define set(opt, value) set_named(opt, #opt, value)

  set(CURLOPT_SHARE, pool_.share());
  set(CURLOPT_ERRORBUFFER, errbuf);
  set(CURLOPT_URL, url.c_str());
  set(CURLOPT_PROTOCOLS_STR, "http,https");
  set(CURLOPT_PATH_AS_IS, 1L);  // the path is signed exactly as given: no dot-segment folding
  set(CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
  set(CURLOPT_NOSIGNAL, 1L);    // no SIGALRM from resolver timeouts in a threaded program
  set(CURLOPT_FOLLOWLOCATION, 0L);
  set(CURLOPT_TCP_KEEPALIVE, 1L);
  set(CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
  set(CURLOPT_BUFFERSIZE, 256L * 1024);
  set(CURLOPT_UPLOAD_BUFFERSIZE, 256L * 1024);

  // TLS: verified unless the caller explicitly asked otherwise.
  set(CURLOPT_SSL_VERIFYPEER, options_.verify_tls ? 1L : 0L);
  set(CURLOPT_SSL_VERIFYHOST, options_.verify_tls ? 2L : 0L);
  if (!options_.ca_bundle.empty()) set(CURLOPT_CAINFO, options_.ca_bundle.c_str());

  // With CURLOPT_PROXY unset libcurl reads http_proxy / https_proxy / no_proxy itself;
  // an empty string turns every proxy off, the environment's included.
  if (!options_.proxy_from_environment) set(CURLOPT_PROXY, "");

  if (options_.connect_timeout.count() > 0) set(CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count()));
  if (timeout_ms > 0) set(CURLOPT_TIMEOUT_MS, timeout_ms);
  if (options_.stall_timeout.count() > 0) {
    long secs = static_cast<long>((options_.stall_timeout.count() + 999) / 1000);
    set(CURLOPT_LOW_SPEED_LIMIT, 1L);
    set(CURLOPT_LOW_SPEED_TIME, secs);
  }

  // Method and body. Bodies always go through the read callback in upload mode, so curl
  // adds no Content-Type of its own (as it would for POSTFIELDS).
  const std::string& m = request.method;
  const bool has_body = request.body_source || !request.body.empty();
  const bool body_method = m == "PUT" || m == "POST" || m == "PATCH";
  if (m == "HEAD") {
    set(CURLOPT_NOBODY, 1L);
  } else if (has_body || body_method) {
    set(CURLOPT_UPLOAD, 1L);
    if (m != "PUT") set(CURLOPT_CUSTOMREQUEST, m.c_str());
    std::optional<std::uint64_t> length;
    if (!request.body_source) {
      length = request.body.size();
      if (auto declared = header_content_length(request); declared && *declared != request.body.size())
        return Error::invalid_argument("ContentLengthMismatch",
                                       describe_request(request) + ": Content-Length header disagrees with the body");
    } else {
      length = request.body_length ? request.body_length : header_content_length(request);
      transfer.upload_length = length;
    }
    // Unknown length: curl sends the body with chunked transfer encoding.
    if (length) set(CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(*length));
  } else if (m != "GET") {
    set(CURLOPT_CUSTOMREQUEST, m.c_str());
  }

  // Headers go out verbatim. curl's own defaults that the signer did not see are removed:
  // "Expect: 100-continue" and "Accept: */*".
  for (const auto& [name, value] : request.headers) {
    // "Name;" is curl's way to send a header with an empty value ("Name:" would delete it).
    if (!slist_append(headers, value.empty() ? name + ";" : name + ": " + value)) return fail("out of memory for the headers");
  }
  if (!request.headers.has("Expect") && !slist_append(headers, "Expect:")) return fail("out of memory for the headers");
  if (!request.headers.has("Accept") && !slist_append(headers, "Accept:")) return fail("out of memory for the headers");
  set(CURLOPT_HTTPHEADER, headers.get());
  if (!request.headers.has("User-Agent") && !options_.user_agent.empty())
    set(CURLOPT_USERAGENT, options_.user_agent.c_str());
#undef set

  transfer.install(easy);
  if (refused) return fail("");
  return {};
}

Result<void> CurlTransport::configure_slot(CurlSlot* slot, const Request& request, CurlTransfer& transfer,
                                           Slist& headers, long timeout_ms, char* errbuf) {
  if (configure(slot->easy, request, transfer, headers, timeout_ms, errbuf)) return {};
  // A handle curl refuses to configure is never used again (curl 7.88 refuses
  // CURLOPT_BUFFERSIZE on a handle whose last transfer failed in name resolution): this
  // request gets a fresh one, and so does the pool when even that fails.
  if (!pool_.renew(slot)) return Error::make(ErrorKind::kInternal, "CurlInitFailed", "could not create a libcurl handle");
  headers.reset();
  if (auto again = configure(slot->easy, request, transfer, headers, timeout_ms, errbuf); !again) {
    (void)pool_.renew(slot);
    return std::move(again).error();
  }
  return {};
}

std::optional<Error> CurlTransport::interruption(const Request& request, const SendOptions& options,
                                                 const CurlTransfer& transfer, RateWatch& rate) const {
  // Also checked here, not only in curl's callbacks, because those run only when curl
  // does some work.
  if (options.cancel.cancelled())
    return Error::make(ErrorKind::kCancelled, "Cancelled", describe_request(request) + ": cancelled");
  // curl's low-speed check averages over a window of seconds; this catches "no byte for
  // stall_timeout" precisely, once the request is on its way.
  const auto now = std::chrono::steady_clock::now();
  const Millis stall = options_.stall_timeout;
  if (stall.count() > 0 && transfer.connected && now - transfer.last_activity > stall)
    return Error::make(ErrorKind::kTimeout, "StallTimeout",
                       describe_request(request) + ": no data moved for " + std::to_string(stall.count()) + " ms",
                       true);
  return rate.check(now, transfer, request);
}

Result<CURLcode> CurlTransport::perform(CurlSlot* slot, const Request& request, const SendOptions& options,
                                        CurlTransfer& transfer) {
  CURL* easy = slot->easy;
  if (curl_multi_add_handle(slot->multi, easy) != CURLM_OK)
    return Error::make(ErrorKind::kInternal, "CurlSetupFailed", describe_request(request) + ": could not start the transfer");
  // The minimum rate, measured over consecutive windows while a body moves either way.
  RateWatch rate(options.min_bytes_per_second.value_or(options_.min_bytes_per_second), options_.min_rate_window);
  std::optional<CURLcode> result;
  std::string loop_failure;
  for (;;) {
    int running = 0;
    if (CURLMcode mc = curl_multi_perform(slot->multi, &running); mc != CURLM_OK) {
      loop_failure = curl_multi_strerror(mc);
      break;
    }
    if ((result = transfer_result(slot->multi, easy))) break;
    if (running == 0) {
      loop_failure = "the transfer stopped without a result";
      break;
    }
    if (auto stop = interruption(request, options, transfer, rate)) {
      transfer.abort_error = std::move(stop);
      break;
    }
    if (CURLMcode mc = curl_multi_poll(slot->multi, nullptr, 0, kPollMillis, nullptr); mc != CURLM_OK) {
      loop_failure = curl_multi_strerror(mc);
      break;
    }
  }
  // Removing an unfinished transfer closes its connection, so a cancelled exchange never
  // leaves a half-read response for the next request on this slot.
  curl_multi_remove_handle(slot->multi, easy);

  if (transfer.abort_error) return std::move(*transfer.abort_error);
  if (!loop_failure.empty())
    return Error::make(ErrorKind::kInternal, "CurlFailed", describe_request(request) + ": " + loop_failure);
  return *result;
}

Result<Response> CurlTransport::send(const Request& request, const SendOptions& options) {
  if (options.cancel.cancelled())
    return Error::make(ErrorKind::kCancelled, "Cancelled", describe_request(request) + ": cancelled");
  if (!internal::ensure_curl_global_init())
    return Error::make(ErrorKind::kInternal, "CurlInitFailed", "curl_global_init failed");
  AWSDL_TRY(validate(request));

  const auto start = std::chrono::steady_clock::now();
  std::optional<SteadyTime> deadline;
  if (options.attempt_timeout.count() > 0) deadline = start + options.attempt_timeout;

  const std::string origin = request.scheme + "://" + request.host;
  AWSDL_ASSIGN_OR_RETURN(CurlSlot * slot, pool_.acquire(origin, options.cancel, deadline));
  struct Release {
    CurlPool& pool;
    CurlSlot* slot;
    const std::string& origin;
    ~Release() { pool.release(slot, origin); }
  } release{pool_, slot, origin};

  long timeout_ms = 0;
  if (deadline) {
    // Time spent waiting for a free slot counts against the attempt.
    auto left = std::chrono::duration_cast<Millis>(*deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0)
      return Error::make(ErrorKind::kTimeout, "Timeout", describe_request(request) + ": the attempt timed out", true);
    timeout_ms = static_cast<long>(left);
  }

  curl_easy_reset(slot->easy);  // keeps the connection, drops every option of the previous request
  // Reset again on the way out, so the idle handle holds no pointer to this call's stack
  // (error buffer, header list, callback data). Runs before the slot goes back to the pool.
  struct Reset {
    CurlSlot* slot;
    ~Reset() {
      if (slot->easy) curl_easy_reset(slot->easy);
    }
  } reset{slot};
  char errbuf[CURL_ERROR_SIZE] = {0};
  CurlTransfer transfer(request, options, options_.max_header_bytes, options_.max_body_bytes);
  Slist headers;
  AWSDL_TRY(configure_slot(slot, request, transfer, headers, timeout_ms, errbuf));
  AWSDL_ASSIGN_OR_RETURN(CURLcode result, perform(slot, request, options, transfer));
  if (result != CURLE_OK) return failure_error(slot->easy, request, transfer, result, errbuf);
  return finish_response(slot->easy, options, transfer);
}

}  // namespace

std::shared_ptr<Transport> make_curl_transport(TransportOptions options) {
  internal::ensure_curl_global_init();
  try {
    return std::make_shared<CurlTransport>(std::move(options));
  } catch (...) {
    return nullptr;
  }
}

}  // namespace awsdl::http
