#include "protocol/json_protocol.hpp"

#include <chrono>
#include <cmath>

namespace awsdl::internal {

std::string json_content_type(const ServiceInfo& service) {
  return "application/x-amz-json-" + (service.json_version.empty() ? std::string("1.1") : service.json_version);
}

http::Request json_request(const ServiceInfo& service, std::string_view operation, std::string body) {
  http::Request r;
  r.method = "POST";
  r.path = "/";
  r.body = body.empty() ? "{}" : std::move(body);
  r.headers.set("X-Amz-Target", service.json_target_prefix + "." + std::string(operation));
  r.headers.set("Content-Type", json_content_type(service));
  return r;
}

std::optional<WallTime> json_timestamp(const JsonValue& object, std::string_view key) {
  auto v = json_number(object, key);
  // A number WallTime cannot hold (nanoseconds: about 292 years either side of 1970) is no
  // time: converting it overflowed.
  constexpr double kMaxSeconds = static_cast<double>(
      std::chrono::duration_cast<std::chrono::seconds>(WallTime::duration::max()).count());
  if (!v || !std::isfinite(*v) || std::fabs(*v) >= kMaxSeconds) return std::nullopt;
  auto ms = static_cast<long long>(std::llround(*v * 1000.0));
  return WallTime(std::chrono::milliseconds(ms));
}

double json_epoch_seconds(WallTime time) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
  return static_cast<double>(ms) / 1000.0;
}

}  // namespace awsdl::internal
