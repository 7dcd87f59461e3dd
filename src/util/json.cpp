#include "util/json.hpp"

#include <rapidjson/encodedstream.h>
#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

namespace awsdl::internal {

namespace {

// Forwards SAX events to the document and counts nesting; returning false stops the reader.
class DepthLimitedHandler {
 public:
  explicit DepthLimitedHandler(rapidjson::Document& doc) : doc_(doc) {}
  bool Null() { return doc_.Null(); }
  bool Bool(bool b) { return doc_.Bool(b); }
  bool Int(int i) { return doc_.Int(i); }
  bool Uint(unsigned u) { return doc_.Uint(u); }
  bool Int64(std::int64_t i) { return doc_.Int64(i); }
  bool Uint64(std::uint64_t u) { return doc_.Uint64(u); }
  bool Double(double d) { return doc_.Double(d); }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool copy) { return doc_.RawNumber(s, n, copy); }
  bool String(const char* s, rapidjson::SizeType n, bool copy) { return doc_.String(s, n, copy); }
  bool Key(const char* s, rapidjson::SizeType n, bool copy) { return doc_.Key(s, n, copy); }
  bool StartObject() { return enter() && doc_.StartObject(); }
  bool EndObject(rapidjson::SizeType members) { --depth_; return doc_.EndObject(members); }
  bool StartArray() { return enter() && doc_.StartArray(); }
  bool EndArray(rapidjson::SizeType elements) { --depth_; return doc_.EndArray(elements); }
  bool too_deep() const { return too_deep_; }

 private:
  bool enter() {
    if (++depth_ > kMaxJsonDepth) too_deep_ = true;
    return !too_deep_;
  }
  rapidjson::Document& doc_;
  int depth_ = 0;
  bool too_deep_ = false;
};

}  // namespace

Result<JsonDocument> JsonDocument::parse(std::string_view text, std::string_view what) {
  JsonDocument d;
  d.doc_ = std::make_shared<rapidjson::Document>();
  // The iterative reader keeps its state on the heap, not the call stack; the handler bounds
  // the depth. Populate() moves the finished value into the document, as Parse() would.
  rapidjson::ParseResult result;
  bool too_deep = false;
  auto generate = [&](rapidjson::Document& doc) {
    rapidjson::MemoryStream ms(text.data(), text.size());
    rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream> in(ms);
    DepthLimitedHandler handler(doc);
    rapidjson::Reader reader;
    result = reader.Parse<rapidjson::kParseIterativeFlag>(in, handler);
    too_deep = handler.too_deep();
    return !result.IsError();
  };
  d.doc_->Populate(generate);
  if (too_deep)
    return Error::make(ErrorKind::kParse, "MalformedJson",
                       "JSON " + std::string(what) + " nested deeper than " + std::to_string(kMaxJsonDepth) +
                           " levels (at byte " + std::to_string(result.Offset()) + " of " + std::to_string(text.size()) +
                           ")");
  if (result.IsError())
    return Error::make(ErrorKind::kParse, "MalformedJson",
                       "malformed JSON " + std::string(what) + " (" + rapidjson::GetParseError_En(result.Code()) +
                           " at byte " + std::to_string(result.Offset()) + " of " + std::to_string(text.size()) + ")");
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
