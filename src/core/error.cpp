#include "awsdl/core/error.hpp"

#include <atomic>
#include <cstdio>
#include <cstdlib>

#include "awsdl/core/log.hpp"
#include "awsdl/core/result.hpp"
#include "core/error_observer.hpp"

namespace awsdl {

const char* to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kService: return "service";
    case ErrorKind::kNetwork: return "network";
    case ErrorKind::kTimeout: return "timeout";
    case ErrorKind::kCancelled: return "cancelled";
    case ErrorKind::kInvalidArgument: return "invalid argument";
    case ErrorKind::kCredentials: return "credentials";
    case ErrorKind::kParse: return "parse";
    case ErrorKind::kIo: return "io";
    case ErrorKind::kNotFound: return "not found";
    case ErrorKind::kInternal: return "internal";
  }
  return "unknown";
}

std::string Error::to_string() const {
  std::string out = code.empty() ? std::string(awsdl::to_string(kind)) : code;
  if (http_status != 0) out += " (HTTP " + std::to_string(http_status) + ")";
  if (!message.empty()) out += ": " + message;
  if (!request_id.empty()) out += " [request id " + request_id + "]";
  if (retryable) out += " (retryable)";
  return redact(out);
}

Error& Error::with_next_step(std::string action, std::string detail) & {
  NextStep step{std::move(action), std::move(detail)};
  for (const auto& s : next_steps)
    if (s == step) return *this;
  next_steps.push_back(std::move(step));
  return *this;
}

Error&& Error::with_next_step(std::string action, std::string detail) && {
  return std::move(with_next_step(std::move(action), std::move(detail)));
}

const NextStep* Error::next_step(std::string_view action) const {
  for (const auto& s : next_steps)
    if (s.action == action) return &s;
  return nullptr;
}

Error Error::invalid_argument(std::string code, std::string message) {
  return make(ErrorKind::kInvalidArgument, std::move(code), std::move(message));
}

Error Error::make(ErrorKind kind, std::string code, std::string message, bool retryable) {
  Error e;
  e.kind = kind;
  e.code = std::move(code);
  e.message = std::move(message);
  e.retryable = retryable;
  return e;
}

namespace {
// Constant-initialized: a preloaded library may install an observer before this library's
// own static initializers have run.
constinit std::atomic<internal::ErrorObserver> g_error_observer{nullptr};
}  // namespace

namespace detail {
void bad_result_access(const Error& error) {
  std::fprintf(stderr, "awsdl: value() called on a Result holding an error: %s\n", error.to_string().c_str());
  std::abort();
}
void observe_error(const Error& error) noexcept {
  if (internal::ErrorObserver observer = g_error_observer.load(std::memory_order_acquire)) observer(error);
}

void bad_error_access() {
  std::fprintf(stderr, "awsdl: error() called on a Result holding a value\n");
  std::abort();
}
}  // namespace detail

}  // namespace awsdl

extern "C" awsdl::internal::ErrorObserver awsdl_exchange_error_observer(awsdl::internal::ErrorObserver observer) noexcept {
  return awsdl::g_error_observer.exchange(observer, std::memory_order_acq_rel);
}
