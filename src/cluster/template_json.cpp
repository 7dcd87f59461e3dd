#include "cluster/template_json.hpp"

namespace awsdl::internal::cfn {

namespace {
const std::vector<Json> kNoItems;
const std::vector<std::pair<std::string, Json>> kNoMembers;
}  // namespace

Json Json::array(std::initializer_list<Json> items) {
  Json j = array();
  j.own_items().assign(items.begin(), items.end());  // copies share their children
  return j;
}

Json Json::object(std::initializer_list<std::pair<std::string_view, Json>> members) {
  Json j = object();
  auto& m = j.own_members();
  m.reserve(members.size());
  for (const auto& [k, v] : members) m.emplace_back(std::string(k), v);
  return j;
}

Json::Items& Json::own_items() {
  if (!items_) items_ = std::make_shared<Items>();
  else if (items_.use_count() > 1) items_ = std::make_shared<Items>(*items_);
  return *items_;
}

Json::Members& Json::own_members() {
  if (!members_) members_ = std::make_shared<Members>();
  else if (members_.use_count() > 1) members_ = std::make_shared<Members>(*members_);
  return *members_;
}

const std::vector<Json>& Json::items() const { return items_ ? *items_ : kNoItems; }
const std::vector<std::pair<std::string, Json>>& Json::members() const { return members_ ? *members_ : kNoMembers; }

Json& Json::set(std::string_view key, Json value) {
  own_members().emplace_back(std::string(key), std::move(value));
  return *this;
}

Json& Json::push(Json value) {
  own_items().push_back(std::move(value));
  return *this;
}

const Json* Json::find(std::string_view key) const {
  for (const auto& [k, v] : members())
    if (k == key) return &v;
  return nullptr;
}

void write_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xf];
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

namespace {
void newline(std::string& out, int depth) {
  out += '\n';
  out.append(static_cast<std::size_t>(depth) * 2, ' ');
}
}  // namespace

void Json::write(std::string& out, bool pretty) const { write_at(out, pretty, 0); }

void Json::write_at(std::string& out, bool pretty, int depth) const {
  switch (kind_) {
    case Kind::kNull: out += "null"; return;
    case Kind::kBool: out += int_ ? "true" : "false"; return;
    case Kind::kInt: out += std::to_string(int_); return;
    case Kind::kString: write_json_string(out, str_); return;
    case Kind::kArray: {
      const auto& items = this->items();
      if (items.empty()) { out += "[]"; return; }
      out += '[';
      for (std::size_t i = 0; i < items.size(); ++i) {
        if (i) out += ',';
        if (pretty) newline(out, depth + 1);
        items[i].write_at(out, pretty, depth + 1);
      }
      if (pretty) newline(out, depth);
      out += ']';
      return;
    }
    case Kind::kObject: {
      const auto& members = this->members();
      if (members.empty()) { out += "{}"; return; }
      out += '{';
      for (std::size_t i = 0; i < members.size(); ++i) {
        if (i) out += ',';
        if (pretty) newline(out, depth + 1);
        write_json_string(out, members[i].first);
        out += pretty ? ": " : ":";
        members[i].second.write_at(out, pretty, depth + 1);
      }
      if (pretty) newline(out, depth);
      out += '}';
      return;
    }
  }
}

Json ref(std::string_view logical_id) { return Json::object({{"Ref", Json(logical_id)}}); }

Json get_att(std::string_view logical_id, std::string_view attribute) {
  return Json::object({{"Fn::GetAtt", Json::array({Json(logical_id), Json(attribute)})}});
}

Json sub(std::string_view text) { return Json::object({{"Fn::Sub", Json(text)}}); }

Json base64(Json value) { return Json::object({{"Fn::Base64", std::move(value)}}); }

Json tag(std::string_view key, Json value) {
  return Json::object({{"Key", Json(key)}, {"Value", std::move(value)}});
}

}  // namespace awsdl::internal::cfn
