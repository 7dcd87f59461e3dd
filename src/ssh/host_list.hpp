#pragma once
// The words of a host list, read the same way for ssh::parse_host_list (names to connect to)
// and mpi::parse_hosts (names with slot counts): lines, '#' comments, and words separated by
// commas, spaces, tabs (and the '\r' of a CRLF file). Internal.

#include <string_view>
#include <vector>

namespace awsdl::internal {

struct HostListWord {
  enum class Kind {
    kHost,      // a host entry: "node1", "node1:4", "[::1]:2", "::1"
    kSlots,     // Open MPI's "slots=N", which belongs to the host before it
    kMaxSlots,  // Open MPI's "max_slots=N" / "max-slots=N"
  };
  Kind kind = Kind::kHost;
  std::string_view text;   // the whole word
  std::string_view value;  // kSlots / kMaxSlots: what follows '=' (unchecked)
  std::string_view line;   // the line the word stands in, its comment cut off (for errors)
};

/// Every word of `text`, in order. Views into `text`: it must outlive the result.
std::vector<HostListWord> host_list_words(std::string_view text);

}  // namespace awsdl::internal
