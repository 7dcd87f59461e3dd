#include "util/xml.hpp"

#include <cctype>
#include <cstdio>
#include <cstdlib>

namespace awsdl::internal {

Result<XmlDocument> XmlDocument::parse(std::string_view text, std::string_view what) {
  XmlDocument d;
  d.doc_ = std::make_shared<pugi::xml_document>();
  auto res = d.doc_->load_buffer(text.data(), text.size(), pugi::parse_default, pugi::encoding_utf8);
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos)
    return Error::make(ErrorKind::kParse, "MalformedXml", "empty XML " + std::string(what));
  if (!res)
    return Error::make(ErrorKind::kParse, "MalformedXml",
                       "malformed XML " + std::string(what) + " (" + res.description() + " at byte " +
                           std::to_string(res.offset) + " of " + std::to_string(text.size()) + ")");
  if (!d.doc_->document_element())
    return Error::make(ErrorKind::kParse, "MalformedXml", "XML " + std::string(what) + " has no root element");
  return d;
}

std::string XmlDocument::root_name() const { return std::string(xml_local_name(root())); }

std::string_view xml_local_name(pugi::xml_node node) {
  std::string_view n = node.name();
  auto colon = n.find(':');
  return colon == std::string_view::npos ? n : n.substr(colon + 1);
}

pugi::xml_node xml_child(pugi::xml_node node, std::string_view name) {
  for (auto c = node.first_child(); c; c = c.next_sibling())
    if (c.type() == pugi::node_element && xml_local_name(c) == name) return c;
  return {};
}

pugi::xml_node xml_path(pugi::xml_node node, std::string_view path) {
  while (node && !path.empty()) {
    auto slash = path.find('/');
    node = xml_child(node, path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return node;
}

std::optional<std::string> xml_find_text(pugi::xml_node node, std::string_view path) {
  auto n = xml_path(node, path);
  if (!n) return std::nullopt;
  return std::string(n.text().get());
}

std::string xml_text(pugi::xml_node node, std::string_view path) { return xml_find_text(node, path).value_or(""); }

Result<std::string> xml_required_text(pugi::xml_node node, std::string_view path) {
  if (auto t = xml_find_text(node, path)) return *t;
  return Error::make(ErrorKind::kParse, "MissingElement",
                     "the response has no <" + std::string(path) + "> under <" + std::string(xml_local_name(node)) + ">");
}

std::optional<long long> xml_int(pugi::xml_node node, std::string_view path) {
  auto t = xml_find_text(node, path);
  if (!t || t->empty()) return std::nullopt;
  char* end = nullptr;
  long long v = std::strtoll(t->c_str(), &end, 10);
  if (end == t->c_str() || *end != '\0') return std::nullopt;
  return v;
}

std::optional<bool> xml_bool(pugi::xml_node node, std::string_view path) {
  auto t = xml_find_text(node, path);
  if (!t) return std::nullopt;
  std::string v;
  for (char c : *t) v += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (v == "true") return true;
  if (v == "false") return false;
  return std::nullopt;
}

std::vector<pugi::xml_node> xml_children(pugi::xml_node node, std::string_view name) {
  std::vector<pugi::xml_node> out;
  for (auto c = node.first_child(); c; c = c.next_sibling())
    if (c.type() == pugi::node_element && xml_local_name(c) == name) out.push_back(c);
  return out;
}

std::vector<pugi::xml_node> xml_list(pugi::xml_node node, std::string_view path, std::string_view item) {
  auto list = xml_path(node, path);
  if (!list) return {};
  return xml_children(list, item);
}

std::string xml_escape(std::string_view text) {
  std::string o;
  o.reserve(text.size());
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      case '\'': o += "&apos;"; break;
      default:
        if (c < 0x20 && c != '\t') {
          char buf[8];
          std::snprintf(buf, sizeof buf, "&#x%X;", c);
          o += buf;
        } else {
          o += ch;
        }
    }
  }
  return o;
}

XmlWriter::XmlWriter(bool declaration) {
  if (declaration) out_ = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";
}

XmlWriter& XmlWriter::open(std::string_view name, std::string_view xmlns) {
  out_ += "<";
  out_ += name;
  if (!xmlns.empty()) out_ += " xmlns=\"" + xml_escape(xmlns) + "\"";
  out_ += ">";
  open_.emplace_back(name);
  return *this;
}

XmlWriter& XmlWriter::close() {
  if (open_.empty()) return *this;
  out_ += "</" + open_.back() + ">";
  open_.pop_back();
  return *this;
}

XmlWriter& XmlWriter::element(std::string_view name, std::string_view text) {
  out_ += "<";
  out_ += name;
  out_ += ">" + xml_escape(text) + "</";
  out_ += name;
  out_ += ">";
  return *this;
}

XmlWriter& XmlWriter::optional_element(std::string_view name, std::string_view text) {
  if (!text.empty()) element(name, text);
  return *this;
}

std::string XmlWriter::finish() {
  while (!open_.empty()) close();
  return std::move(out_);
}

}  // namespace awsdl::internal
