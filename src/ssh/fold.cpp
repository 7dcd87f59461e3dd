#include "awsdl/ssh/fold.hpp"

#include <algorithm>
#include <map>

namespace awsdl::ssh {

std::vector<FoldedOutput> fold(const FanOutResult& result) {
  std::vector<FoldedOutput> groups;
  std::map<std::string, std::size_t> index;
  for (const auto& h : result.hosts) {
    std::string text = h.error ? "awsdl: " + h.error->to_string() + "\n" : h.out + h.err;
    if (!h.error && h.exit_status != 0)
      text += h.exit_signal.empty() ? "awsdl: exit status " + std::to_string(h.exit_status) + "\n"
                                    : "awsdl: killed by signal " + h.exit_signal + "\n";
    auto [it, fresh] = index.try_emplace(text, groups.size());
    if (fresh) groups.push_back({{}, text});
    groups[it->second].hosts.push_back(h.host);
  }
  return groups;
}

namespace {

struct Split {
  std::string prefix, digits, suffix;
};

// "node07.x" -> {"node", "07", ".x"}: the last run of digits. Hosts without digits have none.
Split split_host(const std::string& h) {
  auto end = h.find_last_of("0123456789");
  if (end == std::string::npos) return {h, "", ""};
  auto begin = h.find_last_not_of("0123456789", end);
  begin = begin == std::string::npos ? 0 : begin + 1;
  return {h.substr(0, begin), h.substr(begin, end + 1 - begin), h.substr(end + 1)};
}

}  // namespace

std::string compress_hosts(const std::vector<std::string>& hosts) {
  // Group by (prefix, suffix, digit width when zero padded), keep first-appearance order.
  struct Group {
    std::string prefix, suffix;
    std::size_t width;  // 0: no padding
    std::vector<unsigned long long> numbers;
    std::vector<std::string> literal;  // hosts that did not fit the numeric form
  };
  std::vector<Group> groups;
  for (const auto& h : hosts) {
    Split s = split_host(h);
    if (s.digits.empty() || s.digits.size() > 18) {
      groups.push_back({h, "", 0, {}, {h}});
      continue;
    }
    std::size_t width = (s.digits.size() > 1 && s.digits[0] == '0') ? s.digits.size() : 0;
    unsigned long long n = std::stoull(s.digits);
    auto it = std::find_if(groups.begin(), groups.end(), [&](const Group& g) {
      return g.literal.empty() && g.prefix == s.prefix && g.suffix == s.suffix &&
             (g.width == width || (width == 0 && g.width != 0 && s.digits.size() == g.width) ||
              (g.width == 0 && width == 0));
    });
    if (it == groups.end()) groups.push_back({s.prefix, s.suffix, width, {n}, {}});
    else it->numbers.push_back(n);
  }
  std::string out;
  for (auto& g : groups) {
    if (!out.empty()) out += ",";
    if (!g.literal.empty()) {
      out += g.literal[0];
      continue;
    }
    std::sort(g.numbers.begin(), g.numbers.end());
    g.numbers.erase(std::unique(g.numbers.begin(), g.numbers.end()), g.numbers.end());
    auto fmt = [&](unsigned long long n) {
      std::string d = std::to_string(n);
      if (d.size() < g.width) d.insert(0, g.width - d.size(), '0');
      return d;
    };
    if (g.numbers.size() == 1) {
      out += g.prefix + fmt(g.numbers[0]) + g.suffix;
      continue;
    }
    std::string ranges;
    for (std::size_t i = 0; i < g.numbers.size();) {
      std::size_t j = i;
      while (j + 1 < g.numbers.size() && g.numbers[j + 1] == g.numbers[j] + 1) ++j;
      if (!ranges.empty()) ranges += ",";
      ranges += j == i ? fmt(g.numbers[i]) : fmt(g.numbers[i]) + "-" + fmt(g.numbers[j]);
      i = j + 1;
    }
    out += g.prefix + "[" + ranges + "]" + g.suffix;
  }
  return out;
}

std::string format_folded(const std::vector<FoldedOutput>& groups) {
  std::string out;
  for (const auto& g : groups) {
    std::string names = compress_hosts(g.hosts);
    std::string rule(std::max<std::size_t>(16, std::min<std::size_t>(names.size(), 78)), '-');
    out += rule + "\n" + names + "\n" + rule + "\n" + g.output;
    if (!g.output.empty() && g.output.back() != '\n') out += "\n";
  }
  return out;
}

std::string prefix_lines(const std::string& host, const std::string& text) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t eol = text.find('\n', i);
    if (eol == std::string::npos) eol = text.size();
    out += host + ": " + text.substr(i, eol - i) + "\n";
    i = eol + 1;
  }
  return out;
}

}  // namespace awsdl::ssh
