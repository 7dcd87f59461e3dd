// Metric definitions (NAME=REGEX, SageMaker's form) and the tracker that parses a growing log
// into bounded series. POSIX extended expressions (regcomp), so that a long line cannot blow the
// stack as a backtracking matcher can; Python's \d \s \w classes are translated.
#include <regex.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <deque>

#include "awsdl/cluster/monitor.hpp"

namespace awsdl::cluster {

namespace {

constexpr std::size_t kMaxNameBytes = 255;

bool name_char(char c, bool first) {
  if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_') return true;
  if (first) return false;
  return (c >= '0' && c <= '9') || c == '.' || c == ':' || c == '/' || c == '-';
}

// \d \D \s \S \w \W as POSIX bracket expressions (inside a bracket expression too: [\d.] is
// SageMaker's usual form). Other escapes are left as written.
std::string translate(std::string_view re) {
  std::string out;
  bool in_bracket = false;
  for (std::size_t i = 0; i < re.size(); ++i) {
    char c = re[i];
    if (c == '\\' && i + 1 < re.size()) {
      char n = re[i + 1];
      const char* cls = nullptr;
      bool negate = false;
      switch (n) {
        case 'd': cls = "0-9"; break;
        case 'D': cls = "0-9"; negate = true; break;
        case 's': cls = "[:space:]"; break;
        case 'S': cls = "[:space:]"; negate = true; break;
        case 'w': cls = "[:alnum:]_"; break;
        case 'W': cls = "[:alnum:]_"; negate = true; break;
        default: break;
      }
      if (cls && in_bracket && !negate) {
        out += cls;
        ++i;
        continue;
      }
      if (cls && !in_bracket) {
        out += negate ? "[^" : "[";
        out += cls;
        out += "]";
        ++i;
        continue;
      }
      out += c;
      out += n;
      ++i;
      continue;
    }
    if (c == '[' && !in_bracket) {
      in_bracket = true;
      out += c;
      // A ']' right after '[' or '[^' is a literal member.
      if (i + 1 < re.size() && re[i + 1] == '^') out += re[++i];
      if (i + 1 < re.size() && re[i + 1] == ']') out += re[++i];
      continue;
    }
    if (c == ']' && in_bracket) in_bracket = false;
    out += c;
  }
  return out;
}

constexpr std::size_t kMaxRegexBytes = 1024;
constexpr long kMaxRepeatProduct = 1000;

// glibc's regcomp copies a repeated part once per repetition: a quantifier on a quantifier
// (a++++...) or nested counted repeats ((a{99}){99}) make it allocate without bound. Such
// expressions are refused before they are compiled: "" when fine, else why not.
std::string repetition_problem(std::string_view re) {
  bool in_bracket = false, after_quantifier = false;
  long product = 1;
  for (std::size_t i = 0; i < re.size(); ++i) {
    char c = re[i];
    if (in_bracket) {
      if (c == ']') in_bracket = false;
      continue;
    }
    if (c == '\\') {
      ++i;
      after_quantifier = false;
      continue;
    }
    if (c == '[') {
      in_bracket = true;
      if (i + 1 < re.size() && re[i + 1] == '^') ++i;
      if (i + 1 < re.size() && re[i + 1] == ']') ++i;
      after_quantifier = false;
      continue;
    }
    const bool quantifier = c == '*' || c == '+' || c == '?' || c == '{';
    if (quantifier && after_quantifier) return "a repetition of a repetition (such as a++ or a*{2}): write it once";
    // X+ is compiled as XX*: on a group, a copy of the group (nested, a copy of copies).
    if (c == '+' && i > 0 && re[i - 1] == ')') {
      product = std::min(100000L, product * 2);
      if (product > kMaxRepeatProduct)
        return "its repeated groups multiply to more than " + std::to_string(kMaxRepeatProduct) + " copies";
    }
    if (c == '{') {
      auto close = re.find('}', i);
      if (close == std::string_view::npos) return {};  // regcomp says what is wrong
      // The largest count of {m}, {m,} or {m,n}; an open {m,} counts as m + 1.
      std::string_view body = re.substr(i + 1, close - i - 1);
      long hi = 0, cur = 0;
      bool digits = false;
      for (char d : body) {
        if (d >= '0' && d <= '9') {
          cur = std::min(100000L, cur * 10 + (d - '0'));
          digits = true;
        } else {
          hi = std::max(hi, cur);
          cur = 0;
        }
      }
      hi = std::max(hi, cur);
      if (!body.empty() && body.back() == ',') hi += 1;
      if (digits) product = std::min(100000L, product * std::max(1L, hi));
      if (product > kMaxRepeatProduct)
        return "its counted repetitions multiply to more than " + std::to_string(kMaxRepeatProduct) + " copies";
      i = close;
    }
    after_quantifier = quantifier;
  }
  return {};
}

struct Compiled {
  regex_t re{};
  bool ok = false;
  Compiled() = default;
  Compiled(const Compiled&) = delete;
  Compiled& operator=(const Compiled&) = delete;
  ~Compiled() {
    if (ok) regfree(&re);
  }
};

// Compiles `expression` (translated); the error text when it does not compile.
std::string compile(const std::string& expression, Compiled& c) {
  int rc = regcomp(&c.re, translate(expression).c_str(), REG_EXTENDED);
  if (rc != 0) {
    char buf[256];
    regerror(rc, &c.re, buf, sizeof buf);
    return buf;
  }
  c.ok = true;
  return {};
}

Error bad(std::string_view text, const std::string& why) {
  return Error::invalid_argument("BadMetricDefinition",
                                 "metric definition '" + std::string(text.substr(0, 200)) + "': " + why);
}

// A decimal number, exponent form included, the whole of `s`.
bool parse_value(const std::string& s, double& out) {
  if (s.empty()) return false;
  errno = 0;
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || errno == ERANGE) return false;
  out = v;
  return true;
}

}  // namespace

