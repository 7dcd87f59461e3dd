// What stage and unstage share: the compression names, the sidecar's key, the client.
#include "awsdl/stage/stager.hpp"

#include "stage/stager_internal.hpp"

namespace awsdl::stage {

const char* to_string(Compression compression) {
  switch (compression) {
    case Compression::kNone: return "none";
    case Compression::kGzip: return "gzip";
    case Compression::kZstd: return "zstd";
  }
  return "none";
}

Result<Compression> parse_compression(std::string_view text) {
  if (text == "none") return Compression::kNone;
  if (text == "gzip") return Compression::kGzip;
  if (text == "zstd") return Compression::kZstd;
  return Error::invalid_argument("InvalidCompression",
                                 "unknown compression '" + std::string(text) + "' (use none, gzip or zstd)");
}

std::string manifest_key(std::string_view key) { return std::string(key) + ".manifest"; }

Stager::Stager(Config config, s3::S3Options s3_options) : client_(std::move(config), std::move(s3_options)) {}

}  // namespace awsdl::stage

namespace awsdl::internal {

Compression to_internal(stage::Compression c) {
  switch (c) {
    case stage::Compression::kNone: return Compression::kNone;
    case stage::Compression::kGzip: return Compression::kGzip;
    case stage::Compression::kZstd: return Compression::kZstd;
  }
  return Compression::kNone;
}

stage::Compression to_public(Compression c) {
  switch (c) {
    case Compression::kNone: return stage::Compression::kNone;
    case Compression::kGzip: return stage::Compression::kGzip;
    case Compression::kZstd: return stage::Compression::kZstd;
  }
  return stage::Compression::kNone;
}

Result<s3::S3Uri> parse_archive_uri(std::string_view text) {
  AWSDL_ASSIGN_OR_RETURN(s3::S3Uri uri, s3::S3Uri::parse(text));
  if (uri.is_prefix())
    return Error::invalid_argument("InvalidS3Uri", "'" + std::string(text) +
                                                       "' names a bucket or a prefix: give the archive's key, as in "
                                                       "s3://bucket/path/data.tar");
  return uri;
}

Error with_context(Error error, const std::string& context) {
  error.message = context + ": " + error.message;
  return error;
}

}  // namespace awsdl::internal
