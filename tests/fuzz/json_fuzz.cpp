// The JSON reader as the JSON protocols use it: JsonDocument::parse, then the typed lookups
// and timestamps the readers of answers use, which must never assert on a wrong type (this
// build keeps rapidjson's assertions), over the root and every member of it.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "util/json.hpp"
#include "protocol/json_protocol.hpp"

using namespace awsdl::internal;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto doc = JsonDocument::parse(text, "fuzz input");
  if (!doc) return 0;
  const JsonValue& root = doc->root();
  for (auto key : {"__type", "message", "Message", "code", "NextToken", "CreationTime", "TrainingJobName"}) {
    (void)json_member(root, key);
    (void)json_string(root, key);
    (void)json_string_or(root, key, "none");
    (void)json_int(root, key);
    (void)json_number(root, key);
    (void)json_bool(root, key);
    (void)json_array(root, key);
    (void)json_object(root, key);
    (void)json_timestamp(root, key);
  }
  if (root.IsObject())
    for (const auto& m : root.GetObject()) {
      const std::string_view key(m.name.GetString(), m.name.GetStringLength());
      (void)json_string(root, key);
      (void)json_int(root, key);
      (void)json_timestamp(root, key);
      if (m.value.IsArray())
        for (const auto& item : m.value.GetArray()) {
          (void)json_string(item, "Name");
          (void)json_timestamp(item, "StartTime");
        }
    }
  return 0;
}
