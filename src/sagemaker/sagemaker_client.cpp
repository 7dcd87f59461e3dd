#include <regex>

#include "awsdl/sagemaker/sagemaker.hpp"
#include "util/json.hpp"
#include "protocol/pagination.hpp"
#include "protocol/json_protocol.hpp"
#include "protocol/service_client.hpp"
#include "sagemaker/training_job_json.hpp"

namespace awsdl::sagemaker {
namespace {

Status check_job_name(const std::string& name, const char* op) {
  static const std::regex name_re("[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}");
  // The length first: std::regex recurses per character and a long name overflowed the stack.
  if (name.size() > 63 || !std::regex_match(name, name_re))
    return Error::invalid_argument("ValidationException", std::string(op) + ": '" + name +
                                                              "' is not a training job name (1-63 letters, digits, hyphens)");
  return {};
}

std::string job_name_body(const std::string& name) {
  internal::JsonWriter w;
  w.start_object().field("TrainingJobName", name).end_object();
  return w.str();
}

}  // namespace

SageMakerClient::SageMakerClient(Config config)
    : client_(std::make_shared<ServiceClient>(std::move(config),
                                                        internal::service_info(internal::Service::kSageMaker))) {}

Result<std::string> SageMakerClient::create_training_job(const TrainingJobRequest& request,
                                                         const CallOptions& options) const {
  AWSDL_TRY(validate(request));
  // The job name is its idempotency key: a second create of the same job meets ResourceInUse,
  // recognized below.
  auto created = client_->call_json("CreateTrainingJob", internal::create_training_job_body(request), options,
                                    internal::Idempotency::kIdempotent);
  if (!created) {
    // CreateTrainingJob has no idempotency token: when an attempt got through but its answer
    // was lost, the retry meets our own job as ResourceInUse. A job of that name created a
    // moment ago with exactly these settings is that job, not a conflict.
    if (created.error().code != "ResourceInUse") return std::move(created).error();
    auto existing = describe_training_job(request.name, options);
    if (existing && existing->creation_time) {
      auto age = client_->config().runtime.clock->wall_now() - *existing->creation_time;
      auto want = request;
      want.tags.clear();
      if (age < std::chrono::minutes(10) && age > -std::chrono::minutes(10) && existing->settings == want)
        return existing->arn;
    }
    return std::move(created).error();
  }
  auto arn = internal::json_string(created->root(), "TrainingJobArn");
  if (!arn) return Error::make(ErrorKind::kParse, "MissingElement", "CreateTrainingJob: answer has no TrainingJobArn");
  return *arn;
}

Result<TrainingJob> SageMakerClient::describe_training_job(const std::string& name, const CallOptions& options) const {
  AWSDL_TRY(check_job_name(name, "DescribeTrainingJob"));
  AWSDL_ASSIGN_OR_RETURN(auto doc, client_->call_json("DescribeTrainingJob", job_name_body(name), options));
  auto job = internal::parse_training_job(doc.root());
  if (job.name.empty() || job.status.empty())
    return Error::make(ErrorKind::kParse, "MissingElement", "DescribeTrainingJob: answer has no name or status");
  return job;
}

Status SageMakerClient::stop_training_job(const std::string& name, const CallOptions& options) const {
  AWSDL_TRY(check_job_name(name, "StopTrainingJob"));
  AWSDL_TRY(client_->call_json("StopTrainingJob", job_name_body(name), options, internal::Idempotency::kIdempotent));
  return {};
}

Result<std::vector<TrainingJobSummary>> SageMakerClient::list_training_jobs(const ListTrainingJobsRequest& r,
                                                                           const CallOptions& options) const {
  if (r.page_size < 0 || r.page_size > 100)
    return Error::invalid_argument("ValidationException", "ListTrainingJobs: page size is 1 to 100");
  std::vector<TrainingJobSummary> out;
  internal::PageGuard pages("SageMaker ListTrainingJobs", client_->config().max_pages);
  std::string token;
  for (;;) {
    internal::JsonWriter w;
    w.start_object().optional_field("NextToken", token);
    if (r.page_size > 0) w.field("MaxResults", r.page_size);
    if (r.creation_time_after) w.field("CreationTimeAfter", internal::json_epoch_seconds(*r.creation_time_after));
    if (r.creation_time_before) w.field("CreationTimeBefore", internal::json_epoch_seconds(*r.creation_time_before));
    w.optional_field("NameContains", r.name_contains).optional_field("StatusEquals", r.status_equals);
    w.optional_field("SortBy", r.sort_by).optional_field("SortOrder", r.sort_order).end_object();
    AWSDL_ASSIGN_OR_RETURN(auto doc, client_->call_json("ListTrainingJobs", w.str(), options));
    if (const auto* list = internal::json_array(doc.root(), "TrainingJobSummaries"))
      for (const auto& s : list->GetArray()) {
        out.push_back(internal::parse_training_job_summary(s));
        if (r.max_items && out.size() >= r.max_items) return out;
      }
    token = internal::json_string_or(doc.root(), "NextToken");
    AWSDL_ASSIGN_OR_RETURN(bool more, pages.next(token));
    if (!more) return out;
  }
}

}  // namespace awsdl::sagemaker
