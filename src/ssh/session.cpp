#include "awsdl/ssh/session.hpp"

#include <libssh/server.h>  // ssh_send_keepalive, usable by clients too

#include "ssh/session_impl.hpp"

namespace awsdl::ssh {

Session::Session(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&&) noexcept = default;
Session::~Session() = default;

Result<Session> Session::connect(const Target& target, const SessionOptions& options) {
  std::shared_ptr<JumpHost> via;
  if (!options.jump.empty()) {
    AWSDL_ASSIGN_OR_RETURN(Target jt, parse_target(options.jump));
    SessionOptions jo = options;
    jo.jump.clear();
    jo.forward_agent = false;
    AWSDL_ASSIGN_OR_RETURN(via, JumpHost::connect(jt, jo));
  }
  return connect(target, options, std::move(via));
}

Result<Session> Session::connect(const Target& target, const SessionOptions& options, std::shared_ptr<JumpHost> via) {
  int fd = -1;
  if (via) {
    Target resolved = internal::resolve_target(target, options);
    AWSDL_ASSIGN_OR_RETURN(fd, via->open_tunnel(resolved.host, resolved.port,
                                                options.connect_timeout.count() > 0 ? options.connect_timeout
                                                                                    : Millis(10000)));
  }
  AWSDL_ASSIGN_OR_RETURN(auto core, internal::connect_core(target, options, std::move(via), fd));
  auto impl = std::make_unique<Impl>();
  impl->core = std::move(core);
  return Session(std::move(impl));
}

const Target& Session::target() const { return impl_->core->target; }

bool Session::alive() const {
  return impl_ && impl_->core && !impl_->core->dead && impl_->core->s && ssh_is_connected(impl_->core->s);
}

Status Session::keepalive() {
  if (!alive()) return Error::make(ErrorKind::kNetwork, "SessionClosed", "the session is closed");
  auto& c = *impl_->core;
  if (ssh_send_keepalive(c.s) != SSH_OK || !ssh_is_connected(c.s)) {
    c.dead = true;
    return internal::libssh_error(c.s, ErrorKind::kNetwork, "ConnectionLost", "keepalive to " + internal::describe(c.target));
  }
  return {};
}

void Session::close() {
  if (impl_ && impl_->core) impl_->core->close();
}

}  // namespace awsdl::ssh
