#pragma once
// "s3://bucket/key" addresses, as the CLI and the workflows take them.

#include <string>
#include <string_view>

#include "awsdl/core/result.hpp"
#include "awsdl/export.hpp"

namespace awsdl::s3 {

struct AWSDL_EXPORT S3Uri {
  std::string bucket;
  std::string key;  // may be empty ("s3://bucket" or "s3://bucket/"), or a prefix ending in '/'

  /// Parses "s3://bucket[/key]". Errors (kInvalidArgument "InvalidS3Uri") say what is wrong:
  /// a missing or other scheme, an empty or invalid bucket name, a key over 1024 bytes.
  static Result<S3Uri> parse(std::string_view text);

  /// "s3://bucket/key".
  std::string to_string() const;
  /// Whether the key names a "directory" (empty or ends with '/').
  bool is_prefix() const { return key.empty() || key.back() == '/'; }
};

/// Bucket name rules (3-63 characters of a-z 0-9 . -, starting and ending with a letter or
/// digit, no "..", not an IP address). Returns an empty string when valid, else why not.
AWSDL_EXPORT std::string bucket_name_problem(std::string_view bucket);

}  // namespace awsdl::s3
