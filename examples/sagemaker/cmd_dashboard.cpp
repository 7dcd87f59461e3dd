// awsdl-sagemaker dashboard: a training job in a browser, served by the same server and page as
// awsdl-cluster dashboard (examples/common/dashboard.hpp): the job's status transitions, every
// host's log (CloudWatch Logs, each stream read forward once), and its metrics as charts,
// parsed from each host's log with the job's metric definitions (or --metric). Read-only.
#include <chrono>
#include <cstdio>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include <awsdl/cluster/monitor.hpp>
#include <awsdl/core/retry.hpp>
#include <awsdl/logs/logs.hpp>
#include <awsdl/sagemaker/follow.hpp>
#include <awsdl/sagemaker/sagemaker.hpp>

#include "cli.hpp"
#include "command.hpp"
#include "dashboard.hpp"
#include "interrupt.hpp"
#include "sm_cli.hpp"

namespace {

using awsdl_dash::quote;

awsdl_cli::Parser parser() {
  awsdl_cli::Parser p("awsdl-sagemaker dashboard", "serve a live page of a training job: status, logs, metrics");
  p.usage("awsdl-sagemaker dashboard [--listen ADDR:PORT [--allow-remote]] [--interval S] [--metric NAME=REGEX]... JOB_NAME")
      .flag({"interval", "SECONDS", "between two looks at the job (default 5)"})
      .flag({"metric", "NAME=REGEX", "a metric to parse from the logs (default: the job's metric definitions)", true});
  awsdl_dash::add_server_flags(p);
  p.aws_flags()
      .example("awsdl-sagemaker dashboard maskrcnn-1")
      .example("awsdl-sagemaker dashboard maskrcnn-1 --metric 'loss=loss=([0-9.]+)' --listen 127.0.0.1:8080")
      .note("Prints the page's URL, with a random token, on the first line of standard output, and serves until Ctrl-C.\n"
            "Without the token (or the cookie its first use sets) every request gets 401.\n");
  return p;
}

// "job/algo-1-1700000000" -> "algo-1-1700000000".
std::string host_of(const std::string& stream) {
  auto slash = stream.find('/');
  return slash == std::string::npos ? stream : stream.substr(slash + 1);
}

struct Watch {
  std::string name;
  std::vector<awsdl::cluster::MetricDefinition> metrics;  // from --metric, else the job's
  bool metrics_from_job = false;
  std::string metrics_problem;
  std::map<std::string, awsdl::cluster::MetricTracker> trackers;  // per stream
  std::size_t transitions_sent = 0;

