#include "dashboard.hpp"

#include <arpa/inet.h>
#include <httplib.h>

#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <thread>

#include "dashboard_assets.hpp"

namespace awsdl_dash {
namespace {

constexpr const char* kCookie = "awsdl_dashboard";
constexpr std::size_t kKeptEvents = 500;  // replayed to a page that connects later

std::string random_token() {
  std::random_device rd;  // /dev/urandom
  std::string t;
  static const char* hex = "0123456789abcdef";
  for (int i = 0; i < 32; ++i) t += hex[rd() & 15u];
  return t;
}

bool same(const std::string& a, const std::string& b) {  // not shortcut on the first difference
  if (a.size() != b.size()) return false;
  unsigned char d = 0;
  for (std::size_t i = 0; i < a.size(); ++i) d |= static_cast<unsigned char>(a[i] ^ b[i]);
  return d == 0;
}

std::string cookie_value(const httplib::Request& req) {
  auto all = req.get_header_value("Cookie");
  std::string key = std::string(kCookie) + "=";
  for (std::size_t at = 0; at < all.size();) {
    auto end = all.find(';', at);
    if (end == std::string::npos) end = all.size();
    std::string part = all.substr(at, end - at);
    while (!part.empty() && part.front() == ' ') part.erase(0, 1);
    if (part.rfind(key, 0) == 0) return part.substr(key.size());
    at = end + 1;
  }
  return {};
}

bool loopback(const std::string& host) {
  if (host == "localhost") return true;
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6);
  return false;
}

}  // namespace

void add_server_flags(awsdl_cli::Parser& p) {
  p.flag({"listen", "ADDR:PORT", "where the page is served (default 127.0.0.1:0, a free port on loopback)"});
  p.flag({"allow-remote", "", "let --listen name a non-loopback address (plain HTTP: the token is sent in clear)"});
}

awsdl::Result<Listen> parse_listen(const std::string& text, bool allow_remote) {
  auto bad = [&](const std::string& why) {
    return awsdl::Error::invalid_argument("BadListen", "--listen '" + text + "': " + why);
  };
  auto colon = text.rfind(':');
  if (colon == std::string::npos) return bad("must be ADDR:PORT");
  Listen l;
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (!host.empty()) l.host = host;
  std::string port = text.substr(colon + 1);
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(port) > 65535)
    return bad("the port must be a number from 0 to 65535");
  l.port = std::stoi(port);
  in_addr v4{};
  in6_addr v6{};
  if (l.host != "localhost" && inet_pton(AF_INET, l.host.c_str(), &v4) != 1 && inet_pton(AF_INET6, l.host.c_str(), &v6) != 1)
    return bad("the address must be an IP address");
  if (!loopback(l.host) && !allow_remote)
    return awsdl::Error::invalid_argument(
        "RemoteListen", "--listen " + text + " is not a loopback address: add --allow-remote to serve the dashboard there "
                        "(plain HTTP, the token is sent in clear; an SSH tunnel to 127.0.0.1 is safer)");
  return l;
}

awsdl::Result<Listen> listen_from(const awsdl_cli::Args& args) {
  if (!args.has("listen")) {
    if (args.has("allow-remote"))
      return awsdl::Error::invalid_argument("BadFlag", "--allow-remote goes with --listen");
    return Listen{};
  }
  return parse_listen(*args.get("listen"), args.has("allow-remote"));
}

std::string quote(const std::string& s) { return "\"" + awsdl_cli::json_escape(s) + "\""; }

