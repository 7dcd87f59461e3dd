#include "ssh/host_key.hpp"

#include <map>
#include <memory>
#include <mutex>

#include "ssh/session_impl.hpp"

namespace awsdl::internal {

namespace {

std::mutex& file_mutex(const std::string& path) {
  static std::mutex registry_mu;
  static std::map<std::string, std::unique_ptr<std::mutex>> registry;
  std::lock_guard<std::mutex> lock(registry_mu);
  auto& m = registry[path];
  if (!m) m = std::make_unique<std::mutex>();
  return *m;
}

std::string fingerprint(ssh_session s) {
  ssh_key key = nullptr;
  if (ssh_get_server_publickey(s, &key) != SSH_OK || !key) return "(no key)";
  unsigned char* hash = nullptr;
  size_t len = 0;
  std::string out = "(unknown)";
  if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &len) == 0) {
    if (char* fp = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, len)) {
      out = std::string(ssh_key_type_to_char(ssh_key_type(key))) + " " + fp;
      ssh_string_free_char(fp);
    }
    ssh_clean_pubkey_hash(&hash);
  }
  ssh_key_free(key);
  return out;
}

std::string known_hosts_name(const ssh::Target& t) {
  return t.port == 22 ? t.host : "[" + t.host + "]:" + std::to_string(t.port);
}

}  // namespace

Status verify_host_key(ssh_session s, const ssh::Target& target, ssh::HostKeyPolicy policy,
                       const std::string& known_hosts) {
  if (policy == ssh::HostKeyPolicy::kInsecureAcceptAny) return {};
  std::lock_guard<std::mutex> lock(file_mutex(known_hosts));
  enum ssh_known_hosts_e state = ssh_session_is_known_server(s);
  const std::string who = known_hosts_name(target);
  switch (state) {
    case SSH_KNOWN_HOSTS_OK:
      return {};
    case SSH_KNOWN_HOSTS_CHANGED:
      return Error::make(ErrorKind::kService, "HostKeyChanged",
                         "host key for " + who + " has CHANGED (now " + fingerprint(s) + "); " + known_hosts +
                             " has a different key: this may be a man-in-the-middle attack. If the host was "
                             "rebuilt, remove the old key with: ssh-keygen -R '" + who + "' -f " + known_hosts);
    case SSH_KNOWN_HOSTS_OTHER:
      return Error::make(ErrorKind::kService, "HostKeyMismatch",
                         "host " + who + " offered a " + fingerprint(s) + " key but " + known_hosts +
                             " records a key of another type for it; refusing (remove the old entry with "
                             "ssh-keygen -R '" + who + "' -f " + known_hosts + " if the host was rebuilt)");
    case SSH_KNOWN_HOSTS_UNKNOWN:
    case SSH_KNOWN_HOSTS_NOT_FOUND:
      if (policy == ssh::HostKeyPolicy::kStrict)
        return Error::make(ErrorKind::kService, "HostKeyUnknown",
                           "host " + who + " (" + fingerprint(s) + ") is not in " + known_hosts +
                               " and the host key policy is strict; add its key first or use accept-new");
      if (ssh_session_update_known_hosts(s) != SSH_OK)
        return Error::make(ErrorKind::kIo, "KnownHostsWriteFailed",
                           "cannot record the key of " + who + " in " + known_hosts + ": " + ssh_get_error(s));
      return {};
    case SSH_KNOWN_HOSTS_ERROR:
    default:
      return Error::make(ErrorKind::kIo, "KnownHostsError",
                         "cannot check the key of " + who + " against " + known_hosts + ": " + ssh_get_error(s));
  }
}

}  // namespace awsdl::internal
