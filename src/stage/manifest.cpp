#include "stage/manifest.hpp"

#include <array>
#include <charconv>

namespace awsdl::internal {

namespace {

Error malformed(std::string_view why) {
  return Error::make(ErrorKind::kParse, "MalformedManifest", "malformed archive manifest: " + std::string(why));
}

// Consumes "<key>=<value>" up to the next ';' (or the end when `last`), returning the value.
std::optional<std::string_view> take_field(std::string_view& rest, std::string_view key, bool last) {
  if (rest.substr(0, key.size()) != key || rest.size() <= key.size() || rest[key.size()] != '=')
    return std::nullopt;
  rest.remove_prefix(key.size() + 1);
  const size_t end = rest.find(';');
  if (last != (end == std::string_view::npos)) return std::nullopt;
  std::string_view value = rest.substr(0, end);
  rest.remove_prefix(last ? rest.size() : end + 1);
  return value;
}

std::optional<std::uint64_t> parse_u64(std::string_view s) {
  if (s.empty() || s.size() > 20 || (s.size() > 1 && s[0] == '0')) return std::nullopt;
  for (char c : s)
    if (c < '0' || c > '9') return std::nullopt;
  std::uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

bool is_hex(std::string_view s, std::size_t digits) {
  if (s.size() != digits) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

}  // namespace

std::string_view to_string(Compression compression) {
  switch (compression) {
    case Compression::kNone: return "none";
    case Compression::kGzip: return "gzip";
    case Compression::kZstd: return "zstd";
  }
  return "none";
}

std::optional<Compression> parse_compression(std::string_view text) {
  for (Compression c : {Compression::kNone, Compression::kGzip, Compression::kZstd})
    if (text == to_string(c)) return c;
  return std::nullopt;
}

Manifest make_manifest(const ArchiveStats& stats, Compression compression) {
  Manifest m;
  m.file_count = stats.files;
  m.file_bytes = stats.file_bytes;
  m.archive_bytes = stats.archive_bytes;
  m.archive_crc64nvme = stats.archive_crc64nvme;
  m.archive_sha256 = stats.archive_sha256;
  m.compression = compression;
  return m;
}

std::string serialize_manifest(const Manifest& m) {
  std::string out = "v" + std::to_string(m.version);
  out += ";files=" + std::to_string(m.file_count);
  out += ";bytes=" + std::to_string(m.file_bytes);
  out += ";archive=" + std::to_string(m.archive_bytes);
  if (m.version >= 2) out += ";crc64nvme=" + m.archive_crc64nvme;
  if (m.version < 2 || !m.archive_sha256.empty()) out += ";sha256=" + m.archive_sha256;
  out += ";compression=";
  out += to_string(m.compression);
  return out;
}

Result<Manifest> parse_manifest(std::string_view text) {
  if (text.size() > 1024) return malformed("longer than 1024 bytes");
  std::string_view rest = text;
  if (rest.empty() || rest[0] != 'v') return malformed("does not start with a version ('v1;...')");
  rest.remove_prefix(1);
  const size_t semi = rest.find(';');
  auto version = parse_u64(rest.substr(0, semi));
  if (!version) return malformed("bad version");
  if (*version < 1 || *version > static_cast<std::uint64_t>(Manifest::kFormatVersion))
    return Error::make(ErrorKind::kParse, "UnsupportedManifestVersion",
                       "archive manifest version " + std::to_string(*version) +
                           " is not supported (this library reads versions 1 to " +
                           std::to_string(Manifest::kFormatVersion) + ")");
  if (semi == std::string_view::npos) return malformed("no fields after the version");
  rest.remove_prefix(semi + 1);

  Manifest m;
  m.version = static_cast<int>(*version);
  struct Number {
    std::string_view key;
    std::uint64_t* out;
  };
  for (const Number& field : std::array<Number, 3>{{{"files", &m.file_count},
                                                     {"bytes", &m.file_bytes},
                                                     {"archive", &m.archive_bytes}}}) {
    auto value = take_field(rest, field.key, false);
    if (!value) return malformed("expected field '" + std::string(field.key) + "'");
    auto n = parse_u64(*value);
    if (!n) return malformed("field '" + std::string(field.key) + "' is not a decimal number");
    *field.out = *n;
  }
  if (m.version >= 2) {
    auto crc = take_field(rest, "crc64nvme", false);
    if (!crc) return malformed("expected field 'crc64nvme'");
    if (!is_hex(*crc, 16)) return malformed("field 'crc64nvme' is not 16 lower-case hex digits");
    m.archive_crc64nvme = std::string(*crc);
  }
  // Version 1 always has the SHA-256; version 2 when the stage asked for it.
  if (m.version < 2 || rest.substr(0, 7) == "sha256=") {
    auto sha = take_field(rest, "sha256", false);
    if (!sha) return malformed("expected field 'sha256'");
    if (!is_hex(*sha, 64)) return malformed("field 'sha256' is not 64 lower-case hex digits");
    m.archive_sha256 = std::string(*sha);
  }
  auto comp = take_field(rest, "compression", true);
  if (!comp) return malformed("expected field 'compression' last");
  auto c = parse_compression(*comp);
  if (!c) return malformed("unknown compression '" + std::string(comp->substr(0, 16)) + "'");
  m.compression = *c;
  return m;
}

Status verify_manifest(const Manifest& expected, const ArchiveStats& actual, Compression actual_compression) {
  auto mismatch = [](std::string_view what, const std::string& want, const std::string& got) {
    return Error::make(ErrorKind::kIo, "ManifestMismatch",
                       "the archive does not match its manifest: " + std::string(what) + " is " + got +
                           ", the manifest says " + want);
  };
  if (actual.archive_bytes != expected.archive_bytes)
    return mismatch("archive size", std::to_string(expected.archive_bytes), std::to_string(actual.archive_bytes));
  // Each checksum the manifest has is checked: one the extraction did not compute is a mismatch
  // too (shown as "not computed"), never a silent pass.
  auto shown = [](const std::string& v) { return v.empty() ? std::string("not computed") : v; };
  if (!expected.archive_crc64nvme.empty() && actual.archive_crc64nvme != expected.archive_crc64nvme)
    return mismatch("archive CRC64NVME", expected.archive_crc64nvme, shown(actual.archive_crc64nvme));
  if (!expected.archive_sha256.empty() && actual.archive_sha256 != expected.archive_sha256)
    return mismatch("archive SHA-256", expected.archive_sha256, shown(actual.archive_sha256));
  if (actual_compression != expected.compression)
    return mismatch("compression", std::string(to_string(expected.compression)),
                    std::string(to_string(actual_compression)));
  if (actual.files != expected.file_count)
    return mismatch("file count", std::to_string(expected.file_count), std::to_string(actual.files));
  if (actual.file_bytes != expected.file_bytes)
    return mismatch("total file bytes", std::to_string(expected.file_bytes), std::to_string(actual.file_bytes));
  return {};
}

}  // namespace awsdl::internal
