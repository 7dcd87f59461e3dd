#include <openssl/rand.h>

#include <array>
#include <cstdio>
#include <random>

#include "ec2/ec2_internal.hpp"
#include "internal/service_client.hpp"

namespace awsdl::ec2 {
namespace detail {

internal::ServiceInfo ec2_service() {
  internal::ServiceInfo s;
  s.endpoint_prefix = "ec2";
  s.signing_name = "ec2";
  s.env_name = "EC2";
  s.api_version = kVersion;
  s.protocol = internal::Protocol::kEc2;
  return s;
}

internal::QueryRequest ec2_request(std::string action) {
  return internal::QueryRequest{std::move(action), kVersion, internal::QueryFlavor::kEc2};
}

void add_filters(internal::QueryScope& q, const std::vector<Filter>& filters) {
  q.add_list("Filter", filters, [](internal::QueryScope& s, const Filter& f) {
    s.add("Name", f.name);
    s.add_list("Value", f.values);
  });
}

void add_tag_specification(internal::QueryScope& q,
                           std::vector<std::pair<std::string, const std::vector<Tag>*>> specs) {
  std::erase_if(specs, [](const auto& s) { return s.second == nullptr || s.second->empty(); });
  q.add_list("TagSpecification", specs, [](internal::QueryScope& s, const auto& spec) {
    s.add("ResourceType", spec.first);
    s.add_list("Tag", *spec.second, [](internal::QueryScope& t, const Tag& tag) {
      t.add("Key", tag.key).add("Value", tag.value);
    });
  });
}

}  // namespace detail

std::string new_client_token() {
  std::array<unsigned char, 16> b{};
  if (RAND_bytes(b.data(), static_cast<int>(b.size())) != 1) {
    // Uniqueness, not secrecy, is what a token needs: fall back to the OS's random device.
    std::random_device rd;
    for (auto& c : b) c = static_cast<unsigned char>(rd());
  }
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  char out[37];
  std::snprintf(out, sizeof out, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
  return out;
}

std::string Instance::tag(const std::string& key) const {
  for (const auto& t : tags)
    if (t.key == key) return t.value;
  return {};
}

Ec2Client::Ec2Client(Config config)
    : client_(std::make_shared<internal::ServiceClient>(std::move(config), detail::ec2_service())) {}

}  // namespace awsdl::ec2
