#pragma once
// The `query` and `ec2` protocols: Action, Version and parameters flattened into a
// form-encoded body, the way botocore's QuerySerializer / EC2Serializer do it.
//
//   QueryRequest q{"RunInstances", "2016-11-15", QueryFlavor::kEc2};
//   q.add("ImageId", image).add("MinCount", 1);
//   q.add_list("SecurityGroupId", groups);                          // SecurityGroupId.1=...
//   q.add_list("TagSpecification", specs, [](QueryScope& s, const Spec& spec) {
//     s.add("ResourceType", spec.type);
//     s.add_list("Tag", spec.tags, [](QueryScope& t, const Tag& tag) { t.add("Key", tag.key).add("Value", tag.value); });
//   });
//
// Names are the serialized names: for query, the member name (or its locationName); for
// ec2, what `ec2_query_name` gives.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "awsdl/core/runtime.hpp"
#include "awsdl/http/message.hpp"

namespace awsdl::internal {

enum class QueryFlavor { kQuery, kEc2 };

/// Percent-encodes everything except A-Z a-z 0-9 - _ . ~ (botocore's percent_encode).
std::string query_encode(std::string_view s);

/// EC2's serialized name: queryName if set, else locationName with its first letter
/// upper-cased, else the member name.
std::string ec2_query_name(std::string_view member_name, std::string_view location_name = {},
                           std::string_view query_name = {});

struct QueryListStyle {
  /// query protocol only: "Name.N" instead of "Name.member.N".
  bool flattened = false;
  /// query protocol only: the element name of a non-flattened list (its locationName).
  std::string member_name = "member";
};

struct QueryMapStyle {
  bool flattened = false;          // "Name.N.key" instead of "Name.entry.N.key"
  std::string key_name = "key";    // the key's locationName
  std::string value_name = "value";
};

using QueryParam = std::pair<std::string, std::string>;

/// A place in the parameter tree: the request itself, a structure member, a list element.
class QueryScope {
 public:
  QueryScope& add(std::string_view name, std::string_view value);
  QueryScope& add(std::string_view name, const char* value) { return add(name, std::string_view(value)); }
  QueryScope& add(std::string_view name, const std::string& value) { return add(name, std::string_view(value)); }
  QueryScope& add(std::string_view name, std::int64_t value);
  QueryScope& add(std::string_view name, int value) { return add(name, static_cast<std::int64_t>(value)); }
  QueryScope& add(std::string_view name, bool value);
  /// ISO 8601 ("2024-01-02T03:04:05Z"), as both protocols send timestamps.
  QueryScope& add_time(std::string_view name, WallTime value);
  /// Skips empty strings / empty optionals: optional members are omitted, not sent empty.
  QueryScope& add_optional(std::string_view name, std::string_view value);
  template <typename T>
  QueryScope& add_optional(std::string_view name, const std::optional<T>& value) {
    if (value) add(name, *value);
    return *this;
  }

  /// A list of strings. An empty list is sent as "Name=" by the query protocol (as botocore
  /// does) and not at all by ec2.
  QueryScope& add_list(std::string_view name, const std::vector<std::string>& values, const QueryListStyle& style = {});

  /// A list of structures: `fill(element_scope, item)` for each item.
  template <typename T, typename F>
  QueryScope& add_list(std::string_view name, const std::vector<T>& items, F&& fill, const QueryListStyle& style = {}) {
    if (items.empty()) return empty_list(name);
    std::string prefix = list_prefix(name, style);
    for (std::size_t i = 0; i < items.size(); ++i) {
      QueryScope element(params_, prefix + "." + std::to_string(i + 1), flavor_);
      fill(element, items[i]);
    }
    return *this;
  }

  /// A nested structure: `fill(member_scope)`.
  template <typename F>
  QueryScope& add_struct(std::string_view name, F&& fill) {
    QueryScope member(params_, full(name), flavor_);
    fill(member);
    return *this;
  }

  /// A map of strings (query protocol): Name.entry.N.key / Name.entry.N.value.
  QueryScope& add_map(std::string_view name, const std::vector<std::pair<std::string, std::string>>& entries,
                      const QueryMapStyle& style = {});
  QueryScope& add_map(std::string_view name, const std::map<std::string, std::string>& entries,
                      const QueryMapStyle& style = {});

  QueryFlavor flavor() const { return flavor_; }

 protected:
  QueryScope(std::vector<QueryParam>* params, std::string prefix, QueryFlavor flavor)
      : params_(params), prefix_(std::move(prefix)), flavor_(flavor) {}
  void rebind(std::vector<QueryParam>* params) { params_ = params; }

 private:
  std::string full(std::string_view name) const;
  std::string list_prefix(std::string_view name, const QueryListStyle& style) const;
  QueryScope& empty_list(std::string_view name);

  std::vector<QueryParam>* params_;
  std::string prefix_;
  QueryFlavor flavor_;
};

namespace detail {
struct QueryStorage {
  std::vector<QueryParam> stored_params;
};
}  // namespace detail

class QueryRequest : private detail::QueryStorage, public QueryScope {
 public:
  QueryRequest(std::string action, std::string version, QueryFlavor flavor = QueryFlavor::kQuery);
  QueryRequest(const QueryRequest& other);
  QueryRequest(QueryRequest&& other) noexcept;
  QueryRequest& operator=(const QueryRequest& other);
  QueryRequest& operator=(QueryRequest&& other) noexcept;
  ~QueryRequest() = default;

  const std::string& action() const { return action_; }
  const std::string& version() const { return version_; }
  /// The parameters added so far (without Action and Version), in order, unencoded.
  const std::vector<QueryParam>& params() const { return stored_params; }
  /// The value of a parameter, for tests and logs.
  std::optional<std::string> get(std::string_view name) const;

  /// "Action=...&Version=...&..." in insertion order, percent-encoded.
  std::string body() const;
  /// POST / with the form body and its Content-Type; the endpoint is filled in later.
  http::Request to_http() const;

 private:
  std::string action_, version_;
};

}  // namespace awsdl::internal
