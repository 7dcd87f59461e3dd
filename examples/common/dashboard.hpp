#pragma once
// The dashboards' web server, shared by `awsdl-cluster dashboard` and `awsdl-sagemaker
// dashboard`: one read-only page (examples/common/dashboard/*, embedded at build time), Debian's
// Chart.js served from its installed file, the newest state as JSON (/api/snapshot) and a
// Server-Sent Events stream (/api/events) of what each new state brought (log lines, stack or
// job events). The program takes the looks (a cluster Monitor, DescribeTrainingJob and the
// logs) and renders them as JSON; this file only serves them.
//
// Access: a random token in the printed URL, as Jupyter does; the first request with it sets
// a cookie, and any request with neither gets 401. It listens on 127.0.0.1 unless --listen
// names another address and --allow-remote says so (plain HTTP: the token crosses the network
// in clear).

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <awsdl/core/result.hpp>
#include <awsdl/core/retry.hpp>

#include "cli.hpp"

namespace awsdl_dash {

/// --listen ADDR:PORT and --allow-remote.
void add_server_flags(awsdl_cli::Parser& p);

struct Listen {
  std::string host = "127.0.0.1";
  int port = 0;  // 0: any free port
};
/// "ADDR:PORT", "[V6]:PORT" or ":PORT" (loopback). A non-loopback address without
/// `allow_remote`: kInvalidArgument "RemoteListen". Checked before any call.
awsdl::Result<Listen> parse_listen(const std::string& text, bool allow_remote);
/// From the flags (default 127.0.0.1:0).
awsdl::Result<Listen> listen_from(const awsdl_cli::Args& args);

/// One thing the stream pushes: an SSE event name ("log", "events", "snapshot") and its JSON data.
struct StreamEvent {
  std::string name;
  std::string json;
};

class Server {
 public:
  /// `title`: the page's heading until the first state arrives.
  Server(Listen listen, std::string title);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Binds and serves on a thread of its own; returns the URL to open (with the token).
  awsdl::Result<std::string> start();
  /// A new state: the page's JSON, and the stream events it brought (a "snapshot" event
  /// telling the page to fetch it follows them).
  void publish(std::string snapshot_json, std::vector<StreamEvent> events);
  /// Ends open streams and the server (also done by the destructor).
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Calls `refresh` every `interval` (the toolkit's poll on `runtime`) until it fails or `cancel`
/// (Ctrl-C), then stops the server: the program's exit code (Ctrl-C is a normal end).
int serve_until_stopped(Server& server, const awsdl::Runtime& runtime, awsdl::Millis interval,
                        const awsdl::CancellationToken& cancel, std::string what,
                        const std::function<awsdl::Result<awsdl::PollState>(int)>& refresh);

/// JSON helpers for the programs' renderings.
std::string quote(const std::string& s);                 // "..." escaped
std::string number(double v);                           // finite: %.6g; otherwise null
long long epoch_ms(std::chrono::system_clock::time_point t);

/// Where Chart.js is read from: the file found when the program was built (Debian's
/// libjs-chart.js), or $AWSDL_CHART_JS; empty when neither exists.
std::string chart_js_path();

}  // namespace awsdl_dash
