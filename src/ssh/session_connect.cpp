// Connecting a session: TCP (or a jump host's tunnel), handshake, host key, authentication.
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <random>

#include "ssh/host_key.hpp"
#include "ssh/session_impl.hpp"

namespace awsdl::internal {

std::string describe(const ssh::Target& t) { return t.user + "@" + ssh::Target{"", t.host, t.port}.to_string(); }

Error libssh_error(ssh_session s, ErrorKind kind, const std::string& code, const std::string& context) {
  std::string detail = s ? ssh_get_error(s) : "";
  return Error::make(kind, code, context + (detail.empty() ? "" : ": " + detail),
                     kind == ErrorKind::kNetwork || kind == ErrorKind::kTimeout);
}

std::string expand_home(const std::string& path) {
  if (path.rfind("~/", 0) != 0) return path;
  const char* home = std::getenv("HOME");
  std::string h = home ? home : "";
  if (h.empty())
    if (const passwd* pw = getpwuid(getuid())) h = pw->pw_dir;
  return h + path.substr(1);
}

std::string random_hex_id() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char* digits = "0123456789abcdef";
  std::string s(32, '0');
  for (auto& c : s) c = digits[rng() & 15];
  return s;
}

ssh::Target resolve_target(const ssh::Target& target, const ssh::SessionOptions& options) {
  ssh::Target t = target;
  if (t.user.empty()) t.user = options.user;
  if (t.user.empty())
    if (const char* u = std::getenv("USER"); u && *u) t.user = u;
  if (t.user.empty())
    if (const passwd* pw = getpwuid(getuid())) t.user = pw->pw_name;
  if (t.user.empty()) t.user = "root";
  if (t.port == 0) t.port = options.port > 0 ? options.port : 22;
  return t;
}

SessionCore::~SessionCore() { close(); }

void SessionCore::close() {
  for (auto& b : agent_bridges) {
    if (b->fd >= 0) ::close(b->fd);
    b->fd = -1;
  }
  agent_bridges.clear();
  if (s) {
    if (ssh_is_connected(s)) ssh_disconnect(s);

    ssh_free(s);
    s = nullptr;
  }
  if (tunnel_fd >= 0) ::close(tunnel_fd);
  tunnel_fd = -1;
  dead = true;
  via.reset();
}

namespace {

// Opened by the server when a remote command uses the forwarded agent.
ssh_channel on_agent_channel(ssh_session session, void* userdata) {
  auto* core = static_cast<SessionCore*>(userdata);
  const char* sock = std::getenv("SSH_AUTH_SOCK");
  if (!sock || !*sock) return nullptr;
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return nullptr;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", sock);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return nullptr;
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  ssh_channel ch = ssh_channel_new(session);
  if (!ch) {
    ::close(fd);
    return nullptr;
  }
  auto b = std::make_unique<AgentBridge>();
  b->channel = ch;
  b->fd = fd;
  core->agent_bridges.push_back(std::move(b));
  return ch;
}

void set_timeout(ssh_session s, Millis t) {
  long sec = static_cast<long>(t.count() / 1000);
  long usec = static_cast<long>((t.count() % 1000) * 1000);
  ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &sec);
  ssh_options_set(s, SSH_OPTIONS_TIMEOUT_USEC, &usec);
}

std::vector<std::string> default_identities() {
  std::vector<std::string> out;
  for (const char* name : {"~/.ssh/id_ed25519", "~/.ssh/id_ecdsa", "~/.ssh/id_rsa"}) {
    std::string p = expand_home(name);
    struct stat st{};
    if (::stat(p.c_str(), &st) == 0) out.push_back(p);
  }
  return out;
}

Status authenticate(ssh_session s, const ssh::Target& t, const ssh::SessionOptions& o) {
  std::string tried;
  if (o.use_agent) {
    const char* sock = std::getenv("SSH_AUTH_SOCK");
    if (sock && *sock) {
      tried = "the agent";
      int rc = ssh_userauth_agent(s, nullptr);
      if (rc == SSH_AUTH_SUCCESS) return {};
      if (rc == SSH_AUTH_ERROR)
        return libssh_error(s, ErrorKind::kNetwork, "AuthenticationError", "authenticating to " + describe(t));
    }
  }
  std::vector<std::string> keys;
  for (const auto& k : o.identity_files) keys.push_back(expand_home(k));
  if (o.identity_files.empty()) keys = default_identities();
  std::string unreadable;
  for (const auto& path : keys) {
    ssh_key key = nullptr;
    if (ssh_pki_import_privkey_file(path.c_str(), nullptr, nullptr, nullptr, &key) != SSH_OK || !key) {
      unreadable += (unreadable.empty() ? "" : ", ") + path;
      continue;
    }
    tried += (tried.empty() ? "" : ", ") + path;
    int rc = ssh_userauth_publickey(s, nullptr, key);
    ssh_key_free(key);
    if (rc == SSH_AUTH_SUCCESS) return {};
    if (rc == SSH_AUTH_ERROR)
      return libssh_error(s, ErrorKind::kNetwork, "AuthenticationError", "authenticating to " + describe(t));
  }
  std::string msg = describe(t) + " accepted none of the keys offered (tried: " + (tried.empty() ? "nothing" : tried) + ")";
  if (!unreadable.empty())
    msg += "; could not read " + unreadable + " (missing, or protected by a passphrase: load it into an agent)";
  return Error::make(ErrorKind::kCredentials, "AuthenticationFailed", msg);
}

ErrorKind classify_connect_failure(ssh_session s) {
  std::string e = ssh_get_error(s);
  if (e.find("imeout") != std::string::npos || e.find("timed out") != std::string::npos) return ErrorKind::kTimeout;
  return ErrorKind::kNetwork;
}

}  // namespace

