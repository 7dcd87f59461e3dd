#pragma once
// pugixml helpers for the XML protocols: parsing with a clear error, text by path, lists.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <pugixml.hpp>

#include "awsdl/core/result.hpp"

namespace awsdl::internal {

/// A parsed document; cheap to copy (copies share the tree).
class XmlDocument {
 public:
  /// kParse "MalformedXml" naming `what` and the offset, never quoting the input (it may
  /// hold credentials). An empty input or one with no root element is malformed too.
  static Result<XmlDocument> parse(std::string_view text, std::string_view what = "response");
  pugi::xml_node root() const { return doc_->document_element(); }
  /// Name of the root element without a namespace prefix.
  std::string root_name() const;

 private:
  std::shared_ptr<pugi::xml_document> doc_;
};

/// Element name without its namespace prefix.
std::string_view xml_local_name(pugi::xml_node node);

/// The first child named `name` (namespace prefixes ignored).
pugi::xml_node xml_child(pugi::xml_node node, std::string_view name);

/// Follows "A/B/C" from `node`; an empty node when any step is missing.
pugi::xml_node xml_path(pugi::xml_node node, std::string_view path);

/// The text of the element at `path`; nullopt when it is missing.
std::optional<std::string> xml_find_text(pugi::xml_node node, std::string_view path);
/// Likewise, "" when missing.
std::string xml_text(pugi::xml_node node, std::string_view path);
/// Likewise, kParse "MissingElement" when missing.
Result<std::string> xml_required_text(pugi::xml_node node, std::string_view path);
std::optional<long long> xml_int(pugi::xml_node node, std::string_view path);
/// "true"/"false" (any case).
std::optional<bool> xml_bool(pugi::xml_node node, std::string_view path);

/// The children of `node` named `name` ("member" for query lists, "item" for EC2 lists).
std::vector<pugi::xml_node> xml_children(pugi::xml_node node, std::string_view name);
/// The list at `path`: query `<Path><member>...`, EC2 `<path><item>...`.
std::vector<pugi::xml_node> xml_list(pugi::xml_node node, std::string_view path, std::string_view item = "member");

/// &, <, >, " and ' escaped; other control characters as character references.
std::string xml_escape(std::string_view text);

/// Writes small XML request bodies (rest-xml).
class XmlWriter {
 public:
  explicit XmlWriter(bool declaration = false);
  /// <name xmlns="...">
  XmlWriter& open(std::string_view name, std::string_view xmlns = {});
  XmlWriter& close();
  /// <name>escaped text</name>
  XmlWriter& element(std::string_view name, std::string_view text);
  /// Only when `text` is non-empty.
  XmlWriter& optional_element(std::string_view name, std::string_view text);
  /// Closes anything still open and returns the document.
  std::string finish();

 private:
  std::string out_;
  std::vector<std::string> open_;
};

}  // namespace awsdl::internal
