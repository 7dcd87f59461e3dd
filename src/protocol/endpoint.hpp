#pragma once
// Where a request goes: the partitions' hostnames, the endpoint overrides
// (per client, AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL) and S3 bucket addressing.

#include <string>
#include <string_view>

#include "awsdl/config.hpp"
#include "awsdl/core/result.hpp"
#include "protocol/service_info.hpp"

namespace awsdl::internal {

struct Endpoint {
  std::string scheme = "https";
  std::string host;            // with ":port" when not the default
  std::string base_path;       // "" or "/base" (no trailing slash): custom endpoints keep theirs
  std::string signing_region;  // the region the signature is scoped to
  bool custom = false;         // came from an override, not from the partition's pattern

  /// scheme://host/base_path
  std::string url() const { return scheme + "://" + host + base_path; }
  /// Host without the port.
  std::string host_name() const;
};

struct Partition {
  std::string name;          // "aws", "aws-cn", "aws-us-gov"
  std::string dns_suffix;    // "amazonaws.com", "amazonaws.com.cn"
  std::string global_region; // where global services (IAM) are signed
};

/// The partition a region belongs to (cn-* is aws-cn, us-gov-* is aws-us-gov, else aws).
Partition partition_for(std::string_view region);

/// "http(s)://host[:port][/base]" -> Endpoint (custom = true). Anything else, or a URL with
/// a query, fragment or user info, is kInvalidArgument "InvalidEndpoint".
Result<Endpoint> parse_endpoint_url(std::string_view url);

/// The endpoint for `service`: `client_override`, then config.service_endpoints[env name],
/// then config.endpoint_url, then the partition's hostname. The region is checked first
/// (kInvalidArgument "InvalidRegion" / "MissingRegion"), whichever endpoint wins.
Result<Endpoint> resolve_endpoint(const ServiceInfo& service, const Config& config,
                                  std::string_view client_override = {});

/// How a bucket is reached: a host and a path prefix ("" for virtual-hosted, "/bucket" for
/// path style).
struct BucketAddress {
  Endpoint endpoint;        // host already includes the bucket when virtual-hosted
  std::string path_prefix;  // base path + "/bucket" for path style, base path otherwise
  bool path_style = false;
};

/// Virtual-hosted ("bucket.s3.us-east-1.amazonaws.com") unless path style is forced, the
/// bucket name is not a DNS label, or the custom endpoint is an IP address or localhost.
BucketAddress s3_bucket_address(const Endpoint& s3_endpoint, std::string_view bucket, bool force_path_style);

/// Whether the bucket name can be a single DNS label (3-63 of [a-z0-9-], no leading or
/// trailing '-'); dotted names go path style since they break TLS wildcard certificates.
bool virtual_host_compatible_bucket(std::string_view bucket);

/// "127.0.0.1", "[::1]", "localhost", "foo.localhost".
bool is_ip_or_localhost(std::string_view host_name);

}  // namespace awsdl::internal
