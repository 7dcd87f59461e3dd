#pragma once
// Reading a small text file a user names (a cluster or VM configuration, a host list, the
// shared AWS config and credentials files) whole, with limits: a file of a few hundred
// lines should never turn into an endless read (/dev/zero), a silently empty configuration
// (a directory) or an hour of parsing (a log file given by mistake).

#include <cstddef>
#include <string>

#include "awsdl/core/result.hpp"
#include "awsdl/export.hpp"

namespace awsdl {

/// The default cap: far above any configuration or host list, far below a mistake.
inline constexpr std::size_t kMaxConfigFileBytes = std::size_t{1} << 20;  // 1 MiB

/// The whole file at `path`: a regular file, a pipe (read to its end, as `--hosts @<(cmd)`
/// gives), or /dev/null (empty, as AWS_CONFIG_FILE=/dev/null is used). Errors name the path:
///   kNotFound "FileNotFound"            it does not exist;
///   kInvalidArgument "NotARegularFile"  a directory, a device other than /dev/null, a socket;
///   kInvalidArgument "FileTooLarge"     more than `max_bytes`;
///   kIo "FileUnreadable"                anything else (permissions, a read error).
AWSDL_EXPORT Result<std::string> read_config_file(const std::string& path,
                                                  std::size_t max_bytes = kMaxConfigFileBytes);

}  // namespace awsdl
