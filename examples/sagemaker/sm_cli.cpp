#include "sm_cli.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <sstream>

#include <awsdl/core/text_file.hpp>

#include "cli.hpp"

namespace awsdl_sagemaker {

using awsdl::Error;
namespace sm = awsdl::sagemaker;

awsdl::Result<std::pair<std::string, std::string>> split_kv(const std::string& flag, const std::string& text) {
  auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0)
    return Error::invalid_argument("BadFlag", "--" + flag + " takes NAME=VALUE, not '" + text + "'");
  return std::make_pair(text.substr(0, eq), text.substr(eq + 1));
}

awsdl::Result<std::vector<std::string>> expand_config_file(const std::vector<std::string>& argv,
                                                           const std::vector<std::string>& repeatable) {
  std::vector<std::string> own, from_file;
  std::string file;
  for (std::size_t i = 0; i < argv.size(); ++i) {
    if (argv[i] == "--") {
      own.insert(own.end(), argv.begin() + static_cast<std::ptrdiff_t>(i), argv.end());
      break;
    }
    if (argv[i] == "--config") {
      if (i + 1 >= argv.size()) return Error::invalid_argument("BadFlag", "--config needs a FILE");
      file = argv[++i];
    } else if (argv[i].rfind("--config=", 0) == 0) {
      file = argv[i].substr(9);
    } else {
      own.push_back(argv[i]);
    }
  }
  if (file.empty()) return own;
  // Bounded (1 MiB, a regular file or a pipe): --config /dev/zero or a directory is an error.
  auto text = awsdl::read_config_file(file);
  if (!text) return Error::invalid_argument("BadConfigFile", "cannot read the config file: " + text.error().message);
  std::istringstream in(*text);
  std::string line;
  int n = 0;
  while (std::getline(in, line) && n < 10000) {
    ++n;
    auto trim = [](std::string s) {
      auto b = s.find_first_not_of(" \t\r");
      auto e = s.find_last_not_of(" \t\r");
      return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
    };
    line = trim(line);
    if (line.empty() || line[0] == '#') continue;
    auto eq = line.find('=');
    std::string key = trim(line.substr(0, eq));
    if (key.rfind("--", 0) == 0) key = key.substr(2);
    if (key.empty() || key == "config")
      return Error::invalid_argument("BadConfigFile", file + ":" + std::to_string(n) + ": expected 'name = value'");
    const bool given = std::any_of(own.begin(), own.end(), [&](const std::string& a) {
      return a == "--" + key || a.rfind("--" + key + "=", 0) == 0;
    });
    if (given && std::find(repeatable.begin(), repeatable.end(), key) == repeatable.end()) continue;
    from_file.push_back("--" + key);
    if (eq != std::string::npos) from_file.push_back(trim(line.substr(eq + 1)));
  }
  from_file.insert(from_file.end(), own.begin(), own.end());
  return from_file;
}

std::string iso_time(const std::optional<awsdl::WallTime>& t) {
  if (!t) return "-";
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t->time_since_epoch()).count();
  return iso_time_ms(ms);
}

