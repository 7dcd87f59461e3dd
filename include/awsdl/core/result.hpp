#pragma once
// Result<T>: a value or an Error. value() on an error never returns garbage: it reports
// the error on stderr and aborts, because that is a bug in the caller.

#include <type_traits>
#include <utility>
#include <variant>

#include "awsdl/core/error.hpp"

namespace awsdl {

namespace detail {
[[noreturn]] AWSDL_EXPORT void bad_result_access(const Error& error);
[[noreturn]] AWSDL_EXPORT void bad_error_access();
/// Hands every error that passes through a Result to the observer a program installed, if
/// any (the test suite's secret scan installs one; the library never does). Costs one
/// atomic load otherwise.
AWSDL_EXPORT void observe_error(const Error& error) noexcept;
}  // namespace detail

template <typename T>
class [[nodiscard]] Result {
 public:
  using value_type = T;

  Result(const T& value) : v_(std::in_place_index<0>, value) {}             // NOLINT
  Result(T&& value) : v_(std::in_place_index<0>, std::move(value)) {}       // NOLINT
  Result(const Error& error) : v_(std::in_place_index<1>, error) { detail::observe_error(error); }  // NOLINT
  Result(Error&& error) : v_(std::in_place_index<1>, std::move(error)) {  // NOLINT
    detail::observe_error(std::get<1>(v_));
  }
  template <typename U>
    requires(std::is_constructible_v<T, U&&> && !std::is_same_v<std::decay_t<U>, T> &&
             !std::is_same_v<std::decay_t<U>, Error> && !std::is_same_v<std::decay_t<U>, Result>)
  Result(U&& value) : v_(std::in_place_index<0>, T(std::forward<U>(value))) {}  // NOLINT

  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  T& value() & { check(); return std::get<0>(v_); }
  const T& value() const& { check(); return std::get<0>(v_); }
  T&& value() && { check(); return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  template <typename U>
  T value_or(U&& fallback) const& { return ok() ? std::get<0>(v_) : T(std::forward<U>(fallback)); }

  const Error& error() const& { if (ok()) detail::bad_error_access(); return std::get<1>(v_); }
  Error&& error() && { if (ok()) detail::bad_error_access(); return std::get<1>(std::move(v_)); }

 private:
  void check() const { if (!ok()) detail::bad_result_access(std::get<1>(v_)); }
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(const Error& error) : error_(error), ok_(false) { detail::observe_error(error_); }  // NOLINT
  Result(Error&& error) : error_(std::move(error)), ok_(false) { detail::observe_error(error_); }  // NOLINT

  bool ok() const noexcept { return ok_; }
  explicit operator bool() const noexcept { return ok_; }
  void value() const { if (!ok_) detail::bad_result_access(error_); }
  const Error& error() const& { if (ok_) detail::bad_error_access(); return error_; }
  Error&& error() && { if (ok_) detail::bad_error_access(); return std::move(error_); }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;

}  // namespace awsdl

/// Propagate an error from an expression returning Result<...>.
#define AWSDL_TRY(expr)                                   \
  do {                                                    \
    if (auto awsdl_try_r_ = (expr); !awsdl_try_r_.ok())   \
      return std::move(awsdl_try_r_).error();             \
  } while (0)

#define AWSDL_CONCAT_INNER_(a, b) a##b
#define AWSDL_CONCAT_(a, b) AWSDL_CONCAT_INNER_(a, b)
/// `AWSDL_ASSIGN_OR_RETURN(auto x, f());`
#define AWSDL_ASSIGN_OR_RETURN(decl, expr) \
  AWSDL_ASSIGN_OR_RETURN_IMPL_(AWSDL_CONCAT_(awsdl_r_, __LINE__), decl, expr)
#define AWSDL_ASSIGN_OR_RETURN_IMPL_(tmp, decl, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return std::move(tmp).error();       \
  decl = std::move(tmp).value()
