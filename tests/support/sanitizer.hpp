// Tests that tell linear from quadratic by the time spent give sanitizer builds more room:
// AddressSanitizer runs the same code several times slower, and a bound that separates the
// two in a release build must still separate them there.
#pragma once

namespace awsdl::testsupport {

#if defined(__SANITIZE_ADDRESS__)
inline constexpr double kSanitizerSlowdown = 10.0;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr double kSanitizerSlowdown = 10.0;
#else
inline constexpr double kSanitizerSlowdown = 1.0;
#endif
#else
inline constexpr double kSanitizerSlowdown = 1.0;
#endif

}  // namespace awsdl::testsupport
