// Session::exec: one channel, the command through the remote shell, stdout and stderr read
// as they come, the exit status or signal from the channel's requests.
#include <poll.h>

#include <algorithm>
#include <chrono>

#include "awsdl/ssh/quote.hpp"
#include "ssh/session_impl.hpp"

namespace awsdl::ssh {

namespace {

struct ExitState {
  bool have_status = false;
  int status = -1;
  std::string signal;
};

void on_exit_status(ssh_session, ssh_channel, int status, void* userdata) {
  auto* e = static_cast<ExitState*>(userdata);
  e->have_status = true;
  e->status = status;
}

void on_exit_signal(ssh_session, ssh_channel, const char* signal, int, const char*, const char*, void* userdata) {
  auto* e = static_cast<ExitState*>(userdata);
  e->have_status = true;
  e->status = -1;
  e->signal = signal ? signal : "";
}

struct ChannelGuard {
  ssh_channel ch;
  ssh_channel_callbacks cb = nullptr;
  ~ChannelGuard() {
    if (!ch) return;
    // A channel closed before the server confirmed it outlives ssh_channel_free inside
    // libssh, and late packets for it must not reach callbacks that lived on our stack.
    if (cb) ssh_remove_channel_callbacks(ch, cb);
    if (ssh_channel_is_open(ch)) ssh_channel_close(ch);
    ssh_channel_free(ch);
  }
};

// The session's socket is in at most one event at a time: ssh_event_add_session moves it out
// of the session's own poll context, and an event made while another still holds it gets
// nothing to poll. Released as soon as the channel is done with, before another command runs
// on the session (the kill after a timeout or a cancellation).
struct EventGuard {
  ssh_event e = nullptr;
  ssh_session s;
  void reset() {
    if (e) {
      ssh_event_remove_session(e, s);
      ssh_event_free(e);
      e = nullptr;
    }
  }
  ~EventGuard() { reset(); }
};

// "export K=V; ... export AWSDL_EXEC_ID=<marker>; <command>": one shell per command. sshd's
// login shell runs the command itself, so the user's shell start-up files (~/.bashrc, which
// bash sources for commands sshd starts) run once, as for ssh or pdsh. The marker goes before
// the command: in the shell's own command line and, once exported, in the environment of
// everything it starts; on a timeout, kill_marked finds them by it. (SSH "signal" requests
// would be simpler, but sshd refuses them for root logins, which run without privilege
// separation.)
Result<std::string> marked_command(const std::string& command, const ExecOptions& options, const std::string& marker) {
  std::string full;
  for (const auto& [k, v] : options.env) {
    if (!valid_env_name(k)) return Error::invalid_argument("InvalidEnvName", "'" + k + "' is not a variable name");
    full += "export " + k + "=" + shell_quote(v) + "; ";
  }
  full += "export AWSDL_EXEC_ID=" + marker + "; " + command;
  return full;
}

// One command's channel: opened, fed its input, read until the command is over. The members
// are in this order so that the event goes before the channel, and the channel before the
// callbacks it may still run.
class ExecChannel {
 public:
  ExecChannel(internal::SessionCore& core, const ExecOptions& options)
      : core_(core), options_(options), who_(internal::describe(core.target)), event_{nullptr, core.s} {
    ssh_callbacks_init(&cb_);
    cb_.userdata = &exit_;
    cb_.channel_exit_status_function = on_exit_status;
    cb_.channel_exit_signal_function = on_exit_signal;
  }

  const std::string& who() const { return who_; }

  /// Opens a session channel, starts `command` on it, writes the input, then EOF.
  Status start(const std::string& command) {
    guard_.ch = ssh_channel_new(core_.s);
    if (!guard_.ch) return lost("cannot create a channel");
    if (ssh_channel_open_session(guard_.ch) != SSH_OK) return lost("cannot open a session channel");
    ssh_set_channel_callbacks(guard_.ch, &cb_);
    guard_.cb = &cb_;
    if (core_.options.forward_agent && ssh_channel_request_auth_agent(guard_.ch) != SSH_OK)
      return lost("agent forwarding refused");
    if (ssh_channel_request_exec(guard_.ch, command.c_str()) != SSH_OK) return lost("cannot start the command");
    const char* p = options_.stdin_data.data();
    std::size_t left = options_.stdin_data.size();
    while (left > 0) {
      int w = ssh_channel_write(guard_.ch, p, static_cast<uint32_t>(std::min<std::size_t>(left, 32768)));
      if (w < 0) return lost("cannot write the command's input");
      p += w;
      left -= static_cast<std::size_t>(w);
    }
    ssh_channel_send_eof(guard_.ch);
    return {};
  }

