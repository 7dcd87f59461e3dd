#include "awsdl/mpi/hostfile.hpp"
#include "awsdl/mpi/launch.hpp"

#include <arpa/inet.h>

#include <charconv>

#include "awsdl/ssh/quote.hpp"
#include "awsdl/ssh/target.hpp"
#include "ssh/host_list.hpp"

namespace awsdl::mpi {

const char* to_string(Format format) {
  switch (format) {
    case Format::kOpenMpi: return "openmpi";
    case Format::kMpich: return "mpich";
    case Format::kHorovod: return "horovod";
    case Format::kPlain: return "plain";
  }
  return "?";
}

Result<Format> parse_format(std::string_view text) {
  for (Format f : {Format::kOpenMpi, Format::kMpich, Format::kHorovod, Format::kPlain})
    if (text == to_string(f)) return f;
  return Error::invalid_argument("InvalidFormat",
                                 "hostfile format must be openmpi, mpich, horovod or plain, not '" + std::string(text) + "'");
}

namespace {

constexpr int kMaxSlots = 1000000;

bool is_v6(const std::string& name) { return name.find(':') != std::string::npos; }

// What the writers put in a file must read back as the same hosts and never as anything
// else: a host that check_host refuses (spaces, '#', ',', newlines, a leading '-' that ssh
// would take for an option) is refused, as is a slot count parse_hosts would refuse.
Status check_entry(const std::string& name, int slots) {
  AWSDL_TRY(ssh::check_host(name));
  if (slots < 1 || slots > kMaxSlots)
    return Error::invalid_argument("InvalidSlots", name + " has " + std::to_string(slots) + " slots (1 to " +
                                                       std::to_string(kMaxSlots) + ")");
  return {};
}

}  // namespace

Result<std::string> hostfile(const std::vector<Host>& hosts, Format format) {
  std::string out;
  for (const auto& h : hosts) {
    AWSDL_TRY(check_entry(h.name, h.slots));
    // "name:N" would be ambiguous with an IPv6 address: brackets, as parse_hosts reads them.
    const std::string colon_name = is_v6(h.name) ? "[" + h.name + "]" : h.name;
    switch (format) {
      case Format::kOpenMpi: out += h.name + " slots=" + std::to_string(h.slots) + "\n"; break;
      case Format::kMpich: out += colon_name + ":" + std::to_string(h.slots) + "\n"; break;
      case Format::kHorovod:
        if (!out.empty()) out += ",";
        out += colon_name + ":" + std::to_string(h.slots);
        break;
      case Format::kPlain: out += h.name + "\n"; break;
    }
  }
  return out;
}

Result<std::vector<Host>> hosts_by_type(const std::vector<TypedNode>& nodes, const std::map<std::string, int>& gpus_by_type,
                                        int slots_per_node) {
  std::vector<Host> out;
  out.reserve(nodes.size());
  for (const auto& n : nodes) {
    int slots = slots_per_node;
    if (slots <= 0) {
      auto it = gpus_by_type.find(n.instance_type);
      if (it == gpus_by_type.end())
        return Error::invalid_argument("UnknownInstanceType",
                                       n.address + " is a " + (n.instance_type.empty() ? "node of no known type" : n.instance_type) +
                                           ", whose GPU count is not known (describe the type, or set the slots per node)");
      slots = it->second > 0 ? it->second : 1;
    }
    AWSDL_TRY(check_entry(n.address, slots));
    out.push_back({n.address, slots});
  }
  return out;
}

int total_slots(const std::vector<Host>& hosts) {
  int n = 0;
  for (const auto& h : hosts) n += h.slots;
  return n;
}

namespace {
Result<int> parse_slots(std::string_view text, std::string_view entry) {
  int n = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || p != text.data() + text.size() || n < 1 || n > kMaxSlots)
    return Error::invalid_argument("InvalidSlots", "bad slot count in '" + std::string(entry) + "'");
  return n;
}

// One host entry: "name", "name:N", "[v6]", "[v6]:N", or a bare IPv6 address (its last
// group is never a slot count).
Result<Host> parse_entry(std::string_view word, int default_slots) {
  Host h{std::string(word), default_slots};
  if (!word.empty() && word.front() == '[') {
    auto close = word.find(']');
    if (close == std::string_view::npos)
      return Error::invalid_argument("InvalidHostfile", "unclosed '[' in '" + std::string(word) + "'");
    h.name = std::string(word.substr(1, close - 1));
    std::string_view after = word.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':')
        return Error::invalid_argument("InvalidHostfile", "unexpected text after ']' in '" + std::string(word) + "'");
      AWSDL_ASSIGN_OR_RETURN(h.slots, parse_slots(after.substr(1), word));
    }
    if (!is_v6(h.name))
      return Error::invalid_argument("InvalidHostfile", "only an IPv6 address goes in brackets: '" + std::string(word) + "'");
  } else if (auto colon = word.find(':'); colon != std::string_view::npos && word.find(':', colon + 1) == std::string_view::npos) {
    h.name = std::string(word.substr(0, colon));
    AWSDL_ASSIGN_OR_RETURN(h.slots, parse_slots(word.substr(colon + 1), word));
  }
  if (h.name.empty()) return Error::invalid_argument("InvalidHostfile", "empty host name in '" + std::string(word) + "'");
  if (auto ok = ssh::check_host(h.name); !ok)
    return Error::invalid_argument("InvalidHost", "'" + std::string(word) + "' in the host list: " + ok.error().message);
  return h;
}
}  // namespace

