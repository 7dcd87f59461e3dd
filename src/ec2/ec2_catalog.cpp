// What there is to launch into and with: images, instance types, zones, VPCs, subnets.
#include <algorithm>

#include "ec2/ec2_internal.hpp"
#include "protocol/error_parser.hpp"
#include "protocol/pagination.hpp"
#include "protocol/service_client.hpp"

namespace awsdl::ec2 {

using internal::xml_bool;
using internal::xml_int;
using internal::xml_list;
using internal::xml_text;

namespace {

// The items of `set` in the answer to `q` (a call with no pages), each parsed by `parse`.
template <typename T, typename Parse>
Result<std::vector<T>> call_for_items(const internal::ServiceClient& client, const internal::QueryRequest& q,
                                      const CallOptions& options, const char* set, Parse parse) {
  AWSDL_ASSIGN_OR_RETURN(auto doc, client.call_query(q, options));
  AWSDL_ASSIGN_OR_RETURN(pugi::xml_node root, internal::xml_answer_root(doc, q.action()));
  std::vector<T> out;
  for (auto item : xml_list(root, set, "item")) out.push_back(parse(item));
  return out;
}

// A Describe call that takes only filters.
template <typename T, typename Parse>
Result<std::vector<T>> describe_filtered(const internal::ServiceClient& client, const char* action,
                                         const std::vector<Filter>& filters, const CallOptions& options, const char* set,
                                         Parse parse) {
  auto q = detail::ec2_request(action);
  detail::add_filters(q, filters);
  return call_for_items<T>(client, q, options, set, parse);
}

}  // namespace

Result<std::vector<Image>> Ec2Client::describe_images(const DescribeImagesRequest& r, const CallOptions& options) const {
  auto q = detail::ec2_request("DescribeImages");
  std::vector<Filter> filters = r.filters;
  if (!r.names.empty()) filters.insert(filters.begin(), Filter{"name", r.names});
  detail::add_filters(q, filters);
  q.add_list("ImageId", r.image_ids);
  q.add_list("Owner", r.owners);
  AWSDL_ASSIGN_OR_RETURN(auto out, call_for_items<Image>(*client_, q, options, "imagesSet", [](pugi::xml_node item) {
                           return Image{xml_text(item, "imageId"),      xml_text(item, "name"),
                                        xml_text(item, "description"),  xml_text(item, "imageOwnerId"),
                                        xml_text(item, "creationDate"), xml_text(item, "architecture"),
                                        xml_text(item, "imageState")};
                         }));
  // ISO 8601 UTC timestamps of one format sort chronologically as text.
  std::stable_sort(out.begin(), out.end(), [](const Image& a, const Image& b) { return a.creation_date > b.creation_date; });
  return out;
}

Result<std::vector<InstanceTypeInfo>> Ec2Client::describe_instance_types(const std::vector<std::string>& types,
                                                                         const std::vector<Filter>& filters,
                                                                         const CallOptions& options) const {
  std::vector<InstanceTypeInfo> out;
  internal::PageGuard pages("EC2 DescribeInstanceTypes", client_->config().max_pages);
  std::string token;
  for (;;) {
    auto q = detail::ec2_request("DescribeInstanceTypes");
    q.add_list("InstanceType", types);
    detail::add_filters(q, filters);
    q.add_optional("NextToken", token);
    AWSDL_ASSIGN_OR_RETURN(auto doc, client_->call_query(q, options));
    AWSDL_ASSIGN_OR_RETURN(pugi::xml_node root, internal::xml_answer_root(doc, q.action()));
    for (auto item : xml_list(root, "instanceTypeSet", "item")) {
      InstanceTypeInfo t;
      t.instance_type = xml_text(item, "instanceType");
      t.vcpus = static_cast<int>(xml_int(item, "vCpuInfo/defaultVCpus").value_or(0));
      t.memory_mib = xml_int(item, "memoryInfo/sizeInMiB").value_or(0);
      auto gpu = internal::xml_child(item, "gpuInfo");
      for (auto g : xml_list(gpu, "gpus", "item")) {
        int count = static_cast<int>(xml_int(g, "count").value_or(0));
        t.gpu_count += count;
        if (t.gpu_name.empty()) {
          t.gpu_name = xml_text(g, "name");
          t.gpu_manufacturer = xml_text(g, "manufacturer");
        }
      }
      t.gpu_memory_mib = xml_int(gpu, "totalGpuMemoryInMiB").value_or(0);
      for (auto a : xml_list(internal::xml_child(item, "processorInfo"), "supportedArchitectures", "item"))
        t.architectures.emplace_back(a.text().get());
      auto net = internal::xml_child(item, "networkInfo");
      t.efa_supported = xml_bool(net, "efaSupported").value_or(false);
      t.maximum_network_cards = static_cast<int>(xml_int(net, "maximumNetworkCards").value_or(0));
      out.push_back(std::move(t));
    }
    token = xml_text(root, "nextToken");
    AWSDL_ASSIGN_OR_RETURN(bool more, pages.next(token));
    if (!more) return out;
  }
}

Result<std::vector<InstanceTypeOffering>> Ec2Client::describe_instance_type_offerings(
    const std::string& location_type, const std::vector<Filter>& filters, const CallOptions& options) const {
  const std::string type = location_type.empty() ? "availability-zone" : location_type;
  if (type != "region" && type != "availability-zone" && type != "availability-zone-id")
    return Error::invalid_argument("InvalidParameterValue", "DescribeInstanceTypeOfferings: location type '" + type +
                                                                "' is not region, availability-zone or availability-zone-id");
  std::vector<InstanceTypeOffering> out;
  internal::PageGuard pages("EC2 DescribeInstanceTypeOfferings", client_->config().max_pages);
  std::string token;
  for (;;) {
    auto q = detail::ec2_request("DescribeInstanceTypeOfferings");
    q.add("LocationType", type);
    detail::add_filters(q, filters);
    q.add_optional("NextToken", token);
    AWSDL_ASSIGN_OR_RETURN(auto doc, client_->call_query(q, options));
    AWSDL_ASSIGN_OR_RETURN(pugi::xml_node root, internal::xml_answer_root(doc, q.action()));
    for (auto item : xml_list(root, "instanceTypeOfferingSet", "item"))
      out.push_back({xml_text(item, "instanceType"), xml_text(item, "locationType"), xml_text(item, "location")});
    token = xml_text(root, "nextToken");
    AWSDL_ASSIGN_OR_RETURN(bool more, pages.next(token));
    if (!more) return out;
  }
}

Result<std::vector<CapacityReservation>> Ec2Client::describe_capacity_reservations(
    const std::vector<std::string>& ids, const std::vector<Filter>& filters, const CallOptions& options) const {
  std::vector<CapacityReservation> out;
  internal::PageGuard pages("EC2 DescribeCapacityReservations", client_->config().max_pages);
  std::string token;
  for (;;) {
    auto q = detail::ec2_request("DescribeCapacityReservations");
    q.add_list("CapacityReservationId", ids);
    q.add_optional("NextToken", token);
    detail::add_filters(q, filters);
    AWSDL_ASSIGN_OR_RETURN(auto doc, client_->call_query(q, options));
    AWSDL_ASSIGN_OR_RETURN(pugi::xml_node root, internal::xml_answer_root(doc, q.action()));
    for (auto item : xml_list(root, "capacityReservationSet", "item")) {
      CapacityReservation c;
      c.capacity_reservation_id = xml_text(item, "capacityReservationId");
      c.instance_type = xml_text(item, "instanceType");
      c.availability_zone = xml_text(item, "availabilityZone");
      c.state = xml_text(item, "state");
      c.total_instance_count = static_cast<int>(xml_int(item, "totalInstanceCount").value_or(0));
      c.available_instance_count = static_cast<int>(xml_int(item, "availableInstanceCount").value_or(0));
      c.instance_match_criteria = xml_text(item, "instanceMatchCriteria");
      c.reservation_type = xml_text(item, "reservationType");
      c.end_date = xml_text(item, "endDate");
      out.push_back(std::move(c));
    }
    token = xml_text(root, "nextToken");
    AWSDL_ASSIGN_OR_RETURN(bool more, pages.next(token));
    if (!more) return out;
  }
}

Result<std::vector<KeyPair>> Ec2Client::describe_key_pairs(const std::vector<std::string>& names,
                                                           const CallOptions& options) const {
  auto q = detail::ec2_request("DescribeKeyPairs");
  q.add_list("KeyName", names);
  return call_for_items<KeyPair>(*client_, q, options, "keySet", [](pugi::xml_node item) {
    KeyPair k;
    k.key_name = xml_text(item, "keyName");
    k.key_pair_id = xml_text(item, "keyPairId");
    k.fingerprint = xml_text(item, "keyFingerprint");
    k.key_type = xml_text(item, "keyType");
    return k;
  });
}

Result<std::vector<AvailabilityZone>> Ec2Client::describe_availability_zones(const std::vector<Filter>& filters,
                                                                             const CallOptions& options) const {
  return describe_filtered<AvailabilityZone>(
      *client_, "DescribeAvailabilityZones", filters, options, "availabilityZoneInfo", [](pugi::xml_node item) {
        return AvailabilityZone{xml_text(item, "zoneName"), xml_text(item, "zoneId"), xml_text(item, "zoneState"),
                                xml_text(item, "regionName")};
      });
}

Result<std::vector<Vpc>> Ec2Client::describe_vpcs(const std::vector<Filter>& filters, const CallOptions& options) const {
  return describe_filtered<Vpc>(*client_, "DescribeVpcs", filters, options, "vpcSet", [](pugi::xml_node item) {
    return Vpc{xml_text(item, "vpcId"), xml_text(item, "cidrBlock"), xml_text(item, "state"),
               xml_bool(item, "isDefault").value_or(false)};
  });
}

Result<std::vector<Subnet>> Ec2Client::describe_subnets(const std::vector<Filter>& filters,
                                                        const CallOptions& options) const {
  return describe_filtered<Subnet>(*client_, "DescribeSubnets", filters, options, "subnetSet", [](pugi::xml_node item) {
    return Subnet{xml_text(item, "subnetId"),
                  xml_text(item, "vpcId"),
                  xml_text(item, "availabilityZone"),
                  xml_text(item, "cidrBlock"),
                  xml_int(item, "availableIpAddressCount").value_or(0),
                  xml_bool(item, "defaultForAz").value_or(false),
                  xml_bool(item, "mapPublicIpOnLaunch").value_or(false)};
  });
}

}  // namespace awsdl::ec2
