#pragma once
// Reports each secondary status transition of a training job once, as polls reveal it: a
// new entry, or an entry whose message changed (SageMaker rewrites the current one's
// message as it progresses). A finished transition gaining its end time is not news.

#include <cstddef>
#include <vector>

#include "awsdl/sagemaker/sagemaker.hpp"

namespace awsdl::internal {

class TransitionTracker {
 public:
  template <typename F>
  void update(const std::vector<sagemaker::SecondaryStatusTransition>& now, F&& report) {
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
  std::vector<sagemaker::SecondaryStatusTransition> seen_;
};

}  // namespace awsdl::internal
