#pragma once
// A bounded pool of libcurl transfer slots. Each slot is an easy handle driven by its own
// multi handle, and the multi handle keeps the slot's live connection. A slot holds at most
// one cached connection, so the pool never holds more connections than it has slots.
// DNS answers and TLS sessions are shared among all slots through one CURLSH.

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <curl/curl.h>

#include "awsdl/core/result.hpp"
#include "awsdl/core/runtime.hpp"

namespace awsdl::internal {

struct CurlSlot {
  CURL* easy = nullptr;
  CURLM* multi = nullptr;
  std::string origin;       // scheme://host of the last transfer, whose connection is cached
  std::uint64_t last_used = 0;
};

class CurlPool {
 public:
  explicit CurlPool(std::size_t max_slots);
  ~CurlPool();
  CurlPool(const CurlPool&) = delete;
  CurlPool& operator=(const CurlPool&) = delete;

  /// The shared DNS / TLS-session cache to attach to every easy handle (may be null).
  CURLSH* share() const { return share_; }

  /// An idle slot that last talked to `origin`, else a new slot while under the bound, else
  /// the least recently used idle slot; waits when all slots are busy. Gives up with
  /// kCancelled or kTimeout when `cancel` fires or `deadline` passes while waiting.
  Result<CurlSlot*> acquire(const std::string& origin, const CancellationToken& cancel,
                            std::optional<SteadyTime> deadline);
  void release(CurlSlot* slot, std::string origin);
  /// Replaces the slot's easy handle (held by the caller, between acquire and release) with
  /// a fresh one; false, keeping the old one, when libcurl cannot make one.
  bool renew(CurlSlot* slot);

  std::size_t slot_count() const;

 private:
  static void lock_cb(CURL*, curl_lock_data data, curl_lock_access, void* userp);
  static void unlock_cb(CURL*, curl_lock_data data, void* userp);
  CurlSlot* take_idle_locked(const std::string& origin, bool any);

  std::size_t max_slots_;
  CURLSH* share_ = nullptr;
  std::mutex share_mu_[CURL_LOCK_DATA_LAST];

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<CurlSlot>> slots_;
  std::vector<CurlSlot*> idle_;
  std::size_t reserved_ = 0;  // slots being created outside the lock
  std::uint64_t tick_ = 0;
};

}  // namespace awsdl::internal
