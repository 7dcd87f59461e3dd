// JumpHost: one connection to the jump host, and one thread that owns it and moves bytes
// between direct-tcpip channels and local socket pairs. Each tunnelled session runs its
// own SSH protocol over its end of a socket pair, exactly as it would over TCP; libssh 0.10
// has no ProxyJump of its own, and a libssh session is not thread-safe, so every call on
// the jump session happens on the pump thread.
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <optional>
#include <mutex>
#include <thread>

#include "ssh/session_impl.hpp"

namespace awsdl::ssh {

struct JumpHost::Impl {
  struct Tunnel {
    ssh_channel ch = nullptr;
    int fd = -1;                 // our end of the socket pair
    std::string to_fd;           // from the channel, not yet written to the socket
    bool fd_eof = false;         // the session closed its end
    bool ch_eof = false;         // the far side closed
    bool done = false;
  };
  // A tunnel request; the waiter may give up (timeout), and then a late tunnel is closed.
  struct Request {
    std::string host;
    int port = 0;
    std::mutex mu;
    std::condition_variable cv;
    std::optional<Result<int>> answer;
    bool abandoned = false;

    void set(Result<int> r) {
      std::lock_guard<std::mutex> lock(mu);
      if (abandoned) {
        if (r.ok()) ::close(*r);
      } else {
        answer = std::move(r);
      }
      cv.notify_all();
    }
  };

  std::unique_ptr<internal::SessionCore> core;
  Target target;
  std::thread pump;
  std::mutex mu;
  std::deque<std::shared_ptr<Request>> requests;
  std::atomic<bool> stopping{false};
  std::atomic<std::size_t> open{0};
  int wake[2] = {-1, -1};
  std::vector<std::unique_ptr<Tunnel>> tunnels;  // pump thread only

  ~Impl() {
    stopping = true;
    poke();
    if (pump.joinable()) pump.join();
    for (auto& t : tunnels) close_tunnel(*t);
    tunnels.clear();
    core.reset();
    if (wake[0] >= 0) ::close(wake[0]);
    if (wake[1] >= 0) ::close(wake[1]);
  }

  void poke() {
    if (wake[1] >= 0) {
      char c = 1;
      [[maybe_unused]] auto n = ::write(wake[1], &c, 1);
    }
  }

  void close_tunnel(Tunnel& t) {
    if (t.fd >= 0) ::close(t.fd);
    t.fd = -1;
    if (t.ch) {
      if (ssh_channel_is_open(t.ch)) {
        ssh_channel_send_eof(t.ch);
        ssh_channel_close(t.ch);
      }
      ssh_channel_free(t.ch);
      t.ch = nullptr;
    }
    t.done = true;
  }

  void serve_request(Request& r) {
    ssh_session s = core->s;
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
      r.set(Error::make(ErrorKind::kIo, "SocketPairFailed", "cannot create a socket pair"));
      return;
    }
    ssh_channel ch = ssh_channel_new(s);
    int rc = ch ? ssh_channel_open_forward(ch, r.host.c_str(), r.port, "127.0.0.1", 0) : SSH_ERROR;
    if (rc != SSH_OK) {
      std::string err = ssh_get_error(s);
      if (ch) ssh_channel_free(ch);
      ::close(sv[0]);
      ::close(sv[1]);
      if (!ssh_is_connected(s)) core->dead = true;
      r.set(Error::make(ErrorKind::kNetwork, "JumpFailed",
                                     "jump host " + target.to_string() + " could not connect to " + r.host + ":" +
                                         std::to_string(r.port) + (err.empty() ? "" : ": " + err),
                                     true));
      return;
    }
    ::fcntl(sv[0], F_SETFL, ::fcntl(sv[0], F_GETFL) | O_NONBLOCK);
    auto t = std::make_unique<Tunnel>();
    t->ch = ch;
    t->fd = sv[0];
    tunnels.push_back(std::move(t));
    ++open;
    r.set(sv[1]);
  }