std::string number(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

long long epoch_ms(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::string chart_js_path() {
  if (const char* env = std::getenv("AWSDL_CHART_JS"); env && *env) return std::filesystem::exists(env) ? env : "";
#ifdef AWSDL_CHART_JS_PATH
  if (std::filesystem::exists(AWSDL_CHART_JS_PATH)) return AWSDL_CHART_JS_PATH;
#endif
  return {};
}

struct Server::Impl {
  Listen listen;
  std::string title;
  std::string token = random_token();
  httplib::Server http;
  std::thread thread;

  std::mutex mu;
  std::condition_variable cv;
  bool stopping = false;
  std::string snapshot = "null";
  std::deque<std::pair<std::uint64_t, std::string>> events;  // seq -> "event: ...\ndata: ...\n\n"
  std::uint64_t next_seq = 1;
  std::uint64_t snapshot_seq = 0;  // states published
  std::string chart_js;  // read once

  bool authorized(const httplib::Request& req) {
    if (req.has_param("token")) return same(req.get_param_value("token"), token);
    return same(cookie_value(req), token);
  }

  static void secure(httplib::Response& res) {
    // Nothing from anywhere else: scripts, styles and connections to this server only.
    res.set_header("Content-Security-Policy",
                   "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:");
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("Referrer-Policy", "no-referrer");
    res.set_header("Cache-Control", "no-store");
  }

  void routes() {
    http.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      secure(res);
      if (!authorized(req)) {
        res.status = 401;
        res.set_content("401 Unauthorized: open the URL with the token that the dashboard printed\n", "text/plain");
        return httplib::Server::HandlerResponse::Handled;
      }
      if (req.has_param("token"))
        res.set_header("Set-Cookie", std::string(kCookie) + "=" + token + "; Path=/; HttpOnly; SameSite=Strict");
      return httplib::Server::HandlerResponse::Unhandled;
    });
    http.Get("/", [this](const httplib::Request&, httplib::Response& res) { asset("index.html", res); });
    http.Get(R"(/assets/(.*))", [this](const httplib::Request& req, httplib::Response& res) {
      asset(req.matches[1].str(), res);
    });
    http.Get("/api/snapshot", [this](const httplib::Request&, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu);
      res.set_content(snapshot, "application/json");
    });
    http.Get("/api/events", [this](const httplib::Request& req, httplib::Response& res) {
      res.set_header("X-Accel-Buffering", "no");
      struct Reader {
        std::uint64_t from = 0;       // events up to this one were sent
        std::uint64_t snapshot = 0;   // the snapshot last announced
        bool first = true;
      };
      auto r = std::make_shared<Reader>();
      // A page that reconnects says what it has (EventSource sends the last id it saw).
      const std::string last = req.get_header_value("Last-Event-ID");
      if (!last.empty() && last.size() < 20 && last.find_first_not_of("0123456789") == std::string::npos)
        r->from = std::stoull(last);
      res.set_chunked_content_provider("text/event-stream", [this, r](std::size_t, httplib::DataSink& sink) {
        std::string out;
        {
          std::unique_lock<std::mutex> lock(mu);
          cv.wait_for(lock, std::chrono::seconds(15),
                      [&] { return stopping || r->first || snapshot_seq != r->snapshot; });
          if (stopping) {
            sink.done();
            return false;
          }
          r->first = false;
          for (const auto& [seq, text] : events)
            if (seq > r->from) out += text;
          r->from = next_seq - 1;
          if (snapshot_seq != r->snapshot) {
            r->snapshot = snapshot_seq;
            out += "event: snapshot\ndata: {\"seq\":" + std::to_string(snapshot_seq) + "}\n\n";
          }
        }
        if (out.empty()) out = ": still here\n\n";  // finds a page that went away
        return sink.write(out.data(), out.size());
      });
    });
    http.set_error_handler([](const httplib::Request&, httplib::Response& res) {
      if (res.body.empty()) res.set_content(std::to_string(res.status) + "\n", "text/plain");
    });
  }

  void asset(const std::string& name, httplib::Response& res) {
    // Asset names are plain file names: anything with ".." or a slash is not one of them.
    if (name.find("..") != std::string::npos || name.find('/') != std::string::npos) {
      res.status = 404;
      return;
    }
    if (name == "chart.js") {
      if (chart_js.empty()) {
        res.status = 404;
        res.set_content("Chart.js is not installed (Debian's libjs-chart.js)\n", "text/plain");
        return;
      }
      res.set_content(chart_js, "text/javascript");
      return;
    }
    for (std::size_t i = 0; i < kDashboardAssetCount; ++i) {
      const auto& a = kDashboardAssets[i];
      if (name == a.name) {
        std::string type = name.ends_with(".html") ? "text/html; charset=utf-8"
                           : name.ends_with(".js") ? "text/javascript"
                           : name.ends_with(".css") ? "text/css"
                                                    : "application/octet-stream";
        res.set_content(std::string(reinterpret_cast<const char*>(a.data), a.size), type);
        return;
      }
    }
    res.status = 404;
  }
};

