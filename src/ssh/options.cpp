#include "awsdl/ssh/options.hpp"

namespace awsdl::ssh {

const char* to_string(HostKeyPolicy policy) {
  switch (policy) {
    case HostKeyPolicy::kAcceptNew: return "accept-new";
    case HostKeyPolicy::kStrict: return "strict";
    case HostKeyPolicy::kInsecureAcceptAny: return "insecure-accept-any";
  }
  return "?";
}

}  // namespace awsdl::ssh
