#include "util/gzip_encoder.hpp"

#include <isa-l/igzip_lib.h>

#include <cstdint>

namespace awsdl::internal {

namespace {

int igzip_level(int level) { return level <= 1 ? level : level <= 5 ? 2 : 3; }

std::size_t level_buffer_size(int igzip) {
  switch (igzip) {
    case 0: return ISAL_DEF_LVL0_DEFAULT;
    case 1: return ISAL_DEF_LVL1_DEFAULT;
    case 2: return ISAL_DEF_LVL2_DEFAULT;
    default: return ISAL_DEF_LVL3_DEFAULT;
  }
}

}  // namespace

struct GzipEncoder::Impl {
  isal_zstream z{};
  std::string level_buf;
  std::string out;
  bool done = false;
};

GzipEncoder::GzipEncoder(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
GzipEncoder::GzipEncoder(GzipEncoder&&) noexcept = default;
GzipEncoder& GzipEncoder::operator=(GzipEncoder&&) noexcept = default;
GzipEncoder::~GzipEncoder() = default;

Result<GzipEncoder> GzipEncoder::make(int level) {
  if (level < 0 || level > 9)
    return Error::invalid_argument("InvalidGzipLevel", "gzip level " + std::to_string(level) + " is not in 0..9");
  auto impl = std::make_unique<Impl>();
  isal_deflate_init(&impl->z);
  const int igzip = igzip_level(level);
  impl->z.level = static_cast<std::uint32_t>(igzip);
  impl->level_buf.resize(level_buffer_size(igzip));
  impl->z.level_buf = reinterpret_cast<std::uint8_t*>(impl->level_buf.data());
  impl->z.level_buf_size = static_cast<std::uint32_t>(impl->level_buf.size());
  // isa-l's fixed gzip header: mtime 0, no name.
  impl->z.gzip_flag = IGZIP_GZIP;
  impl->z.flush = NO_FLUSH;
  return GzipEncoder(std::move(impl));
}

bool GzipEncoder::finished() const { return impl_->done; }

Result<std::string_view> GzipEncoder::compress(std::string_view in, bool last) {
  Impl& s = *impl_;
  if (s.done) return Error::make(ErrorKind::kInternal, "GzipFinished", "the gzip stream has already ended");
  if (in.size() > UINT32_MAX) return Error::invalid_argument("InvalidArgument", "gzip input over 4 GiB in one call");
  auto& z = s.z;
  z.next_in = reinterpret_cast<std::uint8_t*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<std::uint32_t>(in.size());
  z.end_of_stream = last ? 1 : 0;
  // All of the input goes in; the output buffer grows when igzip fills it.
  std::size_t have = 0;
  int idle = 0;  // calls that produced nothing and took nothing: igzip is stuck, not slow
  if (s.out.size() < in.size() + in.size() / 8 + 4096) s.out.resize(in.size() + in.size() / 8 + 4096);
  while (true) {
    z.next_out = reinterpret_cast<std::uint8_t*>(s.out.data() + have);
    z.avail_out = static_cast<std::uint32_t>(s.out.size() - have);
    const int rc = isal_deflate(&z);
    if (rc != COMP_OK) return Error::make(ErrorKind::kInternal, "GzipError", "igzip failed (" + std::to_string(rc) + ")");
    const std::size_t produced = s.out.size() - z.avail_out - have;
    have += produced;
    if (produced == 0 && z.avail_in == 0 && ++idle > 3)
      return Error::make(ErrorKind::kInternal, "GzipError", "igzip made no progress");
    if (z.internal_state.state == ZSTATE_END) {
      s.done = true;
      break;
    }
    if (z.avail_in == 0 && z.avail_out != 0 && !last) break;
    if (z.avail_out == 0) s.out.resize(s.out.size() * 2);
  }
  return std::string_view(s.out.data(), have);
}

}  // namespace awsdl::internal
