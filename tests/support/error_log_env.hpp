#pragma once
// What an example program run by a test needs in its environment for its errors to reach the
// suite's error log (the secret scan): the log's path, and the test-built hook preloaded
// (tests/support/error_log_preload.cpp), since the shipped programs and libawsdl read no
// variable for it. ctest names both (tests/CMakeLists.txt); outside ctest this adds nothing.

#include <cstdlib>
#include <map>
#include <string>

#include "support/error_log_writer.hpp"

namespace awsdl::testsupport {

inline void add_error_log_hook(std::map<std::string, std::string>& env) {
  const char* log = std::getenv(kErrorLogVariable);
  const char* hook = std::getenv(kErrorLogPreloadVariable);
  if (log == nullptr || *log == '\0' || hook == nullptr || *hook == '\0') return;
  env[kErrorLogVariable] = log;
  std::string& preload = env["LD_PRELOAD"];
  preload = preload.empty() ? std::string(hook) : preload + ":" + hook;
}

}  // namespace awsdl::testsupport
