#include "ec2/ec2_internal.hpp"
#include "util/idempotency_token.hpp"
#include "protocol/service_client.hpp"

namespace awsdl::ec2 {
namespace detail {

internal::QueryRequest ec2_request(std::string action) {
  return internal::QueryRequest{std::move(action), internal::service_info(internal::Service::kEc2).api_version,
                                internal::QueryFlavor::kEc2};
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

std::string new_client_token() { return internal::new_idempotency_token(); }

std::string Instance::tag(const std::string& key) const {
  for (const auto& t : tags)
    if (t.key == key) return t.value;
  return {};
}

Ec2Client::Ec2Client(Config config)
    : client_(std::make_shared<ServiceClient>(std::move(config),
                                                        internal::service_info(internal::Service::kEc2))) {}

}  // namespace awsdl::ec2
