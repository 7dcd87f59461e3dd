#pragma once
// A local docker-registry (Debian's docker/distribution) with htpasswd auth for the length
// of a test: filesystem storage in a temp dir, listening on 127.0.0.1 only, stopped by pid.
// Its request log goes to a file, so tests can count what the registry really received.

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include "awsdl/http/transport.hpp"
#include "support/loopback_port.hpp"
#include "support/run_process.hpp"
#include "support/test_server.hpp"

namespace awsdl::testsupport {

class RegistryServer {
 public:
  static constexpr const char* kUser = "pusher";
  static constexpr const char* kPassword = "s3cret-Passw0rd";

  RegistryServer() {
    char tmpl[] = "/tmp/awsdl-registry-XXXXXX";
    if (!::mkdtemp(tmpl)) {
      error_ = "mkdtemp failed";
      return;
    }
    dir_ = tmpl;
    auto pw = run_process("/usr/bin/htpasswd", {"-Bbn", kUser, kPassword}, {{"PATH", "/usr/bin:/bin"}});
    if (pw.exit_code != 0) {
      error_ = "htpasswd failed: " + pw.err;
      return;
    }
    std::ofstream(dir_ + "/htpasswd") << pw.out;
    port_ = free_loopback_port();
    std::ofstream(dir_ + "/config.yml") << "version: 0.1\n"
                                           "log:\n  level: info\n  formatter: text\n"
                                           "storage:\n  filesystem:\n    rootdirectory: "
                                        << dir_ << "/storage\n  delete:\n    enabled: true\n"
                                        << "http:\n  addr: 127.0.0.1:" << port_ << "\n  secret: awsdl-test\n"
                                        << "auth:\n  htpasswd:\n    realm: awsdl-test\n    path: " << dir_ << "/htpasswd\n";
    // `exec` keeps the pid: stopping the TestServer stops the registry itself.
    std::string cmd = "echo PORT " + std::to_string(port_) + "; exec /usr/bin/docker-registry serve " + dir_ +
                      "/config.yml 2>" + dir_ + "/registry.log";
    server_ = std::make_unique<TestServer>(std::vector<std::string>{"/bin/sh", "-c", cmd});
    if (!server_->ok()) {
      error_ = server_->error();
      return;
    }
    // Ready when /v2/ answers (401 without credentials); bounded wait.
    auto transport = http::make_curl_transport();
    for (int i = 0; i < 200; ++i) {
      http::Request r;
      r.scheme = "http";
      r.host = host();
      r.path = "/v2/";
      auto resp = transport->send(r, {});
      if (resp && resp->status == 401) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    error_ = "docker-registry did not come up; log: " + log();
  }
  ~RegistryServer() {
    server_.reset();
    if (!dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  const std::string& dir() const { return dir_; }
  std::string log() const {
    std::ifstream f(dir_ + "/registry.log");
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }
  /// How many completed requests the log shows with this method whose URI contains `uri_part`.
  int count_requests(const std::string& method, const std::string& uri_part) const {
    std::istringstream in(log());
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
      if (line.find("response completed") == std::string::npos) continue;
      if (line.find("http.request.method=" + method) == std::string::npos) continue;
      if (line.find(uri_part) != std::string::npos) ++n;
    }
    return n;
  }

 private:
  std::string error_;
  std::string dir_;
  int port_ = 0;
  std::unique_ptr<TestServer> server_;
};

}  // namespace awsdl::testsupport
