// The staging manifest (x-amz-meta-awsdl-manifest), which comes back from S3 with the object:
// parse_manifest() as unstage reads it. What parses must serialise back to the same bytes
// (the format is strict), and a manifest always verifies against the counts it states.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_input.hpp"
#include "stage/manifest.hpp"

using awsdl::fuzz::require;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto m = awsdl::internal::parse_manifest(text);
  if (!m) return 0;
  require(awsdl::internal::serialize_manifest(*m) == text, "a manifest that parses serialises back to its text");
  awsdl::internal::ArchiveStats stats;
  stats.files = m->file_count;
  stats.file_bytes = m->file_bytes;
  stats.archive_bytes = m->archive_bytes;
  stats.archive_sha256 = m->archive_sha256;
  stats.archive_crc64nvme = m->archive_crc64nvme;
  auto made = awsdl::internal::make_manifest(stats, m->compression);
  // make_manifest writes the current version; a version 1 manifest is an older stage's.
  made.version = m->version;
  require(made == *m, "make_manifest gives back the manifest");
  require(awsdl::internal::verify_manifest(*m, stats, m->compression).ok(), "a manifest verifies against its own counts");
  return 0;
}
