// The INI readers: the generic one (internal::parse_ini), the cluster file built on it
// (cluster::parse_cluster_spec, as `awsdl-cluster --config` reads it) and awsdl-vm's vm.ini
// reader. A config file can come from anywhere a user downloads one.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "awsdl/cluster/spec.hpp"
#include "util/ini.hpp"
#include "vm/ini_reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto ini = awsdl::internal::parse_ini(text, "fuzz.ini")) {
    for (const auto& section : ini->sections) {
      (void)ini->find(section.name);
      for (const auto& entry : section.entries) (void)section.find(entry.key);
      (void)ini->where(section.line);
    }
  }
  (void)awsdl::cluster::parse_cluster_spec(text, "fuzz.ini", {});
  (void)awsdl_vm::parse_ini(std::string(text), "vm.ini");
  return 0;
}
