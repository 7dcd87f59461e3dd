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
  const std::string who = internal::describe(core.target);
  std::string full;
  for (const auto& [k, v] : options.env) {
    if (!valid_env_name(k)) return Error::invalid_argument("InvalidEnvName", "'" + k + "' is not a variable name");
    full += "export " + k + "=" + shell_quote(v) + "; ";
  }
  // One shell per command: sshd's login shell runs the command itself, so the user's shell
  // start-up files (~/.bashrc, which bash sources for commands sshd starts) run once, as for
  // ssh or pdsh. A marker goes before the command: in the shell's own command line and, once
  // exported, in the environment of everything it starts; on a timeout, kill_marked finds
  // them by it. (SSH "signal" requests would be simpler, but sshd refuses them for root
  // logins, which run without privilege separation.)
  const std::string marker = internal::random_hex_id();
  full += "export AWSDL_EXEC_ID=" + marker + "; " + command;

  auto start = std::chrono::steady_clock::now();
  Millis limit = options.timeout.value_or(core.options.command_timeout);
  std::optional<std::chrono::steady_clock::time_point> deadline;
  if (limit.count() > 0) deadline = start + limit;

  auto lost = [&](const std::string& what) {
    core.dead = !ssh_is_connected(core.s);
    return internal::libssh_error(core.s, ErrorKind::kNetwork, "ChannelFailed", what + " on " + who);
  };
  // Declared before the guard: closing the channel may still run these callbacks.
  ExitState exit;
  ssh_channel_callbacks_struct cb{};
  ssh_callbacks_init(&cb);
  cb.userdata = &exit;
  cb.channel_exit_status_function = on_exit_status;
  cb.channel_exit_signal_function = on_exit_signal;
  ChannelGuard guard{ssh_channel_new(core.s)};
  if (!guard.ch) return lost("cannot create a channel");
  if (ssh_channel_open_session(guard.ch) != SSH_OK) return lost("cannot open a session channel");
  ssh_set_channel_callbacks(guard.ch, &cb);
  guard.cb = &cb;
  if (core.options.forward_agent && ssh_channel_request_auth_agent(guard.ch) != SSH_OK)
    return lost("agent forwarding refused");
  if (ssh_channel_request_exec(guard.ch, full.c_str()) != SSH_OK) return lost("cannot start the command");
  if (!options.stdin_data.empty()) {
    const char* p = options.stdin_data.data();
    std::size_t left = options.stdin_data.size();
    while (left > 0) {
      int w = ssh_channel_write(guard.ch, p, static_cast<uint32_t>(std::min<std::size_t>(left, 32768)));
      if (w < 0) return lost("cannot write the command's input");
      p += w;
      left -= static_cast<std::size_t>(w);
    }
  }
  ssh_channel_send_eof(guard.ch);

  ExecResult result;
  bool eof[2] = {false, false};
  char buf[32768];
  int fd = ssh_get_fd(core.s);
  ssh_event event = nullptr;
  struct EventGuard {
    ssh_event& e;
    ssh_session s;
    ~EventGuard() {
      if (e) {
        ssh_event_remove_session(e, s);
        ssh_event_free(e);
      }
    }
  } event_guard{event, core.s};
  for (;;) {
    bool progress = false;
    for (int stream = 0; stream < 2; ++stream) {
      if (eof[stream]) continue;
      int n = ssh_channel_read_nonblocking(guard.ch, buf, sizeof buf, stream);
      if (n > 0) {
        progress = true;
        std::string_view chunk(buf, static_cast<std::size_t>(n));
        if (options.on_output) options.on_output(stream ? Stream::kStderr : Stream::kStdout, chunk);
        if (options.capture) {
          std::string& dst = stream ? result.err : result.out;
          std::size_t room = options.max_capture > dst.size() ? options.max_capture - dst.size() : 0;
          dst.append(chunk.substr(0, room));
          result.dropped_bytes += chunk.size() - std::min(room, chunk.size());
        }
      } else if (n == SSH_EOF) {
        eof[stream] = true;
      } else if (n == SSH_ERROR) {
        return lost("connection lost while the command ran");
      }
    }
    if (!core.agent_bridges.empty()) core.service_agent_bridges();
    bool closed = ssh_channel_is_closed(guard.ch);
    if ((eof[0] && eof[1] && exit.have_status) || closed) {
      if (closed) {
        // Whatever is still buffered belongs to the result.
        for (int stream = 0; stream < 2; ++stream) {
          int n;
          while ((n = ssh_channel_read_nonblocking(guard.ch, buf, sizeof buf, stream)) > 0) {
            if (options.on_output) options.on_output(stream ? Stream::kStderr : Stream::kStdout, {buf, size_t(n)});
            if (options.capture) (stream ? result.err : result.out).append(buf, static_cast<std::size_t>(n));
          }
        }
      }
      break;
    }
    if (progress) continue;
    if (options.cancel.cancelled() || (deadline && std::chrono::steady_clock::now() >= *deadline)) {
      bool cancelled = options.cancel.cancelled();
      ssh_channel_request_send_signal(guard.ch, "KILL");
      ssh_channel_close(guard.ch);
      kill_marked(marker);
      if (cancelled) return Error::make(ErrorKind::kCancelled, "Cancelled", "command cancelled on " + who);
      return Error::make(ErrorKind::kTimeout, "CommandTimeout",
                         "command did not finish within " + std::to_string(limit.count()) + " ms on " + who +
                             " (sent SIGKILL)",
                         false);
    }
    int wait_ms = 100;
    if (deadline) {
      auto left = std::chrono::duration_cast<Millis>(*deadline - std::chrono::steady_clock::now()).count();
      wait_ms = static_cast<int>(std::clamp<long long>(left, 0, 100));
    }
    std::vector<pollfd> fds{{fd, POLLIN, 0}};
    for (int afd : core.agent_fds()) fds.push_back({afd, POLLIN, 0});
    if (::poll(fds.data(), fds.size(), wait_ms) > 0 && (fds[0].revents & (POLLIN | POLLHUP | POLLERR))) {
      // ssh_channel_read_nonblocking stops reading the socket once a stream is at EOF, but
      // OpenSSH sends the exit status after the EOF: let libssh process what has arrived.
      if (!event) {
        event = ssh_event_new();
        if (event) ssh_event_add_session(event, core.s);
      }
      if (event && ssh_event_dopoll(event, 0) == SSH_ERROR && !ssh_is_connected(core.s))
        return lost("connection lost while the command ran");
    }
  }
  result.exit_status = exit.have_status ? exit.status : ssh_channel_get_exit_status(guard.ch);
  result.exit_signal = exit.signal;
  result.duration = std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - start);
  return result;
}

}  // namespace awsdl::ssh
