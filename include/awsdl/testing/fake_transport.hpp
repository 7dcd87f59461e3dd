#pragma once
// A transport for unit tests: records every request and replays scripted answers.

#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "awsdl/http/transport.hpp"

namespace awsdl::testing {

class AWSDL_EXPORT FakeTransport final : public http::Transport {
 public:
  /// A scripted answer: a response, or a transport error.
  struct Step {
    Result<http::Response> answer;
  };
  using Handler = std::function<Result<http::Response>(const http::Request&)>;

  /// Queue a response (status, body, headers).
  void push(int status, std::string body = {}, http::Headers headers = {});
  void push_error(Error error);
  /// When the queue is empty, answer with this; with neither, a kInternal error.
  void set_handler(Handler handler);

  Result<http::Response> send(const http::Request& request, const http::SendOptions& options) override;

  /// Copies of the requests seen, with streamed bodies read into `body`.
  std::vector<http::Request> requests() const;
  std::size_t request_count() const;

 private:
  mutable std::mutex mu_;
  std::deque<Result<http::Response>> queue_;
  Handler handler_;
  std::vector<http::Request> seen_;
};

}  // namespace awsdl::testing
