#include "ssh/host_list.hpp"

namespace awsdl::internal {
namespace {

bool is_separator(char c) { return c == ',' || c == ' ' || c == '\t' || c == '\r'; }

HostListWord classify(std::string_view word, std::string_view line) {
  using Kind = HostListWord::Kind;
  for (auto [prefix, kind] : {std::pair{std::string_view("slots="), Kind::kSlots},
                              std::pair{std::string_view("max_slots="), Kind::kMaxSlots},
                              std::pair{std::string_view("max-slots="), Kind::kMaxSlots}})
    if (word.starts_with(prefix)) return {kind, word, word.substr(prefix.size()), line};
  return {Kind::kHost, word, {}, line};
}

}  // namespace

std::vector<HostListWord> host_list_words(std::string_view text) {
  std::vector<HostListWord> out;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t eol = text.find('\n', i);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(i, eol - i);
    i = eol + 1;
    if (auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    std::size_t j = 0;
    while (j < line.size()) {
      while (j < line.size() && is_separator(line[j])) ++j;
      std::size_t start = j;
      while (j < line.size() && !is_separator(line[j])) ++j;
      if (j > start) out.push_back(classify(line.substr(start, j - start), line));
    }
  }
  return out;
}

}  // namespace awsdl::internal
