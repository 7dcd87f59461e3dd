// The shared config and credentials files (~/.aws/config, ~/.aws/credentials) as
// ProfileSet::load reads them: from files, merged, profile names taken from "[profile x]".
// A parse error names the file and line, never the file's text (which holds secret keys).
//
// Input: the config file, a NUL, the credentials file.

#include <fcntl.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "awsdl/auth/credentials.hpp"
#include "fuzz_input.hpp"
#include "fuzz_tempdir.hpp"

using awsdl::fuzz::require;

namespace {

constexpr std::string_view kSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

void write_file(const std::string& path, std::string_view text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  require(fd >= 0, "the fuzz target can write its temporary file");
  while (!text.empty()) {
    const ssize_t n = ::write(fd, text.data(), text.size());
    require(n > 0, "the fuzz target can write its temporary file");
    text.remove_prefix(static_cast<std::size_t>(n));
  }
  ::close(fd);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  awsdl::fuzz::FuzzInput in(data, size);
  const std::string_view config = in.field();
  const std::string_view credentials = in.rest();
  const auto& dir = awsdl::fuzz::TempDir::get();
  awsdl::auth::ProfileOptions options;
  options.config_file = dir.path() + "/config";
  options.credentials_file = dir.path() + "/credentials";
  options.profile = "default";
  write_file(options.config_file, config);
  write_file(options.credentials_file, credentials);

  auto set = awsdl::auth::ProfileSet::load(options);
  if (!set) {
    require(set.error().message.find(kSecret) == std::string::npos, "a profile file error quotes the file's text");
    return 0;
  }
  (void)set->find(awsdl::auth::ProfileSet::active_profile(options));
  for (const auto& profile : set->profiles) {
    for (auto key : {"aws_access_key_id", "aws_secret_access_key", "region", "s3.addressing_style", "role_arn"})
      (void)profile.get(key);
  }
  return 0;
}
