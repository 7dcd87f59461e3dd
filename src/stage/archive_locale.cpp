#include "stage/archive_locale.hpp"

#include <initializer_list>

namespace awsdl::internal {

namespace {

// Created once and never freed: uselocale() needs it alive for as long as any thread uses it.
locale_t utf8_locale() {
  static const locale_t loc = [] {
    for (const char* name : {"C.UTF-8", "C.utf8", "en_US.UTF-8"}) {
      if (locale_t l = newlocale(LC_CTYPE_MASK, name, static_cast<locale_t>(nullptr))) return l;
    }
    return static_cast<locale_t>(nullptr);
  }();
  return loc;
}

}  // namespace

Utf8LocaleGuard::Utf8LocaleGuard() {
  if (locale_t l = utf8_locale()) previous_ = uselocale(l);
}

Utf8LocaleGuard::~Utf8LocaleGuard() {
  if (previous_) uselocale(previous_);
}

}  // namespace awsdl::internal
