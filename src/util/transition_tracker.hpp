#pragma once
// Reports each status transition of a job once, as polls reveal it: a new entry, or an entry
// whose message changed (SageMaker rewrites the current one's message as it progresses). A
// finished transition gaining its end time is not news. `T` has `status`, `message` and
// `start_time` members (sagemaker::SecondaryStatusTransition); used by the training-job waiter
// (services) and by following a job (workflows), so it lives below both.

#include <cstddef>
#include <vector>

namespace awsdl::internal {

template <typename T>
class TransitionTracker {
 public:
  template <typename F>
  void update(const std::vector<T>& now, F&& report) {
    for (std::size_t i = 0; i < now.size(); ++i) {
      const auto& t = now[i];
      if (i < seen_.size() && seen_[i].status == t.status && seen_[i].message == t.message &&
          seen_[i].start_time == t.start_time)
        continue;
      report(t);
    }
    seen_ = now;
  }

 private:
  std::vector<T> seen_;
};

}  // namespace awsdl::internal
