// FanOut: a bounded set of worker threads takes hosts from a shared index; each host's
// session is kept for the next command. With a jump host, every session is tunnelled
// through one shared connection to it.
#include "awsdl/ssh/fanout.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "ssh/session_impl.hpp"

namespace awsdl::ssh {

std::size_t FanOutResult::failed() const {
  std::size_t n = 0;
  for (const auto& h : hosts) n += h.ok() ? 0 : 1;
  return n;
}

struct FanOut::Impl {
  struct Slot {
    std::string name;
    Result<Target> target = Error::make(ErrorKind::kInternal, "Unparsed", "");
    std::unique_ptr<Session> session;
    std::mutex mu;  // held while the session is in use
    std::chrono::steady_clock::time_point last_used{};
  };

  FanOutOptions options;
  std::vector<std::string> names;
  std::vector<std::unique_ptr<Slot>> slots;
  std::mutex jump_mu;
  std::shared_ptr<JumpHost> jump;

  std::thread keepalive_thread;
  std::mutex ka_mu;
  std::condition_variable ka_cv;
  bool ka_stop = false;

  ~Impl() { shutdown(); }

  void shutdown() {
    {
      std::lock_guard<std::mutex> lock(ka_mu);
      ka_stop = true;
    }
    ka_cv.notify_all();
    if (keepalive_thread.joinable()) keepalive_thread.join();
    for (auto& s : slots) {
      std::lock_guard<std::mutex> lock(s->mu);
      s->session.reset();
    }
    std::lock_guard<std::mutex> lock(jump_mu);
    jump.reset();
  }

  Result<std::shared_ptr<JumpHost>> jump_host() {
    std::lock_guard<std::mutex> lock(jump_mu);
    if (jump && jump->alive()) return jump;
    jump.reset();
    AWSDL_ASSIGN_OR_RETURN(Target t, parse_target(options.session.jump));
    AWSDL_ASSIGN_OR_RETURN(jump, JumpHost::connect(t, options.session));
    return jump;
  }

  // With the slot's mutex held.
  Result<Session*> session_for(Slot& slot) {
    if (!slot.target) return slot.target.error();
    if (slot.session && slot.session->alive()) return slot.session.get();
    slot.session.reset();
    std::shared_ptr<JumpHost> via;
    if (!options.session.jump.empty()) {
      AWSDL_ASSIGN_OR_RETURN(via, jump_host());
    }
    SessionOptions so = options.session;
    so.jump.clear();
    AWSDL_ASSIGN_OR_RETURN(Session s, Session::connect(*slot.target, so, std::move(via)));
    slot.session = std::make_unique<Session>(std::move(s));
    start_keepalive();
    return slot.session.get();
  }

  void done_with(Slot& slot) {
    slot.last_used = std::chrono::steady_clock::now();
    if (!options.keep_sessions) slot.session.reset();
  }

  void start_keepalive() {
    std::lock_guard<std::mutex> lock(ka_mu);
    if (keepalive_thread.joinable() || ka_stop || !options.keep_sessions) return;
    Millis every = options.session.keepalive_interval;
    if (every.count() <= 0) return;
    keepalive_thread = std::thread([this, every] {
      std::unique_lock<std::mutex> lock(ka_mu);
      while (!ka_cv.wait_for(lock, every, [this] { return ka_stop; })) {
        lock.unlock();
        auto now = std::chrono::steady_clock::now();
        for (auto& s : slots) {
          std::unique_lock<std::mutex> sl(s->mu, std::try_to_lock);
          if (!sl.owns_lock() || !s->session || now - s->last_used < every) continue;
          if (!s->session->keepalive()) s->session.reset();  // reconnect on next use
        }
        lock.lock();
      }
    });
  }

  // Calls fn(i) for every slot index, with at most `concurrency` threads.
  void parallel(std::size_t n, const std::function<void(std::size_t)>& fn) {
    std::size_t threads = std::min<std::size_t>(std::max<std::size_t>(1, options.concurrency), n);
    std::atomic<std::size_t> next{0};
    auto worker = [&] {
      for (std::size_t i; (i = next.fetch_add(1)) < n;) fn(i);
    };
    if (threads <= 1) {
      worker();
      return;
    }
    std::vector<std::thread> pool;
    pool.reserve(threads - 1);
    for (std::size_t t = 0; t + 1 < threads; ++t) pool.emplace_back(worker);
    worker();
    for (auto& t : pool) t.join();
  }

