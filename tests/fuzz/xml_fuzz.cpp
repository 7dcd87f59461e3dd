// The XML reader as the XML protocols (ec2, query, rest-xml) use it: XmlDocument::parse and
// the lookups the readers of answers make on what it gives: paths, lists, numbers, booleans,
// any of them missing or of the wrong shape. Hostile answers (a proxy, a broken or malicious
// endpoint) reach every one of these. (The services' own readers need the service clients,
// which this build does not compile; the error parser has a target of its own.)

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "util/xml.hpp"

using namespace awsdl::internal;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto doc = XmlDocument::parse(text, "fuzz input");
  if (!doc) return 0;
  const auto root = doc->root();
  const std::string root_name = doc->root_name();
  for (auto path : {"Error/Code", "Errors/Error/Code", "RequestId", "ResponseMetadata/RequestId", "IsTruncated",
                    "KeyCount", "NextToken", "Contents/Size", "reservationSet/item/instancesSet/item/instanceId"}) {
    (void)xml_find_text(root, path);
    (void)xml_text(root, path);
    (void)xml_int(root, path);
    (void)xml_bool(root, path);
    (void)xml_required_text(root, path);
  }
  // Lists: query "member", EC2 "item", S3 repeated elements, below the first children (each
  // lookup walks the root's children: all of them would make this harness quadratic).
  int n = 0;
  for (auto child = root.first_child(); child && n < 8; child = child.next_sibling(), ++n) {
    const std::string name(xml_local_name(child));
    for (auto item : xml_list(root, name, "member")) (void)xml_text(item, "Key");
    for (auto item : xml_list(root, name, "item")) (void)xml_list(item, "tagSet", "item");
    for (auto item : xml_children(root, name)) (void)xml_int(item, "Size");
  }
  // Text back out through the writer (request bodies echo names and values).
  XmlWriter w(true);
  w.open(root_name, xml_text(root, "xmlns")).element("Text", root.text().get());
  w.optional_element("Code", xml_text(root, "Code"));
  (void)w.finish();
  return 0;
}
