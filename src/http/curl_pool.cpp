#include "http/curl_pool.hpp"

#include <algorithm>
#include <chrono>

namespace awsdl::internal {

CurlPool::CurlPool(std::size_t max_slots) : max_slots_(std::max<std::size_t>(1, max_slots)) {
  share_ = curl_share_init();
  if (share_) {
    curl_share_setopt(share_, CURLSHOPT_LOCKFUNC, &CurlPool::lock_cb);
    curl_share_setopt(share_, CURLSHOPT_UNLOCKFUNC, &CurlPool::unlock_cb);
    curl_share_setopt(share_, CURLSHOPT_USERDATA, static_cast<void*>(share_mu_));
    // Connections are deliberately not shared through CURLSH: libcurl documents that as
    // unsafe across concurrent threads. Slots keep their own connection instead.
    curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
  }
}

CurlPool::~CurlPool() {
  for (auto& slot : slots_) {
    if (slot->multi) curl_multi_cleanup(slot->multi);  // closes the cached connection
    if (slot->easy) curl_easy_cleanup(slot->easy);
  }
  // Only once no easy handle refers to it any more.
  if (share_) curl_share_cleanup(share_);
}

void CurlPool::lock_cb(CURL*, curl_lock_data data, curl_lock_access, void* userp) {
  auto* mus = static_cast<std::mutex*>(userp);
  if (data >= 0 && data < CURL_LOCK_DATA_LAST) mus[data].lock();
}

void CurlPool::unlock_cb(CURL*, curl_lock_data data, void* userp) {
  auto* mus = static_cast<std::mutex*>(userp);
  if (data >= 0 && data < CURL_LOCK_DATA_LAST) mus[data].unlock();
}

CurlSlot* CurlPool::take_idle_locked(const std::string& origin, bool any) {
  auto best = idle_.end();
  for (auto it = idle_.begin(); it != idle_.end(); ++it) {
    if (any) {
      // Least recently used: its connection is the least likely to be wanted again soon.
      if (best == idle_.end() || (*it)->last_used < (*best)->last_used) best = it;
    } else if ((*it)->origin == origin) {
      // Most recently used: its connection is the most likely to still be open.
      if (best == idle_.end() || (*it)->last_used > (*best)->last_used) best = it;
    }
  }
  if (best == idle_.end()) return nullptr;
  CurlSlot* slot = *best;
  idle_.erase(best);
  return slot;
}

Result<CurlSlot*> CurlPool::acquire(const std::string& origin, const CancellationToken& cancel,
                                    std::optional<SteadyTime> deadline) {
  std::unique_lock lock(mu_);
  while (true) {
    if (CurlSlot* slot = take_idle_locked(origin, false)) return slot;
    if (slots_.size() + reserved_ < max_slots_) {
      ++reserved_;
      lock.unlock();
      auto slot = std::make_unique<CurlSlot>();
      slot->easy = curl_easy_init();
      slot->multi = curl_multi_init();
      bool made = slot->easy && slot->multi;
      if (made) curl_multi_setopt(slot->multi, CURLMOPT_MAXCONNECTS, 1L);
      lock.lock();
      --reserved_;
      if (!made) {
        if (slot->multi) curl_multi_cleanup(slot->multi);
        if (slot->easy) curl_easy_cleanup(slot->easy);
        cv_.notify_one();
        return Error::make(ErrorKind::kInternal, "CurlInitFailed", "could not create a libcurl handle");
      }
      slots_.push_back(std::move(slot));
      return slots_.back().get();
    }
    if (CurlSlot* slot = take_idle_locked(origin, true)) return slot;
    if (cancel.cancelled()) return Error::make(ErrorKind::kCancelled, "Cancelled", "cancelled while waiting for a connection");
    if (deadline && std::chrono::steady_clock::now() >= *deadline)
      return Error::make(ErrorKind::kTimeout, "Timeout", "timed out waiting for a free connection", true);
    // Short waits so that cancellation and the deadline are noticed while every slot is busy.
    cv_.wait_for(lock, std::chrono::milliseconds(50));
  }
}

void CurlPool::release(CurlSlot* slot, std::string origin) {
  {
    std::lock_guard lock(mu_);
    slot->origin = std::move(origin);
    slot->last_used = ++tick_;
    idle_.push_back(slot);
  }
  cv_.notify_one();
}

bool CurlPool::renew(CurlSlot* slot) {
  CURL* fresh = curl_easy_init();
  if (!fresh) return false;
  // The old handle is not attached to the slot's multi handle between transfers, and the
  // slot's connection lives in the multi handle, so it survives this.
  if (slot->easy) curl_easy_cleanup(slot->easy);
  slot->easy = fresh;
  return true;
}

std::size_t CurlPool::slot_count() const {
  std::lock_guard lock(mu_);
  return slots_.size();
}

}  // namespace awsdl::internal
