#include "internal/json.hpp"

#include <rapidjson/error/en.h>

namespace awsdl::internal {

Result<JsonDocument> JsonDocument::parse(std::string_view text, std::string_view what) {
  JsonDocument d;
  d.doc_ = std::make_shared<rapidjson::Document>();
  d.doc_->Parse(text.data(), text.size());
  if (d.doc_->HasParseError())
    return Error::make(ErrorKind::kParse, "MalformedJson",
                       "malformed JSON " + std::string(what) + " (" + rapidjson::GetParseError_En(d.doc_->GetParseError()) +
                           " at byte " + std::to_string(d.doc_->GetErrorOffset()) + " of " + std::to_string(text.size()) + ")");
  return d;
}

const JsonValue* json_member(const JsonValue& v, std::string_view key) {
  if (!v.IsObject()) return nullptr;
  auto it = v.FindMember(JsonValue(rapidjson::StringRef(key.data(), static_cast<rapidjson::SizeType>(key.size()))));
  return it == v.MemberEnd() ? nullptr : &it->value;
}

std::optional<std::string> json_string(const JsonValue& v, std::string_view key) {
  auto m = json_member(v, key);
  if (!m || !m->IsString()) return std::nullopt;
  return std::string(m->GetString(), m->GetStringLength());
}

std::string json_string_or(const JsonValue& v, std::string_view key, std::string fallback) {
  auto s = json_string(v, key);
  return s ? std::move(*s) : std::move(fallback);
}

std::optional<std::int64_t> json_int(const JsonValue& v, std::string_view key) {
  auto m = json_member(v, key);
  if (!m || !m->IsInt64()) return std::nullopt;
  return m->GetInt64();
}

std::optional<double> json_number(const JsonValue& v, std::string_view key) {
  auto m = json_member(v, key);
  if (!m || !m->IsNumber()) return std::nullopt;
  return m->GetDouble();
}

std::optional<bool> json_bool(const JsonValue& v, std::string_view key) {
  auto m = json_member(v, key);
  if (!m || !m->IsBool()) return std::nullopt;
  return m->GetBool();
}

const JsonValue* json_array(const JsonValue& v, std::string_view key) {
  auto m = json_member(v, key);
  return m && m->IsArray() ? m : nullptr;
}

const JsonValue* json_object(const JsonValue& v, std::string_view key) {
  auto m = json_member(v, key);
  return m && m->IsObject() ? m : nullptr;
}

}  // namespace awsdl::internal
