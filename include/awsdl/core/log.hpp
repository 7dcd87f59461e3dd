#pragma once
// Nothing prints unless asked: a LogSink receives every log line, already redacted.

#include <functional>
#include <string>
#include <string_view>

#include "awsdl/export.hpp"

namespace awsdl {

enum class LogLevel { kTrace = 0, kDebug, kInfo, kWarn, kError, kOff };

AWSDL_EXPORT const char* to_string(LogLevel level);

using LogSink = std::function<void(LogLevel level, std::string_view line)>;

/// A sink writing "awsdl LEVEL: line" to stderr.
AWSDL_EXPORT LogSink stderr_log_sink();

/// Masks what must never leave the process: Authorization header values, signatures in
/// presigned URLs, session tokens, secret keys in key=value or JSON form, and any string
/// registered with `register_secret`.
AWSDL_EXPORT std::string redact(std::string_view text);

/// Registers a secret (secret key, session token, password) to be masked by `redact`
/// wherever it appears. Strings shorter than 8 characters are ignored.
AWSDL_EXPORT void register_secret(std::string_view secret);

struct AWSDL_EXPORT Logger {
  LogSink sink;                       // empty: logging off
  LogLevel level = LogLevel::kInfo;   // lines below this level are dropped

  bool enabled(LogLevel l) const { return sink && l >= level && level != LogLevel::kOff; }
  /// Redacts, then hands the line to the sink.
  void log(LogLevel l, std::string_view line) const;
};

}  // namespace awsdl