Result<MetricDefinition> parse_metric_definition(std::string_view text) {
  auto eq = text.find('=');
  if (eq == std::string_view::npos) return bad(text, "expected NAME=REGEX, such as 'loss=loss=([0-9.]+)'");
  std::string_view name = text.substr(0, eq);
  std::string regex(text.substr(eq + 1));
  if (name.empty()) return bad(text, "the name before '=' is empty");
  if (name.size() > kMaxNameBytes) return bad(text, "the name is longer than 255 characters");
  for (std::size_t i = 0; i < name.size(); ++i)
    if (!name_char(name[i], i == 0))
      return bad(text, "the name '" + std::string(name) +
                           "' must start with a letter or '_' and hold only letters, digits and _ . : / -");
  if (regex.empty()) return bad(text, "the expression after '=' is empty");
  if (regex.size() > kMaxRegexBytes) return bad(text, "the expression is longer than 1024 characters");
  if (auto why = repetition_problem(regex); !why.empty()) return bad(text, "the expression has " + why);
  Compiled c;
  if (auto why = compile(regex, c); !why.empty()) return bad(text, "the expression does not compile: " + why);
  if (c.re.re_nsub < 1) return bad(text, "the expression has no capture group: put the value in ( )");
  return MetricDefinition{std::string(name), std::move(regex)};
}

struct MetricTracker::Impl {
  std::vector<MetricDefinition> definitions;
  std::deque<Compiled> compiled;  // deque: regex_t must not move once compiled
  std::map<std::string, std::vector<MetricPoint>> series;
  std::size_t max_points = 1000;
  std::size_t max_line_bytes = 1u << 20;
  std::string pending;            // an unfinished line
  bool pending_too_long = false;  // the unfinished line is over the limit: drop it at its end
  std::uint64_t lines = 0;
  std::uint64_t skipped = 0;

  void add(const std::string& name, MetricPoint p) {
    auto& s = series[name];
    s.push_back(p);
    if (s.size() > max_points) s.erase(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(s.size() - max_points));
  }

  void line(std::string_view text, WallTime at) {
    ++lines;
    std::string l(text);
    if (!l.empty() && l.back() == '\r') l.pop_back();
    for (std::size_t d = 0; d < definitions.size(); ++d) {
      const regex_t& re = compiled[d].re;
      std::size_t off = 0;
      regmatch_t m[2];
      // Every match in the line, left to right; an empty match moves on by one character.
      while (off <= l.size() && regexec(&re, l.c_str() + off, 2, m, off ? REG_NOTBOL : 0) == 0) {
        if (m[1].rm_so >= 0) {
          double v = 0;
          if (parse_value(l.substr(off + static_cast<std::size_t>(m[1].rm_so),
                                   static_cast<std::size_t>(m[1].rm_eo - m[1].rm_so)),
                          v))
            add(definitions[d].name, MetricPoint{lines, at, v});
        }
        std::size_t next = off + static_cast<std::size_t>(m[0].rm_eo);
        off = next > off ? next : off + 1;
      }
    }
  }
};

MetricTracker::MetricTracker(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
MetricTracker::MetricTracker(MetricTracker&&) noexcept = default;
MetricTracker& MetricTracker::operator=(MetricTracker&&) noexcept = default;
MetricTracker::~MetricTracker() = default;

Result<MetricTracker> MetricTracker::make(std::vector<MetricDefinition> definitions, std::size_t max_points,
                                          std::size_t max_line_bytes) {
  auto impl = std::make_unique<Impl>();
  impl->max_points = max_points == 0 ? 1 : max_points;
  impl->max_line_bytes = max_line_bytes == 0 ? 1 : max_line_bytes;
  for (const auto& d : definitions) {
    // The same checks as parse_metric_definition, for definitions made in code.
    AWSDL_ASSIGN_OR_RETURN(auto checked, parse_metric_definition(d.name + "=" + d.regex));
    if (impl->series.count(checked.name))
      return Error::invalid_argument("BadMetricDefinition", "metric '" + checked.name + "' is defined twice");
    impl->compiled.emplace_back();
    (void)compile(checked.regex, impl->compiled.back());
    impl->series[checked.name];
    impl->definitions.push_back(std::move(checked));
  }
  return MetricTracker(std::move(impl));
}

void MetricTracker::feed(std::string_view text, WallTime at) {
  Impl& s = *impl_;
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string_view piece = text.substr(0, nl);
    if (!s.pending_too_long) {
      if (s.pending.size() + piece.size() > s.max_line_bytes) {
        s.pending.clear();
        s.pending_too_long = true;
      } else {
        s.pending.append(piece);
      }
    }
    if (nl == std::string_view::npos) return;  // the rest of this line comes later
    if (s.pending_too_long) {
      ++s.lines;
      ++s.skipped;
    } else {
      s.line(s.pending, at);
    }
    s.pending.clear();
    s.pending_too_long = false;
    text.remove_prefix(nl + 1);
  }
}

const std::vector<MetricDefinition>& MetricTracker::definitions() const { return impl_->definitions; }
const std::map<std::string, std::vector<MetricPoint>>& MetricTracker::series() const { return impl_->series; }
std::uint64_t MetricTracker::lines() const { return impl_->lines; }
std::uint64_t MetricTracker::skipped_lines() const { return impl_->skipped; }

}  // namespace awsdl::cluster