  Slot* find(const std::string& host) {
    for (auto& s : slots)
      if (s->name == host) return s.get();
    return nullptr;
  }
};

FanOut::FanOut(std::vector<std::string> hosts, FanOutOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->names = std::move(hosts);
  for (const auto& h : impl_->names) {
    auto slot = std::make_unique<Impl::Slot>();
    slot->name = h;
    slot->target = parse_target(h);
    impl_->slots.push_back(std::move(slot));
  }
}
FanOut::FanOut(FanOut&&) noexcept = default;
FanOut& FanOut::operator=(FanOut&&) noexcept = default;
FanOut::~FanOut() = default;

const std::vector<std::string>& FanOut::hosts() const { return impl_->names; }

FanOutResult FanOut::connect() { return run("", {}); }

FanOutResult FanOut::run(const std::string& command, const RunOptions& options) {
  auto& im = *impl_;
  auto start = std::chrono::steady_clock::now();
  FanOutResult out;
  out.hosts.resize(im.slots.size());
  // One token for every exec of this run: fired by a failure under fail-fast, or by the
  // caller's token, which one watcher thread forwards.
  CancellationSource stop_all;
  std::mutex done_mu;
  std::condition_variable done_cv;
  bool run_done = false;
  std::thread watcher([&] {
    std::unique_lock<std::mutex> lock(done_mu);
    while (!done_cv.wait_for(lock, std::chrono::milliseconds(20), [&] { return run_done; })) {
      if (options.cancel.cancelled()) {
        stop_all.cancel();
        return;
      }
    }
  });
  std::mutex line_mu;
  im.parallel(im.slots.size(), [&](std::size_t i) {
    auto& slot = *im.slots[i];
    HostResult& hr = out.hosts[i];
    hr.host = slot.name;
    auto t0 = std::chrono::steady_clock::now();
    if (stop_all.cancelled()) {
      hr.error = Error::make(ErrorKind::kCancelled, options.cancel.cancelled() ? "Cancelled" : "Skipped",
                             options.cancel.cancelled() ? "cancelled before it started"
                                                        : "not run: another host failed first (fail-fast)");
      return;
    }
    std::lock_guard<std::mutex> lock(slot.mu);
    auto session = im.session_for(slot);
    if (session && !command.empty()) {
      ExecOptions eo;
      eo.env = options.env;
      eo.timeout = options.timeout;
      eo.stdin_data = options.stdin_data;
      eo.capture = options.capture;
      eo.cancel = stop_all.token();
      std::string partial[2];
      if (options.on_line) {
        eo.on_output = [&](Stream stream, std::string_view chunk) {
          std::string& buf = partial[stream == Stream::kStderr];
          buf.append(chunk);
          std::size_t pos;
          while ((pos = buf.find('\n')) != std::string::npos) {
            std::lock_guard<std::mutex> ll(line_mu);
            options.on_line(slot.name, stream, std::string_view(buf).substr(0, pos));
            buf.erase(0, pos + 1);
          }
        };
      }
      auto r = session.value()->exec(command, eo);
      if (options.on_line) {
        std::lock_guard<std::mutex> ll(line_mu);
        for (int s = 0; s < 2; ++s)
          if (!partial[s].empty()) options.on_line(slot.name, s ? Stream::kStderr : Stream::kStdout, partial[s]);
      }
      if (r) {
        hr.exit_status = r->exit_status;
        hr.exit_signal = r->exit_signal;
        hr.out = std::move(r->out);
        hr.err = std::move(r->err);
      } else {
        hr.error = r.error();
        if (!slot.session->alive()) slot.session.reset();
      }
    } else if (session) {
      hr.exit_status = 0;  // connect only
    } else {
      hr.error = session.error();
    }
    if (slot.session) im.done_with(slot);
    hr.duration = std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - t0);
    if (options.fail_fast && !hr.ok()) stop_all.cancel();
  });
  {
    std::lock_guard<std::mutex> lock(done_mu);
    run_done = true;
  }
  done_cv.notify_all();
  watcher.join();
  out.duration = std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - start);
  return out;
}

