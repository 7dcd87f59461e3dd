#pragma once
// The shared `config` and `credentials` files, parsed the way botocore (configparser) does.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "awsdl/auth/credentials.hpp"
#include "awsdl/core/result.hpp"

namespace awsdl::internal {

struct ProfileFileSection {
  std::string name;  // as written between the brackets, trimmed
  std::vector<std::pair<std::string, std::string>> values;  // keys lower-cased
};

/// Sections in file order (a repeated section is merged into the first, later keys win).
/// An indented block under an empty value ("s3 =" then "  addressing_style = path") becomes
/// dotted keys ("s3.addressing_style"). Errors name `file_label` and the line, never its text.
Result<std::vector<ProfileFileSection>> parse_profile_file(std::string_view text, const std::string& file_label);

/// options.credentials_file, AWS_SHARED_CREDENTIALS_FILE, ~/.aws/credentials ("~" expanded).
std::string credentials_file_path(const auth::ProfileOptions& options);
/// options.config_file, AWS_CONFIG_FILE, ~/.aws/config ("~" expanded).
std::string config_file_path(const auth::ProfileOptions& options);

/// Whether the profile was chosen by name (options.profile or AWS_PROFILE), not by default.
bool profile_explicitly_selected(const auth::ProfileOptions& options);

}  // namespace awsdl::internal
