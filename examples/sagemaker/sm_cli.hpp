#pragma once
// What the awsdl-sagemaker commands share: KEY=VALUE and number flags, a config file that
// stands for flags, times for people and for JSON, and how a training job is printed.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <awsdl/core/result.hpp>
#include <awsdl/core/runtime.hpp>
#include <awsdl/logs/logs.hpp>
#include <awsdl/sagemaker/sagemaker.hpp>

namespace awsdl_sagemaker {

/// "K=V" -> {K, V}; the value may contain '='. Errors name the flag.
awsdl::Result<std::pair<std::string, std::string>> split_kv(const std::string& flag, const std::string& text);

/// `--config FILE` (or --config=FILE) replaced by the file's flags. A single-valued flag
/// given on the command line replaces the file's; repeatable ones (`repeatable`) collect
/// both. File lines: "name = value", "name" for a switch, '#' comments, blank lines.
awsdl::Result<std::vector<std::string>> expand_config_file(const std::vector<std::string>& argv,
                                                           const std::vector<std::string>& repeatable);

/// "2024-01-02T03:04:05Z" ("-" when unset).
std::string iso_time(const std::optional<awsdl::WallTime>& t);
std::string iso_time_ms(std::int64_t epoch_ms);

/// "[algo-1-1700000000] message" for a training job's log event.
std::string log_line(const awsdl::logs::LogEvent& e);
/// "Training (2024-...): Training image download completed. Training in progress."
std::string transition_line(const awsdl::sagemaker::SecondaryStatusTransition& t);

std::string job_text(const awsdl::sagemaker::TrainingJob& job);
std::string job_json(const awsdl::sagemaker::TrainingJob& job);

}  // namespace awsdl_sagemaker
