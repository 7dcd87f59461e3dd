#pragma once
// The page loop of a query-protocol listing (Auto Scaling, CloudFormation): the NextToken of
// each <Action>Result goes into the next request, bounded by a PageGuard.

#include <string>
#include <string_view>

#include "awsdl/core/result.hpp"
#include "protocol/pagination.hpp"
#include "protocol/query_serializer.hpp"
#include "protocol/service_client.hpp"
#include "util/xml.hpp"

namespace awsdl::internal {

/// Reads every page of `action`: `add(q, token)` fills one page's request (the token where the
/// operation's parameters have it), `take(result)` reads the page's <Action>Result element and
/// returns false once it has enough. `service` names the service in a pagination error
/// ("AutoScaling DescribeScalingActivities: ...").
template <typename Add, typename Take>
Status query_pages(const ServiceClient& client, std::string_view service, const char* action,
                   const CallOptions& options, Add add, Take take) {
  PageGuard pages(std::string(service) + " " + action, client.config().max_pages);
  std::string token;
  for (;;) {
    QueryRequest q{action, client.info().api_version};
    add(q, token);
    AWSDL_ASSIGN_OR_RETURN(auto doc, client.call_query(q, options));
    AWSDL_ASSIGN_OR_RETURN(auto result, query_result(doc, action));
    if (!take(result)) return {};
    token = xml_text(result, "NextToken");
    AWSDL_ASSIGN_OR_RETURN(bool more, pages.next(token));
    if (!more) return {};
  }
}

}  // namespace awsdl::internal
