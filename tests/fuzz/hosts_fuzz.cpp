// Host lists, as `awsdl-cluster exec --hosts/--hosts-file` and `awsdl-cluster hostfile` read
// them: ssh::parse_host_list then ssh::parse_target on each word (as the fan-out does), and
// mpi::parse_hosts with the hostfiles written back from what it read; and the cluster's
// /etc/hosts lines and workers file for nodes named by the words. What parses must print and
// parse back to the same thing; what is written has one line per host.
//
// Input: byte 0 the default slot count (0 is refused, as the library refuses it), then the text.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "awsdl/mpi/hostfile.hpp"
#include "awsdl/ssh/target.hpp"
#include "fuzz_input.hpp"

using awsdl::fuzz::require;

namespace {

// hostfile() returns the text, or (once it refuses hosts it cannot write) a Result of it.
[[maybe_unused]] const std::string* text_of(const std::string& s) { return &s; }
[[maybe_unused]] const std::string* text_of(const awsdl::Result<std::string>& r) { return r ? &*r : nullptr; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  awsdl::fuzz::FuzzInput in(data, size);
  const int default_slots = in.byte() % 9;
  const std::string_view text = in.rest();

  const std::vector<std::string> words = awsdl::ssh::parse_host_list(text);
  for (const std::string& word : words) {
    auto target = awsdl::ssh::parse_target(word);
    if (!target) continue;
    auto again = awsdl::ssh::parse_target(target->to_string());
    require(again.ok() && *again == *target, "Target::to_string() parses back to the same target");
  }

  // The reference cluster's files from nodes named by the words ("address name" pairs):
  // /etc/hosts lines and the workers file, one line per node with nothing else on it.
  std::vector<awsdl::mpi::NamedNode> nodes;
  for (std::size_t i = 0; i + 1 < words.size(); i += 2) nodes.push_back({words[i + 1], words[i], default_slots});
  auto one_line_each = [&](const std::string* file) {
    if (!file) return;
    require(static_cast<std::size_t>(std::count(file->begin(), file->end(), '\n')) == nodes.size() &&
                file->find('\0') == std::string::npos && file->find('\r') == std::string::npos,
            "an /etc/hosts or workers file has one line per node and no NUL or CR");
  };
  one_line_each(text_of(awsdl::mpi::etc_hosts(nodes)));
  one_line_each(text_of(awsdl::mpi::workers_file(nodes)));

  auto hosts = awsdl::mpi::parse_hosts(text, default_slots);
  if (!hosts) return 0;
  (void)awsdl::mpi::total_slots(*hosts);
  for (auto format : {awsdl::mpi::Format::kOpenMpi, awsdl::mpi::Format::kMpich, awsdl::mpi::Format::kHorovod,
                      awsdl::mpi::Format::kPlain}) {
    const auto written = awsdl::mpi::hostfile(*hosts, format);
    const std::string* file = text_of(written);
    if (!file || format != awsdl::mpi::Format::kOpenMpi) continue;
    auto back = awsdl::mpi::parse_hosts(*file, 1);
    require(back.ok() && *back == *hosts, "an Open MPI hostfile written from parsed hosts reads back the same hosts");
  }
  return 0;
}