Result<std::vector<Host>> parse_hosts(std::string_view text, int default_slots) {
  if (default_slots < 1 || default_slots > kMaxSlots)
    return Error::invalid_argument("InvalidSlots", "slots must be from 1 to " + std::to_string(kMaxSlots));
  std::vector<Host> out;
  for (const auto& word : internal::host_list_words(text)) {
    switch (word.kind) {
      case internal::HostListWord::Kind::kSlots: {
        if (out.empty()) return Error::invalid_argument("InvalidHostfile", "'slots=' before any host name");
        AWSDL_ASSIGN_OR_RETURN(out.back().slots, parse_slots(word.value, word.line));
        break;
      }
      case internal::HostListWord::Kind::kMaxSlots: break;
      case internal::HostListWord::Kind::kHost: {
        AWSDL_ASSIGN_OR_RETURN(Host h, parse_entry(word.text, default_slots));
        out.push_back(std::move(h));
        break;
      }
    }
  }
  if (out.empty()) return Error::invalid_argument("NoHosts", "no host named");
  return out;
}

Result<std::string> workers_file(const std::vector<NamedNode>& workers) {
  std::string out;
  for (const auto& w : workers) {
    AWSDL_TRY(check_entry(w.name, w.slots));
    out += w.name + " slots=" + std::to_string(w.slots) + "\n";
  }
  return out;
}

Result<std::string> etc_hosts(const std::vector<NamedNode>& nodes) {
  std::string out;
  for (const auto& n : nodes) {
    // An address, then a name (not an address: /etc/hosts maps names to addresses).
    in_addr a4{};
    in6_addr a6{};
    // inet_pton reads a C string: a NUL would end the address there and let what follows through.
    if (n.address.find('\0') != std::string::npos ||
        (::inet_pton(AF_INET, n.address.c_str(), &a4) != 1 && ::inet_pton(AF_INET6, n.address.c_str(), &a6) != 1))
      return Error::invalid_argument("InvalidAddress", "'" + n.address + "' (for " + n.name + ") is not an IP address");
    AWSDL_TRY(ssh::check_host(n.name));
    if (n.name.find(':') != std::string::npos || ::inet_pton(AF_INET, n.name.c_str(), &a4) == 1)
      return Error::invalid_argument("InvalidHost", "'" + n.name + "' is an address, not a host name");
    out += n.address + "\t" + n.name + "\n";
  }
  return out;
}

namespace {
std::string efa_exports(bool efa) {
  std::string out;
  if (efa)
    for (const auto& [name, value] : efa_environment()) out += "export " + name + "=" + ssh::shell_quote(value) + "\n";
  return out;
}
}  // namespace

std::string env_file(const ClusterEnv& env) {
  using ssh::shell_quote;
  return "export DEEPLEARNING_WORKERS_PATH=" + shell_quote(env.workers_path) + "\n" +
         "export DEEPLEARNING_WORKERS_COUNT=" + std::to_string(env.workers_count) + "\n" +
         "export DEEPLEARNING_WORKER_GPU_COUNT=" + std::to_string(env.worker_gpu_count) + "\n" +
         "export EFS_MOUNT=" + shell_quote(env.efs_mount) + "\n" + efa_exports(env.efa);
}

}  // namespace awsdl::mpi