  /// Reads what either stream has without waiting: true when anything came.
  Result<bool> read_available() {
    bool progress = false;
    for (int stream = 0; stream < 2; ++stream) {
      if (eof_[stream]) continue;
      int n = ssh_channel_read_nonblocking(guard_.ch, buf_, sizeof buf_, stream);
      if (n > 0) {
        progress = true;
        take(stream, {buf_, static_cast<std::size_t>(n)});
      } else if (n == SSH_EOF) {
        eof_[stream] = true;
      } else if (n == SSH_ERROR) {
        return lost("connection lost while the command ran");
      }
    }
    return progress;
  }

  /// Whether the command is over: both streams at EOF and its exit status in, or the channel
  /// closed (what it still buffered is read into the result first).
  bool finished() {
    bool closed = ssh_channel_is_closed(guard_.ch);
    if (closed) {
      for (int stream = 0; stream < 2; ++stream) {
        int n;
        while ((n = ssh_channel_read_nonblocking(guard_.ch, buf_, sizeof buf_, stream)) > 0)
          take(stream, {buf_, static_cast<std::size_t>(n)});
      }
    }
    return closed || (eof_[0] && eof_[1] && exit_.have_status);
  }

  /// Waits up to 100 ms (less when `deadline` is nearer) for the socket or an agent bridge,
  /// and lets libssh process what came on the socket.
  Status wait(std::optional<std::chrono::steady_clock::time_point> deadline) {
    int wait_ms = 100;
    if (deadline) {
      auto left = std::chrono::duration_cast<Millis>(*deadline - std::chrono::steady_clock::now()).count();
      wait_ms = static_cast<int>(std::clamp<long long>(left, 0, 100));
    }
    std::vector<pollfd> fds{{ssh_get_fd(core_.s), POLLIN, 0}};
    for (int afd : core_.agent_fds()) fds.push_back({afd, POLLIN, 0});
    if (::poll(fds.data(), fds.size(), wait_ms) > 0 && (fds[0].revents & (POLLIN | POLLHUP | POLLERR))) {
      // ssh_channel_read_nonblocking stops reading the socket once a stream is at EOF, but
      // OpenSSH sends the exit status after the EOF: let libssh process what has arrived.
      if (!event_.e) {
        event_.e = ssh_event_new();
        if (event_.e) ssh_event_add_session(event_.e, core_.s);
      }
      if (event_.e && ssh_event_dopoll(event_.e, 0) == SSH_ERROR && !ssh_is_connected(core_.s))
        return lost("connection lost while the command ran");
    }
    return {};
  }

  /// Sends SIGKILL to the command, closes the channel and gives the session back.
  void kill() {
    ssh_channel_request_send_signal(guard_.ch, "KILL");
    ssh_channel_close(guard_.ch);
    event_.reset();  // the kill that follows runs on this session
  }

  /// The output read, the exit status or signal, and the time since `start`.
  ExecResult result(std::chrono::steady_clock::time_point start) {
    result_.exit_status = exit_.have_status ? exit_.status : ssh_channel_get_exit_status(guard_.ch);
    result_.exit_signal = exit_.signal;
    result_.duration = std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - start);
    return std::move(result_);
  }

 private:
  Error lost(const std::string& what) {
    core_.dead = !ssh_is_connected(core_.s);
    return internal::libssh_error(core_.s, ErrorKind::kNetwork, "ChannelFailed", what + " on " + who_);
  }

  // To the caller's callback, and into the result up to max_capture per stream.
  void take(int stream, std::string_view chunk) {
    if (options_.on_output) options_.on_output(stream ? Stream::kStderr : Stream::kStdout, chunk);
    if (!options_.capture) return;
    std::string& dst = stream ? result_.err : result_.out;
    std::size_t room = options_.max_capture > dst.size() ? options_.max_capture - dst.size() : 0;
    dst.append(chunk.substr(0, room));
    result_.dropped_bytes += chunk.size() - std::min(room, chunk.size());
  }