Result<ExecResult> FanOut::run_on(const std::string& host, const std::string& command, const ExecOptions& options) {
  auto* slot = impl_->find(host);
  if (!slot) return Error::invalid_argument("UnknownHost", host + " is not one of this fan-out's hosts");
  std::lock_guard<std::mutex> lock(slot->mu);
  AWSDL_ASSIGN_OR_RETURN(Session * s, impl_->session_for(*slot));
  auto r = s->exec(command, options);
  if (!r && !s->alive()) slot->session.reset();
  if (slot->session) impl_->done_with(*slot);
  return r;
}

std::vector<Status> FanOut::for_each(const std::function<Status(Session&, std::size_t)>& fn) {
  auto& im = *impl_;
  std::vector<Status> out(im.slots.size());
  im.parallel(im.slots.size(), [&](std::size_t i) {
    auto& slot = *im.slots[i];
    std::lock_guard<std::mutex> lock(slot.mu);
    auto s = im.session_for(slot);
    if (!s) {
      out[i] = s.error();
      return;
    }
    out[i] = fn(**s, i);
    if (slot.session && !slot.session->alive()) slot.session.reset();
    if (slot.session) im.done_with(slot);
  });
  return out;
}

std::vector<Result<RemoteJob>> FanOut::start(const std::string& command, const DetachOptions& options) {
  std::vector<Result<RemoteJob>> out(impl_->slots.size(), Error::make(ErrorKind::kInternal, "NotRun", "not run"));
  auto st = for_each([&](Session& s, std::size_t i) -> Status {
    auto r = s.start_detached(command, options);
    if (r) r->host = impl_->slots[i]->name;
    out[i] = std::move(r);
    return {};
  });
  for (std::size_t i = 0; i < st.size(); ++i)
    if (!st[i]) out[i] = st[i].error();
  return out;
}

Result<RemoteJob> FanOut::start_on(const std::string& host, const std::string& command, const DetachOptions& options) {
  auto* slot = impl_->find(host);
  if (!slot) return Error::invalid_argument("UnknownHost", host + " is not one of this fan-out's hosts");
  std::lock_guard<std::mutex> lock(slot->mu);
  AWSDL_ASSIGN_OR_RETURN(Session * s, impl_->session_for(*slot));
  auto r = s->start_detached(command, options);
  if (r) r->host = host;
  if (slot->session) impl_->done_with(*slot);
  return r;
}

std::vector<Result<StopResult>> FanOut::stop(const std::vector<RemoteJob>& jobs, Millis grace) {
  auto& im = *impl_;
  std::vector<Result<StopResult>> out(jobs.size(), Error::make(ErrorKind::kInternal, "NotRun", "not run"));
  im.parallel(jobs.size(), [&](std::size_t i) {
    auto* slot = im.find(jobs[i].host);
    if (!slot) {
      out[i] = Error::invalid_argument("UnknownHost", jobs[i].host + " is not one of this fan-out's hosts");
      return;
    }
    std::lock_guard<std::mutex> lock(slot->mu);
    auto s = im.session_for(*slot);
    if (!s) {
      out[i] = s.error();
      return;
    }
    out[i] = (*s)->stop(jobs[i], grace);
    if (slot->session) im.done_with(*slot);
  });
  return out;
}

std::size_t FanOut::open_sessions() const {
  std::size_t n = 0;
  for (auto& s : impl_->slots) {
    std::lock_guard<std::mutex> lock(s->mu);
    n += s->session && s->session->alive() ? 1 : 0;
  }
  return n;
}

void FanOut::close() {
  for (auto& s : impl_->slots) {
    std::lock_guard<std::mutex> lock(s->mu);
    s->session.reset();
  }
  std::lock_guard<std::mutex> lock(impl_->jump_mu);
  impl_->jump.reset();
}

}  // namespace awsdl::ssh
