#include "auth/sigv4_canonical.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <vector>

namespace awsdl::internal::sigv4 {

namespace {

constexpr char kUpperHex[] = "0123456789ABCDEF";

// Character classes by table: the canonicalisers look at every byte of a request.
enum : unsigned char { kUnreserved = 1, kSpace = 2 };
struct CharTable {
  unsigned char cls[256] = {};
  char lower[256] = {};
  constexpr CharTable() {
    for (int c = 0; c < 256; ++c) {
      const bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
      if (alnum || c == '-' || c == '_' || c == '.' || c == '~') cls[c] |= kUnreserved;
      // Header values are folded the way botocore's ' '.join(value.split()) does for ASCII.
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f') cls[c] |= kSpace;
      lower[c] = static_cast<char>((c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c);
    }
  }
};
constexpr CharTable kChars;

constexpr bool is_unreserved(unsigned char c) { return (kChars.cls[c] & kUnreserved) != 0; }
constexpr bool is_space(char c) { return (kChars.cls[static_cast<unsigned char>(c)] & kSpace) != 0; }
constexpr char to_lower(char c) { return kChars.lower[static_cast<unsigned char>(c)]; }

constexpr int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void append_encoded_byte(std::string& out, unsigned char c) {
  const char enc[3] = {'%', kUpperHex[c >> 4], kUpperHex[c & 0x0f]};
  out.append(enc, 3);
}

// Decodes %XX escapes (either case) and re-encodes canonically, in one pass. A '%' not
// followed by two hex digits is a literal percent sign.
void append_recoded(std::string& out, std::string_view s) {
  if (std::all_of(s.begin(), s.end(), [](char c) { return is_unreserved(static_cast<unsigned char>(c)); })) {
    out.append(s);
    return;
  }
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c == '%' && i + 2 < s.size()) {
      const int hi = hex_value(s[i + 1]);
      const int lo = hex_value(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        c = static_cast<unsigned char>(hi * 16 + lo);
        i += 2;
      }
    }
    if (is_unreserved(c))
      out.push_back(static_cast<char>(c));
    else
      append_encoded_byte(out, c);
  }
}

// Leading and trailing whitespace dropped, inner runs folded to one space.
void append_trimmed(std::string& out, std::string_view value) {
  std::size_t b = 0;
  std::size_t e = value.size();
  while (b < e && is_space(value[b])) ++b;
  while (e > b && is_space(value[e - 1])) --e;
  value = value.substr(b, e - b);
  bool simple = true;  // the usual case: single spaces between words, nothing to fold
  const char* v = value.data();
  for (std::size_t i = 0, n = value.size(); i < n; ++i) {
    if (is_space(v[i]) && (v[i] != ' ' || is_space(v[i + 1]))) {
      simple = false;
      break;
    }
  }
  if (simple) {
    out.append(value);
    return;
  }
  bool pending_space = false;
  for (char c : value) {
    if (is_space(c)) {
      pending_space = true;
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
}

struct Span {
  std::uint32_t offset;
  std::uint32_t length;
};

inline std::string_view view(const std::string& arena, Span s) { return {arena.data() + s.offset, s.length}; }

// Scratch space reused across calls on the same thread, so a signature allocates nothing
// here once warm.
struct QueryScratch {
  std::string arena;
  struct Pair {
    Span key;
    Span value;
  };
  std::vector<Pair> pairs;
};

struct HeaderScratch {
  std::string arena;
  struct Item {
    Span name;
    Span value;
    std::uint32_t index;
  };
  std::vector<Item> items;
};

bool is_excluded_header(std::string_view lower_name) {
  return lower_name == "user-agent" || lower_name == "expect" || lower_name == "x-amzn-trace-id";
}

}  // namespace

void format_amz_date(WallTime time, char out[16]) {
  using namespace std::chrono;
  const auto secs = floor<seconds>(time);
  const auto day = floor<days>(secs);
  const year_month_day ymd{day};
  const hh_mm_ss hms{secs - day};
  auto put = [](char* p, unsigned v, int width) {
    for (int i = width - 1; i >= 0; --i) {
      p[i] = static_cast<char>('0' + v % 10);
      v /= 10;
    }
  };
  put(out, static_cast<unsigned>(static_cast<int>(ymd.year())), 4);
  put(out + 4, static_cast<unsigned>(ymd.month()), 2);
  put(out + 6, static_cast<unsigned>(ymd.day()), 2);
  out[8] = 'T';
  put(out + 9, static_cast<unsigned>(hms.hours().count()), 2);
  put(out + 11, static_cast<unsigned>(hms.minutes().count()), 2);
  put(out + 13, static_cast<unsigned>(hms.seconds().count()), 2);
  out[15] = 'Z';
}

void append_uri_encoded(std::string& out, std::string_view s, bool encode_slash) {
  std::size_t i = 0;
  while (i < s.size()) {
    // Runs of characters kept as they are go in with one append.
    std::size_t run = i;
    while (run < s.size()) {
      const auto c = static_cast<unsigned char>(s[run]);
      if (!is_unreserved(c) && (c != '/' || encode_slash)) break;
      ++run;
    }
    out.append(s.data() + i, run - i);
    if (run < s.size()) append_encoded_byte(out, static_cast<unsigned char>(s[run]));
    i = run + 1;
  }
}

void append_normalized_path(std::string& out, std::string_view path) {
  if (path.empty()) {
    out.push_back('/');
    return;
  }
  thread_local std::vector<std::string_view> segments;
  segments.clear();
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view seg = path.substr(start, end - start);
    if (!seg.empty() && seg != ".") {
      if (seg == "..") {
        if (!segments.empty()) segments.pop_back();
      } else {
        segments.push_back(seg);
      }
    }
    start = end + 1;
  }
  if (path.front() == '/') out.push_back('/');
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (i != 0) out.push_back('/');
    out.append(segments[i]);
  }
  if (path.back() == '/' && !segments.empty()) out.push_back('/');
}

