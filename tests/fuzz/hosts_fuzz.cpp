// Host lists, as `awsdl-cluster exec --hosts/--hosts-file` and `awsdl-cluster hostfile` read
// them: ssh::parse_host_list then ssh::parse_target on each word (as the fan-out does), and
// mpi::parse_hosts with the hostfiles written back from what it read. What parses must print
// and parse back to the same thing.
//
// Input: byte 0 the default slot count (0 is refused, as the library refuses it), then the text.

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

  for (const std::string& word : awsdl::ssh::parse_host_list(text)) {
    auto target = awsdl::ssh::parse_target(word);
    if (!target) continue;
    auto again = awsdl::ssh::parse_target(target->to_string());
    require(again.ok() && *again == *target, "Target::to_string() parses back to the same target");
  }

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
