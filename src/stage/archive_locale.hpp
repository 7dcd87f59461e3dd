#pragma once
// libarchive converts names between the tar headers' UTF-8 and the C library's current
// locale. A library cannot call setlocale(), and in the default "C" locale libarchive 3.6
// mangles non-ASCII names (hdrcharset=BINARY on write; a crash with the *_utf8 setters).
// This switches the calling thread, and only it, to C.UTF-8 for the guard's lifetime, so
// that names are written and read as the same UTF-8 bytes the file system holds.

#include <locale.h>

namespace awsdl::internal {

class Utf8LocaleGuard {
 public:
  Utf8LocaleGuard();
  ~Utf8LocaleGuard();
  Utf8LocaleGuard(const Utf8LocaleGuard&) = delete;
  Utf8LocaleGuard& operator=(const Utf8LocaleGuard&) = delete;

 private:
  locale_t previous_ = nullptr;  // nullptr: nothing was switched (no UTF-8 locale installed)
};

}  // namespace awsdl::internal