Result<std::unique_ptr<SessionCore>> connect_core(const ssh::Target& target, const ssh::SessionOptions& options,
                                                  std::shared_ptr<ssh::JumpHost> via, int tunnel_fd) {
  auto core = std::make_unique<SessionCore>();
  core->target = resolve_target(target, options);
  core->options = options;
  core->via = std::move(via);
  const ssh::Target& t = core->target;
  core->s = ssh_new();
  if (!core->s) {
    if (tunnel_fd >= 0) ::close(tunnel_fd);
    tunnel_fd = -1;
    return Error::make(ErrorKind::kInternal, "OutOfMemory", "ssh_new failed");
  }
  ssh_session s = core->s;
  int verbosity = SSH_LOG_NOLOG;
  int no = 0, yes = 1;
  ssh_options_set(s, SSH_OPTIONS_LOG_VERBOSITY, &verbosity);
  ssh_options_set(s, SSH_OPTIONS_HOST, t.host.c_str());
  ssh_options_set(s, SSH_OPTIONS_PORT, &t.port);
  ssh_options_set(s, SSH_OPTIONS_USER, t.user.c_str());
  ssh_options_set(s, SSH_OPTIONS_PROCESS_CONFIG, &no);  // the caller's options only, not ~/.ssh/config
  ssh_options_set(s, SSH_OPTIONS_NODELAY, &yes);
  std::string known = expand_home(options.known_hosts.empty() ? "~/.ssh/known_hosts" : options.known_hosts);
  ssh_options_set(s, SSH_OPTIONS_KNOWNHOSTS, known.c_str());
  // Never SSH_OPTIONS_STRICTHOSTKEYCHECK = 0: libssh then reports every unknown host as
  // known. The policy is applied in verify_host_key.
  set_timeout(s, options.connect_timeout.count() > 0 ? options.connect_timeout : Millis(10000));
  if (tunnel_fd >= 0) {
    // libssh leaves a descriptor it was handed open (checked: the bastion test counts the
    // process's descriptors), so the session closes it itself in close().
    core->tunnel_fd = tunnel_fd;
    ssh_options_set(s, SSH_OPTIONS_FD, &tunnel_fd);
  }

  if (ssh_connect(s) != SSH_OK) {
    std::string how = core->via ? " through jump host " + core->via->target().to_string() : "";
    ErrorKind kind = classify_connect_failure(s);
    return libssh_error(s, kind, kind == ErrorKind::kTimeout ? "ConnectTimeout" : "ConnectFailed",
                        "cannot connect to " + describe(t) + how);
  }
  if (tunnel_fd < 0) {
    int fd = ssh_get_fd(s);
    if (fd >= 0 && options.keepalive_interval.count() > 0) {
      int idle = std::max<int>(1, static_cast<int>(options.keepalive_interval.count() / 1000));
      ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &yes, sizeof yes);
      ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
    }
  }
  AWSDL_TRY(verify_host_key(s, t, options.host_key_policy, known));
  AWSDL_TRY(authenticate(s, t, options));
  if (options.forward_agent) {
    ssh_callbacks_init(&core->callbacks);
    core->callbacks.userdata = core.get();
    core->callbacks.channel_open_request_auth_agent_function = on_agent_channel;
    ssh_set_callbacks(s, &core->callbacks);
  }
  // Commands may run far longer than a handshake: exec() keeps its own deadline, and the
  // session timeout only bounds single blocking protocol steps.
  set_timeout(s, std::max(options.connect_timeout, Millis(30000)));
  if (options.logger.enabled(LogLevel::kDebug)) options.logger.log(LogLevel::kDebug, "ssh: connected to " + describe(t));
  return core;
}

void SessionCore::service_agent_bridges() {
  char buf[16384];
  for (auto& b : agent_bridges) {
    if (b->closed) continue;
    // channel -> agent
    for (int guard = 0; guard < 64; ++guard) {
      int n = ssh_channel_read_nonblocking(b->channel, buf, sizeof buf, 0);
      if (n > 0) b->to_agent.append(buf, static_cast<std::size_t>(n));
      else {
        if (n == SSH_EOF || n == SSH_ERROR || ssh_channel_is_closed(b->channel)) b->closed = true;
        break;
      }
    }
    while (!b->to_agent.empty()) {
      ssize_t w = ::write(b->fd, b->to_agent.data(), b->to_agent.size());
      if (w <= 0) break;
      b->to_agent.erase(0, static_cast<std::size_t>(w));
    }
    // agent -> channel
    for (int guard = 0; guard < 64; ++guard) {
      ssize_t r = ::read(b->fd, buf, sizeof buf);
      if (r > 0) {
        if (ssh_channel_write(b->channel, buf, static_cast<uint32_t>(r)) < 0) b->closed = true;
      } else {
        if (r == 0) b->closed = true;
        break;
      }
    }
  }
  for (auto it = agent_bridges.begin(); it != agent_bridges.end();) {
    if ((*it)->closed) {
      ::close((*it)->fd);
      if (ssh_channel_is_open((*it)->channel)) {
        ssh_channel_send_eof((*it)->channel);
        ssh_channel_close((*it)->channel);
      }
      ssh_channel_free((*it)->channel);
      it = agent_bridges.erase(it);
    } else {
      ++it;
    }
  }
}

std::vector<int> SessionCore::agent_fds() const {
  std::vector<int> out;
  for (const auto& b : agent_bridges)
    if (!b->closed) out.push_back(b->fd);
  return out;
}

}  // namespace awsdl::internal
