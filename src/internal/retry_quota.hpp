#pragma once
// The standard retry mode's token bucket: retries spend tokens, successes refund them, so a
// client facing a broken service stops retrying instead of multiplying its load.

#include <mutex>

#include "awsdl/core/options.hpp"

// In awsdl, not awsdl::internal: Config (a public header) holds it by an opaque pointer.
namespace awsdl {

class RetryQuota {
 public:
  explicit RetryQuota(int capacity = 500) : capacity_(capacity), available_(capacity) {}

  /// Takes `cost` tokens for a retry; false (and nothing taken) when there are not enough.
  bool acquire(int cost);
  /// Returns tokens after a success, never above capacity.
  void release(int amount);
  int available() const;
  int capacity() const { return capacity_; }

 private:
  mutable std::mutex mu_;
  const int capacity_;
  int available_;
};

}  // namespace awsdl

namespace awsdl::internal {
using awsdl::RetryQuota;
}  // namespace awsdl::internal
