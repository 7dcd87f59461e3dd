#pragma once
// The `json` protocol (1.0 / 1.1): POST / with X-Amz-Target "<prefix>.<Operation>" and a
// JSON body.
//
//   JsonWriter w;
//   w.start_object().field("TrainingJobName", name).end_object();
//   http::Request r = json_request(info, "DescribeTrainingJob", w.str());

#include <optional>
#include <string>
#include <string_view>

#include "awsdl/core/runtime.hpp"
#include "awsdl/http/message.hpp"
#include "util/json.hpp"
#include "protocol/service_info.hpp"

namespace awsdl::internal {

/// An empty body becomes "{}", as the services expect for operations without input.
http::Request json_request(const ServiceInfo& service, std::string_view operation, std::string body);

/// "application/x-amz-json-1.1" for the service's JSON version.
std::string json_content_type(const ServiceInfo& service);

/// JSON timestamps are epoch seconds (possibly fractional).
std::optional<WallTime> json_timestamp(const JsonValue& object, std::string_view key);
double json_epoch_seconds(WallTime time);

}  // namespace awsdl::internal
