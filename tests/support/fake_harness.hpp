#pragma once
// A client Config wired to a FakeTransport, a ManualClock and a fixed random source, with
// the example credentials: what every client unit test starts from.

#include <cstddef>
#include <memory>
#include <string>
#include <utility>

#include "awsdl/auth/credentials.hpp"
#include "awsdl/config.hpp"
#include "awsdl/core/runtime.hpp"
#include "awsdl/http/message.hpp"
#include "awsdl/testing/fake_transport.hpp"

namespace awsdl::testsupport {

struct FakeHarness {
  std::shared_ptr<testing::FakeTransport> transport = std::make_shared<testing::FakeTransport>();
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>();
  Config config;

  explicit FakeHarness(std::string region) {
    config.region = std::move(region);
    config.transport = transport;
    config.credentials = auth::static_provider(
        {.access_key_id = "AKIDEXAMPLE", .secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"});
    config.runtime = Runtime{clock, clock, std::make_shared<FixedRandom>(0.5)};
  }
  /// Once the scripted answers are used up, every request is answered 200 with `body`.
  void always_answer(std::string body) const {
    transport->set_handler([body = std::move(body)](const http::Request&) -> Result<http::Response> {
      http::Response r;
      r.status = 200;
      r.body = body;
      return r;
    });
  }
  std::string body(std::size_t i) const { return transport->requests().at(i).body; }
  http::Request last() const { return transport->requests().back(); }
};

}  // namespace awsdl::testsupport