Server::Server(Listen listen, std::string title) : impl_(std::make_unique<Impl>()) {
  impl_->listen = std::move(listen);
  impl_->title = std::move(title);
  impl_->snapshot = "{\"title\":" + quote(impl_->title) + ",\"waiting\":true}";
}

Server::~Server() { stop(); }

awsdl::Result<std::string> Server::start() {
  if (auto path = chart_js_path(); !path.empty()) {
    std::ifstream in(path, std::ios::binary);
    impl_->chart_js.assign(std::istreambuf_iterator<char>(in), {});
  }
  impl_->routes();
  impl_->http.set_payload_max_length(4096);  // read-only: no request has a body worth reading
  int port = impl_->listen.port;
  bool bound = port == 0 ? (port = impl_->http.bind_to_any_port(impl_->listen.host)) > 0
                         : impl_->http.bind_to_port(impl_->listen.host, port);
  if (!bound)
    return awsdl::Error::make(awsdl::ErrorKind::kNetwork, "ListenFailed",
                              "cannot listen on " + impl_->listen.host + ":" + std::to_string(impl_->listen.port));
  impl_->thread = std::thread([this] { impl_->http.listen_after_bind(); });
  std::string host = impl_->listen.host.find(':') != std::string::npos ? "[" + impl_->listen.host + "]" : impl_->listen.host;
  return "http://" + host + ":" + std::to_string(port) + "/?token=" + impl_->token;
}

void Server::publish(std::string snapshot_json, std::vector<StreamEvent> events) {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->snapshot = std::move(snapshot_json);
    ++impl_->snapshot_seq;
    for (auto& e : events) {
      // The JSON has no raw newline. The id lets a reconnecting page resume after it.
      std::string text = "id: " + std::to_string(impl_->next_seq) + "\nevent: " + e.name + "\ndata: " + e.json + "\n\n";
      impl_->events.emplace_back(impl_->next_seq++, std::move(text));
    }
    // A page that connects later gets the newest kKeptEvents, then the snapshot notice.
    while (impl_->events.size() > kKeptEvents) impl_->events.pop_front();
  }
  impl_->cv.notify_all();
}

void Server::stop() {
  if (!impl_) return;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->stopping = true;
  }
  impl_->cv.notify_all();
  if (impl_->thread.joinable()) {
    impl_->http.stop();
    impl_->thread.join();
  }
}

int serve_until_stopped(Server& server, const awsdl::Runtime& runtime, awsdl::Millis interval,
                        const awsdl::CancellationToken& cancel, std::string what,
                        const std::function<awsdl::Result<awsdl::PollState>(int)>& refresh) {
  awsdl::PollOptions poll;
  poll.delay = awsdl::Backoff::polling(interval, interval, 1.0);
  poll.cancel = cancel;
  poll.max_polls = 2000000000;
  poll.what = std::move(what);
  auto watched = awsdl::poll_until(runtime, poll, refresh);
  server.stop();
  if (!watched && watched.error().kind == awsdl::ErrorKind::kCancelled) return awsdl_cli::kExitOk;  // Ctrl-C
  if (!watched) return awsdl_cli::report(watched.error());
  return awsdl_cli::kExitOk;
}

}  // namespace awsdl_dash
