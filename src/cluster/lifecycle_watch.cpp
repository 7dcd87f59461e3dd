// The poll loop behind create, resume, resize and remove. One DescribeStackEvents per poll
// (the stack's own events carry its status, so no DescribeStacks is needed), plus one
// DescribeAutoScalingGroups once the worker group exists, and a DescribeInstances of its
// InService instances (a stopped instance stays InService), for the "workers 3/4 running" lines.
#include <algorithm>

#include "cluster/lifecycle_internal.hpp"
#include "awsdl/core/retry.hpp"
#include "protocol/retry_loop.hpp"
#include "util/idempotency_token.hpp"

namespace awsdl::internal::lifecycle {

namespace {
// DescribeStackEvents answers 100 events a page.
constexpr std::size_t kEventPage = 100;
// Transient failures that outlived the client's own retries, in a row, before giving up.
constexpr int kMaxPollFailures = 5;
// Polls with nothing under way before a worker shortfall is taken as final.
constexpr int kSettlePolls = 4;
// CreateOptions / ResizeOptions / DeleteOptions without a deadline.
constexpr Millis kDefaultDeadline = std::chrono::minutes(60);

bool in_progress(const std::string& status) {
  return status.size() > 12 && status.compare(status.size() - 12, 12, "_IN_PROGRESS") == 0;
}

void emit(const WatchSpec& spec, const cluster::ClusterEvent& e) {
  if (spec.on_event && *spec.on_event) (*spec.on_event)(e);
}

CallOptions call_for(const WatchSpec& spec) {
  CallOptions call;
  call.deadline = spec.deadline;
  call.cancel = spec.cancel;
  return call;
}

Error cancelled(const WatchSpec& spec, const std::string& how) {
  return Error::make(ErrorKind::kCancelled, "Cancelled",
                     "stopped watching cluster " + spec.cluster + " (cancelled); the stack operation continues: " + how);
}

Error timed_out(const WatchSpec& spec, const std::string& status, const std::string& how) {
  return Error::make(ErrorKind::kTimeout, "ClusterTimeout",
                     "cluster " + spec.cluster + " did not finish before the deadline (stack " +
                         (status.empty() ? "status unknown" : status) + "); " + how);
}

// Fetches the events newer than what the feed knows, paging further only when needed.
Result<std::vector<StackEvent>> poll_events(const Clients& c, const WatchSpec& spec, EventFeed& feed) {
  auto call = call_for(spec);
  AWSDL_ASSIGN_OR_RETURN(auto page, c.cfn.describe_stack_events(spec.stack, kEventPage, call));
  bool complete = false;
  auto fresh = feed.take(page, kEventPage, complete);
  if (complete) return fresh;
  AWSDL_ASSIGN_OR_RETURN(auto all, c.cfn.describe_stack_events(spec.stack, 0, call));
  return feed.take(all, 0, complete);
}

struct WorkerWatch {
  std::string last_line;
};

// One summary line when the worker group's counts changed.
Result<WorkerCounts> poll_workers(const Clients& c, const WatchSpec& spec, WorkerWatch& w) {
  AWSDL_ASSIGN_OR_RETURN(auto group, c.asg.describe_group(spec.worker_group, call_for(spec)));
  AWSDL_ASSIGN_OR_RETURN(auto states, instance_states(c, in_service_ids(group), call_for(spec)));
  WorkerCounts counts = count_workers(group, spec.wanted, spec.minimum, states);
  std::string line = describe_counts(counts);
  if (line != w.last_line) {
    w.last_line = line;
    emit(spec, summary_event(c.config, line));
  }
  return counts;
}

// "; 1 worker instance is stopped (i-1)", or "". With `and_how`: ": start it (EC2 StartInstances)"
// after it; the same as the next step start_step() gives.
std::string stopped_note(const WorkerCounts& c, bool and_how) {
  if (c.stopped_ids.empty()) return {};
  std::string ids;
  for (const auto& id : c.stopped_ids) ids += (ids.empty() ? "" : " ") + id;
  const bool one = c.stopped_ids.size() == 1;
  return std::string(one ? "; 1 worker instance is" : "; " + std::to_string(c.stopped_ids.size()) + " worker instances are") +
         " stopped (" + ids + ")" + (and_how ? std::string(": start ") + (one ? "it" : "them") + " (EC2 StartInstances)" : "");
}

// The stopped workers' ids as a next step (ec2::next_step::kStartInstances), if there are any.
std::vector<NextStep> start_step(const WorkerCounts& c) {
  if (c.stopped_ids.empty()) return {};
  std::string ids;
  for (const auto& id : c.stopped_ids) ids += (ids.empty() ? "" : " ") + id;
  return {NextStep{ec2::next_step::kStartInstances, ids}};
}

// "accepting 3 of 4 workers (minimum 2)": the event says which are stopped; the next step how to start them.
cluster::ClusterEvent accepting(const Clients& c, const WorkerCounts& counts) {
  auto e = summary_event(c.config, "accepting " + std::to_string(counts.in_service) + " of " +
                                       std::to_string(counts.wanted) + " workers (minimum " +
                                       std::to_string(counts.minimum) + ")" + stopped_note(counts, false));
  e.next_steps = start_step(counts);
  return e;
}

enum class FallbackOutcome { kNone, kMoved, kGiveUp };

// One look at the worker group's activities: a fresh capacity failure while workers are
// missing is an attempt; then the next move (a stack update watched to its end, the group's
// desired capacity back to what is wanted), or giving up.
Result<FallbackOutcome> fallback_step(const Clients& c, WatchSpec& spec, const std::string& how) {
  CapacityFallback& f = *spec.fallback;
  auto& clock = *c.config.runtime.clock;
  AWSDL_ASSIGN_OR_RETURN(auto acts, c.asg.describe_scaling_activities(spec.worker_group, 20, call_for(spec)));
  std::string reason;
  for (const auto& a : acts) {  // newest first
    if (!f.seen_activities.insert(a.activity_id).second) continue;
    if (reason.empty()) reason = capacity_failure(a);
  }
  if (reason.empty()) {
    if (f.first_failure && clock.steady_now() - *f.first_failure >= f.timeout) return FallbackOutcome::kGiveUp;
    return FallbackOutcome::kNone;
  }
  f.attempts.push_back({f.instance_type, f.zone, f.market, reason});
  if (!f.first_failure) f.first_failure = clock.steady_now();
  Move move = next_move(f);
  const bool late = clock.steady_now() - *f.first_failure >= f.timeout;
  if (move.kind == MoveKind::kGiveUp || late) {
    emit(spec, summary_event(c.config, f.instance_type + ": no capacity in " + f.zone + " (" + reason + "); " +
                                           (late ? "the capacity timeout has passed" : "no other zone or market to try")));
    return FallbackOutcome::kGiveUp;
  }
  const std::string next = move.kind == MoveKind::kOnDemand ? "on-demand in " + move.zone : move.zone;
  emit(spec, summary_event(c.config, f.instance_type + ": no capacity in " + f.zone + " (" + f.market + ", " + reason +
                                         "); trying " + next));
  // Only this update's events are reported.
  EventFeed feed;
  AWSDL_ASSIGN_OR_RETURN(auto before, c.cfn.describe_stack_events(spec.stack, 100, call_for(spec)));
  feed.prime(before);
  cloudformation::UpdateStackRequest u;
  u.stack_name = spec.stack;
  u.use_previous_template = true;
  for (const auto& key : f.parameter_keys) {
    if (key == cluster::names::kAvailabilityZone) u.parameters.push_back({key, move.zone});
    else if (key == cluster::names::kWorkerOnDemandPercentage && move.market == "on-demand") u.parameters.push_back({key, "100"});
    else u.parameters.push_back({key, "", true});
  }
  u.capabilities = f.capabilities;
  u.client_request_token = new_idempotency_token();
  auto updated = c.cfn.update_stack(u, call_for(spec));
  if (!updated) return std::move(updated).error();
  AWSDL_ASSIGN_OR_RETURN(auto outcome, watch_stack(c, spec, feed, how));
  if (outcome.status != "UPDATE_COMPLETE")
    return Error::make(ErrorKind::kService, "CapacityFallbackFailed",
                       "cluster " + spec.cluster + ": moving to " + next + " failed (stack " + outcome.status + ")" +
                           (failure_reasons(feed.history()).empty() ? "" : ": " + failure_reasons(feed.history())) +
                           "; attempts so far: " + describe_attempts(f.attempts));
  f.zone = move.zone;
  f.market = move.market;
  // The group may have been lowered to what launched: ask for the workers again.
  AWSDL_ASSIGN_OR_RETURN(auto group, c.asg.describe_group(spec.worker_group, call_for(spec)));
  if (group.desired_capacity < spec.wanted)
    AWSDL_TRY(c.asg.set_desired_capacity(spec.worker_group, std::min(spec.wanted, group.max_size), false, call_for(spec)));
  return FallbackOutcome::kMoved;
}

}  // namespace

WatchSpec watch_for(const Clients& c, const std::string& name, const EventCallback& on_event, const Deadline& deadline,
                    const CancellationToken& cancel, Millis poll) {
  WatchSpec w;
  w.cluster = name;
  w.stack_name = name;
  w.on_event = &on_event;
  w.deadline = deadline.at ? deadline : Deadline::after(kDefaultDeadline, *c.config.runtime.clock);
  w.cancel = cancel;
  w.poll = poll;
  return w;
}

CallOptions call_options(const WatchSpec& w) { return call_for(w); }

bool transient(const Error& e) {
  if (e.kind == ErrorKind::kCancelled || e.code == "DeadlineExceeded") return false;
  auto kind = classify_error(e);
  return kind != RetryKind::kNone;
}

PollOptions watch_poll_options(const WatchSpec& spec, std::function<Error()> cancelled,
                               std::function<Error(const std::string& last_state)> timed_out) {
  PollOptions p;
  p.delay = Backoff::polling(std::max(Millis(1), spec.poll));
  p.deadline = spec.deadline;
  p.cancel = spec.cancel;
  p.what = "watching cluster " + spec.cluster;
  p.cancelled_error = std::move(cancelled);
  p.timeout_error = std::move(timed_out);
  return p;
}

Result<WatchOutcome> watch_stack(const Clients& c, WatchSpec& spec, EventFeed& feed, const std::string& how) {
  auto& clock = *c.config.runtime.clock;
  std::string status;
  int failures = 0;
  WorkerWatch workers;
  std::optional<WatchOutcome> outcome;
  auto poll = watch_poll_options(
      spec, [&] { return cancelled(spec, how); }, [&](const std::string&) { return timed_out(spec, status, how); });
  AWSDL_TRY(poll_until(c.config.runtime, poll, [&](int) -> Result<PollState> {
    auto fresh = poll_events(c, spec, feed);
    if (!fresh) {
      Error e = std::move(fresh).error();
      if (e.kind == ErrorKind::kCancelled) return cancelled(spec, how);
      if (e.code == "DeadlineExceeded" || spec.deadline.expired(clock)) return timed_out(spec, status, how);
      if (!transient(e) || ++failures > kMaxPollFailures) return e;
      emit(spec, summary_event(c.config, "polling the stack failed (" + e.code + "), trying again"));
      return PollState::pending(status);
    }
    failures = 0;
    for (const auto& e : *fresh) {
      emit(spec, to_cluster_event(e));
      if (e.logical_id == cluster::names::kWorkerGroup && !e.physical_id.empty() && spec.worker_group.empty())
        spec.worker_group = e.physical_id;
    }
    if (auto s = stack_status_from(*fresh, spec.stack, spec.stack_name); !s.empty()) status = s;
    if (!status.empty() && !in_progress(status)) {
      outcome = WatchOutcome{status, spec.worker_group};
      return PollState::done(status);
    }
    if (!spec.worker_group.empty() && spec.wanted > 0) {
      // Summary lines are a courtesy: a failed look at the group does not stop the watch.
      if (auto w = poll_workers(c, spec, workers); !w && w.error().kind == ErrorKind::kCancelled)
        return cancelled(spec, how);
    }
    return PollState::pending(status);
  }));
  return std::move(*outcome);
}

Status settle_workers(const Clients& c, WatchSpec& spec, const std::string& how) {
  if (spec.worker_group.empty() || spec.wanted <= 0) return {};
  auto& clock = *c.config.runtime.clock;
  WorkerWatch workers;
  WorkerCounts last;
  int stable = 0;
  int failures = 0;
  int fallback_failures = 0;  // in a row, of the capacity fallback's own calls
  auto poll = watch_poll_options(
      spec, [&] { return cancelled(spec, how); }, [&](const std::string&) { return timed_out(spec, "complete", how); });
  return poll_until(c.config.runtime, poll, [&](int) -> Result<PollState> {
    auto counts = poll_workers(c, spec, workers);
    if (!counts) {
      Error e = std::move(counts).error();
      if (e.kind == ErrorKind::kCancelled) return cancelled(spec, how);
      if (e.code == "DeadlineExceeded" || spec.deadline.expired(clock)) return timed_out(spec, "complete", how);
      if (!transient(e) || ++failures > kMaxPollFailures) return e;
      return PollState::pending();
    }
    failures = 0;
    auto verdict = worker_verdict(*counts);
    if (spec.fallback && counts->in_service < counts->wanted && counts->pending == 0) {
      auto step = fallback_step(c, spec, how);
      if (!step) {
        // A look at the activities that failed for a while is tried again at the next poll.
        Error e = std::move(step).error();
        if (e.kind == ErrorKind::kCancelled) return cancelled(spec, how);
        if (!transient(e) || ++fallback_failures > kMaxPollFailures) return e;
        return PollState::pending(describe_counts(*counts));
      }
      fallback_failures = 0;
      const FallbackOutcome moved = *step;
      if (moved == FallbackOutcome::kMoved) {
        stable = 0;
        last = WorkerCounts{};
        return PollState::pending("moved");
      }
      if (moved == FallbackOutcome::kGiveUp) {
        if (counts->in_service >= counts->minimum && counts->in_service > 0) {
          // Each move asked for every wanted worker again: what launched is what the group
          // keeps, as the capacity Lambda would have left it, so no launch comes later unasked.
          if (counts->desired > counts->in_service) {
            auto lowered = c.asg.set_desired_capacity(spec.worker_group, counts->in_service, false, call_for(spec));
            if (!lowered) {
              Error e = std::move(lowered).error();
              if (e.kind == ErrorKind::kCancelled) return cancelled(spec, how);
              if (!transient(e) || ++fallback_failures > kMaxPollFailures) return e;
              return PollState::pending(describe_counts(*counts));
            }
          }
          emit(spec, accepting(c, *counts));
          return PollState::done();
        }
        return Error::make(ErrorKind::kService, "WorkerShortfall",
                           "cluster " + spec.cluster + ": only " + std::to_string(counts->in_service) + " of " +
                               std::to_string(counts->wanted) + " workers run, fewer than the minimum " +
                               std::to_string(counts->minimum) + "; no capacity anywhere it could go: " +
                               describe_attempts(spec.fallback->attempts) + "; " + how);
      }
    }
    if (verdict == WorkerVerdict::kReady) {
      if (counts->in_service < counts->wanted) emit(spec, accepting(c, *counts));
      return PollState::done();
    }
    bool same = counts->in_service == last.in_service && counts->desired == last.desired;
    stable = verdict != WorkerVerdict::kWait && same ? stable + 1 : 0;
    last = *counts;
    if (stable < kSettlePolls) return PollState::pending(describe_counts(*counts));
    if (verdict == WorkerVerdict::kShortfall) {
      emit(spec, accepting(c, *counts));
      return PollState::done();
    }
    // Stopped workers are the reason when there are any; a failed launch is otherwise.
    std::string why;
    if (counts->stopped == 0)
      if (auto acts = c.asg.describe_scaling_activities(spec.worker_group, 20, call_for(spec)); acts.ok())
        for (const auto& a : *acts)
          if (a.status_code == "Failed" || a.status_code == "Cancelled") {
            why = a.status_message.empty() ? a.description : a.status_message;
            break;
          }
    if (spec.fallback && !spec.fallback->attempts.empty())
      why += (why.empty() ? "" : "; ") + std::string("capacity attempts: ") + describe_attempts(spec.fallback->attempts);
    Error e = Error::make(ErrorKind::kService, "WorkerShortfall",
                          "cluster " + spec.cluster + ": only " + std::to_string(counts->in_service) + " of " +
                              std::to_string(counts->wanted) + " workers run, fewer than the minimum " +
                              std::to_string(counts->minimum) + (why.empty() ? "" : " (" + why + ")") +
                              stopped_note(*counts, true) + "; " + how);
    e.next_steps = start_step(*counts);  // the caller adds how to go on
    return e;
  });
}

}  // namespace awsdl::internal::lifecycle