std::string iso_time_ms(std::int64_t epoch_ms) {
  std::time_t secs = static_cast<std::time_t>(epoch_ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string log_line(const awsdl::logs::LogEvent& e) {
  auto slash = e.stream.find('/');
  std::string host = slash == std::string::npos ? e.stream : e.stream.substr(slash + 1);
  return "[" + host + "] " + e.message;
}

std::string transition_line(const sm::SecondaryStatusTransition& t) {
  return t.status + " (" + iso_time(t.start_time) + ")" + (t.message.empty() ? "" : ": " + t.message);
}

namespace {

std::string json_str(const std::string& s) { return "\"" + awsdl_cli::json_escape(s) + "\""; }

std::string json_map(const std::map<std::string, std::string>& m) {
  std::string out = "{";
  for (const auto& [k, v] : m) out += (out.size() > 1 ? "," : "") + json_str(k) + ":" + json_str(v);
  return out + "}";
}

std::string json_time(const std::optional<awsdl::WallTime>& t) { return t ? json_str(iso_time(t)) : "null"; }

}  // namespace

std::string job_text(const sm::TrainingJob& job) {
  const auto& s = job.settings;
  std::ostringstream o;
  o << "name              " << job.name << "\n"
    << "arn               " << job.arn << "\n"
    << "status            " << job.status << " (" << job.secondary_status << ")\n";
  if (!job.failure_reason.empty()) o << "failure reason    " << job.failure_reason << "\n";
  o << "image             " << s.image << "\n"
    << "role              " << s.role_arn << "\n"
    << "instances         " << s.instance_count << " x " << s.instance_type << ", " << s.volume_size_gb << " GB\n"
    << "max runtime       " << s.max_runtime_seconds << " s\n"
    << "input mode        " << sm::to_string(s.input_mode) << "\n";
  for (const auto& c : s.channels)
    o << "input             " << c.name << " = " << c.s3_uri << " (" << sm::to_string(c.distribution)
      << (c.input_mode ? std::string(", ") + sm::to_string(*c.input_mode) : std::string()) << ")\n";
  o << "output path       " << s.output_path << "\n";
  if (!job.model_artifacts.empty()) o << "model artifacts   " << job.model_artifacts << "\n";
  for (const auto& [k, v] : s.hyperparameters) o << "hyperparameter    " << k << " = " << v << "\n";
  for (const auto& m : s.metric_definitions) o << "metric            " << m.name << " = " << m.regex << "\n";
  for (const auto& [k, v] : s.environment) o << "environment       " << k << " = " << v << "\n";
  if (s.mpi)
    o << "mpi               " << s.mpi->processes_per_host << " processes per host"
      << (s.mpi->custom_mpi_options.empty() ? "" : ", options: " + s.mpi->custom_mpi_options) << "\n";
  if (s.spot) o << "spot              max wait " << (s.max_wait_seconds ? *s.max_wait_seconds : 0) << " s\n";
  if (!s.checkpoint_s3_uri.empty())
    o << "checkpoints       " << s.checkpoint_s3_uri
      << (s.checkpoint_local_path.empty() ? "" : " <- " + s.checkpoint_local_path) << "\n";
  o << "created           " << iso_time(job.creation_time) << "\n";
  if (job.training_end_time) o << "ended             " << iso_time(job.training_end_time) << "\n";
  if (!job.transitions.empty()) {
    o << "transitions\n";
    for (const auto& t : job.transitions) o << "  " << transition_line(t) << "\n";
  }
  return o.str();
}

std::string job_json(const sm::TrainingJob& job) {
  const auto& s = job.settings;
  std::ostringstream o;
  o << "{\"name\":" << json_str(job.name) << ",\"arn\":" << json_str(job.arn) << ",\"status\":" << json_str(job.status)
    << ",\"secondary_status\":" << json_str(job.secondary_status)
    << ",\"failure_reason\":" << json_str(job.failure_reason) << ",\"image\":" << json_str(s.image)
    << ",\"role\":" << json_str(s.role_arn) << ",\"instance_type\":" << json_str(s.instance_type)
    << ",\"instance_count\":" << s.instance_count << ",\"volume_size_gb\":" << s.volume_size_gb
    << ",\"max_runtime_seconds\":" << s.max_runtime_seconds
    << ",\"input_mode\":" << json_str(sm::to_string(s.input_mode)) << ",\"inputs\":[";
  for (std::size_t i = 0; i < s.channels.size(); ++i) {
    const auto& c = s.channels[i];
    o << (i ? "," : "") << "{\"name\":" << json_str(c.name) << ",\"s3_uri\":" << json_str(c.s3_uri)
      << ",\"distribution\":" << json_str(sm::to_string(c.distribution)) << "}";
  }
  o << "],\"output_path\":" << json_str(s.output_path) << ",\"model_artifacts\":" << json_str(job.model_artifacts)
    << ",\"hyperparameters\":" << json_map(s.hyperparameters) << ",\"metrics\":{";
  for (std::size_t i = 0; i < s.metric_definitions.size(); ++i)
    o << (i ? "," : "") << json_str(s.metric_definitions[i].name) << ":" << json_str(s.metric_definitions[i].regex);
  o << "},\"environment\":" << json_map(s.environment);
  if (s.mpi)
    o << ",\"mpi\":{\"processes_per_host\":" << s.mpi->processes_per_host
      << ",\"custom_mpi_options\":" << json_str(s.mpi->custom_mpi_options) << "}";
  else
    o << ",\"mpi\":null";
  o << ",\"spot\":" << (s.spot ? "true" : "false") << ",\"max_wait_seconds\":"
    << (s.max_wait_seconds ? std::to_string(*s.max_wait_seconds) : "null")
    << ",\"checkpoint_s3_uri\":" << json_str(s.checkpoint_s3_uri) << ",\"creation_time\":" << json_time(job.creation_time)
    << ",\"training_end_time\":" << json_time(job.training_end_time) << ",\"transitions\":[";
  for (std::size_t i = 0; i < job.transitions.size(); ++i) {
    const auto& t = job.transitions[i];
    o << (i ? "," : "") << "{\"status\":" << json_str(t.status) << ",\"start_time\":" << json_time(t.start_time)
      << ",\"end_time\":" << json_time(t.end_time) << ",\"message\":" << json_str(t.message) << "}";
  }
  o << "]}";
  return o.str();
}

}  // namespace awsdl_sagemaker
