// The INI reader (internal::parse_ini) in both dialects: the default one, which the cluster
// file is built on (cluster::parse_cluster_spec, as `awsdl-cluster --config` reads it), and
// vm.ini's (values as written, indented continuation lines; awsdl::vm reads it). A config file
// can come from anywhere a user downloads one.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "awsdl/cluster/spec.hpp"
#include "util/ini.hpp"

namespace {

void walk(const awsdl::internal::IniFile& ini) {
  for (const auto& section : ini.sections) {
    (void)ini.find(section.name);
    for (const auto& entry : section.entries) (void)section.find(entry.key);
    (void)ini.where(section.line);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto ini = awsdl::internal::parse_ini(text, "fuzz.ini")) walk(*ini);
  (void)awsdl::cluster::parse_cluster_spec(text, "fuzz.ini", {});
  const awsdl::internal::IniOptions vm_dialect{.verbatim_values = true, .continuation_lines = true};
  if (auto ini = awsdl::internal::parse_ini(text, "vm.ini", vm_dialect)) walk(*ini);
  return 0;
}
