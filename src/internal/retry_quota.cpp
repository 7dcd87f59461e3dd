#include "internal/retry_quota.hpp"

#include <algorithm>

namespace awsdl {

bool RetryQuota::acquire(int cost) {
  std::lock_guard lock(mu_);
  if (cost > available_) return false;
  available_ -= cost;
  return true;
}

void RetryQuota::release(int amount) {
  std::lock_guard lock(mu_);
  available_ = std::min(capacity_, available_ + std::max(0, amount));
}

int RetryQuota::available() const {
  std::lock_guard lock(mu_);
  return available_;
}

}  // namespace awsdl
