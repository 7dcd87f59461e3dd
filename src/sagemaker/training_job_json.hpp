#pragma once
// CreateTrainingJob's body from a TrainingJobRequest, and a DescribeTrainingJob answer back
// into a TrainingJob (MPI hyperparameters decoded into MpiSettings), so that settings
// round-trip exactly.

#include <string>

#include "awsdl/sagemaker/sagemaker.hpp"
#include "util/json.hpp"

namespace awsdl::internal {

inline constexpr const char* kMpiEnabled = "sagemaker_mpi_enabled";
inline constexpr const char* kMpiProcesses = "sagemaker_mpi_num_of_processes_per_host";
inline constexpr const char* kMpiOptions = "sagemaker_mpi_custom_mpi_options";

std::string create_training_job_body(const sagemaker::TrainingJobRequest& request);
sagemaker::TrainingJob parse_training_job(const JsonValue& answer);
sagemaker::TrainingJobSummary parse_training_job_summary(const JsonValue& summary);

}  // namespace awsdl::internal