void append_canonical_uri(std::string& out, std::string_view path, bool double_encode, bool normalize) {
  if (path.empty()) path = "/";
  if (!double_encode) {
    if (normalize)
      append_normalized_path(out, path);
    else
      out.append(path);
    return;
  }
  if (!normalize) {
    append_uri_encoded(out, path, /*encode_slash=*/false);
    return;
  }
  thread_local std::string normalized;
  normalized.clear();
  append_normalized_path(normalized, path);
  append_uri_encoded(out, normalized, /*encode_slash=*/false);
}

void append_canonical_query(std::string& out, std::string_view query) {
  if (query.empty()) return;
  thread_local QueryScratch scratch;
  auto& arena = scratch.arena;
  auto& pairs = scratch.pairs;
  arena.clear();
  pairs.clear();

  std::size_t start = 0;
  while (start <= query.size()) {
    std::size_t end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    const std::string_view piece = query.substr(start, end - start);
    const std::size_t eq = piece.find('=');
    const std::string_view key = piece.substr(0, eq);
    const std::string_view value = eq == std::string_view::npos ? std::string_view() : piece.substr(eq + 1);
    QueryScratch::Pair p;
    p.key.offset = static_cast<std::uint32_t>(arena.size());
    append_recoded(arena, key);
    p.key.length = static_cast<std::uint32_t>(arena.size() - p.key.offset);
    p.value.offset = static_cast<std::uint32_t>(arena.size());
    append_recoded(arena, value);
    p.value.length = static_cast<std::uint32_t>(arena.size() - p.value.offset);
    pairs.push_back(p);
    start = end + 1;
  }

  std::sort(pairs.begin(), pairs.end(), [&](const QueryScratch::Pair& a, const QueryScratch::Pair& b) {
    const auto ak = view(arena, a.key);
    const auto bk = view(arena, b.key);
    if (ak != bk) return ak < bk;
    return view(arena, a.value) < view(arena, b.value);
  });

  for (std::size_t i = 0; i < pairs.size(); ++i) {
    if (i != 0) out.push_back('&');
    out.append(view(arena, pairs[i].key));
    out.push_back('=');
    out.append(view(arena, pairs[i].value));
  }
}

