#pragma once
// Which libawsdl this is and which libraries it runs with: what a program's --version prints
// and what a bug report needs.

#include <string>

#include "awsdl/export.hpp"

namespace awsdl {

struct VersionInfo {
  std::string version;  // libawsdl's own, "0.1.0" (the CMake project's and the packages' version)
  /// The git commit the library was built from ("1f3a9c2e..."; "-dirty" appended when the
  /// checkout had uncommitted changes), or "unknown" when it was not built from a checkout
  /// (a source archive) and none was given with -DAWSDL_GIT_COMMIT.
  std::string commit;
  // The versions of the libraries loaded in this process, asked of them at run time (not the
  // headers it was compiled with): "7.88.1", "3.0.11", "0.10.5".
  std::string curl;
  std::string openssl;
  std::string libssh;
};

/// Facts only, no I/O; the same answer at every call.
AWSDL_EXPORT VersionInfo version();

}  // namespace awsdl