  std::string json(const awsdl::sagemaker::TrainingJob& job, awsdl::WallTime at, awsdl::Millis took) const {
    std::string j = "{\"kind\":\"sagemaker\",\"title\":" + quote("training job " + name) +
                    ",\"at\":" + std::to_string(awsdl_dash::epoch_ms(at)) + ",\"took_ms\":" + std::to_string(took.count()) +
                    ",\"exists\":true,\"status\":" +
                    quote(job.status + (job.secondary_status.empty() || job.secondary_status == job.status
                                               ? ""
                                               : " (" + job.secondary_status + ")")) +
                    ",\"log_label\":\"Every host's log\",\"events_label\":\"Status changes\"";
    if (job.creation_time) j += ",\"started\":" + std::to_string(awsdl_dash::epoch_ms(*job.creation_time));
    std::string problem = job.failure_reason.empty() ? metrics_problem : "failed: " + job.failure_reason;
    if (!problem.empty()) j += ",\"problem\":" + quote(problem);
    j += ",\"facts\":[[\"instances\"," +
         quote(std::to_string(job.settings.instance_count) + " x " + job.settings.instance_type) + "],[\"hosts\"," +
         quote(std::to_string(trackers.size())) + "],[\"billable\"," +
         quote(std::to_string(job.billable_time_seconds) + " s") + "]]";
    j += ",\"transitions\":[";
    for (std::size_t i = 0; i < job.transitions.size(); ++i) {
      const auto& t = job.transitions[i];
      j += std::string(i ? "," : "") + "{\"status\":" + quote(t.status) + ",\"start\":" +
           (t.start_time ? std::to_string(awsdl_dash::epoch_ms(*t.start_time)) : "null") + ",\"end\":" +
           (t.end_time ? std::to_string(awsdl_dash::epoch_ms(*t.end_time)) : "null") + ",\"message\":" + quote(t.message) + "}";
    }
    j += "],\"metrics\":{";
    bool first = true;
    for (const auto& [stream, tracker] : trackers) {
      for (const auto& [metric, points] : tracker.series()) {
        std::string label = trackers.size() > 1 ? metric + " " + host_of(stream) : metric;
        j += std::string(first ? "" : ",") + quote(label) + ":[";
        first = false;
        for (std::size_t i = 0; i < points.size(); ++i)
          j += std::string(i ? "," : "") + "[" + std::to_string(points[i].line) + "," + awsdl_dash::number(points[i].value) + "]";
        j += "]";
      }
    }
    j += "}}";
    return j;
  }
};

int run(const std::vector<std::string>& argv) {
  auto opening = awsdl_cli::open_command(parser(), argv);
  if (opening.exit) return *opening.exit;
  const awsdl_cli::Args& args = opening.args;
  if (args.positionals().size() != 1 || !args.rest().empty())
    return awsdl_cli::report(awsdl::Error::invalid_argument("Usage", "dashboard takes one job name (see --help)"));
  const std::string& name = args.positionals()[0];
  static const std::regex name_re("[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}");
  if (name.size() > 63 || !std::regex_match(name, name_re))
    return awsdl_cli::report(awsdl::Error::invalid_argument("BadJobName", "'" + name + "' is not a training job name"));
  Watch w;
  w.name = name;
  for (const auto& m : args.all("metric")) {
    auto d = awsdl::cluster::parse_metric_definition(m);
    if (!d) return awsdl_cli::report(d.error());
    w.metrics.push_back(std::move(*d));
  }
  auto interval = awsdl_cli::seconds_flag(args, "interval", std::chrono::seconds(5), 0.1, 3600);
  if (!interval) return awsdl_cli::report(interval.error());
  auto listen = awsdl_dash::listen_from(args);
  if (!listen) return awsdl_cli::report(listen.error());
  auto config = awsdl_cli::config_from(args);
  if (!config) return awsdl_cli::report(config.error());

  awsdl::sagemaker::SageMakerClient sagemaker(*config);
  auto job = sagemaker.describe_training_job(name);
  if (!job) return awsdl_cli::report(job.error(), "looking at training job " + name);
  if (w.metrics.empty()) {
    // The job's own definitions; one this parser refuses is left out and said so on the page.
    for (const auto& d : job->settings.metric_definitions) {
      auto parsed = awsdl::cluster::parse_metric_definition(d.name + "=" + d.regex);
      if (parsed) w.metrics.push_back(std::move(*parsed));
      else w.metrics_problem += (w.metrics_problem.empty() ? "" : "; ") + parsed.error().message;
    }
  }
  awsdl::logs::LogFollower follower(awsdl::logs::LogsClient(*config),
                                    {.log_group = awsdl::sagemaker::kTrainingJobLogGroup, .stream_prefix = name + "/"});

  awsdl_dash::Server server(*listen, "training job " + name);
  auto url = server.start();
  if (!url) return awsdl_cli::report(url.error());
  std::printf("%s\n", url->c_str());
  std::fflush(stdout);
  std::fprintf(stderr, "awsdl-sagemaker dashboard: training job %s at the URL above (Ctrl-C to stop)\n", name.c_str());

  auto cancel = awsdl_cli::install_interrupt_handler();
  auto& clock = *config->runtime.clock;
  std::string last;
  return awsdl_dash::serve_until_stopped(server, config->runtime, *interval, cancel,
                                         "the dashboard of training job " + name,
                                         [&](int n) -> awsdl::Result<awsdl::PollState> {
    const auto started = clock.steady_now();
    awsdl::CallOptions call;
    call.cancel = cancel;
    std::string problem;
    if (n > 0) {
      auto again = sagemaker.describe_training_job(name, call);
      if (again) job = std::move(again);
      else if (again.error().kind == awsdl::ErrorKind::kCancelled) return std::move(again).error();
      else problem = "cannot describe the job: " + again.error().message;
    }
    std::vector<awsdl_dash::StreamEvent> events;
    auto logs = follower.poll(call);
    if (!logs) {
      if (logs.error().kind == awsdl::ErrorKind::kCancelled) return std::move(logs).error();
      problem = "cannot read the logs: " + logs.error().message;
    } else if (!logs->empty()) {
      std::string lines;
      for (const auto& e : *logs) {
        auto it = w.trackers.find(e.stream);
        if (it == w.trackers.end()) {
          auto t = awsdl::cluster::MetricTracker::make(w.metrics);
          if (!t) return std::move(t).error();  // parsed above: cannot happen
          it = w.trackers.emplace(e.stream, std::move(*t)).first;
        }
        it->second.feed(e.message + "\n", clock.wall_now());
        lines += std::string(lines.empty() ? "" : ",") + "{\"source\":" + quote(host_of(e.stream)) +
                 ",\"text\":" + quote(e.message) + "}";
      }
      events.push_back({"log", "{\"lines\":[" + lines + "]}"});
    }
    // Status transitions, each once (as it first appears).
    std::string changes;
    for (std::size_t i = w.transitions_sent; i < job->transitions.size(); ++i) {
      const auto& t = job->transitions[i];
      changes += std::string(changes.empty() ? "" : ",") + "{\"time\":" + quote(awsdl_sagemaker::iso_time(t.start_time)) +
                 ",\"text\":" + quote(t.status + (t.message.empty() ? "" : ": " + t.message)) + "}";
    }
    w.transitions_sent = job->transitions.size();
    if (!changes.empty()) events.push_back({"events", "{\"events\":[" + changes + "]}"});
    auto took = std::chrono::duration_cast<awsdl::Millis>(clock.steady_now() - started);
    last = w.json(*job, clock.wall_now(), took);
    if (!problem.empty()) last = last.substr(0, last.size() - 1) + ",\"problem\":" + quote(problem) + "}";
    server.publish(last, std::move(events));
    return awsdl::PollState::pending(job->status);
  });
}

const awsdl_cli::RegisterCommand kRegister({"dashboard", "serve a live page of a training job in a browser", run});

}  // namespace