void append_canonical_headers(const http::Headers& headers, std::string& canonical, std::string& signed_names) {
  thread_local HeaderScratch scratch;
  auto& arena = scratch.arena;
  auto& items = scratch.items;
  arena.clear();
  items.clear();

  std::uint32_t index = 0;
  for (const auto& [name, value] : headers) {
    HeaderScratch::Item item;
    item.index = index++;
    item.name.offset = static_cast<std::uint32_t>(arena.size());
    arena.resize(arena.size() + name.size());
    {
      // Through local pointers: a store through char* could alias the string's own fields.
      char* dst = arena.data() + item.name.offset;
      const char* src = name.data();
      for (std::size_t i = 0, n = name.size(); i < n; ++i) dst[i] = to_lower(src[i]);
    }
    item.name.length = static_cast<std::uint32_t>(name.size());
    if (is_excluded_header(view(arena, item.name))) {
      arena.resize(item.name.offset);
      continue;
    }
    item.value.offset = static_cast<std::uint32_t>(arena.size());
    append_trimmed(arena, value);
    item.value.length = static_cast<std::uint32_t>(arena.size() - item.value.offset);
    items.push_back(item);
  }

  // Same names keep their order: repeated headers are joined in the order they were given.
  // Insertion sort for the handful of headers a request usually has; beyond that a sort by
  // name then position (no allocation, as insertion is quadratic: a caller's metadata map can
  // hold any number of headers).
  constexpr std::size_t kInsertionMax = 32;
  if (items.size() <= kInsertionMax) {
    for (std::size_t i = 1; i < items.size(); ++i) {
      const HeaderScratch::Item key = items[i];
      const auto key_name = view(arena, key.name);
      std::size_t j = i;
      while (j > 0 && key_name < view(arena, items[j - 1].name)) {
        items[j] = items[j - 1];
        --j;
      }
      items[j] = key;
    }
  } else {
    std::sort(items.begin(), items.end(), [&](const HeaderScratch::Item& a, const HeaderScratch::Item& b) {
      const auto an = view(arena, a.name);
      const auto bn = view(arena, b.name);
      if (an != bn) return an < bn;
      return a.index < b.index;
    });
  }

  // Sizes first, then one resize of each output and plain stores.
  std::size_t canonical_size = 0;
  std::size_t signed_size = 0;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const bool continues = i != 0 && view(arena, items[i - 1].name) == view(arena, items[i].name);
    canonical_size += items[i].value.length + 1;  // value and ',' or '\n'
    if (!continues) {
      canonical_size += items[i].name.length + 1;  // name and ':'
      signed_size += items[i].name.length + (signed_size != 0 ? 1 : 0);
    }
  }
  std::size_t c_at = canonical.size();
  std::size_t s_at = signed_names.size();
  canonical.resize(c_at + canonical_size);
  signed_names.resize(s_at + signed_size);
  char* c = canonical.data() + c_at;
  char* sn = signed_names.data() + s_at;
  const char* a = arena.data();
  for (std::size_t i = 0; i < items.size(); ++i) {
    const Span name = items[i].name;
    const Span value = items[i].value;
    const bool continues = i != 0 && view(arena, items[i - 1].name) == view(arena, name);
    if (continues) {
      c[-1] = ',';  // replaces the '\n' after the previous value
    } else {
      if (i != 0) *sn++ = ';';
      std::memcpy(c, a + name.offset, name.length);
      c += name.length;
      *c++ = ':';
      std::memcpy(sn, a + name.offset, name.length);
      sn += name.length;
    }
    std::memcpy(c, a + value.offset, value.length);
    c += value.length;
    *c++ = '\n';
  }
}

const std::string* find_header(const http::Headers& headers, std::string_view lower_name) {
  for (const auto& [name, value] : headers) {
    if (name.size() != lower_name.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < name.size() && same; ++i) same = to_lower(name[i]) == lower_name[i];
    if (same) return &value;
  }
  return nullptr;
}

std::string host_header_value(const http::Request& request) {
  std::string host(request.host.size(), '\0');
  for (std::size_t i = 0; i < host.size(); ++i) host[i] = to_lower(request.host[i]);
  std::size_t colon = std::string::npos;
  if (!host.empty() && host.front() == '[') {
    const std::size_t close = host.find(']');
    if (close != std::string::npos && close + 1 < host.size() && host[close + 1] == ':') colon = close + 1;
  } else if (host.find(':') == host.rfind(':')) {  // not a bare IPv6 address
    colon = host.find(':');
  }
  if (colon == std::string::npos) return host;
  const std::string_view port = std::string_view(host).substr(colon + 1);
  auto scheme_is = [&](std::string_view want) {
    if (request.scheme.size() != want.size()) return false;
    for (std::size_t i = 0; i < want.size(); ++i)
      if (to_lower(request.scheme[i]) != want[i]) return false;
    return true;
  };
  if ((port == "443" && scheme_is("https")) || (port == "80" && scheme_is("http"))) host.resize(colon);
  return host;
}

void append_scope(std::string& out, std::string_view date8, std::string_view region, std::string_view service) {
  append_all(out, {date8, "/", region, "/", service, "/aws4_request"});
}

}  // namespace awsdl::internal::sigv4
