#pragma once
// rapidjson helpers for the JSON protocols: a small writer and typed lookups that never
// assert on a wrong type.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "awsdl/core/result.hpp"

namespace awsdl::internal {

using JsonValue = rapidjson::Value;

/// The deepest nesting of arrays and objects a parse accepts. AWS answers nest about ten
/// levels; a limit keeps a hostile answer of a few hundred kilobytes of '[' from costing more
/// than an error, and keeps any recursive walk over a parsed tree shallow.
inline constexpr int kMaxJsonDepth = 512;

class JsonWriter {
 public:
  JsonWriter() : writer_(buffer_) {}
  JsonWriter(const JsonWriter&) = delete;
  JsonWriter& operator=(const JsonWriter&) = delete;

  JsonWriter& start_object() { writer_.StartObject(); return *this; }
  JsonWriter& end_object() { writer_.EndObject(); return *this; }
  JsonWriter& start_array() { writer_.StartArray(); return *this; }
  JsonWriter& end_array() { writer_.EndArray(); return *this; }
  JsonWriter& key(std::string_view k) {
    writer_.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()), true);
    return *this;
  }
  JsonWriter& value(std::string_view s) {
    writer_.String(s.data(), static_cast<rapidjson::SizeType>(s.size()), true);
    return *this;
  }
  JsonWriter& value(const char* s) { return value(std::string_view(s)); }
  JsonWriter& value(const std::string& s) { return value(std::string_view(s)); }
  JsonWriter& value(bool b) { writer_.Bool(b); return *this; }
  JsonWriter& value(int v) { writer_.Int64(v); return *this; }
  JsonWriter& value(std::int64_t v) { writer_.Int64(v); return *this; }
  JsonWriter& value(double v) { writer_.Double(v); return *this; }
  JsonWriter& null() { writer_.Null(); return *this; }

  /// "key": value
  template <typename T>
  JsonWriter& field(std::string_view k, const T& v) { return key(k).value(v); }
  /// Only when the string is non-empty (optional members are omitted, not sent empty).
  JsonWriter& optional_field(std::string_view k, std::string_view v) {
    if (!v.empty()) key(k).value(v);
    return *this;
  }
  template <typename T>
  JsonWriter& optional_field(std::string_view k, const std::optional<T>& v) {
    if (v) key(k).value(*v);
    return *this;
  }

  /// The document so far (complete once every object and array is closed).
  std::string str() const { return std::string(buffer_.GetString(), buffer_.GetSize()); }
  bool complete() const { return writer_.IsComplete(); }

 private:
  rapidjson::StringBuffer buffer_;
  rapidjson::Writer<rapidjson::StringBuffer> writer_;
};

/// A parsed document; cheap to copy (copies share the tree).
class JsonDocument {
 public:
  /// kParse "MalformedJson" naming `what` and the offset, never quoting the input.
  static Result<JsonDocument> parse(std::string_view text, std::string_view what = "response");
  const JsonValue& root() const { return *doc_; }

 private:
  std::shared_ptr<rapidjson::Document> doc_;
};

/// The member `key` of an object; nullptr when `v` is not an object or has no such member.
const JsonValue* json_member(const JsonValue& v, std::string_view key);
std::optional<std::string> json_string(const JsonValue& v, std::string_view key);
std::string json_string_or(const JsonValue& v, std::string_view key, std::string fallback = {});
std::optional<std::int64_t> json_int(const JsonValue& v, std::string_view key);
std::optional<double> json_number(const JsonValue& v, std::string_view key);
std::optional<bool> json_bool(const JsonValue& v, std::string_view key);
/// nullptr unless the member exists and is an array / object.
const JsonValue* json_array(const JsonValue& v, std::string_view key);
const JsonValue* json_object(const JsonValue& v, std::string_view key);

}  // namespace awsdl::internal