  // One pass over every tunnel; true when any byte moved.
  bool service() {
    bool progress = false;
    char buf[32768];
    for (auto& tp : tunnels) {
      Tunnel& t = *tp;
      if (t.done) continue;
      // far side -> session
      if (!t.ch_eof && t.to_fd.size() < (1u << 20)) {
        int n = ssh_channel_read_nonblocking(t.ch, buf, sizeof buf, 0);
        if (n > 0) {
          t.to_fd.append(buf, static_cast<std::size_t>(n));
          progress = true;
        } else if (n == SSH_EOF || n == SSH_ERROR || ssh_channel_is_closed(t.ch)) {
          t.ch_eof = true;
        }
      }
      while (!t.to_fd.empty()) {
        ssize_t w = ::send(t.fd, t.to_fd.data(), t.to_fd.size(), MSG_NOSIGNAL);
        if (w <= 0) {
          if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) t.fd_eof = true, t.to_fd.clear();
          break;
        }
        t.to_fd.erase(0, static_cast<std::size_t>(w));
        progress = true;
      }
      if (t.ch_eof && t.to_fd.empty()) ::shutdown(t.fd, SHUT_WR);
      // session -> far side, never more than the channel's window so a write cannot block
      if (!t.fd_eof) {
        uint32_t window = ssh_channel_window_size(t.ch);
        if (window > 0) {
          ssize_t r = ::recv(t.fd, buf, std::min<std::size_t>(sizeof buf, window), 0);
          if (r > 0) {
            if (ssh_channel_write(t.ch, buf, static_cast<uint32_t>(r)) < 0) t.ch_eof = t.fd_eof = true;
            progress = true;
          } else if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
            t.fd_eof = true;
            if (ssh_channel_is_open(t.ch)) ssh_channel_send_eof(t.ch);
          }
        }
      }
      // Once the session has closed its end nothing more can be delivered to it.
      if (t.fd_eof) {
        close_tunnel(t);
        --open;
      }
    }
    std::erase_if(tunnels, [](const auto& t) { return t->done; });
    return progress;
  }

  void run() {
    int master_fd = ssh_get_fd(core->s);
    ssh_event event = ssh_event_new();
    ssh_event_add_session(event, core->s);
    struct EventGuard {
      ssh_event e;
      ssh_session s;
      ~EventGuard() {
        ssh_event_remove_session(e, s);
        ssh_event_free(e);
      }
    } event_guard{event, core->s};
    while (!stopping) {
      std::deque<std::shared_ptr<Request>> todo;
      {
        std::lock_guard<std::mutex> lock(mu);
        todo.swap(requests);
      }
      for (auto& r : todo) serve_request(*r);
      bool progress = false;
      for (int i = 0; i < 64 && service(); ++i) progress = true;
      if (!ssh_is_connected(core->s)) {
        core->dead = true;
        break;
      }
      if (progress) continue;
      std::vector<pollfd> fds{{wake[0], POLLIN, 0}, {master_fd, POLLIN, 0}};
      std::vector<Tunnel*> polled;
      for (auto& t : tunnels) {
        // POLLHUP is reported whatever is asked, so a session that goes away is seen even
        // while the channel's window is full.
        short ev = 0;
        if (!t->fd_eof && ssh_channel_window_size(t->ch) > 0) ev |= POLLIN;
        if (!t->to_fd.empty()) ev |= POLLOUT;
        fds.push_back({t->fd, ev, 0});
        polled.push_back(t.get());
      }
      if (::poll(fds.data(), fds.size(), 50) > 0 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
        // Channels at EOF are no longer read, yet their CLOSE (and keepalive replies) still
        // arrive: let libssh process whatever is on the socket.
        if (ssh_event_dopoll(event, 0) == SSH_ERROR && !ssh_is_connected(core->s)) core->dead = true;
      }
      for (std::size_t i = 0; i < polled.size(); ++i)
        if ((fds[i + 2].revents & (POLLHUP | POLLERR)) && !(fds[i + 2].revents & POLLIN)) polled[i]->fd_eof = true;
      if (fds[0].revents & POLLIN) {
        char drain[64];
        while (::read(wake[0], drain, sizeof drain) > 0) {
        }
      }
    }
    // The jump connection is gone (or we are stopping): fail whoever still waits.
    std::lock_guard<std::mutex> lock(mu);
    for (auto& r : requests)
      r->set(Error::make(ErrorKind::kNetwork, "JumpClosed", "the jump host connection is closed", true));
    requests.clear();
  }
};

JumpHost::JumpHost(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
JumpHost::~JumpHost() = default;

const Target& JumpHost::target() const { return impl_->target; }
std::size_t JumpHost::open_tunnels() const { return impl_->open.load(); }
bool JumpHost::alive() const { return !impl_->stopping && impl_->core && !impl_->core->dead; }

Result<std::shared_ptr<JumpHost>> JumpHost::connect(const Target& target, const SessionOptions& options) {
  SessionOptions o = options;
  o.jump.clear();
  o.forward_agent = false;
  AWSDL_ASSIGN_OR_RETURN(auto core, internal::connect_core(target, o, nullptr, -1));
  auto impl = std::make_unique<Impl>();
  impl->target = core->target;
  impl->core = std::move(core);
  if (::pipe2(impl->wake, O_CLOEXEC | O_NONBLOCK) != 0)
    return Error::make(ErrorKind::kIo, "PipeFailed", "cannot create the jump host's wake-up pipe");
  Impl* raw = impl.get();
  impl->pump = std::thread([raw] { raw->run(); });
  // Not make_shared: the constructor is private.
  return std::shared_ptr<JumpHost>(new JumpHost(std::move(impl)));
}

Result<int> JumpHost::open_tunnel(const std::string& host, int port, Millis timeout) {
  Impl& impl = *impl_;
  if (impl.stopping || !impl.core || impl.core->dead)
    return Error::make(ErrorKind::kNetwork, "JumpClosed", "the jump host connection is closed", true);
  auto req = std::make_shared<Impl::Request>();
  req->host = host;
  req->port = port;
  {
    std::lock_guard<std::mutex> lock(impl.mu);
    impl.requests.push_back(req);
  }
  impl.poke();
  std::unique_lock<std::mutex> lock(req->mu);
  if (!req->cv.wait_for(lock, timeout, [&] { return req->answer.has_value(); })) {
    req->abandoned = true;
    return Error::make(ErrorKind::kTimeout, "JumpTimeout",
                       "jump host " + impl.target.to_string() + " did not open a tunnel to " + host + ":" +
                           std::to_string(port) + " in time",
                       true);
  }
  return std::move(*req->answer);
}

}  // namespace awsdl::ssh
