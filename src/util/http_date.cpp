#include "util/http_date.hpp"

#include <array>
#include <cctype>
#include <chrono>
#include <cstdio>

namespace awsdl::internal {
namespace {

constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
constexpr std::array<const char*, 7> kDays = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};  // 1970-01-01 was a Thursday

std::optional<WallTime> from_fields(int y, int mon, int d, int h, int mi, int s) {
  using namespace std::chrono;
  if (mon < 1 || mon > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60 || h < 0 || mi < 0 || s < 0)
    return std::nullopt;
  year_month_day ymd{year{y}, month{static_cast<unsigned>(mon)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return std::nullopt;
  return WallTime(sys_days(ymd)) + hours(h) + minutes(mi) + seconds(s);
}

int month_index(std::string_view m) {
  for (std::size_t i = 0; i < kMonths.size(); ++i)
    if (m.size() == 3 && std::tolower(static_cast<unsigned char>(m[0])) == std::tolower(static_cast<unsigned char>(kMonths[i][0])) &&
        std::tolower(static_cast<unsigned char>(m[1])) == kMonths[i][1] && std::tolower(static_cast<unsigned char>(m[2])) == kMonths[i][2])
      return static_cast<int>(i) + 1;
  return 0;
}

// Reads exactly `n` digits at `pos`.
bool digits(std::string_view t, std::size_t& pos, std::size_t n, int& out) {
  if (pos + n > t.size()) return false;
  int v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    char c = t[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  out = v;
  pos += n;
  return true;
}

bool lit(std::string_view t, std::size_t& pos, char c) {
  if (pos >= t.size() || t[pos] != c) return false;
  ++pos;
  return true;
}

}  // namespace

std::optional<WallTime> parse_http_date(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  char wday[16] = {}, mon[4] = {}, tz[8] = {};
  int d = 0, y = 0, h = 0, mi = 0, s = 0, n = 0;
  std::string t(text);
  // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
  if (std::sscanf(t.c_str(), "%15[A-Za-z], %d %3s %d %d:%d:%d %7s%n", wday, &d, mon, &y, &h, &mi, &s, tz, &n) == 8 &&
      static_cast<std::size_t>(n) == t.size() && (std::string_view(tz) == "GMT" || std::string_view(tz) == "UTC")) {
    if (int m = month_index(mon)) return from_fields(y, m, d, h, mi, s);
    return std::nullopt;
  }
  // RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT"
  if (std::sscanf(t.c_str(), "%15[A-Za-z], %d-%3s-%d %d:%d:%d %7s%n", wday, &d, mon, &y, &h, &mi, &s, tz, &n) == 8 &&
      static_cast<std::size_t>(n) == t.size()) {
    if (y < 100) y += y < 70 ? 2000 : 1900;
    if (int m = month_index(mon)) return from_fields(y, m, d, h, mi, s);
    return std::nullopt;
  }
  // asctime: "Sun Nov  6 08:49:37 1994"
  if (std::sscanf(t.c_str(), "%15[A-Za-z] %3s %d %d:%d:%d %d%n", wday, mon, &d, &h, &mi, &s, &y, &n) == 7 &&
      static_cast<std::size_t>(n) == t.size()) {
    if (int m = month_index(mon)) return from_fields(y, m, d, h, mi, s);
  }
  return std::nullopt;
}

std::string format_http_date(WallTime time) {
  using namespace std::chrono;
  auto secs = floor<seconds>(time);
  auto days = floor<std::chrono::days>(secs);
  year_month_day ymd{days};
  hh_mm_ss hms{secs - days};
  auto day_index = ((days.time_since_epoch().count() % 7) + 7) % 7;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02u %s %04d %02d:%02d:%02d GMT", kDays[static_cast<std::size_t>(day_index)],
                static_cast<unsigned>(ymd.day()), kMonths[static_cast<unsigned>(ymd.month()) - 1], static_cast<int>(ymd.year()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf;
}

std::optional<WallTime> parse_iso8601(std::string_view t) {
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.front()))) t.remove_prefix(1);
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.remove_suffix(1);
  std::size_t p = 0;
  int y, mo, d, h, mi, s;
  if (!digits(t, p, 4, y) || !lit(t, p, '-') || !digits(t, p, 2, mo) || !lit(t, p, '-') || !digits(t, p, 2, d))
    return std::nullopt;
  if (p >= t.size() || (t[p] != 'T' && t[p] != 't' && t[p] != ' ')) return std::nullopt;
  ++p;
  if (!digits(t, p, 2, h) || !lit(t, p, ':') || !digits(t, p, 2, mi) || !lit(t, p, ':') || !digits(t, p, 2, s))
    return std::nullopt;
  std::chrono::nanoseconds frac{0};
  if (p < t.size() && t[p] == '.') {
    ++p;
    long long scale = 100000000, ns = 0;
    std::size_t start = p;
    while (p < t.size() && std::isdigit(static_cast<unsigned char>(t[p]))) {
      ns += (t[p] - '0') * scale;
      scale /= 10;
      ++p;
    }
    if (p == start) return std::nullopt;
    frac = std::chrono::nanoseconds(ns);
  }
  std::chrono::minutes offset{0};
  if (p < t.size() && (t[p] == 'Z' || t[p] == 'z')) {
    ++p;
  } else if (p < t.size() && (t[p] == '+' || t[p] == '-')) {
    int sign = t[p] == '-' ? -1 : 1;
    ++p;
    int oh, om;
    if (!digits(t, p, 2, oh)) return std::nullopt;
    lit(t, p, ':');
    if (!digits(t, p, 2, om)) return std::nullopt;
    offset = std::chrono::minutes(sign * (oh * 60 + om));
  } else {
    return std::nullopt;  // a timestamp without a zone is ambiguous
  }
  if (p != t.size()) return std::nullopt;
  auto base = from_fields(y, mo, d, h, mi, s);
  if (!base) return std::nullopt;
  return *base + std::chrono::duration_cast<WallTime::duration>(frac) - offset;
}

std::string format_iso8601(WallTime time) {
  using namespace std::chrono;
  auto ms = floor<milliseconds>(time);
  auto secs = floor<seconds>(ms);
  auto days = floor<std::chrono::days>(secs);
  year_month_day ymd{days};
  hh_mm_ss hms{secs - days};
  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d", static_cast<int>(ymd.year()),
                        static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                        static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                        static_cast<int>(hms.seconds().count()));
  std::string out(buf, static_cast<std::size_t>(n));
  if (auto rem = (ms - secs).count(); rem != 0) {
    std::snprintf(buf, sizeof buf, ".%03d", static_cast<int>(rem));
    out += buf;
  }
  return out + "Z";
}

}  // namespace awsdl::internal
