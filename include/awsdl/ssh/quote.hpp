#pragma once
// POSIX shell quoting: what goes over SSH is one string that the remote user's shell splits
// again, so every argument must survive that trip byte for byte.

#include <string>
#include <string_view>
#include <vector>

#include "awsdl/export.hpp"

namespace awsdl::ssh {

/// One argument for a POSIX shell: left bare when it holds only characters no shell treats
/// specially, otherwise wrapped in single quotes ('it'\''s'). Empty becomes ''.
AWSDL_EXPORT std::string shell_quote(std::string_view arg);

/// Quotes every argument and joins them with spaces: the command line a remote shell turns
/// back into exactly `argv`.
AWSDL_EXPORT std::string shell_join(const std::vector<std::string>& argv);

/// Whether `name` is a valid environment variable name ([A-Za-z_][A-Za-z0-9_]*).
AWSDL_EXPORT bool valid_env_name(std::string_view name);

}  // namespace awsdl::ssh
