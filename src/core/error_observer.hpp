#pragma once
// The one place every error that passes through a Result is reported to: nothing, unless a
// program installs an observer. The library itself never installs one and reads no
// environment variable for it; the test suite's secret scan does, from test support only
// (tests/support/error_log_hook.cpp in the test executables, and the preloaded
// tests/support/error_log_preload.cpp in the example programs the tests run).

#include "awsdl/core/error.hpp"
#include "awsdl/export.hpp"

namespace awsdl::internal {

/// Called with every error a Result is constructed from, on the thread that constructs it,
/// unredacted: it must not throw, and must not keep or show what it gets anywhere a user sees.
using ErrorObserver = void (*)(const Error& error) noexcept;

}  // namespace awsdl::internal

extern "C" {
/// Installs `observer` (null: none) and returns the one it replaces. C linkage, so that a
/// preloaded test library finds it with dlsym(RTLD_DEFAULT, kErrorObserverSymbol) in a
/// program that links libawsdl dynamically.
AWSDL_EXPORT awsdl::internal::ErrorObserver awsdl_exchange_error_observer(
    awsdl::internal::ErrorObserver observer) noexcept;
}

namespace awsdl::internal {
inline constexpr const char* kErrorObserverSymbol = "awsdl_exchange_error_observer";
}  // namespace awsdl::internal
