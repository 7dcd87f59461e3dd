// awsdl::valid_region_name (config.hpp): the region goes into host names and the signing
// scope, so it is checked where both are made (endpoints, Config::from_environment).

#include "awsdl/config.hpp"

namespace awsdl {

bool valid_region_name(const std::string& region) {
  // A DNS label, lower case.
  if (region.empty() || region.size() > 63) return false;
  if (region.front() == '-' || region.back() == '-') return false;
  for (char c : region)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  return true;
}

}  // namespace awsdl
