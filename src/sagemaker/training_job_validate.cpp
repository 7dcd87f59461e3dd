// Everything about a training job that can be refused before a call: the model's patterns
// and limits (botocore's sagemaker service-2.json) plus what the service checks itself
// (spot needs a max wait at least as long as the max runtime, unique channel names).
#include <regex>
#include <set>

#include "awsdl/s3/uri.hpp"
#include "awsdl/sagemaker/sagemaker.hpp"

namespace awsdl::sagemaker {
namespace {

Error bad(const std::string& field, const std::string& why) {
  return Error::invalid_argument("ValidationException", "training job " + field + ": " + why);
}

Status check_s3(const std::string& field, const std::string& uri) {
  auto parsed = s3::S3Uri::parse(uri);
  if (!parsed) return bad(field, parsed.error().message);
  if (uri.size() > 1024) return bad(field, "an S3 URI has at most 1024 characters");
  return {};
}

// docker reference: [host[:port]/]path[:tag][@sha256:hex]. A tag or a digest is required:
// "latest" by default is how the wrong image gets trained.
Status check_image(const std::string& image) {
  if (image.empty()) return bad("image", "an image reference is required");
  if (image.size() > 255) return bad("image", "an image reference has at most 255 characters");
  static const std::regex digest_re("sha256:[a-f0-9]{64}");
  static const std::regex tag_re("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
  static const std::regex path_re("[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*");
  std::string rest = image;
  bool has_digest = false, has_tag = false;
  if (auto at = rest.find('@'); at != std::string::npos) {
    if (!std::regex_match(rest.substr(at + 1), digest_re))
      return bad("image", "'" + image + "' has a malformed digest (expected @sha256:<64 hex digits>)");
    has_digest = true;
    rest.resize(at);
  }
  auto slash = rest.rfind('/');
  auto colon = rest.rfind(':');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
    if (!std::regex_match(rest.substr(colon + 1), tag_re))
      return bad("image", "'" + image + "' has a malformed tag");
    has_tag = true;
    rest.resize(colon);
  }
  if (!has_tag && !has_digest)
    return bad("image", "'" + image + "' names no tag or digest (add :TAG or @sha256:DIGEST)");
  // The first component is a registry host when it has a dot, a port or is localhost.
  std::string path = rest;
  if (auto first = rest.find('/'); first != std::string::npos) {
    std::string host = rest.substr(0, first);
    if (host.find('.') != std::string::npos || host.find(':') != std::string::npos || host == "localhost")
      path = rest.substr(first + 1);
  }
  if (path.empty() || !std::regex_match(path, path_re))
    return bad("image", "'" + image + "' has a malformed repository path");
  return {};
}

}  // namespace

const char* to_string(InputMode mode) {
  switch (mode) {
    case InputMode::kPipe: return "Pipe";
    case InputMode::kFastFile: return "FastFile";
    case InputMode::kFile: break;
  }
  return "File";
}

const char* to_string(S3DataDistribution d) {
  return d == S3DataDistribution::kShardedByS3Key ? "ShardedByS3Key" : "FullyReplicated";
}

const char* to_string(S3DataType t) {
  switch (t) {
    case S3DataType::kManifestFile: return "ManifestFile";
    case S3DataType::kAugmentedManifestFile: return "AugmentedManifestFile";
    case S3DataType::kS3Prefix: break;
  }
  return "S3Prefix";
}

Result<InputMode> parse_input_mode(const std::string& text) {
  for (auto m : {InputMode::kFile, InputMode::kPipe, InputMode::kFastFile})
    if (text == to_string(m)) return m;
  return Error::invalid_argument("InvalidInputMode", "input mode is File, Pipe or FastFile, not '" + text + "'");
}

Result<S3DataDistribution> parse_distribution(const std::string& text) {
  for (auto d : {S3DataDistribution::kFullyReplicated, S3DataDistribution::kShardedByS3Key})
    if (text == to_string(d)) return d;
  return Error::invalid_argument("InvalidDistribution",
                                 "S3 data distribution is FullyReplicated or ShardedByS3Key, not '" + text + "'");
}

Status validate(const TrainingJobRequest& r) {
  static const std::regex name_re("[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}");
  static const std::regex role_re(R"(arn:aws[a-z\-]*:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+)");
  static const std::regex type_re(R"(ml\.[a-z][a-z0-9-]*\.[a-z0-9-]+)");
  static const std::regex channel_re(R"([A-Za-z0-9\.\-_]{1,64})");
  static const std::regex env_re("[a-zA-Z_][a-zA-Z0-9_]*");

  // Lengths first: std::regex recurses per character and a long input overflowed the stack.
  if (r.name.size() > 63 || !std::regex_match(r.name, name_re))
    return bad("name", "'" + r.name + "' must be 1-63 letters, digits or hyphens, starting with a letter or digit");
  AWSDL_TRY(check_image(r.image));
  if (r.role_arn.size() < 20 || r.role_arn.size() > 2048 || !std::regex_match(r.role_arn, role_re))
    return bad("role", "'" + r.role_arn + "' is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)");
  if (r.instance_type.size() > 64 || !std::regex_match(r.instance_type, type_re))
    return bad("instance type", "'" + r.instance_type + "' is not an ML instance type such as ml.p3.16xlarge");
  if (r.instance_count < 1) return bad("instance count", "at least 1 instance, not " + std::to_string(r.instance_count));
  if (r.volume_size_gb < 1) return bad("volume size", "at least 1 GB, not " + std::to_string(r.volume_size_gb));
  if (r.max_runtime_seconds < 1)
    return bad("max runtime", "at least 1 second, not " + std::to_string(r.max_runtime_seconds));
  if (r.channels.size() > 20) return bad("input channels", "at most 20");
  std::set<std::string> names;
  for (const auto& c : r.channels) {
    if (!std::regex_match(c.name, channel_re))
      return bad("input channel", "name '" + c.name + "' must be 1-64 letters, digits, '.', '-' or '_'");
    if (!names.insert(c.name).second) return bad("input channel", "'" + c.name + "' appears twice");
    AWSDL_TRY(check_s3("input channel " + c.name, c.s3_uri));
    if (!c.compression.empty() && c.compression != "None" && c.compression != "Gzip")
      return bad("input channel " + c.name, "compression is None or Gzip, not '" + c.compression + "'");
  }
  if (r.output_path.empty()) return bad("output path", "an s3:// output path is required");
  AWSDL_TRY(check_s3("output path", r.output_path));
  auto hp_count = r.hyperparameters.size() + (r.mpi ? 3 : 0);
  if (hp_count > 100) return bad("hyperparameters", "at most 100 (MPI settings take 3)");
  for (const auto& [k, v] : r.hyperparameters) {
    if (k.empty() || k.size() > 256) return bad("hyperparameter", "names have 1 to 256 characters");
    if (v.size() > 2500) return bad("hyperparameter " + k, "values have at most 2500 characters");
    if (r.mpi && k.rfind("sagemaker_mpi_", 0) == 0)
      return bad("hyperparameter " + k, "is set by the MPI settings; do not set it by hand");
  }
  if (r.metric_definitions.size() > 40) return bad("metric definitions", "at most 40");
  for (const auto& m : r.metric_definitions) {
    if (m.name.empty() || m.name.size() > 255) return bad("metric", "names have 1 to 255 characters");
    if (m.regex.empty() || m.regex.size() > 500) return bad("metric " + m.name, "regexes have 1 to 500 characters");
    try {
      std::regex check(m.regex, std::regex::ECMAScript);
    } catch (const std::regex_error&) {
      return bad("metric " + m.name, "'" + m.regex + "' is not a valid regular expression");
    }
  }
  if (r.environment.size() > 48) return bad("environment", "at most 48 variables");
  for (const auto& [k, v] : r.environment) {
    if (k.size() > 512 || !std::regex_match(k, env_re)) return bad("environment", "'" + k + "' is not a variable name");
    if (v.size() > 512) return bad("environment " + k, "values have at most 512 characters");
  }
  if (r.mpi && r.mpi->processes_per_host < 1)
    return bad("MPI processes per host", "at least 1, not " + std::to_string(r.mpi->processes_per_host));
  if (r.spot) {
    if (!r.max_wait_seconds) return bad("max wait", "managed spot training needs a max wait time");
    if (*r.max_wait_seconds < r.max_runtime_seconds)
      return bad("max wait", "must be at least the max runtime (" + std::to_string(r.max_runtime_seconds) + " s)");
  } else if (r.max_wait_seconds) {
    return bad("max wait", "only managed spot training has a max wait time");
  }
  if (!r.checkpoint_s3_uri.empty()) AWSDL_TRY(check_s3("checkpoint S3 URI", r.checkpoint_s3_uri));
  if (r.checkpoint_s3_uri.empty() && !r.checkpoint_local_path.empty())
    return bad("checkpoint local path", "needs a checkpoint S3 URI");
  if (r.subnets.empty() != r.security_group_ids.empty())
    return bad("VPC", "subnets and security groups go together");
  if (r.subnets.size() > 16 || r.security_group_ids.size() > 5)
    return bad("VPC", "at most 16 subnets and 5 security groups");
  if (r.max_retry_attempts && (*r.max_retry_attempts < 1 || *r.max_retry_attempts > 30))
    return bad("max retry attempts", "from 1 to 30");
  if (r.tags.size() > 50) return bad("tags", "at most 50");
  for (const auto& t : r.tags)
    if (t.key.empty() || t.key.size() > 128 || t.value.size() > 256)
      return bad("tag", "keys have 1 to 128 characters, values at most 256");
  return {};
}

}  // namespace awsdl::sagemaker
