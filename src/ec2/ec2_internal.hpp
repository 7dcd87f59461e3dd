#pragma once
// What the EC2 client's files share: the service description, request helpers for the
// shapes many operations use (filters, tags) and the parsers of EC2's XML answers (also
// used by the parse benchmark).

#include <string>
#include <vector>

#include "awsdl/ec2/ec2.hpp"
#include "protocol/query_serializer.hpp"
#include "protocol/service_info.hpp"
#include "util/xml.hpp"

namespace awsdl::ec2::detail {

internal::QueryRequest ec2_request(std::string action);

void add_filters(internal::QueryScope& q, const std::vector<Filter>& filters);
/// TagSpecification.N for one resource type.
void add_tag_specification(internal::QueryScope& q, std::vector<std::pair<std::string, const std::vector<Tag>*>> specs);

std::vector<Tag> parse_tags(pugi::xml_node parent);
Instance parse_instance(pugi::xml_node item);
Reservation parse_reservation(pugi::xml_node node);
/// A whole DescribeInstances answer.
Result<DescribeInstancesPage> parse_describe_instances(const internal::XmlDocument& doc);
/// For tests and the benchmark: parse the text of a DescribeInstances answer.
Result<DescribeInstancesPage> parse_describe_instances_xml(std::string_view xml);

}  // namespace awsdl::ec2::detail