  internal::SessionCore& core_;
  const ExecOptions& options_;
  const std::string who_;
  ExitState exit_;
  ssh_channel_callbacks_struct cb_{};
  ChannelGuard guard_{nullptr};
  EventGuard event_;
  ExecResult result_;
  bool eof_[2] = {false, false};
  char buf_[32768];
};

}  // namespace

void Session::kill_marked(const std::string& marker) {
  ExecOptions eo;
  eo.timeout = std::chrono::seconds(10);
  // The command's shell carries the marker in its command line (sshd ran it as `$SHELL -c
  // "export AWSDL_EXEC_ID=<marker>; ..."`), and so do subshells it forked; the programs it
  // started carry it in their environment. The patterns never match this script's own
  // processes: the bracket keeps the cmdline pattern from matching itself, and these run with
  // a marker of their own. Zombies have neither and drop out. Stopped first, so that no
  // shell starts another command between the listing and the kill; a few rounds catch what
  // was started meanwhile.
  const std::string cmdline = "export AWSDL_EXEC_ID=[" + marker.substr(0, 1) + "]" + marker.substr(1) + "; ";
  const std::string script =
      "marked() { { grep -l -a -x -z -F AWSDL_EXEC_ID=" + marker + " /proc/[0-9]*/environ; grep -l -a -z -e " +
      shell_quote(cmdline) + " /proc/[0-9]*/cmdline; } 2>/dev/null | sed -n 's#^/proc/\\([0-9]*\\)/[a-z]*$#\\1#p' | sort -u; }\n"
      "i=0\n"
      "while [ $i -lt 5 ]; do\n"
      "  p=$(marked); [ -z \"$p\" ] && break\n"
      "  kill -STOP $p 2>/dev/null; kill -KILL $p 2>/dev/null; i=$((i+1))\n"
      "done\n";
  // In sh whatever the login shell is: the script splits $p into words.
  (void)exec("/bin/sh -c " + shell_quote(script), eo);
}

Result<ExecResult> Session::exec(const std::string& command, const ExecOptions& options) {
  if (!alive()) return Error::make(ErrorKind::kNetwork, "SessionClosed", "the session is closed");
  auto& core = *impl_->core;
  const std::string marker = internal::random_hex_id();
  AWSDL_ASSIGN_OR_RETURN(std::string full, marked_command(command, options, marker));

  auto start = std::chrono::steady_clock::now();
  Millis limit = options.timeout.value_or(core.options.command_timeout);
  std::optional<std::chrono::steady_clock::time_point> deadline;
  if (limit.count() > 0) deadline = start + limit;

  ExecChannel channel(core, options);
  {
    // Opening the channel is one blocking protocol step, bounded by the session timeout (30 s
    // after the handshake): a command with a shorter limit bounds it too, so that a node that
    // stopped answering (a hung sshd) fails the command within its own timeout.
    const Millis session_limit = std::max(core.options.connect_timeout, Millis(30000));
    const bool shorter = limit.count() > 0 && limit < session_limit;
    auto set = [&](Millis t) {
      long sec = static_cast<long>(t.count() / 1000), usec = static_cast<long>((t.count() % 1000) * 1000);
      ssh_options_set(core.s, SSH_OPTIONS_TIMEOUT, &sec);
      ssh_options_set(core.s, SSH_OPTIONS_TIMEOUT_USEC, &usec);
    };
    if (shorter) set(limit);
    Status started = channel.start(full);
    if (shorter) set(session_limit);
    AWSDL_TRY(std::move(started));
  }
  for (;;) {
    AWSDL_ASSIGN_OR_RETURN(bool progress, channel.read_available());
    if (!core.agent_bridges.empty()) core.service_agent_bridges();
    if (channel.finished()) break;
    if (progress) continue;
    if (options.cancel.cancelled() || (deadline && std::chrono::steady_clock::now() >= *deadline)) {
      bool cancelled = options.cancel.cancelled();
      channel.kill();
      kill_marked(marker);
      if (cancelled) return Error::make(ErrorKind::kCancelled, "Cancelled", "command cancelled on " + channel.who());
      return Error::make(ErrorKind::kTimeout, "CommandTimeout",
                         "command did not finish within " + std::to_string(limit.count()) + " ms on " +
                             channel.who() + " (sent SIGKILL)",
                         false);
    }
    AWSDL_TRY(channel.wait(deadline));
  }
  return channel.result(start);
}

}  // namespace awsdl::ssh
