#pragma once
// HTTP dates (RFC 7231 IMF-fixdate, as in the Date header) and the ISO 8601 timestamps the
// XML protocols use, to and from wall time.

#include <optional>
#include <string>
#include <string_view>

#include "awsdl/core/runtime.hpp"

namespace awsdl::internal {

/// "Sun, 06 Nov 1994 08:49:37 GMT" (also the obsolete RFC 850 and asctime forms).
std::optional<WallTime> parse_http_date(std::string_view text);
std::string format_http_date(WallTime time);

/// "2024-01-02T03:04:05Z", "2024-01-02T03:04:05.123Z", "2024-01-02T03:04:05+01:00".
std::optional<WallTime> parse_iso8601(std::string_view text);
/// "2024-01-02T03:04:05Z" (milliseconds added when not whole seconds).
std::string format_iso8601(WallTime time);

}  // namespace awsdl::internal
