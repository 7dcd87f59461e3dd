#include "awsdl/testing/fake_transport.hpp"

namespace awsdl::testing {

void FakeTransport::push(int status, std::string body, http::Headers headers) {
  http::Response r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  std::lock_guard lock(mu_);
  queue_.emplace_back(std::move(r));
}

void FakeTransport::push_error(Error error) {
  std::lock_guard lock(mu_);
  queue_.emplace_back(std::move(error));
}

void FakeTransport::set_handler(Handler handler) {
  std::lock_guard lock(mu_);
  handler_ = std::move(handler);
}

Result<http::Response> FakeTransport::send(const http::Request& request, const http::SendOptions& options) {
  http::Request copy = request;
  if (copy.body_source) {
    std::string body;
    char buf[65536];
    while (true) {
      auto n = copy.body_source(buf, sizeof buf);
      if (!n) return std::move(n).error();
      if (*n == 0) break;
      body.append(buf, *n);
    }
    copy.body = std::move(body);
    copy.body_source = nullptr;
  }
  Result<http::Response> answer = Error::make(ErrorKind::kInternal, "FakeTransportEmpty",
                                              "FakeTransport has no scripted answer for " + request.method + " " + request.url());
  Handler handler;
  {
    std::lock_guard lock(mu_);
    seen_.push_back(copy);
    if (!queue_.empty()) {
      answer = std::move(queue_.front());
      queue_.pop_front();
    } else {
      handler = handler_;
    }
  }
  if (handler) answer = handler(copy);
  // As the real transport: a 2xx body held in memory is no longer than the request allows.
  if (answer.ok() && !options.sink && answer->status / 100 == 2 && options.max_body_bytes > 0 &&
      answer->body.size() > options.max_body_bytes)
    return Error::make(ErrorKind::kParse, "ResponseTooLarge",
                       request.method + " " + request.host + request.path + ": the response body is larger than the " +
                           std::to_string(options.max_body_bytes) + " bytes that may be held in memory for this answer");
  if (answer.ok() && options.sink && answer->status / 100 == 2) {
    if (auto s = options.sink(answer->body); !s) return std::move(s).error();
    answer->body.clear();
  }
  return answer;
}

std::vector<http::Request> FakeTransport::requests() const {
  std::lock_guard lock(mu_);
  return seen_;
}

std::size_t FakeTransport::request_count() const {
  std::lock_guard lock(mu_);
  return seen_.size();
}

}  // namespace awsdl::testing
