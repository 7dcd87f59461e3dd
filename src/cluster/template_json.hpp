#pragma once
// A small ordered JSON value for building CloudFormation templates: object members keep
// insertion order so the output is deterministic, and writing is a single pass. Children are
// shared copy-on-write, so building nested values from initializer lists (which can only be
// copied from) does not copy whole subtrees at every level.

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace awsdl::internal::cfn {

class Json {
 public:
  enum class Kind { kNull, kBool, kInt, kString, kArray, kObject };

  Json() = default;
  Json(bool b) : kind_(Kind::kBool), int_(b ? 1 : 0) {}                     // NOLINT
  Json(int i) : kind_(Kind::kInt), int_(i) {}                              // NOLINT
  Json(std::int64_t i) : kind_(Kind::kInt), int_(i) {}                     // NOLINT
  Json(const char* s) : kind_(Kind::kString), str_(s) {}                   // NOLINT
  Json(std::string s) : kind_(Kind::kString), str_(std::move(s)) {}        // NOLINT
  Json(std::string_view s) : kind_(Kind::kString), str_(s) {}              // NOLINT

  static Json object() { Json j; j.kind_ = Kind::kObject; return j; }
  static Json array() { Json j; j.kind_ = Kind::kArray; return j; }
  static Json array(std::initializer_list<Json> items);
  /// An object from key/value pairs, in the given order.
  static Json object(std::initializer_list<std::pair<std::string_view, Json>> members);

  Kind kind() const { return kind_; }
  /// Appends a member (objects only). Keys are the caller's to keep unique.
  Json& set(std::string_view key, Json value);
  /// Appends an element (arrays only).
  Json& push(Json value);

  const std::string& str() const { return str_; }
  std::int64_t integer() const { return int_; }
  const std::vector<Json>& items() const;
  const std::vector<std::pair<std::string, Json>>& members() const;
  /// The member named `key`, or nullptr.
  const Json* find(std::string_view key) const;

  void write(std::string& out, bool pretty) const;
  std::string dump(bool pretty = false) const {
    std::string s;
    write(s, pretty);
    return s;
  }

 private:
  void write_at(std::string& out, bool pretty, int depth) const;

  using Items = std::vector<Json>;
  using Members = std::vector<std::pair<std::string, Json>>;
  Items& own_items();
  Members& own_members();

  Kind kind_ = Kind::kNull;
  std::int64_t int_ = 0;
  std::string str_;
  std::shared_ptr<Items> items_;
  std::shared_ptr<Members> members_;
};

void write_json_string(std::string& out, std::string_view s);

// CloudFormation intrinsic functions.
Json ref(std::string_view logical_id);
Json get_att(std::string_view logical_id, std::string_view attribute);
Json sub(std::string_view text);
Json base64(Json value);
Json tag(std::string_view key, Json value);

}  // namespace awsdl::internal::cfn
