#include "awsdl/mpi/hostfile.hpp"

#include <charconv>

#include "awsdl/ssh/quote.hpp"

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

std::string hostfile(const std::vector<Host>& hosts, Format format) {
  std::string out;
  for (const auto& h : hosts) {
    switch (format) {
      case Format::kOpenMpi: out += h.name + " slots=" + std::to_string(h.slots) + "\n"; break;
      case Format::kMpich: out += h.name + ":" + std::to_string(h.slots) + "\n"; break;
      case Format::kHorovod:
        if (!out.empty()) out += ",";
        out += h.name + ":" + std::to_string(h.slots);
        break;
      case Format::kPlain: out += h.name + "\n"; break;
    }
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
  if (ec != std::errc() || p != text.data() + text.size() || n < 1 || n > 1000000)
    return Error::invalid_argument("InvalidSlots", "bad slot count in '" + std::string(entry) + "'");
  return n;
}
bool is_sep(char c) { return c == ',' || c == ' ' || c == '\t' || c == '\r'; }
}  // namespace

Result<std::vector<Host>> parse_hosts(std::string_view text, int default_slots) {
  if (default_slots < 1) return Error::invalid_argument("InvalidSlots", "slots must be at least 1");
  std::vector<Host> out;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t eol = text.find('\n', i);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(i, eol - i);
    i = eol + 1;
    if (auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    std::size_t j = 0;
    while (j < line.size()) {
      while (j < line.size() && is_sep(line[j])) ++j;
      std::size_t start = j;
      while (j < line.size() && !is_sep(line[j])) ++j;
      if (j == start) continue;
      std::string_view word = line.substr(start, j - start);
      if (word.rfind("slots=", 0) == 0) {
        if (out.empty()) return Error::invalid_argument("InvalidHostfile", "'slots=' before any host name");
        AWSDL_ASSIGN_OR_RETURN(out.back().slots, parse_slots(word.substr(6), line));
        continue;
      }
      if (word.rfind("max_slots=", 0) == 0 || word.rfind("max-slots=", 0) == 0) continue;
      Host h{std::string(word), default_slots};
      // "host:N" (MPICH, Horovod). A bracketed IPv6 address keeps its colons.
      if (auto colon = word.rfind(':'); colon != std::string_view::npos && word.find(']') == std::string_view::npos &&
                                        word.find(':') == colon) {
        h.name = std::string(word.substr(0, colon));
        AWSDL_ASSIGN_OR_RETURN(h.slots, parse_slots(word.substr(colon + 1), word));
      }
      if (h.name.empty()) return Error::invalid_argument("InvalidHostfile", "empty host name in '" + std::string(word) + "'");
      out.push_back(std::move(h));
    }
  }
  if (out.empty()) return Error::invalid_argument("NoHosts", "no host named");
  return out;
}

std::string workers_file(const std::vector<NamedNode>& workers) {
  std::string out;
  for (const auto& w : workers) out += w.name + " slots=" + std::to_string(w.slots) + "\n";
  return out;
}

std::string etc_hosts(const std::vector<NamedNode>& nodes) {
  std::string out;
  for (const auto& n : nodes) out += n.address + "\t" + n.name + "\n";
  return out;
}

std::string env_file(const ClusterEnv& env) {
  using ssh::shell_quote;
  return "export DEEPLEARNING_WORKERS_PATH=" + shell_quote(env.workers_path) + "\n" +
         "export DEEPLEARNING_WORKERS_COUNT=" + std::to_string(env.workers_count) + "\n" +
         "export DEEPLEARNING_WORKER_GPU_COUNT=" + std::to_string(env.worker_gpu_count) + "\n" +
         "export EFS_MOUNT=" + shell_quote(env.efs_mount) + "\n";
}

}  // namespace awsdl::mpi
