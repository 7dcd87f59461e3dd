#include "sagemaker/training_job_json.hpp"

#include <charconv>

#include "protocol/json_protocol.hpp"

namespace awsdl::internal {
namespace {

using sagemaker::Channel;
using sagemaker::TrainingJobRequest;

void write_string_map(JsonWriter& w, const char* key, const std::map<std::string, std::string>& m) {
  w.key(key).start_object();
  for (const auto& [k, v] : m) w.field(k, v);
  w.end_object();
}

std::map<std::string, std::string> read_string_map(const JsonValue& v, const char* key) {
  std::map<std::string, std::string> out;
  if (const auto* obj = json_object(v, key))
    for (const auto& m : obj->GetObject())
      if (m.value.IsString())
        out.emplace(std::string(m.name.GetString(), m.name.GetStringLength()),
                    std::string(m.value.GetString(), m.value.GetStringLength()));
  return out;
}

std::vector<std::string> read_strings(const JsonValue& v, const char* key) {
  std::vector<std::string> out;
  if (const auto* a = json_array(v, key))
    for (const auto& s : a->GetArray())
      if (s.IsString()) out.emplace_back(s.GetString(), s.GetStringLength());
  return out;
}

template <typename E>
E parse_enum(const std::string& text, std::initializer_list<E> values, E fallback) {
  for (auto e : values)
    if (text == sagemaker::to_string(e)) return e;
  return fallback;
}

int int_or(const JsonValue& v, const char* key, int fallback) {
  auto i = json_int(v, key);
  return i ? static_cast<int>(*i) : fallback;
}

}  // namespace

std::string create_training_job_body(const TrainingJobRequest& r) {
  JsonWriter w;
  w.start_object().field("TrainingJobName", r.name);
  auto hp = r.hyperparameters;
  if (r.mpi) {
    hp[kMpiEnabled] = "true";
    hp[kMpiProcesses] = std::to_string(r.mpi->processes_per_host);
    hp[kMpiOptions] = r.mpi->custom_mpi_options;
  }
  if (!hp.empty()) write_string_map(w, "HyperParameters", hp);

  w.key("AlgorithmSpecification").start_object().field("TrainingImage", r.image);
  w.field("TrainingInputMode", sagemaker::to_string(r.input_mode));
  if (!r.metric_definitions.empty()) {
    w.key("MetricDefinitions").start_array();
    for (const auto& m : r.metric_definitions) w.start_object().field("Name", m.name).field("Regex", m.regex).end_object();
    w.end_array();
  }
  w.end_object();
  w.field("RoleArn", r.role_arn);

  if (!r.channels.empty()) {
    w.key("InputDataConfig").start_array();
    for (const Channel& c : r.channels) {
      w.start_object().field("ChannelName", c.name);
      w.key("DataSource").start_object().key("S3DataSource").start_object();
      w.field("S3DataType", sagemaker::to_string(c.data_type)).field("S3Uri", c.s3_uri);
      w.field("S3DataDistributionType", sagemaker::to_string(c.distribution));
      w.end_object().end_object();
      w.optional_field("ContentType", c.content_type).optional_field("CompressionType", c.compression);
      if (c.input_mode) w.field("InputMode", sagemaker::to_string(*c.input_mode));
      w.end_object();
    }
    w.end_array();
  }
  w.key("OutputDataConfig").start_object().optional_field("KmsKeyId", r.output_kms_key);
  w.field("S3OutputPath", r.output_path).end_object();
  w.key("ResourceConfig").start_object().field("InstanceType", r.instance_type);
  w.field("InstanceCount", r.instance_count).field("VolumeSizeInGB", r.volume_size_gb);
  w.optional_field("VolumeKmsKeyId", r.volume_kms_key).end_object();
  if (!r.subnets.empty()) {
    w.key("VpcConfig").start_object().key("SecurityGroupIds").start_array();
    for (const auto& s : r.security_group_ids) w.value(s);
    w.end_array().key("Subnets").start_array();
    for (const auto& s : r.subnets) w.value(s);
    w.end_array().end_object();
  }
  w.key("StoppingCondition").start_object().field("MaxRuntimeInSeconds", r.max_runtime_seconds);
  if (r.max_wait_seconds) w.field("MaxWaitTimeInSeconds", *r.max_wait_seconds);
  w.end_object();
  if (!r.tags.empty()) {
    w.key("Tags").start_array();
    for (const auto& t : r.tags) w.start_object().field("Key", t.key).field("Value", t.value).end_object();
    w.end_array();
  }
  if (r.network_isolation) w.field("EnableNetworkIsolation", true);
  if (r.inter_container_traffic_encryption) w.field("EnableInterContainerTrafficEncryption", true);
  if (r.spot) w.field("EnableManagedSpotTraining", true);
  if (!r.checkpoint_s3_uri.empty()) {
    w.key("CheckpointConfig").start_object().field("S3Uri", r.checkpoint_s3_uri);
    w.optional_field("LocalPath", r.checkpoint_local_path).end_object();
  }
  if (!r.environment.empty()) write_string_map(w, "Environment", r.environment);
  if (r.max_retry_attempts)
    w.key("RetryStrategy").start_object().field("MaximumRetryAttempts", *r.max_retry_attempts).end_object();
  w.end_object();
  return w.str();
}

sagemaker::TrainingJob parse_training_job(const JsonValue& v) {
  sagemaker::TrainingJob job;
  job.name = json_string_or(v, "TrainingJobName");
  job.arn = json_string_or(v, "TrainingJobArn");
  job.status = json_string_or(v, "TrainingJobStatus");
  job.secondary_status = json_string_or(v, "SecondaryStatus");
  job.failure_reason = json_string_or(v, "FailureReason");
  if (const auto* m = json_object(v, "ModelArtifacts")) job.model_artifacts = json_string_or(*m, "S3ModelArtifacts");
  job.creation_time = json_timestamp(v, "CreationTime");
  job.training_start_time = json_timestamp(v, "TrainingStartTime");
  job.training_end_time = json_timestamp(v, "TrainingEndTime");
  job.last_modified_time = json_timestamp(v, "LastModifiedTime");
  job.training_time_seconds = json_int(v, "TrainingTimeInSeconds").value_or(0);
  job.billable_time_seconds = json_int(v, "BillableTimeInSeconds").value_or(0);
  if (const auto* list = json_array(v, "SecondaryStatusTransitions"))
    for (const auto& t : list->GetArray())
      job.transitions.push_back({json_string_or(t, "Status"), json_timestamp(t, "StartTime"),
                                 json_timestamp(t, "EndTime"), json_string_or(t, "StatusMessage")});

  TrainingJobRequest& s = job.settings;
  s.name = job.name;
  s.role_arn = json_string_or(v, "RoleArn");
  s.hyperparameters = read_string_map(v, "HyperParameters");
  if (auto it = s.hyperparameters.find(kMpiEnabled); it != s.hyperparameters.end() && it->second == "true") {
    sagemaker::MpiSettings mpi;
    const auto& n = s.hyperparameters[kMpiProcesses];
    int count = 0;
    if (std::from_chars(n.data(), n.data() + n.size(), count).ec == std::errc()) mpi.processes_per_host = count;
    mpi.custom_mpi_options = s.hyperparameters[kMpiOptions];
    s.mpi = mpi;
    for (const char* k : {kMpiEnabled, kMpiProcesses, kMpiOptions}) s.hyperparameters.erase(k);
  }
  if (const auto* a = json_object(v, "AlgorithmSpecification")) {
    s.image = json_string_or(*a, "TrainingImage");
    s.input_mode = parse_enum(json_string_or(*a, "TrainingInputMode"),
                              {sagemaker::InputMode::kFile, sagemaker::InputMode::kPipe, sagemaker::InputMode::kFastFile},
                              sagemaker::InputMode::kFile);
    if (const auto* list = json_array(*a, "MetricDefinitions"))
      for (const auto& m : list->GetArray())
        s.metric_definitions.push_back({json_string_or(m, "Name"), json_string_or(m, "Regex")});
  }
  if (const auto* list = json_array(v, "InputDataConfig"))
    for (const auto& c : list->GetArray()) {
      Channel ch;
      ch.name = json_string_or(c, "ChannelName");
      const auto* ds = json_object(c, "DataSource");
      if (const auto* s3 = ds ? json_object(*ds, "S3DataSource") : nullptr) {
        ch.s3_uri = json_string_or(*s3, "S3Uri");
        ch.data_type = parse_enum(json_string_or(*s3, "S3DataType"),
                                  {sagemaker::S3DataType::kS3Prefix, sagemaker::S3DataType::kManifestFile,
                                   sagemaker::S3DataType::kAugmentedManifestFile},
                                  sagemaker::S3DataType::kS3Prefix);
        ch.distribution = parse_enum(json_string_or(*s3, "S3DataDistributionType"),
                                     {sagemaker::S3DataDistribution::kFullyReplicated,
                                      sagemaker::S3DataDistribution::kShardedByS3Key},
                                     sagemaker::S3DataDistribution::kFullyReplicated);
      }
      ch.content_type = json_string_or(c, "ContentType");
      ch.compression = json_string_or(c, "CompressionType");
      if (auto mode = json_string(c, "InputMode"))
        ch.input_mode = parse_enum(*mode, {sagemaker::InputMode::kFile, sagemaker::InputMode::kPipe,
                                           sagemaker::InputMode::kFastFile},
                                   sagemaker::InputMode::kFile);
      s.channels.push_back(std::move(ch));
    }
  if (const auto* o = json_object(v, "OutputDataConfig")) {
    s.output_path = json_string_or(*o, "S3OutputPath");
    s.output_kms_key = json_string_or(*o, "KmsKeyId");
  }
  if (const auto* r = json_object(v, "ResourceConfig")) {
    s.instance_type = json_string_or(*r, "InstanceType");
    s.instance_count = int_or(*r, "InstanceCount", 0);
    s.volume_size_gb = int_or(*r, "VolumeSizeInGB", 0);
    s.volume_kms_key = json_string_or(*r, "VolumeKmsKeyId");
  }
  if (const auto* vpc = json_object(v, "VpcConfig")) {
    s.subnets = read_strings(*vpc, "Subnets");
    s.security_group_ids = read_strings(*vpc, "SecurityGroupIds");
  }
  if (const auto* stop = json_object(v, "StoppingCondition")) {
    s.max_runtime_seconds = int_or(*stop, "MaxRuntimeInSeconds", 0);
    if (auto w = json_int(*stop, "MaxWaitTimeInSeconds")) s.max_wait_seconds = static_cast<int>(*w);
  }
  s.network_isolation = json_bool(v, "EnableNetworkIsolation").value_or(false);
  s.inter_container_traffic_encryption = json_bool(v, "EnableInterContainerTrafficEncryption").value_or(false);
  s.spot = json_bool(v, "EnableManagedSpotTraining").value_or(false);
  if (const auto* c = json_object(v, "CheckpointConfig")) {
    s.checkpoint_s3_uri = json_string_or(*c, "S3Uri");
    s.checkpoint_local_path = json_string_or(*c, "LocalPath");
  }
  s.environment = read_string_map(v, "Environment");
  if (const auto* rs = json_object(v, "RetryStrategy"))
    if (auto n = json_int(*rs, "MaximumRetryAttempts")) s.max_retry_attempts = static_cast<int>(*n);
  return job;
}

sagemaker::TrainingJobSummary parse_training_job_summary(const JsonValue& v) {
  sagemaker::TrainingJobSummary s;
  s.name = json_string_or(v, "TrainingJobName");
  s.arn = json_string_or(v, "TrainingJobArn");
  s.status = json_string_or(v, "TrainingJobStatus");
  s.creation_time = json_timestamp(v, "CreationTime");
  s.training_end_time = json_timestamp(v, "TrainingEndTime");
  s.last_modified_time = json_timestamp(v, "LastModifiedTime");
  return s;
}

}  // namespace awsdl::internal
