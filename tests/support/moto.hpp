#pragma once
// moto's server (an AWS emulator nobody here wrote) from a conformance test's point of view:
// where it listens, a Config and a program environment that talk to it, its reset, the gaps
// this moto is known to have, and boto3 calls against it as an independent client.
//
//   awsdl::testsupport::Moto moto;
//   ASSERT_TRUE(moto.ok()) << moto.error();
//   ASSERT_TRUE(moto.reset());
//   if (auto gap = moto.gap("sagemaker_stop_training_job")) GTEST_SKIP() << *gap;
//   auto r = run_process(kBinary, {...}, moto.cli_env(home));
//   auto head = moto.call("s3", "head_object", R"({"Bucket":"b","Key":"k"})");
//
// The ctest fixture (tests/support/moto_ctl.py start) starts one server for the conformance
// label and names its state directory in AWSDL_MOTO_STATE_DIR; the server is shared, so the
// tests take turns (RESOURCE_LOCK) and each starts with reset().

#include <rapidjson/document.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <utility>

#include "awsdl/auth/credentials.hpp"
#include "awsdl/config.hpp"
#include "awsdl/core/error.hpp"
#include "awsdl/core/result.hpp"
#include "awsdl/core/runtime.hpp"
#include "awsdl/http/message.hpp"
#include "awsdl/http/transport.hpp"
#include "support/error_log_env.hpp"
#include "support/local_aws.hpp"
#include "support/run_process.hpp"

namespace awsdl::testsupport {

class Moto {
 public:
  // The documentation's example keys (moto accepts any) and moto's default account.
  static constexpr const char* kAccessKeyId = kExampleAccessKeyId;
  static constexpr const char* kSecretAccessKey = kExampleSecretAccessKey;
  static constexpr const char* kAccount = kExampleAccount;
  static constexpr const char* kRegion = kExampleRegion;

  Moto() {
    const char* dir = std::getenv("AWSDL_MOTO_STATE_DIR");
    const char* python = std::getenv("AWSDL_MOTO_PYTHON");
    if (dir == nullptr || *dir == '\0' || python == nullptr || *python == '\0') {
      error_ = "AWSDL_MOTO_STATE_DIR / AWSDL_MOTO_PYTHON are not set (run through ctest, which starts the moto fixture)";
      return;
    }
    state_ = dir;
    python_ = python;
    const int port = read_port_file(state_ + "/moto.port");
    if (port == 0) {
      error_ = "cannot read a port from " + state_ + "/moto.port (is the moto fixture running?)";
      return;
    }
    std::ifstream gaps_in(state_ + "/moto.gaps.json");
    std::stringstream text;
    text << gaps_in.rdbuf();
    rapidjson::Document gaps;
    gaps.Parse(text.str().c_str());
    if (gaps.HasParseError() || !gaps.IsObject()) {
      error_ = "cannot read " + state_ + "/moto.gaps.json (written by tests/support/moto_ctl.py start)";
      return;
    }
    for (const auto& m : gaps.GetObject())
      gaps_[m.name.GetString()] = m.value.IsString() ? m.value.GetString() : "";
    port_ = port;
    transport_ = http::make_curl_transport();
  }

  bool ok() const { return port_ != 0; }
  const std::string& error() const { return error_; }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

  /// The sentence naming gap `name` of this moto (tests/support/moto_ctl.py GAPS), or nullopt
  /// when this moto does what AWS does. An unknown name is a gap, so a typo cannot hide one.
  std::optional<std::string> gap(const std::string& name) const {
    auto it = gaps_.find(name);
    if (it == gaps_.end()) return "no probe named " + name + " in tests/support/moto_ctl.py";
    if (it->second.empty()) return std::nullopt;
    return it->second;
  }

  /// An example program's environment: the example keys, the region, moto as the endpoint
  /// (AWS_ENDPOINT_URL), nothing of the test's own (no ~/.aws below `home`, no IMDS), and the
  /// suite's error log so the programs' errors are scanned for secrets too.
  std::map<std::string, std::string> cli_env(const std::string& home) const {
    std::map<std::string, std::string> env = example_cli_env(home);
    env["AWS_ENDPOINT_URL"] = endpoint();
    testsupport::add_error_log_hook(env);
    return env;
  }

  /// Region us-east-1, the example keys, endpoint_url moto, path-style S3, the system runtime.
  Config config() const {
    auth::Credentials creds;
    creds.access_key_id = kAccessKeyId;
    creds.secret_access_key = kSecretAccessKey;
    creds.source = "moto";
    return local_config(endpoint(), transport_, std::move(creds));
  }

  /// Back to moto's initial state (every service, every account).
  Status reset() const {
    if (!ok()) return Error::make(ErrorKind::kNotFound, "NoMoto", error_);
    http::Request req;
    req.method = "POST";
    req.scheme = "http";
    req.host = "127.0.0.1:" + std::to_string(port_);
    req.path = "/moto-api/reset";
    http::SendOptions opts;
    opts.attempt_timeout = Millis(10000);
    auto resp = transport_->send(req, opts);
    if (!resp) return resp.error();
    if (resp->status != 200)
      return Error::make(ErrorKind::kService, "MotoReset", "POST /moto-api/reset answered " + std::to_string(resp->status));
    return {};
  }

  /// One call with boto3 (moto_ctl.py call): `operation` in boto3's spelling, `params` a JSON
  /// object. The answer is {"ok": {...}} or {"error": {"code", "message", "status"}}; a
  /// streamed body comes back as {"length", "sha256", "head" (its first 16 bytes, hex)}.
  /// With service "-" and operation "-", `params` is a list of [service, operation, params]
  /// and the answer the list of their answers.
  Result<std::shared_ptr<rapidjson::Document>> call(const std::string& service, const std::string& operation,
                                                    const std::string& params = "{}") const {
    if (!ok()) return Error::make(ErrorKind::kNotFound, "NoMoto", error_);
    auto r = run_process(python_,
                         {std::string(AWSDL_SOURCE_DIR) + "/tests/support/moto_ctl.py", "call", "--port",
                          std::to_string(port_), service, operation, params},
                         {{"PATH", "/usr/bin:/bin"}, {"HOME", state_}, {"PYTHONDONTWRITEBYTECODE", "1"}},
                         std::chrono::seconds(60));
    auto doc = std::make_shared<rapidjson::Document>();
    doc->Parse(r.out.c_str());
    if (r.exit_code != 0 || doc->HasParseError() || !(doc->IsObject() || doc->IsArray()))
      return Error::make(ErrorKind::kParse, "MotoCall",
                         "boto3 " + service + " " + operation + " exited " + std::to_string(r.exit_code) + ": " + r.out + r.err);
    return doc;
  }

 private:
  int port_ = 0;
  std::string error_;
  std::string state_;
  std::string python_;
  std::map<std::string, std::string> gaps_;
  std::shared_ptr<http::Transport> transport_;
};

}  // namespace awsdl::testsupport
